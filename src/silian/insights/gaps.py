"""Gap detection on the four-chain map: where a chain's industry, innovation, talent and
education links do not meet, each gap with the records behind it (docs/insights.md, 短板预警).

Rules and thresholds (constants below, documented in docs/insights.md):
- unmatched_demands: an open published demand list, published at least UNMATCHED_DAYS ago,
  with no stored suggestion (brokerage Match, either direction) scoring MIN_MATCH_SCORE or more;
- talent_shortage: the headcount of the chain's open talent needs exceeds its talents;
- project_talent_risk: an investment project opening within PROJECT_HORIZON_DAYS (or opened)
  whose talent needs by major exceed the students of the named classes linked to it;
- major_gap / major_surplus: per major, demand (investment projects' and open talent needs'
  headcount) against supply (named-class students on the chain): gap when demand exceeds supply,
  surplus when supply is at least SURPLUS_RATIO times demand;
- idle_achievements: a published achievement, published at least IDLE_DAYS ago, never shown at
  an event, never in a suggestion and never in a deal.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.brokerage.models import Deal, Match
from silian.chains import service as chains
from silian.chains.models import IndustryChain
from silian.coordination.models import InvestmentProject
from silian.core.db import utcnow
from silian.core.errors import NotFound
from silian.core.permissions import require
from silian.demands.models import Demand
from silian.education import service as education
from silian.education.models import NamedClass
from silian.events.models import EventEntry
from silian.insights import service
from silian.meetings import service as meetings
from silian.meetings.models import AgendaItem
from silian.talent import service as talent
from silian.talent.models import TalentNeed

UNMATCHED_DAYS = 14
# matching.service.STRENGTHS: 10 is where a suggestion reads 较为相关 (fairly relevant).
MIN_MATCH_SCORE = 10.0
IDLE_DAYS = 90
PROJECT_HORIZON_DAYS = 365
SURPLUS_RATIO = 2
RECORD_LIMIT = 20

KINDS = {
    "unmatched_demands": "需求久未匹配",
    "talent_shortage": "人才供给不足",
    "project_talent_risk": "招商项目人才到岗风险",
    "major_gap": "专业人才缺口",
    "major_surplus": "专业培养富余",
    "idle_achievements": "成果未展示未对接",
}
# The link (of the four chains) each gap kind sits on, for the map.
LINKS = {
    "unmatched_demands": "industry",
    "talent_shortage": "talent",
    "project_talent_risk": "industry",
    "major_gap": "education",
    "major_surplus": "education",
    "idle_achievements": "innovation",
}


@dataclass
class Gap:
    """One detected gap on a chain: what, how big, and the records behind it."""

    key: str
    kind: str
    chain_id: int
    title: str
    detail: str
    size: int
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The kind in Chinese."""
        return KINDS[self.kind]

    @property
    def link(self) -> str:
        """Which of the four chains the gap sits on."""
        return LINKS[self.kind]


@dataclass
class ChainGaps:
    """A chain's gaps and the rules that could not be evaluated for lack of data."""

    chain: IndustryChain
    gaps: list[Gap] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def _ref(kind: str, record_id: int, title: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "id": record_id,
        "title": title,
        "url": meetings.record_url(kind, record_id),
        "label": meetings.record_label(kind),
    }


def _today() -> date:
    return meetings.today()


def unmatched_demands(session: Session, chain: IndustryChain) -> Gap | None:
    """Open published demands older than UNMATCHED_DAYS without a good enough suggestion."""
    cutoff = utcnow() - timedelta(days=UNMATCHED_DAYS)
    good = or_(
        select(Match.id)
        .where(
            Match.source_kind == "demand",
            Match.source_id == Demand.id,
            Match.score >= MIN_MATCH_SCORE,
        )
        .exists(),
        select(Match.id)
        .where(
            Match.target_kind == "demand",
            Match.target_id == Demand.id,
            Match.score >= MIN_MATCH_SCORE,
        )
        .exists(),
    )
    rows = list(
        session.scalars(
            service.published_demands()
            .where(
                Demand.chain_id == chain.id,
                Demand.status == "published",
                Demand.published_at <= cutoff,
                ~good,
            )
            .order_by(Demand.published_at, Demand.id)
        )
    )
    if not rows:
        return None
    return Gap(
        key=f"unmatched_demands:{chain.id}",
        kind="unmatched_demands",
        chain_id=chain.id,
        title=(
            f"{chain.name}：{len(rows)} 项技术需求发布超过 {UNMATCHED_DAYS} 天"
            "仍无较为相关的撮合建议"
        ),
        detail=(
            f"已发布、仍在征集的榜单，发布满 {UNMATCHED_DAYS} 天，撮合建议（任一方向）"
            f"评分均低于 {MIN_MATCH_SCORE:g}（较为相关）或没有建议。"
        ),
        size=len(rows),
        records=[_ref("demand", d.id, d.title) for d in rows[:RECORD_LIMIT]],
    )


