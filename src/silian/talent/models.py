"""Talent, TalentNeed, TalentProject and SalaryGradeRule models."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

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
from silian.talent.choices import TALENT_GRADES, TALENT_NEED_STATUS, TALENT_PROJECT_STATUS

if TYPE_CHECKING:
    from silian.organizations.models import Organization


class Talent(Versioned, TimestampMixin, Base):
    """An expert or talent (专家/人才) with expertise, disciplines and grade."""

    __tablename__ = "talents"
    # A profile belongs to its person (user_id), not to the colleagues of their unit.
    owner_unit_key: ClassVar[str | None] = None
    __table_args__ = (
        CheckConstraint("grade IS NULL OR grade IN ('A', 'B', 'C', 'D', 'E')", name="grade_choice"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True, nullable=True
    )
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True, index=True
    )
    title: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    expertise: Mapped[str] = mapped_column(Text, nullable=False, default="")
    disciplines: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    grade: Mapped[str | None] = mapped_column(String(1), nullable=True)
    bio: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Practitioners who do not publish are listed only with their consent.
    consent_public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    source_ref: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)

    organization: Mapped[Organization | None] = relationship(lazy="joined")

    @property
    def grade_label(self) -> str:
        """Chinese label of the talent grade."""
        return TALENT_GRADES.label(self.grade)


class TalentNeed(Versioned, TimestampMixin, Base):
    """A position an organisation wants filled (人才需求); co_shared marks 共引共享 posts."""

    __tablename__ = "talent_needs"
    __table_args__ = (
        TALENT_NEED_STATUS.check("status"),
        CheckConstraint("headcount > 0", name="headcount_positive"),
        CheckConstraint(
            "salary_min IS NULL OR salary_max IS NULL OR salary_min <= salary_max",
            name="salary_order",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[str] = mapped_column(String(100), nullable=False)
    headcount: Mapped[int] = mapped_column(nullable=False, default=1)
    salary_min: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)
    salary_max: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)
    requirements: Mapped[str] = mapped_column(Text, nullable=False, default="")
    major: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    chain_id: Mapped[int | None] = mapped_column(
        ForeignKey("industry_chains.id", ondelete="SET NULL"), nullable=True
    )
    co_shared: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # 共引共享: the university or institute that holds the post, the enterprise with the scene.
    host_organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True
    )
    scene_organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True
    )
    deadline: Mapped[date | None] = mapped_column(nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    source_ref: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)

    organization: Mapped[Organization] = relationship(foreign_keys=[organization_id], lazy="joined")
    host: Mapped[Organization | None] = relationship(
        foreign_keys=[host_organization_id], lazy="joined"
    )
    scene: Mapped[Organization | None] = relationship(
        foreign_keys=[scene_organization_id], lazy="joined"
    )


class TalentProject(TimestampMixin, Base):
    """An industry–talent project (产才融合项目) with granted rights and subsidies."""

    __tablename__ = "talent_projects"
    __table_args__ = (
        TALENT_PROJECT_STATUS.check("status"),
        CheckConstraint("subsidy_amount >= 0", name="subsidy_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    chain_id: Mapped[int | None] = mapped_column(
        ForeignKey("industry_chains.id", ondelete="SET NULL"), nullable=True
    )
    rights: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    # What the enterprise applied for; the office grants some or all of it as ``rights``.
    requested_rights: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    review_remarks: Mapped[str] = mapped_column(Text, nullable=False, default="")
    subsidy_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False, default=0)
    talents_gathered: Mapped[int] = mapped_column(nullable=False, default=0)
    year: Mapped[int] = mapped_column(nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="applying")
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    organization: Mapped[Organization] = relationship(lazy="joined")


class SalaryGradeRule(Versioned, TimestampMixin, Base):
    """按薪定才: the minimum annual salary that earns a talent grade in a chain."""

    __tablename__ = "salary_grade_rules"
    __table_args__ = (
        UniqueConstraint("chain_id", "year", "grade"),
        TALENT_GRADES.check("grade"),
        CheckConstraint("year IS NULL OR year BETWEEN 2000 AND 2100", name="year_range"),
        CheckConstraint("min_annual_salary > 0", name="salary_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_id: Mapped[int | None] = mapped_column(
        ForeignKey("industry_chains.id", ondelete="CASCADE"), nullable=True
    )
    # The year the thresholds apply from (None: standing rules for any year without its own).
    year: Mapped[int | None] = mapped_column(nullable=True)
    grade: Mapped[str] = mapped_column(String(1), nullable=False)
    min_annual_salary: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
