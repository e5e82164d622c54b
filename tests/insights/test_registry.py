"""The figures registry (feature figure functions read over the period), marked days recomputed
in runs, and the dashboard's JSON API."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.brokerage.models import Broker, Deal, DealStep
from silian.chains.models import IndustryChain
from silian.core.db import session_factory
from silian.insights import figures, freshness, jobs
from silian.insights.models import FigureDay, FigureDirtyDay
from silian.subsidies import figures as subsidy_figures
from silian.subsidies.models import SubsidyApplication
from tests.support import Factory, api_headers, login

START = date(2026, 1, 5)


def at(day: date, hour: int = 10) -> datetime:
    """A UTC instant on a city day (hour in city time)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)


# --- the registry -----------------------------------------------------------------------------


def test_every_registered_figure_is_declared_once_with_its_source() -> None:
    keys = [f.key for f in figures.FIGURES]
    assert len(keys) == len(set(keys))
    for f in figures.FIGURES:
        assert f.label and f.unit and f.source, f.key
        assert f.kind in ("flow", "stock", "period"), f.key
        # Precomputed figures are tallied by compute_day; the others name their function.
        assert (f.fn is None) == f.precomputed, f.key
    sources = {f.fn.__module__ for f in figures.FIGURES if f.fn is not None}
    assert sources == {
        "silian.hiring.figures",
        "silian.subsidies.figures",
        "silian.training.figures",
        "silian.platforms.figures",
        "silian.brokerage.figures",
        "silian.coordination.figures",
        "silian.consortia.figures",
    }


def test_adding_a_feature_figure_is_one_line(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[date, date, int | None]] = []

    def by_chain(session: Session, start: date, end: date, chain_id: int | None) -> Any:
        calls.append((start, end, chain_id))
        return {7: 2, None: 1}

    monkeypatch.setattr(
        figures,
        "FIGURES",
        (
            *figures.FIGURES,
            figures.Figure("new_things", "新事项", "项", "period", "新功能（测试）", by_chain),
        ),
    )
    out = figures.period_figures(db, None, "quarter", 2026, 2)
    row = next(f for f in out["figures"] if f["key"] == "new_things")
    assert row["total"] == 3 and row["label"] == "新事项" and row["source"] == "新功能（测试）"
    assert row["breakdown"] == {"7": 2, "none": 1}
    assert calls == [(date(2026, 4, 1), date(2026, 6, 30), None)]


