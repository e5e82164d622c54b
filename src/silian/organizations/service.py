"""Organisation services: the unit directory and which units a user may see.

A unit's profile, with counts across features, is an aggregate view in `silian.insights`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.core.errors import NotFound
from silian.core.pagination import Page, paginate
from silian.core.permissions import can, visible_where
from silian.organizations.models import Organization, organization_chains


@dataclass
class OrgFilters:
    """Directory filters from the query string or API parameters."""

    q: str = ""
    kind: str = ""
    chain_id: int | None = None
    leaders_only: bool = False


def is_member(user: User | None, org: Organization) -> bool:
    """Whether user belongs to org."""
    return user is not None and user.organization_id is not None and user.organization_id == org.id


def can_view(user: User | None, org: Organization) -> bool:
    """Active units are public; deactivated ones per the table (offices, their own members)."""
    return bool(org.is_active) or can(user, "organization.view_inactive", org)


def visible_query(user: User | None) -> Select[Organization]:
    """The one query of units user may see: active ones, plus (per the table) deactivated ones
    for offices and the unit's own members."""
    active = Organization.is_active.is_(True)
    return select(Organization).where(
        visible_where(user, "organization.view_inactive", Organization, active)
    )


def list_organizations(
    session: Session, user: User | None, filters: OrgFilters, page: int, per_page: int
) -> Page[Organization]:
    """Filtered, paginated unit directory; chain leaders first, then by name."""
    stmt = visible_query(user)
    if filters.q:
        like = f"%{filters.q.strip().lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Organization.name).like(like),
                func.lower(Organization.description).like(like),
            )
        )
    if filters.kind:
        stmt = stmt.where(Organization.kind == filters.kind)
    if filters.chain_id:
        stmt = stmt.where(
            Organization.id.in_(
                select(organization_chains.c.organization_id).where(
                    organization_chains.c.chain_id == filters.chain_id
                )
            )
        )
    if filters.leaders_only:
        stmt = stmt.where(Organization.is_chain_leader.is_(True))
    stmt = stmt.order_by(Organization.is_chain_leader.desc(), Organization.name, Organization.id)
    return paginate(session, stmt, page, per_page)


def get_organization(session: Session, user: User | None, org_id: int) -> Organization:
    """One unit, or NotFound when missing or not visible to user."""
    org = session.get(Organization, org_id)
    if org is None or not can_view(user, org):
        raise NotFound("单位不存在或无权查看")
    return org


def to_public_dict(user: User | None, org: Organization) -> dict[str, Any]:
    """Unit fields for display or the API; contacts only for signed-in users."""
    data: dict[str, Any] = {
        c.key: getattr(org, c.key) for c in Organization.__mapper__.column_attrs
    }
    data["kind_label"] = org.kind_label
    data["chain_ids"] = [c.id for c in org.chains]
    data["chain_names"] = [c.name for c in org.chains]
    data["partner_ids"] = [p.id for p in org.co_built_with]
    if user is None:
        data["contact_name"] = None
        data["contact_phone"] = None
    return data