def talent_shortage(session: Session, user: User | None, chain: IndustryChain) -> Gap | None:
    """The chain's open talent needs (headcount) exceed the talents on the chain."""
    needs = list(
        session.scalars(
            talent.open_needs()
            .where(TalentNeed.chain_id == chain.id)
            .order_by(TalentNeed.headcount.desc(), TalentNeed.id)
        )
    )
    wanted = sum(n.headcount for n in needs)
    orgs = chains.chain_org_ids(session, [chain.id])
    supply = len(talent.chain_talent_ids(session, user, [chain], orgs).get(chain.id, []))
    if wanted <= supply:
        return None
    return Gap(
        key=f"talent_shortage:{chain.id}",
        kind="talent_shortage",
        chain_id=chain.id,
        title=(
            f"{chain.name}：在招岗位 {wanted} 人，链上专家人才 {supply} 名，"
            f"缺口 {wanted - supply} 人"
        ),
        detail="在招人才需求的招聘人数合计超过本链专家人才数（在链上单位工作或学科相符）。",
        size=wanted - supply,
        records=[
            _ref("talent_need", n.id, f"{n.position}（{n.headcount} 人）")
            for n in needs[:RECORD_LIMIT]
        ],
    )


def _project_needs(project: InvestmentProject) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for row in project.talent_needs or []:
        try:
            count = int(row.get("count") or 0)
        except (TypeError, ValueError):
            continue
        major = str(row.get("major") or "").strip()
        if major and count > 0:
            out[major] += count
    return dict(out)


def _projects(session: Session, chain: IndustryChain) -> list[InvestmentProject]:
    return list(
        session.scalars(
            select(InvestmentProject)
            .where(InvestmentProject.chain_id == chain.id, InvestmentProject.status != "cancelled")
            .order_by(InvestmentProject.opening_date, InvestmentProject.id)
        )
    )


def project_talent_risk(
    session: Session, chain: IndustryChain, projects: list[InvestmentProject]
) -> tuple[Gap | None, str]:
    """Projects opening soon whose talent needs exceed the students trained for them.

    Returns the gap (or None) and, when no project can be assessed, which source is missing.
    """
    horizon = _today() + timedelta(days=PROJECT_HORIZON_DAYS)
    assessable = [p for p in projects if p.opening_date is not None and _project_needs(p)]
    if projects and not assessable:
        return (
            None,
            "招商引资项目未填写投产日期或分专业人才需求（talent_needs），无法评估人才到岗风险",
        )
    students: dict[int, int] = defaultdict(int)
    for project_id, count in session.execute(
        select(NamedClass.investment_project_id, NamedClass.students).where(
            NamedClass.investment_project_id.in_([p.id for p in assessable])
        )
    ):
        if project_id is not None:
            students[int(project_id)] += int(count or 0)
    at_risk = []
    for p in assessable:
        assert p.opening_date is not None
        need = sum(_project_needs(p).values())
        if p.opening_date <= horizon and students[p.id] < need:
            at_risk.append((p, need, students[p.id]))
    if not at_risk:
        return None, ""
    short = sum(need - got for _p, need, got in at_risk)
    return (
        Gap(
            key=f"project_talent_risk:{chain.id}",
            kind="project_talent_risk",
            chain_id=chain.id,
            title=f"{chain.name}：{len(at_risk)} 个招商项目人才到岗有风险，缺口 {short} 人",
            detail=(
                f"{PROJECT_HORIZON_DAYS} 天内投产（或已投产）的项目，"
                "所需人才多于对接冠名班的学生数。"
            ),
            size=short,
            records=[
                _ref(
                    "investment_project",
                    p.id,
                    f"{p.name}（{p.opening_date:%Y-%m-%d} 投产，需 {need} 人，冠名班 {got} 人）",
                )
                for p, need, got in at_risk[:RECORD_LIMIT]
            ],
        ),
        "",
    )


