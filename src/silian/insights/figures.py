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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.brokerage import figures as brokerage_figures
from silian.brokerage.models import Broker, Contract, Deal
from silian.chains import service as chains
from silian.consortia import figures as consortia_figures
from silian.consortia.models import InnovationConsortium
from silian.coordination import figures as coordination_figures
from silian.coordination.models import InvestmentProject
from silian.core.clock import CITY_TZ, city_day
from silian.core.clock import today as city_today
from silian.core.errors import ValidationFailed
from silian.demands.models import Demand
from silian.education import service as education
from silian.education.models import NamedClass, TrainingBase
from silian.events.models import Event
from silian.hiring import figures as hiring_figures
from silian.insights import service
from silian.insights.models import CITY, FigureDay
from silian.organizations import service as organizations
from silian.organizations.models import Organization, organization_chains
from silian.platforms import figures as platforms_figures
from silian.platforms import service as platforms
from silian.platforms.models import Platform, platform_chains
from silian.subsidies import figures as subsidy_figures
from silian.talent import service as talent
from silian.talent.models import TalentNeed
from silian.training import figures as training_figures

# Days are the city's calendar days (China Standard Time), whatever the server's zone.
ZERO = Decimal(0)


# A feature's figure function: (session, first day, last day, chain or None for the city) →
# a number, a dataclass holding numbers (`Figure.field` picks one), or a mapping (a breakdown).
PeriodFn = Callable[[Session, date, date, int | None], Any]


@dataclass(frozen=True)
class Figure:
    """One reported figure: key, Chinese label, unit, how it is read, and its source.

    kind is "flow" (summed over the period's days) or "stock" (read on the period's last day),
    both precomputed per day by `compute_day`; or "period": read from the feature's figure
    function `fn` over exactly the period asked for (figures that do not add up day by day,
    such as distinct active brokers or a utilisation, or that span date ranges). `field` picks
    one attribute of the function's result; `scale` multiplies it (a ratio shown in percent).
    """

    key: str
    label: str
    unit: str
    kind: str
    source: str
    fn: PeriodFn | None = None
    field: str = ""
    scale: int = 1

    @property
    def precomputed(self) -> bool:
        """Whether the figure is read from the daily summary (else from `fn` over the period)."""
        return self.kind in ("flow", "stock")


