"""Organisation model and its links to partners and industry chains."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import Boolean, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silian.core.concurrency import Versioned
from silian.core.db import Base, TimestampMixin
from silian.organizations.choices import ORG_KINDS

if TYPE_CHECKING:
    from silian.chains.models import IndustryChain

organization_partners = Table(
    "organization_partners",
    Base.metadata,
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("partner_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
)

organization_chains = Table(
    "organization_chains",
    Base.metadata,
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("chain_id", ForeignKey("industry_chains.id", ondelete="CASCADE"), primary_key=True),
)


class Organization(Versioned, TimestampMixin, Base):
    """A university, institute, enterprise, office or platform operator in the city."""

    __tablename__ = "organizations"
    # A unit's members own the unit's own record.
    owner_unit_key: ClassVar[str | None] = "id"
    __table_args__ = (ORG_KINDS.check("kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    # 统一社会信用代码 or 学校标识码; unique when known.
    credit_code: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)
    region_code: Mapped[str] = mapped_column(String(12), nullable=False, default="")
    address: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    contact_name: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    contact_phone: Mapped[str] = mapped_column(String(30), nullable=False, default="")
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    is_chain_leader: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    co_built_with: Mapped[list[Organization]] = relationship(
        secondary=organization_partners,
        primaryjoin=lambda: Organization.id == organization_partners.c.organization_id,
        secondaryjoin=lambda: Organization.id == organization_partners.c.partner_id,
    )
    chains: Mapped[list[IndustryChain]] = relationship(secondary=organization_chains)

    @property
    def kind_label(self) -> str:
        """Chinese name of the organisation kind."""
        return ORG_KINDS.label(self.kind)
