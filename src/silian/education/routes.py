"""Education chain pages and REST endpoints: overview tabs, detail pages, named-class forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.chains.models import IndustryChain
from silian.coordination.models import InvestmentProject
from silian.core.concurrency import etag, stale_context, version_from_form
from silian.core.errors import StaleEdit, ValidationFailed
from silian.core.flash import redirect
from silian.core.idempotency import idempotency_key, idempotent_create
from silian.core.pagination import Page
from silian.core.permissions import require
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
from silian.education import choices, edit_routes, records, service
from silian.education.models import NamedClass
from silian.education.schemas import (
    CLASS_LABELS,
    NamedClassIn,
    NamedClassOut,
    NamedClassPage,
)
from silian.organizations.models import Organization

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
api = APIRouter(prefix="/api/v1/education", tags=["education"])
# Editing pages first: /education/consortia/new must not be read as a consortium id.
router.include_router(edit_routes.router)
api.include_router(edit_routes.api)

# Overview tabs: key → (Chinese title, list function).
TABS: dict[str, tuple[str, Callable[..., Page[Any]]]] = {
    "classes": ("冠名班", service.list_named_classes),
    "bases": ("公共实训基地", service.list_training_bases),
    "consortia": ("产教联合体", service.list_consortia),
    "colleges": ("现代产业学院", service.list_colleges),
}


_filters = edit_routes.edu_filters


def _chains(db: Session) -> list[IndustryChain]:
    return list(db.scalars(select(IndustryChain).order_by(IndustryChain.sort_order)))


def _chain_names(db: Session) -> dict[int, str]:
    return {c.id: c.name for c in _chains(db)}


@router.get("/education")
def overview_page(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """Education chain overview: figures and tabs for classes, bases, consortia and colleges."""
    tab = request.query_params.get("tab", "classes")
    if tab not in TABS:
        tab = "classes"
    filters = _filters(request)
    page = TABS[tab][1](db, filters, int_or_none(request.query_params.get("page")) or 1, 20)
    return render(
        request,
        "education/overview.html",
        {
            "tab": tab,
            "tabs": [(k, v[0]) for k, v in TABS.items()],
            "page": page,
            "filters": filters,
            "figures": service.overview(db),
            "chains": _chains(db),
            "chain_names": _chain_names(db),
            "choices": choices,
            "can_create": service.can_manage_class(user),
        },
    )


def _class_form(
    request: Request,
    db: Session,
    user: User,
    item: NamedClass | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    stale: dict[str, Any] | None = None,
) -> Response:
    schools: list[Organization] = []
    if service.enters_for_any_school(user):
        schools = list(
            db.scalars(
                select(Organization)
                .where(Organization.kind.in_(service.SCHOOL_KINDS))
                .order_by(Organization.name)
            )
        )
    ctx = {
        "item": item,
        "stale": stale,
        "values": values,
        "errors": errors,
        "labels": CLASS_LABELS,
        "schools": schools,
        "enterprises": list(
            db.scalars(
                select(Organization)
                .where(Organization.kind == "enterprise", Organization.is_active.is_(True))
                .order_by(Organization.name)
            )
        ),
        "projects": list(db.scalars(select(InvestmentProject).order_by(InvestmentProject.name))),
    }
    return render(request, "education/class_form.html", ctx, status)


@router.get("/education/named-classes/new")
def class_new(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Blank named-class form (offices; universities for their own school)."""
    require(user, "named_class.create")
    return _class_form(request, db, user, None, {"students": 0}, {})


