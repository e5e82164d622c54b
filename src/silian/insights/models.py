"""FigureDay: the city's figures precomputed per day, per chain and for the whole city."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from silian.achievements.models import Achievement
from silian.brokerage.models import Contract, Deal
from silian.core.db import Base
from silian.demands.models import Demand
from silian.events.models import EventEntry

CITY = 0  # chain_id of the whole-city rows (records on no chain count there only)


class FigureDay(Base):
    """One figure's value on one day for one chain (or the whole city, chain_id 0).

    `breakdown` is the channel, stage or mode the value is split by ('' for the total).
    Rows are derived: `silian figures refresh` rewrites a day's rows from the records.
    """

    __tablename__ = "figure_days"
    __table_args__ = (
        UniqueConstraint("day", "chain_id", "figure", "breakdown"),
        Index("ix_figure_days_figure", "figure", "chain_id", "day"),
        # Covering the dashboard's sums (totals per chain, months): read from the index alone.
        Index("ix_figure_days_sums", "breakdown", "figure", "day", "chain_id", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(nullable=False, index=True)
    chain_id: Mapped[int] = mapped_column(nullable=False)
    figure: Mapped[str] = mapped_column(String(40), nullable=False)
    breakdown: Mapped[str] = mapped_column(String(30), nullable=False, default="")
    value: Mapped[Decimal] = mapped_column(Numeric(18, 2), nullable=False)


class FigureDirtyDay(Base):
    """A day whose figures a committed change may have altered, waiting to be recomputed.

    Written in the same transaction as the change (see `insights.freshness`), so a committed
    change always leaves its marker; reading the figures recomputes marked days first.
    """

    __tablename__ = "figure_dirty_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(nullable=False, index=True)


# Indexes on the records the figures and the dashboard read by date and link (declared here,
# beside the summary they serve, so the features' own models stay as they are): each day's
# recomputation and each drill-down list select by these columns.
FIGURE_INDEXES = (
    Index("ix_achievements_created_at", Achievement.created_at),
    # Covering: the period's published achievements are counted from the index alone.
    Index("ix_achievements_published_at", Achievement.published_at, Achievement.status),
    # Covering: the chain pages count published achievements per chain from the index alone.
    Index("ix_achievements_status_chain_id", Achievement.status, Achievement.chain_id),
    Index("ix_demands_published_at", Demand.published_at),
    Index("ix_deals_created_at", Deal.created_at),
    Index("ix_deals_demand_id", Deal.demand_id),
    Index("ix_deals_achievement_id", Deal.achievement_id),
    Index("ix_contracts_signed_on", Contract.signed_on),
    Index("ix_event_entries_achievement_id", EventEntry.achievement_id),
)
