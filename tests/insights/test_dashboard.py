"""The dashboard: numbers equal what the test counts from its own rows, every number's list has
that many records, the office reads the city and other roles their own unit, and a committed
change reaches the dashboard without running the refresh job."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.brokerage.models import Broker, Contract, Deal, Match
from silian.chains.models import IndustryChain
from silian.core import clock
from silian.core.db import session_factory
from silian.demands.models import Demand
from silian.events.models import Event, EventEntry
from silian.insights import freshness, jobs
from silian.insights.models import FigureDirtyDay
from silian.organizations.models import Organization
from tests.support import Factory, login

YEAR = 2025
CST = timedelta(hours=8)


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A UTC instant given as the city's (UTC+8) wall-clock time on day."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - CST


def local_day(instant: datetime | date | None) -> date | None:
    """The city day of a stored instant (or a date as it is), computed without the service."""
    if instant is None or not isinstance(instant, datetime):
        return instant
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return (instant.astimezone(UTC) + CST).date()


@dataclass
class World:
    """The rows the test built, to count expected figures from."""

    chain_a: IndustryChain
    chain_b: IndustryChain
    school: Organization
    firm: Organization
    other: Organization
    achievements: list[Achievement]
    demands: list[Demand]
    deals: list[Deal]
    contracts: list[Contract]
    brokers: list[Broker]
    matches: list[Match]
    entries: list[EventEntry]
    events: list[Event]


def _build(db: Session, factory: Factory) -> World:
    chain_a = IndustryChain(code="dash-a", name="甲链", sort_order=1)
    chain_b = IndustryChain(code="dash-b", name="乙链", sort_order=2)
    db.add_all([chain_a, chain_b])
    db.flush()
    school = factory.org("university", name="看板大学", created_at=at(date(2024, 1, 5)))
    firm = factory.org("enterprise", name="看板企业", created_at=at(date(2024, 1, 5)))
    other = factory.org("enterprise", name="别家企业", created_at=at(date(2024, 1, 5)))

    def ach(n: int, org: Organization, created: date, chain: IndustryChain | None, **kw: Any):
        return Achievement(
            title=f"看板成果{n}",
            summary="用于看板检验的成果。",
            organization_id=org.id,
            chain_id=chain.id if chain else None,
            created_at=at(created, 9),
            **kw,
        )

    achievements = [
        ach(
            1,
            school,
            date(2025, 1, 10),
            chain_a,
            status="published",
            published_at=at(date(2025, 1, 12)),
            source_channel="self",
        ),
        ach(
            2,
            school,
            date(2025, 2, 3),
            chain_b,
            status="published",
            published_at=at(date(2025, 2, 4)),
            source_channel="roadshow",
        ),
        ach(3, school, date(2025, 3, 1), None, status="draft", source_channel="self"),
        # 00:30 on 1 January in the city is still 2024 in UTC: it counts for 2025.
        ach(
            4,
            other,
            date(2025, 1, 1),
            chain_a,
            status="published",
            published_at=datetime(2024, 12, 31, 16, 30, tzinfo=UTC),
            source_channel="broker",
        ),
        ach(
            5,
            school,
            date(2024, 6, 1),
            chain_a,
            status="published",
            published_at=at(date(2024, 6, 2)),
            source_channel="self",
        ),
        ach(
            6,
            school,
            date(2025, 5, 5),
            chain_b,
            status="withdrawn",
            published_at=at(date(2025, 5, 6)),
            source_channel="import",
        ),
    ]
    db.add_all(achievements)

    def dem(
        n: int,
        org: Organization,
        chain: IndustryChain | None,
        status: str,
        published: date | None,
        list_type: str = "enterprise",
    ) -> Demand:
        return Demand(
            title=f"看板榜单{n}",
            problem="用于看板检验的技术需求描述文字。",
            organization_id=org.id,
            chain_id=chain.id if chain else None,
            status=status,
            list_type=list_type,
            published_at=at(published) if published else None,
            created_at=at(date(2024, 12, 1)),
        )

    demands = [
        dem(1, firm, chain_a, "awarded", date(2025, 1, 20)),
        dem(2, firm, chain_b, "published", date(2025, 3, 8), "government"),
        dem(3, other, chain_a, "published", date(2025, 4, 2)),
        dem(4, firm, None, "draft", None),
        dem(5, firm, chain_a, "published", date(2024, 11, 11)),
    ]
    db.add_all(demands)
    db.flush()
    brokers = [
        Broker(name="王经纪", created_at=at(date(2024, 1, 1))),
        Broker(name="李经纪", created_at=at(date(2024, 1, 1))),
    ]
    db.add_all(brokers)
    db.flush()
    matches = [
        Match(
            source_kind="demand",
            source_id=demands[0].id,
            target_kind="achievement",
            target_id=achievements[0].id,
            score=0.9,
        ),
        Match(
            source_kind="achievement",
            source_id=achievements[1].id,
            target_kind="demand",
            target_id=demands[1].id,
            score=0.8,
        ),
    ]
    db.add_all(matches)
    db.flush()
    deals = [
        Deal(
            title="甲链对接",
            demand_id=demands[0].id,
            match_id=matches[0].id,
            broker_id=brokers[0].id,
            seller_id=school.id,
            buyer_id=firm.id,
            stage="signed",
            created_at=at(date(2025, 1, 25)),
        ),
        Deal(
            title="乙链对接",
            demand_id=demands[1].id,
            broker_id=brokers[1].id,
            seller_id=school.id,
            buyer_id=firm.id,
            stage="contacted",
            created_at=at(date(2025, 3, 10)),
        ),
        Deal(
            title="成果直连",
            achievement_id=achievements[1].id,
            seller_id=school.id,
            buyer_id=other.id,
            stage="recommended",
            created_at=at(date(2025, 2, 20)),
        ),
        Deal(
            title="去年对接",
            demand_id=demands[4].id,
            broker_id=brokers[0].id,
            buyer_id=firm.id,
            stage="signed",
            created_at=at(date(2024, 11, 20)),
        ),
        Deal(
            title="甲链二期对接",
            demand_id=demands[0].id,
            broker_id=brokers[0].id,
            seller_id=school.id,
            buyer_id=firm.id,
            stage="signed",
            created_at=at(date(2025, 6, 1)),
        ),
    ]
    db.add_all(deals)
    db.flush()
    contracts = [
        Contract(
            title="甲链合同",
            deal_id=deals[0].id,
            amount=Decimal("300000"),
            signed_on=date(2025, 2, 1),
            seller_id=school.id,
            buyer_id=firm.id,
        ),
        Contract(
            title="甲链二期",
            deal_id=deals[4].id,
            amount=Decimal("150000.50"),
            signed_on=date(2025, 6, 30),
            seller_id=school.id,
            buyer_id=firm.id,
        ),
        Contract(
            title="无对接合同",
            amount=Decimal("80000"),
            signed_on=date(2025, 4, 4),
            seller_id=school.id,
            buyer_id=other.id,
        ),
        Contract(
            title="去年合同",
            deal_id=deals[3].id,
            amount=Decimal("500000"),
            signed_on=date(2024, 12, 5),
            buyer_id=firm.id,
        ),
    ]
    db.add_all(contracts)
    events = [
        Event(
            kind="roadshow",
            title="看板路演",
            starts_at=at(date(2025, 3, 15), 14),
            status="held",
            chain_id=chain_a.id,
            organizer_id=school.id,
        ),
        Event(
            kind="roadshow",
            title="看板计划路演",
            starts_at=at(date(2025, 9, 15), 14),
            status="planned",
        ),
    ]
    db.add_all(events)
    db.flush()
    entries = [EventEntry(event_id=events[0].id, achievement_id=achievements[0].id)]
    db.add_all(entries)
    db.commit()
    return World(
        chain_a,
        chain_b,
        school,
        firm,
        other,
        achievements,
        demands,
        deals,
        contracts,
        brokers,
        matches,
        entries,
        events,
    )


# --- what the test expects, counted from its own rows -----------------------------------------


def _in(day: date | None, start: date, end: date) -> bool:
    return day is not None and start <= day <= end


def _deal_chain(w: World, deal: Deal) -> int | None:
    by_id = {d.id: d for d in w.demands}
    if deal.demand_id and by_id[deal.demand_id].chain_id:
        return by_id[deal.demand_id].chain_id
    ach = {a.id: a for a in w.achievements}
    return ach[deal.achievement_id].chain_id if deal.achievement_id else None


def _channel(deal: Deal | None) -> str:
    if deal is None:
        return "direct"
    if deal.match_id:
        return "suggestion"
    return "broker" if deal.broker_id else "direct"


def expected(w: World, start: date, end: date, chain: int | None = None) -> dict[str, Any]:
    """Every headline figure for the period, with breakdowns, from the test's own rows."""
    deals = {d.id: d for d in w.deals}
    demands = {d.id: d for d in w.demands}

    def on_chain(c: int | None) -> bool:
        return chain is None or c == chain

    out: dict[str, Any] = defaultdict(Counter)
    for a in w.achievements:
        if _in(local_day(a.created_at), start, end) and on_chain(a.chain_id):
            out["achievements_collected"][""] += 1
            out["achievements_collected"][a.source_channel] += 1
        if (
            a.status == "published"
            and _in(local_day(a.published_at), start, end)
            and on_chain(a.chain_id)
        ):
            out["achievements_published"][""] += 1
    for d in w.demands:
        if (
            d.status in ("published", "closed", "awarded")
            and _in(local_day(d.published_at), start, end)
            and on_chain(d.chain_id)
        ):
            out["demands_published"][""] += 1
    first: dict[int, date] = {}
    for c in w.contracts:
        deal = deals.get(c.deal_id) if c.deal_id else None
        if deal and deal.demand_id:
            first[deal.demand_id] = min(first.get(deal.demand_id, c.signed_on), c.signed_on)
    for demand_id, day in first.items():
        if _in(day, start, end) and on_chain(demands[demand_id].chain_id):
            out["demands_signed"][""] += 1
    for c in w.contracts:
        deal = deals.get(c.deal_id) if c.deal_id else None
        c_chain = _deal_chain(w, deal) if deal else None
        if not _in(c.signed_on, start, end) or not on_chain(c_chain):
            continue
        out["contracts_signed"][""] += 1
        out["contract_value"][""] += c.amount
        out["contract_value"][_channel(deal)] += c.amount
        if deal and deal.demand_id:
            out["demands_signed_value"][""] += c.amount
    for deal in w.deals:
        if _in(local_day(deal.created_at), start, end) and on_chain(_deal_chain(w, deal)):
            out["deals_created"][""] += 1
            out["deals_created"][_channel(deal)] += 1
    for e in w.events:
        if (
            e.status in ("held", "closed")
            and _in(local_day(e.starts_at), start, end)
            and on_chain(e.chain_id)
        ):
            out["events_held"][""] += 1
    return out


