"""Joint meetings end to end: meeting → decision → task → progress, overdue flag and the bell."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.core import clock
from silian.core.audit import AuditLog
from silian.core.errors import PermissionDenied, ValidationFailed
from silian.demands.models import Demand
from silian.meetings import service
from silian.meetings.models import FollowUpTask
from silian.notifications.models import Notification
from tests.support import Factory, api_headers, csrf, login


def test_meeting_decision_task_overdue_notification(
    client: TestClient, db: Session, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The office records a meeting, a decision on a demand and a task; once past due the task
    is flagged overdue on the API and pages and lands once in the assignee's bell."""
    office = factory.user("office")
    assignee = factory.user("office")
    ent = factory.org("enterprise")
    demand = Demand(organization_id=ent.id, title="晶圆缺陷检测需求", problem="检测速度不足。")
    db.add(demand)
    db.commit()
    headers = api_headers(client, office)

    created = client.post(
        "/api/v1/meetings",
        headers=headers,
        json={
            "title": "2026年第四季度会商会议",
            "quarter": "2026Q4",
            "held_on": "2026-11-18",
            "offices": ["市教育局", "市科学技术局"],
            "attendees": ["张处长（市教育局）"],
            "agenda": [
                {"title": "长期未对接需求", "records": [{"kind": "demand", "id": demand.id}]}
            ],
        },
    )
    assert created.status_code == 201, created.text
    meeting = created.json()
    assert meeting["agenda"][0]["records"][0]["url"] == f"/demands/{demand.id}"

    decided = client.post(
        f"/api/v1/meetings/{meeting['id']}/decisions",
        headers=headers,
        json={
            "content": "安排经纪人主动撮合晶圆检测需求。",
            "lead_office": "市科学技术局",
            "due_date": "2026-12-01",
            "agenda_item_id": meeting["agenda"][0]["id"],
            "records": [{"kind": "demand", "id": demand.id}],
        },
    )
    assert decided.status_code == 201, decided.text
    decision = decided.json()
    assert decision["meeting_id"] == meeting["id"]
    assert decision["records"] == [
        {
            "kind": "demand",
            "id": demand.id,
            "title": "晶圆缺陷检测需求",
            "url": f"/demands/{demand.id}",
        }
    ]

    monkeypatch.setattr(service, "today", lambda: date(2026, 11, 20))
    assigned = client.post(
        f"/api/v1/decisions/{decision['id']}/tasks",
        headers=headers,
        json={"title": "梳理需求清单", "assignee_user_id": assignee.id},
    )
    assert assigned.status_code == 201, assigned.text
    task = assigned.json()
    assert task["due_date"] == "2026-12-01"  # the decision's due date by default
    assert task["overdue"] is False

    monkeypatch.setattr(service, "today", lambda: date(2026, 11, 26))
    noted = client.post(
        f"/api/v1/tasks/{task['id']}/progress",
        headers=api_headers(client, assignee),
        json={"note": "已梳理 12 项需求。", "status": "in_progress", "noted_on": "2026-11-25"},
    )
    assert noted.status_code == 201, noted.text
    assert [n["note"] for n in noted.json()["notes"]] == ["已梳理 12 项需求。"]

    # Past the due date and not done: overdue everywhere, and one bell item for the assignee.
    monkeypatch.setattr(service, "today", lambda: date(2026, 12, 3))
    overdue = client.get("/api/v1/tasks?overdue=true", headers=headers).json()
    assert [t["id"] for t in overdue] == [task["id"]]
    assert overdue[0]["status_label"] == "已逾期"
    assert service.remind_overdue_tasks(db) == 1
    assert service.remind_overdue_tasks(db) == 1  # unread duplicate is not added again
    bell = db.scalars(
        select(Notification).where(
            Notification.user_id == assignee.id, Notification.kind == "task_overdue"
        )
    ).all()
    assert len(bell) == 1
    assert bell[0].url == f"/meetings/{meeting['id']}#task-{task['id']}"

    login(client, office)
    page = client.get("/meetings")
    assert page.status_code == 200
    assert "逾期督办任务" in page.text and "梳理需求清单" in page.text

    # Done closes it: no longer overdue, the history keeps both dated notes.
    client.post(
        f"/api/v1/tasks/{task['id']}/progress",
        headers=headers,
        json={"note": "已全部分派经纪人。", "status": "done"},
    )
    db.expire_all()
    row = db.get(FollowUpTask, task["id"])
    assert row is not None and row.status == "done" and len(row.notes) == 2
    assert not row.is_overdue(date(2026, 12, 3))
    assert client.get("/api/v1/tasks?overdue=true", headers=headers).json() == []
    actions = set(
        db.scalars(
            select(AuditLog.action).where(
                AuditLog.entity_type.in_(["joint_meetings", "decisions", "follow_up_tasks"])
            )
        )
    )
    assert {"create", "decide", "assign", "progress"} <= actions


