"""Achievement model: identity, classification, maturity, IP, deal terms and workflow."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silian.achievements.choices import (
    ACHIEVEMENT_STATUS,
    IP_TYPES,
    ORIGINS,
    SOURCE_CHANNELS,
    STAGES,
    TRADE_TYPES,
)
from silian.core.concurrency import Versioned
from silian.core.db import Base, TimestampMixin

if TYPE_CHECKING:
    from silian.chains.models import IndustryChain
    from silian.organizations.models import Organization


class Achievement(Versioned, TimestampMixin, Base):
    """A research achievement (科技成果) offered for transfer, licence or co-development."""

    __tablename__ = "achievements"
    __table_args__ = (
        ACHIEVEMENT_STATUS.check("status"),
        STAGES.check("stage"),
        IP_TYPES.check("ip_type"),
        TRADE_TYPES.check("trade_type"),
        ORIGINS.check("origin"),
        SOURCE_CHANNELS.check("source_channel"),
        CheckConstraint("trl BETWEEN 1 AND 9", name="trl_range"),
        CheckConstraint("price IS NULL OR price >= 0", name="price_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    keywords: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    inventors: Mapped[list[dict[str, object]]] = mapped_column(JSON, nullable=False, default=list)
    contact_name: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    contact_phone: Mapped[str] = mapped_column(String(30), nullable=False, default="")
    category: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    discipline: Mapped[str] = mapped_column(String(30), nullable=False, default="", index=True)
    chain_id: Mapped[int | None] = mapped_column(
        ForeignKey("industry_chains.id", ondelete="SET NULL"), nullable=True, index=True
    )
    gbt_code: Mapped[str] = mapped_column(String(8), nullable=False, default="")
    application_field: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    origin: Mapped[str] = mapped_column(String(20), nullable=False, default="original")
    trl: Mapped[int] = mapped_column(nullable=False, default=3)
    stage: Mapped[str] = mapped_column(String(20), nullable=False, default="lab")
    ip_type: Mapped[str] = mapped_column(String(30), nullable=False, default="invention_patent")
    # The IP's legal status as written by the unit, e.g. 已授权 or 申请中 (发明专利（已授权）).
    ip_status: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    # When the unit registered the achievement (登记日期), as its own register says.
    registered_on: Mapped[date | None] = mapped_column(nullable=True)
    patent_numbers: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    transfer_modes: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    # None means 面议 (price negotiable).
    price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    trade_type: Mapped[str] = mapped_column(String(20), nullable=False, default="listing")
    indicators: Mapped[str] = mapped_column(Text, nullable=False, default="")
    innovations: Mapped[str] = mapped_column(Text, nullable=False, default="")
    advantages: Mapped[str] = mapped_column(Text, nullable=False, default="")
    markets: Mapped[str] = mapped_column(Text, nullable=False, default="")
    funding_programme: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    source_channel: Mapped[str] = mapped_column(String(30), nullable=False, default="self")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="draft", index=True)
    review_remarks: Mapped[str] = mapped_column(Text, nullable=False, default="")
    published_at: Mapped[datetime | None] = mapped_column(nullable=True)
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Stable key of imported or demo records, so loading twice updates instead of duplicating.
    source_ref: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)

    organization: Mapped[Organization] = relationship(lazy="joined")
    chain: Mapped[IndustryChain | None] = relationship(lazy="joined")

    @property
    def status_label(self) -> str:
        """Chinese status name."""
        return ACHIEVEMENT_STATUS.label(self.status)