def _values(html: str, attribute: str) -> dict[str, Decimal]:
    """The data-value of every element carrying attribute, keyed by that attribute's value."""
    found = {}
    for tag in re.findall(r"<a [^>]*>", html):
        key = re.search(rf'{attribute}="([^"]*)"', tag)
        value = re.search(r'data-value="([^"]*)"', tag)
        if key and value:
            found[key.group(1)] = Decimal(value.group(1))
    return found


def _links(html: str) -> list[tuple[str, Decimal]]:
    """Every drill-down link on the page with the number it shows."""
    out = []
    for tag in re.findall(r"<a [^>]*>", html):
        href = re.search(r'href="(/dashboard/records\?[^"]*)"', tag)
        value = re.search(r'data-value="([^"]*)"', tag)
        if href and value:
            out.append((unescape(href.group(1)), Decimal(value.group(1))))
    return out


def _list_total(client: TestClient, url: str) -> Decimal:
    """What a drill-down list totals: its sum for an amount, else its count of records."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.text[:500])
    total = re.search(r'data-total="([^"]*)"', page.text)
    if total:
        return Decimal(total.group(1))
    count = re.search(r'data-count="(\d+)"', page.text)
    assert count, url
    rows = page.text.count("<tr data-id=")
    assert rows == min(int(count.group(1)), 100), url  # the rows listed are the rows counted
    return Decimal(count.group(1))


@pytest.fixture
def world(db: Session, factory: Factory, db_url: str) -> World:
    built = _build(db, factory)
    # Summarise every day the rows touch (the days their changes marked), as the job would.
    assert freshness.process(db, limit=None) >= 20
    return built


def _office(client: TestClient, factory: Factory) -> User:
    user = factory.user("office")
    login(client, user)
    return user


def test_dashboard_numbers_equal_the_rows(
    client: TestClient, db: Session, factory: Factory, world: World
) -> None:
    _office(client, factory)
    html = client.get("/dashboard", params={"period": "year", "year": YEAR}).text
    want = expected(world, date(YEAR, 1, 1), date(YEAR, 12, 31))
    before = expected(world, date(YEAR - 1, 1, 1), date(YEAR - 1, 12, 31))
    shown = _values(html, "data-headline")
    previous = _values(html, "data-previous")
    for key in (
        "achievements_collected",
        "achievements_published",
        "demands_published",
        "demands_signed",
        "demands_signed_value",
        "deals_created",
        "contracts_signed",
        "contract_value",
        "events_held",
    ):
        assert shown[key] == Decimal(want[key][""]), key
        assert previous[key] == Decimal(before[key][""]), key
    # Known by hand too, so the independent count cannot drift with the service.
    assert shown["achievements_published"] == 3  # 1, 2 and the new-year's-eve-UTC one
    assert shown["contract_value"] == Decimal("530000.50")
    assert previous["contract_value"] == Decimal("500000")
    assert "增长 6.0%" in html  # contract value 530000.50 against 500000

    # Channels, from the same rows.
    for key in ("achievements_collected", "deals_created", "contract_value"):
        section = html.split(f'data-channels="{key}"')[1].split("</table>")[0]
        got = _values(section, "data-channel")
        assert got == {k: Decimal(v) for k, v in want[key].items() if k}, key

    # Per chain, and with the chain filter.
    for chain in (world.chain_a, world.chain_b):
        per = expected(world, date(YEAR, 1, 1), date(YEAR, 12, 31), chain.id)
        row = html.split(f'data-chain="{chain.id}" data-figure="achievements_published"')[1]
        assert (
            Decimal(re.search(r'data-value="([^"]*)"', row).group(1))
            == per["achievements_published"][""]
        )
        filtered = client.get(
            "/dashboard", params={"period": "year", "year": YEAR, "chain": chain.id}
        ).text
        got = _values(filtered, "data-headline")
        for key in (
            "achievements_published",
            "demands_published",
            "deals_created",
            "contract_value",
        ):
            assert got[key] == Decimal(per[key][""]), (chain.name, key)

    # Monthly trend: the months of the year, each from the rows.
    for month in range(1, 13):
        start = date(YEAR, month, 1)
        end = (date(YEAR, month + 1, 1) if month < 12 else date(YEAR + 1, 1, 1)) - timedelta(1)
        per = expected(world, start, end)
        cell = re.search(
            rf'data-trend="deals_created" data-month="{YEAR}-{month:02d}" data-value="([^"]*)"',
            html,
        )
        assert cell and Decimal(cell.group(1)) == per["deals_created"][""], month

    # Funnels: demands published in the year → suggested → contacted → signed.
    demand_funnel = html.split('id="funnel-demand"')[1].split("</table>")[0]
    steps = [Decimal(v) for v in re.findall(r'data-value="([^"]*)"', demand_funnel)]
    assert steps == [3, 2, 2, 1]  # 1 (match, deal signed), 2 (match, contacted), 3 (nothing)
    ach_funnel = html.split('id="funnel-achievement"')[1].split("</table>")[0]
    assert [Decimal(v) for v in re.findall(r'data-value="([^"]*)"', ach_funnel)] == [3, 1, 1]

    # Top brokers: 王经纪 signed 450,000.50 this year; 李经纪 opened one deal and signed none.
    brokers = html.split('id="brokers"')[1].split("</table>")[0]
    assert brokers.index("王经纪") < brokers.index("李经纪")


def test_every_number_links_to_as_many_records(
    client: TestClient, factory: Factory, world: World
) -> None:
    _office(client, factory)
    for params in (
        {"period": "year", "year": YEAR},
        {"period": "quarter", "year": YEAR, "number": 1, "chain": world.chain_a.id},
    ):
        html = client.get("/dashboard", params=params).text
        links = _links(html)
        assert len(links) > 60, len(links)
        for checked, (url, value) in enumerate(links):
            if value or checked % 5 == 0:  # every non-zero number, and a sample of zeros
                assert _list_total(client, url) == value, url
    # A drill-down list shows the records themselves, linked to their pages.
    page = client.get(
        "/dashboard/records",
        params={"figure": "achievements_published", "start": "2025-01-01", "end": "2025-12-31"},
    ).text
    assert f'href="/achievements/{world.achievements[3].id}"' in page
    assert "看板成果5" not in page  # published in 2024


def test_other_roles_see_their_own_unit(
    client: TestClient, db: Session, factory: Factory, world: World
) -> None:
    teacher = factory.user("university", world.school)
    login(client, teacher)
    html = client.get("/dashboard", params={"period": "year", "year": YEAR}).text
    assert "看板大学" in html
    shown = _values(html, "data-headline")
    own = [a for a in world.achievements if a.organization_id == world.school.id]
    assert shown["achievements_collected"] == sum(
        1 for a in own if local_day(a.created_at).year == YEAR
    )
    assert shown["achievements_published"] == 2  # 1 and 2; 4 is another unit's
    # The school is party to three contracts this year (not last year's).
    assert shown["contracts_signed"] == 3
    assert shown["contract_value"] == Decimal("530000.50")
    for url, value in _links(html):
        if value:
            assert _list_total(client, url) == value, url
    # Another unit's records never appear in the school's lists.
    page = client.get(
        "/dashboard/records",
        params={"figure": "achievements_published", "start": "2025-01-01", "end": "2025-12-31"},
    ).text
    assert "看板成果4" not in page and "看板成果1" in page

    client.post("/logout", data={"csrf_token": client.cookies.get("silian_csrf")})
    buyer = factory.user("enterprise", world.firm)
    login(client, buyer)
    shown = _values(client.get("/dashboard", params={"year": YEAR}).text, "data-headline")
    assert shown["demands_published"] == 2  # 1 and 2 (3 is another unit's, 5 last year)
    assert shown["deals_created"] == 3  # 甲链, 乙链 and 甲链二期 (成果直连 is another buyer's)


def test_visitors_sign_in_and_bad_input_is_refused(client: TestClient, factory: Factory) -> None:
    assert client.get("/dashboard", follow_redirects=False).status_code == 303
    _office(client, factory)
    assert client.get("/dashboard").status_code == 200  # an empty city reads zeros
    bad = client.get(
        "/dashboard/records", params={"figure": "nope", "start": "2025-01-01", "end": "2025-01-31"}
    )
    assert bad.status_code == 422 and "统计口径" in bad.text
    reversed_span = client.get(
        "/dashboard/records",
        params={"figure": "deals_created", "start": "2025-02-01", "end": "2025-01-01"},
    )
    assert reversed_span.status_code == 422
    assert client.get("/dashboard", params={"period": "week"}).status_code == 422


def test_a_committed_change_reaches_the_dashboard(
    client: TestClient, db: Session, factory: Factory, world: World, db_url: str
) -> None:
    _office(client, factory)
    params = {"period": "year", "year": YEAR}

    def shown() -> dict[str, Decimal]:
        return _values(client.get("/dashboard", params=params).text, "data-headline")

    start = shown()
    assert db.scalar(select(func.count(FigureDirtyDay.id))) == 0  # the job left none

    # Publication moves from 12 January 2025 to 3 March 2024: both days change.
    moved = db.get(Achievement, world.achievements[0].id)
    assert moved is not None
    moved.published_at = at(date(2024, 3, 3))
    db.commit()
    marked = set(db.scalars(select(FigureDirtyDay.day)))
    assert {date(2025, 1, 12), date(2024, 3, 3), date(2025, 1, 10)} <= marked
    after = shown()
    assert after["achievements_published"] == start["achievements_published"] - 1
    assert db.scalar(select(func.count(FigureDirtyDay.id))) == 0

    # A new contract signed on a deal of chain A.
    db.add(
        Contract(
            title="新签合同",
            deal_id=world.deals[1].id,
            amount=Decimal("20000"),
            signed_on=date(2025, 7, 7),
        )
    )
    db.commit()
    after = shown()
    assert after["contracts_signed"] == start["contracts_signed"] + 1
    assert after["contract_value"] == start["contract_value"] + 20000
    assert after["demands_signed"] == start["demands_signed"] + 1  # demand 2's first contract

    # A change rolled back leaves no marker and no change.
    waiting = db.scalar(select(func.count(FigureDirtyDay.id)))  # outside the page's days
    db.add(
        Achievement(
            title="回滚成果",
            summary="不会保存的成果。",
            organization_id=world.school.id,
            status="published",
            created_at=at(date(2025, 8, 8)),
            published_at=at(date(2025, 8, 8)),
        )
    )
    db.flush()
    db.rollback()
    assert db.scalar(select(func.count(FigureDirtyDay.id))) == waiting
    assert shown()["achievements_collected"] == after["achievements_collected"]

    # What the dashboard shows after changes equals a full recomputation by the job.
    jobs.refresh(session_factory(db_url), date(2025, 1, 1), date(2025, 7, 31))
    assert shown() == after
    want = expected(world_after(db, world), date(YEAR, 1, 1), date(YEAR, 12, 31))
    assert after["contract_value"] == want["contract_value"][""]


def world_after(db: Session, w: World) -> World:
    """The world's rows as they are now in the database."""
    return World(
        w.chain_a,
        w.chain_b,
        w.school,
        w.firm,
        w.other,
        list(db.scalars(select(Achievement))),
        list(db.scalars(select(Demand))),
        list(db.scalars(select(Deal))),
        list(db.scalars(select(Contract))),
        w.brokers,
        w.matches,
        w.entries,
        list(db.scalars(select(Event))),
    )


def test_office_desk_flags_overdue_tasks_and_offers_the_briefing(
    client: TestClient, factory: Factory
) -> None:
    office = factory.user("office")
    decision = factory.decision(factory.meeting())
    today = clock.today()
    factory.task(decision, office, title="逾期的督办任务", due_date=today - timedelta(days=3))
    factory.task(decision, office, title="未到期的督办任务", due_date=today + timedelta(days=3))
    late = today - timedelta(days=3)
    factory.task(decision, office, title="已办结的督办任务", due_date=late, status="done")
    login(client, office)
    page = client.get("/dashboard?period=quarter&year=2026&number=2").text
    desk = page.split('id="overdue-tasks"', 1)[1].split("</section>", 1)[0]
    assert "逾期的督办任务" in desk
    assert "未到期的督办任务" not in desk and "已办结的督办任务" not in desk
    assert "/briefing/quarterly?year=2026&quarter=2&format=docx" in unescape(page)

    other = TestClient(client.app)
    login(other, factory.user("enterprise"))
    own = other.get("/dashboard").text
    assert 'id="overdue-tasks"' not in own and "/briefing/quarterly" not in own
