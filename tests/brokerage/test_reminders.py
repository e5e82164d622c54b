"""Daily reminders: challenges closing, deals due, milestones due — once per unread item."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.brokerage import service as brokerage
from silian.brokerage.models import Contract, ContractMilestone, Deal
from silian.challenges import service as challenges
from silian.challenges.models import Challenge
from silian.demands.models import Bid
from silian.notifications.models import Notification
from tests.brokerage.helpers import broker
from tests.challenges.helpers import published_demand
from tests.support import Factory

TODAY = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(challenges, "today", lambda: TODAY)
    monkeypatch.setattr(brokerage, "today", lambda: TODAY)


def _titles(db: Session, user_id: int) -> list[str]:
    return list(db.scalars(select(Notification.title).where(Notification.user_id == user_id)))


def test_reminders_reach_the_right_people_once(db: Session, factory: Factory) -> None:
    poster = factory.user("enterprise")
    assert poster.organization is not None
    bidder, late_bidder = factory.user("university"), factory.user("university")
    for days, user in ((2, bidder), (10, late_bidder)):
        demand = published_demand(db, poster.organization)
        item = Challenge(
            demand_id=demand.id,
            status="bidding",
            bidding_deadline=TODAY + timedelta(days=days),
            criteria=[],
        )
        db.add(item)
        db.add(
            Bid(
                demand_id=demand.id,
                created_by_id=user.id,
                team_name="团队",
                proposal="方案",
                live_key=f"user:{user.id}",
            )
        )
    broker_user, profile = broker(db, factory, "甲")
    db.add_all(
        [
            Deal(
                title="到期对接",
                broker_id=profile.id,
                stage="contacted",
                next_action="回访",
                next_due=TODAY,
            ),
            Deal(
                title="未到期对接",
                broker_id=profile.id,
                stage="contacted",
                next_action="回访",
                next_due=TODAY + timedelta(days=1),
            ),
            Deal(
                title="已签约对接",
                broker_id=profile.id,
                stage="signed",
                next_due=TODAY - timedelta(days=3),
            ),
        ]
    )
    seller = factory.user("university")
    db.add(
        Contract(
            title="合同",
            amount=Decimal(100),
            signed_on=TODAY,
            seller_id=seller.organization_id,
            buyer_id=poster.organization_id,
            milestones=[
                ContractMilestone(seq=1, name="逾期节点", due_on=TODAY - timedelta(days=1)),
                ContractMilestone(seq=2, name="下周节点", due_on=TODAY + timedelta(days=5)),
                ContractMilestone(seq=3, name="远期节点", due_on=TODAY + timedelta(days=30)),
                ContractMilestone(seq=4, name="已完成节点", due_on=TODAY, done_on=TODAY),
            ],
        )
    )
    db.commit()
    for _ in range(2):  # running twice adds nothing new
        challenges.remind_closing(db)
        brokerage.remind_due_deals(db)
        brokerage.remind_due_milestones(db)
    assert [t for t in _titles(db, bidder.id) if "即将截止" in t] and _titles(
        db, late_bidder.id
    ) == []
    assert _titles(db, broker_user.id) == ["对接待跟进：到期对接（回访）"]
    for user in (poster, seller):
        assert sorted(_titles(db, user.id)) == [
            "合同节点即将到期：下周节点",
            "合同节点已逾期：逾期节点",
        ]