def major_balance(
    session: Session, user: User | None, chain: IndustryChain, projects: list[InvestmentProject]
) -> tuple[list[Gap], str]:
    """Per major: demand from projects and open needs against named-class students."""
    demand: dict[str, int] = defaultdict(int)
    demand_refs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in projects:
        for major, count in _project_needs(p).items():
            demand[major] += count
            demand_refs[major].append(_ref("investment_project", p.id, p.name))
    for need in session.scalars(
        talent.open_needs().where(TalentNeed.chain_id == chain.id, TalentNeed.major != "")
    ):
        demand[need.major.strip()] += need.headcount
        demand_refs[need.major.strip()].append(_ref("talent_need", need.id, need.position))
    supply: dict[str, int] = defaultdict(int)
    supply_refs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for klass in session.scalars(
        education.visible_query(user).where(education.class_in_chain(chain.id))
    ):
        supply[klass.major_name.strip()] += klass.students
        supply_refs[klass.major_name.strip()].append(_ref("named_class", klass.id, klass.name))
    if not demand and not supply:
        return [], "本链没有分专业的人才需求（招商项目或人才需求的专业）和冠名班，无法评估专业供需"
    gaps: list[Gap] = []
    short = {m: demand[m] - supply.get(m, 0) for m in demand if demand[m] > supply.get(m, 0)}
    if short:
        names = sorted(short, key=lambda m: (-short[m], m))
        gaps.append(
            Gap(
                key=f"major_gap:{chain.id}",
                kind="major_gap",
                chain_id=chain.id,
                title=f"{chain.name}：{len(short)} 个专业人才缺口，合计 {sum(short.values())} 人",
                detail="；".join(
                    f"{m} 需 {demand[m]} 人、冠名班 {supply.get(m, 0)} 人" for m in names[:10]
                ),
                size=sum(short.values()),
                records=[r for m in names for r in demand_refs[m]][:RECORD_LIMIT],
            )
        )
    extra = {
        m: supply[m] - demand.get(m, 0)
        for m in supply
        if supply[m] > 0 and supply[m] >= SURPLUS_RATIO * demand.get(m, 0)
    }
    if extra:
        names = sorted(extra, key=lambda m: (-extra[m], m))
        gaps.append(
            Gap(
                key=f"major_surplus:{chain.id}",
                kind="major_surplus",
                chain_id=chain.id,
                title=(
                    f"{chain.name}：{len(extra)} 个专业培养规模超出链上需求 {SURPLUS_RATIO} 倍以上"
                ),
                detail="；".join(
                    f"{m} 冠名班 {supply[m]} 人、需求 {demand.get(m, 0)} 人" for m in names[:10]
                ),
                size=sum(extra.values()),
                records=[r for m in names for r in supply_refs[m]][:RECORD_LIMIT],
            )
        )
    return gaps, ""


def idle_achievements(session: Session, chain: IndustryChain) -> Gap | None:
    """Published achievements older than IDLE_DAYS never shown, suggested or dealt."""
    cutoff = utcnow() - timedelta(days=IDLE_DAYS)
    shown = select(EventEntry.id).where(EventEntry.achievement_id == Achievement.id).exists()
    matched = or_(
        select(Match.id)
        .where(Match.source_kind == "achievement", Match.source_id == Achievement.id)
        .exists(),
        select(Match.id)
        .where(Match.target_kind == "achievement", Match.target_id == Achievement.id)
        .exists(),
    )
    dealt = select(Deal.id).where(Deal.achievement_id == Achievement.id).exists()
    rows = list(
        session.scalars(
            service.published_achievements()
            .where(
                Achievement.chain_id == chain.id,
                Achievement.published_at <= cutoff,
                ~shown,
                ~matched,
                ~dealt,
            )
            .order_by(Achievement.published_at, Achievement.id)
        )
    )
    if not rows:
        return None
    return Gap(
        key=f"idle_achievements:{chain.id}",
        kind="idle_achievements",
        chain_id=chain.id,
        title=f"{chain.name}：{len(rows)} 项成果发布超过 {IDLE_DAYS} 天未展示、未匹配、未对接",
        detail="已发布成果从未参加路演活动、没有撮合建议，也没有经纪对接。",
        size=len(rows),
        records=[_ref("achievement", a.id, a.title) for a in rows[:RECORD_LIMIT]],
    )


def chain_gaps(session: Session, user: User | None, chain: IndustryChain) -> ChainGaps:
    """Every gap detected on one chain, and the rules that lack data."""
    out = ChainGaps(chain=chain)
    projects = _projects(session, chain)
    risk, missing_projects = project_talent_risk(session, chain, projects)
    majors, missing_majors = major_balance(session, user, chain, projects)
    found = [
        unmatched_demands(session, chain),
        talent_shortage(session, user, chain),
        risk,
        *majors,
        idle_achievements(session, chain),
    ]
    out.gaps = [g for g in found if g is not None]
    out.missing = [m for m in (missing_projects, missing_majors) if m]
    return out


