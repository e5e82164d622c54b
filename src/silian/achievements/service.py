"""Achievement services: visibility, listing, create/edit and the review workflow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, String, cast, func, or_, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.achievements.schemas import AchievementIn
from silian.chains.models import IndustryChain
from silian.core import audit, workflow
from silian.core.errors import NotFound, PermissionDenied, ValidationFailed
from silian.core.pagination import Page, paginate
from silian.core.validation import parse
from silian.organizations.models import Organization

# Roles that may publish achievements (offices enter them on a unit's behalf).
PUBLISHER_ROLES = {"university", "expert", "office", "platform"}


@dataclass
class AchievementFilters:
    """List filters from the query string or API parameters."""

    q: str = ""
    chain_id: int | None = None
    discipline: str = ""
    trl_min: int | None = None
    trl_max: int | None = None
    transfer_mode: str = ""
    status: str = ""
    organization_id: int | None = None
    mine: bool = False


def can_view(user: User | None, item: Achievement) -> bool:
    """Published achievements are public; others only for their unit and the offices."""
    if item.status == "published":
        return True
    if user is None:
        return False
    return user.role == "office" or workflow.owns(user, item)


def can_edit(user: User | None, item: Achievement) -> bool:
    """Owners edit drafts and returned items; offices may edit anything not withdrawn."""
    if user is None or item.status == "withdrawn":
        return False
    if user.role == "office":
        return True
    return workflow.owns(user, item) and item.status in ("draft", "returned", "published")


def visible_query(user: User | None) -> Select[Achievement]:
    """Select of achievements user may see."""
    stmt = select(Achievement)
    if user is None:
        return stmt.where(Achievement.status == "published")
    if user.role == "office":
        return stmt
    own = [Achievement.created_by_id == user.id]
    if user.organization_id is not None:
        own.append(Achievement.organization_id == user.organization_id)
    return stmt.where(or_(Achievement.status == "published", *own))


def list_achievements(
    session: Session, user: User | None, filters: AchievementFilters, page: int, per_page: int
) -> Page[Achievement]:
    """Filtered, paginated achievements the user may see, newest first."""
    stmt = visible_query(user)
    if filters.q:
        like = f"%{filters.q.strip().lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Achievement.title).like(like),
                func.lower(Achievement.summary).like(like),
                func.lower(cast(Achievement.keywords, String)).like(like),
            )
        )
    if filters.chain_id:
        stmt = stmt.where(Achievement.chain_id == filters.chain_id)
    if filters.discipline:
        stmt = stmt.where(Achievement.discipline == filters.discipline)
    if filters.trl_min:
        stmt = stmt.where(Achievement.trl >= filters.trl_min)
    if filters.trl_max:
        stmt = stmt.where(Achievement.trl <= filters.trl_max)
    if filters.transfer_mode:
        stmt = stmt.where(
            cast(Achievement.transfer_modes, String).like(f'%"{filters.transfer_mode}"%')
        )
    if filters.status:
        stmt = stmt.where(Achievement.status == filters.status)
    if filters.organization_id:
        stmt = stmt.where(Achievement.organization_id == filters.organization_id)
    if filters.mine and user is not None:
        stmt = stmt.where(
            or_(
                Achievement.organization_id == user.organization_id,
                Achievement.created_by_id == user.id,
            )
        )
    stmt = stmt.order_by(
        func.coalesce(Achievement.published_at, Achievement.updated_at).desc(),
        Achievement.id.desc(),
    )
    return paginate(session, stmt, page, per_page)


def get_achievement(session: Session, user: User | None, achievement_id: int) -> Achievement:
    """One achievement, or NotFound when missing or not visible to user."""
    item = session.get(Achievement, achievement_id)
    if item is None or not can_view(user, item):
        raise NotFound("成果不存在或无权查看")
    return item


def _resolve(session: Session, user: User, clean: AchievementIn) -> dict[str, Any]:
    values = clean.model_dump()
    if user.role == "office":
        if (
            clean.organization_id is None
            or session.get(Organization, clean.organization_id) is None
        ):
            raise ValidationFailed({"organization_id": "请选择成果所属单位"})
    else:
        if user.organization_id is None:
            raise PermissionDenied("您的账号未关联单位，不能发布成果")
        values["organization_id"] = user.organization_id
    if clean.chain_id is not None and session.get(IndustryChain, clean.chain_id) is None:
        raise ValidationFailed({"chain_id": "产业链不存在"})
    return values


def create_achievement(session: Session, user: User, data: dict[str, Any]) -> Achievement:
    """Create a draft achievement for the user's unit; writes the audit log."""
    if user.role not in PUBLISHER_ROLES:
        raise PermissionDenied("您的角色不能发布成果")
    values = _resolve(session, user, parse(AchievementIn, data))
    item = Achievement(**values, created_by_id=user.id, status="draft")
    session.add(item)
    audit.record(
        session,
        actor=user,
        action="create",
        entity=item,
        changes={k: [None, v] for k, v in audit.snapshot(item).items() if v not in (None, "", [])},
        summary=f"创建成果：{item.title}",
    )
    return item


def update_achievement(
    session: Session, user: User, achievement_id: int, data: dict[str, Any]
) -> Achievement:
    """Edit an achievement; a published one edited by its owner goes back to review."""
    item = get_achievement(session, user, achievement_id)
    if not can_edit(user, item):
        raise PermissionDenied("您不能修改此成果")
    values = _resolve(session, user, parse(AchievementIn, data))
    if user.role != "office":
        values["organization_id"] = item.organization_id
    before = audit.snapshot(item)
    for key, value in values.items():
        setattr(item, key, value)
    if item.status == "published" and user.role != "office":
        # Changes to public content are reviewed again before they show.
        item.status = "submitted"
    session.flush()
    changes = audit.diff(before, audit.snapshot(item))
    audit.record(
        session,
        actor=user,
        action="update",
        entity=item,
        changes=changes,
        summary=f"修改成果：{item.title}",
    )
    return item


def change_status(
    session: Session, user: User, achievement_id: int, action: str, remarks: str = ""
) -> Achievement:
    """Submit, approve, return or withdraw an achievement."""
    item = get_achievement(session, user, achievement_id)
    workflow.apply(session, user, item, action, remarks, noun="成果")
    return item
