"""The city's figures, computed from records per day (city time) and read back for any period.

Each figure is a *flow* (what happened that day, summed over a period: achievements collected,
contracts signed …) or a *stock* (what exists at the end of that day, read on the period's last
refreshed day: enterprises connected, platforms …). Values are kept per chain and for the whole
city (`CITY`); a record on no chain counts for the city only, and a unit on several chains counts
on each of them but once for the city. Records are read through each feature's public queries,
so a figure counts what the public sees wherever a feature has a publication rule.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.brokerage.models import Broker, Contract, Deal
from silian.chains import service as chains
from silian.coordination.models import InnovationConsortium, InvestmentProject
from silian.core.errors import ValidationFailed
from silian.demands.models import Demand
from silian.education import service as education
from silian.education.models import NamedClass, TrainingBase
from silian.events.models import Event
from silian.insights import service
from silian.insights.models import CITY, FigureDay
from silian.organizations import service as organizations
from silian.organizations.models import Organization, organization_chains
from silian.platforms import service as platforms
from silian.platforms.models import Platform
from silian.talent import service as talent
from silian.talent.models import TalentNeed

# Days are the city's calendar days (China Standard Time), whatever the server's zone.
CITY_TZ = timezone(timedelta(hours=8))
ZERO = Decimal(0)


@dataclass(frozen=True)
class Figure:
    """One reported figure: its key, Chinese label, unit, flow or stock, and what it reads."""

    key: str
    label: str
    unit: str
    kind: str
    source: str


FIGURES: tuple[Figure, ...] = (
    Figure(
        "achievements_collected", "成果入库", "项", "flow", "科技成果（按录入时间，按来源渠道）"
    ),
    Figure("achievements_published", "成果发布", "项", "flow", "已发布科技成果（按发布时间）"),
    Figure("enterprises_connected", "入驻企业", "家", "stock", "在册企业（产业链按企业所属链）"),
    Figure("institutions_connected", "入驻高校院所", "家", "stock", "在册高校、科研院所"),
    Figure(
        "demands_published",
        "发布榜单",
        "项",
        "flow",
        "公开的技术需求榜单（按发布时间，按榜单类型）",
    ),
    Figure("demands_signed", "签约榜单", "项", "flow", "首次签订技术合同的榜单（按签订日期）"),
    Figure(
        "demands_signed_value", "榜单签约金额", "元", "flow", "榜单相关技术合同金额（按签订日期）"
    ),
    Figure("deals_created", "新增对接", "项", "flow", "经纪对接（按建立时间，按渠道）"),
    Figure("deals_by_stage", "对接项目", "项", "stock", "经纪对接（按当前阶段）"),
    Figure("contracts_signed", "技术合同", "份", "flow", "技术合同（按签订日期，按对接渠道）"),
    Figure("contract_value", "技术合同额", "元", "flow", "技术合同金额（按签订日期，按对接渠道）"),
    Figure("brokers", "技术经纪人", "名", "stock", "登记的技术经纪人（全市）"),
    Figure("brokers_certified", "持证经纪人", "名", "stock", "已取得证书的技术经纪人（全市）"),
    Figure("events_held", "举办活动", "场", "flow", "已举办的路演、对接活动（按开始时间）"),
    Figure("talent_needs_collected", "征集人才需求", "个", "flow", "人才需求（按发布时间）"),
    Figure("named_classes", "冠名班", "个", "stock", "冠名班（产业链按合作企业或招商项目）"),
    Figure("class_students", "冠名班学生", "人", "stock", "冠名班在读学生"),
    Figure("training_seats", "实训工位", "人/年", "stock", "公共实训基地年培训能力"),
    Figure("trainees", "实训人次", "人次", "stock", "公共实训基地本年度培训人次"),
    Figure("platforms", "中试/概念验证平台", "个", "stock", "中试、概念验证平台"),
    Figure("consortium_projects", "创新联合体", "个", "stock", "创新联合体"),
)
FIGURE_BY_KEY = {f.key: f for f in FIGURES}

Key = tuple[int, str, str]


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants where a city calendar day starts and ends."""
    start = datetime.combine(day, time(), CITY_TZ).astimezone(UTC)
    return start, start + timedelta(days=1)


