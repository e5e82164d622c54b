"""Platforms, services and bookings through /api/v1 and the pages, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from silian.core import clock
from silian.platforms.models import ServiceBooking
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

DAY = clock.today() + timedelta(days=5)


def _world(factory: Factory) -> dict:
    op_org = factory.org("platform", name="海工中试基地运营公司")
    plat = factory.platform(op_org, name="海洋装备中试平台")
    svc = factory.platform_service(plat, name="拖曳水池试验", unit="天", capacity_per_day=1)
    return {
        "platform": plat,
        "service": svc,
        "operator": factory.user("platform", op_org),
        "ent": factory.user("enterprise"),
        "ent2": factory.user("enterprise"),
    }


def _ask(service_id: int, quantity: int = 1) -> dict:
    return {
        "service_id": service_id,
        "start_date": DAY.isoformat(),
        "end_date": DAY.isoformat(),
        "quantity": quantity,
    }


def test_booking_road_through_the_api(client: TestClient, factory: Factory) -> None:
    """Request → approve; a second request for the full day gets 422 naming it; cancel frees
    it; decline needs a reason; complete records actual quantity and fee."""
    w = _world(factory)
    svc_id = w["service"].id
    ent, ent2, op = (api_headers(client, w[k]) for k in ("ent", "ent2", "operator"))
    listed = client.get("/api/v1/platforms").json()
    assert [s["name"] for s in listed[0]["services"]] == ["拖曳水池试验"]
    for bad in (0, -2):
        refused = client.post("/api/v1/bookings", json=_ask(svc_id, bad), headers=ent)
        assert refused.status_code == 422
    made = client.post("/api/v1/bookings", json=_ask(svc_id), headers=ent)
    assert made.status_code == 201, made.text
    booking = made.json()
    assert booking["status"] == "requested" and Decimal(booking["amount"]) == Decimal(1000)
    # The requester may not approve; another enterprise may not even see it.
    assert (
        client.post(f"/api/v1/bookings/{booking['id']}/approve", json={}, headers=ent).status_code
        == 403
    )
    assert client.get(f"/api/v1/bookings/{booking['id']}", headers=ent2).status_code == 404
    approved = client.post(f"/api/v1/bookings/{booking['id']}/approve", json={}, headers=op)
    assert approved.json()["status"] == "approved"
    full = client.post("/api/v1/bookings", json=_ask(svc_id), headers=ent2)
    assert full.status_code == 422
    assert f"{DAY.isoformat()} 已约满" in full.text
    calendar = client.get(
        f"/api/v1/services/{svc_id}/calendar",
        params={"start": DAY.isoformat(), "end": DAY.isoformat()},
    ).json()
    assert calendar == [{"day": DAY.isoformat(), "booked": 1, "capacity": 1}]
    cancelled = client.post(f"/api/v1/bookings/{booking['id']}/cancel", json={}, headers=ent)
    assert cancelled.json()["status"] == "cancelled"
    second = client.post("/api/v1/bookings", json=_ask(svc_id), headers=ent2).json()
    no_reason = client.post(f"/api/v1/bookings/{second['id']}/decline", json={}, headers=op)
    assert no_reason.status_code == 422
    declined = client.post(
        f"/api/v1/bookings/{second['id']}/decline", json={"reason": "水池检修"}, headers=op
    )
    assert declined.json()["decision_reason"] == "水池检修"
    mine = client.get("/api/v1/bookings", headers=ent2).json()
    assert [b["status"] for b in mine] == ["rejected"]


def test_completion_and_utilisation(client: TestClient, factory: Factory, db: Session) -> None:
    """A booking under way completes with its fee; the month's utilisation and income follow."""
    w = _world(factory)
    booking = factory.booking(
        w["service"], w["ent"].organization, start_in=0, status="approved", quantity=1
    )
    op = api_headers(client, w["operator"])
    done = client.post(
        f"/api/v1/bookings/{booking.id}/complete",
        json={"actual_quantity": 1, "fee": "8000"},
        headers=op,
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], Decimal(done.json()["fee"])) == ("completed", Decimal(8000))
    today = clock.today()
    months = client.get(
        f"/api/v1/platforms/{w['platform'].id}/utilisation", params={"year": today.year}
    ).json()
    this = next(m for m in months if m["month"] == f"{today.year}-{today.month:02d}")
    # Open from today to the month's end at 1 天 a day; one day booked.
    first_next = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    open_days = (first_next - today).days
    assert (this["available_unit_days"], this["booked_unit_days"]) == (open_days, 1)
    assert this["utilisation"] == round(1 / open_days, 4)
    assert Decimal(this["income"]) == Decimal(8000)


