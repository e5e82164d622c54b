"""The dashboard: headline figures with period-on-period change, monthly trends, breakdowns by
chain and channel, conversion funnels, top brokers, and the records behind every number.

The office (whoever `dashboard.view` lets see every record) reads the city's precomputed daily
summary (`figure_days`, recomputed first where changes marked days dirty); everyone else sees
the same figures for their own unit, counted live from the records they own. Every number comes
with the query of the records behind it (`Source`), and the drill-down list counts that query,
so a number and its list cannot disagree.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    false,
    func,
    literal_column,
    null,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from silian.accounts.models import User
from silian.achievements import service as achievements
from silian.achievements.choices import SOURCE_CHANNELS
from silian.achievements.models import Achievement
from silian.brokerage.models import Broker, Contract, Deal, Match
from silian.chains import service as chains
from silian.chains.models import IndustryChain
from silian.core import permissions
from silian.core.errors import ValidationFailed
from silian.demands import service as demands
from silian.demands.choices import LIST_TYPES
from silian.demands.models import Demand
from silian.events.choices import EVENT_KINDS
from silian.events.models import Event, EventEntry
from silian.insights import figures, freshness, service
from silian.insights.models import CITY, FigureDay
from silian.meetings import service as meetings
from silian.meetings.models import FollowUpTask
from silian.talent import service as talent
from silian.talent.models import TalentNeed

ZERO = Decimal(0)
ONE: Any = literal_column("1")
PAGE_SIZE = 100
TOP_BROKERS = 10

# --- scope: whose records ---------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose figures a viewer reads: the whole city, or the records their own unit holds."""

    user: User
    city: bool
    label: str


def scope_of(user: User) -> Scope:
    """The viewer's scope, from the permission table (never from the role itself)."""
    permissions.require(user, "dashboard.view")
    if permissions.sees_everything(user, "dashboard.view"):
        return Scope(user, True, "全市")
    org = getattr(user, "organization", None)
    return Scope(user, False, org.name if org is not None else f"{user.name}（本人）")


def _own_unit(user: User, org_column: Any, creator: Any | None = None) -> ColumnElement[bool]:
    """Rows of the viewer's own unit (or created by the viewer)."""
    own: list[ColumnElement[bool]] = []
    if user.organization_id is not None:
        own.append(org_column == user.organization_id)
    if creator is not None:
        own.append(creator == user.id)
    return or_(*own) if own else false()


def _own_deal(user: User) -> ColumnElement[bool]:
    """Deals the viewer may see: their unit is a party, or they are its broker."""
    mine = Deal.broker_id.in_(select(Broker.id).where(Broker.user_id == user.id))
    parties = []
    if user.organization_id is not None:
        parties = [Deal.seller_id == user.organization_id, Deal.buyer_id == user.organization_id]
    return or_(mine, *parties)


def _own_contract(user: User) -> ColumnElement[bool]:
    """Contracts the viewer is party to, entered, or brokered (as `contract.view` lists them)."""
    own: list[ColumnElement[bool]] = [
        Contract.created_by_id == user.id,
        Contract.deal_id.in_(
            select(Deal.id).where(
                Deal.broker_id.in_(select(Broker.id).where(Broker.user_id == user.id))
            )
        ),
    ]
    if user.organization_id is not None:
        own += [
            Contract.seller_id == user.organization_id,
            Contract.buyer_id == user.organization_id,
        ]
    return or_(*own)


# --- periods ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the viewer asked for: a period, its predecessor, and a chain (None: all)."""

    kind: str
    year: int
    number: int
    span: figures.Period
    previous: figures.Period
    chain_id: int | None

    def query(self, **extra: Any) -> str:
        """The query string of these filters plus extra parameters (for links)."""
        params: dict[str, Any] = {"period": self.kind, "year": self.year, "number": self.number}
        if self.kind == "custom":
            params = {"period": "custom", "start": self.span.start, "end": self.span.end}
        if self.chain_id:
            params["chain"] = self.chain_id
        params.update({k: v for k, v in extra.items() if v not in (None, "")})
        return urlencode(params)


def previous_period(kind: str, span: figures.Period) -> figures.Period:
    """The period before span: last month, last quarter, last year, or as many days before."""
    if kind in ("month", "quarter", "year"):
        months = {"month": 1, "quarter": 3, "year": 12}[kind]
        year, month = span.start.year, span.start.month - months
        while month < 1:
            month += 12
            year -= 1
        start = date(year, month, 1)
        end = span.start - timedelta(days=1)
        return figures.Period(start, end)
    length = (span.end - span.start).days + 1
    return figures.Period(span.start - timedelta(days=length), span.start - timedelta(days=1))


