"""The assignment rule: capacity, specialty and chain, least-loaded first; office reassignment."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from silian.brokerage import service
from silian.brokerage.models import Deal
from silian.core.errors import Conflict
from tests.brokerage.helpers import broker, chain, match, pair
from tests.support import Factory


def _pairs(demand_id: int, achievement_ids: list[int]) -> list[service.SuggestedPair]:
    return [
        service.SuggestedPair("demand", demand_id, "achievement", a, 0.9 - i / 10, {"why": i})
        for i, a in enumerate(achievement_ids)
    ]


def test_specialty_and_chain_first_then_least_loaded(db: Session, factory: Factory) -> None:
    marine = chain(db)
    _, generalist = broker(db, factory, "通才", cap=10)
    _, specialist_busy = broker(db, factory, "海洋甲", [marine.name], cap=3)
    _, specialist_free = broker(db, factory, "海洋乙", [marine.name], cap=3)
    buyer, seller = factory.org("enterprise"), factory.org("university")
    demand, achievement = pair(db, buyer, seller, chain_id=marine.id)
    # 海洋甲 already carries one active deal, so 海洋乙 (least loaded) gets the first match.
    db.add(Deal(title="在办", broker_id=specialist_busy.id, stage="contacted"))
    db.commit()
    extra = [pair(db, buyer, seller, marine.id, n)[1] for n in range(2, 5)]
    made = service.create_matches(
        db,
        _pairs(demand.id, [achievement.id] + [a.id for a in extra]),
        service.AssignmentRule(top=3),
    )
    assert len(made) == 3
    # loads go 乙0 甲1 → 乙; 乙1 甲1 → 甲 (lower id); 乙1 甲2 → 乙.
    assert [m.broker_id for m in made] == [
        specialist_free.id,
        specialist_busy.id,
        specialist_free.id,
    ]
    assert all("专业对口" in m.assignment_note for m in made)
    assert generalist.id not in {m.broker_id for m in made}
    assert made[0].reasons == {"why": 0}


def test_capacity_is_never_exceeded(db: Session, factory: Factory) -> None:
    marine = chain(db)
    _, small = broker(db, factory, "小负荷", [marine.name], cap=1)
    _, other = broker(db, factory, "他链", ["集成电路产业链"], cap=2)
    buyer, seller = factory.org("enterprise"), factory.org("university")
    demand, _ = pair(db, buyer, seller, chain_id=marine.id)
    achievements = [pair(db, buyer, seller, marine.id, n)[1].id for n in range(2, 7)]
    made = service.create_matches(
        db, _pairs(demand.id, achievements), service.AssignmentRule(top=5)
    )
    brokers = [m.broker_id for m in made]
    # The specialist takes one (its cap), then the non-specialist up to its cap, then nobody.
    assert brokers == [small.id, other.id, other.id, None, None]
    assert "满负荷" in made[-1].assignment_note
    loads = service.broker_loads(db)
    assert loads[small.id] <= small.max_active_deals and loads[other.id] <= other.max_active_deals


def test_required_specialty_leaves_the_match_for_the_office(db: Session, factory: Factory) -> None:
    marine = chain(db)
    broker(db, factory, "他链", ["集成电路产业链"], cap=5)
    demand, achievement = pair(
        db, factory.org("enterprise"), factory.org("university"), chain_id=marine.id
    )
    (made,) = service.create_matches(
        db, _pairs(demand.id, [achievement.id]), service.AssignmentRule(require_specialty=True)
    )
    assert made.broker_id is None and "政府部门分派" in made.assignment_note


def test_office_reassigns_within_capacity(db: Session, factory: Factory) -> None:
    office = factory.user("office")
    _, first = broker(db, factory, "甲", cap=5)
    _, full = broker(db, factory, "满", cap=1)
    buyer, seller = factory.org("enterprise"), factory.org("university")
    demand, achievement = pair(db, buyer, seller)
    m = match(db, demand, achievement, first.id)
    other_demand, other_achievement = pair(db, buyer, seller, n=2)
    match(db, other_demand, other_achievement, full.id)
    with pytest.raises(Conflict, match="满负荷"):
        service.reassign_match(db, office, m.id, {"broker_id": full.id})
    db.rollback()
    _, spare = broker(db, factory, "空", cap=2)
    moved = service.reassign_match(db, office, m.id, {"broker_id": spare.id, "note": "专业更对口"})
    assert moved.broker_id == spare.id and "改派" in moved.assignment_note


def test_existing_pairs_and_low_scores_are_skipped(db: Session, factory: Factory) -> None:
    _, b = broker(db, factory, "甲", cap=5)
    demand, achievement = pair(db, factory.org("enterprise"), factory.org("university"))
    match(db, demand, achievement, b.id)
    assert (
        service.create_matches(db, _pairs(demand.id, [achievement.id]), service.AssignmentRule())
        == []
    )
    low = [service.SuggestedPair("demand", demand.id, "achievement", 999, 0.1, {})]
    assert service.create_matches(db, low, service.AssignmentRule(min_score=0.5)) == []
