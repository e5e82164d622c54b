"""Policies and subsidy applications through the REST API and the pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient

from silian.core import clock
from tests.support import Factory, api_headers, csrf, login

YEAR = clock.today().year


def test_api_apply_submit_approve_to_the_cap_then_refused(
    client: TestClient, factory: Factory
) -> None:
    office = api_headers(client, factory.user("office"))
    unit = api_headers(client, factory.user("enterprise"))
    created = client.post(
        "/api/v1/policies",
        headers=office,
        json={
            "title": "产业人才薪酬补贴",
            "kind": "salary_subsidy",
            "formula": "percentage",
            "fact_label": "年薪",
            "rate": "20",
            "per_application_max": "50万",
            "cap_per_org_year": "100万",
            "valid_from": date(YEAR, 1, 1).isoformat(),
            "valid_to": date(YEAR, 12, 31).isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    policy = created.json()
    assert Decimal(policy["cap_per_org_year"]) == 1_000_000
    refused = client.post("/api/v1/policies", headers=unit, json={"title": "企业自拟政策"})
    assert refused.status_code == 403

    ids = []
    for salary in ("300万", "250万", "5万"):
        made = client.post(
            "/api/v1/subsidy-applications",
            headers=unit,
            json={"policy_id": policy["id"], "year": YEAR, "fact_amount": salary},
        )
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
        assert (
            client.post(f"/api/v1/subsidy-applications/{ids[-1]}/submit", headers=unit).status_code
            == 200
        )
    first = client.get(f"/api/v1/subsidy-applications/{ids[0]}", headers=unit).json()
    assert first["amount"] == "500000.00"
    assert (
        first["computation"]
        == "年薪 300万元 × 20% = 60万元，超过单笔上限 50万元，按上限核定 50万元"
    )
    assert (
        client.post(f"/api/v1/subsidy-applications/{ids[0]}/approve", headers=unit).status_code
        == 403
    )
    for app_id in ids[:2]:
        ok = client.post(f"/api/v1/subsidy-applications/{app_id}/approve", headers=office, json={})
        assert ok.status_code == 200, ok.text
    third = client.post(f"/api/v1/subsidy-applications/{ids[2]}/approve", headers=office, json={})
    assert third.status_code == 409
    assert "已批准 100万元" in third.json()["detail"] and "剩余额度 0元" in third.json()["detail"]
    shown = client.get(f"/api/v1/subsidy-applications/{ids[1]}", headers=office).json()
    assert shown["status"] == "approved" and shown["cap_used"] == "1000000.00"
    assert [t["action"] for t in shown["trail"]] == ["create", "submit", "approved"]
    paid = client.post(f"/api/v1/subsidy-applications/{ids[1]}/pay", headers=office, json={})
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    # Another enterprise sees none of them.
    other = api_headers(client, factory.user("enterprise"))
    assert client.get("/api/v1/subsidy-applications", headers=other).json() == []
    assert client.get(f"/api/v1/subsidy-applications/{ids[0]}", headers=other).status_code == 404


def test_api_bad_input_names_the_field_and_put_needs_if_match(
    client: TestClient, factory: Factory
) -> None:
    policy = factory.policy()
    unit_user = factory.user("enterprise")
    unit = api_headers(client, unit_user)
    bad = client.post(
        "/api/v1/subsidy-applications",
        headers=unit,
        json={"policy_id": policy.id, "year": YEAR, "fact_amount": "好几万"},
    )
    assert bad.status_code == 422 and "fact_amount" in bad.text
    missing = client.post(
        "/api/v1/subsidy-applications", headers=unit, json={"policy_id": policy.id, "year": YEAR}
    )
    assert missing.status_code == 422 and "请填写年薪" in missing.text
    made = client.post(
        "/api/v1/subsidy-applications",
        headers=unit,
        json={"policy_id": policy.id, "year": YEAR, "fact_amount": "10万"},
    ).json()
    body = {"policy_id": policy.id, "year": YEAR, "fact_amount": "20万"}
    url = f"/api/v1/subsidy-applications/{made['id']}"
    assert client.put(url, headers=unit, json=body).status_code == 428
    tag = client.get(url, headers=unit).headers["etag"]
    changed = client.put(url, headers=unit | {"If-Match": tag}, json=body)
    assert changed.status_code == 200 and changed.json()["amount"] == "40000.00"
    assert client.put(url, headers=unit | {"If-Match": tag}, json=body).status_code == 412


def test_pages_apply_and_office_sees_refusal(client: TestClient, factory: Factory) -> None:
    policy = factory.policy(
        title="市场化引才奖励", fact_label="猎头费用", rate=50, cap_per_org_year=100000
    )
    unit_user = factory.user("enterprise")
    login(client, unit_user)
    assert "市场化引才奖励" in client.get("/subsidies").text
    page = client.get(f"/subsidies/apply?policy={policy.id}")
    assert page.status_code == 200
    posted = client.post(
        "/subsidies/apply",
        data={
            "csrf_token": csrf(client),
            "policy_id": policy.id,
            "year": YEAR,
            "fact_amount": "30万",
        },
        follow_redirects=False,
    )
    assert posted.status_code == 303
    url = posted.headers["location"].split("?")[0]
    detail = client.get(url).text
    assert "猎头费用 30万元 × 50% = 15万元" in detail
    wrong = client.post(
        "/subsidies/apply",
        data={
            "csrf_token": csrf(client),
            "policy_id": policy.id,
            "year": YEAR,
            "fact_amount": "abc",
        },
    )
    assert wrong.status_code == 422 and "无法识别的金额" in wrong.text
    client.post(f"{url}/submit", data={"csrf_token": csrf(client)})
    client.post("/logout", data={"csrf_token": csrf(client)})
    login(client, factory.user("office"))
    refused = client.post(f"{url}/approve", data={"csrf_token": csrf(client)})
    assert refused.status_code == 409
    assert "每个单位每年最多 10万元" in refused.text and "本申请 15万元" in refused.text
    assert "提交补贴申请" in refused.text  # the trail is on the page
