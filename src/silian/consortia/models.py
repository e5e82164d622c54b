"""Innovation consortia (创新联合体) with their common-technology projects (共性技术攻关项目),
and co-built new-type R&D institutes (新型研发机构) with partners, talents and achievements."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

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

from silian.consortia.choices import COMMON_TECH_STATUS, CONTRIBUTION_KINDS, MEMBER_PARTS
from silian.core.concurrency import Versioned
from silian.core.db import Base, TimestampMixin

if TYPE_CHECKING:
    from silian.achievements.models import Achievement
    from silian.chains.models import IndustryChain
    from silian.organizations.models import Organization
    from silian.talent.models import Talent


class ConsortiumMember(Base):
    """A member unit of an innovation consortium and its part (the lead is the consortium's)."""

    __tablename__ = "innovation_consortium_members"
    __table_args__ = (MEMBER_PARTS.check("part"),)

    consortium_id: Mapped[int] = mapped_column(
        ForeignKey("innovation_consortia.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    part: Mapped[str] = mapped_column(
        String(20), nullable=False, default="research", server_default="research"
    )

    organization: Mapped[Organization] = relationship(lazy="joined")

    @property
    def part_label(self) -> str:
        """Chinese name of the member's part."""
        return MEMBER_PARTS.label(self.part)

    @property
    def part_rank(self) -> int:
        """Position of the part in MEMBER_PARTS (core members listed first)."""
        values = MEMBER_PARTS.values
        return values.index(self.part) if self.part in values else len(values)


# The member table under its old name (other code reads it as a plain table).
innovation_consortium_members = ConsortiumMember.__table__


class InnovationConsortium(Versioned, TimestampMixin, Base):
    """创新联合体: enterprises and institutes tackling a chain's common technology together."""

    __tablename__ = "innovation_consortia"
    # The lead enterprise's staff count as the consortium's own unit (they run its projects).
    owner_unit_key: ClassVar[str | None] = "lead_organization_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    lead_organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), nullable=False
    )
    chain_id: Mapped[int | None] = mapped_column(
        ForeignKey("industry_chains.id", ondelete="SET NULL"), nullable=True
    )
    goal: Mapped[str] = mapped_column(Text, nullable=False, default="")
    founded_on: Mapped[date | None] = mapped_column(nullable=True)
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    lead_organization: Mapped[Organization] = relationship(lazy="joined")
    chain: Mapped[IndustryChain | None] = relationship(lazy="joined")
    memberships: Mapped[list[ConsortiumMember]] = relationship(
        cascade="all, delete-orphan", order_by="ConsortiumMember.part"
    )
    members: Mapped[list[Organization]] = relationship(
        secondary=innovation_consortium_members, viewonly=True
    )
    projects: Mapped[list[CommonTechProject]] = relationship(
        back_populates="consortium", order_by="CommonTechProject.id"
    )


class CommonTechProject(Versioned, TimestampMixin, Base):
    """共性技术攻关项目 run by an innovation consortium: budget, tasks, milestones, outputs."""

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
    description: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    # Dates of the lifecycle: started (立项→攻关中), planned end, accepted (已验收).
    started_on: Mapped[date | None] = mapped_column(nullable=True)
    due_on: Mapped[date | None] = mapped_column(nullable=True)
    accepted_on: Mapped[date | None] = mapped_column(nullable=True)

    consortium: Mapped[InnovationConsortium] = relationship(
        back_populates="projects", lazy="joined"
    )
    tasks: Mapped[list[ProjectTask]] = relationship(
        cascade="all, delete-orphan", order_by="ProjectTask.id"
    )
    milestones: Mapped[list[ProjectMilestone]] = relationship(
        cascade="all, delete-orphan", order_by="(ProjectMilestone.due_on, ProjectMilestone.id)"
    )
    outputs: Mapped[list[ProjectAchievement]] = relationship(
        cascade="all, delete-orphan", order_by="ProjectAchievement.produced_on"
    )

    @property
    def status_label(self) -> str:
        """Chinese status name."""
        return COMMON_TECH_STATUS.label(self.status)


class ProjectTask(Base):
    """What one member unit does in a common-technology project (its share of the budget)."""

    __tablename__ = "common_tech_project_tasks"
    __table_args__ = (CheckConstraint("budget IS NULL OR budget >= 0", name="budget_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("common_tech_projects.id", ondelete="CASCADE"), nullable=False, index=True
    )
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    task: Mapped[str] = mapped_column(Text, nullable=False)
    budget: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)

    organization: Mapped[Organization] = relationship(lazy="joined")


class ProjectMilestone(Base):
    """A milestone of a common-technology project: due date and the date it was done."""

    __tablename__ = "common_tech_project_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("common_tech_projects.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    due_on: Mapped[date] = mapped_column(nullable=False)
    done_on: Mapped[date | None] = mapped_column(nullable=True)


class ProjectAchievement(Base):
    """An achievement a common-technology project produced (an existing Achievement record)."""

    __tablename__ = "common_tech_project_achievements"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("common_tech_projects.id", ondelete="CASCADE"), primary_key=True
    )
    achievement_id: Mapped[int] = mapped_column(
        ForeignKey("achievements.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    produced_on: Mapped[date] = mapped_column(nullable=False)

    achievement: Mapped[Achievement] = relationship(lazy="joined")


class RdInstitute(Versioned, TimestampMixin, Base):
    """新型研发机构: an institute the city co-builds with universities and enterprises."""

    __tablename__ = "rd_institutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    # The institute's own unit (Organization of kind institute) when it has registered one.
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), unique=True, nullable=True
    )
    chain_id: Mapped[int | None] = mapped_column(
        ForeignKey("industry_chains.id", ondelete="SET NULL"), nullable=True
    )
    founded_on: Mapped[date | None] = mapped_column(nullable=True)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    organization: Mapped[Organization | None] = relationship(lazy="joined")
    chain: Mapped[IndustryChain | None] = relationship(lazy="joined")
    partners: Mapped[list[InstitutePartner]] = relationship(
        cascade="all, delete-orphan", order_by="InstitutePartner.id"
    )
    talents: Mapped[list[InstituteTalent]] = relationship(
        cascade="all, delete-orphan", order_by="InstituteTalent.joined_on"
    )
    achievements: Mapped[list[InstituteAchievement]] = relationship(
        cascade="all, delete-orphan", order_by="InstituteAchievement.linked_on"
    )


