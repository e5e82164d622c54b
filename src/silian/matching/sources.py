"""Turn the platform's records into matching documents: only what the public may see is indexed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from silian.achievements.models import Achievement
from silian.brokerage.models import Contract, Deal, Match
from silian.brokerage.service import latest_feedback
from silian.chains.models import IndustryChain
from silian.coordination.models import InvestmentProject
from silian.demands.models import Demand
from silian.demands.service import PUBLIC_STATUSES as DEMAND_PUBLIC
from silian.education.models import NamedClass
from silian.matching import learning
from silian.matching.documents import joined_text
from silian.organizations.models import Organization
from silian.platforms.models import Platform
from silian.talent.models import Talent, TalentNeed

# Kinds that are indexed as targets, and the tables whose changes touch them.
TARGET_KINDS = ("achievement", "demand", "talent", "platform", "enterprise", "named_class")
TABLE_KIND = {
    "achievements": "achievement",
    "demands": "demand",
    "talents": "talent",
    "platforms": "platform",
    "organizations": "enterprise",
    "named_classes": "named_class",
}
# Which target kinds a source kind may ask for (the directions).
DIRECTIONS: dict[str, tuple[str, ...]] = {
    "demand": ("achievement", "talent", "platform"),
    "achievement": ("demand", "enterprise"),
    "talent_need": ("talent",),
    "investment_project": ("named_class",),
    "text": TARGET_KINDS,
}


@dataclass
class Record:
    """One record as the engine sees it: text fields plus the structured facts used for fit."""

    kind: str
    id: int
    title: str
    keywords: list[str] = field(default_factory=list)
    text: str = ""
    chains: list[str] = field(default_factory=list)
    discipline: str = ""
    region: str = ""
    trl: int | None = None
    amount: float | None = None  # asking price (achievement) or budget (demand); None = 面议
    organization_id: int | None = None
    organization: str = ""
    updated_at: float = 0.0

    @property
    def doc_id(self) -> str:
        """Engine document id, e.g. 'achievement:12'."""
        return f"{self.kind}:{self.id}"

    def query_text(self) -> str:
        """The text the engine searches for this record (title, keywords, text), which some
        of the reranker's features compare with each hit's title."""
        return joined_text(self.title, self.keywords, self.text)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for the engine and the API."""
        return {
            "id": self.doc_id,
            "kind": self.kind,
            "title": self.title,
            "keywords": list(self.keywords),
            "text": self.text,
            "chains": list(self.chains),
            "discipline": self.discipline,
            "region": self.region,
            "trl": self.trl,
            "amount": self.amount,
            "organization_id": self.organization_id,
            "organization": self.organization,
            "updated_at": self.updated_at,
        }


def _join(*parts: str | None) -> str:
    return "\n".join(p.strip() for p in parts if p and p.strip())


def chain_names(session: Session) -> dict[int, str]:
    """Chain id → name; chains are identified by name in the index, so reasons read naturally."""
    return {c.id: c.name for c in session.scalars(select(IndustryChain))}


def chain_disciplines(session: Session) -> dict[str, frozenset[str]]:
    """Chain name → its disciplines: the chain pages list a talent under every chain sharing
    one of its disciplines (``talent.service.chain_talent_ids``), so its record does too."""
    return {c.name: frozenset(c.disciplines or []) for c in session.scalars(select(IndustryChain))}


def talent_chains(
    item: Talent, org: Organization | None, disciplines: Mapping[str, frozenset[str]]
) -> list[str]:
    """A talent's chains as the chain pages show them: its unit's, then those sharing one of
    its disciplines."""
    held = set(item.disciplines or [])
    shared = [name for name, wanted in disciplines.items() if held & wanted]
    return list(dict.fromkeys([*_org_chain_codes(org), *shared]))


def named_class_chains(item: NamedClass, project_chain: str | None) -> list[str]:
    """A named class's chains as the chain map shows them (``education.class_in_chain``): its
    enterprise's, and its investment project's."""
    extra = [project_chain] if project_chain else []
    return list(dict.fromkeys([*_org_chain_codes(item.enterprise), *extra]))


def _project_chains(
    session: Session, project_ids: Iterable[int | None], chains: Mapping[int, str]
) -> dict[int, str]:
    """Investment project id → its chain's name, for the projects that have one."""
    ids = sorted({i for i in project_ids if i is not None})
    out: dict[int, str] = {}
    for start in range(0, len(ids), BATCH):
        rows = session.execute(
            select(InvestmentProject.id, InvestmentProject.chain_id).where(
                InvestmentProject.id.in_(ids[start : start + BATCH])
            )
        )
        out.update((pid, chains[cid]) for pid, cid in rows if cid is not None and cid in chains)
    return out


