"""Unit tests of the shared review workflow rules."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from silian.core import workflow


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
