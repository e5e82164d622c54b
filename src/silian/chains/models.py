"""Industry chain model, synchronised from the editable chain configuration."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from silian.core.concurrency import Versioned
from silian.core.db import Base, TimestampMixin


class IndustryChain(Versioned, TimestampMixin, Base):
    """One key industry chain (产业链) with its GB/T 4754 codes and disciplines."""

    __tablename__ = "industry_chains"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    gbt_codes: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    disciplines: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    sort_order: Mapped[int] = mapped_column(nullable=False, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
