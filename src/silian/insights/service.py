"""Cross-feature views: city counts, the chain overview, each chain's map and unit profiles.

Aggregates read records only through each feature's `visible_query(user)`, so a status or
consent rule lives in one place. Every count shown on more than one page comes from one function
here: `city_counts` (home page and chain overview), `chain_counts` (chain cards, the chain map
and the home page's chain list).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements import service as achievements
from silian.achievements.models import Achievement
from silian.brokerage.models import Broker, BrokerTraining, Contract, Deal
from silian.chains import service as chains
from silian.chains.models import IndustryChain
from silian.coordination.models import InvestmentProject
from silian.demands import service as demands
from silian.demands.models import Demand
from silian.education import service as education
from silian.education.models import Consortium, IndustryCollege, NamedClass, TrainingBase
from silian.organizations import service as organizations
from silian.organizations.models import Organization
from silian.platforms import service as platforms
from silian.platforms.models import Platform
from silian.talent import service as talent
from silian.talent.models import SalaryGradeRule, Talent, TalentNeed, TalentProject

COUNT_KEYS = ("achievements", "demands", "enterprises", "platforms", "talents")
MAP_LIMIT = 12
PROFILE_LIMIT = 20
HOME_LIMIT = 8
# Listings on the chain pages and the home page are counted as the public sees them, whoever
# looks, so a signed-in office and a visitor read the same 已发布成果 on every page.
PUBLIC: User | None = None


def count(session: Session, stmt: Select[Any]) -> int:
    """Number of rows a select returns."""
    return int(
        session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    )


# --- city counts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CityCounts:
    """The city's headline counts, each defined once."""

    achievements: int
    published_achievements: int
    enterprises: int
    published_demands: int
    awarded_demands: int
    platforms: int
    deals: int
    contract_value: Decimal
    brokers: int
    certificates: int


def published_achievements() -> Select[Achievement]:
    """Achievements anyone may see: the 已发布成果 of every page."""
    return achievements.visible_query(PUBLIC)


def published_demands() -> Select[Demand]:
    """Demand lists anyone may see: the 发布榜单 of every page."""
    return demands.visible_query(PUBLIC)


def active_enterprises() -> Select[Organization]:
    """Enterprises anyone may see in the directory: the 入驻企业 of the home page."""
    return organizations.visible_query(PUBLIC).where(Organization.kind == "enterprise")


def city_counts(session: Session) -> CityCounts:
    """Counts the home page and the chain overview show for the whole city."""
    contract_value = session.scalar(select(func.coalesce(func.sum(Contract.amount), 0))) or 0
    certificates = session.scalar(
        select(func.coalesce(func.sum(BrokerTraining.certificates_issued), 0))
    )
    return CityCounts(
        achievements=count(session, select(Achievement.id)),
        published_achievements=count(session, published_achievements()),
        enterprises=count(session, active_enterprises()),
        published_demands=count(session, published_demands()),
        awarded_demands=count(session, published_demands().where(Demand.status == "awarded")),
        platforms=count(session, platforms.visible_query(PUBLIC)),
        deals=count(session, select(Deal.id)),
        contract_value=Decimal(contract_value),
        brokers=count(session, select(Broker.id)),
        certificates=int(certificates or 0),
    )


def headline_figures(counts: CityCounts) -> list[tuple[str, str, str]]:
    """The home page's headline figures as (label, value, unit)."""
    return [
        ("成果入库", f"{counts.achievements:,}", "项"),
        ("已发布成果", f"{counts.published_achievements:,}", "项"),
        ("入驻企业", f"{counts.enterprises:,}", "家"),
        ("发布榜单", f"{counts.published_demands:,}", "项"),
        ("揭榜成功", f"{counts.awarded_demands:,}", "项"),
        ("对接项目", f"{counts.deals:,}", "项"),
        ("技术合同额", f"{float(counts.contract_value) / 10000:,.0f}", "万元"),
        ("技术经纪人", f"{counts.brokers:,}", "名"),
        ("培训发证", f"{counts.certificates:,}", "人次"),
    ]


# --- counts per chain ------------------------------------------------------------------------


def _per_chain(session: Session, stmt: Select[Any], column: Any) -> dict[int, int]:
    rows = session.execute(
        stmt.with_only_columns(column, func.count())
        .where(column.is_not(None))
        .group_by(column)
        .order_by(None)
    )
    return {int(k): int(v) for k, v in rows}


def _chain_talents(
    session: Session, user: User | None, chain_list: list[IndustryChain]
) -> dict[int, list[int]]:
    orgs = chains.chain_org_ids(session, [c.id for c in chain_list])
    return talent.chain_talent_ids(session, user, chain_list, orgs)


