"""Organisation pages and REST endpoints: the unit directory (profiles are in `insights`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.chains.models import IndustryChain
from silian.core.web import api_user, csrf_protect, current_user, get_db, int_or_none, render
from silian.organizations import service
from silian.organizations.choices import ORG_KINDS
from silian.organizations.schemas import OrganizationPage

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
api = APIRouter(prefix="/api/v1/organizations", tags=["organizations"])


def _filters(request: Request) -> service.OrgFilters:
    q = request.query_params
    return service.OrgFilters(
        q=q.get("q", "").strip(),
        kind=q.get("kind", "") if q.get("kind", "") in ORG_KINDS else "",
        chain_id=int_or_none(q.get("chain")),
        leaders_only=q.get("leaders") == "1",
    )


@router.get("/organizations")
def list_page(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """Unit directory: universities, institutes, enterprises, platforms and offices."""
    filters = _filters(request)
    page = service.list_organizations(
        db, user, filters, int_or_none(request.query_params.get("page")) or 1, 30
    )
    chains = list(db.scalars(select(IndustryChain).order_by(IndustryChain.sort_order)))
    return render(
        request,
        "organizations/list.html",
        {"page": page, "filters": filters, "chains": chains, "kinds": ORG_KINDS},
    )


@api.get("", response_model=OrganizationPage)
def api_list(
    request: Request,
    page: int = Query(1, ge=1),
    per_page: int = Query(20, ge=1, le=100),
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """Units visible to the caller; filters q, kind, chain, leaders=1."""
    result = service.list_organizations(db, user, _filters(request), page, per_page)
    return {
        "items": [service.to_public_dict(user, o) for o in result.items],
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
    }