def _stamp(item: Any) -> float:
    return item.updated_at.timestamp() if getattr(item, "updated_at", None) else 0.0


def achievement_record(item: Achievement, chains: dict[int, str]) -> Record:
    """A published achievement: its buyer-facing text."""
    return Record(
        kind="achievement",
        id=item.id,
        title=item.title,
        keywords=list(item.keywords or []),
        text=_join(
            item.summary,
            item.application_field,
            item.indicators,
            item.innovations,
            item.advantages,
            item.markets,
        ),
        chains=[chains[item.chain_id]] if item.chain_id in chains else [],
        discipline=item.discipline,
        region=item.organization.region_code if item.organization else "",
        trl=item.trl,
        amount=float(item.price) if item.price is not None else None,
        organization_id=item.organization_id,
        organization=item.organization.name if item.organization else "",
        updated_at=_stamp(item),
    )


def demand_record(item: Demand, chains: dict[int, str], *, full: bool = False) -> Record:
    """A demand: the public summary only unless it is public or ``full`` (the owner's query)."""
    if item.confidentiality == "public" or full:
        text = _join(
            item.problem,
            item.background,
            item.current_solutions,
            item.wanted_outcome,
            item.indicators_must,
            item.indicators_nice,
        )
    else:
        text = item.public_summary
    budget = float(item.budget) if item.budget else None
    return Record(
        kind="demand",
        id=item.id,
        title=item.title,
        keywords=list(item.keywords or []),
        text=text,
        chains=[chains[item.chain_id]] if item.chain_id in chains else [],
        discipline=item.discipline,
        region=item.region_code,
        trl=item.wanted_trl,
        amount=budget,
        organization_id=item.organization_id,
        organization=item.organization.name if item.organization else "",
        updated_at=_stamp(item),
    )


def talent_record(item: Talent, org: Organization | None, chains: list[str]) -> Record:
    """An expert who agreed to be listed: expertise, disciplines, profile."""
    return Record(
        kind="talent",
        id=item.id,
        title=f"{item.name} {item.title}".strip(),
        keywords=list(item.keywords or []),
        text=_join(item.expertise, "、".join(item.disciplines or []), item.bio),
        chains=chains,
        discipline=(item.disciplines or [""])[0],
        region=org.region_code if org else "",
        organization_id=item.organization_id,
        organization=org.name if org else "",
        updated_at=_stamp(item),
    )


def platform_record(item: Platform, chains: dict[int, str]) -> Record:
    """A pilot or PoC platform: what it can do, with which equipment, for which chain."""
    services = [s.name for s in item.services] if hasattr(item, "services") else []
    return Record(
        kind="platform",
        id=item.id,
        title=item.name,
        keywords=list(item.capabilities or []),
        text=_join(item.description, "、".join(item.equipment or []), "、".join(services)),
        chains=[chains[item.chain_id]] if item.chain_id in chains else [],
        organization_id=item.organization_id,
        updated_at=_stamp(item),
    )


def enterprise_record(
    session: Session, org: Organization, demand_titles: Iterable[str] | None = None
) -> Record:
    """An enterprise: its profile, chains and the titles of its public demands.

    ``demand_titles`` (at most 20) are read here when not given by a batched caller.
    """
    if demand_titles is None:
        demand_titles = session.scalars(
            select(Demand.title)
            .where(Demand.organization_id == org.id, Demand.status.in_(DEMAND_PUBLIC))
            .order_by(Demand.id)
            .limit(20)
        )
    chain_rows = list(org.chains)
    return Record(
        kind="enterprise",
        id=org.id,
        title=org.name,
        keywords=[k for c in chain_rows for k in c.keywords][:12],
        text=_join(
            org.description, "、".join(c.name for c in chain_rows), "；".join(demand_titles)
        ),
        chains=[c.name for c in chain_rows],
        region=org.region_code,
        organization_id=org.id,
        organization=org.name,
        updated_at=_stamp(org),
    )


def named_class_record(item: NamedClass, chains: list[str]) -> Record:
    """A company-named class: its major, school and enterprise."""
    return Record(
        kind="named_class",
        id=item.id,
        title=item.name,
        keywords=[item.major_name],
        text=_join(
            f"专业：{item.major_name}",
            f"学校：{item.university.name}" if item.university else "",
            f"合作企业：{item.enterprise.name}" if item.enterprise else "",
            f"{item.graduation_year}届，{item.students}人",
        ),
        chains=chains,
        organization_id=item.university_id,
        organization=item.university.name if item.university else "",
        updated_at=_stamp(item),
    )


