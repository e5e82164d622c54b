"""Policy and SubsidyApplication models (tables policies, subsidy_applications)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silian.core.concurrency import Versioned
from silian.core.db import Base, TimestampMixin
from silian.core.money import format_money
from silian.subsidies.choices import FORMULAS, POLICY_KINDS, SUBSIDY_STATUS

if TYPE_CHECKING:
    from silian.organizations.models import Organization


class Policy(TimestampMixin, Versioned, Base):
    """A policy or special fund (政策/专项资金): eligibility, formula, cap per unit and year."""

    __tablename__ = "policies"
    __table_args__ = (
        POLICY_KINDS.check("kind"),
        FORMULAS.check("formula"),
        CheckConstraint("cap_per_org_year IS NULL OR cap_per_org_year >= 0", name="cap_nonneg"),
        CheckConstraint("rate IS NULL OR (rate > 0 AND rate <= 100)", name="rate_range"),
        CheckConstraint("fixed_amount IS NULL OR fixed_amount > 0", name="fixed_positive"),
        CheckConstraint(
            "per_application_max IS NULL OR per_application_max > 0", name="max_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    issuer: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    eligibility: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Organisation kinds that may apply ([] = every kind).
    eligible_kinds: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    content: Mapped[str] = mapped_column(Text, nullable=False, default="")
    formula: Mapped[str] = mapped_column(String(20), nullable=False, default="percentage")
    # What the application states for a percentage formula (年薪, 猎头费, 服务预订金额 …).
    fact_label: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    rate: Mapped[Decimal | None] = mapped_column(Numeric(7, 4), nullable=True)  # percent
    fixed_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    per_application_max: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    cap_per_org_year: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    valid_from: Mapped[date | None] = mapped_column(nullable=True)
    valid_to: Mapped[date | None] = mapped_column(nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    @property
    def kind_label(self) -> str:
        """The kind in Chinese."""
        return POLICY_KINDS.label(self.kind)

    @property
    def formula_label(self) -> str:
        """The formula kind in Chinese."""
        return FORMULAS.label(self.formula)

    @property
    def formula_text(self) -> str:
        """The formula as people read it: 年薪 × 20%，单笔最高 50万元."""
        if self.formula == "percentage":
            rate = f"{Decimal(self.rate or 0).normalize():f}"
            text = f"{self.fact_label or '计算基数'} × {rate}%"
        elif self.formula == "per_person":
            text = f"每人 {format_money(self.fixed_amount)}"
        else:
            text = f"定额 {format_money(self.fixed_amount)}"
        if self.per_application_max is not None:
            text += f"，单笔最高 {format_money(self.per_application_max)}"
        return text


class SubsidyApplication(TimestampMixin, Versioned, Base):
    """An organisation's application under one policy: stated facts, computed amount, review."""

    __tablename__ = "subsidy_applications"
    __table_args__ = (
        SUBSIDY_STATUS.check("status"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("fact_amount IS NULL OR fact_amount >= 0", name="fact_nonneg"),
        CheckConstraint("persons IS NULL OR persons > 0", name="persons_positive"),
        Index("ix_subsidy_applications_cap", "policy_id", "organization_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(
        ForeignKey("policies.id", ondelete="RESTRICT"), nullable=False
    )
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    year: Mapped[int] = mapped_column(nullable=False)
    # The facts stated: an amount (salary, fee, booking amount …) and/or a number of persons.
    fact_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    persons: Mapped[int | None] = mapped_column(nullable=True)
    # Computed from the policy and the facts; the computation is kept as the office saw it.
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
    computation: Mapped[str] = mapped_column(Text, nullable=False, default="")
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="draft")
    review_remarks: Mapped[str] = mapped_column(Text, nullable=False, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)
    paid_on: Mapped[date | None] = mapped_column(nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    policy: Mapped[Policy] = relationship(lazy="joined")
    organization: Mapped[Organization] = relationship(lazy="joined")

    @property
    def status_label(self) -> str:
        """The status in Chinese."""
        return SUBSIDY_STATUS.label(self.status)
