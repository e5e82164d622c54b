"""Challenge (揭榜挂帅 settings of a demand), terms acceptances, reviewers and bid scores."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silian.challenges.choices import CHALLENGE_STATUS, IP_TERMS
from silian.core.concurrency import Versioned
from silian.core.db import Base, TimestampMixin, utcnow

if TYPE_CHECKING:
    from silian.demands.models import Demand
    from silian.talent.models import Talent


class Challenge(TimestampMixin, Versioned, Base):
    """A published demand run as a 揭榜挂帅 challenge: deadline, phases, criteria, terms."""

    __tablename__ = "challenges"
    __table_args__ = (
        CHALLENGE_STATUS.check("status"),
        IP_TERMS.check("ip_terms"),
        CheckConstraint("prize >= 0", name="prize_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(
        ForeignKey("demands.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="draft", index=True)
    # Bids are accepted through the end of this day (the city's local date).
    bidding_deadline: Mapped[date] = mapped_column(nullable=False)
    # [{"name", "starts_on", "ends_on", "criteria"}], in order.
    phases: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    # [{"name", "weight"}]; the weights sum to 100.
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    # The criteria frozen when evaluation starts: every score is weighted with these.
    scoring_criteria: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    # 0 means 面议.
    prize: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False, default=Decimal(0))
    ip_terms: Mapped[str] = mapped_column(String(20), nullable=False, default="solver_keeps")
    # Full details only to bidders who accepted the terms (recorded in challenge_acceptances).
    confidential: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    terms_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    close_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    awarded_bid_id: Mapped[int | None] = mapped_column(
        ForeignKey("bids.id", ondelete="SET NULL"), nullable=True
    )
    published_at: Mapped[datetime | None] = mapped_column(nullable=True)
    evaluation_started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    awarded_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    demand: Mapped[Demand] = relationship(lazy="joined")

    @property
    def status_label(self) -> str:
        """Chinese status name."""
        return CHALLENGE_STATUS.label(self.status)

    @property
    def title(self) -> str:
        """The demand's title (a challenge has no title of its own)."""
        return self.demand.title

    @property
    def organization_id(self) -> int:
        """The posting unit (the demand's), for ownership checks."""
        return self.demand.organization_id


class ChallengeAcceptance(Base):
    """A user's recorded acceptance of a confidential challenge's terms."""

    __tablename__ = "challenge_acceptances"
    __table_args__ = (UniqueConstraint("challenge_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


class Reviewer(TimestampMixin, Base):
    """An expert assigned to evaluate a challenge's bids, with their conflict declaration."""

    __tablename__ = "challenge_reviewers"
    __table_args__ = (UniqueConstraint("challenge_id", "talent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), nullable=False, index=True
    )
    talent_id: Mapped[int] = mapped_column(
        ForeignKey("talents.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    assigned_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    declared_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Bids the reviewer declared a conflict of interest with (never scored by them).
    conflict_bid_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False, default=list)
    conflict_note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    talent: Mapped[Talent] = relationship(lazy="joined")


class BidScore(Base):
    """One reviewer's per-criterion scores of one bid and the weighted total."""

    __tablename__ = "bid_scores"
    __table_args__ = (
        UniqueConstraint("bid_id", "reviewer_id"),
        CheckConstraint("total >= 0 AND total <= 100", name="total_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(
        ForeignKey("bids.id", ondelete="CASCADE"), nullable=False, index=True
    )
    reviewer_id: Mapped[int] = mapped_column(
        ForeignKey("challenge_reviewers.id", ondelete="CASCADE"), nullable=False
    )
    # {criterion name: 0..100}
    scores: Mapped[dict[str, float]] = mapped_column(JSON, nullable=False, default=dict)
    # The criteria and weights this total was computed with.
    weights: Mapped[dict[str, float]] = mapped_column(JSON, nullable=False, default=dict)
    total: Mapped[float] = mapped_column(nullable=False)
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
