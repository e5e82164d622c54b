"""Demand (榜单) and Bid (揭榜方案) models."""

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

from silian.core.concurrency import Versioned
from silian.core.db import Base, TimestampMixin
from silian.demands.choices import BID_STATUS, CONFIDENTIALITY, DEMAND_STATUS, LIST_TYPES

if TYPE_CHECKING:
    from silian.chains.models import IndustryChain
    from silian.organizations.models import Organization


class Demand(Versioned, TimestampMixin, Base):
    """An enterprise or government technology demand list entry (榜单)."""

    __tablename__ = "demands"
    __table_args__ = (
        DEMAND_STATUS.check("status"),
        LIST_TYPES.check("list_type"),
        CONFIDENTIALITY.check("confidentiality"),
        CheckConstraint("wanted_trl IS NULL OR wanted_trl BETWEEN 1 AND 9", name="trl_range"),
        CheckConstraint("budget IS NULL OR budget >= 0", name="budget_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    list_type: Mapped[str] = mapped_column(String(20), nullable=False, default="enterprise")
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    region_code: Mapped[str] = mapped_column(String(12), nullable=False, default="")
    # Shown to everyone; for confidential demands this is all outsiders see.
    public_summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    problem: Mapped[str] = mapped_column(Text, nullable=False)
    background: Mapped[str] = mapped_column(Text, nullable=False, default="")
    current_solutions: Mapped[str] = mapped_column(Text, nullable=False, default="")
    wanted_outcome: Mapped[str] = mapped_column(Text, nullable=False, default="")
    indicators_must: Mapped[str] = mapped_column(Text, nullable=False, default="")
    indicators_nice: Mapped[str] = mapped_column(Text, nullable=False, default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    chain_id: Mapped[int | None] = mapped_column(
        ForeignKey("industry_chains.id", ondelete="SET NULL"), nullable=True, index=True
    )
    gbt_code: Mapped[str] = mapped_column(String(8), nullable=False, default="")
    discipline: Mapped[str] = mapped_column(String(30), nullable=False, default="")
    wanted_trl: Mapped[int | None] = mapped_column(nullable=True)
    # None or 0 means 面议.
    budget: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    deadline: Mapped[date | None] = mapped_column(nullable=True)
    # When the enterprise filled in the demand (填报日期), as its own sheet says.
    registered_on: Mapped[date | None] = mapped_column(nullable=True)
    confidentiality: Mapped[str] = mapped_column(String(20), nullable=False, default="public")
    ip_terms: Mapped[str] = mapped_column(Text, nullable=False, default="")
    eligibility: Mapped[str] = mapped_column(Text, nullable=False, default="")
    contact_name: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    contact_phone: Mapped[str] = mapped_column(String(30), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="draft", index=True)
    review_remarks: Mapped[str] = mapped_column(Text, nullable=False, default="")
    published_at: Mapped[datetime | None] = mapped_column(nullable=True)
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    source_ref: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)

    organization: Mapped[Organization] = relationship(lazy="joined")
    chain: Mapped[IndustryChain | None] = relationship(lazy="joined")

    @property
    def status_label(self) -> str:
        """Chinese status name."""
        return DEMAND_STATUS.label(self.status)


class Bid(TimestampMixin, Versioned, Base):
    """A team's proposal (揭榜方案) on a published demand; scored, shortlisted, awarded."""

    __tablename__ = "bids"
    __table_args__ = (
        BID_STATUS.check("status"),
        # One live bid per organisation (or per person without one) on each demand.
        UniqueConstraint("demand_id", "live_key"),
        CheckConstraint("trl IS NULL OR trl BETWEEN 1 AND 9", name="bid_trl_range"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="amount_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(
        ForeignKey("demands.id", ondelete="CASCADE"), nullable=False, index=True
    )
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True
    )
    talent_id: Mapped[int | None] = mapped_column(
        ForeignKey("talents.id", ondelete="SET NULL"), nullable=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    team_name: Mapped[str] = mapped_column(String(200), nullable=False)
    proposal: Mapped[str] = mapped_column(Text, nullable=False)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    score: Mapped[float | None] = mapped_column(nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="submitted")
    feedback: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Why a bid was not chosen (FEEDBACK_REASONS of challenges); the note is `feedback`.
    feedback_reason: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    # [{"name", "role", "talent_id"}]; talent_id links a member to a Talent profile.
    team_members: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    trl: Mapped[int | None] = mapped_column(nullable=True)
    trl_evidence: Mapped[str] = mapped_column(Text, nullable=False, default="")
    schedule: Mapped[str] = mapped_column(Text, nullable=False, default="")
    attachments: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    # "org:<id>" or "user:<id>" while the bid is live, NULL once withdrawn.
    live_key: Mapped[str | None] = mapped_column(String(30), nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(nullable=True)

    organization: Mapped[Organization | None] = relationship(lazy="joined")

    @property
    def status_label(self) -> str:
        """Chinese status name."""
        return BID_STATUS.label(self.status)
