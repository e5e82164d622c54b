"""Investment projects and innovation consortia with their common-technology projects."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Numeric,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silian.coordination.choices import (
    COMMON_TECH_STATUS,
    PROJECT_STATUS,
)
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


innovation_consortium_members = Table(
    "innovation_consortium_members",
    Base.metadata,
    Column(
        "consortium_id",
        ForeignKey("innovation_consortia.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
)


class InnovationConsortium(TimestampMixin, Base):
    """创新联合体: enterprises and institutes tackling a chain's common technology together."""

    __tablename__ = "innovation_consortia"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    lead_organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), nullable=False
    )
    chain_id: Mapped[int | None] = mapped_column(
        ForeignKey("industry_chains.id", ondelete="SET NULL"), nullable=True
    )
    goal: Mapped[str] = mapped_column(Text, nullable=False, default="")
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    lead_organization: Mapped[Organization] = relationship(lazy="joined")
    members: Mapped[list[Organization]] = relationship(secondary=innovation_consortium_members)


class CommonTechProject(TimestampMixin, Base):
    """共性技术攻关项目 run by an innovation consortium."""

    __tablename__ = "common_tech_projects"
    __table_args__ = (
        COMMON_TECH_STATUS.check("status"),
        CheckConstraint("budget >= 0", name="budget_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consortium_id: Mapped[int] = mapped_column(
        ForeignKey("innovation_consortia.id", ondelete="CASCADE"), nullable=False
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    budget: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False, default=0)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="planned")
