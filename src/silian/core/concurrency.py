"""Optimistic concurrency: a version column on editable records, checked on every edit.

A model that mixes in ``Versioned`` gets ``version`` (1 on insert) used by SQLAlchemy as its
``version_id_col``: every UPDATE says ``WHERE id = ? AND version = ?`` and bumps it, so two
writers that read the same version cannot both succeed (the loser's flush raises
``StaleDataError``, which the app maps to 409). Pages send the version they loaded in a hidden
``version`` field and the API in ``If-Match``; ``check_version`` refuses an edit based on an old
version before anything is written.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column
from sqlalchemy.orm.exc import StaleDataError

from silian.core.audit import AuditLog
from silian.core.db import utcnow
from silian.core.errors import PreconditionFailed, PreconditionRequired, StaleEdit

_ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,18})"\s*$')


class Versioned:
    """Mixin: an integer version bumped by every UPDATE of the row."""

    version: Mapped[int] = mapped_column(nullable=False, default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


# What the API passes for a PUT that carried no If-Match: check_version answers it with 428 once
# the record was found and the caller's right to edit it checked (so a 404 or 403 comes first).
NO_IF_MATCH = -1
# If-Match present but not one of our ETags: refused with 412 by the service, i.e. after the
# request's body and path were validated (a dependency raising would pre-empt their 422).
FOREIGN_ETAG = -2
FOREIGN_ETAG_MESSAGE = "If-Match 不是此记录的 ETag，请重新 GET 后再提交"
NO_IF_MATCH_TAG = ""
IF_MATCH_REQUIRED = "请在 If-Match 请求头中给出记录的 ETag（先 GET 取得），以免覆盖他人的修改"


def check_version(record: Any, expected: int | None) -> None:
    """Raise StaleEdit when the caller's version is not the stored one (None: no check;
    NO_IF_MATCH: PreconditionRequired)."""
    if expected == NO_IF_MATCH:
        raise PreconditionRequired(IF_MATCH_REQUIRED)
    if expected == FOREIGN_ETAG:
        raise PreconditionFailed(FOREIGN_ETAG_MESSAGE)
    if expected is not None and int(expected) != int(record.version):
        raise StaleEdit(int(record.version))


def check_set_tag(records: Iterable[Any], expected: str | None) -> None:
    """check_version for a set of rows edited together, by their set_etag."""
    if expected == NO_IF_MATCH_TAG:
        raise PreconditionRequired(IF_MATCH_REQUIRED)
    if expected is not None and set_etag(records) != expected:
        raise StaleEdit(None)


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


def set_etag(records: Iterable[Any]) -> str:
    """Strong ETag of a set of versioned rows edited together (one chain's salary rules): it
    changes when any row is added, removed or changed."""
    parts = sorted((int(r.id), int(r.version)) for r in records)
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:16]
    return f'"s{digest}"'


def touch(record: Any) -> None:
    """Mark record written, so its save is a version-checked UPDATE even when no field
    changed: a save that changed nothing still proves the caller's version was current."""
    record.updated_at = utcnow()


@contextmanager
def saving(session: Session) -> Iterator[None]:
    """Turn a concurrent writer's win (the UPDATE matched no row of our version) into StaleEdit.

    Wraps the write of an edit service; the session is rolled back unless a caller's savepoint
    owns the transaction (then the caller rolls back).
    """
    try:
        yield
    except StaleDataError:
        if not session.in_nested_transaction():
            session.rollback()
        raise StaleEdit(None) from None


@dataclass(frozen=True)
class Change:
    """One field another user changed since a version: old → new, by whom, when."""

    field: str
    label: str
    old: Any
    new: Any
    by: str
    at: datetime


def changes_since(
    session: Session, record: Any, version: int | None, labels: dict[str, str] | None = None
) -> list[Change]:
    """Fields of record changed after version, from the audit log (first old value, last new)."""
    if version is None:
        return []
    rows = session.scalars(
        select(AuditLog)
        .where(
            AuditLog.entity_type == type(record).__tablename__,
            AuditLog.entity_id == record.id,
            AuditLog.entity_version > version,
        )
        .order_by(AuditLog.id)
    )
    return merge_changes(rows, labels)


def merge_changes(rows: Iterable[AuditLog], labels: dict[str, str] | None = None) -> list[Change]:
    """Audit rows folded into one change per field (first old value, last new), in order."""
    merged: dict[str, Change] = {}
    for row in rows:
        for field, pair in (row.changes or {}).items():
            if field in ("version", "updated_at") or not isinstance(pair, list) or len(pair) != 2:
                continue
            old = merged[field].old if field in merged else pair[0]
            label = (labels or {}).get(field, field)
            merged[field] = Change(field, label, old, pair[1], row.actor_name, row.created_at)
    return [c for c in merged.values() if c.old != c.new]


def stale_context(
    session: Session, record: Any, version: int | None, labels: dict[str, str] | None = None
) -> dict[str, Any]:
    """What a form shows after a stale save: a Chinese message and the changes made meanwhile."""
    return {
        "message": (
            "保存未生效：您打开此页面后，其他用户修改了这条记录。您填写的内容仍保留在下方，"
            "请对照下列改动确认后再次保存（再次保存将以您的内容为准）。"
        ),
        "changes": changes_since(session, record, version, labels),
        "loaded_version": version,
    }
