"""Training programmes, enrolments and utilisation through the REST API and the pages."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from silian.core import clock
from tests.support import Factory, api_headers, csrf, login


def test_api_publish_enrol_to_the_seats_complete_and_report(
    client: TestClient, factory: Factory
) -> None:
    unit = factory.org("platform")
    base = factory.training_base(unit, yearly_capacity=10)
    manager = api_headers(client, factory.user("platform", org=unit))
    start = clock.today() - timedelta(days=1)
    body = {
        "base_id": base.id,
        "name": "工业机器人运维",
        "skills": ["工业机器人运维", "PLC编程"],
        "hours": 120,
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=30)).isoformat(),
        "seats": 2,
    }
    stranger = api_headers(client, factory.user("platform"))
    assert (
        client.post("/api/v1/training-programmes", headers=stranger, json=body).status_code == 403
    )
    created = client.post("/api/v1/training-programmes", headers=manager, json=body)
    assert created.status_code == 201, created.text
    programme = created.json()
    people = [
        api_headers(client, factory.user(role)) for role in ("expert", "enterprise", "broker")
    ]
    url = f"/api/v1/training-programmes/{programme['id']}/enrolments"
    first = client.post(url, headers=people[0])
    assert first.status_code == 201, first.text
    assert client.post(url, headers=people[1]).status_code == 201
    full = client.post(url, headers=people[2])
    assert full.status_code == 409 and "共 2 个名额，已报名 2 人" in full.json()["detail"]
    assert client.get(url, headers=people[0]).status_code == 403
    roster = client.get(url, headers=manager).json()
    assert len(roster) == 2
    done = client.post(
        f"/api/v1/enrolments/{first.json()['id']}/complete",
        headers=manager,
        json={"certificate_no": "QD-001"},
    )
    assert done.status_code == 200 and done.json()["status"] == "completed"
    mine = client.get("/api/v1/enrolments", headers=people[0]).json()
    assert [m["certificate_no"] for m in mine] == ["QD-001"]
    office = api_headers(client, factory.user("office"))
    report = client.get(f"/api/v1/training/utilisation?year={start.year}", headers=office).json()
    row = next(r for r in report if r["base_id"] == base.id)
    assert (row["trainees"], row["completions"], row["utilisation"]) == (2, 1, 0.2)
    assert client.get("/api/v1/training/utilisation", headers=people[0]).status_code == 403


def test_pages_enrol_and_full_programme_message(client: TestClient, factory: Factory) -> None:
    programme = factory.programme(seats=1, name="数控加工技能提升班")
    login(client, factory.user("expert"))
    assert "数控加工技能提升班" in client.get("/training").text
    page = client.post(
        f"/training/programmes/{programme.id}/enrol",
        data={"csrf_token": csrf(client)},
        follow_redirects=True,
    )
    assert page.status_code == 200 and "报名成功" in page.text and "剩余 0 个" in page.text
    client.post("/logout", data={"csrf_token": csrf(client)})
    login(client, factory.user("enterprise"))
    full = client.post(
        f"/training/programmes/{programme.id}/enrol", data={"csrf_token": csrf(client)}
    )
    assert full.status_code == 409 and "名额已满" in full.text
    assert client.get("/training/report").status_code == 403
