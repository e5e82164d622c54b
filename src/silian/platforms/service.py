"""Platform services: which pilot and proof-of-concept platforms a user may see."""

from __future__ import annotations

from sqlalchemy import Select, select

from silian.accounts.models import User
from silian.platforms.models import Platform


def visible_query(user: User | None) -> Select[Platform]:
    """Platforms user may see: every platform is a public listing, whatever its status."""
    return select(Platform)