def city_day(instant: datetime) -> date:
    """The city calendar day of an instant (naive values are UTC, as SQLite returns them)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(CITY_TZ).date()


def city_today() -> date:
    """Today's date in the city."""
    return datetime.now(CITY_TZ).date()


class _Tally:
    """Adds values to the city row and each chain's row, with totals beside breakdowns."""

    def __init__(self) -> None:
        self.values: dict[Key, Decimal] = defaultdict(Decimal)

    def add(
        self, figure: str, chains: Iterable[int | None], value: Any, breakdown: str = ""
    ) -> None:
        amount = Decimal(value or 0)
        scopes = [CITY, *sorted({c for c in chains if c})]
        for scope in scopes:
            self.values[(scope, figure, "")] += amount
            if breakdown:
                self.values[(scope, figure, breakdown)] += amount

    def touch(self, figure: str) -> None:
        """Give the city a zero row so a figure with no records still reads 0."""
        self.values.setdefault((CITY, figure, ""), ZERO)


def _deal_channel(deal: Any) -> str:
    if deal.match_id is not None:
        return "suggestion"
    return "broker" if deal.broker_id is not None else "direct"


def _deal_chain(session: Session, deal_ids: Iterable[int]) -> dict[int, int | None]:
    ids = list(deal_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Deal.id, Demand.chain_id, Achievement.chain_id)
        .outerjoin(Demand, Demand.id == Deal.demand_id)
        .outerjoin(Achievement, Achievement.id == Deal.achievement_id)
        .where(Deal.id.in_(ids))
    )
    return {deal_id: demand_chain or ach_chain for deal_id, demand_chain, ach_chain in rows}


def _org_chains(session: Session) -> dict[int, set[int]]:
    out: dict[int, set[int]] = defaultdict(set)
    for chain_id, org_id in session.execute(
        select(organization_chains.c.chain_id, organization_chains.c.organization_id)
    ):
        out[org_id].add(chain_id)
    return out