@router.post("/education/named-classes/new")
async def class_create(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Create a named class, or show the form again with messages."""
    data = await form_dict(request)
    try:
        item = service.create_named_class(db, user, data)
    except ValidationFailed as exc:
        db.rollback()
        return _class_form(request, db, user, None, data, exc.errors, 422)
    return redirect(f"/education/named-classes/{item.id}", "冠名班已登记")


@router.get("/education/named-classes/{class_id}")
def class_page(
    class_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """One named class with its linked investment project and sibling classes."""
    item = service.get_named_class(db, class_id)
    project = (
        db.get(InvestmentProject, item.investment_project_id)
        if item.investment_project_id
        else None
    )
    siblings = list(
        db.scalars(
            select(NamedClass)
            .where(NamedClass.enterprise_id == item.enterprise_id, NamedClass.id != item.id)
            .order_by(NamedClass.graduation_year.desc())
            .limit(10)
        )
    )
    return render(
        request,
        "education/class_detail.html",
        {
            "item": item,
            "project": project,
            "siblings": siblings,
            "can_edit": service.can_manage_class(user, item),
        },
    )


@router.get("/education/named-classes/{class_id}/edit")
def class_edit(
    class_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Edit form of a named class."""
    item = service.get_named_class(db, class_id)
    require(user, "named_class.edit", item)
    values = {c.key: getattr(item, c.key) for c in NamedClass.__mapper__.column_attrs}
    return _class_form(request, db, user, item, values, {})


@router.post("/education/named-classes/{class_id}/edit")
async def class_update(
    class_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Save a named class, or show the form again with messages."""
    data = await form_dict(request)
    loaded = version_from_form(data.pop("version", None))
    try:
        item = service.update_named_class(db, user, class_id, data, loaded)
    except ValidationFailed as exc:
        db.rollback()
        item = service.get_named_class(db, class_id)
        return _class_form(request, db, user, item, data, exc.errors, 422)
    except StaleEdit:
        item = service.get_named_class(db, class_id)
        stale = stale_context(db, item, loaded, CLASS_LABELS)
        return _class_form(request, db, user, item, data, {}, 409, stale)
    return redirect(f"/education/named-classes/{item.id}", "冠名班已保存")


@router.get("/education/training-bases/{base_id}")
def base_page(
    base_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """One public training base with capacity use and programmes."""
    item = service.get_training_base(db, base_id)
    chain = db.get(IndustryChain, item.chain_id) if item.chain_id else None
    return render(request, "education/base_detail.html", {"item": item, "chain": chain})


@router.get("/education/consortia/{consortium_id}")
def consortium_page(
    consortium_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """One consortium with its lead unit and members."""
    item = service.get_consortium(db, consortium_id)
    chain = db.get(IndustryChain, item.chain_id) if item.chain_id else None
    return render(
        request,
        "education/consortium_detail.html",
        {
            "item": item,
            "chain": chain,
            "choices": choices,
            "members": records.members_with_roles(db, item.id),
        },
    )


@router.get("/education/colleges/{college_id}")
def college_page(
    college_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """One modern industry college with its majors and partner enterprises."""
    item = service.get_college(db, college_id)
    chain = db.get(IndustryChain, item.chain_id) if item.chain_id else None
    return render(request, "education/college_detail.html", {"item": item, "chain": chain})


def _page(result: Page[Any], convert: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    return {
        "items": [convert(i) for i in result.items],
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
    }


@api.get("/named-classes", response_model=NamedClassPage)
def api_classes(
    request: Request,
    page: int = Query(1, ge=1),
    per_page: int = Query(20, ge=1, le=100),
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """Named classes; filters q, chain, org, year."""
    result = service.list_named_classes(db, _filters(request), page, per_page)
    return _page(result, lambda c: service.class_dict(db, c))


@api.get("/named-classes/{class_id}", response_model=NamedClassOut)
def api_class(
    class_id: int,
    response: Response,
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """One named class; its ETag is what a PUT sends back in If-Match."""
    item = service.get_named_class(db, class_id)
    response.headers["ETag"] = etag(item)
    return service.class_dict(db, item)


@api.post("/named-classes", response_model=NamedClassOut, status_code=201)
def api_class_create(
    body: NamedClassIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Create a named class (offices; universities for their own school); retry safely with
    an Idempotency-Key."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.create_named_class(db, user, body.model_dump()),
        lambda item: NamedClassOut.model_validate(service.class_dict(db, item)),
    )


@api.put("/named-classes/{class_id}", response_model=NamedClassOut, responses=PUT_RESPONSES)
def api_class_update(
    class_id: int,
    body: NamedClassIn,
    response: Response,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    version: int = Depends(if_match_version),
) -> dict[str, Any]:
    """Replace a named class's fields; If-Match must carry the ETag last read."""
    item = service.update_named_class(db, user, class_id, body.model_dump(), version)
    response.headers["ETag"] = etag(item)
    return service.class_dict(db, item)