def visible_gaps(
    session: Session, user: User | None, chain_id: int | None = None
) -> list[ChainGaps]:
    """Gaps of every chain the user sees (or one), for the offices (403 for others)."""
    require(user, "gap.view")
    if chain_id is not None:
        chain_list = [chains.get_chain(session, user, chain_id)]
    else:
        chain_list = list(session.scalars(chains.visible_query(user)))
    return [chain_gaps(session, user, c) for c in chain_list]


def find_gap(session: Session, user: User | None, key: str) -> Gap:
    """The gap named by key (kind:chain_id), detected afresh; NotFound when it is gone."""
    kind, _, raw = key.partition(":")
    if kind not in KINDS or not raw.isdigit():
        raise NotFound("短板不存在")
    for gap in visible_gaps(session, user, int(raw))[0].gaps:
        if gap.key == key:
            return gap
    raise NotFound("该短板已不存在（数据已变化），请刷新页面")


def add_to_agenda(session: Session, user: User, meeting_id: int, key: str) -> AgendaItem:
    """Put a detected gap on a meeting's agenda with its records, in one step; commits."""
    gap = find_gap(session, user, key)
    data = {
        "title": gap.title,
        "notes": gap.detail,
        "chain_id": gap.chain_id,
        "records": [{"kind": r["kind"], "id": r["id"]} for r in gap.records],
    }
    return meetings.add_agenda_item(session, user, meeting_id, data, gap_key=gap.key)


def gap_to_dict(gap: Gap) -> dict[str, Any]:
    """A gap for the API."""
    return {
        "key": gap.key,
        "kind": gap.kind,
        "label": gap.label,
        "link": gap.link,
        "chain_id": gap.chain_id,
        "title": gap.title,
        "detail": gap.detail,
        "size": gap.size,
        "records": [
            {"kind": r["kind"], "id": r["id"], "title": r["title"], "url": r["url"]}
            for r in gap.records
        ],
    }


# --- the map picture -------------------------------------------------------------------------

LINK_NAMES = {
    "industry": "产业链",
    "innovation": "创新链",
    "talent": "人才链",
    "education": "教育链",
}


def chain_graph(m: service.ChainMap, found: ChainGaps | None) -> dict[str, Any]:
    """The chain's four links as an ECharts graph: chain → link → record groups (→ gaps)."""
    c = m.counts
    groups: dict[str, list[tuple[str, int, str]]] = {
        "industry": [
            ("链主企业", len(m.leaders), f"/chains/{m.chain.id}"),
            ("链上企业", c.get("enterprises", 0), f"/organizations?chain={m.chain.id}"),
            ("技术需求榜单", c.get("demands", 0), f"/demands?chain={m.chain.id}"),
            ("招商引资项目", len(m.investment_projects), ""),
        ],
        "innovation": [
            ("已发布成果", c.get("achievements", 0), f"/achievements?chain={m.chain.id}"),
            ("中试/概念验证平台", c.get("platforms", 0), ""),
            ("高校院所", len(m.research_units), ""),
        ],
        "talent": [
            ("专家人才", c.get("talents", 0), ""),
            ("在招人才需求", c.get("talent_needs", 0), f"/talent-needs?chain={m.chain.id}"),
            ("产才融合项目", len(m.talent_projects), ""),
        ],
        "education": [
            ("冠名班", c.get("named_classes", 0), ""),
            ("现代产业学院", len(m.colleges), ""),
            ("公共实训基地", len(m.training_bases), ""),
            ("产教联合体", len(m.consortia), ""),
        ],
    }
    nodes: list[dict[str, Any]] = [
        {"id": "chain", "name": m.chain.name, "category": 0, "symbolSize": 64}
    ]
    links: list[dict[str, Any]] = []
    for index, (link, name) in enumerate(LINK_NAMES.items(), start=1):
        nodes.append({"id": link, "name": name, "category": index, "symbolSize": 46})
        links.append({"source": "chain", "target": link})
        for label, value, url in groups[link]:
            node_id = f"{link}:{label}"
            nodes.append(
                {
                    "id": node_id,
                    "name": f"{label} {value}",
                    "value": value,
                    "category": index,
                    "symbolSize": 18 + min(value, 40) // 2,
                    "url": url,
                }
            )
            links.append({"source": link, "target": node_id})
    for gap in found.gaps if found else []:
        nodes.append(
            {
                "id": gap.key,
                "name": f"⚠ {gap.label}",
                "value": gap.size,
                "category": 5,
                "symbolSize": 26,
                "url": f"#gap-{gap.kind}",
            }
        )
        links.append({"source": gap.link, "target": gap.key})
    categories = [{"name": "产业链图谱"}] + [{"name": n} for n in LINK_NAMES.values()]
    return {"nodes": nodes, "links": links, "categories": [*categories, {"name": "短板预警"}]}
