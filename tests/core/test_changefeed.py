"""core.changefeed: payloads, and NOTIFY delivered at commit only (PostgreSQL)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy.orm import Session

from silian.core import changefeed
from silian.core.db import session_factory


def test_payload_round_trip_and_foreign_payloads_ignored() -> None:
    notice = changefeed.Notice(123, "achievements", 45)
    assert changefeed.Notice.parse(notice.payload()) == notice
    for payload in ("", "hello", "1:achievements:", "x:achievements:3", "1::3"):
        assert changefeed.Notice.parse(payload) is None


def test_conninfo_drops_the_driver_suffix() -> None:
    url = changefeed.conninfo("postgresql+psycopg://user:secret@127.0.0.1:5432/test")
    assert url == "postgresql://user:secret@127.0.0.1:5432/test"


def test_listeners_hear_committed_changes_only(db_url: str, db: Session) -> None:
    if db.get_bind().dialect.name != "postgresql":
        assert not changefeed.supported(db)
        changefeed.announce(db, "achievements", 1)  # a no-op on SQLite, not an error
        return
    heard: list[changefeed.Notice] = []
    connected = threading.Event()
    feed = changefeed.Listener(
        db_url,
        on_notice=heard.append,
        on_connect=connected.set,
        on_idle=lambda: None,
        idle_every=0.1,
    )
    feed.start()
    try:
        assert connected.wait(10)
        with session_factory(db_url)() as session:
            changefeed.announce(session, "achievements", 7)
            session.rollback()
            changefeed.announce(session, "demands", 8)
            session.commit()
        deadline = time.monotonic() + 5
        while not heard and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # a rolled-back notice would have arrived by now
    finally:
        feed.close()
    assert [(n.table, n.row_id) for n in heard] == [("demands", 8)]
    assert not feed.listening.is_set()


@pytest.mark.parametrize("bad", ["postgresql://nobody@127.0.0.1:1/none"])
def test_a_lost_database_is_retried_not_fatal(bad: str) -> None:
    feed = changefeed.Listener(
        bad,
        on_notice=lambda n: None,
        on_connect=lambda: None,
        on_idle=lambda: None,
        retry_every=0.1,
    )
    feed.start()
    time.sleep(0.5)
    assert feed._thread is not None and feed._thread.is_alive()
    assert not feed.listening.is_set()
    feed.close()
    assert not feed._thread.is_alive()
