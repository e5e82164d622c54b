"""Deals through the API: from a queued match through the road, refusals and the conflict rule."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.brokerage import service
from silian.brokerage.models import Deal, DealStep
from tests.brokerage.helpers import broker, match, pair
from tests.support import Factory, api_headers, login

TODAY = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, date]:
    """The brokerage service's today, movable through the dict."""
    now = {"today": TODAY}
    monkeypatch.setattr(service, "today", lambda: now["today"])
    return now


def _step(stage: str, note: str = "与双方电话沟通", **kw: Any) -> dict[str, Any]:
    body = {"stage": stage, "note": note, "next_action": "安排技术交流", "next_due": "2026-12-10"}
    return body | kw


def test_broker_takes_a_match_to_signature_and_contract(
    client: TestClient, db: Session, factory: Factory, clock: dict[str, date]
) -> None:
    user, profile = broker(db, factory, "刘经纪")
    buyer, seller = factory.org("enterprise"), factory.org("university")
    demand, achievement = pair(db, buyer, seller)
    m = match(db, demand, achievement, profile.id)
    h = api_headers(client, user)
    queue = client.get("/api/v1/brokerage/queue", headers=h).json()
    assert [row["id"] for row in queue["matches"]] == [m.id]

    opened = client.post(
        "/api/v1/deals",
        headers=h,
        json={
            "match_id": m.id,
            "channel": "marine_market",
            "next_action": "联系企业",
            "next_due": "2026-12-03",
        },
    )
    assert opened.status_code == 201, opened.text
    deal = opened.json()
    assert deal["stage"] == "recommended" and deal["channel"] == "marine_market"
    assert deal["buyer_id"] == buyer.id and deal["seller_id"] == seller.id
    assert (
        client.post(
            "/api/v1/deals",
            headers=h,
            json={"match_id": m.id, "next_action": "再次", "next_due": "2026-12-03"},
        ).status_code
        == 409
    )
    assert client.get("/api/v1/brokerage/queue", headers=h).json()["matches"] == []

    did = deal["id"]
    jump = client.post(f"/api/v1/deals/{did}/steps", headers=h, json=_step("signed"))
    assert jump.status_code == 409 and "可选" in jump.json()["detail"]
    no_next = client.post(
        f"/api/v1/deals/{did}/steps", headers=h, json=_step("contacted", next_action="")
    )
    assert no_next.status_code == 422
    for stage in ("contacted", "negotiating"):
        r = client.post(f"/api/v1/deals/{did}/steps", headers=h, json=_step(stage))
        assert r.status_code == 200 and r.json()["stage"] == stage
    clock["today"] = TODAY + timedelta(days=20)
    signed = client.post(
        f"/api/v1/deals/{did}/steps",
        headers=h,
        json=_step(
            "signed",
            note="双方签署技术许可合同",
            next_action="",
            next_due=None,
            expected_amount="300000",
        ),
    )
    assert signed.status_code == 200, signed.text
    body = signed.json()
    assert body["stage"] == "signed" and body["signed_on"] == "2026-12-21"
    assert [s["stage"] for s in body["steps"]] == [
        "recommended",
        "contacted",
        "negotiating",
        "signed",
    ]
    assert (
        client.post(
            f"/api/v1/deals/{did}/steps", headers=h, json=_step("failed", fail_reason="price")
        ).status_code
        == 409
    )
    contract = client.post(
        "/api/v1/contracts",
        headers=h,
        json={
            "deal_id": did,
            "title": "推进器降噪技术许可合同",
            "amount": "300000",
            "signed_on": "2026-12-21",
            "trade_mode": "license",
            "broker_fee": "15000",
            "milestones": [{"name": "技术资料交付", "due_on": "2027-01-15", "amount": "300000"}],
        },
    )
    assert contract.status_code == 201, contract.text
    assert contract.json()["seller_id"] == seller.id


