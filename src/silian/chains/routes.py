"""Industry chain pages and REST endpoints: the chain overview and each chain's map."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.chains import service
from silian.chains.schemas import ChainMapOut, ChainPage
from silian.coordination.choices import PROJECT_STATUS
from silian.core.web import api_user, csrf_protect, current_user, get_db, render
from silian.platforms.choices import PLATFORM_KINDS
from silian.talent.choices import TALENT_GRADES, TALENT_PROJECT_STATUS, TALENT_RIGHTS

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
api = APIRouter(prefix="/api/v1/chains", tags=["chains"])


@router.get("/chains")
def list_page(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """Every key industry chain with its codes, disciplines and counts."""
    rows = service.list_chains(db, user)
    totals = {k: sum(r.counts[k] for r in rows) for k in service.COUNT_KEYS}
    return render(request, "chains/list.html", {"rows": rows, "totals": totals})


@router.get("/chains/{chain_id}")
def detail_page(
    chain_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """The chain map: leaders and units, innovation, talent and education around one chain."""
    chain = service.get_chain(db, user, chain_id)
    return render(
        request,
        "chains/detail.html",
        {
            "chain": chain,
            "m": service.chain_map(db, user, chain),
            "platform_kinds": PLATFORM_KINDS,
            "grades": TALENT_GRADES,
            "project_status": PROJECT_STATUS,
            "talent_project_status": TALENT_PROJECT_STATUS,
            "rights": TALENT_RIGHTS,
        },
    )


@api.get("", response_model=ChainPage)
def api_list(
    page: int = Query(1, ge=1),
    per_page: int = Query(50, ge=1, le=100),
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """Chains with counts of published achievements, demands, enterprises, platforms, talents."""
    rows = service.list_chains(db, user)
    start = (page - 1) * per_page
    return {
        "items": [service.to_dict(r.chain, r.counts) for r in rows[start : start + per_page]],
        "total": len(rows),
        "page": page,
        "per_page": per_page,
    }


@api.get("/{chain_id}", response_model=ChainMapOut)
def api_get(
    chain_id: int, db: Session = Depends(get_db), user: User | None = Depends(api_user)
) -> dict[str, Any]:
    """One chain's map: units, newest public records, talents and named classes."""
    chain = service.get_chain(db, user, chain_id)
    m = service.chain_map(db, user, chain)

    def units(items: list[Any]) -> list[dict[str, Any]]:
        return [
            {"id": o.id, "name": o.name, "kind": o.kind, "is_chain_leader": o.is_chain_leader}
            for o in items
        ]

    def refs(items: list[Any], attr: str) -> list[dict[str, Any]]:
        return [{"id": i.id, "title": getattr(i, attr)} for i in items]

    return service.to_dict(chain, m.counts) | {
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
