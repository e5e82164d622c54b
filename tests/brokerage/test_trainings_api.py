"""Broker training through /api/v1/trainings and its pages, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from silian.accounts import security
from tests.support import Factory, api_headers, csrf, login


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with minimal cost (hashes stay argon2)."""
    monkeypatch.setattr(
        security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


def test_course_to_certified_broker_through_the_api(client: TestClient, factory: Factory) -> None:
    """Office: open a course, enrol by username, exam, certify → the broker exists; counts and
    figures follow; trainees are listed to the office only."""
    office = api_headers(client, factory.user("office"))
    trainee = factory.user("enterprise")
    broker_user = api_headers(client, factory.user("broker"))
    body = {"name": "技术经纪人中级班", "year": 2026, "hours": 64, "courses": ["技术评估"]}
    assert client.post("/api/v1/trainings", json=body, headers=broker_user).status_code == 403
    made = client.post("/api/v1/trainings", json=body, headers=office)
    assert made.status_code == 201, made.text
    tid = made.json()["id"]
    row = client.post(
        f"/api/v1/trainings/{tid}/enrollments",
        json={"username": trainee.username, "enrolled_on": "2026-03-01"},
        headers=office,
    )
    assert row.status_code == 201, row.text
    eid = row.json()["id"]
    bad = client.post(
        f"/api/v1/trainings/enrollments/{eid}/exam",
        json={"exam_score": 101, "exam_on": "2026-04-01"},
        headers=office,
    )
    assert bad.status_code == 422
    client.post(
        f"/api/v1/trainings/enrollments/{eid}/exam",
        json={"exam_score": 81, "exam_on": "2026-04-01"},
        headers=office,
    )
    cert = client.post(
        f"/api/v1/trainings/enrollments/{eid}/certify",
        json={"certificate_no": "QDJJR-2026-0777", "certified_on": "2026-04-20",
              "specialties": ["海洋装备"]},
        headers=office,
    )  # fmt: skip
    assert cert.status_code == 200, cert.text
    assert cert.json()["broker_id"] is not None
    course = client.get(f"/api/v1/trainings/{tid}", headers=office).json()
    assert (course["trainees"], course["passed"], course["certificates_issued"]) == (1, 1, 1)
    assert [e["certificate_no"] for e in course["enrollments"]] == ["QDJJR-2026-0777"]
    assert client.get(f"/api/v1/trainings/{tid}", headers=broker_user).json()["enrollments"] is None
    figures = client.get(
        "/api/v1/trainings/figures", params={"start": "2026-01-01", "end": "2026-12-31"}
    ).json()
    assert figures == {"trained": 1, "passed": 1, "certified": 1, "active_brokers": 0}


def test_training_pages(client: TestClient, factory: Factory) -> None:
    """The office opens a course on /trainings and enrols a user on its page."""
    office = factory.user("office")
    trainee = factory.user("expert")
    assert "技术经纪人培训与持证" in client.get("/trainings").text
    login(client, office)
    made = client.post(
        "/trainings",
        data={"name": "经纪人实务班", "year": "2026", "hours": "32", "courses": "技术合同、谈判",
              "csrf_token": csrf(client)},
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303, made.text
    url = made.headers["location"].split("?")[0]
    client.post(f"{url}/enroll", data={"username": trainee.username, "csrf_token": csrf(client)})
    page = client.get(url).text
    assert trainee.username in page and "登记成绩" in page
