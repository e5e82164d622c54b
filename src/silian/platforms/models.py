"""Platform, PlatformService and ServiceBooking models."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

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

from silian.core.db import Base, TimestampMixin
from silian.platforms.choices import BOOKING_STATUS, PLATFORM_KINDS, PLATFORM_STATUS

if TYPE_CHECKING:
    from silian.organizations.models import Organization


class Platform(TimestampMixin, Base):
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
    services: Mapped[list[PlatformService]] = relationship(
        back_populates="platform", cascade="all, delete-orphan"
    )


class PlatformService(TimestampMixin, Base):
    """One bookable service of a platform, with its unit price."""

    __tablename__ = "platform_services"
    __table_args__ = (
        UniqueConstraint("platform_id", "name"),
        CheckConstraint("unit_price >= 0", name="price_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(
        ForeignKey("platforms.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    unit: Mapped[str] = mapped_column(String(20), nullable=False, default="次")
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False, default=0)

    platform: Mapped[Platform] = relationship(back_populates="services")


class ServiceBooking(TimestampMixin, Base):
    """A booking of a platform service by an organisation, with approval and billing."""

    __tablename__ = "service_bookings"
    __table_args__ = (
        BOOKING_STATUS.check("status"),
        CheckConstraint("end_date >= start_date", name="date_order"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
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
