"""Suggestions for an event's programme: published achievements fitting its chain's open demands."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from silian.chains.models import IndustryChain
from silian.demands.models import Demand
from tests.support import Factory, api_headers


def test_event_suggests_achievements_for_the_chains_open_demands(
    client: TestClient, db: Session, factory: Factory
) -> None:
    chain = IndustryChain(code="water", name="海水淡化产业链", sort_order=1)
    db.add(chain)
    db.commit()
    ent, uni = factory.org("enterprise"), factory.org("university")
    for title, status in (("反渗透海水淡化膜污染控制", "published"), ("海水淡化草稿需求", "draft")):
        db.add(
            Demand(
                title=title,
                problem="反渗透膜在海水淡化中污染快、清洗频繁，需要抗污染膜材料与清洗工艺。",
                public_summary="反渗透膜抗污染。",
                organization_id=ent.id,
                chain_id=chain.id,
                status=status,
            )
        )
    db.commit()
    fits = factory.achievement(
        uni,
        title="抗污染反渗透膜及其在线清洗工艺",
        summary="一种抗污染反渗透膜材料，用于海水淡化，延长膜清洗周期。",
        keywords=["反渗透膜", "海水淡化", "抗污染"],
    )
    entered = factory.achievement(
        uni,
        title="海水淡化反渗透膜清洗剂",
        summary="用于反渗透膜污染清洗的复配清洗剂，适用于海水淡化装置。",
        keywords=["反渗透膜", "清洗"],
    )
    factory.achievement(uni, title="中药饮片炮制工艺", summary="一种中药饮片的炮制方法。")
    factory.achievement(
        uni, "draft", title="反渗透膜草稿成果", summary="海水淡化反渗透膜抗污染草稿。"
    )
    event = factory.event("roadshow", "open_for_entries", chain_id=chain.id)
    factory.event_entry(event, entered)

    office = api_headers(client, factory.user("office"))
    url = f"/api/v1/events/{event.id}/suggestions"
    assert (
        client.get(url, headers=api_headers(client, factory.user("enterprise"))).status_code == 403
    )
    got = client.get(url, headers=office)
    assert got.status_code == 200, got.text
    items = got.json()
    titles = [i["title"] for i in items]
    assert titles[0] == fits.title
    assert entered.title not in titles and "反渗透膜草稿成果" not in titles
    first = items[0]
    assert [d["title"] for d in first["demands"]] == ["反渗透海水淡化膜污染控制"]
    assert first["reasons"][0].startswith("契合需求“反渗透海水淡化膜污染控制”")
    # Visitors are sent to sign in.
    page = client.get(f"/events/{event.id}/suggestions", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
