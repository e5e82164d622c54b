"""Gap detection on a hand-built chain: each rule fires on its records and not on the others,
missing sources are named, and a gap becomes an agenda item in one click."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from silian.achievements.models import Achievement
from silian.brokerage.models import Match
from silian.chains.models import IndustryChain
from silian.coordination.models import InvestmentProject
from silian.core import clock
from silian.core.db import utcnow
from silian.demands.models import Demand
from silian.education.models import NamedClass
from silian.events.models import Event, EventEntry
from silian.insights import gaps
from silian.meetings.models import AgendaItem
from silian.talent.models import TalentNeed
from tests.support import Factory, api_headers, csrf, login


def build(db: Session, factory: Factory) -> dict[str, int]:
    """A chain with one record per rule on each side of its threshold."""
    chain = IndustryChain(code="ic", name="集成电路产业链", sort_order=1)
    db.add(chain)
    db.commit()
    uni = factory.org("university", name="芯港大学")
    ent = factory.org("enterprise", name="芯港半导体")
    ent.chains.append(chain)
    old, fresh = utcnow() - timedelta(days=20), utcnow() - timedelta(days=3)
    dem = {
        name: Demand(
            organization_id=ent.id,
            title=name,
            problem="问题",
            status="published",
            published_at=at,
            chain_id=chain.id,
        )
        for name, at in (("久未匹配需求", old), ("已有好建议需求", old), ("新发布需求", fresh))
    }
    ach = {
        name: Achievement(
            organization_id=uni.id,
            title=name,
            summary="简介",
            status="published",
            published_at=utcnow() - timedelta(days=days),
            chain_id=chain.id,
        )
        for name, days in (("沉睡成果", 120), ("路演过的成果", 120), ("新成果", 10))
    }
    db.add_all([*dem.values(), *ach.values()])
    db.flush()
    db.add(
        Match(
            source_kind="demand",
            source_id=dem["已有好建议需求"].id,
            target_kind="achievement",
            target_id=ach["新成果"].id,
            score=12.0,
        )
    )
    # A weak suggestion (below the threshold) does not clear the first demand.
    db.add(
        Match(
            source_kind="demand",
            source_id=dem["久未匹配需求"].id,
            target_kind="achievement",
            target_id=ach["新成果"].id,
            score=3.0,
        )
    )
    event = Event(
        kind="roadshow", title="芯片路演", status="held", starts_at=utcnow() - timedelta(days=30)
    )
    db.add(event)
    db.flush()
    db.add(EventEntry(event_id=event.id, achievement_id=ach["路演过的成果"].id))
    need = TalentNeed(
        organization_id=ent.id,
        position="工艺工程师",
        headcount=5,
        major="微电子科学与工程",
        chain_id=chain.id,
    )
    project = InvestmentProject(
        name="12英寸晶圆厂",
        chain_id=chain.id,
        organization_id=ent.id,
        opening_date=clock.today() + timedelta(days=100),
        talent_needs=[{"major": "微电子科学与工程", "count": 30}],
    )
    db.add_all([need, project])
    db.flush()
    db.add_all(
        [
            NamedClass(
                name="晶圆冠名班",
                university_id=uni.id,
                enterprise_id=ent.id,
                major_name="微电子科学与工程",
                students=10,
                graduation_year=2027,
                investment_project_id=project.id,
            ),
            NamedClass(
                name="电子商务冠名班",
                university_id=uni.id,
                enterprise_id=ent.id,
                major_name="电子商务",
                students=40,
                graduation_year=2027,
            ),
        ]
    )
    db.commit()
    return {
        "chain": chain.id,
        "demand": dem["久未匹配需求"].id,
        "ach": ach["沉睡成果"].id,
        "project": project.id,
        "need": need.id,
    }


def test_rules_on_a_hand_built_chain(db: Session, factory: Factory) -> None:
    ids = build(db, factory)
    office = factory.user("office")
    found = gaps.visible_gaps(db, office, ids["chain"])[0]
    by_kind = {g.kind: g for g in found.gaps}
    assert set(by_kind) == {
        "unmatched_demands",
        "talent_shortage",
        "project_talent_risk",
        "major_gap",
        "major_surplus",
        "idle_achievements",
    }
    assert [r["id"] for r in by_kind["unmatched_demands"].records] == [ids["demand"]]
    assert [r["id"] for r in by_kind["idle_achievements"].records] == [ids["ach"]]
    assert by_kind["talent_shortage"].size == 5  # 5 wanted, no talents on the chain
    assert by_kind["project_talent_risk"].size == 20  # 30 needed, 10 in the named class
    assert by_kind["project_talent_risk"].records[0]["id"] == ids["project"]
    # 微电子: 30 (project) + 5 (need) wanted, 10 trained; 电子商务: 40 trained, none wanted.
    assert by_kind["major_gap"].size == 25
    assert "电子商务" in by_kind["major_surplus"].detail
    assert found.missing == []


def test_missing_sources_are_named(db: Session, factory: Factory) -> None:
    chain = IndustryChain(code="bio", name="生物医药产业链", sort_order=2)
    db.add(chain)
    db.flush()
    db.add(InvestmentProject(name="未填需求的项目", chain_id=chain.id))
    db.commit()
    found = gaps.chain_gaps(db, factory.user("office"), chain)
    assert found.gaps == []
    assert any("talent_needs" in m for m in found.missing)
    assert any("无法评估专业供需" in m for m in found.missing)


def test_gap_to_agenda_in_one_click(client: TestClient, db: Session, factory: Factory) -> None:
    ids = build(db, factory)
    office = factory.user("office")
    meeting = factory.meeting(held_on=clock.today() + timedelta(days=7))
    login(client, office)
    page = client.get(f"/chains/{ids['chain']}")
    assert "短板预警" in page.text and "列入会商议题" in page.text
    key = f"unmatched_demands:{ids['chain']}"
    done = client.post(
        f"/chains/{ids['chain']}/gaps/agenda",
        data={"csrf_token": csrf(client), "gap": key, "meeting_id": meeting.id},
        follow_redirects=False,
    )
    assert done.status_code == 303
    item = db.query(AgendaItem).one()
    assert item.gap_key == key and item.records[0]["id"] == ids["demand"]
    again = client.post(
        "/api/v1/gaps/agenda",
        headers=api_headers(client, office),
        json={"gap_key": key, "meeting_id": meeting.id},
    )
    assert again.status_code == 409  # one gap is listed once per meeting
    api = client.get(f"/api/v1/gaps?chain={ids['chain']}", headers=api_headers(client, office))
    assert {g["kind"] for g in api.json()[0]["gaps"]} >= {"unmatched_demands", "major_gap"}
    visitor = TestClient(client.app)
    assert "短板预警" not in visitor.get(f"/chains/{ids['chain']}").text