def compute_day(session: Session, day: date) -> dict[Key, Decimal]:
    """Every figure's values on day, from the records as they are now."""
    start, end = day_bounds(day)
    t = _Tally()
    for figure in FIGURES:
        t.touch(figure.key)

    # Innovation: achievements collected and published, by source channel.
    for chain_id, channel in session.execute(
        select(Achievement.chain_id, Achievement.source_channel).where(
            Achievement.created_at >= start, Achievement.created_at < end
        )
    ):
        t.add("achievements_collected", [chain_id], 1, channel)
    published = service.published_achievements().where(
        Achievement.published_at >= start, Achievement.published_at < end
    )
    for item in session.scalars(published):
        t.add("achievements_published", [item.chain_id], 1, item.source_channel)

    # Units connected (stocks), on each of their chains.
    org_chains = _org_chains(session)
    for org in session.scalars(
        organizations.visible_query(service.PUBLIC).where(Organization.created_at < end)
    ):
        if org.kind == "enterprise":
            t.add("enterprises_connected", org_chains.get(org.id, ()), 1)
        elif org.kind in ("university", "institute"):
            t.add("institutions_connected", org_chains.get(org.id, ()), 1, org.kind)

    # Industry: demand lists published, and signed when their first contract is signed.
    for listed in session.scalars(
        service.published_demands().where(Demand.published_at >= start, Demand.published_at < end)
    ):
        t.add("demands_published", [listed.chain_id], 1, listed.list_type)
    first_signed = dict(
        session.execute(
            select(Deal.demand_id, func.min(Contract.signed_on))
            .join(Contract, Contract.deal_id == Deal.id)
            .where(Deal.demand_id.is_not(None))
            .group_by(Deal.demand_id)
        ).all()
    )
    signed_today = [d for d, first in first_signed.items() if first == day]
    for demand in session.scalars(select(Demand).where(Demand.id.in_(signed_today))):
        t.add("demands_signed", [demand.chain_id], 1)
    for chain_id, amount in session.execute(
        select(Demand.chain_id, Contract.amount)
        .join(Deal, Deal.id == Contract.deal_id)
        .join(Demand, Demand.id == Deal.demand_id)
        .where(Contract.signed_on == day)
    ):
        t.add("demands_signed_value", [chain_id], amount)

    # Brokerage: deals by channel (new that day) and by current stage (all so far), contracts.
    # Counted in SQL: every day reads every deal so far (the stock by stage), so no deal is
    # loaded into Python (10k deals × 365 days made the yearly refresh take minutes).
    deal_chain = func.coalesce(Demand.chain_id, Achievement.chain_id)
    by_channel = case(
        (Deal.match_id.is_not(None), "suggestion"),
        (Deal.broker_id.is_not(None), "broker"),
        else_="direct",
    )

    def deal_counts(*columns: Any) -> Select[Any]:
        return (
            select(*columns, deal_chain, func.count(Deal.id))
            .outerjoin(Demand, Demand.id == Deal.demand_id)
            .outerjoin(Achievement, Achievement.id == Deal.achievement_id)
            .group_by(*columns, deal_chain)
        )

    for stage, chain_id, n in session.execute(deal_counts(Deal.stage).where(Deal.created_at < end)):
        t.add("deals_by_stage", [chain_id], n, stage)
    for deal_channel, chain_id, n in session.execute(
        deal_counts(by_channel).where(Deal.created_at >= start, Deal.created_at < end)
    ):
        t.add("deals_created", [chain_id], n, deal_channel)
    contracts = list(session.scalars(select(Contract).where(Contract.signed_on == day)))
    contract_deals = {
        d.id: d
        for d in session.scalars(
            select(Deal).where(Deal.id.in_([c.deal_id for c in contracts if c.deal_id]))
        )
    }
    contract_chain = _deal_chain(session, contract_deals)
    for contract in contracts:
        signed_deal = contract_deals.get(contract.deal_id) if contract.deal_id else None
        channel = _deal_channel(signed_deal) if signed_deal else "direct"
        chain = [contract_chain.get(signed_deal.id)] if signed_deal else []
        t.add("contracts_signed", chain, 1, channel)
        t.add("contract_value", chain, contract.amount, channel)
    for certified_on in session.scalars(select(Broker.certified_on).where(Broker.created_at < end)):
        t.add("brokers", [], 1)
        if certified_on is not None and certified_on <= day:
            t.add("brokers_certified", [], 1)

    # Events held (closed ones were held too), talent needs collected.
    for (chain_id,) in session.execute(
        select(Event.chain_id).where(
            Event.status.in_(("held", "closed")), Event.starts_at >= start, Event.starts_at < end
        )
    ):
        t.add("events_held", [chain_id], 1)
    for need in session.scalars(
        talent.visible_needs(service.PUBLIC).where(
            TalentNeed.created_at >= start, TalentNeed.created_at < end
        )
    ):
        t.add("talent_needs_collected", [need.chain_id], 1, "co_shared" if need.co_shared else "")

    # Education: named classes on their enterprise's chains or their project's chain, training.
    project_chain = {
        pid: cid
        for pid, cid in session.execute(select(InvestmentProject.id, InvestmentProject.chain_id))
    }
    for named in session.scalars(
        education.visible_query(service.PUBLIC).where(NamedClass.created_at < end)
    ):
        chains = set(org_chains.get(named.enterprise_id, ()))
        if named.investment_project_id is not None:
            chains.add(project_chain.get(named.investment_project_id) or 0)
        t.add("named_classes", chains, 1)
        t.add("class_students", chains, named.students)
    for base in session.scalars(select(TrainingBase).where(TrainingBase.created_at < end)):
        t.add("training_seats", [base.chain_id], base.yearly_capacity)
        t.add("trainees", [base.chain_id], base.trainees_this_year)
    for platform in session.scalars(
        platforms.visible_query(service.PUBLIC).where(Platform.created_at < end)
    ):
        t.add("platforms", [platform.chain_id], 1, platform.kind)
    for (chain_id,) in session.execute(
        select(InnovationConsortium.chain_id).where(InnovationConsortium.created_at < end)
    ):
        t.add("consortium_projects", [chain_id], 1)
    return dict(t.values)


# --- periods and reading ---------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A closed range of city days."""

    start: date
    end: date

    @property
    def label(self) -> str:
        """The period in Chinese."""
        return f"{self.start:%Y年%m月%d日}至{self.end:%Y年%m月%d日}"


