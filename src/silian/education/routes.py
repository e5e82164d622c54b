"""Education chain pages and REST endpoints: overview tabs, detail pages, named-class forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from silian.accounts.models import User
from silian.chains.models import IndustryChain
from silian.coordination.models import InvestmentProject
from silian.core.pagination import Page
from silian.core.views import RecordViews, api_routes, page_routes
from silian.core.web import (
    csrf_protect,
    current_user,
    get_db,
    int_or_none,
    render,
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


def _class_form_context(db: Session, user: User) -> dict[str, Any]:
    schools: list[Organization] = []
    if service.enters_for_any_school(user):
        schools = list(
            db.scalars(
                select(Organization)
                .where(Organization.kind.in_(service.SCHOOL_KINDS))
                .order_by(Organization.name)
            )
        )
    return {
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


def _class_out(item: NamedClass, user: User | None) -> dict[str, Any]:
    db = object_session(item)
    assert db is not None
    return service.class_dict(db, item)


# Named classes' forms and API are the shared record views; the detail page is below.
NAMED_CLASSES = RecordViews(
    kind="named_class",
    noun="冠名班",
    path="/education/named-classes",
    id_name="class_id",
    templates="education",
    form_template="education/class_form.html",
    labels=CLASS_LABELS,
    filters=_filters,
    list=lambda db, user, filters, page, per_page: service.list_named_classes(
        db, filters, page, per_page
    ),
    get=lambda db, user, class_id: service.get_named_class(db, class_id),
    create=service.create_named_class,
    update=service.update_named_class,
    can_edit=service.can_manage_class,
    out=_class_out,
    form_values=lambda item, user: {
        c.key: getattr(item, c.key) for c in NamedClass.__mapper__.column_attrs
    },
    form_context=_class_form_context,
    new_values=lambda request: {"students": 0},
    list_page=False,
    detail_page=False,
    created_text="冠名班已登记",
    saved_text="冠名班已保存",
    api_prefix="/named-classes",
    api_tag="education",
    in_schema=NamedClassIn,
    out_schema=NamedClassOut,
    page_schema=NamedClassPage,
    api_texts={
        "list": "冠名班；筛选 q、chain、org、year。",
        "create": "政府部门登记冠名班，高校为本校登记。",
    },
    reviewed=False,
)
# Before the detail page, whose /{class_id} would also match /new.
router.include_router(page_routes(NAMED_CLASSES))
api.include_router(api_routes(NAMED_CLASSES))


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
