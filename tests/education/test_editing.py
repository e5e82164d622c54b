"""Editing consortia (member roles), industry colleges, training bases, major offerings and the
majors catalogue's mappings: pages and API, permissions, audit and refused input."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.core.audit import AuditLog
from silian.education.models import MajorChain, MajorOffering, consortium_members
from tests.chain_world import build
from tests.support import (
    Factory,
    api_headers,
    csrf,
    idempotent_post,
    if_match,
    login,
    stale_form,
    versioned_put,
)


def test_office_creates_consortium_with_roles(
    client: TestClient, factory: Factory, db: Session
) -> None:
    w = build(db, factory)
    major = factory.major("船舶与海洋工程")
    office = factory.user("office")
    login(client, office)
    form = {
        "csrf_token": csrf(client),
        "name": "海工装备行业产教融合共同体",
        "kind": "industry",
        "chain_id": str(w.chain.id),
        "lead_organization_id": str(w.university.id),
        "deputy_ids": [str(w.leader.id)],
        "member_ids": [str(w.enterprise.id)],
        "majors": [major.name],
        "programmes": "船舶焊接\n海工运维",
        "yearly_intake": "320",
        "description": "",
    }
    response = client.post("/education/consortia/new", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"]).text
    assert "牵头单位" in page and "副理事长单位" in page and "成员单位" in page
    assert "320 人" in page and "海工运维" in page
    consortium_id = int(response.headers["location"].rsplit("/", 1)[1])
    roles = dict(
        db.execute(
            select(consortium_members.c.organization_id, consortium_members.c.role).where(
                consortium_members.c.consortium_id == consortium_id
            )
        ).all()
    )
    assert roles == {w.university.id: "lead", w.leader.id: "deputy", w.enterprise.id: "member"}
    entry = db.scalars(select(AuditLog).where(AuditLog.entity_type == "consortia")).all()
    assert any("members" in (e.changes or {}) for e in entry)


def test_consortium_bad_input_names_the_field(
    client: TestClient, factory: Factory, db: Session
) -> None:
    w = build(db, factory)
    login(client, factory.user("office"))
    form = {
        "csrf_token": csrf(client),
        "name": "新联合体",
        "kind": "industry",
        "lead_organization_id": "",
        "majors": ["不存在的专业"],
        "yearly_intake": "-5",
    }
    response = client.post("/education/consortia/new", data=form)
    assert response.status_code == 422
    assert "牵头单位" in response.text and "年招生规模" in response.text
    form |= {"lead_organization_id": str(w.university.id), "yearly_intake": "10"}
    response = client.post("/education/consortia/new", data=form)
    assert response.status_code == 422
    assert "专业「不存在的专业」不在专业目录中" in response.text
    assert "新联合体" not in client.get("/education?tab=consortia").text


def test_only_office_edits_consortia(client: TestClient, factory: Factory, db: Session) -> None:
    w = build(db, factory)
    login(client, factory.user("university", w.university))
    assert client.get("/education/consortia/new").status_code == 403
    assert client.get(f"/education/consortia/{w.consortium.id}/edit").status_code == 403
    assert "/edit" not in client.get(f"/education/consortia/{w.consortium.id}").text


def test_consortium_edit_and_api(client: TestClient, factory: Factory, db: Session) -> None:
    w = build(db, factory)
    headers = api_headers(client, factory.user("office"))
    body = {
        "name": w.consortium.name,
        "kind": "city",
        "chain_id": w.chain.id,
        "lead_organization_id": w.leader.id,
        "member_ids": [w.university.id],
        "yearly_intake": 100,
    }
    url = f"/api/v1/education/consortia/{w.consortium.id}"
    response = client.put(url, json=body, headers=if_match(client, url, headers))
    assert response.status_code == 200, response.text
    members = {m["id"]: m["role_label"] for m in response.json()["members"]}
    assert members == {w.leader.id: "牵头单位", w.university.id: "成员单位"}
    body["lead_organization_id"] = 999999
    response = client.put(url, json=body, headers=if_match(client, url, headers))
    assert response.status_code == 422
    assert "牵头单位" in response.json()["errors"]["lead_organization_id"]


def test_college_and_base_editing(client: TestClient, factory: Factory, db: Session) -> None:
    w = build(db, factory)
    factory.major("轮机工程")
    headers = api_headers(client, factory.user("office"))
    college = {
        "name": w.college.name,
        "university_id": w.university.id,
        "chain_id": w.chain.id,
        "partner_names": ["北海重工集团"],
        "majors": ["轮机工程"],
        "students": 500,
        "yearly_intake": 120,
    }
    url = f"/api/v1/education/colleges/{w.college.id}"
    response = client.put(url, json=college, headers=if_match(client, url, headers))
    assert response.status_code == 200, response.text
    assert response.json()["students"] == 500
    base = {
        "name": "新建实训基地",
        "organization_id": w.leader.id,
        "chain_id": w.chain.id,
        "yearly_capacity": 100,
        "trainees_this_year": 150,
        "programmes": ["焊接"],
    }
    response = client.post("/api/v1/education/training-bases", json=base, headers=headers)
    assert response.status_code == 422
    assert "超过年培训能力 100" in response.json()["errors"]["trainees_this_year"]
    base["trainees_this_year"] = 80
    response = client.post("/api/v1/education/training-bases", json=base, headers=headers)
    assert response.status_code == 201, response.text
    enterprise = api_headers(client, factory.user("enterprise", w.enterprise))
    response = client.post("/api/v1/education/training-bases", json=base, headers=enterprise)
    assert response.status_code == 403


def test_university_records_its_own_offerings(
    client: TestClient, factory: Factory, db: Session
) -> None:
    w = build(db, factory)
    other_school = factory.org("university", name="另一所大学")
    major = factory.major("船舶与海洋工程")
    uni = api_headers(client, factory.user("university", w.university))
    body = {
        "university_id": other_school.id,  # ignored: a university records for itself
        "major_id": major.id,
        "chain_id": w.chain.id,
        "yearly_intake": 60,
        "duration_years": 4,
        "first_year": 2022,
    }
    response = client.post("/api/v1/education/offerings", json=body, headers=uni)
    assert response.status_code == 201, response.text
    assert response.json()["university"]["id"] == w.university.id
    again = client.post("/api/v1/education/offerings", json=body, headers=uni)
    assert again.status_code == 422 and "已登记开设" in again.json()["errors"]["major_id"]
    theirs = factory.offering(other_school, factory.major("轮机工程"))
    body["major_id"] = theirs.major_id
    url = f"/api/v1/education/offerings/{theirs.id}"
    response = client.put(url, json=body, headers=if_match(client, url, uni))
    assert response.status_code == 403
    bad = body | {"first_year": 2024, "last_year": 2020, "major_id": factory.major("自动化").id}
    response = client.post("/api/v1/education/offerings", json=bad, headers=uni)
    assert response.status_code == 422
    assert "停招年份不能早于首次招生年份 2024" in response.json()["errors"]["last_year"]
    listing = client.get(f"/education/offerings?org={w.university.id}").text
    assert "船舶与海洋工程" in listing and "新增专业" in listing
    assert db.scalar(select(AuditLog.id).where(AuditLog.entity_type == "major_offerings"))
    login(client, factory.user("university", w.university))
    form = client.get("/education/offerings/new")
    assert form.status_code == 200 and "开设院校：滨海海洋大学" in form.text
    page = client.post(
        "/education/offerings/new",
        data={"csrf_token": csrf(client), "major_id": "", "yearly_intake": "x", "first_year": ""},
    )
    assert page.status_code == 422 and "专业" in page.text and "年招生人数" in page.text
    assert db.scalar(select(MajorOffering.id).where(MajorOffering.yearly_intake == 0)) is None


def test_office_edits_major_mappings(client: TestClient, factory: Factory, db: Session) -> None:
    w = build(db, factory)
    major = factory.major("船舶与海洋工程")
    login(client, factory.user("office"))
    token = csrf(client)
    response = client.post(
        f"/education/majors/{major.id}/edit",
        data={"csrf_token": token, f"weight_{w.chain.id}": "3", f"weight_{w.other_chain.id}": "1"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    rows = {m.chain_id: m.weight for m in db.scalars(select(MajorChain))}
    assert rows == {w.chain.id: 3, w.other_chain.id: 1}
    listing = client.get(f"/education/majors?chain={w.chain.id}").text
    assert "船舶与海洋工程" in listing and "海洋装备产业链（3）" in listing
    bad = client.post(
        f"/education/majors/{major.id}/edit",
        data={"csrf_token": token, f"weight_{w.chain.id}": "11"},
    )
    assert bad.status_code == 422 and "权重应为 1 到 10" in bad.text
    assert {m.chain_id: m.weight for m in db.scalars(select(MajorChain))} == rows
    login(client, factory.user("university", w.university))
    assert client.get(f"/education/majors/{major.id}/edit").status_code == 403


def test_edit_forms_render_for_the_office(
    client: TestClient, factory: Factory, db: Session
) -> None:
    w = build(db, factory)
    major = factory.major("船舶与海洋工程")
    offering = factory.offering(w.university, major, chain_id=w.chain.id, first_year=2024)
    login(client, factory.user("office"))
    pages = {
        "/education/consortia/new": "新建产教联合体",
        f"/education/consortia/{w.consortium.id}/edit": "副理事长单位",
        "/education/colleges/new": "新建现代产业学院",
        f"/education/colleges/{w.college.id}/edit": "年招生规模",
        "/education/training-bases/new": "年培训能力",
        f"/education/training-bases/{w.base.id}/edit": w.base.name,
        "/education/offerings/new": "首次招生年份",
        f"/education/offerings/{offering.id}/edit": "停招年份",
        f"/education/majors/{major.id}/edit": "对应学科",
        "/education/majors": "船舶与海洋工程",
        "/education/offerings": "新增专业",
    }
    for url, text in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.text, url
    assert "新建产教联合体" in client.get("/education?tab=consortia").text
    assert (
        f"/education/consortia/{w.consortium.id}/edit"
        in client.get(f"/education/consortia/{w.consortium.id}").text
    )
    token = csrf(client)
    values = client.get(f"/api/v1/education/colleges/{w.college.id}").json()
    response = client.post(
        f"/education/colleges/{w.college.id}/edit",
        data={
            "csrf_token": token,
            "name": values["name"],
            "university_id": str(w.university.id),
            "chain_id": str(w.chain.id),
            "partner_names": "北海重工集团\n蓝港海工科技",
            "students": "600",
            "yearly_intake": "150",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    detail = client.get(f"/education/colleges/{w.college.id}").text
    assert "150 人" in detail and "蓝港海工科技" in detail


# --- versions: stale saves refused (API 412, forms 409 with the other's change), safe retries --


def _bodies(w: Any, factory: Factory) -> dict[str, tuple[str, int, dict[str, Any], str]]:
    """Per record kind: its API segment, record id, a valid body and a text field to change."""
    offering = factory.offering(w.university, factory.major("轮机工程"), chain_id=w.chain.id)
    return {
        "consortia": (
            "consortia",
            w.consortium.id,
            {"name": w.consortium.name, "kind": "city", "chain_id": w.chain.id,
             "lead_organization_id": w.leader.id, "member_ids": [w.university.id],
             "yearly_intake": 100, "description": "产教联合体简介"},
            "description",
        ),
        "colleges": (
            "colleges",
            w.college.id,
            {"name": w.college.name, "university_id": w.university.id, "chain_id": w.chain.id,
             "partner_names": ["北海重工集团"], "students": 500, "yearly_intake": 120},
            "name",
        ),
        "training-bases": (
            "training-bases",
            w.base.id,
            {"name": w.base.name, "organization_id": w.leader.id, "chain_id": w.chain.id,
             "yearly_capacity": 100, "trainees_this_year": 80, "description": "实训基地简介"},
            "description",
        ),
        "offerings": (
            "offerings",
            offering.id,
            {"university_id": w.university.id, "major_id": offering.major_id,
             "chain_id": w.chain.id, "yearly_intake": 60, "duration_years": 4,
             "first_year": 2022, "note": "开设说明"},
            "note",
        ),
    }  # fmt: skip


KINDS = pytest.mark.parametrize("kind", ["consortia", "colleges", "training-bases", "offerings"])


@KINDS
def test_stale_put_is_refused(client: TestClient, factory: Factory, db: Session, kind: str) -> None:
    """Each education record's PUT names the version it replaces (428 / 412)."""
    w = build(db, factory)
    segment, record_id, body, field = _bodies(w, factory)[kind]
    office = api_headers(client, factory.user("office"))
    versioned_put(client, f"/api/v1/education/{segment}/{record_id}", office, body, field)


