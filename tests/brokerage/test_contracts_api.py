"""Contracts through the API: from an award to acceptance, with milestones, payments, refusals."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from silian.brokerage import service as brokerage
from silian.brokerage.schemas import registration_error
from silian.challenges import service as challenges
from tests.challenges.helpers import BID, SETTINGS, TODAY, Clock, expert, published_demand
from tests.support import Factory, api_headers

CONTRACT: dict[str, Any] = {
    "title": "反渗透膜污染控制技术开发合同",
    "amount": "600000",
    "signed_on": "2026-12-20",
    "registration_no": "2026370200000123",
    "trade_mode": "co_development",
    "broker_fee": "0",
    "milestones": [
        {"name": "中试方案评审", "due_on": "2027-01-31", "amount": "200000"},
        {"name": "中试验收", "due_on": "2027-06-30", "amount": "400000"},
    ],
}


def _awarded(client: TestClient, db: Session, factory: Factory, clock: Clock) -> dict[str, Any]:
    """An awarded enterprise challenge; returns ids and headers of the people involved."""
    poster, office = factory.user("enterprise"), factory.user("office")
    assert poster.organization is not None
    demand = published_demand(db, poster.organization)
    item = challenges.create_challenge(db, poster, demand.id, dict(SETTINGS))
    challenges.publish_challenge(db, office, item.id)
    winner = factory.user("university")
    bid = challenges.submit_bid(db, winner, item.id, dict(BID))
    rev_user, rev = expert(db, factory, "陈评审")
    challenges.assign_reviewer(db, office, item.id, {"talent_id": rev.id})
    clock.after_deadline()
    challenges.start_evaluation(db, poster, item.id)
    challenges.declare_conflicts(db, rev_user, item.id, {"bid_ids": []})
    challenges.submit_score(db, rev_user, bid.id, {"scores": {"技术方案": 90, "团队能力": 85}})
    challenges.award(db, office, item.id, {"bid_id": bid.id}, None)
    return {
        "challenge": item.id,
        "bid": bid.id,
        "poster": api_headers(client, poster),
        "office": api_headers(client, office),
        "winner": api_headers(client, winner),
        "outsider": api_headers(client, factory.user("enterprise")),
        "winner_org": winner.organization_id,
        "poster_org": poster.organization_id,
    }


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Both services' clock, movable."""
    c = Clock(monkeypatch)
    monkeypatch.setattr(brokerage, "today", lambda: c.today)
    return c