# The registry: every figure the city reports, in the order the pages and the briefing list
# them. Adding a feature's figure is one line naming its figure function (kind "period").
FIGURES: tuple[Figure, ...] = (
    # Innovation chain.
    Figure(
        "achievements_collected", "成果入库", "项", "flow", "科技成果（按录入时间，按来源渠道）"
    ),
    Figure("achievements_published", "成果发布", "项", "flow", "已发布科技成果（按发布时间）"),
    Figure("enterprises_connected", "入驻企业", "家", "stock", "在册企业（产业链按企业所属链）"),
    Figure("institutions_connected", "入驻高校院所", "家", "stock", "在册高校、科研院所"),
    # Industry chain: demand lists, deals and contracts.
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
    # Brokers: registered and certified (stocks), trained, passed, certified, active (period).
    Figure("brokers", "技术经纪人", "名", "stock", "登记的技术经纪人（全市）"),
    Figure("brokers_certified", "持证经纪人", "名", "stock", "已取得证书的技术经纪人（全市）"),
    Figure(
        "brokers_trained",
        "培训技术经纪人",
        "人次",
        "period",
        "技术经纪人培训报名（按报名日期，产业链按课程方向）：brokerage.figures.trained",
        brokerage_figures.trained,
    ),
    Figure(
        "brokers_passed",
        "培训考试合格",
        "人次",
        "period",
        "技术经纪人培训考试合格（按考试日期）：brokerage.figures.passed",
        brokerage_figures.passed,
    ),
    Figure(
        "broker_certificates",
        "新发经纪人证书",
        "张",
        "period",
        "技术经纪人培训发证（按发证日期）：brokerage.figures.certified",
        brokerage_figures.certified,
    ),
    Figure(
        "brokers_active",
        "活跃经纪人",
        "名",
        "period",
        "时段内记录过对接进展的持证经纪人（产业链按专长）：brokerage.figures.active_brokers",
        brokerage_figures.active_brokers,
    ),
    # Events.
    Figure("events_held", "举办活动", "场", "flow", "已举办的路演、对接活动（按开始时间）"),
    # Talent chain: needs, hires, subsidies.
    Figure(
        "talent_needs_collected",
        "征集人才需求",
        "个",
        "flow",
        "人才需求（按发布时间；与 hiring.figures.needs_collected 同口径）",
    ),
    Figure(
        "hires",
        "引进人才",
        "人",
        "period",
        "岗位录用（按录用日期，按产业链）：hiring.figures.hires_by_chain",
        hiring_figures.hires_by_chain,
    ),
    Figure(
        "co_shared_hires",
        "共引共享人才",
        "人",
        "period",
        "共引共享岗位录用（按录用日期）：hiring.figures.co_shared_hires",
        hiring_figures.co_shared_hires,
    ),
    Figure(
        "subsidies_approved",
        "批准补贴",
        "项",
        "period",
        "补贴申请（按审批时间，已批准或已拨付；产业链按申请单位）：subsidies.figures",
        subsidy_figures.figures,
        "approved_count",
    ),
    Figure(
        "subsidies_approved_amount",
        "批准补贴金额",
        "元",
        "period",
        "已批准补贴金额（按审批时间）：subsidies.figures",
        subsidy_figures.figures,
        "approved_amount",
    ),
    Figure(
        "subsidies_paid",
        "拨付补贴",
        "项",
        "period",
        "已拨付补贴（按拨付日期）：subsidies.figures",
        subsidy_figures.figures,
        "paid_count",
    ),
    Figure(
        "subsidies_paid_amount",
        "拨付补贴金额",
        "元",
        "period",
        "已拨付补贴金额（按拨付日期）：subsidies.figures",
        subsidy_figures.figures,
        "paid_amount",
    ),
    # Education chain: named classes, training bases, training programmes.
    Figure("named_classes", "冠名班", "个", "stock", "冠名班（产业链按合作企业或招商项目）"),
    Figure("class_students", "冠名班学生", "人", "stock", "冠名班在读学生"),
    Figure(
        "investment_projects",
        "招商引资项目",
        "个",
        "period",
        "时段内登记的招商引资项目：coordination.figures.projects_recorded",
        coordination_figures.projects_recorded,
    ),
    Figure(
        "investment_projects_at_risk",
        "人才到岗风险项目",
        "个",
        "period",
        "时段内建成、人才到岗预测未达标的项目：coordination.figures.projects_at_risk",
        coordination_figures.projects_at_risk,
    ),
    Figure("training_seats", "实训工位", "人/年", "stock", "公共实训基地年培训能力"),
    Figure("trainees", "实训人次", "人次", "stock", "公共实训基地本年度培训人次"),
    Figure(
        "training_programmes",
        "开班实训项目",
        "个",
        "period",
        "实训项目（按开班日期）：training.figures",
        training_figures.figures,
        "programmes",
    ),
    Figure(
        "training_programme_seats",
        "实训项目名额",
        "人",
        "period",
        "开班实训项目的名额（按开班日期）：training.figures",
        training_figures.figures,
        "seats",
    ),
    Figure(
        "programme_trainees",
        "实训项目学员",
        "人",
        "period",
        "开班实训项目的在训、结业学员（按开班日期）：training.figures",
        training_figures.figures,
        "trainees",
    ),
    Figure(
        "training_completions",
        "实训结业",
        "人",
        "period",
        "开班实训项目的结业学员（按开班日期）：training.figures",
        training_figures.figures,
        "completions",
    ),
    Figure(
        "training_certificates",
        "实训获证",
        "人",
        "period",
        "开班实训项目的获证学员（按开班日期）：training.figures",
        training_figures.figures,
        "certificates",
    ),
    # Pilot and proof-of-concept platforms and their use.
    Figure("platforms", "中试/概念验证平台", "个", "stock", "中试、概念验证平台"),
    Figure(
        "platform_bookings",
        "平台服务预约",
        "次",
        "period",
        "已批准的平台服务预约（按开始日期）：platforms.figures.platform_figures",
        platforms_figures.platform_figures,
        "bookings_approved",
    ),
    Figure(
        "platform_bookings_completed",
        "完成平台服务",
        "次",
        "period",
        "已完成的平台服务预约（按开始日期）：platforms.figures.platform_figures",
        platforms_figures.platform_figures,
        "bookings_completed",
    ),
    Figure(
        "platform_utilisation",
        "平台利用率",
        "%",
        "period",
        "已占用 ÷ 可供服务单元·天（时段内）：platforms.figures.platform_figures",
        platforms_figures.platform_figures,
        "utilisation",
        100,
    ),
    Figure(
        "platform_income",
        "平台服务收入",
        "元",
        "period",
        "时段内完成的平台服务费用：platforms.figures.platform_figures",
        platforms_figures.platform_figures,
        "income",
    ),
    # Innovation consortia and co-built R&D institutes.
    Figure("consortium_projects", "创新联合体", "个", "stock", "创新联合体"),
    Figure(
        "common_tech_projects_started",
        "共性技术攻关项目立项",
        "个",
        "period",
        "时段内开始攻关的共性技术项目：consortia.figures.projects_started",
        consortia_figures.projects_started,
    ),
    Figure(
        "consortium_outputs",
        "攻关项目产出成果",
        "项",
        "period",
        "时段内关联到攻关项目的已发布成果（去重）：consortia.figures.achievements_produced",
        consortia_figures.achievements_produced,
    ),
    Figure(
        "rd_institutes",
        "新型研发机构",
        "家",
        "period",
        "时段末在册的共建新型研发机构：consortia.figures.institutes",
        consortia_figures.institutes,
    ),
    Figure(
        "institute_talents",
        "研发机构集聚人才",
        "人",
        "period",
        "时段末新型研发机构集聚的人才（去重）：consortia.figures.talents_gathered",
        consortia_figures.talents_gathered,
    ),
    Figure(
        "institute_major_achievements",
        "研发机构重大成果",
        "项",
        "period",
        "合同额或佐证金额 ≥ 1000 万元的机构成果：consortia.figures.major_achievements",
        consortia_figures.major_achievements,
    ),
)
FIGURE_BY_KEY = {f.key: f for f in FIGURES}