class InstitutePartner(Base):
    """A co-builder of an institute and what it contributes (text, optionally an amount)."""

    __tablename__ = "rd_institute_partners"
    __table_args__ = (
        UniqueConstraint("institute_id", "organization_id"),
        CONTRIBUTION_KINDS.check("kind"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="amount_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institute_id: Mapped[int] = mapped_column(
        ForeignKey("rd_institutes.id", ondelete="CASCADE"), nullable=False
    )
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="funding")
    contribution: Mapped[str] = mapped_column(Text, nullable=False, default="")
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)

    organization: Mapped[Organization] = relationship(lazy="joined")

    @property
    def kind_label(self) -> str:
        """Chinese contribution kind."""
        return CONTRIBUTION_KINDS.label(self.kind)


class InstituteTalent(Base):
    """A talent an institute has gathered (全职或柔性引进), from the date they joined."""

    __tablename__ = "rd_institute_talents"

    institute_id: Mapped[int] = mapped_column(
        ForeignKey("rd_institutes.id", ondelete="CASCADE"), primary_key=True
    )
    talent_id: Mapped[int] = mapped_column(
        ForeignKey("talents.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    joined_on: Mapped[date] = mapped_column(nullable=False)

    talent: Mapped[Talent] = relationship(lazy="joined")


class InstituteAchievement(Base):
    """An achievement of an institute, with contract evidence entered by hand when the contract
    is not recorded on the platform."""

    __tablename__ = "rd_institute_achievements"
    __table_args__ = (
        CheckConstraint(
            "evidence_amount IS NULL OR evidence_amount >= 0", name="evidence_nonnegative"
        ),
    )

    institute_id: Mapped[int] = mapped_column(
        ForeignKey("rd_institutes.id", ondelete="CASCADE"), primary_key=True
    )
    achievement_id: Mapped[int] = mapped_column(
        ForeignKey("achievements.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    linked_on: Mapped[date] = mapped_column(nullable=False)
    # A contract value proved by documents (e.g. a contract signed off the platform).
    evidence_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    evidence: Mapped[str] = mapped_column(Text, nullable=False, default="")

    achievement: Mapped[Achievement] = relationship(lazy="joined")
