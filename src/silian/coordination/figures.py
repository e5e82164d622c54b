"""Investment-project figures for the city figures service: projects recorded, projects at risk.

Each function takes (session, start, end, chain_id): start and end are the first and last day
of the period in city time (China Standard Time), both included; chain_id limits the count to
one chain (None: the whole city, projects on no chain included).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silian.config import get_settings
from silian.coordination import forecast as fc
from silian.coordination.models import InvestmentProject
from silian.core.clock import CITY_TZ


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """UTC instants of the period's first moment and of the moment after its last day."""
    first = datetime.combine(start, time.min, CITY_TZ).astimezone(UTC)
    after = datetime.combine(end + timedelta(days=1), time.min, CITY_TZ).astimezone(UTC)
    return first, after


def projects_recorded(session: Session, start: date, end: date, chain_id: int | None) -> int:
    """Investment projects recorded on the platform in the period (by record time)."""
    first, after = _bounds(start, end)
    stmt = select(func.count(InvestmentProject.id)).where(
        InvestmentProject.created_at >= first, InvestmentProject.created_at < after
    )
    if chain_id is not None:
        stmt = stmt.where(InvestmentProject.chain_id == chain_id)
    return int(session.scalar(stmt) or 0)


def projects_at_risk(
    session: Session,
    start: date,
    end: date,
    chain_id: int | None,
    *,
    today: date | None = None,
) -> int:
    """Projects opening in the period (not cancelled) whose talent-arrival forecast is not met,
    under the configured retention rate and hire share (coordination/forecast.py)."""
    stmt = select(InvestmentProject).where(
        InvestmentProject.opening_date >= start,
        InvestmentProject.opening_date <= end,
        InvestmentProject.status != "cancelled",
    )
    if chain_id is not None:
        stmt = stmt.where(InvestmentProject.chain_id == chain_id)
    projects = list(session.scalars(stmt))
    settings = get_settings()
    results = fc.risk_by_project(
        session,
        projects,
        retention_rate=settings.talent_retention_rate,
        hire_share=settings.project_hire_share,
        today=today,
    )
    return sum(1 for r in results.values() if r.at_risk)
