"""Unit tests of the shared review workflow rules."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest
from sqlalchemy.orm import Session

from silian.achievements.models import Achievement
from silian.core import workflow
from tests.support import Factory


def _user(role: str, org: int | None = 1, uid: int = 7) -> SimpleNamespace:
    return SimpleNamespace(role=role, organization_id=org, id=uid)


def _record(status: str, org: int = 1) -> SimpleNamespace:
    return SimpleNamespace(status=status, organization_id=org, created_by_id=99)


@pytest.mark.parametrize(
    ("role", "org", "status", "expected"),
    [
        ("enterprise", 1, "draft", ["submit", "withdraw"]),
        ("enterprise", 2, "draft", []),
        ("office", None, "submitted", ["approve", "return", "withdraw"]),
        ("enterprise", 1, "submitted", ["withdraw"]),
        ("enterprise", 1, "withdrawn", []),
        ("broker", None, "published", []),
    ],
)
def test_allowed_actions(role: str, org: int | None, status: str, expected: list[str]) -> None:
    assert workflow.allowed_actions(_user(role, org), _record(status), "demand") == expected  # type: ignore[arg-type]


def test_anonymous_has_no_actions() -> None:
    assert workflow.allowed_actions(None, _record("draft"), "demand") == []


def test_awaiting_review_lists_submitted_records_oldest_first(
    db: Session, factory: Factory
) -> None:
    org = factory.org("university")
    first = factory.achievement(org, status="submitted")
    factory.achievement(org, status="draft")
    factory.achievement(org, status="published")
    second = factory.achievement(org, status="submitted")
    first.updated_at, second.updated_at = datetime(2026, 1, 2), datetime(2026, 1, 1)
    db.commit()
    assert [a.id for a in workflow.awaiting_review(db, Achievement)] == [second.id, first.id]