def period(
    kind: str, year: int, number: int = 1, start: date | None = None, end: date | None = None
) -> Period:
    """A month (number 1–12), quarter (1–4), year, or custom range (start and end)."""
    if kind == "month":
        if not 1 <= number <= 12:
            raise ValidationFailed({"month": "月份应为 1–12"})
        last = calendar.monthrange(year, number)[1]
        return Period(date(year, number, 1), date(year, number, last))
    if kind == "quarter":
        if not 1 <= number <= 4:
            raise ValidationFailed({"quarter": "季度应为 1–4"})
        first = 3 * (number - 1) + 1
        last_month = first + 2
        return Period(
            date(year, first, 1), date(year, last_month, calendar.monthrange(year, last_month)[1])
        )
    if kind == "year":
        return Period(date(year, 1, 1), date(year, 12, 31))
    if kind == "custom":
        if start is None or end is None or start > end:
            raise ValidationFailed({"end": "自定义时段需要开始和结束日期，且开始不晚于结束"})
        return Period(start, end)
    raise ValidationFailed({"period": "时段应为 month、quarter、year 或 custom"})


def read(
    session: Session, span: Period, chain_id: int | None = None
) -> dict[str, dict[str, Decimal]]:
    """Figures for a period and a chain (None: the whole city), from the refreshed summary.

    Flows are summed over the period's days; stocks are read on its last refreshed day.
    Returns figure key → breakdown ('' for the total) → value; figures never refreshed in the
    period are missing.
    """
    scope = CITY if chain_id is None else chain_id
    base = select(FigureDay).where(
        FigureDay.chain_id == scope, FigureDay.day >= span.start, FigureDay.day <= span.end
    )
    out: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    flows = [f.key for f in FIGURES if f.kind == "flow"]
    for row in session.execute(
        base.with_only_columns(FigureDay.figure, FigureDay.breakdown, func.sum(FigureDay.value))
        .where(FigureDay.figure.in_(flows))
        .group_by(FigureDay.figure, FigureDay.breakdown)
    ):
        out[row[0]][row[1]] = Decimal(row[2])
    last_day = session.scalar(
        select(func.max(FigureDay.day)).where(
            FigureDay.chain_id == CITY, FigureDay.day >= span.start, FigureDay.day <= span.end
        )
    )
    if last_day is not None:
        stocks = [f.key for f in FIGURES if f.kind == "stock"]
        for item in session.scalars(
            base.where(FigureDay.day == last_day, FigureDay.figure.in_(stocks))
        ):
            out[item.figure][item.breakdown] = Decimal(item.value)
    return {k: dict(v) for k, v in out.items()}


@dataclass
class FigureValue:
    """One figure for a period and scope: its definition, total and breakdown."""

    figure: Figure
    total: Decimal
    breakdown: dict[str, Decimal]
    refreshed: bool


def report(session: Session, span: Period, chain_id: int | None = None) -> list[FigureValue]:
    """Every figure for a period and a chain (None: the city), in `FIGURES` order."""
    values = read(session, span, chain_id)
    refreshed = (
        session.scalar(
            select(func.count(FigureDay.id)).where(
                FigureDay.chain_id == CITY, FigureDay.day >= span.start, FigureDay.day <= span.end
            )
        )
        or 0
    ) > 0
    out = []
    for figure in FIGURES:
        got = values.get(figure.key, {})
        out.append(
            FigureValue(
                figure=figure,
                total=got.get("", ZERO),
                breakdown={k: v for k, v in sorted(got.items()) if k},
                refreshed=refreshed,
            )
        )
    return out


def period_figures(
    session: Session,
    user: User | None,
    kind: str,
    year: int | None,
    number: int = 1,
    start: date | None = None,
    end: date | None = None,
    chain_id: int | None = None,
) -> dict[str, Any]:
    """The figures API: a period and a chain the user may see, every figure with its source."""
    span = period(kind, year or city_today().year, number, start, end)
    if chain_id is not None:
        chains.get_chain(session, user, chain_id)
    rows = report(session, span, chain_id)
    return {
        "start": span.start,
        "end": span.end,
        "label": span.label,
        "chain_id": chain_id,
        "refreshed": bool(rows and rows[0].refreshed),
        "figures": [
            {
                "key": r.figure.key,
                "label": r.figure.label,
                "unit": r.figure.unit,
                "kind": r.figure.kind,
                "source": r.figure.source,
                "total": r.total,
                "breakdown": r.breakdown,
            }
            for r in rows
        ],
    }
