"""Organisation services: directory listing and unit profiles that never leak drafts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements import service as achievements
from silian.achievements.models import Achievement
from silian.core.errors import NotFound
from silian.core.pagination import Page, paginate
from silian.core.permissions import can, visible_where
from silian.demands import service as demands
from silian.demands.models import Demand
from silian.education.models import Consortium, IndustryCollege, NamedClass, TrainingBase
from silian.organizations.models import Organization, organization_chains
from silian.platforms.models import Platform
from silian.talent import service as talent
from silian.talent.models import Talent, TalentNeed, TalentProject

PROFILE_LIMIT = 20


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


@dataclass
class OrgProfile:
    """What a unit's profile page shows, already filtered for the viewer."""

    organization: Organization
    achievements: list[Achievement] = field(default_factory=list)
    demands: list[Demand] = field(default_factory=list)
    talents: list[Talent] = field(default_factory=list)
    platforms: list[Platform] = field(default_factory=list)
    talent_needs: list[TalentNeed] = field(default_factory=list)
    talent_projects: list[TalentProject] = field(default_factory=list)
    named_classes: list[NamedClass] = field(default_factory=list)
    training_bases: list[TrainingBase] = field(default_factory=list)
    colleges: list[IndustryCollege] = field(default_factory=list)
    consortia: list[Consortium] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _count(session: Session, stmt: Any) -> int:
    return int(
        session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    )


def profile(session: Session, user: User | None, org: Organization) -> OrgProfile:
    """Unit profile: its listings the viewer may see (drafts only for members and offices)."""
    out = OrgProfile(organization=org)
    ach = achievements.visible_query(user).where(Achievement.organization_id == org.id)
    dem = demands.visible_query(user).where(Demand.organization_id == org.id)
    tal = talent.visible_query(user).where(Talent.organization_id == org.id)
    plat = select(Platform).where(Platform.organization_id == org.id)
    needs = select(TalentNeed).where(TalentNeed.organization_id == org.id)
    out.counts = {
        "achievements": _count(session, ach),
        "demands": _count(session, dem),
        "talents": _count(session, tal),
        "platforms": _count(session, plat),
        "talent_needs": _count(session, needs.where(TalentNeed.status == "open")),
    }
    newest_ach = Achievement.updated_at.desc(), Achievement.id.desc()
    out.achievements = list(session.scalars(ach.order_by(*newest_ach).limit(PROFILE_LIMIT)))
    out.demands = list(
        session.scalars(dem.order_by(Demand.updated_at.desc(), Demand.id.desc()).limit(20))
    )
    out.talents = list(
        session.scalars(
            tal.order_by(Talent.grade.is_(None), Talent.grade, Talent.name).limit(PROFILE_LIMIT)
        )
    )
    out.platforms = list(session.scalars(plat.order_by(Platform.name)))
    out.talent_needs = list(
        session.scalars(
            needs.order_by(TalentNeed.status.desc(), TalentNeed.updated_at.desc()).limit(20)
        )
    )
    if can(user, "talent_project.view", org):
        out.talent_projects = list(
            session.scalars(
                select(TalentProject)
                .where(TalentProject.organization_id == org.id)
                .order_by(TalentProject.year.desc())
            )
        )
    out.named_classes = list(
        session.scalars(
            select(NamedClass)
            .where(or_(NamedClass.university_id == org.id, NamedClass.enterprise_id == org.id))
            .order_by(NamedClass.graduation_year.desc(), NamedClass.name)
        )
    )
    out.training_bases = list(
        session.scalars(select(TrainingBase).where(TrainingBase.organization_id == org.id))
    )
    out.colleges = list(
        session.scalars(select(IndustryCollege).where(IndustryCollege.university_id == org.id))
    )
    out.consortia = list(
        session.scalars(
            select(Consortium)
            .where(
                or_(
                    Consortium.lead_organization_id == org.id,
                    Consortium.members.any(Organization.id == org.id),
                )
            )
            .order_by(Consortium.name)
        )
    )
    return out


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
