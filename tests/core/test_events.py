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


def test_listener_runs_after_the_connection_is_back_in_the_pool(
    db: Session, db_url: str, factory: Factory
) -> None:
    """Defect 2: the matching listener opens its own session; the committing one must not
    still hold a connection (with a full pool, every request waited for a second one)."""
    from silian.core.db import get_engine

    checked_out: list[int] = []

    def listener(_changes: list[Change]) -> None:
        checked_out.append(get_engine(db_url).pool.checkedout())

    events.subscribe(listener)
    try:
        factory.user("office")
    finally:
        events.unsubscribe(listener)
    assert checked_out == [0]


def test_savepoint_release_waits_for_the_outer_commit(db: Session, received: list[Change]) -> None:
    with db.begin_nested():
        events.notify(db, "demands", 7, "update")
    assert received == []
    db.commit()
    assert Change("demands", 7, "update") in received
