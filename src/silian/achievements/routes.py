"""Achievement pages and REST endpoints: parse the request, call one service, render."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements import choices, service
from silian.achievements.models import Achievement
from silian.achievements.schemas import LABELS, AchievementIn, AchievementOut, AchievementPage
from silian.chains.models import IndustryChain
from silian.core import workflow
from silian.core.concurrency import etag, stale_context, version_from_form
from silian.core.errors import StaleEdit, ValidationFailed
from silian.core.idempotency import idempotency_key, idempotent_create
from silian.core.permissions import can, require
from silian.core.schemas import ActionIn
from silian.core.web import (
    PUT_RESPONSES,
    api_require_user,
    api_user,
    csrf_protect,
    current_user,
    form_dict,
    get_db,
    if_match_version,
    int_or_none,
    render,
    require_user,
)
from silian.organizations.models import Organization

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
api = APIRouter(prefix="/api/v1/achievements", tags=["achievements"])

LIST_FIELDS = ("transfer_modes",)


def _filters(request: Request) -> service.AchievementFilters:
    q = request.query_params
    return service.AchievementFilters(
        q=q.get("q", "").strip(),
        chain_id=int_or_none(q.get("chain")),
        discipline=q.get("discipline", ""),
        trl_min=int_or_none(q.get("trl_min")),
        trl_max=int_or_none(q.get("trl_max")),
        transfer_mode=q.get("mode", ""),
        status=q.get("status", ""),
        organization_id=int_or_none(q.get("org")),
        mine=q.get("mine") == "1",
    )


def _form_context(db: Session, user: User) -> dict[str, Any]:
    orgs: list[Organization] = []
    if service.sees_all_edits(user):
        orgs = list(
            db.scalars(
                select(Organization)
                .where(Organization.kind.in_(("university", "institute", "platform", "enterprise")))
                .order_by(Organization.kind, Organization.name)
            )
        )
    return {
        "chains": list(db.scalars(select(IndustryChain).order_by(IndustryChain.sort_order))),
        "choices": choices,
        "labels": LABELS,
        "organizations": orgs,
    }


@router.get("/achievements")
def list_page(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """Searchable, filterable list of achievements."""
    filters = _filters(request)
    page = service.list_achievements(
        db, user, filters, int_or_none(request.query_params.get("page")) or 1, 20
    )
    chains = list(db.scalars(select(IndustryChain).order_by(IndustryChain.sort_order)))
    return render(
        request,
        "achievements/list.html",
        {"page": page, "filters": filters, "chains": chains, "choices": choices},
    )


@router.get("/achievements/new")
def new_page(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Blank form for a new achievement."""
    require(user, "achievement.create")
    ctx = _form_context(db, user) | {"item": None, "values": {}, "errors": {}}
    return render(request, "achievements/form.html", ctx)


