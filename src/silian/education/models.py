"""Discipline, Major (with its discipline and chain mappings), MajorOffering, IndustryCollege,
TrainingBase, Consortium and NamedClass models."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silian.core.concurrency import Versioned
from silian.core.db import Base, TimestampMixin
from silian.education.choices import (
    CONSORTIUM_KINDS,
    CONSORTIUM_PARTS,
    DISCIPLINE_SOURCES,
    MAJOR_LEVELS,
)

if TYPE_CHECKING:
    from silian.organizations.models import Organization


class Discipline(Base):
    """A research discipline from a national catalogue (CSL or NSFC codes)."""

    __tablename__ = "disciplines"
    __table_args__ = (UniqueConstraint("source", "code"), DISCIPLINE_SOURCES.check("source"))

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(10), nullable=False)
    code: Mapped[str] = mapped_column(String(20), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    category: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    parent_code: Mapped[str] = mapped_column(String(20), nullable=False, default="")


class Major(Versioned, Base):
    """A taught major (专业) from the national catalogue."""

    __tablename__ = "majors"
    __table_args__ = (UniqueConstraint("level", "code"), MAJOR_LEVELS.check("level"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    level: Mapped[str] = mapped_column(String(20), nullable=False, default="undergraduate")
    category: Mapped[str] = mapped_column(String(50), nullable=False, default="")


class MajorDiscipline(Base):
    """A major mapped to a CSL discipline (专业—学科对应), edited by the office."""

    __tablename__ = "major_disciplines"

    major_id: Mapped[int] = mapped_column(
        ForeignKey("majors.id", ondelete="CASCADE"), primary_key=True
    )
    discipline_id: Mapped[int] = mapped_column(
        ForeignKey("disciplines.id", ondelete="CASCADE"), primary_key=True
    )


class MajorChain(Base):
    """A major mapped to an industry chain it supplies (专业—产业链对应), with a weight: a
    major's graduates are shared among its chains in proportion to the weights."""

    __tablename__ = "major_chains"
    __table_args__ = (CheckConstraint("weight BETWEEN 1 AND 10", name="weight_range"),)

    major_id: Mapped[int] = mapped_column(
        ForeignKey("majors.id", ondelete="CASCADE"), primary_key=True
    )
    chain_id: Mapped[int] = mapped_column(
        ForeignKey("industry_chains.id", ondelete="CASCADE"), primary_key=True
    )
    weight: Mapped[int] = mapped_column(nullable=False, default=1)


class MajorOffering(Versioned, TimestampMixin, Base):
    """A major a university or college runs: yearly intake, length of study, the year it opened
    and the chain it serves (a major opened for a chain is a 新增专业). Supply for the talent
    arrival forecast and the majors–industry fit index."""

    __tablename__ = "major_offerings"
    __table_args__ = (
        UniqueConstraint("university_id", "major_id"),
        CheckConstraint("yearly_intake >= 0", name="intake_nonnegative"),
        CheckConstraint("duration_years BETWEEN 1 AND 8", name="duration_range"),
        CheckConstraint("first_year BETWEEN 1949 AND 2100", name="first_year_range"),
    )
    owner_unit_key: ClassVar[str | None] = "university_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    university_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    major_id: Mapped[int] = mapped_column(
        ForeignKey("majors.id", ondelete="RESTRICT"), nullable=False
    )
    chain_id: Mapped[int | None] = mapped_column(
        ForeignKey("industry_chains.id", ondelete="SET NULL"), nullable=True
    )
    # Students admitted each year; graduates of year Y are the intake of Y - duration_years.
    yearly_intake: Mapped[int] = mapped_column(nullable=False, default=0)
    duration_years: Mapped[int] = mapped_column(nullable=False, default=4)
    first_year: Mapped[int] = mapped_column(nullable=False)
    # The last year students were admitted (None: still admitting).
    last_year: Mapped[int | None] = mapped_column(nullable=True)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    university: Mapped[Organization] = relationship(lazy="joined")
    major: Mapped[Major] = relationship(lazy="joined")

    def graduates(self, year: int) -> int:
        """Expected graduates in a year (before retention): the intake admitted duration years
        earlier, if the major admitted students that year."""
        admitted = year - self.duration_years
        if admitted < self.first_year or (self.last_year is not None and admitted > self.last_year):
            return 0
        return self.yearly_intake


