"""Consortium, project and institute pages: forms with repeated rows, refusals naming the field
or row, the lifecycle buttons and the institute's major-achievement flag."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.consortia.models import CommonTechProject, InnovationConsortium
from silian.core import clock
from tests.support import Factory, csrf, login

TODAY = clock.today()


def test_office_forms_a_consortium_on_the_form(
    client: TestClient, factory: Factory, db: Session
) -> None:
    """A bad member row is refused with its row named and the input kept; the saved consortium
    shows its lead and members with their parts."""
    lead = factory.org("enterprise", name="青岛海工集团")
    uni = factory.org("university", name="青岛海洋大学")
    login(client, factory.user("office"))
    form = client.get("/consortia/new")
    assert form.status_code == 200 and "青岛海工集团" in form.text
    data = {
        "csrf_token": csrf(client),
        "name": "深海装备创新联合体",
        "lead_organization_id": str(lead.id),
        "goal": "深海探测装备共性技术",
        "member_organization_id": [str(uni.id), str(lead.id), ""],
        "member_part": ["research", "core", "research"],
    }
    refused = client.post("/consortia/new", data=data)
    assert refused.status_code == 422
    assert "成员第2行：牵头企业已是联合体的牵头单位" in refused.text
    assert 'value="深海装备创新联合体"' in refused.text
    saved = client.post(
        "/consortia/new",
        data=data | {"member_organization_id": [str(uni.id)], "member_part": ["research"]},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = client.get(saved.headers["location"])
    assert "青岛海洋大学" in page.text and "研发单位" in page.text and "牵头单位" in page.text
    assert db.scalar(select(InnovationConsortium.name)) == "深海装备创新联合体"
    listed = client.get(f"/consortia?organization={uni.id}")
    assert "深海装备创新联合体" in listed.text


def test_lead_enterprise_runs_a_project_on_the_pages(
    client: TestClient, factory: Factory, db: Session
) -> None:
    """The lead sets up a project with tasks and milestones, starts it, records an output,
    marks the milestone done and has it accepted; a visitor sees it without the buttons."""
    lead = factory.org("enterprise", name="链主家电")
    uni = factory.org("university", name="家电大学")
    consortium = factory.consortium(lead, {uni: "research"})
    ach = factory.achievement(uni, title="变频压缩机降噪算法")
    login(client, factory.user("enterprise", lead))
    assert client.get(f"/consortia/{consortium.id}/projects/new").status_code == 200
    rows = {
        "csrf_token": csrf(client),
        "title": "压缩机降噪攻关",
        "budget": "200万",
        "task_organization_id": [str(uni.id), ""],
        "task_text": ["算法研究", ""],
        "task_budget": ["300万", ""],
        "milestone_name": ["样机验证", ""],
        "milestone_due_on": [(TODAY + timedelta(days=30)).isoformat(), ""],
        "milestone_done_on": ["", ""],
    }
    refused = client.post(f"/consortia/{consortium.id}/projects/new", data=rows)
    assert refused.status_code == 422 and "超过项目总经费" in refused.text
    made = client.post(
        f"/consortia/{consortium.id}/projects/new",
        data=rows | {"task_budget": ["80万", ""]},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    url = made.headers["location"]
    project = db.scalars(select(CommonTechProject)).one()
    token = csrf(client)
    client.post(f"{url}/start", data={"csrf_token": token, "on": TODAY.isoformat()})
    client.post(f"{url}/outputs", data={"csrf_token": token, "achievement_id": str(ach.id)})
    db.expire_all()
    milestone = db.get(CommonTechProject, project.id).milestones[0]  # type: ignore[union-attr]
    # Through another project's URL the milestone is not found, and stays open.
    other = factory.common_tech_project(consortium)
    wrong = client.post(
        f"/consortium-projects/{other.id}/milestones/{milestone.id}/done",
        data={"csrf_token": token},
    )
    assert wrong.status_code == 404
    db.expire_all()
    assert db.get(CommonTechProject, project.id).milestones[0].done_on is None  # type: ignore[union-attr]
    client.post(f"{url}/milestones/{milestone.id}/done", data={"csrf_token": token})
    accepted = client.post(f"{url}/accept", data={"csrf_token": token}, follow_redirects=True)
    assert "项目已验收" in accepted.text and "变频压缩机降噪算法" in accepted.text
    client.cookies.clear()
    public = client.get(url)
    assert public.status_code == 200 and "已验收" in public.text and "项目验收" not in public.text
    detail = client.get(f"/consortia/{consortium.id}")
    assert "压缩机降噪攻关" in detail.text and "变频压缩机降噪算法" in detail.text


def test_institute_pages(client: TestClient, factory: Factory, db: Session) -> None:
    """The office records an institute with a partner row, adds a talent and an achievement
    with evidence; the page counts the talent's grade and flags the major achievement."""
    uni = factory.org("university", name="共建高校")
    login(client, factory.user("office"))
    refused = client.post(
        "/institutes/new",
        data={
            "csrf_token": csrf(client),
            "name": "海洋装备研究院",
            "partner_organization_id": [str(uni.id)],
            "partner_kind": ["funding"],
            "partner_contribution": [""],
            "partner_amount": [""],
        },  # fmt: skip
    )
    assert refused.status_code == 422 and "共建单位第1行" in refused.text
    made = client.post(
        "/institutes/new",
        data={
            "csrf_token": csrf(client),
            "name": "海洋装备研究院",
            "partner_organization_id": [str(uni.id)],
            "partner_kind": ["talent"],
            "partner_contribution": ["科研团队"],
            "partner_amount": [""],
        },  # fmt: skip
        follow_redirects=False,
    )
    assert made.status_code == 303
    url = made.headers["location"]
    talent = factory.talent(grade="A")
    talent.organization_id = uni.id
    db.commit()
    ach = factory.achievement(uni, title="深海机器人")
    page = client.get(url)
    assert f'<option value="{talent.id}">' in page.text  # suggested from the partners
    client.post(f"{url}/talents", data={"csrf_token": csrf(client), "talent_id": str(talent.id)})
    missing = client.post(
        f"{url}/achievements",
        data={
            "csrf_token": csrf(client),
            "achievement_id": str(ach.id),
            "evidence_amount": "1200万",
            "evidence": "",
        },  # fmt: skip
    )
    assert missing.status_code == 422 and "证明材料" in missing.text
    shown = client.post(
        f"{url}/achievements",
        data={
            "csrf_token": csrf(client),
            "achievement_id": str(ach.id),
            "evidence_amount": "1200万",
            "evidence": "合同编号 QD-2026-01",
        },  # fmt: skip
        follow_redirects=True,
    )
    assert "A类 1 人" in shown.text and "重大成果</span>" in shown.text
    listing = client.get("/institutes")
    assert "海洋装备研究院" in listing.text


def test_others_cannot_manage(client: TestClient, factory: Factory) -> None:
    """An enterprise that does not lead the consortium gets 403 on its forms."""
    consortium = factory.consortium()
    login(client, factory.user("enterprise"))
    assert client.get("/consortia/new").status_code == 403
    assert client.get(f"/consortia/{consortium.id}/projects/new").status_code == 403
    assert client.get("/institutes/new").status_code == 403
