"""Challenge service rules that need several sessions or many reviewers: concurrency, outliers."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.challenges import service
from silian.challenges.models import BidScore, Challenge
from silian.core.db import session_factory
from silian.core.errors import Conflict
from tests.challenges.helpers import BID, SETTINGS, Clock, expert, published_demand
from tests.support import Factory


def _evaluating(
    db: Session, factory: Factory, monkeypatch: pytest.MonkeyPatch, reviewers: int
) -> tuple[Challenge, int, list[User]]:
    """A challenge in evaluation with one bid and reviewers who declared no conflicts."""
    clock = Clock(monkeypatch)
    poster, office = factory.user("enterprise"), factory.user("office")
    assert poster.organization is not None
    demand = published_demand(db, poster.organization)
    item = service.create_challenge(db, poster, demand.id, dict(SETTINGS))
    service.publish_challenge(db, office, item.id)
    bid = service.submit_bid(db, factory.user("university"), item.id, dict(BID))
    users = []
    for i in range(reviewers):
        user, talent = expert(db, factory, f"评审{i}")
        service.assign_reviewer(db, office, item.id, {"talent_id": talent.id})
        users.append(user)
    clock.after_deadline()
    service.start_evaluation(db, poster, item.id)
    for user in users:
        service.declare_conflicts(db, user, item.id, {"bid_ids": []})
    return item, bid.id, users


def _score_in_threads(db_url: str, calls: list[tuple[int, int, dict[str, Any]]]) -> list[str]:
    """Run submit_score for (user id, bid id, data) calls at once; returns 'ok' or the error."""
    results: list[str] = [""] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(index: int, user_id: int, bid_id: int, data: dict[str, Any]) -> None:
        with session_factory(db_url)() as session:
            user = session.get(User, user_id)
            assert user is not None
            barrier.wait()
            try:
                service.submit_score(session, user, bid_id, data)
                results[index] = "ok"
            except Conflict as exc:
                results[index] = exc.message

    threads = [threading.Thread(target=run, args=(i, *call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_reviewers_at_once_both_count_one_reviewer_twice_does_not(
    db: Session, db_url: str, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    item, bid_id, (r1, r2) = _evaluating(db, factory, monkeypatch, 2)
    data = {"scores": {"技术方案": 80, "团队能力": 70}}
    assert _score_in_threads(db_url, [(r1.id, bid_id, data), (r2.id, bid_id, data)]) == ["ok", "ok"]
    assert db.scalar(select(func.count()).select_from(BidScore)) == 2
    twice = _score_in_threads(db_url, [(r1.id, bid_id, data), (r1.id, bid_id, data)])
    assert twice == ["您已对此方案评分，不能重复评分"] * 2
    assert db.scalar(select(func.count()).select_from(BidScore)) == 2


def test_weighted_totals_use_the_weights_frozen_when_scoring_started(
    db: Session, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    item, bid_id, (r1,) = _evaluating(db, factory, monkeypatch, 1)
    # The live criteria change after evaluation began (e.g. by a direct data fix).
    item.criteria = [{"name": "技术方案", "weight": 10}, {"name": "团队能力", "weight": 90}]
    db.commit()
    score = service.submit_score(db, r1, bid_id, {"scores": {"技术方案": 100, "团队能力": 0}})
    assert score.total == 60.0 and score.weights == {"技术方案": 60.0, "团队能力": 40.0}


def test_spread_and_outliers(
    db: Session, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    item, bid_id, users = _evaluating(db, factory, monkeypatch, 4)
    for user, value in zip(users, (80, 82, 78, 40), strict=True):
        service.submit_score(db, user, bid_id, {"scores": {"技术方案": value, "团队能力": value}})
    (row,) = service.evaluation(db, item)
    values = [80.0, 82.0, 78.0, 40.0]
    assert row.mean == round(sum(values) / 4, 2)
    assert row.spread == max(values) - min(values)
    assert row.outliers == ["评审3"] and row.wide_spread