def filters(
    kind: str = "year",
    year: int | None = None,
    number: int | None = None,
    start: date | None = None,
    end: date | None = None,
    chain_id: int | None = None,
) -> Filters:
    """Parse the dashboard's filters; the default is this year, all chains."""
    today = figures.city_today()
    year = year or today.year
    if number is None:
        number = today.month if kind == "month" else (today.month - 1) // 3 + 1
    span = figures.period(kind, year, number, start, end)
    if (span.end - span.start).days > 3660:
        raise ValidationFailed({"end": "自定义时段不能超过十年"})
    return Filters(kind, year, number, span, previous_period(kind, span), chain_id)


# --- sources: the records behind each number --------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One number's records: the query, what a row links to, and how it is labelled.

    `build(scope)` returns a select whose columns are labelled id, title, at (the date or
    instant that places the row in a period), chain_id, breakdown, amount and broker_id.
    """

    key: str
    label: str
    unit: str
    link: str  # URL template of one record ("" when records have no page)
    build: Callable[[Scope], Select[Any]]
    dated: bool  # `at` is a date (else an instant, placed on the city's calendar day)
    amount: bool = False  # the number is the sum of amount (else the count of rows)
    flow: str = ""  # the figure of `figures.FIGURES` the office reads precomputed


def _channel(deal: Any) -> Any:
    return case(
        (deal.match_id.is_not(None), "suggestion"),
        (deal.broker_id.is_not(None), "broker"),
        else_="direct",
    )


def _achievements_collected(scope: Scope) -> Select[Any]:
    base = achievements.visible_query(scope.user)
    if not scope.city:
        base = base.where(
            _own_unit(scope.user, Achievement.organization_id, Achievement.created_by_id)
        )
    return base.with_only_columns(
        Achievement.id,
        Achievement.title.label("title"),
        Achievement.created_at.label("at"),
        Achievement.chain_id.label("chain_id"),
        Achievement.source_channel.label("breakdown"),
        ONE.label("amount"),
        null().label("broker_id"),
    )


def _achievements_published(scope: Scope) -> Select[Any]:
    base = service.published_achievements()
    if not scope.city:
        base = base.where(
            _own_unit(scope.user, Achievement.organization_id, Achievement.created_by_id)
        )
    return base.with_only_columns(
        Achievement.id,
        Achievement.title.label("title"),
        Achievement.published_at.label("at"),
        Achievement.chain_id.label("chain_id"),
        Achievement.source_channel.label("breakdown"),
        ONE.label("amount"),
        null().label("broker_id"),
    )


def _demands_published(scope: Scope) -> Select[Any]:
    base = service.published_demands()
    if not scope.city:
        base = base.where(_own_unit(scope.user, Demand.organization_id, Demand.created_by_id))
    return base.with_only_columns(
        Demand.id,
        Demand.title.label("title"),
        Demand.published_at.label("at"),
        Demand.chain_id.label("chain_id"),
        Demand.list_type.label("breakdown"),
        ONE.label("amount"),
        null().label("broker_id"),
    )


def _demands_signed(scope: Scope) -> Select[Any]:
    first = (
        select(Deal.demand_id.label("demand_id"), func.min(Contract.signed_on).label("first"))
        .join(Contract, Contract.deal_id == Deal.id)
        .where(Deal.demand_id.is_not(None))
        .group_by(Deal.demand_id)
        .subquery()
    )
    base = select(Demand) if scope.city else demands.visible_query(scope.user)
    if not scope.city:
        base = base.where(_own_unit(scope.user, Demand.organization_id, Demand.created_by_id))
    return base.join(first, first.c.demand_id == Demand.id).with_only_columns(
        Demand.id,
        Demand.title.label("title"),
        first.c.first.label("at"),
        Demand.chain_id.label("chain_id"),
        Demand.list_type.label("breakdown"),
        ONE.label("amount"),
        null().label("broker_id"),
    )


def _contracts(scope: Scope, demand_only: bool = False) -> Select[Any]:
    dem, ach = aliased(Demand), aliased(Achievement)
    stmt = select(
        Contract.id,
        Contract.title.label("title"),
        Contract.signed_on.label("at"),
        (dem.chain_id if demand_only else func.coalesce(dem.chain_id, ach.chain_id)).label(
            "chain_id"
        ),
        case((Deal.id.is_(None), "direct"), else_=_channel(Deal)).label("breakdown"),
        Contract.amount.label("amount"),
        Deal.broker_id.label("broker_id"),
    )
    if demand_only:
        stmt = stmt.join(Deal, Deal.id == Contract.deal_id).join(dem, dem.id == Deal.demand_id)
    else:
        stmt = (
            stmt.outerjoin(Deal, Deal.id == Contract.deal_id)
            .outerjoin(dem, dem.id == Deal.demand_id)
            .outerjoin(ach, ach.id == Deal.achievement_id)
        )
    if not scope.city:
        stmt = stmt.where(_own_contract(scope.user))
    return stmt


def _deals_created(scope: Scope) -> Select[Any]:
    dem, ach = aliased(Demand), aliased(Achievement)
    stmt = (
        select(
            Deal.id,
            Deal.title.label("title"),
            Deal.created_at.label("at"),
            func.coalesce(dem.chain_id, ach.chain_id).label("chain_id"),
            _channel(Deal).label("breakdown"),
            ONE.label("amount"),
            Deal.broker_id.label("broker_id"),
        )
        .outerjoin(dem, dem.id == Deal.demand_id)
        .outerjoin(ach, ach.id == Deal.achievement_id)
    )
    if not scope.city:
        stmt = stmt.where(_own_deal(scope.user))
    return stmt


def _events_held(scope: Scope) -> Select[Any]:
    stmt = select(
        Event.id,
        Event.title.label("title"),
        Event.starts_at.label("at"),
        Event.chain_id.label("chain_id"),
        Event.kind.label("breakdown"),
        ONE.label("amount"),
        null().label("broker_id"),
    ).where(Event.status.in_(("held", "closed")))  # closed ones were held too
    if not scope.city:
        stmt = stmt.where(_own_unit(scope.user, Event.organizer_id))
    return stmt


def _talent_needs(scope: Scope) -> Select[Any]:
    base = talent.visible_needs(scope.user if not scope.city else service.PUBLIC)
    if not scope.city:
        base = base.where(_own_unit(scope.user, TalentNeed.organization_id))
    return base.with_only_columns(
        TalentNeed.id,
        TalentNeed.position.label("title"),
        TalentNeed.created_at.label("at"),
        TalentNeed.chain_id.label("chain_id"),
        case((TalentNeed.co_shared, "co_shared"), else_="").label("breakdown"),
        ONE.label("amount"),
        null().label("broker_id"),
    )


# The demand funnel (demand → suggested → contacted → signed) and the achievement funnel
# (achievement → shown → deal), cohorts of what was published in the period.
def _suggested() -> ColumnElement[bool]:
    # `id IN (small subquery)`: the database walks the matches and looks each demand up by key,
    # instead of probing the matches for every demand of the period.
    return or_(
        Demand.id.in_(select(Match.source_id).where(Match.source_kind == "demand")),
        Demand.id.in_(select(Match.target_id).where(Match.target_kind == "demand")),
    )


def _contacted() -> ColumnElement[bool]:
    return Demand.id.in_(select(Deal.demand_id).where(Deal.stage != "recommended"))


def _signed() -> ColumnElement[bool]:
    return Demand.id.in_(select(Deal.demand_id).join(Contract, Contract.deal_id == Deal.id))


def _demand_step(condition: Callable[[], ColumnElement[bool]] | None) -> Callable:
    def build(scope: Scope) -> Select[Any]:
        stmt = _demands_published(scope)
        return stmt.where(condition()) if condition else stmt

    return build


def _shown() -> ColumnElement[bool]:
    return Achievement.id.in_(select(EventEntry.achievement_id))


def _dealt() -> ColumnElement[bool]:
    return Achievement.id.in_(select(Deal.achievement_id).where(Deal.achievement_id.is_not(None)))


def _achievement_step(condition: Callable[[], ColumnElement[bool]] | None) -> Callable:
    def build(scope: Scope) -> Select[Any]:
        stmt = _achievements_published(scope)
        return stmt.where(condition()) if condition else stmt

    return build


SOURCES: dict[str, Source] = {
    s.key: s
    for s in (
        Source(
            "achievements_collected",
            "成果入库",
            "项",
            "/achievements/{id}",
            _achievements_collected,
            False,
            flow="achievements_collected",
        ),
        Source(
            "achievements_published",
            "成果发布",
            "项",
            "/achievements/{id}",
            _achievements_published,
            False,
            flow="achievements_published",
        ),
        Source(
            "demands_published",
            "发布榜单",
            "项",
            "/demands/{id}",
            _demands_published,
            False,
            flow="demands_published",
        ),
        Source(
            "demands_signed",
            "签约榜单",
            "项",
            "/demands/{id}",
            _demands_signed,
            True,
            flow="demands_signed",
        ),
        Source(
            "demands_signed_value",
            "榜单签约金额",
            "元",
            "/contracts/{id}",
            lambda scope: _contracts(scope, demand_only=True),
            True,
            amount=True,
            flow="demands_signed_value",
        ),
        Source(
            "deals_created",
            "新增对接",
            "项",
            "/deals/{id}",
            _deals_created,
            False,
            flow="deals_created",
        ),
        Source(
            "contracts_signed",
            "技术合同",
            "份",
            "/contracts/{id}",
            _contracts,
            True,
            flow="contracts_signed",
        ),
        Source(
            "contract_value",
            "技术合同额",
            "元",
            "/contracts/{id}",
            _contracts,
            True,
            amount=True,
            flow="contract_value",
        ),
        Source("events_held", "举办活动", "场", "", _events_held, False, flow="events_held"),
        Source(
            "talent_needs_collected",
            "征集人才需求",
            "个",
            "/talent-needs/{id}",
            _talent_needs,
            False,
            flow="talent_needs_collected",
        ),
        Source("demand_funnel", "发布榜单", "项", "/demands/{id}", _demand_step(None), False),
        Source(
            "demand_funnel_suggested",
            "已有推荐",
            "项",
            "/demands/{id}",
            _demand_step(_suggested),
            False,
        ),
        Source(
            "demand_funnel_contacted",
            "已联系",
            "项",
            "/demands/{id}",
            _demand_step(_contacted),
            False,
        ),
        Source(
            "demand_funnel_signed", "已签约", "项", "/demands/{id}", _demand_step(_signed), False
        ),
        Source(
            "achievement_funnel",
            "发布成果",
            "项",
            "/achievements/{id}",
            _achievement_step(None),
            False,
        ),
        Source(
            "achievement_funnel_shown",
            "已路演展示",
            "项",
            "/achievements/{id}",
            _achievement_step(_shown),
            False,
        ),
        Source(
            "achievement_funnel_deal",
            "已进入对接",
            "项",
            "/achievements/{id}",
            _achievement_step(_dealt),
            False,
        ),
    )
}
HEADLINE = (
    "achievements_collected",
    "achievements_published",
    "demands_published",
    "demands_signed",
    "demands_signed_value",
    "deals_created",
    "contracts_signed",
    "contract_value",
    "events_held",
    "talent_needs_collected",
)
TRENDS = ("achievements_published", "demands_published", "deals_created", "contracts_signed")
CHAIN_FIGURES = ("achievements_published", "demands_published", "deals_created", "contract_value")
CHANNEL_FIGURES = ("achievements_collected", "deals_created", "contract_value")
FUNNELS = {
    "demand": (
        "demand_funnel",
        "demand_funnel_suggested",
        "demand_funnel_contacted",
        "demand_funnel_signed",
    ),
    "achievement": ("achievement_funnel", "achievement_funnel_shown", "achievement_funnel_deal"),
}
DEAL_CHANNELS = {"suggestion": "平台推荐", "broker": "经纪人撮合", "direct": "直接对接"}
# How each number's breakdown values read, by the kind of record behind it.
BREAKDOWN_LABELS: dict[str, dict[str, str]] = {
    "/achievements/{id}": dict(SOURCE_CHANNELS),
    "/demands/{id}": dict(LIST_TYPES),
    "/deals/{id}": DEAL_CHANNELS,
    "/contracts/{id}": DEAL_CHANNELS,
    "/talent-needs/{id}": {"co_shared": "共享人才"},
    "": dict(EVENT_KINDS),  # events have no page of their own yet
}


def breakdown_label(src: Source, value: str | None) -> str:
    """A breakdown value in Chinese (channel, list type…)."""
    return BREAKDOWN_LABELS.get(src.link, {}).get(value or "", value or "")


def source(key: str) -> Source:
    """The source of a number; an unknown key is refused with a clear message."""
    try:
        return SOURCES[key]
    except KeyError:
        raise ValidationFailed({"figure": f"没有名为 {key} 的统计口径"}) from None


def records_query(
    scope: Scope,
    src: Source,
    span: figures.Period,
    chain_id: int | None = None,
    breakdown: str | None = None,
    broker_id: int | None = None,
) -> Select[Any]:
    """The records behind one number, as a subquery-ready select of the labelled columns."""
    inner = src.build(scope).subquery()
    if src.dated:
        in_span = and_(inner.c.at >= span.start, inner.c.at <= span.end)
    else:
        start, _ = figures.day_bounds(span.start)
        _, end = figures.day_bounds(span.end)
        in_span = and_(inner.c.at >= start, inner.c.at < end)
    stmt = select(inner).where(in_span)
    if chain_id is not None:
        stmt = stmt.where(inner.c.chain_id == chain_id)
    if breakdown is not None:
        stmt = stmt.where(inner.c.breakdown == breakdown)
    if broker_id is not None:
        stmt = stmt.where(inner.c.broker_id == broker_id)
    return stmt


def _total(session: Session, src: Source, stmt: Select[Any]) -> Decimal:
    sub = stmt.subquery()
    value = func.sum(sub.c.amount) if src.amount else func.count()
    return Decimal(session.scalar(select(value).select_from(sub)) or 0)


def live_value(
    session: Session,
    scope: Scope,
    key: str,
    span: figures.Period,
    chain_id: int | None = None,
    breakdown: str | None = None,
    broker_id: int | None = None,
) -> Decimal:
    """One number counted from the records now (what its drill-down list totals)."""
    src = source(key)
    return _total(session, src, records_query(scope, src, span, chain_id, breakdown, broker_id))


# --- the dashboard ----------------------------------------------------------------------------


@dataclass
class Headline:
    """One headline number for the period, the one before it, and its change."""

    key: str
    label: str
    unit: str
    value: Decimal
    previous: Decimal
    link: str
    previous_link: str

    @property
    def change(self) -> float | None:
        """Relative change against the previous period (None when that was zero)."""
        if not self.previous:
            return None
        return float((self.value - self.previous) / self.previous)


@dataclass
class Dashboard:
    """Everything the dashboard page shows, each number with the link to its records."""

    scope: Scope
    filters: Filters
    chains: list[IndustryChain]
    headlines: list[Headline] = field(default_factory=list)
    months: list[figures.Period] = field(default_factory=list)
    trends: dict[str, list[tuple[Decimal, str]]] = field(default_factory=dict)
    by_chain: list[tuple[IndustryChain, dict[str, tuple[Decimal, str]]]] = field(
        default_factory=list
    )
    by_channel: dict[str, list[tuple[str, str, Decimal, str]]] = field(default_factory=dict)
    funnels: dict[str, list[tuple[str, Decimal, str]]] = field(default_factory=dict)
    brokers: list[dict[str, Any]] = field(default_factory=list)
    # Every registered figure (now, previous period) with its source; None outside the city view
    # (the registry's figures count the whole city or a chain, not one unit's records).
    all_figures: list[tuple[figures.FigureValue, figures.FigureValue]] | None = None
    refreshed: int = 0  # marked days recomputed before reading
    pending: int = 0  # marked days still waiting (beyond what one read recomputes)
    summarised: bool = True  # the summary holds the period (else `silian figures refresh`)
    # The offices' desk: 督办 tasks past their due date, and the quarter a briefing would cover.
    overdue_tasks: list[FollowUpTask] | None = None  # None: the viewer does not run meetings
    briefing_quarter: tuple[int, int] | None = None  # None: the viewer may not download it

    def label(self, key: str) -> str:
        """A number's Chinese label."""
        return SOURCES[key].label

    def unit(self, key: str) -> str:
        """A number's unit."""
        return SOURCES[key].unit

    def chart_data(self) -> dict[str, Any]:
        """What the page's charts draw (embedded as JSON; the tables show the same numbers)."""

        def num(value: Decimal) -> float:
            return float(value)

        return {
            "months": [f"{m.start:%Y-%m}" for m in self.months],
            "trends": [
                {"name": self.label(k), "data": [num(v) for v, _ in pts]}
                for k, pts in self.trends.items()
            ],
            "chains": [c.name for c, _ in self.by_chain],
            "by_chain": [
                {"name": self.label(k), "data": [num(row[k][0]) for _, row in self.by_chain]}
                for k in CHAIN_FIGURES
            ],
            "channels": {
                k: [{"name": label, "value": num(v)} for _, label, v, _ in rows]
                for k, rows in self.by_channel.items()
            },
            "funnels": {
                k: [{"name": label, "value": num(v)} for label, v, _ in steps]
                for k, steps in self.funnels.items()
            },
        }