def test_refusals_failure_reason_and_who_may_advance(
    client: TestClient, db: Session, factory: Factory
) -> None:
    owner_user, owner = broker(db, factory, "甲经纪")
    other_user, _ = broker(db, factory, "乙经纪")
    office = factory.user("office")
    demand, achievement = pair(db, factory.org("enterprise"), factory.org("university"))
    m = match(db, demand, achievement, owner.id)
    h_other = api_headers(client, other_user)
    body = {"match_id": m.id, "next_action": "联系企业", "next_due": "2026-12-03"}
    assert client.post("/api/v1/deals", headers=h_other, json=body).status_code == 403
    assert (
        client.post(
            "/api/v1/deals", headers=api_headers(client, factory.user("enterprise")), json=body
        ).status_code
        == 403
    )
    did = client.post("/api/v1/deals", headers=api_headers(client, owner_user), json=body).json()[
        "id"
    ]
    assert (
        client.post(
            f"/api/v1/deals/{did}/steps", headers=h_other, json=_step("contacted")
        ).status_code
        == 403
    )
    assert client.get(f"/api/v1/deals/{did}", headers=h_other).status_code == 404
    h_office = api_headers(client, office)
    missing = client.post(
        f"/api/v1/deals/{did}/steps", headers=h_office, json=_step("failed", next_action="")
    )
    assert missing.status_code == 422 and "原因" in str(missing.json()["errors"])
    failed = client.post(
        f"/api/v1/deals/{did}/steps",
        headers=h_office,
        json=_step("failed", next_action="", fail_reason="price"),
    )
    assert failed.status_code == 200 and failed.json()["fail_reason"] == "price"
    assert (
        client.post(
            f"/api/v1/deals/{did}/steps", headers=h_office, json=_step("contacted")
        ).status_code
        == 409
    )
    unsigned = client.post(
        "/api/v1/contracts",
        headers=h_office,
        json={
            "deal_id": did,
            "title": "合同",
            "amount": "1",
            "signed_on": "2026-11-30",
            "milestones": [{"name": "交付", "due_on": "2027-01-15", "amount": "1"}],
        },
    )
    assert unsigned.status_code == 409 and "签约后" in unsigned.json()["detail"]


def test_two_brokers_updating_one_deal_the_second_gets_a_conflict(
    client: TestClient, db: Session, factory: Factory
) -> None:
    user, profile = broker(db, factory, "丙经纪")
    office = factory.user("office")
    demand, achievement = pair(db, factory.org("enterprise"), factory.org("university"))
    m = match(db, demand, achievement, profile.id)
    h, h_office = api_headers(client, user), api_headers(client, office)
    deal = client.post(
        "/api/v1/deals",
        headers=h,
        json={"match_id": m.id, "next_action": "联系", "next_due": "2026-12-03"},
    ).json()
    version = f'"{deal["version"]}"'
    first = client.post(
        f"/api/v1/deals/{deal['id']}/steps",
        headers=h | {"If-Match": version},
        json=_step("contacted", note="第一位的记录"),
    )
    assert first.status_code == 200
    second = client.post(
        f"/api/v1/deals/{deal['id']}/steps",
        headers=h_office | {"If-Match": version},
        json=_step("contacted", note="第二位的记录"),
    )
    assert second.status_code == 412 and "他人修改" in second.json()["detail"]
    notes = list(db.scalars(select(DealStep.note).where(DealStep.deal_id == deal["id"])))
    assert "第二位的记录" not in notes and "第一位的记录" in notes


def test_deals_without_activity_are_flagged_stale(
    client: TestClient,
    db: Session,
    factory: Factory,
    clock: dict[str, date],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user, profile = broker(db, factory, "丁经纪")
    demand, achievement = pair(db, factory.org("enterprise"), factory.org("university"))
    m = match(db, demand, achievement, profile.id)
    h = api_headers(client, user)
    did = client.post(
        "/api/v1/deals",
        headers=h,
        json={"match_id": m.id, "next_action": "联系", "next_due": "2026-12-05"},
    ).json()["id"]
    clock["today"] = TODAY + timedelta(days=13)
    queue = client.get("/api/v1/brokerage/queue", headers=h).json()
    assert queue["stale"] == [] and queue["due"] == [did]
    clock["today"] = TODAY + timedelta(days=14)
    assert client.get("/api/v1/brokerage/queue", headers=h).json()["stale"] == [did]
    assert client.get(f"/api/v1/deals/{did}", headers=h).json()["stale"] is True
    monkeypatch.setenv("SILIAN_STALE_DEAL_DAYS", "30")
    assert client.get("/api/v1/brokerage/queue", headers=h).json()["stale"] == []
    deal = db.get(Deal, did)
    assert deal is not None and deal.channel == "broker"


def test_a_deal_page_without_steps_says_so_and_where_to_start(
    client: TestClient, db: Session, factory: Factory
) -> None:
    user, profile = broker(db, factory, "王经纪")
    demand, achievement = pair(db, factory.org("enterprise"), factory.org("university"))
    m = match(db, demand, achievement, profile.id)
    opened = client.post(
        "/api/v1/deals",
        headers=api_headers(client, user),
        json={"match_id": m.id, "next_action": "联系企业", "next_due": "2026-12-03"},
    )
    assert opened.status_code == 201, opened.text
    did = opened.json()["id"]
    db.query(DealStep).filter(DealStep.deal_id == did).delete()
    db.commit()
    login(client, user)
    page = client.get(f"/deals/{did}")
    assert page.status_code == 200
    assert "尚无进展记录，可在下方记录第一步" in page.text
