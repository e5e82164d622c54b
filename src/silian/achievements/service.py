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
from silian.core.concurrency import check_version, saving, touch
from silian.core.errors import NotFound, PermissionDenied, ValidationFailed
from silian.core.pagination import Page, paginate
from silian.core.permissions import can, denied, require, sees_everything, visible_where
from silian.core.transactions import commit
from silian.core.validation import parse
from silian.organizations.models import Organization

KIND = "achievement"
PUBLIC_STATUSES = ("published",)


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
    """Published achievements are public; others per the table (offices, the owning unit)."""
    return item.status in PUBLIC_STATUSES or can(user, "achievement.view_unpublished", item)


def can_edit(user: User | None, item: Achievement) -> bool:
    """Who may edit comes from the table; owners edit drafts, returned and published items,
    those who may edit any achievement edit anything not withdrawn."""
    if item.status == "withdrawn" or not can(user, "achievement.edit", item):
        return False
    return item.status in ("draft", "returned", "published") or sees_everything(
        user, "achievement.edit"
    )


def sees_all_edits(user: User | None) -> bool:
    """Whether user edits achievements of every unit (and so picks the unit on the form)."""
    return can(user, "record.enter_for_any_unit")


def visible_query(user: User | None) -> Select[Achievement]:
    """The one query of achievements user may see: every row, or public plus their own."""
    public = Achievement.status.in_(PUBLIC_STATUSES)
    return select(Achievement).where(
        visible_where(user, "achievement.view_unpublished", Achievement, public)
    )


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
    if can(user, "record.enter_for_any_unit"):
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
    """Create a draft achievement for the user's unit; writes the audit log and commits."""
    item = _create(session, user, data)
    commit(session)
    return item


def create_and_submit_achievement(
    session: Session, user: User, data: dict[str, Any]
) -> Achievement:
    """Create an achievement and submit it for review in one transaction (two audit rows)."""
    item = _create(session, user, data)
    workflow.apply(session, user, item, "submit", noun="成果", kind=KIND)
    commit(session)
    return item


def _create(session: Session, user: User, data: dict[str, Any]) -> Achievement:
    require(user, "achievement.create")
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
    session: Session,
    user: User,
    achievement_id: int,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Achievement:
    """Edit an achievement loaded at expected_version (StaleEdit if it changed since); a
    published one edited by its owner goes back to review. Every field is written in one
    UPDATE guarded by the version."""
    item = _update(session, user, achievement_id, data, expected_version)
    commit(session)
    return item


def update_and_submit_achievement(
    session: Session,
    user: User,
    achievement_id: int,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Achievement:
    """Save a returned (or draft) achievement's edits and submit it for review again, in one
    transaction (an update and a submit audit row): 保存并重新提交."""
    item = _update(session, user, achievement_id, data, expected_version)
    with saving(session):
        workflow.apply(session, user, item, "submit", noun="成果", kind=KIND)
        commit(session)
    return item


def _update(
    session: Session,
    user: User,
    achievement_id: int,
    data: dict[str, Any],
    expected_version: int | None,
) -> Achievement:
    item = get_achievement(session, user, achievement_id)
    if not can_edit(user, item):
        raise denied("achievement.edit")
    values = _resolve(session, user, parse(AchievementIn, data))
    check_version(item, expected_version)
    if not sees_all_edits(user):
        values["organization_id"] = item.organization_id
    values["inventors"] = _keep_shares(item.inventors, values["inventors"])
    with saving(session):
        before = audit.snapshot(item)
        for key, value in values.items():
            setattr(item, key, value)
        touch(item)
        if item.status == "published" and not can(user, "achievement.review"):
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


def _keep_shares(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """new, where a person still named keeps the share recorded before (forms and sheets
    write names and units only, so an edit must not erase the shares)."""
    shares = {p.get("name"): p["share"] for p in old or [] if "share" in p}
    return [
        {**p, "share": shares[p["name"]]} if "share" not in p and p["name"] in shares else p
        for p in new
    ]


def change_status(
    session: Session, user: User, achievement_id: int, action: str, remarks: str = ""
) -> Achievement:
    """Submit, approve, return or withdraw an achievement; commits."""
    item = get_achievement(session, user, achievement_id)
    with saving(session):
        workflow.apply(session, user, item, action, remarks, noun="成果", kind=KIND)
        commit(session)
    return item
