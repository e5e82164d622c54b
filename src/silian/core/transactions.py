"""Who commits: a named state change owns its transaction unless a caller already opened one.

Every service function that makes a named state change ends with ``commit(session)``. Called
from a route it commits, so the change and its audit row land together and the route never
commits. Called inside a caller's savepoint (an import writing many rows all-or-nothing, a
compound change built from smaller ones), it only flushes and leaves the commit to that caller.
"""

from __future__ import annotations

from sqlalchemy.orm import Session


def commit(session: Session) -> None:
    """Commit the session's transaction, or only flush when running inside a savepoint."""
    if session.in_nested_transaction():
        session.flush()
    else:
        session.commit()
