"""Achievements end to end through the web forms and the REST API."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.achievements.models import Achievement
from silian.core.audit import AuditLog
from tests.support import Factory, api_headers, csrf, login

VALID = {
    "title": "海水淡化反渗透膜抗污染改性技术",
    "summary": "通过表面接枝两性离子聚合物，显著降低反渗透膜的有机污染和生物污染。",
    "keywords": "反渗透膜，抗污染、海水淡化",
    "trl": "5",
    "stage": "small_pilot",
    "ip_type": "invention_patent",
    "transfer_modes": ["license", "transfer"],
    "price": "800000",
}


def test_university_creates_and_office_publishes(
    client: TestClient, factory: Factory, db: Session
) -> None:
    uni = factory.user("university")
    office = factory.user("office")
    login(client, uni)
    response = client.post(
        "/achievements/new",
        data=VALID | {"csrf_token": csrf(client), "submit_now": "1"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    item = db.scalars(select(Achievement)).one()
    assert item.status == "submitted"
    assert item.keywords == ["反渗透膜", "抗污染", "海水淡化"]
    assert item.transfer_modes == ["license", "transfer"]

    anon = TestClient(client.app)
    assert anon.get(f"/achievements/{item.id}").status_code == 404

    headers = api_headers(client, office)
    ok = client.post(f"/api/v1/achievements/{item.id}/approve", headers=headers, json={})
    assert ok.status_code == 200
    assert ok.json()["status"] == "published"
    assert anon.get(f"/achievements/{item.id}").status_code == 200
    listing = anon.get("/achievements?q=反渗透")
    assert VALID["title"] in listing.text
    actions = [
        r.action
        for r in db.scalars(
            select(AuditLog).where(
                AuditLog.entity_id == item.id, AuditLog.entity_type == "achievements"
            )
        )
    ]
    assert actions == ["create", "submit", "approve"]


def test_form_shows_field_messages_and_writes_nothing(
    client: TestClient, factory: Factory, db: Session
) -> None:
    login(client, factory.user("university"))
    bad = VALID | {"title": "", "summary": "短", "trl": "12", "price": "abc"}
    response = client.post("/achievements/new", data=bad | {"csrf_token": csrf(client)})
    assert response.status_code == 422
    text = response.text
    assert "不能大于9" in text
    assert "请填写数字" in text
    assert db.scalar(select(Achievement.id)) is None


def test_return_requires_remarks_and_owner_sees_them(
    client: TestClient, factory: Factory, db: Session
) -> None:
    uni = factory.user("university")
    office = factory.user("office")
    owner = api_headers(client, uni)
    created = client.post("/api/v1/achievements", headers=owner, json=VALID | {"trl": 5})
    assert created.status_code == 201, created.text
    aid = created.json()["id"]
    assert client.post(f"/api/v1/achievements/{aid}/submit", headers=owner).status_code == 200
    reviewer = api_headers(client, office)
    missing = client.post(f"/api/v1/achievements/{aid}/return", headers=reviewer, json={})
    assert missing.status_code == 422
    assert missing.json()["errors"]["remarks"]
    returned = client.post(
        f"/api/v1/achievements/{aid}/return", headers=reviewer, json={"remarks": "请补充技术指标"}
    )
    assert returned.json()["status"] == "returned"
    login(client, uni)
    assert "请补充技术指标" in client.get(f"/achievements/{aid}").text


def test_enterprise_cannot_publish_achievements_or_review(
    client: TestClient, factory: Factory
) -> None:
    ent = factory.user("enterprise")
    headers = api_headers(client, ent)
    assert client.post("/api/v1/achievements", headers=headers, json=VALID).status_code == 403
    uni = api_headers(client, factory.user("university"))
    aid = client.post("/api/v1/achievements", headers=uni, json=VALID).json()["id"]
    client.post(f"/api/v1/achievements/{aid}/submit", headers=uni)
    assert client.post(f"/api/v1/achievements/{aid}/approve", headers=uni).status_code == 403
    # Another unit's draft is invisible, not merely forbidden.
    assert client.get(f"/api/v1/achievements/{aid}", headers=headers).status_code == 404


def test_list_filters_and_pagination(client: TestClient, factory: Factory, db: Session) -> None:
    org = factory.org("university")
    for i in range(25):
        db.add(
            Achievement(
                title=f"成果{i:02d}",
                summary="用于测试分页的成果简介内容",
                organization_id=org.id,
                status="published",
                trl=(i % 9) + 1,
            )
        )
    db.commit()
    first = client.get("/api/v1/achievements?per_page=10").json()
    assert first["total"] == 25 and len(first["items"]) == 10
    high = client.get("/api/v1/achievements?trl_min=8").json()
    assert {i["trl"] for i in high["items"]} <= {8, 9}
    page = client.get("/achievements?page=3")
    assert "第 3 / 2 页" not in page.text and "共 25 条" in page.text


def test_inventors_through_the_api_the_form_and_the_page(
    client: TestClient, factory: Factory, db: Session
) -> None:
    uni = factory.user("university")
    headers = api_headers(client, uni)
    body = VALID | {"inventors": "王海（滨海大学）、李娜"}
    created = client.post("/api/v1/achievements", headers=headers, json=body)
    assert created.status_code == 201, created.text
    expected = [{"name": "王海", "unit": "滨海大学"}, {"name": "李娜"}]
    assert created.json()["inventors"] == expected
    aid = created.json()["id"]
    assert client.get(f"/api/v1/achievements/{aid}", headers=headers).json()["inventors"] == (
        expected
    )
    bad = client.put(
        f"/api/v1/achievements/{aid}", headers=headers, json=VALID | {"inventors": ["王" * 31]}
    )
    assert bad.status_code == 422 and "完成人" in bad.json()["errors"]["inventors"]
    # A share recorded before survives an edit that names the same person.
    item = db.get(Achievement, aid)
    assert item is not None
    item.inventors = [{"name": "王海", "unit": "滨海大学", "share": 70}, {"name": "李娜"}]
    db.commit()

    login(client, uni)
    form = client.get(f"/achievements/{aid}/edit").text
    assert 'value="王海（滨海大学）、李娜"' in form
    page = client.get(f"/achievements/{aid}").text
    assert "<dt>完成人</dt><dd>王海（滨海大学）、李娜</dd>" in page
    edit = VALID | {"inventors": "李娜，王海（滨海大学）、张伟", "csrf_token": csrf(client)}
    edit["version"] = str(item.version)
    response = client.post(f"/achievements/{aid}/edit", data=edit, follow_redirects=False)
    assert response.status_code == 303, response.text
    db.refresh(item)
    assert item.inventors == [
        {"name": "李娜"},
        {"name": "王海", "unit": "滨海大学", "share": 70},
        {"name": "张伟"},
    ]

    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "inventors" in schema["AchievementOut"]["properties"]
    assert schema["Inventor"]["required"] == ["name"]
