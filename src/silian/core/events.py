"""After-commit change notifications, so upper layers (matching) react to edits of records
without features importing them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from silian.core import changefeed

log = logging.getLogger(__name__)
_KEY = "silian_changes"
_COMMITTED = "silian_committed_changes"


@dataclass(frozen=True)
class Change:
    """One committed change: table name, primary key and the audit action."""

    entity_type: str
    entity_id: int
    action: str
    # Which database committed it (URL without password), so a listener serving another
    # database in the same process can ignore it.
    database: str = field(default="", compare=False)


Listener = Callable[[list[Change]], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    """Call listener with the changes of every successful commit (idempotent)."""
    if listener not in _listeners:
        _listeners.append(listener)


def unsubscribe(listener: Listener) -> None:
    """Stop calling listener."""
    if listener in _listeners:
        _listeners.remove(listener)


def notify(session: Session, entity_type: str, entity_id: int, action: str) -> None:
    """Queue a change; it is delivered only if the session's transaction commits."""
    connection = session.connection()  # a transaction exists whose end decides delivery
    database = connection.engine.url.render_as_string(hide_password=True)
    session.info.setdefault(_KEY, []).append(Change(entity_type, entity_id, action, database))
    # Other processes hear of it too (PostgreSQL NOTIFY, delivered only if this commits).
    changefeed.announce(session, entity_type, entity_id)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    # A savepoint's release is not the end: its changes wait for the outer commit.
    if not session.in_nested_transaction() and session.info.get(_KEY):
        session.info[_COMMITTED] = session.info.pop(_KEY)


@event.listens_for(Session, "after_transaction_end")
def _deliver(session: Session, transaction: Any) -> None:
    # Delivered here, after the session has returned its connection to the pool, never in
    # after_commit: a listener that opens its own session (the matching index) would otherwise
    # hold two connections at once, and with every pooled connection held by a request waiting
    # for a second one, SQLite's pool ran dry (each request then waited the 30 s pool timeout).
    if transaction.parent is not None:
        return
    changes: list[Change] = session.info.pop(_COMMITTED, [])
    if not changes:
        return
    for listener in list(_listeners):
        try:
            listener(changes)
        except Exception:  # a failing listener must never undo or block a committed change
            log.exception("change listener %r failed", listener)


@event.listens_for(Session, "after_soft_rollback")
def _discard(session: Session, previous_transaction: Any) -> None:
    # A savepoint rollback keeps the outer transaction's queued changes.
    if not previous_transaction.nested:
        session.info.pop(_KEY, None)
