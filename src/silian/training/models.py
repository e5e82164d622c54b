"""TrainingProgramme and Enrolment models: a base's programmes and the people enrolled."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silian.core.concurrency import Versioned
from silian.core.db import Base, TimestampMixin
from silian.training.choices import ENROLMENT_STATUS, PROGRAMME_STATUS

if TYPE_CHECKING:
    from silian.accounts.models import User
    from silian.education.models import TrainingBase


class TrainingProgramme(TimestampMixin, Versioned, Base):
    """A programme a training base publishes: chain, skills, hours, dates and seats."""

    __tablename__ = "training_programmes"
    __table_args__ = (
        PROGRAMME_STATUS.check("status"),
        UniqueConstraint("base_id", "name"),
        CheckConstraint("seats > 0", name="seats_positive"),
        CheckConstraint("hours > 0", name="hours_positive"),
        # The seat counter is moved only by a conditional UPDATE; the database guards it too.
        CheckConstraint("taken >= 0 AND taken <= seats", name="taken_within_seats"),
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(
        ForeignKey("training_bases.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # The base's unit, copied so ownership and visibility need no join.
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    chain_id: Mapped[int | None] = mapped_column(
        ForeignKey("industry_chains.id", ondelete="SET NULL"), nullable=True
    )
    skills: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    hours: Mapped[int] = mapped_column(nullable=False)
    starts_on: Mapped[date] = mapped_column(nullable=False)
    ends_on: Mapped[date] = mapped_column(nullable=False)
    seats: Mapped[int] = mapped_column(nullable=False)
    taken: Mapped[int] = mapped_column(nullable=False, default=0)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    base: Mapped[TrainingBase] = relationship(lazy="joined")

    @property
    def status_label(self) -> str:
        """The status in Chinese."""
        return PROGRAMME_STATUS.label(self.status)

    @property
    def seats_left(self) -> int:
        """Seats not yet taken."""
        return self.seats - self.taken


class Enrolment(TimestampMixin, Base):
    """One person's enrolment in a programme, then completion and certificate."""

    __tablename__ = "training_enrolments"
    __table_args__ = (
        ENROLMENT_STATUS.check("status"),
        UniqueConstraint("programme_id", "user_id"),
        UniqueConstraint("certificate_no"),
    )
    # An enrolment belongs to its person (permissions.owns reads user_id).
    owner_unit_key: ClassVar[str | None] = None

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("training_programmes.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="enrolled")
    enrolled_at: Mapped[datetime] = mapped_column(nullable=False)
    completed_on: Mapped[date | None] = mapped_column(nullable=True)
    certificate_no: Mapped[str | None] = mapped_column(String(60), nullable=True)
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    programme: Mapped[TrainingProgramme] = relationship(lazy="joined")
    user: Mapped[User] = relationship(lazy="joined")

    @property
    def status_label(self) -> str:
        """The status in Chinese."""
        return ENROLMENT_STATUS.label(self.status)
