"""Application, Hire, Dispatch, HireAchievement and Recommendation models."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silian.core.db import Base, TimestampMixin, utcnow
from silian.hiring.choices import APPLICATION_CHANNELS, APPLICATION_STATUS, RECOMMENDATION_STATUS
from silian.talent.choices import TALENT_GRADES, TALENT_RIGHTS

if TYPE_CHECKING:
    from silian.achievements.models import Achievement
    from silian.organizations.models import Organization
    from silian.talent.models import Talent, TalentNeed, TalentProject


class Application(TimestampMixin, Base):
    """A talent's application to a talent need (本人申请, or recommended by a broker or an
    enterprise holding 自主荐才权), moved through its stages by the need's owner."""

    __tablename__ = "talent_applications"
    __table_args__ = (
        UniqueConstraint("need_id", "talent_id"),
        APPLICATION_STATUS.check("status"),
        APPLICATION_CHANNELS.check("channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(
        ForeignKey("talent_needs.id", ondelete="CASCADE"), nullable=False, index=True
    )
    talent_id: Mapped[int] = mapped_column(
        ForeignKey("talents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # The need's unit: it owns (manages) the application.
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # The talent's own account, so the person sees and may withdraw their application.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    channel: Mapped[str] = mapped_column(String(20), nullable=False, default="self")
    recommender_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True
    )
    # Not created_by_id: a recommender must not gain the owner's rights over the application.
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="applied")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    decline_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")

    need: Mapped[TalentNeed] = relationship(lazy="joined")
    talent: Mapped[Talent] = relationship(lazy="joined")

    @property
    def status_label(self) -> str:
        """Chinese label of the stage."""
        return APPLICATION_STATUS.label(self.status)

    @property
    def channel_label(self) -> str:
        """Chinese label of how the application came in."""
        return APPLICATION_CHANNELS.label(self.channel)


class Hire(TimestampMixin, Base):
    """A hire made through the platform; for a 共引共享 need it names the holding unit and the
    enterprise providing the industrial scene."""

    __tablename__ = "talent_hires"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("talent_applications.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    need_id: Mapped[int] = mapped_column(
        ForeignKey("talent_needs.id", ondelete="CASCADE"), nullable=False, index=True
    )
    talent_id: Mapped[int] = mapped_column(
        ForeignKey("talents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    chain_id: Mapped[int | None] = mapped_column(
        ForeignKey("industry_chains.id", ondelete="SET NULL"), nullable=True, index=True
    )
    co_shared: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    host_organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True
    )
    scene_organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True
    )
    hired_on: Mapped[date] = mapped_column(nullable=False, index=True)

    talent: Mapped[Talent] = relationship(lazy="joined")
    need: Mapped[TalentNeed] = relationship(lazy="joined")
    host: Mapped[Organization | None] = relationship(
        foreign_keys=[host_organization_id], lazy="joined"
    )
    scene: Mapped[Organization | None] = relationship(
        foreign_keys=[scene_organization_id], lazy="joined"
    )
    dispatches: Mapped[list[Dispatch]] = relationship(
        back_populates="hire", order_by="Dispatch.start_on", cascade="all, delete-orphan"
    )
    achievement_links: Mapped[list[HireAchievement]] = relationship(
        back_populates="hire", order_by="HireAchievement.id", cascade="all, delete-orphan"
    )


class Dispatch(TimestampMixin, Base):
    """A co-shared talent's dispatch (派驻) to the scene enterprise, with the cost shares."""

    __tablename__ = "talent_dispatches"
    __table_args__ = (
        CheckConstraint("host_share >= 0 AND scene_share >= 0", name="shares_nonnegative"),
        CheckConstraint("host_share + scene_share = 100", name="shares_sum_100"),
        CheckConstraint("end_on IS NULL OR end_on >= start_on", name="dates_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hire_id: Mapped[int] = mapped_column(
        ForeignKey("talent_hires.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # The hire's need unit, which records dispatches (ownership for the permission table).
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    scene_organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    start_on: Mapped[date] = mapped_column(nullable=False)
    end_on: Mapped[date | None] = mapped_column(nullable=True)
    host_share: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    scene_share: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    hire: Mapped[Hire] = relationship(back_populates="dispatches")
    scene: Mapped[Organization] = relationship(foreign_keys=[scene_organization_id], lazy="joined")


class HireAchievement(Base):
    """An existing achievement produced by a co-shared talent at the scene (linked later)."""

    __tablename__ = "talent_hire_achievements"
    __table_args__ = (UniqueConstraint("hire_id", "achievement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hire_id: Mapped[int] = mapped_column(
        ForeignKey("talent_hires.id", ondelete="CASCADE"), nullable=False, index=True
    )
    achievement_id: Mapped[int] = mapped_column(
        ForeignKey("achievements.id", ondelete="CASCADE"), nullable=False, index=True
    )
    linked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    linked_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

    hire: Mapped[Hire] = relationship(back_populates="achievement_links")
    achievement: Mapped[Achievement] = relationship(lazy="joined")


class Recommendation(TimestampMixin, Base):
    """产才融合: an enterprise's recommendation of a talent under a granted right; under 按薪定才权
    it carries the agreed annual salary, the computed grade and the rule that applied."""

    __tablename__ = "talent_recommendations"
    __table_args__ = (
        RECOMMENDATION_STATUS.check("status"),
        TALENT_RIGHTS.check("right_kind"),
        CheckConstraint("grade IS NULL OR grade IN ('A', 'B', 'C', 'D', 'E')", name="grade_choice"),
        CheckConstraint("annual_salary IS NULL OR annual_salary >= 0", name="salary_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("talent_projects.id", ondelete="CASCADE"), nullable=False, index=True
    )
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    talent_id: Mapped[int] = mapped_column(
        ForeignKey("talents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # The right used ("right" is a reserved word in PostgreSQL).
    right_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    annual_salary: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)
    grade: Mapped[str | None] = mapped_column(String(1), nullable=True)
    # The rule that applied, kept as it was: a later change of the thresholds alters no grade.
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("salary_grade_rules.id", ondelete="SET NULL"), nullable=True
    )
    rule_grade: Mapped[str | None] = mapped_column(String(1), nullable=True)
    rule_threshold: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)
    rule_scope: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    grading_note: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="submitted")
    decision_remarks: Mapped[str] = mapped_column(Text, nullable=False, default="")
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)

    project: Mapped[TalentProject] = relationship(lazy="joined")
    talent: Mapped[Talent] = relationship(lazy="joined")

    @property
    def status_label(self) -> str:
        """Chinese label of the status."""
        return RECOMMENDATION_STATUS.label(self.status)

    @property
    def right_label(self) -> str:
        """Chinese label of the right used."""
        return TALENT_RIGHTS.label(self.right_kind)

    @property
    def grade_label(self) -> str:
        """Chinese label of the computed grade, or 无等级."""
        return TALENT_GRADES.label(self.grade) if self.grade else "无等级"
