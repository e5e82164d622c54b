"""Investment-project figures: projects recorded in a period, projects opening in it at risk."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from silian.chains.models import IndustryChain
from silian.coordination import figures
from silian.core import clock
from tests.support import Factory


def test_recorded_and_at_risk(db: Session, factory: Factory) -> None:
    """Two projects recorded today; of those opening next year only the one without a class
    is at risk; a chain filter and a cancelled project are respected."""
    chain = IndustryChain(code="smart", name="智能家电产业链", sort_order=1)
    db.add(chain)
    db.commit()
    opening = date(clock.today().year + 1, 6, 1)
    needs = [{"major": "智能控制技术", "code": "", "year": opening.year, "count": 7}]
    risky = factory.investment_project(opening_date=opening, talent_needs=needs, chain_id=chain.id)
    fine = factory.investment_project(opening_date=opening, talent_needs=needs)
    factory.investment_project(opening_date=opening, talent_needs=needs, status="cancelled")
    # 10 students × 0.7 retention = 7 ≥ 7.
    factory.named_class(students=10, graduation_year=opening.year, investment_project_id=fine.id)
    today = datetime.now(figures.CITY_TZ).date()  # the city's day, not the machine's
    assert figures.projects_recorded(db, today, today, None) == 3
    assert figures.projects_recorded(db, today, today, chain.id) == 1
    assert (
        figures.projects_recorded(db, today - timedelta(days=9), today - timedelta(days=1), None)
        == 0
    )
    year = (date(opening.year, 1, 1), date(opening.year, 12, 31))
    assert figures.projects_at_risk(db, *year, None) == 1
    assert figures.projects_at_risk(db, *year, chain.id) == 1
    assert figures.projects_at_risk(db, today, today, None) == 0
    assert risky.id != fine.id
