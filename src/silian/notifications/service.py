"""Notification services: add an item to a user's bell, list, count, mark read."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.core.db import utcnow
from silian.core.errors import NotFound
from silian.core.transactions import commit
from silian.notifications.models import Notification

KINDS = {
    "bid_review": "待评审",
    "bid_result": "揭榜结果",
    "challenge_closing": "榜单即将截止",
    "challenge_closed": "榜单关闭",
    "deal_waiting": "对接待跟进",
    "match_assigned": "新的撮合任务",
    "milestone_due": "合同节点到期",
    "contract": "合同",
    "task_assigned": "新的督办任务",
    "task_overdue": "督办逾期",
}


def notify(
    session: Session,
    user_id: int | None,
    kind: str,
    title: str,
    url: str = "",
    *,
    body: str = "",
    dedupe_key: str = "",
) -> Notification | None:
    """Queue one item for user in the caller's transaction; an unread duplicate key is skipped."""
    if user_id is None:
        return None
    if dedupe_key:
        existing = session.scalar(
            select(Notification).where(
                Notification.user_id == user_id,
                Notification.dedupe_key == dedupe_key,
                Notification.read_at.is_(None),
            )
        )
        if existing is not None:
            return existing
    item = Notification(
        user_id=user_id, kind=kind, title=title[:200], url=url, body=body, dedupe_key=dedupe_key
    )
    session.add(item)
    return item


def unread_count(session: Session, user: User) -> int:
    """How many unread items the user has."""
    return int(
        session.scalar(
            select(func.count()).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def list_for(
    session: Session, user: User, unread_only: bool = False, limit: int = 50
) -> list[Notification]:
    """The user's items, unread first, newest first."""
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    stmt = stmt.order_by(Notification.read_at.is_not(None), Notification.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def mark_read(session: Session, user: User, notification_id: int) -> Notification:
    """Mark one of the user's own items read (another user's item is not found)."""
    item = session.get(Notification, notification_id)
    if item is None or item.user_id != user.id:
        raise NotFound("提醒不存在")
    if item.read_at is None:
        item.read_at = utcnow()
    commit(session)
    return item


def mark_all_read(session: Session, user: User) -> int:
    """Mark every unread item of the user read; returns how many."""
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    commit(session)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
