"""The review workflow shared by listings: draft → submitted → published, or returned.

Who may take a step comes from the permission table: ``"<kind>.submit"``, ``"<kind>.review"``
(approve, return) and ``"<kind>.withdraw"``, where kind names the record (``"demand"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silian.core import audit, permissions
from silian.core.actors import Actor
from silian.core.audit import AuditLog
from silian.core.concurrency import Change, merge_changes
from silian.core.db import utcnow
from silian.core.errors import InvalidTransition, ValidationFailed


@dataclass(frozen=True)
class Transition:
    """One allowed status change: from which statuses, to which, who may do it."""

    sources: frozenset[str]
    target: str
    label: str
    permission: str  # the verb in the permission table: "<kind>.<permission>"
    needs_remarks: bool = False


TRANSITIONS: dict[str, Transition] = {
    "submit": Transition(frozenset({"draft", "returned"}), "submitted", "提交审核", "submit"),
    "approve": Transition(frozenset({"submitted"}), "published", "审核通过", "review"),
    "return": Transition(
        frozenset({"submitted"}), "returned", "退回修改", "review", needs_remarks=True
    ),
    "withdraw": Transition(
        frozenset({"draft", "submitted", "returned", "published"}),
        "withdrawn",
        "撤回",
        "withdraw",
    ),
}


def awaiting_review(session: Session, model: type[Any]) -> list[Any]:
    """Records of ``model`` in a status the office's review acts on (submitted), oldest first:
    the review queue, with the statuses taken from :data:`TRANSITIONS`."""
    waiting = TRANSITIONS["approve"].sources
    return list(
        session.scalars(
            select(model).where(model.status.in_(sorted(waiting))).order_by(model.updated_at)
        )
    )


def allowed_actions(user: Actor | None, record: Any, kind: str) -> list[str]:
    """Workflow actions user may take on a kind record now (for showing buttons)."""
    return [
        name
        for name, tr in TRANSITIONS.items()
        if record.status in tr.sources and permissions.can(user, f"{kind}.{tr.permission}", record)
    ]


def apply(
    session: Session,
    actor: Actor,
    record: Any,
    action: str,
    remarks: str = "",
    noun: str = "",
    *,
    kind: str,
) -> None:
    """Move a kind record through the workflow, checking rights, and write the audit row."""
    tr = TRANSITIONS.get(action)
    if tr is None:
        raise InvalidTransition(f"未知操作：{action}")
    permissions.require(actor, f"{kind}.{tr.permission}", record)
    if record.status not in tr.sources:
        raise InvalidTransition(f"当前状态为“{record.status_label}”，不能{tr.label}")
    remarks = (remarks or "").strip()
    if tr.needs_remarks and not remarks:
        raise ValidationFailed({"remarks": "退回时请填写修改意见"})
    before = record.status
    record.status = tr.target
    changes: dict[str, Any] = {"status": [before, tr.target]}
    if action in ("approve", "return"):
        record.review_remarks = remarks
        changes["review_remarks"] = remarks
    if tr.target == "published" and record.published_at is None:
        record.published_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action=action,
        entity=record,
        changes=changes,
        summary=f"{tr.label}{noun}：{record.title}" + (f"（{remarks}）" if remarks else ""),
    )


# Review bookkeeping, not content: the reviewer compares what the unit changed.
_NOT_CONTENT = frozenset({"status", "review_remarks", "published_at"})


def changes_since_return(
    session: Session,
    user: Actor | None,
    record: Any,
    kind: str,
    labels: Mapping[str, str] | None = None,
) -> list[Change] | None:
    """What a resubmitted record's unit changed since the office last returned it, for a
    reviewer deciding again (None for anyone else, or when it was never returned)."""
    if record.status != "submitted" or not permissions.can(user, f"{kind}.review", record):
        return None
    entity = (
        AuditLog.entity_type == type(record).__tablename__,
        AuditLog.entity_id == record.id,
    )
    last_return = session.scalar(
        select(func.max(AuditLog.id)).where(*entity, AuditLog.action == "return")
    )
    if last_return is None:
        return None
    rows = session.scalars(
        select(AuditLog).where(*entity, AuditLog.id > last_return).order_by(AuditLog.id)
    )
    changes = merge_changes(rows, dict(labels or {}))
    return [c for c in changes if c.field not in _NOT_CONTENT]
