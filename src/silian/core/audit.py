"""Audit log: who changed which record, when, and what changed."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from silian.core import events
from silian.core.db import Base, utcnow


class AuditLog(Base):
    """One audit row per create, edit or status change of an important record."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    actor_name: Mapped[str] = mapped_column(String(100), nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(60), nullable=False)
    entity_id: Mapped[int] = mapped_column(nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    # The version a versioned record reached with this change: a stale editor is shown the
    # changes made after the version they loaded.
    entity_version: Mapped[int | None] = mapped_column(nullable=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # 1200000.00 read back and 1200000 typed are one amount: never a recorded change.
        return format(value.normalize(), "f")
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: Any) -> dict[str, Any]:
    """Column values of an ORM object, JSON-safe, for diffing before and after a change."""
    mapper = inspect(obj).mapper
    return {c.key: _jsonable(getattr(obj, c.key)) for c in mapper.column_attrs}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose values differ, as {field: [old, new]}; timestamps and versions are ignored."""
    skip = {"updated_at", "created_at", "version"}
    return {k: [before.get(k), v] for k, v in after.items() if k not in skip and before.get(k) != v}


def record(
    session: Session,
    *,
    actor: Any | None,
    action: str,
    entity: Any,
    changes: dict[str, Any] | None = None,
    summary: str = "",
) -> AuditLog:
    """Add an audit row for entity; the caller's transaction commits it with the change."""
    session.flush()  # the entity needs its primary key
    row = AuditLog(
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", None) or "system",
        action=action,
        entity_type=type(entity).__tablename__,
        entity_id=entity.id,
        summary=summary,
        changes=_jsonable(changes or {}),
        entity_version=getattr(entity, "version", None),
    )
    session.add(row)
    events.notify(session, row.entity_type, row.entity_id, action)
    return row
