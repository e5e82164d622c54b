"""Event, EventEntry, EventRegistration and ExpertScore models."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silian.core.db import Base, TimestampMixin
from silian.events.choices import EVENT_KINDS, EVENT_STATUS

if TYPE_CHECKING:
    from silian.achievements.models import Achievement


class Event(TimestampMixin, Base):
    """A roadshow (路演), showcase (汇演) or annual selection (年度优选)."""

    __tablename__ = "events"
    __table_args__ = (EVENT_KINDS.check("kind"), EVENT_STATUS.check("status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    title: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    starts_at: Mapped[datetime] = mapped_column(nullable=False)
    location: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    organizer_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True
    )
    chain_id: Mapped[int | None] = mapped_column(
        ForeignKey("industry_chains.id", ondelete="SET NULL"), nullable=True
    )
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="planned")
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    entries: Mapped[list[EventEntry]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )


class EventEntry(TimestampMixin, Base):
    """An achievement presented at an event, with its rank and award."""

    __tablename__ = "event_entries"
    __table_args__ = (UniqueConstraint("event_id", "achievement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), nullable=False
    )
    achievement_id: Mapped[int] = mapped_column(
        ForeignKey("achievements.id", ondelete="CASCADE"), nullable=False
    )
    presenter: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    rank: Mapped[int | None] = mapped_column(nullable=True)
    award: Mapped[str] = mapped_column(String(50), nullable=False, default="")

    event: Mapped[Event] = relationship(back_populates="entries")
    achievement: Mapped[Achievement] = relationship(lazy="joined")


class EventRegistration(TimestampMixin, Base):
    """An organisation's registration to attend an event."""

    __tablename__ = "event_registrations"
    __table_args__ = (UniqueConstraint("event_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), nullable=False
    )
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    attendees: Mapped[int] = mapped_column(nullable=False, default=1)


class ExpertScore(TimestampMixin, Base):
    """An expert's score of one event entry."""

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
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
