"""Account models: users with one role and an optional organisation, and login attempts."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silian.accounts.choices import ROLES
from silian.core.db import Base, TimestampMixin, utcnow

if TYPE_CHECKING:
    from silian.organizations.models import Organization


class User(TimestampMixin, Base):
    """A person who signs in; role decides what they may see and do."""

    __tablename__ = "users"
    __table_args__ = (ROLES.check("role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True, index=True
    )
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Bumped on logout and password change so older session cookies stop working.
    session_version: Mapped[int] = mapped_column(nullable=False, default=1)
    last_login_at: Mapped[datetime | None] = mapped_column(nullable=True)

    organization: Mapped[Organization | None] = relationship(lazy="joined")

    @property
    def role_label(self) -> str:
        """Chinese name of the role."""
        return ROLES.label(self.role)

    @property
    def name(self) -> str:
        """Name to show in the UI."""
        return self.display_name or self.username


class LoginAttempt(Base):
    """One login attempt, kept to throttle password guessing per username and address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_lookup", "username", "created_at"),
        # The per-address throttle counts an address's recent failures on every sign-in.
        Index("ix_login_attempts_address", "ip", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    ip: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    success: Mapped[bool] = mapped_column(Boolean, nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
