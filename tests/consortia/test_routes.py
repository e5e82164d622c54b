"""Consortium, project and institute pages: forms with repeated rows, refusals naming the field
or row, the lifecycle buttons and the institute's major-achievement flag."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silian.consortia.models import CommonTechProject, InnovationConsortium, RdInstitute
from silian.core import clock
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


# --- versions: stale saves refused (API 412, forms 409 with the other's change), safe retries --


@dataclass(frozen=True)
class Record:
    """One record kind of this feature as the version tests use it."""

    api: str  # the record's API URL
    page: str  # its edit form
    body: dict[str, Any]
    form: dict[str, Any]
    field: str  # a text field both writers change


def _record(kind: str, factory: Factory) -> Record:
    lead = factory.org("enterprise", name=f"牵头企业{kind}")
    uni = factory.org("university", name=f"成员大学{kind}")
    consortium = factory.consortium(lead, {uni: "research"})
    if kind == "consortium":
        body = {"name": consortium.name, "lead_organization_id": lead.id, "goal": "联合攻关",
                "members": [{"organization_id": uni.id, "part": "research"}]}  # fmt: skip
        form = {"name": consortium.name, "lead_organization_id": str(lead.id), "goal": "联合攻关",
                "member_organization_id": [str(uni.id)], "member_part": ["research"]}  # fmt: skip
        return Record(
            f"/api/v1/consortia/{consortium.id}",
            f"/consortia/{consortium.id}/edit",
            body,
            form,
            "goal",
        )
    if kind == "project":
        project = factory.common_tech_project(consortium, description="攻关内容")
        body = {
            "title": project.title,
            "budget": "100万",
            "description": "攻关内容",
            "tasks": [{"organization_id": uni.id, "task": "机理研究", "budget": "50万"}],
        }
        form = {"title": project.title, "budget": "100万", "description": "攻关内容",
                "task_organization_id": [str(uni.id)], "task_text": ["机理研究"],
                "task_budget": ["50万"]}  # fmt: skip
        return Record(
            f"/api/v1/consortium-projects/{project.id}",
            f"/consortium-projects/{project.id}/edit",
            body,
            form,
            "description",
        )
    institute = factory.rd_institute(description="机构简介")
    body = {
        "name": institute.name,
        "description": "机构简介",
        "partners": [{"organization_id": uni.id, "kind": "site", "contribution": "实验楼"}],
    }
    form = {"name": institute.name, "description": "机构简介",
            "partner_organization_id": [str(uni.id)], "partner_kind": ["site"],
            "partner_contribution": ["实验楼"], "partner_amount": [""]}  # fmt: skip
    return Record(
        f"/api/v1/institutes/{institute.id}",
        f"/institutes/{institute.id}/edit",
        body,
        form,
        "description",
    )


KINDS = pytest.mark.parametrize("kind", ["consortium", "project", "institute"])


@KINDS
def test_stale_put_is_refused(client: TestClient, factory: Factory, kind: str) -> None:
    """Each record's PUT names the version it replaces (428 / 412)."""
    record = _record(kind, factory)
    office = api_headers(client, factory.user("office"))
    versioned_put(client, record.api, office, record.body, record.field)


@KINDS
def test_stale_form_keeps_input_and_shows_the_change(
    client: TestClient, factory: Factory, kind: str
) -> None:
    """A form loaded before another office saved the record is refused with the user's input,
    the other's change and the new version; saving again overwrites deliberately."""
    record = _record(kind, factory)
    api = TestClient(client.app)
    other = api_headers(api, factory.user("office"))

    def meanwhile() -> str:
        theirs = "他人改过的内容"
        body = record.body | {record.field: theirs}
        saved = api.put(record.api, json=body, headers=if_match(api, record.api, other))
        assert saved.status_code == 200, saved.text
        return theirs

    login(client, factory.user("office"))
    stale_form(client, record.page, record.form, record.field, meanwhile)
    assert api.get(record.api).json()[record.field] == f"{record.form[record.field]}（我的）"


def test_creates_retried_with_the_same_key_create_once(
    client: TestClient, factory: Factory, db: Session
) -> None:
    """Consortia, projects, institutes and the rows added to them, retried with their
    Idempotency-Key, answer as the first time (a second add would be refused as a duplicate)."""
    office = api_headers(client, factory.user("office"))
    lead = factory.org("enterprise")
    uni = factory.org("university")
    consortium = idempotent_post(
        client, "/api/v1/consortia", office, {"name": "重试联合体", "lead_organization_id": lead.id}
    )
    project = idempotent_post(
        client,
        f"/api/v1/consortia/{consortium['id']}/projects",
        office,
        {"title": "重试攻关项目", "budget": "10万"},
    )
    url = f"/api/v1/consortium-projects/{project['id']}/start"
    assert client.post(url, json={}, headers=office).status_code == 200
    ach = factory.achievement(uni)
    out = idempotent_post(
        client,
        f"/api/v1/consortium-projects/{project['id']}/outputs",
        office,
        {"achievement_id": ach.id},
    )
    assert [o["achievement_id"] for o in out["outputs"]] == [ach.id]
    institute = idempotent_post(client, "/api/v1/institutes", office, {"name": "重试研究院"})
    talent = factory.talent(grade="A")
    added = idempotent_post(
        client, f"/api/v1/institutes/{institute['id']}/talents", office, {"talent_id": talent.id}
    )
    assert added["talents_by_grade"] == {"A": 1}
    linked = idempotent_post(
        client,
        f"/api/v1/institutes/{institute['id']}/achievements",
        office,
        {"achievement_id": ach.id},
    )
    assert [a["achievement_id"] for a in linked["achievements"]] == [ach.id]
    assert db.scalar(select(func.count(InnovationConsortium.id))) == 1
    assert db.scalar(select(func.count(CommonTechProject.id))) == 1
    assert db.scalar(select(func.count(RdInstitute.id))) == 1
