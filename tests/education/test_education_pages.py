"""Education chain: overview tabs, detail pages, named-class editing with validation and audit."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.coordination.models import InvestmentProject
from silian.core.audit import AuditLog
from silian.education.models import NamedClass
from tests.chain_world import World, build
from tests.support import Factory, api_headers, csrf, if_match, login

ROLES = ("office", "university", "enterprise", "broker", "expert", "platform")


def _class_form(w: World, **changes: str) -> dict[str, str]:
    return {
        "name": "蓝港海工订单班",
        "university_id": str(w.university.id),
        "enterprise_id": str(w.enterprise.id),
        "major_name": "轮机工程",
        "students": "40",
        "graduation_year": "2027",
    } | changes


def test_overview_tabs_show_real_content(client: TestClient, factory: Factory, db: Session) -> None:
    build(db, factory)
    page = client.get("/education")
    assert page.status_code == 200
    assert "北海重工冠名班" in page.text and "45" in page.text and "2026 届" in page.text
    assert "3000" in page.text  # yearly capacity in the figures
    bases = client.get("/education?tab=bases").text
    assert "海洋装备公共实训基地" in bases and "数控加工" in bases
    consortia = client.get("/education?tab=consortia").text
    assert "海洋装备市域产教联合体" in consortia and "市域产教联合体" in consortia
    assert "2 家" in consortia
    colleges = client.get("/education?tab=colleges").text
    assert "海洋装备现代产业学院" in colleges and "轮机工程" in colleges
    assert "北海重工冠名班" in client.get("/education?tab=nonsense").text


def test_overview_filters(client: TestClient, factory: Factory, db: Session) -> None:
    w = build(db, factory)
    assert "北海重工冠名班" in client.get(f"/education?chain={w.chain.id}").text
    assert "北海重工冠名班" not in client.get(f"/education?chain={w.other_chain.id}").text
    assert "北海重工冠名班" not in client.get("/education?year=2030").text
    assert "北海重工冠名班" in client.get("/education?q=滨海海洋").text
    assert "海洋装备公共实训基地" in client.get("/education?tab=bases&q=数控").text
    assert "海洋装备公共实训基地" not in client.get("/education?tab=bases&q=烹饪").text
    body = client.get(f"/api/v1/education/consortia?org={w.enterprise.id}").json()
    assert [c["name"] for c in body["items"]] == ["海洋装备市域产教联合体"]


def test_detail_pages(client: TestClient, factory: Factory, db: Session) -> None:
    w = build(db, factory)
    project = InvestmentProject(
        name="海工装备总装基地项目",
        chain_id=w.chain.id,
        opening_date=date(2026, 7, 1),
        talent_needs=[{"major": "船舶与海洋工程", "count": 80}],
    )
    db.add(project)
    db.flush()
    w.named_class.investment_project_id = project.id
    db.commit()
    detail = client.get(f"/education/named-classes/{w.named_class.id}")
    assert detail.status_code == 200
    for text in ("北海重工冠名班", "滨海海洋大学", "海工装备总装基地项目", "2026-07-01", "80 人"):
        assert text in detail.text, text
    assert "编辑" not in detail.text
    base = client.get(f"/education/training-bases/{w.base.id}").text
    assert "3000 人次" in base and "40%" in base and "海洋装备产业链" in base
    consortium = client.get(f"/education/consortia/{w.consortium.id}").text
    assert (
        "蓝港海工科技" in consortium and "牵头单位" in consortium and "滨海海洋大学" in consortium
    )
    college = client.get(f"/education/colleges/{w.college.id}").text
    assert "轮机工程" in college and "北海重工集团" in college
    for path in ("named-classes", "training-bases", "consortia", "colleges"):
        assert client.get(f"/education/{path}/9999").status_code == 404
        assert client.get(f"/api/v1/education/{path}/9999").status_code == 404
    api = client.get(f"/api/v1/education/named-classes/{w.named_class.id}").json()
    assert api["investment_project_name"] == "海工装备总装基地项目"
    assert api["enterprise"]["name"] == "北海重工集团"
    members = client.get(f"/api/v1/education/consortia/{w.consortium.id}").json()["members"]
    assert {m["name"] for m in members} == {"北海重工集团", "蓝港海工科技"}
    assert client.get("/api/v1/education/training-bases").json()["total"] == 1
    assert client.get("/api/v1/education/colleges").json()["items"][0]["students"] == 600


def test_office_creates_and_edits_named_class(
    client: TestClient, factory: Factory, db: Session
) -> None:
    w = build(db, factory)
    login(client, factory.user("office"))
    assert "新建冠名班" in client.get("/education").text
    assert client.get("/education/named-classes/new").status_code == 200
    bad = client.post(
        "/education/named-classes/new",
        data=_class_form(
            w, name="北海重工冠名班", enterprise_id="", graduation_year="1990", students="-1"
        )
        | {"csrf_token": csrf(client)},
    )
    assert bad.status_code == 422
    assert "不能小于2000" in bad.text and "必填" in bad.text and "不能小于0" in bad.text
    clash = client.post(
        "/education/named-classes/new",
        data=_class_form(w, name="北海重工冠名班") | {"csrf_token": csrf(client)},
    )
    assert clash.status_code == 422 and "该院校已有同名冠名班" in clash.text
    wrong_kind = client.post(
        "/education/named-classes/new",
        data=_class_form(w, enterprise_id=str(w.university.id)) | {"csrf_token": csrf(client)},
    )
    assert wrong_kind.status_code == 422 and "请选择冠名企业" in wrong_kind.text
    created = client.post(
        "/education/named-classes/new",
        data=_class_form(w) | {"csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert created.status_code == 303
    item = db.scalars(select(NamedClass).where(NamedClass.name == "蓝港海工订单班")).one()
    assert item.students == 40
    assert client.get(f"/education/named-classes/{item.id}/edit").status_code == 200
    client.post(
        f"/education/named-classes/{item.id}/edit",
        data=_class_form(w, students="42") | {"csrf_token": csrf(client)},
    )
    db.refresh(item)
    assert item.students == 42
    rows = list(db.scalars(select(AuditLog).where(AuditLog.entity_type == "named_classes")))
    assert [r.action for r in rows] == ["create", "update"]
    assert rows[1].changes == {"students": [40, 42]}


def test_university_manages_only_its_own_classes(
    client: TestClient, factory: Factory, db: Session
) -> None:
    w = build(db, factory)
    own = factory.user("university", org=w.university)
    headers = api_headers(client, own)
    # The school is taken from the account, whatever the body says.
    other_school = factory.org("university", name="另一所大学")
    body = {
        "name": "蓝港海工订单班",
        "university_id": other_school.id,
        "enterprise_id": w.enterprise.id,
        "major_name": "轮机工程",
        "students": 30,
        "graduation_year": 2027,
    }
    created = client.post("/api/v1/education/named-classes", headers=headers, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["university"]["id"] == w.university.id
    url = f"/api/v1/education/named-classes/{w.named_class.id}"
    edited = client.put(
        url,
        headers=if_match(client, url, headers),
        json=body | {"name": "北海重工冠名班", "enterprise_id": w.leader.id, "students": 50},
    )
    assert edited.status_code == 200 and edited.json()["students"] == 50
    stranger = api_headers(client, factory.user("university"))
    denied = client.put(
        f"/api/v1/education/named-classes/{w.named_class.id}", headers=stranger, json=body
    )
    assert denied.status_code == 403


@pytest.mark.parametrize("role", ("enterprise", "broker", "expert", "platform"))
def test_other_roles_cannot_edit_classes(
    role: str, client: TestClient, factory: Factory, db: Session
) -> None:
    w = build(db, factory)
    user = factory.user(role)
    login(client, user)
    assert "新建冠名班" not in client.get("/education").text
    assert client.get("/education/named-classes/new").status_code == 403
    assert client.get(f"/education/named-classes/{w.named_class.id}/edit").status_code == 403
    post = client.post(
        "/education/named-classes/new", data=_class_form(w) | {"csrf_token": csrf(client)}
    )
    assert post.status_code == 403
    headers = api_headers(client, user)
    body = {
        "name": "越权班",
        "enterprise_id": w.enterprise.id,
        "major_name": "轮机工程",
        "graduation_year": 2027,
    }
    assert (
        client.post("/api/v1/education/named-classes", headers=headers, json=body).status_code
        == 403
    )
    assert db.scalars(select(NamedClass).where(NamedClass.name == "越权班")).first() is None


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_education_pages(
    role: str, client: TestClient, factory: Factory, db: Session
) -> None:
    w = build(db, factory)
    login(client, factory.user(role))
    for path in (
        "/education",
        f"/education/named-classes/{w.named_class.id}",
        f"/education/training-bases/{w.base.id}",
        f"/education/consortia/{w.consortium.id}",
        f"/education/colleges/{w.college.id}",
    ):
        assert client.get(path).status_code == 200, path


def test_anonymous_reads_but_cannot_edit(client: TestClient, factory: Factory, db: Session) -> None:
    w = build(db, factory)
    assert client.get("/education").status_code == 200
    assert client.get(f"/education/named-classes/{w.named_class.id}").status_code == 200
    response = client.get("/education/named-classes/new", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    body = {"name": "匿名班", "enterprise_id": w.enterprise.id, "major_name": "轮机工程"}
    response = client.post("/api/v1/education/named-classes", json=body | {"graduation_year": 2027})
    assert response.status_code == 401
