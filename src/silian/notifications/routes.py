"""Notification pages (the bell) and REST endpoints."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.core.flash import redirect
from silian.core.web import (
    api_require_user,
    csrf_protect,
    current_user,
    get_db,
    render,
    require_user,
)
from silian.notifications import service
from silian.notifications.models import Notification
from silian.notifications.schemas import NotificationList, NotificationOut, ReadAllOut

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
api = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


def _out(item: Notification) -> dict[str, Any]:
    return {c.key: getattr(item, c.key) for c in Notification.__mapper__.column_attrs}


@router.get("/notifications/badge")
def badge(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """The bell's unread count (loaded by HTMX into the top bar)."""
    count = service.unread_count(db, user) if user else 0
    text = (
        f'<span class="bell-count" aria-label="{count}条未读提醒">{count}</span>' if count else ""
    )
    return HTMLResponse(text)


@router.get("/notifications")
def page(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """The user's notifications, unread first."""
    return render(
        request,
        "notifications/list.html",
        {"items": service.list_for(db, user), "kinds": service.KINDS},
    )


@router.post("/notifications/read-all")
def read_all(db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """Mark every item read."""
    marked = service.mark_all_read(db, user)
    return redirect("/notifications", f"已将 {marked} 条提醒标为已读" if marked else "没有未读提醒")


@router.post("/notifications/{notification_id}/read")
def read_one(
    notification_id: int, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Mark one item read and open what it points to."""
    item = service.mark_read(db, user, notification_id)
    return RedirectResponse(item.url or "/notifications", status_code=303)


@api.get("", response_model=NotificationList)
def api_list(
    unread: bool = False, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, Any]:
    """The caller's items (unread=true: only unread) and the unread count."""
    return {
        "items": [_out(n) for n in service.list_for(db, user, unread_only=unread)],
        "unread": service.unread_count(db, user),
    }


@api.post("/{notification_id}/read", response_model=NotificationOut)
def api_read(
    notification_id: int, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, Any]:
    """Mark one of the caller's items read."""
    return _out(service.mark_read(db, user, notification_id))


@api.post("/read-all", response_model=ReadAllOut)
def api_read_all(
    db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, int]:
    """Mark all the caller's items read."""
    return {"marked": service.mark_all_read(db, user)}
