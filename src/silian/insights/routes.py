"""Aggregate pages and REST endpoints: the chain overview, each chain's map and unit profiles."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.chains import service as chains
from silian.coordination.choices import PROJECT_STATUS
from silian.core.permissions import can
from silian.core.web import api_user, csrf_protect, current_user, get_db, render
from silian.events import service as events
from silian.insights import dashboard_routes, figures, freshness, gaps, office_routes, service
from silian.insights.schemas import ChainMapOut, ChainPage, FiguresOut, OrganizationProfileOut
from silian.meetings import service as meetings
from silian.organizations import service as organizations
from silian.platforms import choices as platform_choices
from silian.platforms.choices import PLATFORM_KINDS
from silian.talent import choices as talent_choices
from silian.talent.choices import TALENT_GRADES, TALENT_PROJECT_STATUS, TALENT_RIGHTS

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
chain_api = APIRouter(prefix="/api/v1/chains", tags=["chains"])
org_api = APIRouter(prefix="/api/v1/organizations", tags=["organizations"])
figures_api = APIRouter(prefix="/api/v1/figures", tags=["figures"])


@router.get("/chains")
def chain_list_page(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """Every key industry chain with its codes, disciplines and counts."""
    overview = service.chain_overview(db, user)
    return render(request, "insights/chain_list.html", {"overview": overview})


@router.get("/chains/{chain_id}")
def chain_map_page(
    chain_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """The chain map: leaders and units, innovation, talent and education around one chain."""
    chain = chains.get_chain(db, user, chain_id)
    m = service.chain_map(db, user, chain)
    found = gaps.chain_gaps(db, user, chain) if can(user, "gap.view") else None
    return render(
        request,
        "insights/chain_map.html",
        {
            "chain": chain,
            "m": m,
            "gaps": found,
            "graph": gaps.chain_graph(m, found),
            "upcoming": meetings.upcoming_meetings(db, user),
            "events": events.list_events(db, user, 1, 5, chain_id=chain.id).items,
            "platform_kinds": PLATFORM_KINDS,
            "grades": TALENT_GRADES,
            "project_status": PROJECT_STATUS,
            "talent_project_status": TALENT_PROJECT_STATUS,
            "rights": TALENT_RIGHTS,
        },
    )


@router.get("/chains/{chain_id}/figures")
def chain_figures_page(
    chain_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """The chain's registered figures of this year with their sources (the chain map loads it
    into its page after the map itself, so the map stays fast)."""
    chain = chains.get_chain(db, user, chain_id)
    year = figures.period("year", figures.city_today().year)
    # The year's figures read the daily summary: recompute what changes marked in it first.
    freshness.process(db, year.start, year.end)
    context = {
        "chain": chain,
        "year": year,
        "figure_rows": [(v, None) for v in figures.report(db, year, chain.id)],
    }
    if request.headers.get("HX-Request"):
        return render(request, "insights/_chain_figures.html", context)
    return render(request, "insights/chain_figures.html", context)


@router.get("/organizations/{org_id}")
def organization_page(
    org_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """Unit profile with its published listings, talents, platforms and education links."""
    org = organizations.get_organization(db, user, org_id)
    return render(
        request,
        "insights/organization.html",
        {
            "org": org,
            "view": organizations.to_public_dict(user, org),
            "events": events.list_events(db, user, 1, 5, organization_id=org.id).items,
            "profile": service.profile(db, user, org),
            "is_member": organizations.is_member(user, org),
            "tchoices": talent_choices,
            "pchoices": platform_choices,
        },
    )


@chain_api.get("", response_model=ChainPage)
def api_chain_list(
    page: int = Query(1, ge=1),
    per_page: int = Query(50, ge=1, le=100),
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """Chains with counts of published achievements, demands, enterprises, platforms, talents."""
    rows = service.list_chains(db, user)
    start = (page - 1) * per_page
    return {
        "items": [service.chain_to_dict(r.chain, r.counts) for r in rows[start : start + per_page]],
        "total": len(rows),
        "page": page,
        "per_page": per_page,
    }


@chain_api.get("/{chain_id}", response_model=ChainMapOut)
def api_chain_map(
    chain_id: int, db: Session = Depends(get_db), user: User | None = Depends(api_user)
) -> dict[str, Any]:
    """One chain's map: units, newest public records, talents and named classes."""
    chain = chains.get_chain(db, user, chain_id)
    m = service.chain_map(db, user, chain)

    def units(items: list[Any]) -> list[dict[str, Any]]:
        return [
            {"id": o.id, "name": o.name, "kind": o.kind, "is_chain_leader": o.is_chain_leader}
            for o in items
        ]

    def refs(items: list[Any], attr: str) -> list[dict[str, Any]]:
        return [{"id": i.id, "title": getattr(i, attr)} for i in items]

    return service.chain_to_dict(chain, m.counts) | {
        "leaders": units(m.leaders),
        "enterprises": units(m.enterprises),
        "research_units": units(m.research_units),
        "achievements": refs(m.achievements, "title"),
        "demands": refs(m.demands, "title"),
        "platforms": refs(m.platforms, "name"),
        "talents": refs(m.talents, "name"),
        "talent_needs": refs(m.talent_needs, "position"),
        "named_classes": refs(m.named_classes, "name"),
    }


@org_api.get("/{org_id}", response_model=OrganizationProfileOut)
def api_organization(
    org_id: int, db: Session = Depends(get_db), user: User | None = Depends(api_user)
) -> dict[str, Any]:
    """One unit with counts and short lists of what the caller may see."""
    org = organizations.get_organization(db, user, org_id)
    prof = service.profile(db, user, org)

    def refs(
        items: list[Any], title: str = "title", status: str = "status"
    ) -> list[dict[str, Any]]:
        return [
            {"id": i.id, "title": getattr(i, title), "status": getattr(i, status, "") or ""}
            for i in items
        ]

    return organizations.to_public_dict(user, org) | {
        "counts": prof.counts,
        "achievements": refs(prof.achievements),
        "demands": refs(prof.demands),
        "talents": refs(prof.talents, "name", "grade"),
        "platforms": refs(prof.platforms, "name"),
        "talent_needs": refs(prof.talent_needs, "position"),
    }


@figures_api.get("", response_model=FiguresOut)
def api_figures(
    period: str = Query("year", description="month、quarter、year 或 custom"),
    year: int | None = Query(None, ge=2000, le=2100, description="年份；默认今年"),
    number: int = Query(1, ge=1, le=12, description="月份（1–12）或季度（1–4）"),
    start: date | None = Query(None, description="custom 时段的开始日期"),
    end: date | None = Query(None, description="custom 时段的结束日期"),
    chain: int | None = Query(None, description="产业链编号；不填为全市"),
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """The city's figures for a period, for one chain or the whole city (from the daily summary)."""
    return figures.period_figures(db, user, period, year, number, start, end, chain)


# One `api` router per feature module, as web/app.py expects.
api = APIRouter()
api.include_router(chain_api)
api.include_router(org_api)
api.include_router(figures_api)
# Gaps, gap → agenda and the quarterly briefing (the offices' desk).
router.include_router(office_routes.router)
api.include_router(office_routes.api)

# The dashboard's pages live in their own module (insights/dashboard_routes.py).
router.include_router(dashboard_routes.router)
api.include_router(dashboard_routes.api)
