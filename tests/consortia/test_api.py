"""Consortia, projects and institutes through /api/v1, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from fastapi.testclient import TestClient

from silian.core import clock
from tests.support import Factory, api_headers

TODAY = clock.today()


def test_consortium_and_project_road_through_the_api(client: TestClient, factory: Factory) -> None:
    """The office forms a consortium; its lead sets up, starts and accepts a project with an
    output; others are refused with the pages' permissions; bad input names the field."""
    lead = factory.org("enterprise", name="链主企业")
    uni = factory.org("university", name="合作大学")
    office = api_headers(client, factory.user("office"))
    lead_h = api_headers(client, factory.user("enterprise", lead))
    other = api_headers(client, factory.user("enterprise"))
    body = {"name": "智能家电创新联合体", "lead_organization_id": lead.id, "goal": "变频控制",
            "members": [{"organization_id": uni.id, "part": "research"}]}  # fmt: skip
    assert client.post("/api/v1/consortia", json=body, headers=lead_h).status_code == 403
    bad = client.post(
        "/api/v1/consortia", json=body | {"members": [{"organization_id": 999999}]},
        headers=office,
    )  # fmt: skip
    assert bad.status_code == 422 and bad.json()["errors"]["members"] == "成员第1行：成员单位不存在"
    made = client.post("/api/v1/consortia", json=body, headers=office)
    assert made.status_code == 201, made.text
    cid = made.json()["id"]
    assert made.json()["members"][0]["organization_name"] == "合作大学"
    listed = client.get("/api/v1/consortia", params={"organization_id": uni.id}).json()
    assert [c["id"] for c in listed] == [cid]
    project_body = {
        "title": "压缩机降噪共性技术",
        "budget": "300万",
        "tasks": [{"organization_id": uni.id, "task": "噪声机理研究", "budget": "100万"}],
        "milestones": [{"name": "样机测试", "due_on": (TODAY + timedelta(days=60)).isoformat()}],
    }
    url = f"/api/v1/consortia/{cid}/projects"
    assert client.post(url, json=project_body, headers=other).status_code == 403
    created = client.post(url, json=project_body, headers=lead_h)
    assert created.status_code == 201, created.text
    project = created.json()
    assert Decimal(project["budget"]) == Decimal(3_000_000) and project["status"] == "planned"
    pid = project["id"]
    started = client.post(f"/api/v1/consortium-projects/{pid}/start", json={}, headers=lead_h)
    assert started.json()["status"] == "running"
    ach = factory.achievement(uni)
    out = client.post(
        f"/api/v1/consortium-projects/{pid}/outputs",
        json={"achievement_id": ach.id}, headers=lead_h,
    )  # fmt: skip
    assert out.status_code == 201 and out.json()["outputs"][0]["achievement_id"] == ach.id
    early = client.post(f"/api/v1/consortium-projects/{pid}/accept", json={}, headers=lead_h)
    assert early.status_code == 422 and "样机测试" in early.json()["errors"]["milestones"]
    mid = project["milestones"][0]["id"]
    done = client.post(
        f"/api/v1/consortium-projects/{pid}/milestones/{mid}/done", json={}, headers=lead_h
    )
    assert done.json()["milestones"][0]["done_on"] == TODAY.isoformat()
    future = client.post(
        f"/api/v1/consortium-projects/{pid}/accept",
        json={"on": (TODAY + timedelta(days=1)).isoformat()}, headers=lead_h,
    )  # fmt: skip
    assert future.status_code == 422 and "on" in future.json()["errors"]
    accepted = client.post(f"/api/v1/consortium-projects/{pid}/accept", json={}, headers=lead_h)
    assert accepted.json()["status"] == "done"
    again = client.post(f"/api/v1/consortium-projects/{pid}/start", json={}, headers=lead_h)
    assert again.status_code == 409
    projects = client.get("/api/v1/consortium-projects", params={"consortium_id": cid}).json()
    assert [p["id"] for p in projects] == [pid]
    assert client.get("/api/v1/consortium-projects/999999").status_code == 404


def test_institute_through_the_api(client: TestClient, factory: Factory) -> None:
    """The office records an institute, its talents and achievements; the answer counts talents
    by grade and flags the major achievement; others may only read."""
    office = api_headers(client, factory.user("office"))
    uni = factory.org("university", name="共建大学")
    partner = {"organization_id": uni.id, "kind": "site", "contribution": "实验楼 5000 平方米"}
    body = {"name": "海洋新材料研究院", "partners": [partner]}
    uni_h = api_headers(client, factory.user("university", uni))
    assert client.post("/api/v1/institutes", json=body, headers=uni_h).status_code == 403
    made = client.post("/api/v1/institutes", json=body, headers=office)
    assert made.status_code == 201, made.text
    iid = made.json()["id"]
    talent = factory.talent(grade="B")
    added = client.post(
        f"/api/v1/institutes/{iid}/talents", json={"talent_id": talent.id}, headers=office
    )
    assert added.status_code == 201 and added.json()["talents_by_grade"] == {"B": 1}
    ach = factory.achievement(uni)
    no_evidence = client.post(
        f"/api/v1/institutes/{iid}/achievements",
        json={"achievement_id": ach.id, "evidence_amount": "1500万"}, headers=office,
    )  # fmt: skip
    assert no_evidence.status_code == 422 and "evidence" in no_evidence.json()["errors"]
    linked = client.post(
        f"/api/v1/institutes/{iid}/achievements",
        json={"achievement_id": ach.id, "evidence_amount": "1500万", "evidence": "合同 HT-001"},
        headers=office,
    )
    assert linked.status_code == 201, linked.text
    got = client.get(f"/api/v1/institutes/{iid}").json()
    assert got["major_achievements"] == 1 and got["achievements"][0]["is_major"] is True
    removed = client.delete(f"/api/v1/institutes/{iid}/talents/{talent.id}", headers=office)
    assert removed.json()["talents"] == []


def test_the_openapi_document_lists_the_endpoints(client: TestClient) -> None:
    """Consortia, projects and institutes are in the OpenAPI document."""
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/consortia",
        "/api/v1/consortia/{consortium_id}/projects",
        "/api/v1/consortium-projects/{project_id}/accept",
        "/api/v1/institutes/{institute_id}/achievements",
    ):
        assert path in paths
