"""The figures refresh job: rewrite each day's summary rows from the records, one day at a time.

Idempotent: a day's rows are deleted and recomputed, so rerunning a day gives the same rows.
Crash-safe: each day is one transaction (delete + insert), so an interruption leaves every day
either as it was or fully rewritten, never half-written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from silian.achievements.models import Achievement
from silian.brokerage.models import Broker, Contract, Deal
from silian.demands.models import Demand
from silian.insights import figures
from silian.insights.models import FigureDay, FigureDirtyDay
from silian.organizations.models import Organization


@dataclass
class RefreshReport:
    """What a refresh rewrote."""

    start: date
    end: date
    days: int = 0
    rows: int = 0


def first_day(session: Session) -> date:
    """Where a refresh without --from starts: the last refreshed day, else the first record's."""
    last = session.scalar(select(func.max(FigureDay.day)))
    if last is not None:
        return last
    starts = [
        session.scalar(select(func.min(column)))
        for column in (
            Organization.created_at,
            Achievement.created_at,
            Demand.created_at,
            Deal.created_at,
            Broker.created_at,
        )
    ]
    earliest = [figures.city_day(s) for s in starts if s is not None]
    signed = session.scalar(select(func.min(Contract.signed_on)))
    if signed is not None:
        earliest.append(signed)
    return min(earliest) if earliest else figures.city_today()


def refresh_day(session: Session, day: date) -> int:
    """Rewrite one day's rows in the caller's transaction; the number of rows written."""
    # Markers first: a change committed while the day is computed leaves a new one.
    session.execute(delete(FigureDirtyDay).where(FigureDirtyDay.day == day))
    session.execute(delete(FigureDay).where(FigureDay.day == day))
    values = figures.compute_day(session, day)
    session.add_all(
        FigureDay(day=day, chain_id=chain_id, figure=figure, breakdown=breakdown, value=value)
        for (chain_id, figure, breakdown), value in sorted(values.items())
    )
    session.flush()
    return len(values)


def refresh_range(session: Session, first: date, last: date) -> int:
    """Rewrite the rows of every day from first to last in the caller's transaction, computed
    in one pass (`figures.compute_days`); the number of rows written."""
    span = (FigureDirtyDay.day >= first, FigureDirtyDay.day <= last)
    session.execute(delete(FigureDirtyDay).where(*span))
    session.execute(delete(FigureDay).where(FigureDay.day >= first, FigureDay.day <= last))
    rows = [
        {"day": day, "chain_id": chain_id, "figure": figure, "breakdown": breakdown, "value": v}
        for day, values in sorted(figures.compute_days(session, first, last).items())
        for (chain_id, figure, breakdown), v in sorted(values.items())
    ]
    if rows:
        session.execute(insert(FigureDay), rows)
    return len(rows)


def refresh(
    factory: sessionmaker[Session],
    start: date | None = None,
    end: date | None = None,
    on_day: Callable[[date, int], None] | None = None,
) -> RefreshReport:
    """Refresh every day from start (default `first_day`) to end (default today), oldest first.

    Each day commits on its own; on_day(day, rows) is called after each commit (progress).
    """
    with factory() as session:
        start = start or first_day(session)
    end = end or figures.city_today()
    report = RefreshReport(start=start, end=end)
    day = start
    while day <= end:
        with factory() as session, session.begin():
            rows = refresh_day(session, day)
        report.days += 1
        report.rows += rows
        if on_day is not None:
            on_day(day, rows)
        day += timedelta(days=1)
    return report
