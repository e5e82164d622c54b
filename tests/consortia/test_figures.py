"""The figures the city reports, computed from consortium and institute records, on
hand-computed examples."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from silian.brokerage.models import Contract, Deal
from silian.chains.models import IndustryChain
from silian.consortia import figures
from silian.consortia.models import (
    InstituteAchievement,
    InstituteTalent,
    ProjectAchievement,
)
from tests.support import Factory

Q1 = (date(2026, 1, 1), date(2026, 3, 31))


def test_consortium_figures(db: Session, factory: Factory) -> None:
    """Consortia are counted by founding date; projects by start date; outputs by the date the
    project produced them, each achievement once."""
    a, b = IndustryChain(code="fa", name="甲链"), IndustryChain(code="fb", name="乙链")
    db.add_all([a, b])
    db.commit()
    c1 = factory.consortium(chain_id=a.id, founded_on=date(2025, 6, 1))
    c2 = factory.consortium(chain_id=b.id, founded_on=date(2026, 2, 1))
    factory.consortium(chain_id=a.id, founded_on=date(2026, 4, 2))  # after the period
    p1 = factory.common_tech_project(c1, status="running", started_on=date(2026, 1, 5))
    p2 = factory.common_tech_project(c2, status="running", started_on=date(2026, 3, 31))
    factory.common_tech_project(c1, status="running", started_on=date(2025, 12, 31))
    factory.common_tech_project(c1)  # planned, never started
    org = factory.org("university")
    shared, only_b, late = (factory.achievement(org) for _ in range(3))
    db.add_all(
        [
            ProjectAchievement(project_id=p1.id, achievement_id=shared.id,
                               produced_on=date(2026, 2, 1)),
            ProjectAchievement(project_id=p2.id, achievement_id=shared.id,
                               produced_on=date(2026, 3, 1)),
            ProjectAchievement(project_id=p2.id, achievement_id=only_b.id,
                               produced_on=date(2026, 3, 31)),
            ProjectAchievement(project_id=p1.id, achievement_id=late.id,
                               produced_on=date(2026, 4, 1)),
        ]
    )  # fmt: skip
    db.commit()
    assert figures.consortia(db, *Q1, None) == 2
    assert figures.consortia(db, *Q1, a.id) == 1
    assert figures.projects_started(db, *Q1, None) == 2
    assert figures.projects_started(db, *Q1, b.id) == 1
    assert figures.achievements_produced(db, *Q1, None) == 2  # shared counts once
    assert figures.achievements_produced(db, *Q1, a.id) == 1
    assert figures.achievements_produced(db, *Q1, b.id) == 2


def test_institute_figures(db: Session, factory: Factory) -> None:
    """Institutes and their talents are stocks at the period's end (a talent at two institutes
    once); an achievement is major from a platform contract ≥ 10,000,000 yuan signed by then or
    an amount entered with evidence."""
    a = IndustryChain(code="fi", name="丙链")
    db.add(a)
    db.commit()
    i1 = factory.rd_institute(chain_id=a.id, founded_on=date(2024, 5, 1))
    i2 = factory.rd_institute(founded_on=date(2026, 3, 1))
    factory.rd_institute(founded_on=date(2026, 5, 1))
    t1, t2, t3 = (factory.talent() for _ in range(3))
    db.add_all(
        [
            InstituteTalent(institute_id=i1.id, talent_id=t1.id, joined_on=date(2025, 1, 1)),
            InstituteTalent(institute_id=i2.id, talent_id=t1.id, joined_on=date(2026, 3, 2)),
            InstituteTalent(institute_id=i2.id, talent_id=t2.id, joined_on=date(2026, 3, 3)),
            InstituteTalent(institute_id=i2.id, talent_id=t3.id, joined_on=date(2026, 4, 3)),
        ]
    )
    org = factory.org("institute")
    big, exact, small, later = (factory.achievement(org) for _ in range(4))
    for achievement, amount, signed in (
        (big, 15_000_000, date(2026, 2, 1)),
        (small, 9_999_999, date(2026, 2, 1)),
        (later, 20_000_000, date(2026, 6, 1)),
    ):
        deal = Deal(title="转让", achievement_id=achievement.id, stage="signed")
        db.add(deal)
        db.flush()
        db.add(Contract(deal_id=deal.id, title="合同", amount=Decimal(amount), signed_on=signed))
    db.add_all(
        [
            InstituteAchievement(institute_id=i1.id, achievement_id=big.id,
                                 linked_on=date(2026, 2, 2)),
            InstituteAchievement(institute_id=i2.id, achievement_id=exact.id,
                                 linked_on=date(2026, 3, 5), evidence_amount=Decimal(10_000_000),
                                 evidence="合同"),
            InstituteAchievement(institute_id=i1.id, achievement_id=small.id,
                                 linked_on=date(2026, 2, 2)),
            InstituteAchievement(institute_id=i1.id, achievement_id=later.id,
                                 linked_on=date(2026, 2, 2)),
        ]
    )  # fmt: skip
    db.commit()
    assert figures.institutes(db, *Q1, None) == 2
    assert figures.institutes(db, *Q1, a.id) == 1
    assert figures.talents_gathered(db, *Q1, None) == 2
    assert figures.talents_gathered(db, *Q1, a.id) == 1
    assert figures.major_achievements(db, *Q1, None) == 2
    assert figures.major_achievements(db, *Q1, a.id) == 1
    assert figures.major_achievements(db, date(2026, 1, 1), date(2026, 6, 30), None) == 3
