"""The review workflow shared by listings: draft → submitted → published, or returned."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from silian.core import audit
from silian.core.actors import Actor
from silian.core.db import utcnow
from silian.core.errors import InvalidTransition, PermissionDenied, ValidationFailed


@dataclass(frozen=True)
class Transition:
    """One allowed status change: from which statuses, to which, who may do it."""

    sources: frozenset[str]
    target: str
    label: str
    office_only: bool = False
    needs_remarks: bool = False


TRANSITIONS: dict[str, Transition] = {
    "submit": Transition(frozenset({"draft", "returned"}), "submitted", "提交审核"),
    "approve": Transition(frozenset({"submitted"}), "published", "审核通过", office_only=True),
    "return": Transition(
        frozenset({"submitted"}), "returned", "退回修改", office_only=True, needs_remarks=True
    ),
    "withdraw": Transition(
        frozenset({"draft", "submitted", "returned", "published"}), "withdrawn", "撤回"
    ),
}


def owns(user: Actor | None, record: Any) -> bool:
    """True when user belongs to the record's organisation or created it."""
    if user is None:
        return False
    if user.organization_id is not None and user.organization_id == record.organization_id:
        return True
    return user.id is not None and user.id == getattr(record, "created_by_id", None)


def allowed_actions(user: Actor | None, record: Any) -> list[str]:
    """Workflow actions user may take on record now (for showing buttons)."""
    out = []
    for name, tr in TRANSITIONS.items():
        if record.status not in tr.sources or user is None:
            continue
        if tr.office_only and user.role != "office":
            continue
        if not tr.office_only and not (owns(user, record) or user.role == "office"):
            continue
        out.append(name)
    return out


def apply(
    session: Session, actor: Actor, record: Any, action: str, remarks: str = "", noun: str = ""
) -> None:
    """Move record through the workflow, checking rights, and write the audit row."""
    tr = TRANSITIONS.get(action)
    if tr is None:
        raise InvalidTransition(f"未知操作：{action}")
    if tr.office_only and actor.role != "office":
        raise PermissionDenied("只有政府部门可以审核")
    if not tr.office_only and not (owns(actor, record) or actor.role == "office"):
        raise PermissionDenied("只有发布单位可以执行此操作")
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