def _form(body: dict[str, Any]) -> dict[str, Any]:
    # Lists as the forms post them: multi-selects repeat, text lists are one line each.
    form: dict[str, Any] = {}
    for key, value in body.items():
        if key in ("partner_names", "programmes"):
            form[key] = "\n".join(value)
        elif isinstance(value, list):
            form[key] = [str(v) for v in value]
        else:
            form[key] = "" if value is None else str(value)
    return form


@KINDS
def test_stale_form_keeps_input_and_shows_the_change(
    client: TestClient, factory: Factory, db: Session, kind: str
) -> None:
    """A form loaded before another office saved the record is refused with the user's input,
    the other's change and the new version; saving again overwrites deliberately."""
    w = build(db, factory)
    segment, record_id, body, field = _bodies(w, factory)[kind]
    api = TestClient(client.app)
    other = api_headers(api, factory.user("office"))
    url = f"/api/v1/education/{segment}/{record_id}"

    def meanwhile() -> str:
        theirs = f"他人改过的{field}"
        saved = api.put(url, json=body | {field: theirs}, headers=if_match(api, url, other))
        assert saved.status_code == 200, saved.text
        return theirs

    login(client, factory.user("office"))
    edit = f"/education/{segment}/{record_id}/edit"
    stale_form(client, edit, _form(body), field, meanwhile)
    assert api.get(url).json()[field] == f"{body[field]}（我的）"


