"""Dashboard pages: the figures at /dashboard and the records behind each number."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.core.web import ID_MAX, csrf_protect, get_db, render, require_user
from silian.insights import dashboard

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


@router.get("/dashboard")
def dashboard_page(
    request: Request,
    period: str = Query("year"),
    year: int | None = Query(None, ge=2000, le=2100),
    number: int | None = Query(None, ge=1, le=12),
    start: date | None = Query(None),
    end: date | None = Query(None),
    chain: int | None = Query(None, ge=1, le=ID_MAX),
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Headline figures, trends, breakdowns, funnels and top brokers for a period and chain."""
    board = dashboard.dashboard(
        db, user, dashboard.filters(period, year, number, start, end, chain)
    )
    return render(request, "insights/dashboard.html", {"d": board})


@router.get("/dashboard/records")
def records_page(
    request: Request,
    figure: str = Query(...),
    start: date = Query(...),
    end: date = Query(...),
    chain: int | None = Query(None, ge=1, le=ID_MAX),
    breakdown: str | None = Query(None, max_length=30),
    broker: int | None = Query(None, ge=1, le=ID_MAX),
    page: int = Query(1, ge=1, le=100_000),
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """The records behind one number of the dashboard (the list its link opens)."""
    found = dashboard.records(db, user, figure, start, end, chain, breakdown, broker, page)
    return render(request, "insights/dashboard_records.html", {"r": found})
