"""Demand services: visibility with confidentiality, listing, create/edit and review."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, String, cast, func, or_, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.chains.models import IndustryChain
from silian.core import audit, workflow
from silian.core.concurrency import check_version, saving, touch
from silian.core.errors import NotFound, PermissionDenied, ValidationFailed
from silian.core.pagination import Page, paginate
from silian.core.permissions import can, denied, require, sees_everything, visible_where
from silian.core.transactions import commit
from silian.core.validation import parse
from silian.demands.models import Demand
from silian.demands.schemas import DemandIn
from silian.organizations.models import Organization

KIND = "demand"
PUBLIC_STATUSES = ("published", "closed", "awarded")
# Fields hidden from outsiders when a demand is not fully public.
CONFIDENTIAL_FIELDS = (
    "problem",
    "background",
    "current_solutions",
    "wanted_outcome",
    "indicators_must",
    "indicators_nice",
    "ip_terms",
    "eligibility",
    "contact_name",
    "contact_phone",
)


@dataclass
class DemandFilters:
    """List filters from the query string or API parameters."""

    q: str = ""
    chain_id: int | None = None
    list_type: str = ""
    status: str = ""
    organization_id: int | None = None
    mine: bool = False


def can_view(user: User | None, item: Demand) -> bool:
    """Published demands are listed publicly; others per the table (offices, the owning unit)."""
    return item.status in PUBLIC_STATUSES or can(user, "demand.view_unpublished", item)


def details_visible(user: User | None, item: Demand) -> bool:
    """Whether user may read the full text, not just the public summary."""
    if item.confidentiality == "public":
        return can_view(user, item)
    return can(user, "demand.view_confidential", item)


def can_edit(user: User | None, item: Demand) -> bool:
    """Who may edit comes from the table; owners edit drafts, returned and published demands,
    those who may edit any demand edit anything still open."""
    if item.status in ("withdrawn", "awarded") or not can(user, "demand.edit", item):
        return False
    return item.status in ("draft", "returned", "published") or sees_everything(user, "demand.edit")


def sees_all_edits(user: User | None) -> bool:
    """Whether user enters demands for any unit (and so picks the unit on the form)."""
    return can(user, "record.enter_for_any_unit")


def visible_query(user: User | None) -> Select[Demand]:
    """The one query of demands user may see: every row, or public plus their own."""
    public = Demand.status.in_(PUBLIC_STATUSES)
    return select(Demand).where(visible_where(user, "demand.view_unpublished", Demand, public))


def list_demands(
    session: Session, user: User | None, filters: DemandFilters, page: int, per_page: int
) -> Page[Demand]:
    """Filtered, paginated demands the user may see, newest first."""
    stmt = visible_query(user)
    if filters.q:
        like = f"%{filters.q.strip().lower()}%"
        # Confidential text is not searchable by outsiders: search title, summary, keywords,
        # and the full problem only where it is public.
        stmt = stmt.where(
            or_(
                func.lower(Demand.title).like(like),
                func.lower(Demand.public_summary).like(like),
                func.lower(cast(Demand.keywords, String)).like(like),
                (Demand.confidentiality == "public") & func.lower(Demand.problem).like(like),
            )
        )
    if filters.chain_id:
        stmt = stmt.where(Demand.chain_id == filters.chain_id)
    if filters.list_type:
        stmt = stmt.where(Demand.list_type == filters.list_type)
    if filters.status:
        stmt = stmt.where(Demand.status == filters.status)
    if filters.organization_id:
        stmt = stmt.where(Demand.organization_id == filters.organization_id)
    if filters.mine and user is not None:
        stmt = stmt.where(
            or_(Demand.organization_id == user.organization_id, Demand.created_by_id == user.id)
        )
    stmt = stmt.order_by(
        func.coalesce(Demand.published_at, Demand.updated_at).desc(), Demand.id.desc()
    )
    return paginate(session, stmt, page, per_page)


def get_demand(session: Session, user: User | None, demand_id: int) -> Demand:
    """One demand, or NotFound when missing or not visible to user."""
    item = session.get(Demand, demand_id)
    if item is None or not can_view(user, item):
        raise NotFound("需求不存在或无权查看")
    return item


def _resolve(session: Session, user: User, clean: DemandIn) -> dict[str, Any]:
    values = clean.model_dump()
    if sees_all_edits(user):
        if (
            clean.organization_id is None
            or session.get(Organization, clean.organization_id) is None
        ):
            raise ValidationFailed({"organization_id": "请选择发布单位"})
    else:
        if user.organization_id is None:
            raise PermissionDenied("您的账号未关联企业，不能发布需求")
        values["organization_id"] = user.organization_id
    if clean.list_type == "government" and not can(user, "demand.create_government_list"):
        raise ValidationFailed({"list_type": "政府榜由政府部门发布"})
    if clean.chain_id is not None and session.get(IndustryChain, clean.chain_id) is None:
        raise ValidationFailed({"chain_id": "产业链不存在"})
    if not values["public_summary"]:
        values["public_summary"] = clean.problem[:120]
    return values


def create_demand(session: Session, user: User, data: dict[str, Any]) -> Demand:
    """Create a draft demand for the user's enterprise; writes the audit log and commits."""
    item = _create(session, user, data)
    commit(session)
    return item