def _months(end: date, count: int = 12) -> list[figures.Period]:
    out = []
    year, month = end.year, end.month
    for _ in range(count):
        out.append(
            figures.Period(
                date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
            )
        )
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out[::-1]


class _Reader:
    """Reads numbers for a scope: the precomputed summary for the city, records otherwise."""

    def __init__(self, session: Session, scope: Scope) -> None:
        self.session = session
        self.scope = scope

    def totals(
        self, keys: tuple[str, ...], span: figures.Period, chain_id: int | None
    ) -> dict[str, dict[str, Decimal]]:
        """key → breakdown ('' for the total) → value over span."""
        if self.scope.city:
            flows = {SOURCES[k].flow: k for k in keys}
            read = figures.read(self.session, span, chain_id)
            return {flows[f]: dict(v) for f, v in read.items() if f in flows} | {
                k: {"": ZERO} for k in keys if SOURCES[k].flow not in read
            }
        out: dict[str, dict[str, Decimal]] = {}
        for key in keys:
            src = SOURCES[key]
            sub = records_query(self.scope, src, span, chain_id).subquery()
            value = func.sum(sub.c.amount) if src.amount else func.count()
            rows = self.session.execute(
                select(sub.c.breakdown, value).group_by(sub.c.breakdown)
            ).all()
            got = {"": sum((Decimal(v or 0) for _, v in rows), ZERO)}
            got.update({str(b): Decimal(v or 0) for b, v in rows if b})
            out[key] = got
        return out

    def monthly(
        self, keys: tuple[str, ...], months: list[figures.Period], chain_id: int | None
    ) -> dict[str, list[Decimal]]:
        """key → one value per month."""
        index = {(m.start.year, m.start.month): i for i, m in enumerate(months)}
        out = {k: [ZERO] * len(months) for k in keys}
        span = figures.Period(months[0].start, months[-1].end)
        if self.scope.city:
            flows = {SOURCES[k].flow: k for k in keys}
            rows = self.session.execute(
                select(FigureDay.day, FigureDay.figure, FigureDay.value).where(
                    FigureDay.chain_id == (CITY if chain_id is None else chain_id),
                    FigureDay.breakdown == "",
                    FigureDay.figure.in_(flows),
                    FigureDay.day >= span.start,
                    FigureDay.day <= span.end,
                )
            )
            for day, figure, value in rows:
                out[flows[figure]][index[(day.year, day.month)]] += Decimal(value)
            return out
        for key in keys:
            src = SOURCES[key]
            sub = records_query(self.scope, src, span, chain_id).subquery()
            for at, amount in self.session.execute(select(sub.c.at, sub.c.amount)):
                day = at if src.dated else figures.city_day(at)
                out[key][index[(day.year, day.month)]] += Decimal(amount or 0) if src.amount else 1
        return out

    def per_chain(
        self, keys: tuple[str, ...], span: figures.Period
    ) -> dict[str, dict[int, Decimal]]:
        """key → chain → value over span."""
        out: dict[str, dict[int, Decimal]] = {k: defaultdict(Decimal) for k in keys}
        if self.scope.city:
            flows = {SOURCES[k].flow: k for k in keys}
            rows = self.session.execute(
                select(FigureDay.chain_id, FigureDay.figure, func.sum(FigureDay.value))
                .where(
                    FigureDay.chain_id != CITY,
                    FigureDay.breakdown == "",
                    FigureDay.figure.in_(flows),
                    FigureDay.day >= span.start,
                    FigureDay.day <= span.end,
                )
                .group_by(FigureDay.chain_id, FigureDay.figure)
            )
            for chain_id, figure, value in rows:
                out[flows[figure]][chain_id] = Decimal(value)
            return out
        for key in keys:
            src = SOURCES[key]
            sub = records_query(self.scope, src, span).subquery()
            measure = func.sum(sub.c.amount) if src.amount else func.count()
            for chain_id, v in self.session.execute(
                select(sub.c.chain_id, measure)
                .where(sub.c.chain_id.is_not(None))
                .group_by(sub.c.chain_id)
            ):
                out[key][chain_id] = Decimal(v or 0)
        return out


