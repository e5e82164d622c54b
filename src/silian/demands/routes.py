"""Demand pages and REST endpoints: parse the request, call one service, render."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.chains.models import IndustryChain
from silian.core.pagination import Page
from silian.core.views import RecordViews, api_routes, page_routes
from silian.core.web import int_or_none
from silian.demands import choices, service
from silian.demands.models import Demand
from silian.demands.schemas import LABELS, DemandIn, DemandOut, DemandPage
from silian.organizations.models import Organization


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


def _list_context(db: Session, user: User | None, page: Page[Any]) -> dict[str, Any]:
    chains = list(db.scalars(select(IndustryChain).order_by(IndustryChain.sort_order)))
    views = [service.to_public_dict(user, d) | {"obj": d} for d in page.items]
    return {"views": views, "chains": chains, "choices": choices}


def _detail_context(db: Session, user: User | None, item: Demand) -> dict[str, Any]:
    return {"view": service.to_public_dict(user, item), "choices": choices}


def _out(item: Demand, user: User | None) -> dict[str, Any]:
    # Confidential details are masked for callers who may not read them.
    return service.to_public_dict(user, item)


VIEWS = RecordViews(
    kind=service.KIND,
    noun="需求",
    path="/demands",
    id_name="demand_id",
    templates="demands",
    labels=LABELS,
    filters=_filters,
    list=service.list_demands,
    get=service.get_demand,
    create=service.create_demand,
    create_and_submit=service.create_and_submit_demand,
    update=service.update_demand,
    update_and_submit=service.update_and_submit_demand,
    change_status=service.change_status,
    can_edit=service.can_edit,
    out=_out,
    form_context=_form_context,
    list_context=_list_context,
    detail_context=_detail_context,
    api_prefix="/api/v1/demands",
    api_tag="demands",
    in_schema=DemandIn,
    out_schema=DemandOut,
    page_schema=DemandPage,
)
router = page_routes(VIEWS)
api = api_routes(VIEWS)
