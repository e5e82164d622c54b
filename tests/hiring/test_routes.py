"""Hiring through the API and the pages: a co-shared hire from application to dispatch and scene
achievement, a 产才融合 project to a confirmed graded recommendation, and /talents/me per role."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from silian.achievements.models import Achievement
from silian.chains.models import IndustryChain
from silian.talent.models import SalaryGradeRule
from tests.support import Factory, api_headers, csrf, login


def test_co_shared_hire_from_application_to_dispatch_over_the_api(
    client: TestClient, db: Session, factory: Factory
) -> None:
    uni = factory.user("university")
    assert uni.organization is not None
    scene = factory.org("enterprise", name="蓝港海工")
    need = factory.need(uni.organization, co_shared=True, scene_organization_id=scene.id)
    expert = factory.user("expert", org=factory.org("institute"))
    factory.talent("海洋结构专家", expert)
    as_expert, as_uni = api_headers(client, expert), api_headers(client, uni)
    body = {"need_id": need.id, "note": "愿意赴企业驻场"}
    created = client.post("/api/v1/applications", json=body, headers=as_expert)
    assert created.status_code == 201, created.text
    app = created.json()
    assert (app["status"], app["channel"]) == ("applied", "self")
    again = client.post("/api/v1/applications", json=body, headers=as_expert)
    assert again.status_code == 409 and "不能重复申请" in again.json()["detail"]
    url = f"/api/v1/applications/{app['id']}"
    assert client.post(f"{url}/shortlist", json={}, headers=as_expert).status_code == 403
    refused = client.post(f"{url}/decline", json={}, headers=as_uni)
    assert refused.status_code == 422 and refused.json()["errors"] == {
        "reason": "请填写不录用的原因"
    }
    for action in ("shortlist", "interview", "offer"):
        assert client.post(f"{url}/{action}", json={}, headers=as_uni).status_code == 200
    hired = client.post(f"{url}/hire", json={"hired_on": "2026-03-01"}, headers=as_uni).json()
    assert hired["status"] == "hired" and hired["hire_id"]
    hire_url = f"/api/v1/hires/{hired['hire_id']}"
    hire = client.get(hire_url, headers=as_expert).json()
    assert hire["co_shared"] and hire["host_organization_id"] == uni.organization_id
    assert hire["scene_name"] == "蓝港海工"
    bad = {"start_on": "2026-03-02", "host_share": 70, "scene_share": 20}
    refused = client.post(f"{hire_url}/dispatches", json=bad, headers=as_uni)
    assert refused.status_code == 422 and "之和须为 100%" in refused.text
    good = bad | {"scene_share": 30, "end_on": "2027-03-01"}
    dispatch = client.post(f"{hire_url}/dispatches", json=good, headers=as_uni)
    assert dispatch.status_code == 201, dispatch.text
    assert Decimal(dispatch.json()["host_share"]) == 70
    achievement = Achievement(
        title="深海焊接机器人", summary="场景成果。", organization_id=scene.id, status="published"
    )
    db.add(achievement)
    db.commit()
    linked = client.post(
        f"{hire_url}/achievements", json={"achievement_id": achievement.id}, headers=as_uni
    )
    assert linked.status_code == 201 and linked.json()["achievement_ids"] == [achievement.id]
    other = api_headers(client, factory.user("enterprise"))
    assert client.get(hire_url, headers=other).status_code == 404
    assert client.get("/api/v1/applications", headers=other).json() == []
    # The pages show the same road.
    login(client, uni)
    page = client.get(f"/hiring/hires/{hired['hire_id']}")
    assert (
        page.status_code == 200
        and "深海焊接机器人" in page.text
        and "70%" in page.text
        and "30%" in page.text
    )
    assert "已录用" in client.get(f"/hiring/needs/{need.id}/applications").text


def test_project_review_and_graded_recommendation_over_the_api(
    client: TestClient, db: Session, factory: Factory
) -> None:
    chain = IndustryChain(code="marine", name="海洋装备产业链", sort_order=1)
    db.add(chain)
    db.flush()
    db.add_all(
        [
            SalaryGradeRule(chain_id=chain.id, grade="C", min_annual_salary=Decimal("500000")),
            SalaryGradeRule(chain_id=chain.id, grade="E", min_annual_salary=Decimal("200000")),
        ]
    )
    db.commit()
    ent, office = factory.user("enterprise"), factory.user("office")
    as_ent, as_office = api_headers(client, ent), api_headers(client, office)
    body = {
        "name": "海工装备产才融合项目",
        "chain_id": chain.id,
        "year": 2026,
        "requested_rights": ["salary_grading"],
    }
    created = client.post("/api/v1/talent-projects", json=body, headers=as_ent)
    assert created.status_code == 201, created.text
    project = created.json()
    review = f"/api/v1/talent-projects/{project['id']}/review"
    grant = {"decision": "approve", "rights": ["salary_grading"]}
    assert client.post(review, json=grant, headers=as_ent).status_code == 403
    approved = client.post(review, json=grant, headers=as_office).json()
    assert approved["status"] == "approved" and approved["rights_labels"] == ["按薪定才权"]
    talent = factory.talent("郑工")
    rec = {"project_id": project["id"], "talent_id": talent.id, "right": "salary_grading"}
    missing = client.post("/api/v1/recommendations", json=rec, headers=as_ent)
    assert missing.status_code == 422 and "约定年薪" in missing.text
    low = client.post(
        "/api/v1/recommendations", json=rec | {"annual_salary": "15万"}, headers=as_ent
    ).json()
    assert low["grade"] is None and low["grade_label"] == "无等级"
    assert "最低门槛为E类（青年人才）200,000元" in low["grading_note"]
    other = factory.talent("冯工")
    made = client.post(
        "/api/v1/recommendations",
        json=rec | {"talent_id": other.id, "annual_salary": 650000},
        headers=as_ent,
    ).json()
    assert (made["grade"], made["rule_grade"]) == ("C", "C")
    assert Decimal(made["rule_threshold"]) == 500000
    assert made["rule_scope"] == "海洋装备产业链标准"
    url = f"/api/v1/recommendations/{made['id']}"
    assert client.post(f"{url}/confirm", json={}, headers=as_ent).status_code == 403
    confirmed = client.post(f"{url}/confirm", json={"remarks": "同意"}, headers=as_office)
    assert confirmed.json()["status"] == "confirmed"
    assert client.get(f"/api/v1/talents/{other.id}").json()["grade"] == "C"
    mine = client.get("/api/v1/recommendations", headers=as_ent).json()
    assert {r["id"] for r in mine} == {low["id"], made["id"]}
    assert (
        client.get(
            "/api/v1/recommendations", headers=api_headers(client, factory.user("enterprise"))
        ).json()
        == []
    )
    login(client, ent)
    page = client.get(f"/hiring/projects/{project['id']}")
    assert page.status_code == 200 and "C类（高层次人才）" in page.text and "最低门槛" in page.text


def test_talents_me_works_for_every_role(client: TestClient, factory: Factory) -> None:
    expected = {
        "expert": "建立我的专家档案",
        "enterprise": "申报产才融合项目",
        "university": "本单位的人才需求",
        "office": "待评审的产才融合项目",
        "broker": "相关岗位申请",
        "platform": "相关岗位申请",
    }
    for role, text in expected.items():
        client.cookies.clear()
        login(client, factory.user(role))
        page = client.get("/talents/me")
        assert page.status_code == 200, role
        assert text in page.text, role


def test_expert_applies_from_the_need_page(client: TestClient, factory: Factory) -> None:
    ent = factory.user("enterprise")
    assert ent.organization is not None
    need = factory.need(ent.organization, position="焊接工艺工程师")
    expert = factory.user("expert")
    factory.talent("孔工", expert)
    login(client, expert)
    assert "申请该岗位" in client.get(f"/talent-needs/{need.id}").text
    sent = client.post(
        f"/hiring/needs/{need.id}/apply",
        data={"note": "有船厂经验", "csrf_token": csrf(client)},
        follow_redirects=True,
    )
    assert sent.status_code == 200 and "已申请" in sent.text
    assert "已提交申请：孔工" in sent.text  # the one-time message after the action
    assert "焊接工艺工程师" in client.get("/talents/me").text