def _org_chain_codes(org: Organization | None) -> list[str]:
    return [c.name for c in org.chains] if org is not None else []


def load_record(
    session: Session, kind: str, record_id: int, chains: dict[int, str] | None = None
) -> Record | None:
    """The record as it should be indexed now, or None when it must not be (gone or not public).

    Pass ``chains`` (from :func:`chain_names`) when loading many records in one go.
    """
    chains = chain_names(session) if chains is None else chains
    if kind == "achievement":
        a = session.get(Achievement, record_id)
        return achievement_record(a, chains) if a and a.status == "published" else None
    if kind == "demand":
        d = session.get(Demand, record_id)
        return demand_record(d, chains) if d and d.status in DEMAND_PUBLIC else None
    if kind == "talent":
        t = session.get(Talent, record_id)
        if t is None or not t.consent_public:
            return None
        org = session.get(Organization, t.organization_id) if t.organization_id else None
        return talent_record(t, org, talent_chains(t, org, chain_disciplines(session)))
    if kind == "platform":
        p = session.get(Platform, record_id)
        return platform_record(p, chains) if p and p.status != "suspended" else None
    if kind == "enterprise":
        o = session.get(Organization, record_id)
        ok = o is not None and o.kind == "enterprise" and o.is_active
        return enterprise_record(session, o) if ok and o else None
    if kind == "named_class":
        n = session.get(NamedClass, record_id)
        if n is None:
            return None
        project = _project_chains(session, [n.investment_project_id], chains)
        chain = project.get(n.investment_project_id or 0)
        return named_class_record(n, named_class_chains(n, chain))
    return None


# Rows of one kind are read in IN-lists of this size (SQLite allows 32,766 parameters).
BATCH = 500


def _by_id(session: Session, model: Any, ids: list[int], *options: Any) -> dict[int, Any]:
    """Rows of ``model`` with these ids, one query per BATCH ids."""
    out: dict[int, Any] = {}
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        stmt = select(model).where(model.id.in_(chunk)).options(*options)
        out.update((row.id, row) for row in session.scalars(stmt).unique())
    return out


def _demand_titles(session: Session, org_ids: list[int]) -> dict[int, list[str]]:
    """The first 20 public demand titles of each organisation, one query for all of them."""
    titles: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(org_ids), BATCH):
        rows = session.execute(
            select(Demand.organization_id, Demand.title)
            .where(
                Demand.organization_id.in_(org_ids[start : start + BATCH]),
                Demand.status.in_(DEMAND_PUBLIC),
            )
            .order_by(Demand.organization_id, Demand.id)
        )
        for org_id, title in rows:
            if len(titles[org_id]) < 20:
                titles[org_id].append(title)
    return titles


def load_records(
    session: Session, keys: Iterable[tuple[str, int]], chains: dict[int, str] | None = None
) -> dict[tuple[str, int], Record]:
    """Batched :func:`load_record`: ``(kind, id)`` → record, for those that may be indexed.

    A few queries per kind however many keys (a suggestion panel used to load each hit with
    its own queries); keys that are gone or not public are absent from the result.
    """
    wanted: dict[str, list[int]] = defaultdict(list)
    for kind, record_id in keys:
        wanted[kind].append(record_id)
    if not wanted:
        return {}
    chains = chain_names(session) if chains is None else chains
    out: dict[tuple[str, int], Record] = {}
    for kind, ids in wanted.items():
        ids = sorted(set(ids))
        if kind == "achievement":
            for i, a in _by_id(session, Achievement, ids).items():
                if a.status == "published":
                    out[kind, i] = achievement_record(a, chains)
        elif kind == "demand":
            for i, d in _by_id(session, Demand, ids).items():
                if d.status in DEMAND_PUBLIC:
                    out[kind, i] = demand_record(d, chains)
        elif kind == "talent":
            talents = _by_id(
                session,
                Talent,
                ids,
                selectinload(Talent.organization).selectinload(Organization.chains),
            )
            by_discipline = chain_disciplines(session)
            for i, t in talents.items():
                if t.consent_public:
                    org = t.organization if t.organization_id else None
                    out[kind, i] = talent_record(t, org, talent_chains(t, org, by_discipline))
        elif kind == "platform":
            for i, p in _by_id(session, Platform, ids, selectinload(Platform.services)).items():
                if p.status != "suspended":
                    out[kind, i] = platform_record(p, chains)
        elif kind == "enterprise":
            orgs = _by_id(session, Organization, ids, selectinload(Organization.chains))
            live = [i for i, o in orgs.items() if o.kind == "enterprise" and o.is_active]
            titles = _demand_titles(session, live)
            for i in live:
                out[kind, i] = enterprise_record(session, orgs[i], titles.get(i, []))
        elif kind == "named_class":
            classes = _by_id(
                session,
                NamedClass,
                ids,
                selectinload(NamedClass.enterprise).selectinload(Organization.chains),
            )
            projects = _project_chains(
                session, (n.investment_project_id for n in classes.values()), chains
            )
            for i, n in classes.items():
                project = projects.get(n.investment_project_id or 0)
                out[kind, i] = named_class_record(n, named_class_chains(n, project))
    return out


