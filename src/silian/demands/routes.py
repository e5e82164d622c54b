"""Demand pages and REST endpoints: parse the request, call one service, render."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.chains.models import IndustryChain
from silian.core import workflow
from silian.core.concurrency import etag, stale_context, version_from_form
from silian.core.errors import StaleEdit, ValidationFailed
from silian.core.idempotency import idempotency_key, idempotent_create
from silian.core.permissions import require
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
from silian.demands import choices, service
from silian.demands.schemas import LABELS, DemandIn, DemandOut, DemandPage
from silian.organizations.models import Organization

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
api = APIRouter(prefix="/api/v1/demands", tags=["demands"])


def _filters(request: Request) -> service.DemandFilters:
    q = request.query_params
    return service.DemandFilters(
        q=q.get("q", "").strip(),
        chain_id=int_or_none(q.get("chain")),
        list_type=q.get("list_type", ""),
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
                .where(Organization.kind.in_(("enterprise", "office")))
                .order_by(Organization.kind, Organization.name)
            )
        )
    return {
        "chains": list(db.scalars(select(IndustryChain).order_by(IndustryChain.sort_order))),
        "choices": choices,
        "labels": LABELS,
        "organizations": orgs,
    }


@router.get("/demands")
def list_page(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """Searchable, filterable list of demands (榜单大厅)."""
    filters = _filters(request)
    page = service.list_demands(
        db, user, filters, int_or_none(request.query_params.get("page")) or 1, 20
    )
    chains = list(db.scalars(select(IndustryChain).order_by(IndustryChain.sort_order)))
    views = [service.to_public_dict(user, d) | {"obj": d} for d in page.items]
    return render(
        request,
        "demands/list.html",
        {"page": page, "views": views, "filters": filters, "chains": chains, "choices": choices},
    )


@router.get("/demands/new")
def new_page(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Blank form for a new demand."""
    require(user, "demand.create")
    ctx = _form_context(db, user) | {"item": None, "values": {}, "errors": {}}
    return render(request, "demands/form.html", ctx)


@router.post("/demands/new")
async def create(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Create a draft from the form, or show the form again with messages."""
    data = await form_dict(request)
    try:
        if data.get("submit_now"):
            item = service.create_and_submit_demand(db, user, data)
        else:
            item = service.create_demand(db, user, data)
    except ValidationFailed as exc:
        db.rollback()
        ctx = _form_context(db, user) | {"item": None, "values": data, "errors": exc.errors}
        return render(request, "demands/form.html", ctx, 422)
    return RedirectResponse(f"/demands/{item.id}?saved=1", status_code=303)


@router.get("/demands/{demand_id}")
def detail_page(
    demand_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """One demand; confidential details only for those allowed to read them."""
    item = service.get_demand(db, user, demand_id)
    return render(
        request,
        "demands/detail.html",
        {
            "item": item,
            "view": service.to_public_dict(user, item),
            "choices": choices,
            "actions": workflow.allowed_actions(user, item, service.KIND),
            "can_edit": service.can_edit(user, item),
        },
    )


@router.get("/demands/{demand_id}/edit")
def edit_page(
    demand_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Edit form filled with the demand's values."""
    item = service.get_demand(db, user, demand_id)
    if not service.can_edit(user, item):
        return render(request, "error.html", {"message": "您不能修改此需求"}, 403)
    values = service.to_public_dict(user, item)
    ctx = _form_context(db, user) | {"item": item, "values": values, "errors": {}}
    return render(request, "demands/form.html", ctx)


@router.post("/demands/{demand_id}/edit")
async def update(
    demand_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Save edits, or show the form again with messages."""
    data = await form_dict(request)
    loaded = version_from_form(data.pop("version", None))
    try:
        item = service.update_demand(db, user, demand_id, data, loaded)
    except ValidationFailed as exc:
        db.rollback()
        item = service.get_demand(db, user, demand_id)
        ctx = _form_context(db, user) | {"item": item, "values": data, "errors": exc.errors}
        return render(request, "demands/form.html", ctx, 422)
    except StaleEdit:
        # Keep the user's input; show what others changed; the form now carries the new version.
        item = service.get_demand(db, user, demand_id)
        stale = stale_context(db, item, loaded, LABELS)
        ctx = _form_context(db, user) | {"item": item, "values": data, "errors": {}}
        return render(request, "demands/form.html", ctx | {"stale": stale}, 409)
    return RedirectResponse(f"/demands/{item.id}?saved=1", status_code=303)


@router.post("/demands/{demand_id}/{action}")
async def transition(
    demand_id: int,
    action: str,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Submit, approve, return or withdraw."""
    form = await form_dict(request)
    service.change_status(db, user, demand_id, action, form.get("remarks", ""))
    return RedirectResponse(f"/demands/{demand_id}", status_code=303)


@api.get("", response_model=DemandPage)
def api_list(
    request: Request,
    page: int = Query(1, ge=1),
    per_page: int = Query(20, ge=1, le=100),
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """List demands visible to the caller; confidential details are masked."""
    result = service.list_demands(db, user, _filters(request), page, per_page)
    return {
        "items": [service.to_public_dict(user, d) for d in result.items],
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
    }


@api.get("/{demand_id}", response_model=DemandOut)
def api_get(
    demand_id: int,
    response: Response,
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """One demand; its ETag is what a PUT sends back in If-Match."""
    item = service.get_demand(db, user, demand_id)
    response.headers["ETag"] = etag(item)
    return service.to_public_dict(user, item)


@api.post("", response_model=DemandOut, status_code=201)
def api_create(
    body: DemandIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Create a draft demand (retry safely with an Idempotency-Key)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.create_demand(db, user, body.model_dump()),
        lambda item: DemandOut.model_validate(service.to_public_dict(user, item)),
    )


@api.put("/{demand_id}", response_model=DemandOut, responses=PUT_RESPONSES)
def api_update(
    demand_id: int,
    body: DemandIn,
    response: Response,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    version: int = Depends(if_match_version),
) -> dict[str, Any]:
    """Replace a demand's editable fields; If-Match must carry the ETag last read."""
    item = service.update_demand(db, user, demand_id, body.model_dump(), version)
    response.headers["ETag"] = etag(item)
    return service.to_public_dict(user, item)


@api.post("/{demand_id}/{action}", response_model=DemandOut)
def api_transition(
    demand_id: int,
    action: str,
    body: ActionIn | None = None,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Workflow action: submit, approve, return (with remarks) or withdraw."""
    item = service.change_status(db, user, demand_id, action, body.remarks if body else "")
    return service.to_public_dict(user, item)
