"""Utilisation and income of platforms by month, and the platform figures the city reports.

Formulas (see docs/platforms.md):

* available unit-days of a service in a period = capacity per day × the days of the period on
  which the service is open (between its ``available_from`` and ``available_to``, each open-ended
  when empty); a platform's is the sum over its services;
* booked unit-days = Σ over the approved and completed bookings of the units they hold per day
  (the quantity; once completed, the actual quantity) × the days of the booking in the period;
* utilisation = booked ÷ available unit-days (None when nothing was available);
* income of a month = Σ fees of the bookings completed in that month.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from silian.platforms.choices import HOLDING_STATUSES
from silian.platforms.models import Platform, PlatformService, ServiceBooking, platform_chains
from silian.platforms.service import daily_load, held_units, overlap_days


@dataclass
class MonthFigure:
    """One month: unit-days available and booked, the utilisation and the income."""

    month: str
    available_unit_days: int
    booked_unit_days: int
    utilisation: float | None
    income: Decimal


@dataclass
class PlatformFigures:
    """The city's platform figures for a period (and chain)."""

    platforms: int
    services: int
    bookings_requested: int
    bookings_approved: int
    bookings_completed: int
    available_unit_days: int
    booked_unit_days: int
    utilisation: float | None
    income: Decimal


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """First and last day of a month."""
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def available_unit_days(services: Iterable[PlatformService], start: date, end: date) -> int:
    """Σ capacity per day × open days of each service within [start, end]."""
    return sum(
        s.capacity_per_day * overlap_days(start, end, s.available_from, s.available_to)
        for s in services
    )


def booked_unit_days(bookings: Iterable[ServiceBooking], start: date, end: date) -> int:
    """Σ units held per day × days within [start, end] of the holding bookings given."""
    return sum(
        held_units(b) * overlap_days(start, end, b.start_date, b.end_date)
        for b in bookings
        if b.status in HOLDING_STATUSES
    )


def utilisation(booked: int, available: int) -> float | None:
    """booked ÷ available, rounded to 4 places; None when nothing was available."""
    return round(booked / available, 4) if available else None


def income(bookings: Iterable[ServiceBooking], start: date, end: date) -> Decimal:
    """Σ fees of the bookings completed within [start, end]."""
    total = sum(
        (
            b.fee or Decimal(0)
            for b in bookings
            if b.status == "completed" and b.completed_on and start <= b.completed_on <= end
        ),
        Decimal(0),
    )
    return Decimal(total).quantize(Decimal("0.01"))


def _bookings(
    session: Session, service_ids: Sequence[int], start: date, end: date
) -> list[ServiceBooking]:
    if not service_ids:
        return []
    return list(
        session.scalars(
            select(ServiceBooking).where(
                ServiceBooking.service_id.in_(service_ids),
                ServiceBooking.status.in_(HOLDING_STATUSES),
                # Overlapping the period, or completed (and so paid) within it.
                (ServiceBooking.start_date <= end) & (ServiceBooking.end_date >= start)
                | ServiceBooking.completed_on.between(start, end),
            )
        ).unique()
    )


def monthly(session: Session, platform: Platform, year: int) -> list[MonthFigure]:
    """The platform's twelve months of a year: available and booked unit-days, utilisation,
    income."""
    services = list(platform.services)
    rows = _bookings(session, [s.id for s in services], date(year, 1, 1), date(year, 12, 31))
    out = []
    for month in range(1, 13):
        start, end = month_bounds(year, month)
        available = available_unit_days(services, start, end)
        booked = booked_unit_days(rows, start, end)
        out.append(
            MonthFigure(
                month=f"{year}-{month:02d}",
                available_unit_days=available,
                booked_unit_days=booked,
                utilisation=utilisation(booked, available),
                income=income(rows, start, end),
            )
        )
    return out


def service_calendar(
    session: Session, service: PlatformService, start: date, end: date
) -> list[tuple[str, int]]:
    """(day, units held) for every day of [start, end]: the calendar heatmap's data."""
    load = daily_load(session, service.id, start, end)
    return [(day.isoformat(), units) for day, units in sorted(load.items())]


def platform_figures(
    session: Session, start: date, end: date, chain_id: int | None = None
) -> PlatformFigures:
    """Platforms, services, bookings by status, unit-days and income in [start, end]; with
    chain_id, only the platforms serving that chain (primary or not). Bookings count by their
    start date."""
    stmt = select(Platform)
    if chain_id is not None:
        serving = select(platform_chains.c.platform_id).where(
            platform_chains.c.chain_id == chain_id
        )
        stmt = stmt.where(or_(Platform.chain_id == chain_id, Platform.id.in_(serving)))
    platforms = list(session.scalars(stmt).unique())
    services = [s for p in platforms for s in p.services]
    ids = [s.id for s in services]
    counts = dict.fromkeys(("requested", "approved", "completed"), 0)
    if ids:
        for status, n in session.execute(
            select(ServiceBooking.status, func.count())
            .where(
                ServiceBooking.service_id.in_(ids), ServiceBooking.start_date.between(start, end)
            )
            .group_by(ServiceBooking.status)
        ):
            if status in counts:
                counts[status] = n
    rows = _bookings(session, ids, start, end)
    available = available_unit_days(services, start, end)
    booked = booked_unit_days(rows, start, end)
    return PlatformFigures(
        platforms=len(platforms),
        services=len(services),
        bookings_requested=counts["requested"],
        bookings_approved=counts["approved"],
        bookings_completed=counts["completed"],
        available_unit_days=available,
        booked_unit_days=booked,
        utilisation=utilisation(booked, available),
        income=income(rows, start, end),
    )
