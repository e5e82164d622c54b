"""Chain services: the chain overview with counts and the chain map of one chain."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.chains.models import IndustryChain
from silian.coordination.models import InvestmentProject
from silian.core import audit
from silian.core.errors import NotFound
from silian.core.permissions import can, sees_everything, visible_where
from silian.demands.models import Demand
from silian.demands.service import PUBLIC_STATUSES as DEMAND_PUBLIC
from silian.education.models import Consortium, IndustryCollege, NamedClass, TrainingBase
from silian.organizations.models import Organization, organization_chains
from silian.platforms.models import Platform
from silian.reference.data import ChainConfig
from silian.talent import service as talent
from silian.talent.models import SalaryGradeRule, Talent, TalentNeed, TalentProject

COUNT_KEYS = ("achievements", "demands", "enterprises", "platforms", "talents")
MAP_LIMIT = 12


def visible_query(user: User | None) -> Select[IndustryChain]:
    """The one query of chains user may see: active ones, and per the table (offices) also
    deactivated ones."""
    active = IndustryChain.is_active.is_(True)
    stmt = select(IndustryChain).where(
        visible_where(user, "chain.view_inactive", IndustryChain, active)
    )
    return stmt.order_by(IndustryChain.sort_order, IndustryChain.id)


def chain_org_ids(session: Session, chain_ids: list[int] | None = None) -> dict[int, set[int]]:
    """Active organisation ids linked to each chain."""
    stmt = (
        select(organization_chains.c.chain_id, organization_chains.c.organization_id)
        .join(Organization, Organization.id == organization_chains.c.organization_id)
        .where(Organization.is_active.is_(True))
    )
    if chain_ids is not None:
        stmt = stmt.where(organization_chains.c.chain_id.in_(chain_ids))
    out: dict[int, set[int]] = defaultdict(set)
    for chain_id, org_id in session.execute(stmt):
        out[chain_id].add(org_id)
    return out


def _grouped(session: Session, column: Any, *where: Any) -> dict[int, int]:
    stmt = select(column, func.count()).where(column.is_not(None), *where).group_by(column)
    return {k: int(v) for k, v in session.execute(stmt)}


@dataclass
class ChainRow:
    """One chain with its public counts."""

    chain: IndustryChain
    counts: dict[str, int]


def list_chains(session: Session, user: User | None) -> list[ChainRow]:
    """Every chain the user may see, with counts of its published records."""
    chains = list(session.scalars(visible_query(user)))
    achievements = _grouped(session, Achievement.chain_id, Achievement.status == "published")
    demands = _grouped(session, Demand.chain_id, Demand.status.in_(DEMAND_PUBLIC))
    platforms = _grouped(session, Platform.chain_id)
    enterprises = _grouped(
        session,
        organization_chains.c.chain_id,
        organization_chains.c.organization_id.in_(
            select(Organization.id).where(
                Organization.kind == "enterprise", Organization.is_active.is_(True)
            )
        ),
    )
    orgs = chain_org_ids(session)
    talents = talent.chain_talent_ids(session, user, chains, orgs)
    return [
        ChainRow(
            chain=c,
            counts={
                "achievements": achievements.get(c.id, 0),
                "demands": demands.get(c.id, 0),
                "enterprises": enterprises.get(c.id, 0),
                "platforms": platforms.get(c.id, 0),
                "talents": len(talents.get(c.id, [])),
            },
        )
        for c in chains
    ]


def get_chain(session: Session, user: User | None, chain_id: int) -> IndustryChain:
    """One chain, or NotFound when missing or deactivated for a non-office user."""
    chain = session.get(IndustryChain, chain_id)
    if chain is None or not (chain.is_active or can(user, "chain.view_inactive")):
        raise NotFound("产业链不存在或已停用")
    return chain


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


def _count(session: Session, stmt: Any) -> int:
    return int(
        session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    )


def chain_map(session: Session, user: User | None, chain: IndustryChain) -> ChainMap:
    """The four chains around one industry chain: units, innovation, talent and education."""
    out = ChainMap(chain=chain)
    org_ids = chain_org_ids(session, [chain.id]).get(chain.id, set())
    orgs = list(
        session.scalars(
            select(Organization).where(Organization.id.in_(org_ids)).order_by(Organization.name)
        )
    )
    out.leaders = [o for o in orgs if o.is_chain_leader]
    out.enterprises = [o for o in orgs if o.kind == "enterprise" and not o.is_chain_leader]
    out.research_units = [o for o in orgs if o.kind in ("university", "institute")]

    ach = select(Achievement).where(
        Achievement.chain_id == chain.id, Achievement.status == "published"
    )
    dem = select(Demand).where(Demand.chain_id == chain.id, Demand.status.in_(DEMAND_PUBLIC))
    plat = select(Platform).where(Platform.chain_id == chain.id)
    needs = select(TalentNeed).where(TalentNeed.chain_id == chain.id, TalentNeed.status == "open")
    talent_ids = talent.chain_talent_ids(session, user, [chain], {chain.id: org_ids})[chain.id]
    classes = select(NamedClass).where(
        or_(
            NamedClass.enterprise_id.in_(org_ids),
            NamedClass.investment_project_id.in_(
                select(InvestmentProject.id).where(InvestmentProject.chain_id == chain.id)
            ),
        )
    )
    out.counts = {
        "achievements": _count(session, ach),
        "demands": _count(session, dem),
        "enterprises": sum(1 for o in orgs if o.kind == "enterprise"),
        "platforms": _count(session, plat),
        "talents": len(talent_ids),
        "talent_needs": _count(session, needs),
        "named_classes": _count(session, classes),
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
        if sees_everything(user, "talent_project.view"):
            out.talent_projects = list(
                session.scalars(
                    select(TalentProject)
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


def to_dict(chain: IndustryChain, counts: dict[str, int]) -> dict[str, Any]:
    """Chain fields plus counts, for the API."""
    data: dict[str, Any] = {
        c.key: getattr(chain, c.key) for c in IndustryChain.__mapper__.column_attrs
    }
    data["counts"] = counts
    return data


@dataclass
class SyncReport:
    """What a chain synchronisation changed."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    unchanged: int = 0


