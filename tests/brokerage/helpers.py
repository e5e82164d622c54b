"""Builders for brokerage tests: brokers with accounts, demands, achievements and matches."""

from __future__ import annotations

from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.brokerage.models import Broker, Match
from silian.chains.models import IndustryChain
from silian.demands.models import Demand
from silian.organizations.models import Organization
from tests.support import Factory


def broker(
    db: Session, factory: Factory, name: str, specialties: list[str] | None = None, cap: int = 5
) -> tuple[User, Broker]:
    """A broker user with a Broker profile."""
    user = factory.user("broker")
    profile = Broker(
        name=name, user_id=user.id, specialties=specialties or [], max_active_deals=cap
    )
    db.add(profile)
    db.commit()
    return user, profile


def chain(db: Session, name: str = "海洋装备产业链") -> IndustryChain:
    """An industry chain."""
    item = IndustryChain(code=f"c{abs(hash(name)) % 10**6}", name=name, sort_order=1)
    db.add(item)
    db.commit()
    return item


def pair(
    db: Session, buyer: Organization, seller: Organization, chain_id: int | None = None, n: int = 1
) -> tuple[Demand, Achievement]:
    """A published demand of buyer and a published achievement of seller."""
    demand = Demand(
        title=f"船用推进器降噪需求{n}",
        organization_id=buyer.id,
        problem="需要降低船用推进器噪声的技术方案。",
        public_summary="船用推进器降噪。",
        status="published",
        chain_id=chain_id,
    )
    achievement = Achievement(
        title=f"低噪声推进器设计方法{n}",
        summary="一种低噪声推进器设计方法。",
        organization_id=seller.id,
        status="published",
    )
    db.add_all([demand, achievement])
    db.commit()
    return demand, achievement


def match(db: Session, demand: Demand, achievement: Achievement, broker_id: int | None) -> Match:
    """A match assigned to broker_id."""
    item = Match(
        source_kind="demand",
        source_id=demand.id,
        target_kind="achievement",
        target_id=achievement.id,
        score=0.8,
        reasons={"matched": {"keyword": ["推进器"]}},
        broker_id=broker_id,
    )
    db.add(item)
    db.commit()
    return item