def create_and_submit_demand(session: Session, user: User, data: dict[str, Any]) -> Demand:
    """Create a demand and submit it for review in one transaction (two audit rows)."""
    item = _create(session, user, data)
    workflow.apply(session, user, item, "submit", noun="需求", kind=KIND)
    commit(session)
    return item


def _create(session: Session, user: User, data: dict[str, Any]) -> Demand:
    require(user, "demand.create")
    values = _resolve(session, user, parse(DemandIn, data))
    item = Demand(**values, created_by_id=user.id, status="draft")
    session.add(item)
    audit.record(
        session,
        actor=user,
        action="create",
        entity=item,
        changes={k: [None, v] for k, v in audit.snapshot(item).items() if v not in (None, "", [])},
        summary=f"创建需求：{item.title}",
    )
    return item


def update_demand(
    session: Session,
    user: User,
    demand_id: int,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Demand:
    """Edit a demand loaded at expected_version (StaleEdit if it changed since); a published
    one edited by its owner goes back to review. Every field is written in one UPDATE guarded
    by the version, so two concurrent edits never mix."""
    item = _update(session, user, demand_id, data, expected_version)
    commit(session)
    return item


def update_and_submit_demand(
    session: Session,
    user: User,
    demand_id: int,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Demand:
    """Save a returned (or draft) demand's edits and submit it for review again, in one
    transaction (an update and a submit audit row): 保存并重新提交."""
    item = _update(session, user, demand_id, data, expected_version)
    with saving(session):
        workflow.apply(session, user, item, "submit", noun="需求", kind=KIND)
        commit(session)
    return item


def _update(
    session: Session,
    user: User,
    demand_id: int,
    data: dict[str, Any],
    expected_version: int | None,
) -> Demand:
    item = get_demand(session, user, demand_id)
    if not can_edit(user, item):
        raise denied("demand.edit")
    values = _resolve(session, user, parse(DemandIn, data))
    check_version(item, expected_version)
    if not sees_all_edits(user):
        values["organization_id"] = item.organization_id
    with saving(session):
        before = audit.snapshot(item)
        for key, value in values.items():
            setattr(item, key, value)
        touch(item)
        if item.status == "published" and not can(user, "demand.review"):
            item.status = "submitted"
        session.flush()
        audit.record(
            session,
            actor=user,
            action="update",
            entity=item,
            changes=audit.diff(before, audit.snapshot(item)),
            summary=f"修改需求：{item.title}",
        )
    return item


def change_status(
    session: Session, user: User, demand_id: int, action: str, remarks: str = ""
) -> Demand:
    """Submit, approve, return or withdraw a demand; commits."""
    item = get_demand(session, user, demand_id)
    with saving(session):
        workflow.apply(session, user, item, action, remarks, noun="需求", kind=KIND)
        commit(session)
    return item


def to_public_dict(user: User | None, item: Demand) -> dict[str, Any]:
    """Demand fields for display or the API, with confidential details masked."""
    visible = details_visible(user, item)
    data: dict[str, Any] = {c.key: getattr(item, c.key) for c in Demand.__mapper__.column_attrs}
    data["organization_name"] = item.organization.name
    data["details_visible"] = visible
    if not visible:
        for key in CONFIDENTIAL_FIELDS:
            data[key] = None
    if not can(user, "demand.view_remarks", item):
        data["review_remarks"] = None
    return data
