"""Education models' own rules: a major offering's expected graduates by year."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.support import Factory


def test_graduates_follow_intake_years(factory: Factory) -> None:
    offering = factory.offering(
        yearly_intake=120, duration_years=3, first_year=2024, last_year=2026
    )
    # Admitted 2024..2026, three years of study: graduates in 2027..2029 only.
    assert [offering.graduates(y) for y in range(2026, 2031)] == [0, 120, 120, 120, 0]


def test_one_offering_per_university_and_major(factory: Factory, db: Session) -> None:
    offering = factory.offering()
    with pytest.raises(IntegrityError):
        factory.offering(university=offering.university, major=offering.major)
    db.rollback()
