"""The figures service: every figure checked against a count made here from the rows created."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from statistics import median

from sqlalchemy.orm import Session

from silian.brokerage.figures import figures
from silian.brokerage.models import Contract, Deal, Match
from silian.challenges.models import Challenge
from silian.demands.models import Demand
from tests.brokerage.helpers import broker
from tests.support import Factory

START = datetime(2026, 6, 1, 9, tzinfo=UTC)


def test_figures_match_an_independent_count(db: Session, factory: Factory) -> None:
    org = factory.org("enterprise")
    statuses = ["published", "published", "awarded", "closed", "draft", "submitted", "awarded"]
    demands = [
        Demand(title=f"需求{i}", organization_id=org.id, problem="问题描述足够长的文本。", status=s)
        for i, s in enumerate(statuses)
    ]
    db.add_all(demands)
    db.flush()
    challenge_statuses = ["bidding", "bidding", "awarded", "contracted", "accepted", "closed"]
    challenges = [
        Challenge(demand_id=d.id, status=s, bidding_deadline=date(2026, 12, 31), criteria=[])
        for d, s in zip(demands, challenge_statuses, strict=False)
    ]
    db.add_all(challenges)
    db.flush()
    contracts = [
        Contract(
            title="榜单合同1",
            amount=Decimal("500000"),
            signed_on=date(2026, 7, 1),
            challenge_id=challenges[3].id,
        ),
        Contract(
            title="榜单合同2",
            amount=Decimal("1250000.50"),
            signed_on=date(2026, 8, 1),
            challenge_id=challenges[4].id,
        ),
    ]
    _, a = broker(db, factory, "甲", cap=10)
    _, b = broker(db, factory, "乙", cap=10)
    # (broker, stage, channel, days from suggestion to signature, contract amount)
    plan = [
        (a, "recommended", "broker", None, None),
        (a, "contacted", "marine_market", None, None),
        (a, "signed", "broker", 30, Decimal("300000")),
        (a, "implemented", "university_centre", 50, Decimal("700000")),
        (a, "failed", "broker", None, None),
        (b, "negotiating", "achievements_platform", None, None),
        (b, "signed", "achievements_platform", 12, None),
        (b, "failed", "marine_market", None, None),
    ]
    deals = []
    for i, (owner, stage, channel, days, amount) in enumerate(plan):
        m = Match(
            source_kind="demand",
            source_id=1000 + i,
            target_kind="achievement",
            target_id=i,
            score=0.5,
            reasons={},
        )
        m.created_at = START + timedelta(days=i)
        db.add(m)
        db.flush()
        signed = (
            (START + timedelta(days=i)).date() + timedelta(days=days) if days is not None else None
        )
        deal = Deal(
            title=f"对接{i}",
            broker_id=owner.id,
            stage=stage,
            channel=channel,
            match_id=m.id,
            signed_on=signed,
        )
        db.add(deal)
        db.flush()
        deals.append(deal)
        if amount is not None:
            contracts.append(
                Contract(
                    title=f"对接合同{i}",
                    amount=amount,
                    signed_on=signed or date(2026, 9, 1),
                    deal_id=deal.id,
                )
            )
    db.add_all(contracts)
    db.commit()

    got = figures(db)
    assert got.lists_published == sum(s in ("published", "closed", "awarded") for s in statuses)
    assert got.lists_in_bidding == challenge_statuses.count("bidding")
    assert got.lists_awarded == sum(
        s in ("awarded", "contracted", "in_progress", "accepted") for s in challenge_statuses
    )
    assert got.lists_signed == 2
    assert got.lists_signed_value == Decimal("1750000.50")
    for stage in {p[1] for p in plan}:
        assert got.deals_by_stage[stage] == sum(p[1] == stage for p in plan)
    for channel in {p[2] for p in plan}:
        assert got.deals_by_channel[channel] == sum(p[2] == channel for p in plan)
        assert got.signed_by_channel[channel] == sum(
            p[2] == channel and p[1] in ("signed", "implemented") for p in plan
        )
    assert got.contract_count == len(contracts)
    assert got.contract_value == sum((c.amount for c in contracts), Decimal(0))
    results = {r.name: r for r in got.brokers}
    for owner in (a, b):
        mine = [p for p in plan if p[0] is owner]
        signed = [p for p in mine if p[1] in ("signed", "implemented")]
        r = results[owner.name]
        assert r.deals == len(mine)
        assert r.active_deals == sum(
            p[1] in ("recommended", "contacted", "negotiating") for p in mine
        )
        assert r.signed_deals == len(signed)
        assert r.conversion == round(len(signed) / len(mine), 4)
        assert r.contract_value == sum((p[4] for p in mine if p[4] is not None), Decimal(0))
        assert r.median_days_to_signature == median(p[3] for p in signed)
    only_b = figures(db, broker_id=b.id)
    assert [r.name for r in only_b.brokers] == ["乙"]
    assert sum(only_b.deals_by_stage.values()) == sum(p[0] is b for p in plan)
