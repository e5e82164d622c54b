"""Who acts: the signed-in user as core sees it; the accounts feature supplies the real one.

Core sits below every feature, so it names the few attributes it reads instead of importing
`silian.accounts.models.User`; the application registers how to load a user (`USER_LOADER`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sqlalchemy.orm import Session


class Actor(Protocol):
    """A signed-in user: who they are, their role and unit, and their session generation."""

    @property
    def id(self) -> int:
        """User id."""

    @property
    def username(self) -> str:
        """Sign-in name."""

    @property
    def role(self) -> str:
        """Role code (office, university, enterprise, broker, expert, platform)."""

    @property
    def organization_id(self) -> int | None:
        """The user's unit, if any."""

    @property
    def session_version(self) -> int:
        """Bumped on logout so older session cookies and tokens stop working."""


# Loads an active user by id, or None; `silian.web.app` registers accounts' `get_user`.
UserLoader = Callable[[Session, int], Actor | None]
USER_LOADER = "load_user"