def _link(f: Filters, key: str, span: figures.Period | None = None, **extra: Any) -> str:
    span = span or f.span
    params: dict[str, Any] = {"figure": key, "start": span.start, "end": span.end}
    if f.chain_id:
        params["chain"] = f.chain_id
    params.update({k: v for k, v in extra.items() if v is not None})
    return "/dashboard/records?" + urlencode(params)


def top_brokers(
    session: Session, scope: Scope, f: Filters, limit: int = TOP_BROKERS
) -> list[dict[str, Any]]:
    """Brokers by contract value signed in the period, then deals opened, with links."""
    if f.chain_id is None:
        # Without a chain filter the brokers' counts need no chain: read deals and contracts
        # directly (the same rows their lists show), not through the chain joins.
        start, _ = figures.day_bounds(f.span.start)
        _, end = figures.day_bounds(f.span.end)
        deal_rows = select(Deal.broker_id, func.count()).where(
            Deal.broker_id.is_not(None), Deal.created_at >= start, Deal.created_at < end
        )
        contract_rows = (
            select(Deal.broker_id, func.count(), func.sum(Contract.amount))
            .join(Deal, Deal.id == Contract.deal_id)
            .where(
                Deal.broker_id.is_not(None),
                Contract.signed_on >= f.span.start,
                Contract.signed_on <= f.span.end,
            )
        )
        if not scope.city:
            deal_rows = deal_rows.where(_own_deal(scope.user))
            contract_rows = contract_rows.where(_own_contract(scope.user))
        opened: dict[Any, int] = dict(session.execute(deal_rows.group_by(Deal.broker_id)).all())
        signed = {b: (n, v) for b, n, v in session.execute(contract_rows.group_by(Deal.broker_id))}
    else:
        deals = records_query(scope, SOURCES["deals_created"], f.span, f.chain_id).subquery()
        contracts = records_query(scope, SOURCES["contract_value"], f.span, f.chain_id).subquery()
        opened = dict(
            session.execute(
                select(deals.c.broker_id, func.count())
                .where(deals.c.broker_id.is_not(None))
                .group_by(deals.c.broker_id)
            ).all()
        )
        signed = {
            b: (n, v)
            for b, n, v in session.execute(
                select(contracts.c.broker_id, func.count(), func.sum(contracts.c.amount))
                .where(contracts.c.broker_id.is_not(None))
                .group_by(contracts.c.broker_id)
            )
        }
    ids = set(opened) | set(signed)
    names: dict[Any, str] = dict(
        session.execute(select(Broker.id, Broker.name).where(Broker.id.in_(ids))).all()
    )
    rows: list[dict[str, Any]] = [
        {
            "id": b,
            "name": names.get(b, ""),
            "deals": int(opened.get(b, 0)),
            "contracts": int(signed.get(b, (0, 0))[0]),
            "value": Decimal(signed.get(b, (0, 0))[1] or 0),
            "deals_link": _link(f, "deals_created", broker=b),
            "contracts_link": _link(f, "contracts_signed", broker=b),
            "value_link": _link(f, "contract_value", broker=b),
        }
        for b in ids
    ]
    rows.sort(key=lambda r: (-r["value"], -r["deals"], r["name"]))
    return rows[:limit]


