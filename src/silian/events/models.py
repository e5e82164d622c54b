"""Event, EventEntry, EventRegistration, EventJudge, ExpertScore and EventLead models."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silian.core.concurrency import Versioned
from silian.core.db import Base, TimestampMixin
from silian.events.choices import ENTRY_STATUS, EVENT_KINDS, EVENT_STATUS, LEAD_STATUS

if TYPE_CHECKING:
    from silian.achievements.models import Achievement
    from silian.chains.models import IndustryChain
    from silian.organizations.models import Organization
    from silian.talent.models import Talent


class Event(TimestampMixin, Versioned, Base):
    """A roadshow (路演), showcase (汇演) or annual selection (年度优选)."""

    __tablename__ = "events"
    __table_args__ = (
        EVENT_KINDS.check("kind"),
        EVENT_STATUS.check("status"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
    )
    # Events belong to the offices: no unit owns one (the table's "anyone" roles manage them).
    owner_unit_key = None

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    title: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    starts_at: Mapped[datetime] = mapped_column(nullable=False)
    location: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    online_url: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    capacity: Mapped[int | None] = mapped_column(nullable=True)
    organizer_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True
    )
    chain_id: Mapped[int | None] = mapped_column(
        ForeignKey("industry_chains.id", ondelete="SET NULL"), nullable=True
    )
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="planned")
    # Annual selection: weighted criteria [{"name", "weight"}] (weights sum to 100).
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    # When the ranked list was published: scores are frozen from then on.
    results_published_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    entries: Mapped[list[EventEntry]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )
    chain: Mapped[IndustryChain | None] = relationship(lazy="joined")

    @property
    def kind_label(self) -> str:
        """Chinese kind name."""
        return EVENT_KINDS.label(self.kind)

    @property
    def status_label(self) -> str:
        """Chinese status name."""
        return EVENT_STATUS.label(self.status)

    @property
    def is_selection(self) -> bool:
        """Whether this is the annual selection (judged and ranked)."""
        return self.kind == "selection"


class EventEntry(TimestampMixin, Base):
    """An achievement entered for an event, with its running order, rank and award."""

    __tablename__ = "event_entries"
    __table_args__ = (UniqueConstraint("event_id", "achievement_id"), ENTRY_STATUS.check("status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), nullable=False
    )
    achievement_id: Mapped[int] = mapped_column(
        ForeignKey("achievements.id", ondelete="CASCADE"), nullable=False
    )
    # The achievement's unit when entered: who owns the entry, and whose judges must abstain.
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="approved")
    running_order: Mapped[int | None] = mapped_column(nullable=True)
    presenter: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    rank: Mapped[int | None] = mapped_column(nullable=True)
    award: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    final_score: Mapped[float | None] = mapped_column(nullable=True)

    event: Mapped[Event] = relationship(back_populates="entries")
    achievement: Mapped[Achievement] = relationship(lazy="joined")

    @property
    def status_label(self) -> str:
        """Chinese status name."""
        return ENTRY_STATUS.label(self.status)


class EventRegistration(TimestampMixin, Base):
    """An organisation's registration of attendees for an event."""

    __tablename__ = "event_registrations"
    __table_args__ = (
        UniqueConstraint("event_id", "organization_id"),
        CheckConstraint("attendees > 0", name="attendees_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), nullable=False
    )
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    attendees: Mapped[int] = mapped_column(nullable=False, default=1)
    contact_name: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    organization: Mapped[Organization] = relationship(lazy="joined")


class EventJudge(TimestampMixin, Base):
    """An expert assigned to judge an annual selection, with their conflict declaration."""

    __tablename__ = "event_judges"
    __table_args__ = (UniqueConstraint("event_id", "talent_id"),)
    # A judge's record is their own: the permission table's owner rule matches user_id.
    owner_unit_key = None

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), nullable=False
    )
    talent_id: Mapped[int] = mapped_column(
        ForeignKey("talents.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    declared_at: Mapped[datetime | None] = mapped_column(nullable=True)
    conflict_entry_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False, default=list)
    conflict_note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    talent: Mapped[Talent] = relationship(lazy="joined")


class ExpertScore(TimestampMixin, Base):
    """An expert's weighted score of one event entry (total 0–100, per criterion in scores)."""

    __tablename__ = "expert_scores"
    __table_args__ = (
        UniqueConstraint("entry_id", "talent_id"),
        CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("event_entries.id", ondelete="CASCADE"), nullable=False
    )
    talent_id: Mapped[int] = mapped_column(
        ForeignKey("talents.id", ondelete="CASCADE"), nullable=False
    )
    score: Mapped[float] = mapped_column(nullable=False)
    scores: Mapped[dict[str, float]] = mapped_column(JSON, nullable=False, default=dict)
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")


class EventLead(TimestampMixin, Base):
    """A lead recorded after an event: an enterprise interested in an entered achievement."""

    __tablename__ = "event_leads"
    __table_args__ = (
        UniqueConstraint("event_id", "achievement_id", "organization_id"),
        LEAD_STATUS.check("status"),
    )
    owner_unit_key = None

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), nullable=False
    )
    achievement_id: Mapped[int] = mapped_column(
        ForeignKey("achievements.id", ondelete="CASCADE"), nullable=False
    )
    # The interested enterprise (the deal's buyer).
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    contact_name: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    deal_id: Mapped[int | None] = mapped_column(
        ForeignKey("deals.id", ondelete="SET NULL"), nullable=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    achievement: Mapped[Achievement] = relationship(lazy="joined")
    organization: Mapped[Organization] = relationship(lazy="joined")

    @property
    def status_label(self) -> str:
        """Chinese status name."""
        return LEAD_STATUS.label(self.status)