def test_figures_of_one_function_share_one_call_and_scale(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Result:
        share = 0.1234
        count = 5

    calls: list[int] = []

    def measured(session: Session, start: date, end: date, chain_id: int | None) -> Result:
        calls.append(1)
        return Result()

    monkeypatch.setattr(
        figures,
        "FIGURES",
        (
            figures.Figure("share", "占比", "%", "period", "测试", measured, "share", 100),
            figures.Figure("count", "数量", "个", "period", "测试", measured, "count"),
        ),
    )
    rows = {v.figure.key: v.total for v in figures.report(db, figures.period("year", 2026))}
    assert rows == {"share": Decimal("12.34"), "count": Decimal(5)}
    assert len(calls) == 1


def test_subsidies_count_the_city_day_of_their_decision(db: Session, factory: Factory) -> None:
    # Decided at 20:00 UTC on 31 March: 04:00 on 1 April in the city — an April approval.
    policy = factory.policy()
    db.add(
        SubsidyApplication(
            policy_id=policy.id,
            organization_id=factory.org().id,
            year=2026,
            amount=Decimal("1000"),
            status="approved",
            decided_at=datetime(2026, 3, 31, 20, tzinfo=UTC),
        )
    )
    db.commit()
    march = subsidy_figures.figures(db, date(2026, 3, 1), date(2026, 3, 31))
    april = subsidy_figures.figures(db, date(2026, 4, 1), date(2026, 4, 30))
    assert (march.approved_count, april.approved_count) == (0, 1)
    april_row = {
        v.figure.key: v.total for v in figures.report(db, figures.period("month", 2026, 4))
    }
    assert april_row["subsidies_approved_amount"] == Decimal(1000)


# --- marked days recomputed in runs -----------------------------------------------------------


def test_marked_days_coalesce_into_runs_newest_first() -> None:
    d = date(2026, 3, 1)
    days = [d, d + timedelta(days=1), d + timedelta(days=10), d + timedelta(days=100)]
    assert freshness.runs(days, gap=31) == [
        (d + timedelta(days=100), d + timedelta(days=100)),
        (d, d + timedelta(days=10)),
    ]
    assert freshness.runs(days, gap=0) == [
        (d + timedelta(days=100), d + timedelta(days=100)),
        (d + timedelta(days=10), d + timedelta(days=10)),
        (d, d + timedelta(days=1)),
    ]
    # No run is longer than asked, however close its days.
    many = [d + timedelta(days=i) for i in range(10)]
    assert freshness.runs(many, gap=31, longest=4) == [
        (d + timedelta(days=6), d + timedelta(days=9)),
        (d + timedelta(days=2), d + timedelta(days=5)),
        (d, d + timedelta(days=1)),
    ]


def _bulk(db: Session, factory: Factory) -> IndustryChain:
    """A bulk load: records on 90 days, stocks and flows, two chains, as an import leaves them."""
    chain = IndustryChain(code="bulk", name="批量产业链", sort_order=1)
    db.add(chain)
    db.flush()
    company = factory.org("enterprise", created_at=at(START))
    company.chains.append(chain)
    school = factory.org("university", created_at=at(START + timedelta(days=20)))
    for i in range(0, 90, 3):
        day = START + timedelta(days=i)
        item = factory.achievement(
            school,
            chain_id=chain.id if i % 2 else None,
            created_at=at(day),
            published_at=at(day + timedelta(days=1), 23),  # 23:00 city time: still that day
        )
        db.add(
            Deal(title=f"对接{i}", achievement_id=item.id, stage="contacted", created_at=at(day, 1))
        )
    db.add(Broker(name="批量经纪人", created_at=at(START), certified_on=START + timedelta(days=40)))
    db.commit()
    return chain


def _summary(db: Session) -> list[tuple[Any, ...]]:
    return sorted(
        (r.day, r.chain_id, r.figure, r.breakdown, Decimal(r.value))
        for r in db.scalars(select(FigureDay))
    )


def test_a_bulk_load_is_recomputed_in_one_pass_as_day_by_day(
    db: Session, factory: Factory, db_url: str
) -> None:
    _bulk(db, factory)
    end = START + timedelta(days=95)
    assert freshness.pending(db, START, end) > 31  # more than one old-style read recomputed
    recomputed = freshness.process(db, START, end)
    assert recomputed == 89 and freshness.pending(db, START, end) == 0
    in_runs = _summary(db)
    # The nightly job rewrites every day on its own: the rows must be the same.
    jobs.refresh(session_factory(db_url), START, START + timedelta(days=88))
    db.expire_all()
    assert _summary(db) == in_runs
    day_45 = {
        (r[2], r[3]): r[4] for r in in_runs if r[0] == START + timedelta(days=45) and r[1] == 0
    }
    assert day_45[("brokers_certified", "")] == 1  # a stock from its certificate's day on
    assert day_45[("deals_by_stage", "contacted")] == 16  # deals of days 0, 3 … 45
    assert day_45[("achievements_published", "")] == 0  # day 45's was published on day 46


def test_one_read_recomputes_at_most_its_limit(db: Session, factory: Factory) -> None:
    _bulk(db, factory)
    end = START + timedelta(days=95)
    newest = freshness.dirty_days(db, START, end)[0]
    assert freshness.process(db, START, end, limit=10) == 10
    # The newest days go first; the older ones stay marked for the next read.
    assert not db.scalars(select(FigureDirtyDay).where(FigureDirtyDay.day == newest)).all()
    assert freshness.pending(db, START, end) > 0
    freshness.process(db, START, end)
    assert freshness.pending(db, START, end) == 0


# --- the dashboard API ------------------------------------------------------------------------


def test_dashboard_api_is_the_page_as_json_with_its_permissions(
    client: TestClient, db: Session, factory: Factory
) -> None:
    chain = _bulk(db, factory)
    assert client.get("/api/v1/dashboard").status_code == 401
    office = factory.user("office")
    own = factory.user("enterprise")
    headers, own_headers = api_headers(client, office), api_headers(client, own)
    query = "period=custom&start=2026-01-01&end=2026-04-30"
    got = client.get(f"/api/v1/dashboard?{query}", headers=headers)
    assert got.status_code == 200, got.text
    data = got.json()
    assert data["scope"] == {"city": True, "label": "全市"}
    assert data["period"]["start"] == "2026-01-01"
    assert data["previous_period"]["end"] == "2025-12-31"
    headline = {h["key"]: h for h in data["headlines"]}
    assert Decimal(headline["achievements_collected"]["value"]) == 30
    assert len(data["months"]) == 12 and data["months"][-1] == "2026-04"
    trend = next(t for t in data["trends"] if t["key"] == "achievements_published")
    assert sum(Decimal(v) for v in trend["values"]) == 30
    registered = {f["key"]: f for f in data["figures"]}
    assert set(registered) == {f.key for f in figures.FIGURES}
    assert registered["brokers_certified"]["source"]
    assert [r["chain_name"] for r in data["by_chain"]] == [chain.name]
    assert set(data["funnels"]) == {"demand", "achievement"}
    # The page shows the same headline.
    login(client, office)
    page = client.get(f"/dashboard?{query}").text
    shown = re.search(r'data-headline="achievements_collected" data-value="([^"]+)"', page)
    assert shown and Decimal(shown.group(1)) == 30
    assert 'id="all-figures"' in page

    # Another role sees its own unit only, without the city-wide registered figures.
    mine = client.get(f"/api/v1/dashboard?{query}", headers=own_headers).json()
    assert mine["scope"]["city"] is False and mine["figures"] is None
    assert all(Decimal(h["value"]) == 0 for h in mine["headlines"])

    bad = client.get("/api/v1/dashboard?period=week", headers=headers)
    assert bad.status_code in (400, 422) and "时段" in bad.text
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/dashboard" in spec["paths"]


def test_broker_training_figures_read_over_the_period(db: Session, factory: Factory) -> None:
    chain = IndustryChain(code="broker-chain", name="经纪产业链", sort_order=1)
    db.add(chain)
    db.commit()
    course = factory.training(chain_id=chain.id)
    day = date(2026, 5, 10)
    trainee = factory.user("broker")
    factory.enrollment(course, trainee, enrolled_on=day, passed=True, exam_on=day, certified_on=day)
    factory.enrollment(course, factory.user("broker"), enrolled_on=day + timedelta(days=40))
    broker = Broker(
        name="持证经纪人",
        certificate_no="JJR-001",
        certified_on=day,
        specialties=[chain.name],
    )
    db.add(broker)
    db.flush()
    deal = Deal(title="经纪对接", broker_id=broker.id, stage="contacted")
    db.add(deal)
    db.flush()
    db.add(DealStep(deal_id=deal.id, stage="contacted", happened_on=day + timedelta(days=5)))
    db.commit()
    may = figures.period("month", 2026, 5)
    for chain_id in (None, chain.id):
        got = {v.figure.key: v.total for v in figures.report(db, may, chain_id)}
        assert (
            got["brokers_trained"],
            got["brokers_passed"],
            got["broker_certificates"],
            got["brokers_active"],
        ) == (1, 1, 1, 1), chain_id
    june = {v.figure.key: v.total for v in figures.report(db, figures.period("month", 2026, 6))}
    assert (june["brokers_trained"], june["brokers_active"]) == (1, 0)
