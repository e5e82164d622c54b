"""Committed changes announced to other processes: PostgreSQL NOTIFY inside the transaction,
LISTEN in a background loop of each worker (SQLite has no such channel: workers poll)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
CHANNEL = "silian_changes"
# NOTIFY payloads are limited to 8000 bytes; ours are a pid, a table name and an id.
_PID = os.getpid()


@dataclass(frozen=True)
class Notice:
    """One announced change: the process that committed it, the table and the row id."""

    pid: int
    table: str
    row_id: int

    def payload(self) -> str:
        """The NOTIFY payload: ``pid:table:id``."""
        return f"{self.pid}:{self.table}:{self.row_id}"

    @classmethod
    def parse(cls, payload: str) -> Notice | None:
        """The notice in a payload, or None when it is not one of ours."""
        pid, _, rest = payload.partition(":")
        table, _, row_id = rest.partition(":")
        if not (pid.isdigit() and table and row_id.isdigit()):
            return None
        return cls(int(pid), table, int(row_id))


def supported(session: Session) -> bool:
    """True on PostgreSQL (the only backend with a notification channel)."""
    return session.get_bind().dialect.name == "postgresql"


def announce(session: Session, table: str, row_id: int) -> None:
    """Queue a notification in the session's transaction: PostgreSQL delivers it at commit and
    drops it on rollback, so listeners never hear of a change that did not happen."""
    if supported(session):
        notice = Notice(os.getpid(), table, row_id)
        session.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {
                "channel": CHANNEL,
                "payload": notice.payload(),
            },
        )


def conninfo(database_url: str) -> str:
    """A libpq connection string for a SQLAlchemy PostgreSQL URL (any driver suffix)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class Listener:
    """LISTEN on one database in a daemon thread and hand each notice to a callback.

    ``on_notice`` runs in the listener's thread. ``on_connect`` runs after every (re)connection,
    before notices are handled: whatever was committed while not listening must be caught up
    there (by the caller's own polling). ``listening`` is set while the channel is open.
    """

    def __init__(
        self,
        database_url: str,
        on_notice: Callable[[Notice], None],
        on_connect: Callable[[], object],
        on_idle: Callable[[], None],
        idle_every: float = 0.5,
        retry_every: float = 2.0,
    ) -> None:
        self.conninfo = conninfo(database_url)
        self.on_notice = on_notice
        self.on_connect = on_connect
        self.on_idle = on_idle
        self.idle_every = idle_every
        self.retry_every = retry_every
        self.listening = threading.Event()
        self.stop = threading.Event()
        self.received = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the background thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="changefeed", daemon=True)
            self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        """Stop listening and wait for the thread."""
        self.stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    self.on_connect()
                    self._loop(conn)
            except Exception:  # the database restarted or went away: poll, then reconnect
                log.exception("change feed lost its connection; retrying")
            finally:
                self.listening.clear()
            self.stop.wait(self.retry_every)

    def _loop(self, conn: psycopg.Connection[tuple[object, ...]]) -> None:
        while not self.stop.is_set():
            # notifies() yields as notifications arrive and ends after idle_every seconds.
            for message in conn.notifies(timeout=self.idle_every):
                notice = Notice.parse(message.payload)
                if notice is not None:
                    self.received += 1
                    try:
                        self.on_notice(notice)
                    except Exception:  # one bad notice must not stop the feed
                        log.exception("handling %s failed", message.payload)
                if self.stop.is_set():
                    return
            self.on_idle()