def test_operator_publishes_a_service(client: TestClient, factory: Factory) -> None:
    """Only the platform's operator (or the office) publishes; bad input names the field."""
    w = _world(factory)
    url = f"/api/v1/platforms/{w['platform'].id}/services"
    body = {"name": "小批量试制", "kind": "small_batch", "unit": "批次", "unit_price": "5万",
            "capacity_per_day": 2}  # fmt: skip
    assert client.post(url, json=body, headers=api_headers(client, w["ent"])).status_code == 403
    op = api_headers(client, w["operator"])
    made = client.post(url, json=body, headers=op)
    assert made.status_code == 201, made.text
    assert Decimal(made.json()["unit_price"]) == Decimal(50000)
    bad = client.post(url, json=body | {"name": "另一项", "capacity_per_day": 0}, headers=op)
    assert bad.status_code == 422 and "capacity_per_day" in bad.text
    assert client.post(url, json=body, headers=op).status_code == 422  # same name twice


def test_pages_book_and_decide(client: TestClient, factory: Factory, db: Session) -> None:
    """The enterprise books on the form; the operator approves on /bookings; the full day is
    refused on the form with the day named."""
    w = _world(factory)
    plat, svc = w["platform"], w["service"]
    page = client.get(f"/platforms/{plat.id}")
    assert (
        page.status_code == 200
        and "拖曳水池试验" in page.text
        and 'data-chart="calendar"' in page.text
    )
    login(client, w["ent"])
    form = client.get(f"/platforms/{plat.id}/book?service={svc.id}")
    assert form.status_code == 200
    sent = client.post(
        f"/platforms/{plat.id}/book",
        data=_ask(svc.id) | {"csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    booking = db.query(ServiceBooking).one()
    client.post("/logout", data={"csrf_token": csrf(client)})
    login(client, w["operator"])
    assert "确认" in client.get("/bookings").text
    decided = client.post(
        f"/bookings/{booking.id}/approve", data={"csrf_token": csrf(client)}, follow_redirects=False
    )
    assert decided.status_code == 303
    client.post("/logout", data={"csrf_token": csrf(client)})
    login(client, w["ent2"])
    refused = client.post(
        f"/platforms/{plat.id}/book", data=_ask(svc.id) | {"csrf_token": csrf(client)}
    )
    assert refused.status_code == 422
    assert f"{DAY.isoformat()} 已约满" in refused.text


def test_openapi_lists_the_platform_resources(client: TestClient) -> None:
    """Platforms, services and bookings are in the OpenAPI document."""
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/platforms",
        "/api/v1/platforms/{platform_id}/services",
        "/api/v1/services/{service_id}/calendar",
        "/api/v1/bookings",
        "/api/v1/bookings/{booking_id}/approve",
    ):
        assert path in paths, path


def test_office_registers_a_platform_serving_several_chains(
    client: TestClient, factory: Factory, db: Session
) -> None:
    """The office registers a platform on two chains (the first is primary); its operator edits
    it but may not move it to another unit; bad input names the field."""
    from silian.chains.models import IndustryChain

    marine = IndustryChain(code="t-marine", name="测试海洋装备链")
    ic = IndustryChain(code="t-ic", name="测试集成电路链")
    db.add_all([marine, ic])
    db.commit()
    op_org = factory.org("platform", name="测试平台运营公司")
    office = api_headers(client, factory.user("office"))
    body = {"name": "多链中试平台", "kind": "pilot", "organization_id": op_org.id,
            "chain_ids": [ic.id, marine.id], "capabilities": "中试放大、检验检测",
            "support_amount": "2000万"}  # fmt: skip
    operator = factory.user("platform", op_org)
    assert client.post("/api/v1/platforms", json=body, headers=api_headers(client, operator)
                       ).status_code == 403  # fmt: skip
    made = client.post("/api/v1/platforms", json=body, headers=office)
    assert made.status_code == 201, made.text
    plat = made.json()
    assert (plat["chain_id"], plat["chain_ids"]) == (ic.id, [ic.id, marine.id])
    assert plat["capabilities"] == ["中试放大", "检验检测"]
    assert Decimal(plat["support_amount"]) == Decimal(20_000_000)
    bad = client.post("/api/v1/platforms", json=body | {"name": "另一个", "chain_ids": [999999]},
                      headers=office)  # fmt: skip
    assert bad.status_code == 422 and bad.json()["errors"]["chain_ids"] == "产业链 999999 不存在"
    mine = api_headers(client, operator)
    url = f"/api/v1/platforms/{plat['id']}"
    moved = client.put(url, json=body | {"organization_id": factory.org("platform").id},
                       headers=mine)  # fmt: skip
    assert moved.status_code == 422 and "organization_id" in moved.json()["errors"]
    edited = client.put(url, json=body | {"chain_ids": [marine.id], "status": "building"},
                        headers=if_match(client, url, mine))  # fmt: skip
    assert edited.status_code == 200, edited.text
    assert (edited.json()["chain_ids"], edited.json()["status"]) == ([marine.id], "building")
    other = api_headers(client, factory.user("platform"))
    assert client.put(url, json=body, headers=other).status_code == 403


def test_platform_pages_create_and_edit(client: TestClient, factory: Factory) -> None:
    """The office registers a platform on the form; the operator edits it on its own form."""
    op_org = factory.org("platform", name="页面平台运营公司")
    login(client, factory.user("office"))
    assert client.get("/platforms/new").status_code == 200
    refused = client.post(
        "/platforms/new",
        data={
            "csrf_token": csrf(client),
            "name": "",
            "kind": "pilot",
            "organization_id": op_org.id,
            "status": "active",
        },  # fmt: skip
    )
    assert refused.status_code == 422 and "不能为空" in refused.text
    made = client.post(
        "/platforms/new",
        data={
            "csrf_token": csrf(client),
            "name": "页面登记平台",
            "kind": "poc",
            "organization_id": op_org.id,
            "status": "active",
            "equipment": "流片设备",
        },  # fmt: skip
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    url = made.headers["location"]
    client.cookies.clear()
    login(client, factory.user("platform", op_org))
    assert client.get(f"{url}/edit").status_code == 200
    saved = client.post(
        f"{url}/edit",
        data={
            "csrf_token": csrf(client),
            "name": "页面登记平台（二期）",
            "kind": "poc",
            "organization_id": op_org.id,
            "status": "active",
            "equipment": "流片设备",
        },  # fmt: skip
        follow_redirects=True,
    )
    assert saved.status_code == 200 and "页面登记平台（二期）" in saved.text


def _platform_body(factory: Factory) -> tuple[int, dict[str, Any]]:
    op_org = factory.org("platform", name="版本平台运营公司")
    plat = factory.platform(op_org, name="版本测试中试平台", description="平台简介")
    body = {"name": plat.name, "kind": "pilot", "organization_id": op_org.id,
            "description": "平台简介", "status": "active"}  # fmt: skip
    return plat.id, body


def test_stale_platform_put_is_refused(client: TestClient, factory: Factory) -> None:
    """A platform's PUT names the version it replaces (428 / 412)."""
    platform_id, body = _platform_body(factory)
    office = api_headers(client, factory.user("office"))
    versioned_put(client, f"/api/v1/platforms/{platform_id}", office, body, "description")


def test_stale_platform_form_keeps_input(client: TestClient, factory: Factory) -> None:
    """A platform form loaded before another user saved it is refused with the user's input and
    the other's change; saving again overwrites deliberately."""
    platform_id, body = _platform_body(factory)
    api = TestClient(client.app)
    other = api_headers(api, factory.user("office"))
    url = f"/api/v1/platforms/{platform_id}"

    def meanwhile() -> str:
        saved = api.put(url, json=body | {"description": "他人改过的简介"},
                        headers=if_match(api, url, other))  # fmt: skip
        assert saved.status_code == 200, saved.text
        return "他人改过的简介"

    login(client, factory.user("office"))
    form = {k: str(v) for k, v in body.items()}
    stale_form(client, f"/platforms/{platform_id}/edit", form, "description", meanwhile)
    assert api.get(url).json()["description"] == "平台简介（我的）"


def test_platform_create_retried_with_the_same_key(client: TestClient, factory: Factory) -> None:
    """Registering a platform retried with its Idempotency-Key answers as the first time."""
    _, body = _platform_body(factory)
    office = api_headers(client, factory.user("office"))
    made = idempotent_post(client, "/api/v1/platforms", office, body | {"name": "重试登记平台"})
    names = [p["name"] for p in client.get("/api/v1/platforms").json()]
    assert names.count("重试登记平台") == 1
    assert client.get(f"/api/v1/platforms/{made['id']}").headers["etag"] == '"1"'
