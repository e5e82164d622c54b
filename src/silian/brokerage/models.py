"""Broker, BrokerTraining, Match, MatchFeedback, Deal and Contract models."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silian.brokerage.choices import (
    CONTRACT_STATUS,
    DEAL_CHANNELS,
    DEAL_STAGES,
    FEEDBACK_VERDICTS,
    MATCH_STATUS,
    TRADE_MODES,
)
from silian.core.concurrency import Versioned
from silian.core.db import Base, TimestampMixin, utcnow

if TYPE_CHECKING:
    from silian.organizations.models import Organization


class Broker(TimestampMixin, Base):
    """A certified technology broker (技术经纪人) with specialties and a workload cap."""

    __tablename__ = "brokers"
    __table_args__ = (
        CheckConstraint("max_active_deals > 0", name="capacity_positive"),
        CheckConstraint("rating IS NULL OR (rating >= 0 AND rating <= 5)", name="rating_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True, nullable=True
    )
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True
    )
    certificate_no: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)
    certified_on: Mapped[date | None] = mapped_column(nullable=True)
    specialties: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    max_active_deals: Mapped[int] = mapped_column(nullable=False, default=10)
    rating: Mapped[float | None] = mapped_column(nullable=True)
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    organization: Mapped[Organization | None] = relationship(lazy="joined")


class BrokerTraining(TimestampMixin, Base):
    """A broker training course: hours, trainees, exam passes and certificates issued."""

    __tablename__ = "broker_trainings"
    __table_args__ = (
        UniqueConstraint("name", "year"),
        CheckConstraint("passed <= trainees", name="passed_le_trainees"),
        CheckConstraint("certificates_issued <= passed", name="certificates_le_passed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    year: Mapped[int] = mapped_column(nullable=False)
    # The chain a course is oriented to (None: general); the city's figures filter by it.
    chain_id: Mapped[int | None] = mapped_column(
        ForeignKey("industry_chains.id", ondelete="SET NULL"), nullable=True
    )
    starts_on: Mapped[date | None] = mapped_column(nullable=True)
    organizer_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True
    )
    hours: Mapped[int] = mapped_column(nullable=False, default=0)
    trainees: Mapped[int] = mapped_column(nullable=False, default=0)
    passed: Mapped[int] = mapped_column(nullable=False, default=0)
    certificates_issued: Mapped[int] = mapped_column(nullable=False, default=0)
    courses: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)

    organizer: Mapped[Organization | None] = relationship(lazy="joined")


class Match(TimestampMixin, Base):
    """A suggested pair (撮合建议), scored and explained, with user feedback."""

    __tablename__ = "matches"
    __table_args__ = (
        MATCH_STATUS.check("status"),
        Index("ix_matches_source", "source_kind", "source_id"),
        UniqueConstraint("source_kind", "source_id", "target_kind", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    source_id: Mapped[int] = mapped_column(nullable=False)
    target_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    target_id: Mapped[int] = mapped_column(nullable=False)
    score: Mapped[float] = mapped_column(nullable=False)
    reasons: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="suggested")
    broker_id: Mapped[int | None] = mapped_column(
        ForeignKey("brokers.id", ondelete="SET NULL"), nullable=True
    )
    feedback_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    feedback_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # When (and by which rule) the match was put in a broker's queue.
    assigned_at: Mapped[datetime | None] = mapped_column(nullable=True)
    assignment_note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    broker: Mapped[Broker | None] = relationship(lazy="joined")


class MatchFeedback(Base):
    """One user's verdict on a suggested pair (useful / not useful / contacted), kept as history."""

    __tablename__ = "match_feedback"
    __table_args__ = (
        FEEDBACK_VERDICTS.check("verdict"),
        Index("ix_match_feedback_match", "match_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(
        ForeignKey("matches.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    verdict: Mapped[str] = mapped_column(String(20), nullable=False)
    # The engine's score and rank when the user judged it, so feedback can be evaluated later.
    score: Mapped[float | None] = mapped_column(nullable=True)
    rank: Mapped[int | None] = mapped_column(nullable=True)
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


class Deal(TimestampMixin, Versioned, Base):
    """A brokered case (对接) staged from recommendation to signature and implementation."""

    __tablename__ = "deals"
    __table_args__ = (
        DEAL_STAGES.check("stage"),
        TRADE_MODES.check("trade_mode"),
        DEAL_CHANNELS.check("channel"),
        CheckConstraint("expected_amount IS NULL OR expected_amount >= 0", name="amount_nonneg"),
        CheckConstraint("broker_fee IS NULL OR broker_fee >= 0", name="fee_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    demand_id: Mapped[int | None] = mapped_column(
        ForeignKey("demands.id", ondelete="SET NULL"), nullable=True
    )
    achievement_id: Mapped[int | None] = mapped_column(
        ForeignKey("achievements.id", ondelete="SET NULL"), nullable=True
    )
    match_id: Mapped[int | None] = mapped_column(
        ForeignKey("matches.id", ondelete="SET NULL"), nullable=True
    )
    broker_id: Mapped[int | None] = mapped_column(
        ForeignKey("brokers.id", ondelete="SET NULL"), nullable=True, index=True
    )
    seller_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True
    )
    buyer_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True
    )
    stage: Mapped[str] = mapped_column(String(20), nullable=False, default="recommended")
    channel: Mapped[str] = mapped_column(String(30), nullable=False, default="broker")
    trade_mode: Mapped[str] = mapped_column(String(20), nullable=False, default="transfer")
    expected_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    broker_fee: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    next_action: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    next_due: Mapped[date | None] = mapped_column(nullable=True)
    # The last recorded step; a deal without one for a while is flagged stale.
    last_activity_on: Mapped[date | None] = mapped_column(nullable=True)
    signed_on: Mapped[date | None] = mapped_column(nullable=True)
    fail_reason: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    broker: Mapped[Broker | None] = relationship(lazy="joined")
    seller: Mapped[Organization | None] = relationship(foreign_keys=[seller_id], lazy="joined")
    buyer: Mapped[Organization | None] = relationship(foreign_keys=[buyer_id], lazy="joined")

    @property
    def stage_label(self) -> str:
        """Chinese stage name."""
        return DEAL_STAGES.label(self.stage)

    @property
    def channel_label(self) -> str:
        """Chinese channel name."""
        return DEAL_CHANNELS.label(self.channel)


class DealStep(Base):
    """One step in a deal's timeline: the stage reached, a note, the date, the next action."""

    __tablename__ = "deal_steps"
    __table_args__ = (DEAL_STAGES.check("stage"), Index("ix_deal_steps_deal", "deal_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), nullable=False)
    stage: Mapped[str] = mapped_column(String(20), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    happened_on: Mapped[date] = mapped_column(nullable=False)
    next_action: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    next_due: Mapped[date | None] = mapped_column(nullable=True)
    fail_reason: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)

    @property
    def stage_label(self) -> str:
        """Chinese stage name."""
        return DEAL_STAGES.label(self.stage)


class Contract(TimestampMixin, Versioned, Base):
    """A technology contract (技术合同): parties, amount, registration number, milestones."""

    __tablename__ = "contracts"
    __table_args__ = (
        CONTRACT_STATUS.check("status"),
        TRADE_MODES.check("trade_mode"),
        CheckConstraint("amount >= 0", name="amount_nonnegative"),
        CheckConstraint("broker_fee >= 0", name="fee_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int | None] = mapped_column(
        ForeignKey("deals.id", ondelete="SET NULL"), unique=True, nullable=True
    )
    # The 揭榜挂帅 challenge this contract was awarded from, if any.
    challenge_id: Mapped[int | None] = mapped_column(
        ForeignKey("challenges.id", ondelete="SET NULL"), unique=True, nullable=True
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
    signed_on: Mapped[date] = mapped_column(nullable=False)
    registration_no: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)
    trade_mode: Mapped[str] = mapped_column(String(20), nullable=False, default="transfer")
    broker_fee: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False, default=Decimal(0))
    seller_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True
    )
    buyer_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="signed")
    accepted_on: Mapped[date | None] = mapped_column(nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    seller: Mapped[Organization | None] = relationship(foreign_keys=[seller_id], lazy="joined")
    buyer: Mapped[Organization | None] = relationship(foreign_keys=[buyer_id], lazy="joined")
    milestones: Mapped[list[ContractMilestone]] = relationship(
        order_by="ContractMilestone.seq", lazy="selectin", cascade="all, delete-orphan"
    )
    payments: Mapped[list[ContractPayment]] = relationship(
        order_by="ContractPayment.received_on", lazy="selectin", cascade="all, delete-orphan"
    )

    @property
    def status_label(self) -> str:
        """Chinese status name."""
        return CONTRACT_STATUS.label(self.status)

    @property
    def trade_mode_label(self) -> str:
        """Chinese trade mode name."""
        return TRADE_MODES.label(self.trade_mode)


class ContractMilestone(Base):
    """A contract milestone: due date, amount, and when it was done with what evidence."""

    __tablename__ = "contract_milestones"
    __table_args__ = (
        UniqueConstraint("contract_id", "seq"),
        CheckConstraint("amount >= 0", name="amount_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False
    )
    seq: Mapped[int] = mapped_column(nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    due_on: Mapped[date] = mapped_column(nullable=False)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False, default=Decimal(0))
    done_on: Mapped[date | None] = mapped_column(nullable=True)
    evidence: Mapped[str] = mapped_column(Text, nullable=False, default="")
    done_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class ContractPayment(Base):
    """A payment received under a contract."""

    __tablename__ = "contract_payments"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
    received_on: Mapped[date] = mapped_column(nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


# --- broker training and certification -----------------------------------------------------


class TrainingEnrollment(TimestampMixin, Base):
    """One registered user enrolled in a broker training: exam result and certificate."""

    __tablename__ = "training_enrollments"
    __table_args__ = (
        UniqueConstraint("training_id", "user_id"),
        CheckConstraint(
            "exam_score IS NULL OR (exam_score >= 0 AND exam_score <= 100)", name="score_range"
        ),
        CheckConstraint("certificate_no IS NULL OR passed", name="certificate_needs_pass"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(
        ForeignKey("broker_trainings.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    enrolled_on: Mapped[date] = mapped_column(nullable=False)
    exam_score: Mapped[int | None] = mapped_column(nullable=True)
    passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    exam_on: Mapped[date | None] = mapped_column(nullable=True)
    certificate_no: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)
    certified_on: Mapped[date | None] = mapped_column(nullable=True)
    # The Broker record the certificate produced.
    broker_id: Mapped[int | None] = mapped_column(
        ForeignKey("brokers.id", ondelete="SET NULL"), nullable=True
    )

    user: Mapped[Any] = relationship("User", lazy="joined")
    broker: Mapped[Broker | None] = relationship(lazy="joined")