def dashboard(session: Session, user: User, f: Filters) -> Dashboard:
    """The dashboard for user: the city (office) or their own unit, for the filters."""
    scope = scope_of(user)
    chain_list = list(session.scalars(chains.visible_query(user)))
    if f.chain_id is not None:
        chains.get_chain(session, user, f.chain_id)
    out = Dashboard(scope=scope, filters=f, chains=chain_list)
    out.months = _months(f.span.end)
    if scope.city:
        # Recompute what changes marked inside the days this page reads, then read.
        window = (min(f.previous.start, out.months[0].start), f.span.end)
        out.refreshed = freshness.process(session, *window)
        out.pending = freshness.pending(session, *window)
        out.summarised = bool(
            session.scalar(
                select(func.count(FigureDay.id)).where(
                    FigureDay.chain_id == CITY,
                    FigureDay.day >= f.span.start,
                    FigureDay.day <= f.span.end,
                )
            )
        )
    reader = _Reader(session, scope)

    now = reader.totals(HEADLINE, f.span, f.chain_id)
    before = reader.totals(HEADLINE, f.previous, f.chain_id)
    for key in HEADLINE:
        src = SOURCES[key]
        out.headlines.append(
            Headline(
                key=key,
                label=src.label,
                unit=src.unit,
                value=now[key].get("", ZERO),
                previous=before[key].get("", ZERO),
                link=_link(f, key),
                previous_link=_link(f, key, f.previous),
            )
        )

    monthly = reader.monthly(TRENDS, out.months, f.chain_id)
    out.trends = {
        k: [(v, _link(f, k, m)) for v, m in zip(monthly[k], out.months, strict=True)]
        for k in TRENDS
    }

    per_chain = reader.per_chain(CHAIN_FIGURES, f.span)
    shown = [c for c in chain_list if f.chain_id is None or c.id == f.chain_id]
    for c in shown:
        out.by_chain.append(
            (
                c,
                {
                    k: (
                        per_chain[k].get(c.id, ZERO),
                        "/dashboard/records?"
                        + urlencode(
                            {"figure": k, "start": f.span.start, "end": f.span.end, "chain": c.id}
                        ),
                    )
                    for k in CHAIN_FIGURES
                },
            )
        )

    for key in CHANNEL_FIGURES:
        rows = now[key]
        out.by_channel[key] = [
            (b, breakdown_label(SOURCES[key], b), v, _link(f, key, breakdown=b))
            for b, v in sorted(rows.items())
            if b
        ]

    for name, keys in FUNNELS.items():
        out.funnels[name] = [
            (
                SOURCES[k].label,
                live_value(session, scope, k, f.span, f.chain_id),
                _link(f, k),
            )
            for k in keys
        ]
    out.brokers = top_brokers(session, scope, f)
    if scope.city:
        out.all_figures = figures.compare(session, f.span, f.previous, f.chain_id)
    if permissions.can(user, "meeting.view"):
        out.overdue_tasks = meetings.list_tasks(session, user, overdue=True)
    if permissions.can(user, "briefing.download"):
        last = f.span.end  # the quarter the period ends in (the end day is inclusive)
        out.briefing_quarter = (last.year, (last.month - 1) // 3 + 1)
    return out


def to_dict(d: Dashboard) -> dict[str, Any]:
    """The dashboard as JSON-ready data (the API's `DashboardOut`): the page's numbers."""
    f = d.filters
    return {
        "scope": {"city": d.scope.city, "label": d.scope.label},
        "period": {"start": f.span.start, "end": f.span.end, "label": f.span.label},
        "previous_period": {
            "start": f.previous.start,
            "end": f.previous.end,
            "label": f.previous.label,
        },
        "chain_id": f.chain_id,
        "summarised": d.summarised,
        "pending": d.pending,
        "headlines": [
            {
                "key": h.key,
                "label": h.label,
                "unit": h.unit,
                "value": h.value,
                "previous": h.previous,
                "change": h.change,
                "link": h.link,
                "previous_link": h.previous_link,
            }
            for h in d.headlines
        ],
        "months": [f"{m.start:%Y-%m}" for m in d.months],
        "trends": [
            {
                "key": k,
                "label": d.label(k),
                "unit": d.unit(k),
                "values": [v for v, _ in points],
                "links": [link for _, link in points],
            }
            for k, points in d.trends.items()
        ],
        "by_chain": [
            {"chain_id": c.id, "chain_name": c.name, "values": {k: v for k, (v, _) in row.items()}}
            for c, row in d.by_chain
        ],
        "by_channel": {
            k: [
                {"value": value, "label": label, "total": v, "link": link}
                for value, label, v, link in rows
            ]
            for k, rows in d.by_channel.items()
        },
        "funnels": {
            name: [
                {"key": key, "label": label, "value": v, "link": link}
                for key, (label, v, link) in zip(FUNNELS[name], steps, strict=True)
            ]
            for name, steps in d.funnels.items()
        },
        "top_brokers": [
            {k: b[k] for k in ("id", "name", "deals", "contracts", "value")} for b in d.brokers
        ],
        "figures": None
        if d.all_figures is None
        else [
            {
                "key": now.figure.key,
                "label": now.figure.label,
                "unit": now.figure.unit,
                "kind": now.figure.kind,
                "source": now.figure.source,
                "total": now.total,
                "breakdown": now.breakdown,
                "previous": before.total,
            }
            for now, before in d.all_figures
        ],
    }


# --- drill-down -------------------------------------------------------------------------------


@dataclass
class RecordRow:
    """One record behind a number."""

    id: int
    title: str
    at: Any
    chain: str
    breakdown: str
    amount: Decimal
    link: str


@dataclass
class Records:
    """The records behind one number: their count, total, and one page of them."""

    source: Source
    span: figures.Period
    chain: IndustryChain | None
    breakdown: str | None
    broker: Broker | None
    count: int
    total: Decimal
    rows: list[RecordRow]
    page: int
    pages: int
    scope: Scope

    def page_url(self, page: int) -> str:
        """This list's URL at another page."""
        params: dict[str, Any] = {
            "figure": self.source.key,
            "start": self.span.start,
            "end": self.span.end,
            "chain": self.chain.id if self.chain else None,
            "breakdown": self.breakdown,
            "broker": self.broker.id if self.broker else None,
            "page": page,
        }
        return "/dashboard/records?" + urlencode({k: v for k, v in params.items() if v})


def records(
    session: Session,
    user: User,
    key: str,
    start: date,
    end: date,
    chain_id: int | None = None,
    breakdown: str | None = None,
    broker_id: int | None = None,
    page: int = 1,
) -> Records:
    """The drill-down list: every record behind a number, for the viewer's scope."""
    scope = scope_of(user)
    src = source(key)
    span = figures.period("custom", start.year, 1, start, end)
    chain = chains.get_chain(session, user, chain_id) if chain_id is not None else None
    broker = session.get(Broker, broker_id) if broker_id is not None else None
    stmt = records_query(scope, src, span, chain_id, breakdown, broker_id)
    sub = stmt.subquery()
    count = int(session.scalar(select(func.count()).select_from(sub)) or 0)
    total = _total(session, src, stmt)
    pages = max(1, -(-count // PAGE_SIZE))
    page = min(max(page, 1), pages)
    names = dict(session.execute(select(IndustryChain.id, IndustryChain.name)).all())
    rows = [
        RecordRow(
            id=r.id,
            title=r.title,
            at=(r.at if src.dated else figures.city_day(r.at)) if r.at is not None else None,
            chain=names.get(r.chain_id, "") if r.chain_id else "",
            breakdown=breakdown_label(src, r.breakdown),
            amount=Decimal(r.amount or 0),
            link=src.link.format(id=r.id) if src.link else "",
        )
        for r in session.execute(
            select(sub)
            .order_by(sub.c.at.desc(), sub.c.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
    ]
    return Records(src, span, chain, breakdown, broker, count, total, rows, page, pages, scope)
