"""Investment-project pages and REST endpoints: parse the request, call one service, render."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from silian.accounts.models import User
from silian.chains.models import IndustryChain
from silian.coordination import service
from silian.coordination.choices import PROJECT_STATUS
from silian.coordination.models import InvestmentProject
from silian.coordination.schemas import (
    LABELS,
    ForecastOut,
    InvestmentProjectIn,
    InvestmentProjectOut,
    InvestmentProjectPage,
)
from silian.core.errors import ValidationFailed
from silian.core.flash import redirect
from silian.core.pagination import Page
from silian.core.permissions import can
from silian.core.views import RecordViews, api_routes, page_routes
from silian.core.web import (
    api_require_user,
    api_user,
    csrf_protect,
    form_dict,
    get_db,
    int_or_none,
    require_user,
    settings_of,
)
from silian.organizations.models import Organization

# Blank rows the needs editor offers below the filled ones (more with JavaScript).
SPARE_ROWS = 3


def _filters(request: Request) -> service.ProjectFilters:
    q = request.query_params
    return service.ProjectFilters(
        q=q.get("q", "").strip(),
        chain_id=int_or_none(q.get("chain")),
        status=q.get("status", ""),
        organization_id=int_or_none(q.get("org")),
    )


def _chains(db: Session) -> list[IndustryChain]:
    return list(db.scalars(select(IndustryChain).order_by(IndustryChain.sort_order)))


def need_rows(values: dict[str, Any]) -> list[dict[str, Any]]:
    """The editor's rows from a form just posted (one list per column) or a stored record."""
    if "need_major" in values:
        columns = [values.get(k) or [] for k in ("need_major", "need_year", "need_count")]
        columns = [c if isinstance(c, list) else [c] for c in columns]
        length = max(len(c) for c in columns)
        columns = [c + [""] * (length - len(c)) for c in columns]
        rows = [{"major": m, "year": y, "count": n} for m, y, n in zip(*columns, strict=True)]
    else:
        rows = [
            {
                "major": r.get("major") or r.get("code") or "",
                "year": r.get("year") or "",
                "count": r.get("count") or "",
            }
            for r in values.get("talent_needs") or []
            if isinstance(r, dict)
        ]
    while rows and not any(str(v).strip() for v in rows[-1].values()):
        rows.pop()
    return rows + [{"major": "", "year": "", "count": ""}] * SPARE_ROWS


def bad_need_rows(message: str | None) -> set[int]:
    """Row numbers a needs-table message names (to mark those rows on the form)."""
    return {int(n) for n in re.findall(r"第 (\d+) 行", message or "")}


def _form_context(db: Session, user: User) -> dict[str, Any]:
    return {
        "bad_need_rows": bad_need_rows,
        "chains": _chains(db),
        "labels": LABELS,
        "statuses": PROJECT_STATUS,
        "need_rows": need_rows,
        "enterprises": list(
            db.scalars(
                select(Organization)
                .where(Organization.kind == "enterprise")
                .order_by(Organization.name)
            )
        ),
    }


def _list_context(db: Session, user: User | None, page: Page[Any]) -> dict[str, Any]:
    return {
        "chains": _chains(db),
        "statuses": PROJECT_STATUS,
        "forecasts": service.forecasts(db, list(page.items)),
    }


def _detail_context(db: Session, user: User | None, item: InvestmentProject) -> dict[str, Any]:
    return {
        "statuses": PROJECT_STATUS,
        "forecast": service.project_forecast(db, item),
        "classes": service.linked_classes(db, item.id),
        "linkable": service.linkable_classes(db, item)
        if can(user, "investment_project.link_class", item)
        else [],
        "project_actions": service.allowed_actions(user, item),
        "action_labels": service.ACTION_LABELS,
        "chain": db.get(IndustryChain, item.chain_id) if item.chain_id else None,
    }


def _out(item: InvestmentProject, user: User | None) -> dict[str, Any]:
    db = object_session(item)
    assert db is not None
    result = service.project_forecast(db, item)
    return service.project_dict(db, item, result.at_risk if result.assessable else None)