def chain_counts(
    session: Session, user: User | None, chain_list: list[IndustryChain]
) -> dict[int, dict[str, int]]:
    """Counts on each chain's card and map: public listings, active enterprises, talents.

    Talents follow the viewer's consent rule (offices also count profiles that are not public).
    """
    ach = _per_chain(session, published_achievements(), Achievement.chain_id)
    dem = _per_chain(session, published_demands(), Demand.chain_id)
    plat = _per_chain(session, platforms.visible_query(PUBLIC), Platform.chain_id)
    enterprise_ids = set(session.scalars(active_enterprises().with_only_columns(Organization.id)))
    orgs = chains.chain_org_ids(session, [c.id for c in chain_list])
    talents = _chain_talents(session, user, chain_list)
    return {
        c.id: {
            "achievements": ach.get(c.id, 0),
            "demands": dem.get(c.id, 0),
            "enterprises": len(orgs.get(c.id, set()) & enterprise_ids),
            "platforms": plat.get(c.id, 0),
            "talents": len(talents.get(c.id, [])),
        }
        for c in chain_list
    }


@dataclass
class ChainRow:
    """One chain with its counts."""

    chain: IndustryChain
    counts: dict[str, int]


@dataclass
class ChainOverview:
    """The chain overview: one row per visible chain, city totals, and what no chain holds."""

    rows: list[ChainRow]
    totals: dict[str, int]
    unassigned: dict[str, int]


def list_chains(session: Session, user: User | None) -> list[ChainRow]:
    """Every chain the user may see, with its counts."""
    chain_list = list(session.scalars(chains.visible_query(user)))
    counts = chain_counts(session, user, chain_list)
    return [ChainRow(chain=c, counts=counts[c.id]) for c in chain_list]


def _distinct(groups: Iterable[Iterable[int]]) -> int:
    seen: set[int] = set()
    for ids in groups:
        seen.update(ids)
    return len(seen)


def chain_overview(session: Session, user: User | None) -> ChainOverview:
    """The chain overview page: rows per chain, and totals that agree with the home page.

    Achievements, demands and platforms belong to at most one chain, so the city total is the
    rows' sum plus `unassigned` (no chain, or a chain this viewer does not see). Enterprises and
    talents may sit on several chains, so their totals count each one once.
    """
    rows = list_chains(session, user)
    city = city_counts(session)
    chain_list = [r.chain for r in rows]
    orgs = chains.chain_org_ids(session, [c.id for c in chain_list])
    enterprise_ids = set(session.scalars(active_enterprises().with_only_columns(Organization.id)))
    talents = _chain_talents(session, user, chain_list)
    totals = {
        "achievements": city.published_achievements,
        "demands": city.published_demands,
        "platforms": city.platforms,
        "enterprises": _distinct(ids & enterprise_ids for ids in orgs.values()),
        "talents": _distinct(talents.values()),
    }
    unassigned = {
        key: totals[key] - sum(r.counts[key] for r in rows)
        for key in ("achievements", "demands", "platforms")
    }
    return ChainOverview(rows=rows, totals=totals, unassigned=unassigned)


def chain_to_dict(chain: IndustryChain, counts: dict[str, int]) -> dict[str, Any]:
    """Chain fields plus counts, for the API."""
    data: dict[str, Any] = {
        c.key: getattr(chain, c.key) for c in IndustryChain.__mapper__.column_attrs
    }
    data["counts"] = counts
    return data


# --- the chain map ---------------------------------------------------------------------------


@dataclass
class ChainMap:
    """Everything the chain map page shows for one chain, filtered for the viewer."""

    chain: IndustryChain
    counts: dict[str, int] = field(default_factory=dict)
    leaders: list[Organization] = field(default_factory=list)
    enterprises: list[Organization] = field(default_factory=list)
    research_units: list[Organization] = field(default_factory=list)
    achievements: list[Achievement] = field(default_factory=list)
    demands: list[Demand] = field(default_factory=list)
    platforms: list[Platform] = field(default_factory=list)
    talents: list[Talent] = field(default_factory=list)
    talent_needs: list[TalentNeed] = field(default_factory=list)
    talent_projects: list[TalentProject] = field(default_factory=list)
    salary_rules: list[SalaryGradeRule] = field(default_factory=list)
    named_classes: list[NamedClass] = field(default_factory=list)
    colleges: list[IndustryCollege] = field(default_factory=list)
    training_bases: list[TrainingBase] = field(default_factory=list)
    consortia: list[Consortium] = field(default_factory=list)
    investment_projects: list[InvestmentProject] = field(default_factory=list)


