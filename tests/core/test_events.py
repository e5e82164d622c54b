"""Change notifications are delivered after commit and dropped on rollback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from silian.core import events
from silian.core.events import Change
from tests.support import Factory


@pytest.fixture
def received() -> Iterator[list[Change]]:
    seen: list[Change] = []

    def listener(changes: list[Change]) -> None:
        seen.extend(changes)

    events.subscribe(listener)
    yield seen
    events.unsubscribe(listener)


def test_audited_change_is_delivered_after_commit(
    db: Session, factory: Factory, received: list[Change]
) -> None:
    user = factory.user("office")
    assert Change("users", user.id, "create") in received


def test_rolled_back_change_is_not_delivered(db: Session, received: list[Change]) -> None:
    events.notify(db, "demands", 1, "update")
    db.rollback()
    db.commit()
    assert received == []


def test_failing_listener_does_not_break_commit(db: Session, factory: Factory) -> None:
    def broken(_changes: list[Change]) -> None:
        raise RuntimeError("boom")

    events.subscribe(broken)
    try:
        assert factory.user("office").id
    finally:
        events.unsubscribe(broken)
