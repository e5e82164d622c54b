"""Notification model: one item in one user's bell."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from silian.core.db import Base, utcnow


class Notification(Base):
    """Something that needs a user's action (a bid to review, a deal waiting, a milestone due)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    url: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    # Same key again for the same user does not add a second unread item.
    dedupe_key: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(nullable=True)