Key = tuple[int, str, str]


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants where a city calendar day starts and ends."""
    start = datetime.combine(day, time(), CITY_TZ).astimezone(UTC)
    return start, start + timedelta(days=1)


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


class _Days:
    """One tally per day of a range: flows land on their day, stocks count from theirs onwards."""

    def __init__(self, start: date, end: date) -> None:
        self.start, self.end = start, end
        self.flows: dict[date, _Tally] = defaultdict(_Tally)
        self.stocks: dict[date, _Tally] = defaultdict(_Tally)  # additions on each day

    def flow(
        self,
        day: date | None,
        figure: str,
        chains: Iterable[int | None],
        value: Any,
        breakdown: str = "",
    ) -> None:
        """Add to a flow on its day (days outside the range are ignored)."""
        if day is not None and self.start <= day <= self.end:
            self.flows[day].add(figure, chains, value, breakdown)

    def stock(
        self,
        since: date,
        figure: str,
        chains: Iterable[int | None],
        value: Any,
        breakdown: str = "",
    ) -> None:
        """Count a record in a stock from the day it is there (earlier: from the range's start)."""
        if since <= self.end:
            self.stocks[max(since, self.start)].add(figure, chains, value, breakdown)

    def result(self) -> dict[date, dict[Key, Decimal]]:
        """Each day's values: its flows, and the stocks accumulated up to and including it."""
        out: dict[date, dict[Key, Decimal]] = {}
        running: dict[Key, Decimal] = defaultdict(Decimal)
        day = self.start
        while day <= self.end:
            t = _Tally()
            for figure in FIGURES:
                if figure.precomputed:
                    t.touch(figure.key)
            for key, value in self.stocks[day].values.items() if day in self.stocks else ():
                running[key] += value
            t.values.update(running)
            for key, value in self.flows[day].values.items() if day in self.flows else ():
                t.values[key] += value
            out[day] = dict(t.values)
            day += timedelta(days=1)
        return out


def compute_day(session: Session, day: date) -> dict[Key, Decimal]:
    """Every precomputed figure's values on day, from the records as they are now."""
    return compute_days(session, day, day)[day]


def compute_days(session: Session, first: date, last: date) -> dict[date, dict[Key, Decimal]]:
    """Every precomputed figure's values on each day from first to last, in one pass.

    Reads each record type once for the whole range (a bulk load marks hundreds of days; one
    query per figure and range, not per day, keeps recomputing them fast). A flow counts a record
    on its city day; a stock counts it on every day from the one it appeared.
    """
    start, _ = day_bounds(first)
    _, end = day_bounds(last)
    days = _Days(first, last)

    # Innovation: achievements collected and published, by source channel.
    for created, chain_id, channel in session.execute(
        select(Achievement.created_at, Achievement.chain_id, Achievement.source_channel).where(
            Achievement.created_at >= start, Achievement.created_at < end
        )
    ):
        days.flow(city_day(created), "achievements_collected", [chain_id], 1, channel)
    published = service.published_achievements().where(
        Achievement.published_at >= start, Achievement.published_at < end
    )
    # Columns only (visible_query's filters kept): loading whole records made this the slowest
    # part of recomputing a bulk load's days.
    for published_at, chain_id, channel in session.execute(
        published.with_only_columns(
            Achievement.published_at, Achievement.chain_id, Achievement.source_channel
        )
    ):
        days.flow(
            city_day(published_at) if published_at else None,
            "achievements_published",
            [chain_id],
            1,
            channel,
        )

    # Units connected (stocks), on each of their chains.
    org_chains = _org_chains(session)
    for org_id, created, kind in session.execute(
        organizations.visible_query(service.PUBLIC)
        .where(Organization.created_at < end)
        .with_only_columns(Organization.id, Organization.created_at, Organization.kind)
    ):
        since = city_day(created)
        if kind == "enterprise":
            days.stock(since, "enterprises_connected", org_chains.get(org_id, ()), 1)
        elif kind in ("university", "institute"):
            days.stock(since, "institutions_connected", org_chains.get(org_id, ()), 1, kind)

    # Industry: demand lists published, and signed when their first contract is signed.
    for published_at, chain_id, list_type in session.execute(
        service.published_demands()
        .where(Demand.published_at >= start, Demand.published_at < end)
        .with_only_columns(Demand.published_at, Demand.chain_id, Demand.list_type)
    ):
        days.flow(
            city_day(published_at) if published_at else None,
            "demands_published",
            [chain_id],
            1,
            list_type,
        )
    first_signed = dict(
        session.execute(
            select(Deal.demand_id, func.min(Contract.signed_on))
            .join(Contract, Contract.deal_id == Deal.id)
            .where(Deal.demand_id.is_not(None))
            .group_by(Deal.demand_id)
        ).all()
    )
    signed_in_range = {d: first for d, first in first_signed.items() if first_day_in(first, days)}
    for demand_id, chain_id in session.execute(
        select(Demand.id, Demand.chain_id).where(Demand.id.in_(list(signed_in_range)))
    ):
        days.flow(signed_in_range[demand_id], "demands_signed", [chain_id], 1)
    for signed_on, chain_id, amount in session.execute(
        select(Contract.signed_on, Demand.chain_id, Contract.amount)
        .join(Deal, Deal.id == Contract.deal_id)
        .join(Demand, Demand.id == Deal.demand_id)
        .where(Contract.signed_on >= first, Contract.signed_on <= last)
    ):
        days.flow(signed_on, "demands_signed_value", [chain_id], amount)

    # Brokerage: deals by channel (new that day) and by current stage (all so far), contracts.
    # Read as columns, not objects: every deal so far counts in the stock by stage.
    deal_chain = func.coalesce(Demand.chain_id, Achievement.chain_id)
    by_channel = case(
        (Deal.match_id.is_not(None), "suggestion"),
        (Deal.broker_id.is_not(None), "broker"),
        else_="direct",
    )
    for created, stage, deal_channel, chain_id in session.execute(
        select(Deal.created_at, Deal.stage, by_channel, deal_chain)
        .outerjoin(Demand, Demand.id == Deal.demand_id)
        .outerjoin(Achievement, Achievement.id == Deal.achievement_id)
        .where(Deal.created_at < end)
    ):
        created_day = city_day(created)
        days.stock(created_day, "deals_by_stage", [chain_id], 1, stage)
        days.flow(created_day, "deals_created", [chain_id], 1, deal_channel)
    contracts = list(
        session.scalars(
            select(Contract).where(Contract.signed_on >= first, Contract.signed_on <= last)
        )
    )
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
        days.flow(contract.signed_on, "contracts_signed", chain, 1, channel)
        days.flow(contract.signed_on, "contract_value", chain, contract.amount, channel)
    for created, certified_on in session.execute(
        select(Broker.created_at, Broker.certified_on).where(Broker.created_at < end)
    ):
        since = city_day(created)
        days.stock(since, "brokers", [], 1)
        if certified_on is not None:
            days.stock(max(since, certified_on), "brokers_certified", [], 1)

    # Events held (closed ones were held too), talent needs collected.
    for starts_at, chain_id in session.execute(
        select(Event.starts_at, Event.chain_id).where(
            Event.status.in_(("held", "closed")), Event.starts_at >= start, Event.starts_at < end
        )
    ):
        days.flow(city_day(starts_at), "events_held", [chain_id], 1)
    for created, chain_id, co_shared in session.execute(
        talent.visible_needs(service.PUBLIC)
        .where(TalentNeed.created_at >= start, TalentNeed.created_at < end)
        .with_only_columns(TalentNeed.created_at, TalentNeed.chain_id, TalentNeed.co_shared)
    ):
        days.flow(
            city_day(created),
            "talent_needs_collected",
            [chain_id],
            1,
            "co_shared" if co_shared else "",
        )

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
        since = city_day(named.created_at)
        days.stock(since, "named_classes", chains, 1)
        days.stock(since, "class_students", chains, named.students)
    for base in session.scalars(select(TrainingBase).where(TrainingBase.created_at < end)):
        since = city_day(base.created_at)
        days.stock(since, "training_seats", [base.chain_id], base.yearly_capacity)
        days.stock(since, "trainees", [base.chain_id], base.trainees_this_year)
    # A platform counts on every chain it serves (its primary chain is one of them).
    served: dict[int, set[int | None]] = defaultdict(set)
    for platform_id, served_chain in session.execute(
        select(platform_chains.c.platform_id, platform_chains.c.chain_id)
    ):
        served[platform_id].add(served_chain)
    for platform_id, created, chain_id, kind in session.execute(
        platforms.visible_query(service.PUBLIC)
        .where(Platform.created_at < end)
        .with_only_columns(Platform.id, Platform.created_at, Platform.chain_id, Platform.kind)
    ):
        days.stock(city_day(created), "platforms", served[platform_id] | {chain_id}, 1, kind)
    for created, chain_id in session.execute(
        select(InnovationConsortium.created_at, InnovationConsortium.chain_id).where(
            InnovationConsortium.created_at < end
        )
    ):
        days.stock(city_day(created), "consortium_projects", [chain_id], 1)
    return days.result()


def first_day_in(day: date | None, days: _Days) -> bool:
    """Whether a date falls in the range being computed."""
    return day is not None and days.start <= day <= days.end


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


def _number(value: Any, scale: int = 1) -> Decimal:
    """A figure function's number as a Decimal (None, as a utilisation with no capacity, is 0)."""
    if value is None:
        return ZERO
    return (Decimal(str(value)) * scale).quantize(Decimal("0.01")).normalize() + ZERO


def period_value(
    session: Session,
    figure: Figure,
    span: Period,
    chain_id: int | None = None,
    cache: dict[Any, Any] | None = None,
) -> tuple[Decimal, dict[str, Decimal]]:
    """A "period" figure's total and breakdown, from its feature's function over span.

    cache (one per report) lets several figures read one function call, as the four subsidy
    figures read one `subsidies.figures` result. A mapping result is a breakdown (its keys, None
    written "none") whose total is the sum of its values.
    """
    if figure.fn is None:
        raise ValueError(f"figure {figure.key} has no figure function")
    cache = {} if cache is None else cache
    call = (figure.fn, span.start, span.end, chain_id)
    if call not in cache:
        cache[call] = figure.fn(session, span.start, span.end, chain_id)
    result = cache[call]
    if figure.field:
        result = getattr(result, figure.field)
    if isinstance(result, Mapping):
        breakdown = {
            ("none" if k is None else str(k)): _number(v, figure.scale) for k, v in result.items()
        }
        return sum(breakdown.values(), ZERO), dict(sorted(breakdown.items()))
    return _number(result, figure.scale), {}


def report(
    session: Session, span: Period, chain_id: int | None = None, precomputed_only: bool = False
) -> list[FigureValue]:
    """Every figure for a period and a chain (None: the city), in `FIGURES` order;
    precomputed_only leaves out the "period" figures (which call their functions)."""
    values = read(session, span, chain_id)
    refreshed = (
        session.scalar(
            select(func.count(FigureDay.id)).where(
                FigureDay.chain_id == CITY, FigureDay.day >= span.start, FigureDay.day <= span.end
            )
        )
        or 0
    ) > 0
    cache: dict[Any, Any] = {}
    out = []
    for figure in FIGURES:
        if not figure.precomputed and precomputed_only:
            continue
        if not figure.precomputed:
            total, breakdown = period_value(session, figure, span, chain_id, cache)
            out.append(FigureValue(figure, total, breakdown, refreshed=True))
            continue
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


def compare(
    session: Session, span: Period, previous: Period, chain_id: int | None = None
) -> list[tuple[FigureValue, FigureValue]]:
    """Every figure for span beside the same figure for previous, in `FIGURES` order."""
    return list(
        zip(report(session, span, chain_id), report(session, previous, chain_id), strict=True)
    )


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