def test_only_offices_and_bad_input(client: TestClient, db: Session, factory: Factory) -> None:
    """Other roles are refused; a non-office assignee or unknown record is a 422 naming it."""
    office = factory.user("office")
    enterprise = factory.user("enterprise")
    meeting = factory.meeting()
    decision = factory.decision(meeting)
    assert (
        client.get("/api/v1/meetings", headers=api_headers(client, enterprise)).status_code == 403
    )
    with pytest.raises(PermissionDenied):
        service.add_decision(
            db, enterprise, meeting.id, {"content": "x" * 5, "lead_office": "市教育局"}
        )
    with pytest.raises(ValidationFailed) as exc:
        service.add_task(
            db, office, decision.id, {"title": "任务", "assignee_user_id": enterprise.id}
        )
    assert "assignee_user_id" in exc.value.errors
    headers = api_headers(client, office)
    bad = client.post(
        f"/api/v1/meetings/{meeting.id}/decisions",
        headers=headers,
        json={
            "content": "涉及不存在的需求",
            "lead_office": "市教育局",
            "records": [{"kind": "demand", "id": 999999}],
        },
    )
    assert bad.status_code == 422
    assert "不存在" in bad.text
    assert db.scalars(select(FollowUpTask)).all() == []


def test_pages_meeting_form_and_progress(client: TestClient, db: Session, factory: Factory) -> None:
    """Through the pages: create a meeting with agenda lines, a decision, a task, progress."""
    office = factory.user("office")
    login(client, office)
    token = csrf(client)
    made = client.post(
        "/meetings/new",
        data={
            "csrf_token": token,
            "title": "页面会商",
            "quarter": "2026Q4",
            "held_on": "2026-11-18",
            "offices": "市教育局\n市科学技术局",
            "agenda": "议题一\n议题二",
            "minutes": "纪要",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    meeting_id = int(made.headers["location"].split("/")[2].split("?")[0])
    decided = client.post(
        f"/meetings/{meeting_id}/decisions",
        data={
            "csrf_token": token,
            "content": "议定内容",
            "lead_office": "市教育局",
            "due_date": (clock.today() - timedelta(days=1)).isoformat(),
        },
        follow_redirects=False,
    )
    assert decided.status_code == 303
    decision_id = int(decided.headers["location"].split("decision-")[1])
    missing = client.post(
        f"/decisions/{decision_id}/tasks",
        data={"csrf_token": token, "title": "任务", "assignee_user_id": ""},
    )
    assert (
        missing.status_code == 422 and "assignee_user_id" in missing.text or "承办" in missing.text
    )
    client.post(
        f"/decisions/{decision_id}/tasks",
        data={"csrf_token": token, "title": "页面任务", "assignee_user_id": office.id},
    )
    page = client.get(f"/meetings/{meeting_id}")
    assert "议题一" in page.text and "页面任务" in page.text and "已逾期" in page.text