class IndustryCollege(Versioned, TimestampMixin, Base):
    """现代产业学院: a university college built with a chain's enterprises."""

    __tablename__ = "industry_colleges"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    university_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    chain_id: Mapped[int | None] = mapped_column(
        ForeignKey("industry_chains.id", ondelete="SET NULL"), nullable=True
    )
    partner_names: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    majors: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    students: Mapped[int] = mapped_column(nullable=False, default=0)
    yearly_intake: Mapped[int] = mapped_column(nullable=False, default=0, server_default="0")
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    university: Mapped[Organization] = relationship(lazy="joined")


class TrainingBase(Versioned, TimestampMixin, Base):
    """公共实训基地: a public training base with yearly capacity and programmes."""

    __tablename__ = "training_bases"
    __table_args__ = (
        CheckConstraint("yearly_capacity >= 0", name="capacity_nonnegative"),
        CheckConstraint("trainees_this_year >= 0", name="trainees_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    chain_id: Mapped[int | None] = mapped_column(
        ForeignKey("industry_chains.id", ondelete="SET NULL"), nullable=True
    )
    yearly_capacity: Mapped[int] = mapped_column(nullable=False, default=0)
    trainees_this_year: Mapped[int] = mapped_column(nullable=False, default=0)
    programmes: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    organization: Mapped[Organization] = relationship(lazy="joined")


consortium_members = Table(
    "consortium_members",
    Base.metadata,
    Column("consortium_id", ForeignKey("consortia.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    # The member's part in the consortium (牵头单位, 副理事长单位, 成员单位).
    Column("role", String(20), nullable=False, server_default="member"),
    CONSORTIUM_PARTS.check("role"),
)


class Consortium(Versioned, TimestampMixin, Base):
    """市域产教联合体 / 行业产教融合共同体 with member organisations and a chain."""

    __tablename__ = "consortia"
    __table_args__ = (CONSORTIUM_KINDS.check("kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    chain_id: Mapped[int | None] = mapped_column(
        ForeignKey("industry_chains.id", ondelete="SET NULL"), nullable=True
    )
    lead_organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), nullable=False
    )
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Catalogue names of the majors and the training programmes the consortium runs together.
    majors: Mapped[list[str]] = mapped_column(
        JSON, nullable=False, default=list, server_default="[]"
    )
    programmes: Mapped[list[str]] = mapped_column(
        JSON, nullable=False, default=list, server_default="[]"
    )
    yearly_intake: Mapped[int] = mapped_column(nullable=False, default=0, server_default="0")
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    lead_organization: Mapped[Organization] = relationship(lazy="joined")
    members: Mapped[list[Organization]] = relationship(secondary=consortium_members)


class NamedClass(Versioned, TimestampMixin, Base):
    """冠名班: a company-named class at a school, possibly linked to an investment project."""

    __tablename__ = "named_classes"
    # A class is its school's to manage.
    owner_unit_key: ClassVar[str | None] = "university_id"
    __table_args__ = (
        UniqueConstraint("university_id", "name"),
        CheckConstraint("students >= 0", name="students_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    university_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    major_name: Mapped[str] = mapped_column(String(100), nullable=False)
    students: Mapped[int] = mapped_column(nullable=False, default=0)
    graduation_year: Mapped[int] = mapped_column(nullable=False)
    investment_project_id: Mapped[int | None] = mapped_column(
        ForeignKey("investment_projects.id", ondelete="SET NULL"), nullable=True
    )
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    university: Mapped[Organization] = relationship(foreign_keys=[university_id], lazy="joined")
    enterprise: Mapped[Organization] = relationship(foreign_keys=[enterprise_id], lazy="joined")
