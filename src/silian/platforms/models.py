"""Platform, PlatformService and ServiceBooking models."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silian.core.concurrency import Versioned
from silian.core.db import Base, TimestampMixin
from silian.platforms.choices import (
    BOOKING_STATUS,
    PLATFORM_KINDS,
    PLATFORM_STATUS,
    SERVICE_KINDS,
)

if TYPE_CHECKING:
    from silian.chains.models import IndustryChain
    from silian.organizations.models import Organization


# Every chain a platform serves; ``Platform.chain_id`` stays as its primary chain (figures and
# the per-chain pages group by it) and is always one of these.
platform_chains = Table(
    "platform_chains",
    Base.metadata,
    Column("platform_id", ForeignKey("platforms.id", ondelete="CASCADE"), primary_key=True),
    Column("chain_id", ForeignKey("industry_chains.id", ondelete="CASCADE"), primary_key=True),
)


class Platform(Versioned, TimestampMixin, Base):
    """A shared pilot-scale or proof-of-concept platform run by an organisation."""

    __tablename__ = "platforms"
    __table_args__ = (PLATFORM_KINDS.check("kind"), PLATFORM_STATUS.check("status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    chain_id: Mapped[int | None] = mapped_column(
        ForeignKey("industry_chains.id", ondelete="SET NULL"), nullable=True
    )
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    capabilities: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    equipment: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    support_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False, default=0)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="active")
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    organization: Mapped[Organization] = relationship(lazy="joined")
    chain: Mapped[IndustryChain | None] = relationship(lazy="joined")
    chains: Mapped[list[IndustryChain]] = relationship(
        secondary=platform_chains, order_by="IndustryChain.id", lazy="selectin"
    )
    services: Mapped[list[PlatformService]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", order_by="PlatformService.id"
    )

    @property
    def kind_label(self) -> str:
        """Chinese kind name."""
        return PLATFORM_KINDS.label(self.kind)

    @property
    def status_label(self) -> str:
        """Chinese status name."""
        return PLATFORM_STATUS.label(self.status)


class PlatformService(TimestampMixin, Base):
    """One bookable service of a platform: unit price, capacity per day, the dates it is open."""

    __tablename__ = "platform_services"
    __table_args__ = (
        UniqueConstraint("platform_id", "name"),
        CheckConstraint("unit_price >= 0", name="price_nonnegative"),
        CheckConstraint("capacity_per_day > 0", name="capacity_positive"),
        CheckConstraint(
            "available_from IS NULL OR available_to IS NULL OR available_to >= available_from",
            name="available_order",
        ),
        SERVICE_KINDS.check("kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(
        ForeignKey("platforms.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    unit: Mapped[str] = mapped_column(String(20), nullable=False, default="次")
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False, default=0)
    kind: Mapped[str] = mapped_column(
        String(20), nullable=False, default="equipment", server_default="equipment"
    )
    # Units (of ``unit``) the platform can deliver on one day; approvals never exceed it.
    capacity_per_day: Mapped[int] = mapped_column(nullable=False, default=1, server_default="1")
    available_from: Mapped[date | None] = mapped_column(nullable=True)
    available_to: Mapped[date | None] = mapped_column(nullable=True)
    is_active: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True, server_default="1"
    )

    platform: Mapped[Platform] = relationship(back_populates="services")

    @property
    def kind_label(self) -> str:
        """Chinese kind name."""
        return SERVICE_KINDS.label(self.kind)


class ServiceBooking(TimestampMixin, Base):
    """A booking of a platform service by an organisation, with approval and billing."""

    __tablename__ = "service_bookings"
    __table_args__ = (
        BOOKING_STATUS.check("status"),
        CheckConstraint("end_date >= start_date", name="date_order"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "actual_quantity IS NULL OR actual_quantity >= 0", name="actual_nonnegative"
        ),
        CheckConstraint("fee IS NULL OR fee >= 0", name="fee_nonnegative"),
        Index("ix_service_bookings_service_status", "service_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("platform_services.id", ondelete="CASCADE"), nullable=False
    )
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    start_date: Mapped[date] = mapped_column(nullable=False)
    end_date: Mapped[date] = mapped_column(nullable=False)
    quantity: Mapped[int] = mapped_column(nullable=False, default=1)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False, default=0)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="requested")
    remarks: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The team (or project) the units are for, when a team rather than the whole unit books.
    team_name: Mapped[str] = mapped_column(
        String(200), nullable=False, default="", server_default=""
    )
    # The demand the engine suggested this platform for, when booked from a suggestion.
    demand_id: Mapped[int | None] = mapped_column(
        ForeignKey("demands.id", ondelete="SET NULL"), nullable=True
    )
    decision_reason: Mapped[str] = mapped_column(
        Text, nullable=False, default="", server_default=""
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Completion: units actually used per day and the fee charged for the booking.
    actual_quantity: Mapped[int | None] = mapped_column(nullable=True)
    fee: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    completed_on: Mapped[date | None] = mapped_column(nullable=True)

    service: Mapped[PlatformService] = relationship(lazy="joined")
    organization: Mapped[Organization] = relationship(lazy="joined")

    @property
    def status_label(self) -> str:
        """Chinese status name."""
        return BOOKING_STATUS.label(self.status)

    @property
    def days(self) -> int:
        """Days the booking spans, both ends included."""
        return (self.end_date - self.start_date).days + 1
