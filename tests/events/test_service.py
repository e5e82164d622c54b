"""Event services: the ranking rule and spread on hand-computed examples, weighted totals,
refusals, and capacity under concurrent registrations on PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.core.db import session_factory
from silian.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from silian.events import service
from silian.events.models import EventRegistration
from tests.support import Factory

CRITERIA = [{"name": "技术先进性", "weight": 60}, {"name": "转化前景", "weight": 40}]


def test_weighted_total_on_a_hand_computed_example() -> None:
    # 80 × 0.6 + 90 × 0.4 = 48 + 36 = 84
    total, values = service.weighted_total(CRITERIA, {"技术先进性": 80, "转化前景": 90})
    assert total == 84.0 and values == {"技术先进性": 80.0, "转化前景": 90.0}
    # 77.5 × 0.6 + 61 × 0.4 = 46.5 + 24.4 = 70.9
    assert service.weighted_total(CRITERIA, {"技术先进性": 77.5, "转化前景": 61})[0] == 70.9


@pytest.mark.parametrize(
    ("scores", "field", "text"),
    [
        ({"技术先进性": 101, "转化前景": 90}, "scores.技术先进性", "0到100之间，现为101"),
        ({"技术先进性": 80, "转化前景": -1}, "scores.转化前景", "0到100之间，现为-1"),
        ({"技术先进性": 80}, "scores.转化前景", "请为“转化前景”打分"),
        ({"技术先进性": 80, "转化前景": 9, "颜值": 5}, "scores", "颜值"),
    ],
)
def test_score_outside_the_scale_or_criteria_is_refused(
    scores: dict[str, float], field: str, text: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        service.weighted_total(CRITERIA, scores)
    assert text in caught.value.errors[field]


def test_ranking_by_mean_with_spread() -> None:
    rows = service.rank([(1, [80.0, 90.0]), (2, [95.0, 91.0, 90.0]), (3, [70.0])])
    # means: 1 → 85.00, 2 → 92.00, 3 → 70.00; spread: 10, 5, 0
    assert [(r.entry_id, r.rank, r.mean, r.spread) for r in rows] == [
        (2, 1, 92.0, 5.0),
        (1, 2, 85.0, 10.0),
        (3, 3, 70.0, 0.0),
    ]


def test_equal_means_are_broken_by_the_higher_lowest_score_then_the_earlier_entry() -> None:
    rows = service.rank(
        [
            (7, [90.0, 70.0]),  # mean 80, lowest 70, spread 20
            (5, [82.0, 78.0]),  # mean 80, lowest 78 → ahead of entry 7
            (4, [80.0, 80.0]),  # mean 80, lowest 80 → first
            (9, [80.0, 80.0]),  # identical to entry 4 but entered later → after it
            (3, []),  # no score: last, without a rank
            (6, [79.99]),
        ]
    )
    assert [(r.entry_id, r.rank) for r in rows] == [
        (4, 1),
        (9, 2),
        (5, 3),
        (7, 4),
        (6, 5),
        (3, None),
    ]
    assert [r.spread for r in rows] == [0.0, 0.0, 4.0, 20.0, 0.0, None]


def test_means_are_compared_at_two_decimals() -> None:
    # 81.333… and 81.33 are the same mean (81.33); the lowest score decides: 80 > 79.
    rows = service.rank([(1, [82.0, 82.0, 80.0]), (2, [83.0, 81.99, 79.0])])
    assert [r.mean for r in rows] == [81.33, 81.33]
    assert [r.entry_id for r in rows] == [1, 2]


def test_awards_by_rank() -> None:
    assert [service.award_for(n) for n in (1, 2, 3, 4, 6, 7, None)] == [
        "一等奖",
        "二等奖",
        "二等奖",
        "三等奖",
        "三等奖",
        "优秀成果",
        "",
    ]


def _selection(db: Session, factory: Factory) -> tuple[Any, Any, Any, User, User]:
    """A scheduled selection with two approved entries of two universities and two judges; the
    first judge belongs to the first university."""
    uni1, uni2 = factory.org("university"), factory.org("university")
    event = factory.event("selection", "scheduled")
    e1 = factory.event_entry(event, factory.achievement(uni1))
    e2 = factory.event_entry(event, factory.achievement(uni2))
    j1, j2 = factory.user("expert"), factory.user("expert")
    factory.event_judge(event, j1, uni1)
    factory.event_judge(event, j2)
    return event, e1, e2, j1, j2


def test_judge_never_scores_own_unit_and_must_declare_first(db: Session, factory: Factory) -> None:
    event, e1, e2, j1, j2 = _selection(db, factory)
    good = {"scores": {"技术先进性": 80, "转化前景": 70}}
    with pytest.raises(PermissionDenied, match="本单位"):
        service.submit_score(db, j1, event.id, e1.id, good)
    with pytest.raises(InvalidTransition, match="申报利益冲突"):
        service.submit_score(db, j1, event.id, e2.id, good)
    service.declare_conflicts(db, j2, event.id, {"entry_ids": [e1.id], "note": "曾合作"})
    with pytest.raises(PermissionDenied, match="利益冲突"):
        service.submit_score(db, j2, event.id, e1.id, good)
    assert service.submit_score(db, j2, event.id, e2.id, good).score == 76.0
    outsider = factory.user("expert")
    with pytest.raises(PermissionDenied):
        service.submit_score(db, outsider, event.id, e2.id, good)


def test_scores_are_frozen_after_publication(db: Session, factory: Factory) -> None:
    event, e1, e2, j1, j2 = _selection(db, factory)
    office = factory.user("office")
    for judge in (j1, j2):
        service.declare_conflicts(db, judge, event.id, {"entry_ids": []})
    service.submit_score(db, j1, event.id, e2.id, {"scores": {"技术先进性": 90, "转化前景": 80}})
    service.submit_score(db, j2, event.id, e2.id, {"scores": {"技术先进性": 70, "转化前景": 70}})
    service.submit_score(db, j2, event.id, e1.id, {"scores": {"技术先进性": 60, "转化前景": 60}})
    # Revised before publication: 60 → 80 × 0.6 + 85 × 0.4 = 82
    service.submit_score(db, j2, event.id, e1.id, {"scores": {"技术先进性": 80, "转化前景": 85}})
    with pytest.raises(InvalidTransition, match="已举办"):
        service.publish_results(db, office, event.id)
    service.change_status(db, office, event.id, "hold")
    service.publish_results(db, office, event.id)
    db.refresh(e1)
    db.refresh(e2)
    # e1: 82 (one judge); e2: (86 + 70) / 2 = 78, spread 16
    assert (e1.rank, e1.final_score, e1.award) == (1, 82.0, "一等奖")
    assert (e2.rank, e2.final_score, e2.award) == (2, 78.0, "二等奖")
    with pytest.raises(InvalidTransition, match="评分不能再修改"):
        service.submit_score(db, j2, event.id, e1.id, {"scores": {"技术先进性": 1, "转化前景": 1}})
    assert [e.id for e in service.results(db, event)] == [e1.id, e2.id]


def _register_in_threads(db_url: str, event_id: int, user_ids: list[int]) -> list[str]:
    results = [""] * len(user_ids)
    barrier = threading.Barrier(len(user_ids))

    def run(index: int, user_id: int) -> None:
        with session_factory(db_url)() as session:
            user = session.get(User, user_id)
            assert user is not None
            barrier.wait()
            try:
                service.register(session, user, event_id, {"attendees": 3})
                results[index] = "ok"
            except ValidationFailed as exc:
                results[index] = exc.errors["attendees"]

    threads = [threading.Thread(target=run, args=(i, u)) for i, u in enumerate(user_ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_last_places_go_to_one_of_two_concurrent_registrations(
    db: Session, db_url: str, factory: Factory
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("row locks are PostgreSQL's; SQLite serialises whole transactions")
    event = factory.event("roadshow", "open_for_entries", capacity=10)
    factory.event_registration(event, factory.org("enterprise"), 5)
    users = [factory.user("enterprise"), factory.user("enterprise")]
    # 5 places left, two enterprises ask for 3 each at the same moment: one must be refused.
    results = sorted(_register_in_threads(db_url, event.id, [u.id for u in users]))
    assert results == ["ok", "名额不足：共10个名额，剩余2个"]
    total = db.scalar(
        select(func.sum(EventRegistration.attendees)).where(EventRegistration.event_id == event.id)
    )
    assert total == 8