@KINDS
def test_create_retried_with_the_same_key_creates_once(
    client: TestClient, factory: Factory, db: Session, kind: str
) -> None:
    """A create retried with its Idempotency-Key answers as the first time; one record."""
    w = build(db, factory)
    segment, _, body, _ = _bodies(w, factory)[kind]
    fresh = {
        "consortia": {"name": "新建的产教联合体"},
        "colleges": {"name": "新建的产业学院"},
        "training-bases": {"name": "新建的实训基地"},
        "offerings": {"major_id": factory.major("自动化").id},
    }[kind]
    office = api_headers(client, factory.user("office"))
    url = f"/api/v1/education/{segment}"
    made = idempotent_post(client, url, office, body | fresh)
    listed = client.get(url, params={"per_page": 100}).json()["items"]
    assert [i["id"] for i in listed].count(made["id"]) == 1
    assert len(listed) == len({i["id"] for i in listed})
    assert client.get(f"{url}/{made['id']}").headers["etag"] == '"1"'


def test_stale_major_mapping(client: TestClient, factory: Factory, db: Session) -> None:
    """The majors' mappings are versioned with the major: PUT 428 / 412, the form 409."""
    w = build(db, factory)
    major = factory.major("船舶与海洋工程")
    office = api_headers(client, factory.user("office"))
    url = f"/api/v1/education/majors/{major.id}/mapping"
    body = {"chain_weights": {str(w.chain.id): 3}}
    assert client.get(url).headers["etag"] == '"1"'
    assert client.put(url, json=body, headers=office).status_code == 428
    saved = client.put(url, json=body, headers=office | {"If-Match": '"1"'})
    assert saved.status_code == 200 and saved.headers["etag"] == '"2"'
    assert saved.json()["chains"] == [{"id": w.chain.id, "name": w.chain.name, "weight": 3}]
    stale = client.put(url, json={"chain_weights": {}}, headers=office | {"If-Match": '"1"'})
    assert stale.status_code == 412
    login(client, factory.user("office"))
    edit = f"/education/majors/{major.id}/edit"
    assert 'name="version" value="2"' in client.get(edit).text
    theirs = {"chain_weights": {str(w.other_chain.id): 5}}
    other = client.put(url, json=theirs, headers=office | {"If-Match": '"2"'})
    assert other.status_code == 200
    mine = {"csrf_token": csrf(client), "version": "2", f"weight_{w.chain.id}": "7"}
    refused = client.post(edit, data=mine)
    assert refused.status_code == 409 and "其他用户修改了这条记录" in refused.text
    assert 'name="version" value="3"' in refused.text and 'value="7"' in refused.text
    assert w.other_chain.name in refused.text
    assert {m.chain_id: m.weight for m in db.scalars(select(MajorChain))} == {w.other_chain.id: 5}
    again = client.post(edit, data=mine | {"version": "3"}, follow_redirects=False)
    assert again.status_code == 303
    db.expire_all()
    assert {m.chain_id: m.weight for m in db.scalars(select(MajorChain))} == {w.chain.id: 7}