def iter_records(session: Session) -> Iterator[Record]:
    """Every record that should be in the index, kind by kind."""
    chains = chain_names(session)
    for a in session.scalars(select(Achievement).where(Achievement.status == "published")):
        yield achievement_record(a, chains)
    for d in session.scalars(select(Demand).where(Demand.status.in_(DEMAND_PUBLIC))):
        yield demand_record(d, chains)
    orgs = {o.id: o for o in session.scalars(select(Organization))}
    by_discipline = chain_disciplines(session)
    for t in session.scalars(select(Talent).where(Talent.consent_public.is_(True))):
        org = orgs.get(t.organization_id) if t.organization_id else None
        yield talent_record(t, org, talent_chains(t, org, by_discipline))
    for p in session.scalars(select(Platform).where(Platform.status != "suspended")):
        yield platform_record(p, chains)
    for o in orgs.values():
        if o.kind == "enterprise" and o.is_active:
            yield enterprise_record(session, o)
    classes = list(session.scalars(select(NamedClass)))
    projects = _project_chains(session, (n.investment_project_id for n in classes), chains)
    for n in classes:
        project = projects.get(n.investment_project_id or 0)
        yield named_class_record(n, named_class_chains(n, project))


def source_query(
    session: Session, kind: str, record_id: int, *, full: bool = True
) -> Record | None:
    """The record used as a query; a confidential demand's details only when ``full``."""
    chains = chain_names(session)
    if kind == "demand":
        d = session.get(Demand, record_id)
        return demand_record(d, chains, full=full) if d else None
    if kind == "achievement":
        a = session.get(Achievement, record_id)
        return achievement_record(a, chains) if a else None
    if kind == "talent_need":
        n = session.get(TalentNeed, record_id)
        if n is None:
            return None
        return Record(
            kind="talent_need",
            id=n.id,
            title=n.position,
            keywords=[n.major] if n.major else [],
            text=_join(n.requirements, n.major),
            chains=[chains[n.chain_id]] if n.chain_id in chains else [],
            organization_id=n.organization_id,
        )
    if kind == "investment_project":
        p = session.get(InvestmentProject, record_id)
        if p is None:
            return None
        majors = [str(need.get("major", "")) for need in p.talent_needs or []]
        return Record(
            kind="investment_project",
            id=p.id,
            title=p.name,
            keywords=majors,
            text=_join(p.description, "、".join(majors)),
            chains=[chains[p.chain_id]] if p.chain_id in chains else [],
            region=p.region_code,
            organization_id=p.organization_id,
        )
    return None


# --- users' verdicts as graded pairs (for the learned reranker) -------------------------

Pair = tuple[str, str]


def feedback_labels(session: Session) -> dict[Pair, int]:
    """Grade of each judged pair (``("demand:12", "achievement:7")``): users' latest verdicts
    (contacted 2, useful 1, not useful 0; the highest over users wins) and 2 for a match that
    became a signed deal or a contract."""
    grades: dict[Pair, int] = {}
    for row in latest_feedback(session):
        key = (f"{row.source_kind}:{row.source_id}", f"{row.target_kind}:{row.target_id}")
        grades[key] = max(grades.get(key, 0), learning.VERDICT_GRADES[row.verdict])
    signed = (
        select(Match.source_kind, Match.source_id, Match.target_kind, Match.target_id)
        .join(Deal, Deal.match_id == Match.id)
        .outerjoin(Contract, Contract.deal_id == Deal.id)
        .where(or_(Deal.stage.in_(learning.SIGNED_STAGES), Contract.id.is_not(None)))
    )
    for source_kind, source_id, target_kind, target_id in session.execute(signed):
        grades[(f"{source_kind}:{source_id}", f"{target_kind}:{target_id}")] = learning.DEAL_GRADE
    return grades
