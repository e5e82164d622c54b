"""Optimistic concurrency: a version column on editable records, checked on every edit.

A model that mixes in ``Versioned`` gets ``version`` (1 on insert) used by SQLAlchemy as its
``version_id_col``: every UPDATE says ``WHERE id = ? AND version = ?`` and bumps it, so two
writers that read the same version cannot both succeed (the loser's flush raises
``StaleDataError``, which the app maps to 409). Pages send the version they loaded in a hidden
``version`` field and the API in ``If-Match``; ``check_version`` refuses an edit based on an old
version before anything is written.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from silian.core.errors import StaleEdit

_ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,18})"\s*$')


class Versioned:
    """Mixin: an integer version bumped by every UPDATE of the row."""

    version: Mapped[int] = mapped_column(nullable=False, default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


def check_version(record: Any, expected: int | None) -> None:
    """Raise StaleEdit when the caller's version is not the stored one (None: no check)."""
    if expected is not None and int(expected) != int(record.version):
        raise StaleEdit(int(record.version))


def etag(record: Any) -> str:
    """Strong ETag of a versioned record: its version in quotes."""
    return f'"{int(record.version)}"'


def version_from_etag(value: str | None) -> int | None:
    """The version named by an If-Match header (our own ETag form), or None when absent/other."""
    if not value:
        return None
    match = _ETAG.match(value)
    return int(match.group(1)) if match else None


def version_from_form(value: Any) -> int | None:
    """The version a page form carried in its hidden field, or None when missing or junk."""
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
