"""Demands end to end: posting, review, publication and confidentiality."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.demands.models import Demand
from tests.support import Factory, api_headers, csrf, if_match, login

VALID = {
    "title": "反渗透膜污染控制技术需求",
    "problem": "我们的海水淡化装置反渗透膜清洗周期太短，希望找到延长清洗周期的技术方案。",
    "budget": "500000",
    "wanted_trl": "6",
    "keywords": "反渗透,膜污染",
}
SECRET = "核心工艺参数为每小时处理量八百吨"


def test_enterprise_posts_office_approves_public_sees(
    client: TestClient, factory: Factory, db: Session
) -> None:
    ent = factory.user("enterprise")
    office = factory.user("office")
    login(client, ent)
    response = client.post(
        "/demands/new",
        data=VALID | {"csrf_token": csrf(client), "submit_now": "1"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    demand = db.scalars(select(Demand)).one()
    assert demand.status == "submitted"
    assert TestClient(client.app).get("/demands").text.count(VALID["title"]) == 0

    login(client, office)
    assert VALID["title"] in client.get("/review").text
    client.post(f"/demands/{demand.id}/approve", data={"csrf_token": csrf(client)})
    db.refresh(demand)
    assert demand.status == "published"
    assert VALID["title"] in TestClient(client.app).get("/demands").text


def test_confidential_details_hidden_from_other_enterprises(
    client: TestClient, factory: Factory
) -> None:
    owner = factory.user("enterprise")
    rival = factory.user("enterprise")
    broker = factory.user("broker")
    office = factory.user("office")
    h_owner = api_headers(client, owner)
    body = VALID | {
        "problem": VALID["problem"] + SECRET,
        "confidentiality": "confidential",
        "public_summary": "海水淡化膜污染控制方向的技术需求，详情签署保密协议后提供。",
    }
    created = client.post("/api/v1/demands", headers=h_owner, json=body)
    assert created.status_code == 201, created.text
    did = created.json()["id"]
    client.post(f"/api/v1/demands/{did}/submit", headers=h_owner)
    client.post(f"/api/v1/demands/{did}/approve", headers=api_headers(client, office))

    rival_view = client.get(f"/api/v1/demands/{did}", headers=api_headers(client, rival)).json()
    assert rival_view["problem"] is None and rival_view["details_visible"] is False
    assert SECRET not in TestClient(client.app).get(f"/demands/{did}").text
    login(client, rival)
    assert SECRET not in client.get(f"/demands/{did}").text
    assert SECRET not in client.get("/demands?q=八百吨").text
    broker_view = client.get(f"/api/v1/demands/{did}", headers=api_headers(client, broker)).json()
    assert SECRET in broker_view["problem"]
    owner_view = client.get(f"/api/v1/demands/{did}", headers=h_owner).json()
    assert SECRET in owner_view["problem"]


def test_drafts_of_other_enterprises_are_invisible(client: TestClient, factory: Factory) -> None:
    owner = api_headers(client, factory.user("enterprise"))
    rival = api_headers(client, factory.user("enterprise"))
    did = client.post("/api/v1/demands", headers=owner, json=VALID).json()["id"]
    assert client.get(f"/api/v1/demands/{did}", headers=rival).status_code == 404
    assert client.get("/api/v1/demands", headers=rival).json()["total"] == 0
    assert client.put(f"/api/v1/demands/{did}", headers=rival, json=VALID).status_code == 404


def test_confidential_demand_needs_public_summary(client: TestClient, factory: Factory) -> None:
    headers = api_headers(client, factory.user("enterprise"))
    response = client.post(
        "/api/v1/demands", headers=headers, json=VALID | {"confidentiality": "confidential"}
    )
    assert response.status_code == 422
    assert "公开摘要" in response.text


def test_enterprise_cannot_post_government_list(client: TestClient, factory: Factory) -> None:
    headers = api_headers(client, factory.user("enterprise"))
    response = client.post(
        "/api/v1/demands", headers=headers, json=VALID | {"list_type": "government"}
    )
    assert response.status_code == 422
    assert response.json()["errors"]["list_type"]


def test_owner_edit_of_published_demand_goes_back_to_review(
    client: TestClient, factory: Factory
) -> None:
    owner = api_headers(client, factory.user("enterprise"))
    office = api_headers(client, factory.user("office"))
    did = client.post("/api/v1/demands", headers=owner, json=VALID).json()["id"]
    client.post(f"/api/v1/demands/{did}/submit", headers=owner)
    client.post(f"/api/v1/demands/{did}/approve", headers=office)
    url = f"/api/v1/demands/{did}"
    edited = client.put(
        url, headers=if_match(client, url, owner), json=VALID | {"title": "新标题需求"}
    )
    assert edited.json()["status"] == "submitted"
