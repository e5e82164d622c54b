"""Talent library, own profile editing, talent needs, talent projects and 按薪定才 rules."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.core.audit import AuditLog
from silian.talent.models import SalaryGradeRule, Talent, TalentNeed
from tests.chain_world import build
from tests.support import Factory, api_headers, csrf, if_match, login, rules_if_match

ROLES = ("office", "university", "enterprise", "broker", "expert", "platform")
NEED = {
    "position": "水下机器人控制算法工程师",
    "headcount": "2",
    "salary_min": "300000",
    "salary_max": "450000",
    "major": "控制科学与工程",
    "requirements": "熟悉水下航行器运动控制。",
}


def _audit(db: Session, entity_type: str, action: str) -> list[AuditLog]:
    return list(
        db.scalars(
            select(AuditLog).where(AuditLog.entity_type == entity_type, AuditLog.action == action)
        )
    )


# --- talents ---------------------------------------------------------------------------------


def test_talent_list_and_profile_show_consenting_talents(
    client: TestClient, factory: Factory, db: Session
) -> None:
    w = build(db, factory)
    page = client.get("/talents")
    assert page.status_code == 200
    assert "李海洋" in page.text and "滨海海洋大学" in page.text and "B类" in page.text
    assert "王隐名" not in page.text
    profile = client.get(f"/talents/{w.talent.id}")
    assert profile.status_code == 200
    assert "深海装备结构设计与焊接" in profile.text
    # The open need whose major is one of the talent's disciplines is suggested.
    assert "海洋装备结构工程师" in profile.text
    assert client.get(f"/talents/{w.hidden_talent.id}").status_code == 404
    assert client.get(f"/api/v1/talents/{w.hidden_talent.id}").status_code == 404


def test_talent_filters(client: TestClient, factory: Factory, db: Session) -> None:
    w = build(db, factory)
    other = Talent(name="赵芯片", disciplines=["电子科学与技术"], keywords=["光刻"], grade="A")
    db.add(other)
    db.commit()
    assert "赵芯片" not in client.get("/talents?discipline=船舶与海洋工程").text
    assert "李海洋" in client.get("/talents?discipline=船舶与海洋工程").text
    assert "李海洋" not in client.get("/talents?grade=A").text
    assert "赵芯片" in client.get("/talents?grade=A").text
    assert "赵芯片" in client.get("/talents?q=光刻").text
    assert "李海洋" in client.get("/talents?q=焊接").text
    assert "赵芯片" not in client.get(f"/talents?org={w.university.id}").text
    body = client.get("/api/v1/talents?discipline=电子科学与技术").json()
    assert [t["name"] for t in body["items"]] == ["赵芯片"]


@pytest.mark.parametrize("role", ROLES)
def test_hidden_talents_only_for_office(
    role: str, client: TestClient, factory: Factory, db: Session
) -> None:
    w = build(db, factory)
    user = factory.user(role)
    login(client, user)
    assert ("王隐名" in client.get("/talents").text) == (role == "office")
    status = client.get(f"/talents/{w.hidden_talent.id}").status_code
    assert status == (200 if role == "office" else 404)
    total = client.get("/api/v1/talents", headers=api_headers(client, user)).json()["total"]
    assert total == (2 if role == "office" else 1)


def test_expert_creates_and_edits_own_profile(
    client: TestClient, factory: Factory, db: Session
) -> None:
    expert = factory.user("expert")
    login(client, expert)
    # The workspace offers the form that creates the profile.
    assert 'href="/talents/me/edit">建立我的专家档案' in client.get("/talents/me").text
    form = client.get("/talents/me/edit")
    assert form.status_code == 200 and "建立我的专家档案" in form.text
    bad = client.post(
        "/talents/me/edit", data={"name": "", "disciplines": "材料", "csrf_token": csrf(client)}
    )
    assert bad.status_code == 422
    assert "field-error" in bad.text and "姓名" in bad.text
    saved = client.post(
        "/talents/me/edit",
        data={
            "name": "孙材料",
            "title": "研究员",
            "disciplines": "材料科学与工程、化学",
            "keywords": "涂层，防腐",
            "expertise": "海洋防腐涂层",
            "consent_public": "1",
            "csrf_token": csrf(client),
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    talent = db.scalars(select(Talent).where(Talent.user_id == expert.id)).one()
    assert talent.disciplines == ["材料科学与工程", "化学"] and talent.consent_public
    assert "孙材料" in client.get("/talents").text
    # Unticking consent hides the profile from the library.
    client.post(
        "/talents/me/edit",
        data={"name": "孙材料", "expertise": "海洋防腐涂层", "csrf_token": csrf(client)},
    )
    db.refresh(talent)
    assert talent.consent_public is False
    assert "孙材料" not in TestClient(client.app).get("/talents").text
    assert "孙材料" in client.get(f"/talents/{talent.id}").text  # still visible to oneself
    assert len(_audit(db, "talents", "create")) == 1
    update = _audit(db, "talents", "update")
    assert len(update) == 1 and update[0].changes["consent_public"] == [True, False]


@pytest.mark.parametrize("role", ("office", "university", "enterprise", "broker", "platform"))
def test_only_experts_edit_own_profile(role: str, client: TestClient, factory: Factory) -> None:
    user = factory.user(role)
    login(client, user)
    assert client.get("/talents/me/edit").status_code == 403
    response = client.post(
        "/talents/me/edit", data={"name": "冒名顶替", "csrf_token": csrf(client)}
    )
    assert response.status_code == 403
    api = client.put("/api/v1/talents/me", headers=api_headers(client, user), json={"name": "某某"})
    assert api.status_code == 403


def test_anonymous_is_sent_to_login_for_own_profile(client: TestClient) -> None:
    response = client.get("/talents/me/edit", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert client.put("/api/v1/talents/me", json={"name": "某某"}).status_code == 401


def test_expert_profile_api(client: TestClient, factory: Factory, db: Session) -> None:
    headers = api_headers(client, factory.user("expert"))
    assert client.get("/api/v1/talents/me", headers=headers).status_code == 404
    body = {"name": "周海", "disciplines": ["海洋科学"], "consent_public": True}
    saved = client.put("/api/v1/talents/me", headers=headers, json=body)
    assert saved.status_code == 200, saved.text
    assert client.get("/api/v1/talents/me", headers=headers).json()["name"] == "周海"
    assert client.put("/api/v1/talents/me", headers=headers, json={"name": "周"}).status_code == 422


# --- talent needs ----------------------------------------------------------------------------


def test_need_list_filters_and_detail(client: TestClient, factory: Factory, db: Session) -> None:
    w = build(db, factory)
    db.add(
        TalentNeed(
            organization_id=w.enterprise.id,
            position="芯片版图工程师",
            chain_id=w.other_chain.id,
            status="closed",
        )
    )
    db.commit()
    page = client.get("/talent-needs")
    assert "海洋装备结构工程师" in page.text and "芯片版图工程师" in page.text
    assert "芯片版图工程师" not in client.get(f"/talent-needs?chain={w.chain.id}").text
    assert "芯片版图工程师" not in client.get("/talent-needs?co_shared=1").text
    assert "海洋装备结构工程师" not in client.get("/talent-needs?co_shared=0").text
    assert "海洋装备结构工程师" not in client.get("/talent-needs?status=closed").text
    detail = client.get(f"/talent-needs/{w.need.id}")
    assert "硕士及以上" in detail.text and "共引共享" in detail.text and "20万元" in detail.text
    assert "编辑" not in detail.text
    body = client.get("/api/v1/talent-needs?status=open").json()
    assert [n["position"] for n in body["items"]] == ["海洋装备结构工程师"]
    assert client.get("/talent-needs/9999").status_code == 404


def test_enterprise_posts_edits_and_closes_need(
    client: TestClient, factory: Factory, db: Session
) -> None:
    ent = factory.user("enterprise")
    login(client, ent)
    assert client.get("/talent-needs/new").status_code == 200
    bad = client.post(
        "/talent-needs/new",
        data=NEED
        | {"position": "", "headcount": "0", "salary_max": "100000", "csrf_token": csrf(client)},
    )
    assert bad.status_code == 422
    assert "不能为空" in bad.text and "不能小于1" in bad.text
    assert "年薪上限不能低于年薪下限" in bad.text
    created = client.post(
        "/talent-needs/new",
        data=NEED | {"co_shared": "1", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert created.status_code == 303
    need = db.scalars(select(TalentNeed)).one()
    assert need.organization_id == ent.organization_id and need.co_shared
    client.post(
        f"/talent-needs/{need.id}/edit",
        data=NEED | {"headcount": "5", "csrf_token": csrf(client)},
    )
    db.refresh(need)
    assert need.headcount == 5 and need.co_shared is False
    client.post(f"/talent-needs/{need.id}/close", data={"csrf_token": csrf(client)})
    db.refresh(need)
    assert need.status == "closed"
    conflict = client.post(f"/talent-needs/{need.id}/fill", data={"csrf_token": csrf(client)})
    assert conflict.status_code == 409
    assert len(_audit(db, "talent_needs", "create")) == 1
    assert _audit(db, "talent_needs", "update")[0].changes["headcount"] == [2, 5]
    assert _audit(db, "talent_needs", "close")[0].changes["status"] == ["open", "closed"]


@pytest.mark.parametrize("role", ("enterprise", "university", "broker", "expert", "platform"))
def test_outsiders_cannot_change_a_units_need(
    role: str, client: TestClient, factory: Factory, db: Session
) -> None:
    w = build(db, factory)
    user = factory.user(role)
    login(client, user)
    token = csrf(client)
    assert client.get(f"/talent-needs/{w.need.id}/edit").status_code == 403
    edit = client.post(f"/talent-needs/{w.need.id}/edit", data=NEED | {"csrf_token": token})
    assert edit.status_code == 403
    assert (
        client.post(f"/talent-needs/{w.need.id}/close", data={"csrf_token": token}).status_code
        == 403
    )
    headers = api_headers(client, user)
    assert (
        client.put(f"/api/v1/talent-needs/{w.need.id}", headers=headers, json=NEED).status_code
        == 403
    )
    db.refresh(w.need)
    assert w.need.status == "open" and w.need.position == "海洋装备结构工程师"
    allowed = role in ("enterprise", "university")
    assert client.get("/talent-needs/new").status_code == (200 if allowed else 403)
    post = client.post("/api/v1/talent-needs", headers=headers, json=NEED)
    assert post.status_code == (201 if allowed else 403)


def test_member_university_and_office_manage_need(
    client: TestClient, factory: Factory, db: Session
) -> None:
    w = build(db, factory)
    member = api_headers(client, factory.user("enterprise", org=w.leader))
    filled = client.post(f"/api/v1/talent-needs/{w.need.id}/fill", headers=member)
    assert filled.status_code == 200 and filled.json()["status"] == "filled"
    office = api_headers(client, factory.user("office"))
    reopened = client.post(f"/api/v1/talent-needs/{w.need.id}/reopen", headers=office)
    assert reopened.json()["status"] == "open"
    missing_org = client.post("/api/v1/talent-needs", headers=office, json=NEED)
    assert missing_org.status_code == 422 and missing_org.json()["errors"]["organization_id"]
    posted = client.post(
        "/api/v1/talent-needs", headers=office, json=NEED | {"organization_id": w.university.id}
    )
    assert posted.status_code == 201 and posted.json()["organization_name"] == "滨海海洋大学"
    uni = api_headers(client, factory.user("university", org=w.university))
    url = f"/api/v1/talent-needs/{posted.json()['id']}"
    edited = client.put(url, headers=if_match(client, url, uni), json=NEED | {"headcount": 4})
    assert edited.status_code == 200 and edited.json()["headcount"] == 4


def test_anonymous_reads_needs_but_cannot_post(
    client: TestClient, factory: Factory, db: Session
) -> None:
    w = build(db, factory)
    assert client.get(f"/talent-needs/{w.need.id}").status_code == 200
    response = client.get("/talent-needs/new", follow_redirects=False)
    assert response.status_code == 303
    assert client.post("/api/v1/talent-needs", json=NEED).status_code == 401


# --- talent projects -------------------------------------------------------------------------


def test_office_sees_talent_projects(client: TestClient, factory: Factory, db: Session) -> None:
    w = build(db, factory)
    office = factory.user("office")
    login(client, office)
    page = client.get("/talent-projects")
    assert page.status_code == 200
    for text in ("海工装备产才融合项目", "自主荐才权", "按薪定才权", "200万元", "北海重工集团"):
        assert text in page.text, text
    assert "海工装备产才融合项目" not in client.get("/talent-projects?year=2023").text
    assert "海工装备产才融合项目" in client.get("/talent-projects?right=salary_grading").text
    detail = client.get(f"/talent-projects/{w.project.id}")
    assert "25 人" in detail.text
    body = client.get("/api/v1/talent-projects", headers=api_headers(client, office)).json()
    assert body["items"][0]["rights_labels"] == ["自主荐才权", "按薪定才权"]


@pytest.mark.parametrize("role", ("university", "enterprise", "broker", "expert", "platform"))
def test_talent_projects_are_office_only(
    role: str, client: TestClient, factory: Factory, db: Session
) -> None:
    w = build(db, factory)
    user = factory.user(role)
    login(client, user)
    assert client.get("/talent-projects").status_code == 403
    assert client.get(f"/talent-projects/{w.project.id}").status_code == 403
    headers = api_headers(client, user)
    assert client.get("/api/v1/talent-projects", headers=headers).status_code == 403
    assert client.get(f"/api/v1/talent-projects/{w.project.id}", headers=headers).status_code == 403


def test_anonymous_cannot_see_projects_or_rules(client: TestClient) -> None:
    assert client.get("/talent-projects", follow_redirects=False).status_code == 303
    assert client.get("/salary-grade-rules", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/talent-projects").status_code == 401
    assert client.get("/api/v1/salary-grade-rules").status_code == 401


# --- 按薪定才 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_signed_in_role_reads_rules(
    role: str, client: TestClient, factory: Factory, db: Session
) -> None:
    w = build(db, factory)
    user = factory.user(role)
    login(client, user)
    page = client.get("/salary-grade-rules")
    assert page.status_code == 200
    assert "海洋装备产业链" in page.text and "50万元" in page.text and "全市通用标准" in page.text
    calc = client.get(f"/salary-grade-rules?salary=600000&chain={w.chain.id}")
    assert "可认定为" in calc.text and "C类" in calc.text
    assert ("修改全市通用标准" in page.text) == (role == "office")
    status = client.get("/salary-grade-rules/edit").status_code
    assert status == (200 if role == "office" else 403)
    headers = api_headers(client, user)
    put = client.put(
        "/api/v1/salary-grade-rules",
        headers=rules_if_match(client, headers),
        json={"chain_id": None, "grade_A": 2000000},
    )
    assert put.status_code == (200 if role == "office" else 403)


def test_office_edits_rules_with_validation_and_audit(
    client: TestClient, factory: Factory, db: Session
) -> None:
    w = build(db, factory)
    login(client, factory.user("office"))
    bad = client.post(
        "/salary-grade-rules/edit",
        data={
            "chain_id": "",
            "grade_A": "1000000",
            "grade_B": "1200000",
            "grade_C": "-5",
            "csrf_token": csrf(client),
        },
    )
    assert bad.status_code == 422
    assert "应低于A类标准" in bad.text and "必须大于0" in bad.text
    ok = client.post(
        "/salary-grade-rules/edit",
        data={
            "chain_id": "",
            "grade_A": "1000000",
            "grade_B": "600000",
            "grade_E": "150000",
            "csrf_token": csrf(client),
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    city = db.scalars(select(SalaryGradeRule).where(SalaryGradeRule.chain_id.is_(None))).all()
    assert sorted(r.grade for r in city) == ["A", "B", "E"]
    # Chain rules replace the city-wide ones for that chain: change C, drop nothing else.
    client.post(
        "/salary-grade-rules/edit",
        data={"chain_id": str(w.chain.id), "grade_C": "450000", "csrf_token": csrf(client)},
    )
    client.post(
        "/salary-grade-rules/edit",
        data={
            "chain_id": "",
            "grade_A": "1000000",
            "grade_B": "600000",
            "csrf_token": csrf(client),
        },
    )
    assert len(_audit(db, "salary_grade_rules", "create")) == 3
    assert _audit(db, "salary_grade_rules", "update")[0].changes["min_annual_salary"] == [
        "500000",
        "450000",
    ]
    assert len(_audit(db, "salary_grade_rules", "delete")) == 1
    office = api_headers(client, factory.user("office"))
    grade = client.get(
        f"/api/v1/salary-grade-rules/grade?salary=460000&chain_id={w.chain.id}", headers=office
    ).json()
    assert grade["grade"] == "C" and grade["rule_source"] == "chain"
    city_grade = client.get(
        f"/api/v1/salary-grade-rules/grade?salary=700000&chain_id={w.other_chain.id}",
        headers=office,
    ).json()
    assert city_grade["grade"] == "B" and city_grade["rule_source"] == "city"
    rows = client.get("/api/v1/salary-grade-rules", headers=office).json()
    assert rows[0]["chain_id"] is None and rows[0]["thresholds"]["E"] is None


def test_office_sets_a_years_own_rules_beside_the_standing_ones(
    client: TestClient, factory: Factory, db: Session
) -> None:
    w = build(db, factory)
    login(client, factory.user("office"))
    client.post(
        "/salary-grade-rules/edit",
        data={
            "chain_id": "",
            "grade_A": "1000000",
            "grade_B": "600000",
            "csrf_token": csrf(client),
        },
    )
    # A year without its own set starts the form from the standing thresholds.
    form = client.get(f"/salary-grade-rules/edit?chain={w.chain.id}&year=2027")
    assert form.status_code == 200 and "（2027年度）" in form.text
    bad = client.post(
        "/salary-grade-rules/edit",
        data={
            "chain_id": str(w.chain.id),
            "year": "1900",
            "grade_A": "1",
            "csrf_token": csrf(client),
        },
    )
    assert bad.status_code == 422 and "年度：" in bad.text
    saved = client.post(
        "/salary-grade-rules/edit",
        data={
            "chain_id": str(w.chain.id),
            "year": "2027",
            "grade_A": "1500000",
            "grade_B": "800000",
            "csrf_token": csrf(client),
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/salary-grade-rules?year=2027"
    dated = db.scalars(select(SalaryGradeRule).where(SalaryGradeRule.year == 2027)).all()
    assert sorted((r.chain_id, r.grade, int(r.min_annual_salary)) for r in dated) == [
        (w.chain.id, "A", 1500000),
        (w.chain.id, "B", 800000),
    ]
    # The standing set is untouched; the page lists the year as a tab and shows its set.
    standing = client.get("/salary-grade-rules")
    assert "2027年度" in standing.text and "100万元" in standing.text
    assert "150万元" not in standing.text
    page = client.get("/salary-grade-rules?year=2027")
    assert "150万元" in page.text
    office = api_headers(client, factory.user("office"))
    rows = client.get("/api/v1/salary-grade-rules?year=2027", headers=office).json()
    mine = next(r for r in rows if r["chain_id"] == w.chain.id)
    assert mine["year"] == 2027 and mine["thresholds"]["A"] == "1500000.00"
    # The API edits a year's set under its own ETag.
    put = client.put(
        "/api/v1/salary-grade-rules",
        json={"chain_id": w.chain.id, "year": 2027, "grade_A": 1600000},
        headers=office | {"If-Match": mine["etag"]},
    )
    assert put.status_code == 200, put.text
    assert put.json()["year"] == 2027 and put.json()["thresholds"]["B"] is None
    assert _audit(db, "salary_grade_rules", "update")[-1].summary.endswith("年薪≥1,600,000元")
    assert "2027年度" in _audit(db, "salary_grade_rules", "update")[-1].summary
