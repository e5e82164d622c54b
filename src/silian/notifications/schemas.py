"""API output of notifications."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class NotificationOut(BaseModel):
    """One item of the bell."""

    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: datetime
    read_at: datetime | None


class NotificationList(BaseModel):
    """The caller's items and how many are unread."""

    items: list[NotificationOut]
    unread: int


class ReadAllOut(BaseModel):
    """How many items were marked read."""

    marked: int