def chain_map(session: Session, user: User | None, chain: IndustryChain) -> ChainMap:
    """The four chains around one industry chain: units, innovation, talent and education."""
    out = ChainMap(chain=chain)
    org_ids = chains.chain_org_ids(session, [chain.id]).get(chain.id, set())
    orgs = list(
        session.scalars(
            organizations.visible_query(PUBLIC)
            .where(Organization.id.in_(org_ids))
            .order_by(Organization.name)
        )
    )
    out.leaders = [o for o in orgs if o.is_chain_leader]
    out.enterprises = [o for o in orgs if o.kind == "enterprise" and not o.is_chain_leader]
    out.research_units = [o for o in orgs if o.kind in ("university", "institute")]

    ach = published_achievements().where(Achievement.chain_id == chain.id)
    dem = published_demands().where(Demand.chain_id == chain.id)
    plat = platforms.visible_query(PUBLIC).where(Platform.chain_id == chain.id)
    needs = talent.open_needs().where(TalentNeed.chain_id == chain.id)
    talent_ids = _chain_talents(session, user, [chain])[chain.id]
    classes = education.visible_query(user).where(education.class_in_chain(chain.id))
    out.counts = chain_counts(session, user, [chain])[chain.id] | {
        "talent_needs": count(session, needs),
        "named_classes": count(session, classes),
    }
    out.achievements = list(
        session.scalars(
            ach.order_by(Achievement.published_at.desc(), Achievement.id.desc()).limit(MAP_LIMIT)
        )
    )
    out.demands = list(
        session.scalars(dem.order_by(Demand.published_at.desc(), Demand.id.desc()).limit(MAP_LIMIT))
    )
    out.platforms = list(session.scalars(plat.order_by(Platform.name)))
    out.talents = list(
        session.scalars(
            select(Talent)
            .where(Talent.id.in_(talent_ids[:MAP_LIMIT]))
            .order_by(Talent.grade.is_(None), Talent.grade, Talent.name)
        )
    )
    out.talent_needs = list(
        session.scalars(needs.order_by(TalentNeed.updated_at.desc()).limit(MAP_LIMIT))
    )
    if user is not None:
        out.salary_rules = list(
            session.scalars(
                select(SalaryGradeRule)
                .where(SalaryGradeRule.chain_id == chain.id)
                .order_by(SalaryGradeRule.grade)
            )
        )
    out.talent_projects = list(
        session.scalars(
            talent.visible_projects(user)
            .where(TalentProject.chain_id == chain.id)
            .order_by(TalentProject.year.desc(), TalentProject.name)
        )
    )
    out.named_classes = list(
        session.scalars(classes.order_by(NamedClass.graduation_year.desc()).limit(MAP_LIMIT))
    )
    out.colleges = list(
        session.scalars(select(IndustryCollege).where(IndustryCollege.chain_id == chain.id))
    )
    out.training_bases = list(
        session.scalars(select(TrainingBase).where(TrainingBase.chain_id == chain.id))
    )
    out.consortia = list(session.scalars(select(Consortium).where(Consortium.chain_id == chain.id)))
    out.investment_projects = list(
        session.scalars(
            select(InvestmentProject)
            .where(InvestmentProject.chain_id == chain.id)
            .order_by(InvestmentProject.opening_date.desc())
            .limit(MAP_LIMIT)
        )
    )
    return out


# --- a unit's profile ------------------------------------------------------------------------


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


def profile(session: Session, user: User | None, org: Organization) -> OrgProfile:
    """Unit profile: its listings the viewer may see (drafts only for members and offices)."""
    out = OrgProfile(organization=org)
    ach = achievements.visible_query(user).where(Achievement.organization_id == org.id)
    dem = demands.visible_query(user).where(Demand.organization_id == org.id)
    tal = talent.visible_query(user).where(Talent.organization_id == org.id)
    plat = platforms.visible_query(user).where(Platform.organization_id == org.id)
    needs = talent.visible_needs(user).where(TalentNeed.organization_id == org.id)
    out.counts = {
        "achievements": count(session, ach),
        "demands": count(session, dem),
        "talents": count(session, tal),
        "platforms": count(session, plat),
        "talent_needs": count(
            session, talent.open_needs().where(TalentNeed.organization_id == org.id)
        ),
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
    out.talent_projects = list(
        session.scalars(
            talent.visible_projects(user)
            .where(TalentProject.organization_id == org.id)
            .order_by(TalentProject.year.desc())
        )
    )
    out.named_classes = list(
        session.scalars(
            education.visible_query(user)
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


# --- the home page ---------------------------------------------------------------------------


@dataclass
class HomeView:
    """What the home page shows: headline figures, newest listings, chains with counts."""

    figures: list[tuple[str, str, str]]
    achievements: list[Achievement]
    demands: list[Demand]
    chains: list[ChainRow]


def home(session: Session, user: User | None) -> HomeView:
    """The home page: city figures, the newest public listings and the chains with counts."""
    newest_achievements = published_achievements().order_by(
        Achievement.published_at.desc(), Achievement.id.desc()
    )
    # The newest lists that are still open: closed and awarded ones count but are not listed.
    newest_demands = (
        published_demands()
        .where(Demand.status == "published")
        .order_by(Demand.published_at.desc(), Demand.id.desc())
    )
    return HomeView(
        figures=headline_figures(city_counts(session)),
        achievements=list(session.scalars(newest_achievements.limit(HOME_LIMIT))),
        demands=list(session.scalars(newest_demands.limit(HOME_LIMIT))),
        chains=list_chains(session, user),
    )
