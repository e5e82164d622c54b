"""Investment-project pages and REST (SQLite and PostgreSQL): CRUD with If-Match, the forecast,
linking named classes, permissions."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.core import clock
from silian.core.audit import AuditLog
from silian.education.models import NamedClass
from tests.support import Factory, api_headers, csrf, login

YEAR = clock.today().year + 2


def _body(**kw: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": "智能控制装备产业园",
        "opening_date": f"{YEAR}-09-01",
        "investment": "3亿",
        "talent_needs": [{"major": "智能控制技术", "year": YEAR, "count": 40}],
        "status": "signed",
    }
    return body | kw


def test_api_create_get_update_with_if_match(client: TestClient, factory: Factory) -> None:
    """Office creates, reads (ETag) and replaces with If-Match; a stale tag is refused."""
    office = api_headers(client, factory.user("office"))
    created = client.post("/api/v1/investment-projects", json=_body(), headers=office)
    assert created.status_code == 201, created.text
    data = created.json()
    assert data["talent_needs"] == [
        {"major": "智能控制技术", "code": "", "year": YEAR, "count": 40}
    ]
    assert data["at_risk"] is True  # no class, no city graduates
    got = client.get(f"/api/v1/investment-projects/{data['id']}", headers=office)
    tag = got.headers["etag"]
    body = _body(talent_needs=[{"major": "智能控制技术", "year": YEAR, "count": 10}])
    put = client.put(
        f"/api/v1/investment-projects/{data['id']}", json=body, headers=office | {"If-Match": tag}
    )
    assert put.status_code == 200, put.text
    assert put.json()["talent_needs"][0]["count"] == 10
    stale = client.put(
        f"/api/v1/investment-projects/{data['id']}", json=body, headers=office | {"If-Match": tag}
    )
    assert stale.status_code == 412
    listed = client.get("/api/v1/investment-projects").json()
    assert listed["total"] == 1


def test_api_refuses_malformed_needs_naming_row_and_column(
    client: TestClient, factory: Factory, db: Session
) -> None:
    """A bad needs table is a 422 naming the row and column; nothing is written."""
    office = api_headers(client, factory.user("office"))
    needs = [
        {"major": "智能控制技术", "year": YEAR, "count": 4},
        {"major": "软件技术", "year": YEAR, "count": 2},
        {"major": "焊接技术与自动化", "year": YEAR, "count": 0},
    ]
    response = client.post(
        "/api/v1/investment-projects", json=_body(talent_needs=needs), headers=office
    )
    assert response.status_code == 422
    assert "第 3 行「人数」应为正整数" in response.text
    assert client.get("/api/v1/investment-projects").json()["total"] == 0


def test_unknown_catalogue_code_is_refused_and_known_code_named(
    client: TestClient, factory: Factory
) -> None:
    """A code fills the name from the catalogue; a code the catalogue lacks is refused."""
    factory.major("智能控制技术", level="vocational", code="460303")
    office = api_headers(client, factory.user("office"))
    ok = client.post(
        "/api/v1/investment-projects",
        json=_body(talent_needs=[{"code": "460303", "year": YEAR, "count": 3}]),
        headers=office,
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["talent_needs"][0]["major"] == "智能控制技术"
    bad = client.post(
        "/api/v1/investment-projects",
        json=_body(name="另一个项目", talent_needs=[{"code": "999999", "year": YEAR, "count": 3}]),
        headers=office,
    )
    assert bad.status_code == 422
    assert "第 1 行「专业」代码“999999”不在专业目录中" in bad.text


def test_only_the_office_creates(client: TestClient, factory: Factory) -> None:
    """Enterprises may not record projects; visitors must sign in."""
    ent = api_headers(client, factory.user("enterprise"))
    assert client.post("/api/v1/investment-projects", json=_body(), headers=ent).status_code == 403
    assert client.post("/api/v1/investment-projects", json=_body()).status_code == 401


def test_forecast_gap_closed_by_linking_a_class(
    client: TestClient, factory: Factory, db: Session
) -> None:
    """Need 40; city grads 100/yr × 10 % × 70 % fall short; linking a class of 30 closes it.

    Window this year … opening year (3 years of 100 graduates): (0 + 300 × 0.1) × 0.7 = 21 < 40;
    with the class: (30 + 30) × 0.7 = 42 ≥ 40.
    """
    major = factory.major("智能控制技术", level="vocational", code="460303")
    factory.offering(major=major, yearly_intake=100, duration_years=3, first_year=2000)
    project = factory.investment_project()
    klass = factory.named_class()
    office_user = factory.user("office")
    office = api_headers(client, office_user)
    before = client.get(f"/api/v1/investment-projects/{project.id}/forecast").json()
    assert before["at_risk"] is True
    assert before["majors"][0]["city_graduates"] == 300
    assert before["majors"][0]["expected_arrivals"] == 21.0
    assert before["gap"] == 19
    linked = client.post(
        f"/api/v1/investment-projects/{project.id}/classes",
        json={"class_id": klass.id},
        headers=office,
    )
    assert linked.status_code == 200, linked.text
    assert linked.json()["linked_class_ids"] == [klass.id]
    after = client.get(f"/api/v1/investment-projects/{project.id}/forecast").json()
    assert after["at_risk"] is False and after["expected_arrivals"] == 42.0
    db.expire_all()
    assert db.get(NamedClass, klass.id).investment_project_id == project.id
    assert db.scalar(
        select(AuditLog).where(
            AuditLog.entity_type == "named_classes", AuditLog.entity_id == klass.id
        )
    )
    unlinked = client.delete(
        f"/api/v1/investment-projects/{project.id}/classes/{klass.id}", headers=office
    )
    assert unlinked.status_code == 200 and unlinked.json()["linked_class_ids"] == []
    ent = api_headers(client, factory.user("enterprise"))
    refused = client.post(
        f"/api/v1/investment-projects/{project.id}/classes",
        json={"class_id": klass.id},
        headers=ent,
    )
    assert refused.status_code == 403


def test_pages_list_detail_and_form_editor(client: TestClient, factory: Factory) -> None:
    """The office records a project through the form's rows, sees the risk badge and the
    computation, links a class from the project page, and a bad row is named."""
    project = factory.investment_project(name="海工配套基地")
    klass = factory.named_class(name="海工智能控制冠名班")
    login(client, factory.user("office"))
    listing = client.get("/investment-projects")
    assert "海工配套基地" in listing.text and "有风险" in listing.text
    page = client.get(f"/investment-projects/{project.id}")
    assert "人才到岗有风险" in page.text and "预计到岗 = (0 + 0.0)" in page.text
    assert "海工智能控制冠名班" in page.text  # offered for linking
    linked = client.post(
        f"/investment-projects/{project.id}/classes",
        data={"class_id": klass.id, "csrf_token": csrf(client)},
    )
    assert linked.status_code == 200 and "已对接本项目" in linked.text
    assert "冠名班 <a" in linked.text
    bad = client.post(
        "/investment-projects/new",
        data={
            "csrf_token": csrf(client),
            "name": "新项目",
            "status": "signed",
            "need_major": ["软件技术", "焊接技术与自动化", "电气自动化技术"],
            "need_year": [str(YEAR), str(YEAR), str(YEAR)],
            "need_count": ["5", "3", "abc"],
        },
    )
    assert bad.status_code == 422
    assert "第 3 行「人数」应为正整数" in bad.text
    assert 'value="abc"' in bad.text  # the user's input is kept
    good = client.post(
        "/investment-projects/new",
        data={
            "csrf_token": csrf(client),
            "name": "新项目",
            "status": "signed",
            "opening_date": f"{YEAR}-06-30",
            "need_major": ["软件技术", ""],
            "need_year": [str(YEAR), ""],
            "need_count": ["5", ""],
        },
    )
    assert good.status_code == 200 and "软件技术" in good.text