SYNC_FIELDS = ("name", "description", "keywords", "gbt_codes", "disciplines", "sort_order")


def sync_chains(session: Session, actor: User | None, configs: list[ChainConfig]) -> SyncReport:
    """Make the chain table match the configuration (by code), auditing every change.

    Chains missing from the configuration are deactivated, not deleted, so records that point
    at them keep their history.
    """
    report = SyncReport()
    existing = {c.code: c for c in session.scalars(select(IndustryChain))}
    for order, cfg in enumerate(configs, 1):
        values: dict[str, Any] = {
            "name": cfg.name,
            "description": cfg.description,
            "keywords": list(cfg.keywords),
            "gbt_codes": list(cfg.gbt_codes),
            "disciplines": list(cfg.disciplines),
            "sort_order": order,
        }
        chain = existing.get(cfg.code)
        if chain is None:
            chain = IndustryChain(code=cfg.code, is_active=True, **values)
            session.add(chain)
            audit.record(session, actor=actor, action="create", entity=chain, changes=values)
            report.created.append(cfg.name)
            continue
        before = audit.snapshot(chain)
        for key, value in values.items():
            setattr(chain, key, value)
        chain.is_active = True
        changes = audit.diff(before, audit.snapshot(chain))
        if changes:
            audit.record(session, actor=actor, action="update", entity=chain, changes=changes)
            report.updated.append(cfg.name)
        else:
            report.unchanged += 1
    wanted = {c.code for c in configs}
    for code, chain in existing.items():
        if code not in wanted and chain.is_active:
            chain.is_active = False
            audit.record(
                session,
                actor=actor,
                action="deactivate",
                entity=chain,
                changes={"is_active": [True, False]},
            )
            report.deactivated.append(chain.name)
    session.flush()
    return report