def _form_values(item: InvestmentProject, user: User | None) -> dict[str, Any]:
    values = _out(item, user)
    values["opening_date"] = item.opening_date.isoformat() if item.opening_date else ""
    return values


VIEWS = RecordViews(
    kind=service.KIND,
    noun="招商引资项目",
    path="/investment-projects",
    id_name="project_id",
    templates="coordination",
    labels=LABELS,
    filters=_filters,
    list=service.list_projects,
    get=service.get_project,
    create=service.create_project,
    create_and_submit=service.create_project,
    update=service.update_project,
    update_and_submit=service.update_project,
    change_status=service.change_status,
    can_edit=service.can_edit,
    out=_out,
    form_context=_form_context,
    list_context=_list_context,
    detail_context=_detail_context,
    form_values=_form_values,
    choice_fields={"status": PROJECT_STATUS},
    list_fields=("need_major", "need_year", "need_count"),
    api_prefix="/api/v1/investment-projects",
    api_tag="investment-projects",
    in_schema=InvestmentProjectIn,
    out_schema=InvestmentProjectOut,
    page_schema=InvestmentProjectPage,
    created_text="招商引资项目已登记，到岗预测见右侧",
    reviewed=False,
    flash_texts={
        "build": "项目已标记为建设中",
        "open": "项目已标记为投产",
        "cancel": "项目已终止",
        "resume": "项目已恢复为已签约",
    },
)


async def _rates(request: Request) -> None:
    # Async, so the context it sets reaches the sync endpoints run in the thread pool.
    service.use_settings(settings_of(request))


# The link routes come before the generic ones, whose /{action} would also match them.
router = APIRouter(dependencies=[Depends(csrf_protect), Depends(_rates)], include_in_schema=False)
api = APIRouter(dependencies=[Depends(_rates)])


@router.post("/investment-projects/{project_id}/classes")
async def link_class_page(
    project_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Link a named class to the project (from the project page or the suggestions)."""
    form = await form_dict(request)
    try:
        klass = service.link_class(db, user, project_id, int_or_none(form.get("class_id")))
    except ValidationFailed as exc:
        db.rollback()
        return redirect(VIEWS.url(project_id), exc.errors.get("class_id", "无法对接"))
    return redirect(VIEWS.url(project_id), f"冠名班“{klass.name}”已对接本项目，到岗预测已更新")


@router.post("/investment-projects/{project_id}/classes/{class_id}/unlink")
def unlink_class_page(
    project_id: int,
    class_id: int,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Take a named class off the project."""
    klass = service.unlink_class(db, user, project_id, class_id)
    return redirect(VIEWS.url(project_id), f"冠名班“{klass.name}”已取消对接，到岗预测已更新")


class LinkIn(BaseModel):
    """The class to link."""

    class_id: int


@api.get(
    "/api/v1/investment-projects/{project_id}/forecast",
    response_model=ForecastOut,
    summary="Talent-arrival forecast",
    tags=["investment-projects"],
)
def api_forecast(
    project_id: int,
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """人才到岗预测：每个所需专业的对接冠名班学生、全市相应专业毕业生与预计到岗人数。"""
    item = service.get_project(db, user, project_id)
    result = service.project_forecast(db, item)
    return service.forecast_dict(item, result)


@api.post(
    "/api/v1/investment-projects/{project_id}/classes",
    response_model=InvestmentProjectOut,
    summary="Link a named class",
    tags=["investment-projects"],
)
def api_link(
    project_id: int,
    body: LinkIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """把冠名班对接到本项目（政府部门）。"""
    service.link_class(db, user, project_id, body.class_id)
    return _out(service.get_project(db, user, project_id), user)


@api.delete(
    "/api/v1/investment-projects/{project_id}/classes/{class_id}",
    response_model=InvestmentProjectOut,
    summary="Unlink a named class",
    tags=["investment-projects"],
)
def api_unlink(
    project_id: int,
    class_id: int,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """取消冠名班与本项目的对接（政府部门）。"""
    service.unlink_class(db, user, project_id, class_id)
    return _out(service.get_project(db, user, project_id), user)


router.include_router(page_routes(VIEWS))
api.include_router(api_routes(VIEWS))
