"""Investment projects (招商引资项目)."""

from __future__ import annotations

from datetime import date
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
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silian.coordination.choices import PROJECT_STATUS
from silian.core.concurrency import Versioned
from silian.core.db import Base, TimestampMixin

if TYPE_CHECKING:
    from silian.organizations.models import Organization


class InvestmentProject(Versioned, TimestampMixin, Base):
    """A city investment project (招商引资项目) with its opening date and talent needs by major."""

    __tablename__ = "investment_projects"
    __table_args__ = (
        PROJECT_STATUS.check("status"),
        CheckConstraint("investment IS NULL OR investment >= 0", name="investment_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True
    )
    chain_id: Mapped[int | None] = mapped_column(
        ForeignKey("industry_chains.id", ondelete="SET NULL"), nullable=True
    )
    region_code: Mapped[str] = mapped_column(String(12), nullable=False, default="")
    opening_date: Mapped[date | None] = mapped_column(nullable=True)
    investment: Mapped[Decimal | None] = mapped_column(Numeric(16, 2), nullable=True)
    # [{"major": name, "code": catalogue code or "", "year": needed by, "count": n ≥ 1}],
    # validated by coordination.schemas.parse_needs; drives the arrival forecast.
    talent_needs: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="signed")
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    organization: Mapped[Organization | None] = relationship(lazy="joined")
