"""Capacity and utilisation formulas on hand-computed examples."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from silian.platforms import figures
from silian.platforms.service import first_full_day, load_by_day, overlap_days
from tests.support import Factory


def test_overlap_days() -> None:
    """Days of a range inside an open or closed window, both ends included."""
    assert overlap_days(date(2026, 3, 1), date(2026, 3, 31), date(2026, 3, 10), None) == 22
    assert overlap_days(date(2026, 3, 1), date(2026, 3, 31), None, date(2026, 3, 15)) == 15
    assert (
        overlap_days(date(2026, 3, 30), date(2026, 4, 2), date(2026, 3, 1), date(2026, 3, 31)) == 2
    )
    assert overlap_days(date(2026, 5, 1), date(2026, 5, 2), date(2026, 6, 1), None) == 0


def test_first_full_day_names_the_first_day_over_capacity() -> None:
    """Capacity 3, load 1, 3, 2: one more unit fits on none of day 2; two more overflow day 1."""
    load = {date(2026, 3, 1): 1, date(2026, 3, 2): 3, date(2026, 3, 3): 2}
    assert first_full_day(load, 3, 1) == (date(2026, 3, 2), 0)
    assert first_full_day(load, 3, 3) == (date(2026, 3, 1), 2)
    assert first_full_day({date(2026, 3, 1): 0}, 3, 3) is None


def test_month_utilisation_and_income(db: Session, factory: Factory) -> None:
    """March 2026, worked by hand:

    available: A (2/day, open from 10 March) 22 days × 2 = 44; B (1/day, 1–15 March) 15 × 1 = 15;
    total 59 unit-days.
    booked: A approved 2/day on 30 Mar–2 Apr → 2 days × 2 = 4 in March (and 4 in April);
    A completed 12–14 March, booked 2 but actually used 1 → 3 × 1 = 3; B approved 1–3 March → 3;
    B requested and B cancelled hold nothing. Total 10 → utilisation 10 / 59 = 0.1695.
    income: the completed booking's fee 2,400 元 (completed 14 March).
    April: available 30 × 2 = 60 (B closed), booked 4 → 0.0667, no income.
    """
    plat = factory.platform()
    a = factory.platform_service(plat, capacity_per_day=2, available_from=date(2026, 3, 10))
    b = factory.platform_service(
        plat,
        capacity_per_day=1,
        available_from=date(2026, 3, 1),
        available_to=date(2026, 3, 15),
    )
    org = factory.org()

    def book(svc: object, start: date, end: date, **kw: object) -> None:
        factory.booking(svc, org, start_date=start, end_date=end, **kw)  # type: ignore[arg-type]

    book(a, date(2026, 3, 30), date(2026, 4, 2), quantity=2, status="approved")
    book(
        a,
        date(2026, 3, 12),
        date(2026, 3, 14),
        quantity=2,
        status="completed",
        actual_quantity=1,
        fee=Decimal(2400),
        completed_on=date(2026, 3, 14),
    )
    book(b, date(2026, 3, 1), date(2026, 3, 3), quantity=1, status="approved")
    book(b, date(2026, 3, 5), date(2026, 3, 5), quantity=1, status="requested")
    book(b, date(2026, 3, 6), date(2026, 3, 6), quantity=1, status="cancelled")
    db.refresh(plat)
    months = {m.month: m for m in figures.monthly(db, plat, 2026)}
    march, april = months["2026-03"], months["2026-04"]
    assert (march.available_unit_days, march.booked_unit_days) == (59, 10)
    assert march.utilisation == 0.1695
    assert march.income == Decimal("2400.00")
    assert (april.available_unit_days, april.booked_unit_days) == (60, 4)
    assert april.utilisation == 0.0667
    assert april.income == Decimal("0.00")
    assert months["2026-02"].utilisation is None  # nothing open in February
    city = figures.platform_figures(db, date(2026, 3, 1), date(2026, 3, 31))
    assert (city.available_unit_days, city.booked_unit_days, city.utilisation) == (59, 10, 0.1695)
    assert (city.bookings_requested, city.bookings_approved, city.bookings_completed) == (1, 2, 1)


def test_load_by_day_counts_actual_units_of_completed_bookings(
    db: Session, factory: Factory
) -> None:
    """A completed booking holds its actual quantity; days outside the window are ignored."""
    svc = factory.platform_service(capacity_per_day=5, available_from=date(2026, 1, 1))
    org = factory.org()
    done = factory.booking(
        svc,
        org,
        start_date=date(2026, 1, 2),
        end_date=date(2026, 1, 4),
        quantity=4,
        status="completed",
        actual_quantity=3,
    )
    load = load_by_day([done], date(2026, 1, 1), date(2026, 1, 3))
    assert load == {date(2026, 1, 1): 0, date(2026, 1, 2): 3, date(2026, 1, 3): 3}
