"""The figures service and its refresh job: values from records, idempotent, crash-safe."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from silian.achievements.models import Achievement
from silian.brokerage.models import Broker, Contract, Deal
from silian.chains.models import IndustryChain
from silian.consortia.models import InnovationConsortium
from silian.core.db import session_factory
from silian.core.errors import ValidationFailed
from silian.demands.models import Demand
from silian.education.models import NamedClass, TrainingBase
from silian.events.models import Event
from silian.insights import figures, jobs
from silian.insights.models import CITY, FigureDay
from silian.organizations.models import Organization
from silian.platforms.models import Platform
from silian.talent.models import TalentNeed
from tests.support import Factory

D1 = date(2026, 3, 2)
D2 = date(2026, 3, 3)
CST = timedelta(hours=8)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A UTC instant given as the city's (UTC+8) wall-clock time on day."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - CST


def local_day(instant: datetime | None) -> date | None:
    """The city day of a stored instant, computed here without the service."""
    if instant is None:
        return None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return (instant.astimezone(UTC) + CST).date()


@dataclass
class City:
    """What the test built, to compute expected figures from."""

    chain_a: IndustryChain
    chain_b: IndustryChain
    orgs: list[Organization]
    achievements: list[Achievement]
    demands: list[Demand]
    deals: list[Deal]
    contracts: list[Contract]


def _build(db: Session, factory: Factory) -> City:
    chain_a = IndustryChain(code="fig-a", name="甲产业链", sort_order=1)
    chain_b = IndustryChain(code="fig-b", name="乙产业链", sort_order=2)
    db.add_all([chain_a, chain_b])
    db.flush()
    two_chains = factory.org("enterprise", name="双链企业", created_at=at(D1, 9))
    two_chains.chains.extend([chain_a, chain_b])
    loose = factory.org("enterprise", name="无链企业", created_at=at(D2, 9))
    school = factory.org("university", name="甲链大学", created_at=at(D1, 9))
    school.chains.append(chain_a)
    factory.org("enterprise", name="停用企业", created_at=at(D1, 9), is_active=False)

    def ach(
        title: str, created: datetime, chain: int | None, channel: str, **kw: Any
    ) -> Achievement:
        return Achievement(
            title=title,
            summary="用于统计检验的成果。",
            organization_id=school.id,
            chain_id=chain,
            source_channel=channel,
            created_at=created,
            **kw,
        )

    achievements = [
        ach(
            "甲链成果", at(D1, 10), chain_a.id, "self", status="published", published_at=at(D1, 11)
        ),
        ach("未归链草稿", at(D1, 12), None, "roadshow", status="draft"),
        # 23:30 city time on D2 is still D2 in the city, though 15:30 UTC.
        ach(
            "乙链深夜成果",
            at(D2, 23, 30),
            chain_b.id,
            "broker",
            status="published",
            published_at=at(D2, 23, 40),
        ),
        # 00:30 city time on D2 is 16:30 UTC on D1: it belongs to D2.
        ach("凌晨成果", at(D2, 0, 30), chain_a.id, "self", status="submitted"),
        ach(
            "已撤回成果", at(D1, 8), chain_a.id, "self", status="withdrawn", published_at=at(D1, 9)
        ),
    ]
    db.add_all(achievements)

    def dem(
        title: str,
        chain: int | None,
        status: str,
        published: datetime | None,
        list_type: str = "enterprise",
    ) -> Demand:
        return Demand(
            title=title,
            problem="用于统计检验的技术需求描述文字。",
            organization_id=two_chains.id,
            chain_id=chain,
            status=status,
            list_type=list_type,
            published_at=published,
            created_at=at(D1, 8),
        )

    demands = [
        dem("甲链榜单", chain_a.id, "awarded", at(D1, 14)),
        dem("政府榜", None, "published", at(D2, 10), "government"),
        dem("草稿榜单", chain_a.id, "draft", None),
    ]
    db.add_all(demands)
    db.flush()
    broker = Broker(name="测试经纪人", created_at=at(D1, 9), certified_on=D2)
    db.add(broker)
    db.flush()
    deals = [
        Deal(
            title="甲链对接",
            demand_id=demands[0].id,
            broker_id=broker.id,
            stage="signed",
            created_at=at(D1, 15),
        ),
        Deal(
            title="乙链对接",
            achievement_id=achievements[2].id,
            stage="negotiating",
            created_at=at(D2, 16),
        ),
    ]
    db.add_all(deals)
    db.flush()
    contracts = [
        Contract(title="甲链合同", deal_id=deals[0].id, amount=Decimal("500000"), signed_on=D2),
        Contract(title="场外合同", amount=Decimal("120000"), signed_on=D2),
        Contract(title="甲链补充合同", deal_id=None, amount=Decimal("1"), signed_on=D1),
    ]
    db.add_all(contracts)
    db.add_all(
        [
            Event(
                kind="roadshow",
                title="甲链路演",
                starts_at=at(D2, 14),
                chain_id=chain_a.id,
                status="held",
            ),
            Event(kind="roadshow", title="未举办路演", starts_at=at(D2, 14), status="planned"),
            # Held, and closed since: still an event held in the period.
            Event(kind="showcase", title="已结束汇演", starts_at=at(D1, 14), status="closed"),
            TalentNeed(
                organization_id=two_chains.id,
                position="结构工程师",
                chain_id=chain_a.id,
                co_shared=True,
                created_at=at(D1, 10),
            ),
            NamedClass(
                name="双链冠名班",
                university_id=school.id,
                enterprise_id=two_chains.id,
                major_name="机械工程",
                students=40,
                graduation_year=2027,
                created_at=at(D1, 10),
            ),
            TrainingBase(
                name="甲链实训基地",
                organization_id=school.id,
                chain_id=chain_a.id,
                yearly_capacity=300,
                trainees_this_year=120,
                created_at=at(D1, 10),
            ),
            Platform(
                name="乙链中试平台",
                kind="pilot",
                organization_id=loose.id,
                chain_id=chain_b.id,
                created_at=at(D2, 10),
            ),
            InnovationConsortium(
                name="甲链创新联合体",
                lead_organization_id=school.id,
                chain_id=chain_a.id,
                created_at=at(D1, 10),
            ),
        ]
    )
    db.commit()
    orgs = list(db.scalars(select(Organization)))
    return City(chain_a, chain_b, orgs, achievements, demands, deals, contracts)


@pytest.fixture
def factory_of(db_url: str) -> sessionmaker[Session]:
    """A session factory on the test database, as the job uses."""
    return session_factory(db_url)


def _rows(db: Session) -> list[tuple[Any, ...]]:
    db.expire_all()
    return sorted(
        (r.day, r.chain_id, r.figure, r.breakdown, Decimal(r.value))
        for r in db.scalars(select(FigureDay))
    )


def test_each_figure_matches_the_records(
    db: Session, factory: Factory, factory_of: sessionmaker[Session]
) -> None:
    city = _build(db, factory)
    report = jobs.refresh(factory_of, D1, D2)
    assert report.days == 2
    both = figures.period("custom", 2026, start=D1, end=D2)
    got = figures.read(db, both)
    a, b = city.chain_a.id, city.chain_b.id

    # Flows, counted here from the rows.
    collected = Counter(a.source_channel for a in city.achievements)
    assert got["achievements_collected"] == {"": 5, **collected}
    public = [x for x in city.achievements if x.status == "published"]
    assert got["achievements_published"][""] == len(public) == 2
    assert "self" in got["achievements_published"] and "broker" in got["achievements_published"]
    assert got["demands_published"] == {"": 2, "enterprise": 1, "government": 1}
    assert got["demands_signed"] == {"": 1}
    assert got["demands_signed_value"] == {"": Decimal("500000")}
    assert got["deals_created"] == {"": 2, "broker": 1, "direct": 1}
    signed = [c for c in city.contracts if D1 <= c.signed_on <= D2]
    assert got["contracts_signed"][""] == len(signed) == 3
    assert got["contract_value"][""] == sum(c.amount for c in signed)
    assert got["contract_value"]["broker"] == Decimal("500000")
    assert got["events_held"] == {"": 2}
    assert got["talent_needs_collected"] == {"": 1, "co_shared": 1}
    # Stocks, read on the period's last day.
    enterprises = [o for o in city.orgs if o.kind == "enterprise" and o.is_active]
    assert got["enterprises_connected"] == {"": len(enterprises)} == {"": 2}
    assert got["institutions_connected"] == {"": 1, "university": 1}
    assert got["deals_by_stage"] == {"": 2, "signed": 1, "negotiating": 1}
    assert got["brokers"] == {"": 1} and got["brokers_certified"] == {"": 1}
    assert got["named_classes"] == {"": 1} and got["class_students"] == {"": 40}
    assert got["training_seats"] == {"": 300} and got["trainees"] == {"": 120}
    assert got["platforms"] == {"": 1, "pilot": 1}
    assert got["consortium_projects"] == {"": 1}

    # Day by day: the city day, not the UTC day, decides.
    first = figures.read(db, figures.period("custom", 2026, start=D1, end=D1))
    by_day = Counter(local_day(x.created_at) for x in city.achievements)
    assert first["achievements_collected"][""] == by_day[D1] == 3
    assert first["brokers_certified"] == {"": 0} and first["platforms"] == {"": 0}
    assert first["enterprises_connected"] == {"": 1}

    # Per chain: records on no chain count for the city only; a two-chain unit on both.
    chain_a = figures.read(db, both, a)
    chain_b = figures.read(db, both, b)
    assert chain_a["achievements_collected"][""] == sum(
        1 for x in city.achievements if x.chain_id == a
    )
    assert chain_a["enterprises_connected"][""] == chain_b["enterprises_connected"][""] == 1
    assert chain_a["named_classes"][""] == chain_b["named_classes"][""] == 1
    assert chain_a["contract_value"][""] == Decimal("500000")
    assert chain_b["deals_created"] == {"": 1, "direct": 1}
    assert chain_b.get("demands_published") is None
    # The month reads the same as the two days (nothing else happened in March).
    march = figures.read(db, figures.period("month", 2026, 3))
    assert march["contract_value"] == got["contract_value"]


def test_refresh_is_idempotent(
    db: Session, factory: Factory, factory_of: sessionmaker[Session]
) -> None:
    _build(db, factory)
    jobs.refresh(factory_of, D1, D2)
    once = _rows(db)
    jobs.refresh(factory_of, D1, D2)
    jobs.refresh(factory_of, D2, D2)
    assert _rows(db) == once
    assert {r[0] for r in once} == {D1, D2}


def test_refresh_survives_a_crash_within_and_between_days(
    db: Session, factory: Factory, factory_of: sessionmaker[Session], monkeypatch: Any
) -> None:
    city = _build(db, factory)
    jobs.refresh(factory_of, D1, D2)
    before = _rows(db)
    db.add(
        Achievement(
            title="新增成果",
            summary="重算前新增的成果。",
            organization_id=city.achievements[0].organization_id,
            created_at=at(D1, 13),
        )
    )
    db.add(
        Achievement(
            title="次日新增成果",
            summary="重算前新增的成果。",
            organization_id=city.achievements[0].organization_id,
            created_at=at(D2, 13),
        )
    )
    db.commit()

    # Within a day: D2's old rows are deleted, then computing fails — nothing of D2 changes.
    real = figures.compute_day

    def failing(session: Session, day: date) -> dict[Any, Decimal]:
        if day == D2:
            raise RuntimeError("crash while computing")
        return real(session, day)

    monkeypatch.setattr(figures, "compute_day", failing)
    with pytest.raises(RuntimeError):
        jobs.refresh(factory_of, D1, D2)
    after = _rows(db)
    assert [r for r in after if r[0] == D2] == [r for r in before if r[0] == D2]
    d1_total = next(
        r[4] for r in after if r[0] == D1 and r[1:4] == (CITY, "achievements_collected", "")
    )
    assert d1_total == 4  # D1 was rewritten and committed before the crash

    # Between days: the job stops after D1 committed; D2 is untouched until the rerun.
    monkeypatch.setattr(figures, "compute_day", real)

    def stop(day: date, rows: int) -> None:
        if day == D1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        jobs.refresh(factory_of, D1, D2, on_day=stop)
    assert [r for r in _rows(db) if r[0] == D2] == [r for r in before if r[0] == D2]

    jobs.refresh(factory_of, D1, D2)
    final = _rows(db)
    d2_total = next(
        r[4] for r in final if r[0] == D2 and r[1:4] == (CITY, "achievements_collected", "")
    )
    assert d2_total == 3
    # The same rows as a clean recomputation.
    db.execute(FigureDay.__table__.delete())
    db.commit()
    jobs.refresh(factory_of, D1, D2)
    assert _rows(db) == final


def test_periods() -> None:
    assert figures.period("quarter", 2026, 1) == figures.Period(date(2026, 1, 1), date(2026, 3, 31))
    assert figures.period("month", 2024, 2).end == date(2024, 2, 29)
    assert figures.period("year", 2026).start == date(2026, 1, 1)
    with pytest.raises(ValidationFailed) as bad:
        figures.period("quarter", 2026, 5)
    assert bad.value.errors == {"quarter": "季度应为 1–4"}


def test_figures_api(
    client: TestClient, db: Session, factory: Factory, factory_of: sessionmaker[Session]
) -> None:
    city = _build(db, factory)
    jobs.refresh(factory_of, D1, D2)
    body = client.get(
        "/api/v1/figures", params={"period": "custom", "start": str(D1), "end": str(D2)}
    ).json()
    assert body["refreshed"] is True and body["chain_id"] is None
    by_key = {f["key"]: f for f in body["figures"]}
    assert [f["key"] for f in body["figures"]] == [f.key for f in figures.FIGURES]
    assert Decimal(by_key["contract_value"]["total"]) == Decimal("620001")
    assert {k: Decimal(v) for k, v in by_key["deals_created"]["breakdown"].items()} == {
        "broker": 1,
        "direct": 1,
    }
    assert by_key["enterprises_connected"]["kind"] == "stock" and by_key["platforms"]["source"]
    chain = client.get(
        "/api/v1/figures",
        params={"period": "month", "year": 2026, "number": 3, "chain": city.chain_a.id},
    ).json()
    assert Decimal({f["key"]: f for f in chain["figures"]}["contract_value"]["total"]) == 500000
    empty = client.get("/api/v1/figures", params={"period": "quarter", "year": 2025}).json()
    assert empty["refreshed"] is False
    assert client.get("/api/v1/figures", params={"chain": 99999}).status_code == 404
    bad = client.get("/api/v1/figures", params={"period": "quarter", "number": 5})
    assert bad.status_code == 422 and "quarter" in bad.json()["errors"]
    assert "/api/v1/figures" in client.get("/api/v1/openapi.json").json()["paths"]
