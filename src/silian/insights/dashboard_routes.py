"""Dashboard pages: the figures at /dashboard and the records behind each number."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.core.web import ID_MAX, api_require_user, csrf_protect, get_db, render, require_user
from silian.insights import dashboard
from silian.insights.schemas import DashboardOut

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
api = APIRouter(prefix="/api/v1/dashboard", tags=["dashboard"])


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


@api.get("", response_model=DashboardOut)
def api_dashboard(
    period: str = Query("year", description="month、quarter、year 或 custom"),
    year: int | None = Query(None, ge=2000, le=2100, description="年份；默认今年"),
    number: int | None = Query(None, ge=1, le=12, description="月份（1–12）或季度（1–4）"),
    start: date | None = Query(None, description="custom 时段的开始日期"),
    end: date | None = Query(None, description="custom 时段的结束日期"),
    chain: int | None = Query(None, ge=1, le=ID_MAX, description="产业链编号；不填为全部"),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """The dashboard's data as JSON: headlines with period-on-period change, monthly trends,
    breakdowns by chain and channel, funnels, top brokers and (for the city) every registered
    figure with its source. Offices see the city; other roles their own unit, as on the page."""
    board = dashboard.dashboard(
        db, user, dashboard.filters(period, year, number, start, end, chain)
    )
    return dashboard.to_dict(board)