@router.post("/achievements/new")
async def create(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Create a draft from the form, or show the form again with messages."""
    data = await form_dict(request, LIST_FIELDS)
    try:
        if data.get("submit_now"):
            item = service.create_and_submit_achievement(db, user, data)
        else:
            item = service.create_achievement(db, user, data)
    except ValidationFailed as exc:
        db.rollback()
        ctx = _form_context(db, user) | {"item": None, "values": data, "errors": exc.errors}
        return render(request, "achievements/form.html", ctx, 422)
    return RedirectResponse(f"/achievements/{item.id}?saved=1", status_code=303)


@router.get("/achievements/{achievement_id}")
def detail_page(
    achievement_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """One achievement with its workflow actions."""
    item = service.get_achievement(db, user, achievement_id)
    return render(
        request,
        "achievements/detail.html",
        {
            "item": item,
            "choices": choices,
            "actions": workflow.allowed_actions(user, item, service.KIND),
            "can_edit": service.can_edit(user, item),
        },
    )


@router.get("/achievements/{achievement_id}/edit")
def edit_page(
    achievement_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Edit form filled with the achievement's values."""
    item = service.get_achievement(db, user, achievement_id)
    if not service.can_edit(user, item):
        return render(request, "error.html", {"message": "您不能修改此成果"}, 403)
    values = AchievementOut.model_validate(_out(item, user)).model_dump()
    ctx = _form_context(db, user) | {"item": item, "values": values, "errors": {}}
    return render(request, "achievements/form.html", ctx)


@router.post("/achievements/{achievement_id}/edit")
async def update(
    achievement_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Save edits, or show the form again with messages."""
    data = await form_dict(request, LIST_FIELDS)
    loaded = version_from_form(data.pop("version", None))
    try:
        item = service.update_achievement(db, user, achievement_id, data, loaded)
    except ValidationFailed as exc:
        db.rollback()
        item = service.get_achievement(db, user, achievement_id)
        ctx = _form_context(db, user) | {"item": item, "values": data, "errors": exc.errors}
        return render(request, "achievements/form.html", ctx, 422)
    except StaleEdit:
        # Keep the user's input; show what others changed; the form now carries the new version.
        item = service.get_achievement(db, user, achievement_id)
        stale = stale_context(db, item, loaded, LABELS)
        ctx = _form_context(db, user) | {"item": item, "values": data, "errors": {}}
        return render(request, "achievements/form.html", ctx | {"stale": stale}, 409)
    return RedirectResponse(f"/achievements/{item.id}?saved=1", status_code=303)


@router.post("/achievements/{achievement_id}/{action}")
async def transition(
    achievement_id: int,
    action: str,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Submit, approve, return or withdraw."""
    form = await form_dict(request)
    service.change_status(db, user, achievement_id, action, form.get("remarks", ""))
    return RedirectResponse(f"/achievements/{achievement_id}", status_code=303)


def _out(item: Achievement, user: User | None) -> dict[str, Any]:
    data = {c: getattr(item, c) for c in AchievementOut.model_fields if hasattr(item, c)}
    data["organization_name"] = item.organization.name
    # Review remarks are between the office and the publishing unit, as on the detail page.
    if not can(user, "achievement.view_remarks", item):
        data["review_remarks"] = ""
    return data


@api.get("", response_model=AchievementPage)
def api_list(
    request: Request,
    page: int = Query(1, ge=1),
    per_page: int = Query(20, ge=1, le=100),
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """List achievements visible to the caller (published ones for anonymous callers)."""
    result = service.list_achievements(db, user, _filters(request), page, per_page)
    return {
        "items": [_out(i, user) for i in result.items],
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
    }


@api.get("/{achievement_id}", response_model=AchievementOut)
def api_get(
    achievement_id: int,
    response: Response,
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """One achievement; its ETag is what a PUT sends back in If-Match."""
    item = service.get_achievement(db, user, achievement_id)
    response.headers["ETag"] = etag(item)
    return _out(item, user)


@api.post("", response_model=AchievementOut, status_code=201)
def api_create(
    body: AchievementIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Create a draft achievement (retry safely with an Idempotency-Key)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.create_achievement(db, user, body.model_dump()),
        lambda item: AchievementOut.model_validate(_out(item, user)),
    )


@api.put("/{achievement_id}", response_model=AchievementOut, responses=PUT_RESPONSES)
def api_update(
    achievement_id: int,
    body: AchievementIn,
    response: Response,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    version: int = Depends(if_match_version),
) -> dict[str, Any]:
    """Replace an achievement's editable fields; If-Match must carry the ETag last read."""
    item = service.update_achievement(db, user, achievement_id, body.model_dump(), version)
    response.headers["ETag"] = etag(item)
    return _out(item, user)


@api.post("/{achievement_id}/{action}", response_model=AchievementOut)
def api_transition(
    achievement_id: int,
    action: str,
    body: ActionIn | None = None,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Workflow action: submit, approve, return (with remarks) or withdraw."""
    item = service.change_status(db, user, achievement_id, action, body.remarks if body else "")
    return _out(item, user)
