"""API output of the aggregate views: chains with counts, chain maps and unit profiles."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from silian.organizations.schemas import OrganizationOut


class ChainOut(BaseModel):
    """A chain with its GB/T 4754 codes, disciplines and counts of public records."""

    id: int
    code: str
    name: str
    description: str
    keywords: list[str]
    gbt_codes: list[str]
    disciplines: list[str]
    sort_order: int
    is_active: bool
    counts: dict[str, int]


class ChainPage(BaseModel):
    """One page of chains."""

    items: list[ChainOut]
    total: int
    page: int
    per_page: int


class UnitRef(BaseModel):
    """A short reference to a unit on the chain map."""

    id: int
    name: str
    kind: str
    is_chain_leader: bool


class RecordRef(BaseModel):
    """A short reference to a record on the chain map."""

    id: int
    title: str


class ChainMapOut(ChainOut):
    """A chain with its leaders, units and the newest public records around it."""

    leaders: list[UnitRef]
    enterprises: list[UnitRef]
    research_units: list[UnitRef]
    achievements: list[RecordRef]
    demands: list[RecordRef]
    platforms: list[RecordRef]
    talents: list[RecordRef]
    talent_needs: list[RecordRef]
    named_classes: list[RecordRef]


class ListingRef(BaseModel):
    """A short reference to a record shown on a profile."""

    id: int
    title: str
    status: str


class OrganizationProfileOut(OrganizationOut):
    """A unit with counts and short lists of the listings the caller may see."""

    counts: dict[str, int]
    achievements: list[ListingRef]
    demands: list[ListingRef]
    talents: list[ListingRef]
    platforms: list[ListingRef]
    talent_needs: list[ListingRef]


class FigureOut(BaseModel):
    """One city figure for the period: total, breakdown by channel/stage/kind, and its source."""

    key: str
    label: str
    unit: str
    kind: str
    source: str
    total: Decimal
    breakdown: dict[str, Decimal]


class FiguresOut(BaseModel):
    """The city's figures for a period and a chain (null: the whole city)."""

    start: date
    end: date
    label: str
    chain_id: int | None
    refreshed: bool
    figures: list[FigureOut]


class ScopeOut(BaseModel):
    """Whose figures: the whole city (office) or the caller's own unit."""

    city: bool
    label: str


class PeriodOut(BaseModel):
    """A closed range of city days."""

    start: date
    end: date
    label: str


class HeadlineOut(BaseModel):
    """A headline figure with the previous period's value and the relative change."""

    key: str
    label: str
    unit: str
    value: Decimal
    previous: Decimal
    change: float | None
    link: str
    previous_link: str


class TrendOut(BaseModel):
    """One figure's value per month (months as in `DashboardOut.months`)."""

    key: str
    label: str
    unit: str
    values: list[Decimal]
    links: list[str]


class ChainRowOut(BaseModel):
    """One chain's values of the per-chain figures."""

    chain_id: int
    chain_name: str
    values: dict[str, Decimal]


class BreakdownOut(BaseModel):
    """One channel (or list type) of a figure, with its Chinese label."""

    value: str
    label: str
    total: Decimal
    link: str


class FunnelStepOut(BaseModel):
    """One step of a conversion funnel."""

    key: str
    label: str
    value: Decimal
    link: str


class BrokerRowOut(BaseModel):
    """A broker of the top-brokers table."""

    id: int
    name: str
    deals: int
    contracts: int
    value: Decimal


class RegisteredFigureOut(FigureOut):
    """A registered figure for the period, with the previous period's total."""

    previous: Decimal


class DashboardOut(BaseModel):
    """The dashboard's data: what /dashboard shows, for the same period, chain and scope."""

    scope: ScopeOut
    period: PeriodOut
    previous_period: PeriodOut
    chain_id: int | None
    summarised: bool
    pending: int
    headlines: list[HeadlineOut]
    months: list[str]
    trends: list[TrendOut]
    by_chain: list[ChainRowOut]
    by_channel: dict[str, list[BreakdownOut]]
    funnels: dict[str, list[FunnelStepOut]]
    top_brokers: list[BrokerRowOut]
    figures: list[RegisteredFigureOut] | None