def test_contract_from_award_to_acceptance(
    client: TestClient, db: Session, factory: Factory, clock: Clock
) -> None:
    w = _awarded(client, db, factory, clock)
    clock.today = date(2026, 12, 21)
    body = CONTRACT | {"challenge_id": w["challenge"]}
    bad = client.post(
        "/api/v1/contracts",
        headers=w["poster"],
        json=body | {"registration_no": "QD-2026-1", "amount": "-1"},
    )
    assert bad.status_code == 422 and "amount" in bad.json()["errors"]
    bad_no = client.post(
        "/api/v1/contracts",
        headers=w["poster"],
        json=body | {"registration_no": "2026990200000123"},
    )
    assert bad_no.status_code == 422 and "行政区划" in str(bad_no.json()["errors"])
    too_much = CONTRACT["milestones"] + [{"name": "尾款", "due_on": "2027-07-31", "amount": "1"}]
    over = client.post(
        "/api/v1/contracts", headers=w["poster"], json=body | {"milestones": too_much}
    )
    assert over.status_code == 422 and "节点金额" in str(over.json()["errors"])
    assert client.post("/api/v1/contracts", headers=w["outsider"], json=body).status_code == 403

    made = client.post("/api/v1/contracts", headers=w["poster"], json=body)
    assert made.status_code == 201, made.text
    contract = made.json()
    assert contract["seller_id"] == w["winner_org"] and contract["buyer_id"] == w["poster_org"]
    assert contract["status"] == "registered" and len(contract["milestones"]) == 2
    assert client.post("/api/v1/contracts", headers=w["poster"], json=body).status_code == 409
    assert client.get(f"/api/v1/challenges/{w['challenge']}").json()["status"] == "contracted"
    cid = contract["id"]
    assert client.get(f"/api/v1/contracts/{cid}", headers=w["winner"]).status_code == 200
    assert client.get(f"/api/v1/contracts/{cid}", headers=w["outsider"]).status_code == 404

    first, second = (m["id"] for m in contract["milestones"])
    early = client.post(f"/api/v1/contracts/{cid}/accept", headers=w["poster"])
    assert early.status_code == 409 and "中试方案评审" in early.json()["detail"]
    no_evidence = client.post(
        f"/api/v1/contracts/{cid}/milestones/{first}/complete",
        headers=w["winner"],
        json={"evidence": ""},
    )
    assert no_evidence.status_code == 422 and "evidence" in no_evidence.json()["errors"]
    done = client.post(
        f"/api/v1/contracts/{cid}/milestones/{first}/complete",
        headers=w["winner"] | {"If-Match": f'"{contract["version"]}"'},
        json={"evidence": "中试方案评审会议纪要"},
    )
    assert done.status_code == 200 and done.json()["status"] == "performing"
    stale = client.post(
        f"/api/v1/contracts/{cid}/payments",
        headers=w["poster"] | {"If-Match": f'"{contract["version"]}"'},
        json={"amount": "200000", "received_on": "2026-12-30"},
    )
    assert stale.status_code == 412
    paid = client.post(
        f"/api/v1/contracts/{cid}/payments",
        headers=w["poster"],
        json={"amount": "200000", "received_on": "2026-12-21"},
    )
    assert float(paid.json()["paid"]) == 200000
    over_paid = client.post(
        f"/api/v1/contracts/{cid}/payments",
        headers=w["poster"],
        json={"amount": "500000", "received_on": "2026-12-21"},
    )
    assert over_paid.status_code == 422
    assert client.get(f"/api/v1/challenges/{w['challenge']}").json()["status"] == "in_progress"
    # Past the second milestone's due date it is flagged overdue.
    clock.today = date(2027, 7, 2)
    view = client.get(f"/api/v1/contracts/{cid}", headers=w["poster"]).json()
    assert [m["overdue"] for m in view["milestones"]] == [False, True]
    client.post(
        f"/api/v1/contracts/{cid}/milestones/{second}/complete",
        headers=w["winner"],
        json={"evidence": "中试验收报告"},
    )
    assert client.post(f"/api/v1/contracts/{cid}/accept", headers=w["winner"]).status_code == 403
    accepted = client.post(f"/api/v1/contracts/{cid}/accept", headers=w["poster"])
    assert accepted.status_code == 200 and accepted.json()["status"] == "done"
    assert accepted.json()["accepted_on"] == "2027-07-02"
    assert client.get(f"/api/v1/challenges/{w['challenge']}").json()["status"] == "accepted"
    assert client.post(f"/api/v1/contracts/{cid}/accept", headers=w["poster"]).status_code == 409


def test_contract_needs_an_award(
    client: TestClient, db: Session, factory: Factory, clock: Clock
) -> None:
    poster = factory.user("enterprise")
    assert poster.organization is not None
    demand = published_demand(db, poster.organization)
    item = challenges.create_challenge(db, poster, demand.id, dict(SETTINGS))
    response = client.post(
        "/api/v1/contracts",
        headers=api_headers(client, poster),
        json=CONTRACT | {"challenge_id": item.id},
    )
    assert response.status_code == 409 and "定榜后" in response.json()["detail"]
    neither = client.post("/api/v1/contracts", headers=api_headers(client, poster), json=CONTRACT)
    assert neither.status_code == 422


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("2026370200000123", True),
        ("2027370200000123", True),  # registered the year after signing
        ("2025370200000123", False),  # before signing
        ("202637020000012", False),  # 15 digits
        ("2026370200000000", False),  # serial 0
        ("2026990200000123", False),  # no province 99
        ("2026-370200-000123", False),
    ],
)
def test_registration_number_format(number: str, ok: bool) -> None:
    assert (registration_error(number, date(2026, 12, 20)) == "") is ok


def test_overdue_is_relative_to_today(monkeypatch: pytest.MonkeyPatch) -> None:
    from silian.brokerage.models import ContractMilestone

    monkeypatch.setattr(brokerage, "today", lambda: TODAY)
    late = ContractMilestone(name="a", due_on=TODAY - timedelta(days=1))
    due_today = ContractMilestone(name="b", due_on=TODAY)
    done = ContractMilestone(name="c", due_on=TODAY - timedelta(days=5), done_on=TODAY)
    assert [brokerage.overdue(m) for m in (late, due_today, done)] == [True, False, False]
