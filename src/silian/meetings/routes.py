"""Joint-meeting pages and REST endpoints: parse the request, call one service, render."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.core.concurrency import etag, stale_context, version_from_form
from silian.core.errors import StaleEdit, ValidationFailed
from silian.core.flash import redirect
from silian.core.idempotency import idempotency_key, idempotent_create
from silian.core.web import (
    PUT_RESPONSES,
    api_require_user,
    csrf_protect,
    form_dict,
    get_db,
    if_match_version,
    render,
    require_permission,
)
from silian.meetings import service
from silian.meetings.choices import DEFAULT_OFFICES, TASK_STATUS
from silian.meetings.models import JointMeeting
from silian.meetings.schemas import (
    AgendaItemIn,
    AgendaItemOut,
    DecisionIn,
    DecisionOut,
    MeetingCreateIn,
    MeetingIn,
    MeetingOut,
    MeetingPage,
    ProgressIn,
    TaskIn,
    TaskOut,
)

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
meetings_api = APIRouter(prefix="/api/v1/meetings", tags=["meetings"])
decisions_api = APIRouter(prefix="/api/v1/decisions", tags=["meetings"])
tasks_api = APIRouter(prefix="/api/v1/tasks", tags=["meetings"])
LABELS = {
    "title": "会议名称",
    "quarter": "季度",
    "held_on": "会议日期",
    "location": "地点",
    "offices": "参会部门",
    "attendees": "参会人员",
    "minutes": "会议纪要",
}


def _lines(text: Any) -> list[str]:
    return [line.strip() for line in str(text or "").splitlines() if line.strip()]


def meeting_from_form(form: dict[str, Any]) -> dict[str, Any]:
    """Meeting fields from the page form: offices, attendees and agenda one per line."""
    data = {k: form.get(k, "") for k in ("title", "quarter", "held_on", "location", "minutes")}
    data["offices"] = _lines(form.get("offices"))
    data["attendees"] = _lines(form.get("attendees"))
    if "agenda" in form:
        data["agenda"] = [{"title": line} for line in _lines(form.get("agenda"))]
    return data


def refs_from_form(values: list[str]) -> list[dict[str, Any]]:
    """Record references from checkbox values written as kind:id."""
    out = []
    for value in values:
        kind, _, raw = value.partition(":")
        out.append({"kind": kind, "id": raw})
    return out


# --- pages ---------------------------------------------------------------------------------


@router.get("/meetings")
def meeting_list(
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_permission("meeting.view")),
) -> Response:
    """Joint meetings, newest first, with the overdue follow-up tasks flagged."""
    meetings = service.list_meetings(db, user)
    last_quarter = service.last_quarter()
    return render(
        request,
        "meetings/list.html",
        {
            "meetings": [(m, service.stats(m)) for m in meetings],
            "overdue": service.list_tasks(db, user, overdue=True),
            "mine": service.list_tasks(db, user, mine=True),
            "status_label": service.status_label,
            "briefing_year": last_quarter[0],
            "briefing_quarter": last_quarter[1],
        },
    )


def _meeting_form(
    request: Request,
    item: JointMeeting | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
    stale: Any = None,
) -> Response:
    return render(
        request,
        "meetings/form.html",
        {"item": item, "values": values, "errors": errors, "labels": LABELS, "stale": stale},
        status_code,
    )


@router.get("/meetings/new")
def meeting_new(
    request: Request, user: User = Depends(require_permission("meeting.manage"))
) -> Response:
    """Blank form for a joint meeting (the three offices prefilled)."""
    return _meeting_form(request, None, {"offices": "\n".join(DEFAULT_OFFICES)}, {})


@router.post("/meetings/new")
async def meeting_create(
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_permission("meeting.manage")),
) -> Response:
    """Create the meeting with its typed agenda."""
    form = await form_dict(request)
    try:
        item = service.create_meeting(db, user, meeting_from_form(form))
    except ValidationFailed as exc:
        db.rollback()
        return _meeting_form(request, None, form, exc.errors, 422)
    return redirect(f"/meetings/{item.id}", "会商已创建")


def _detail(
    request: Request,
    db: Session,
    user: User,
    meeting_id: int,
    errors: dict[str, str] | None = None,
    form_name: str = "",
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    meeting = service.get_meeting(db, user, meeting_id)
    return render(
        request,
        "meetings/detail.html",
        {
            "m": meeting,
            "stats": service.stats(meeting),
            "links": service.record_links,
            "status_label": service.status_label,
            "today": service.today(),
            "task_status": TASK_STATUS,
            "office_users": service.office_users(db),
            "offices": DEFAULT_OFFICES,
            "errors": errors or {},
            "form_name": form_name,
            "values": values or {},
        },
        status_code,
    )


@router.get("/meetings/{meeting_id}")
def meeting_page(
    meeting_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_permission("meeting.view")),
) -> Response:
    """One meeting: agenda, attendees, minutes, decisions and their follow-up tasks."""
    return _detail(request, db, user, meeting_id)


@router.get("/meetings/{meeting_id}/edit")
def meeting_edit(
    meeting_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_permission("meeting.manage")),
) -> Response:
    """Edit form for a meeting's header, attendees and minutes."""
    item = service.get_meeting(db, user, meeting_id)
    values = {
        "title": item.title,
        "quarter": item.quarter,
        "held_on": item.held_on.isoformat(),
        "location": item.location,
        "offices": "\n".join(item.offices),
        "attendees": "\n".join(item.attendees),
        "minutes": item.minutes,
    }
    return _meeting_form(request, item, values, {})


@router.post("/meetings/{meeting_id}/edit")
async def meeting_update(
    meeting_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_permission("meeting.manage")),
) -> Response:
    """Save the meeting (refused if someone saved it since the form was loaded)."""
    form = await form_dict(request)
    loaded = version_from_form(form.get("version"))
    data = meeting_from_form(form)
    data.pop("agenda", None)
    try:
        service.update_meeting(db, user, meeting_id, data, loaded)
    except ValidationFailed as exc:
        db.rollback()
        return _meeting_form(
            request, service.get_meeting(db, user, meeting_id), form, exc.errors, 422
        )
    except StaleEdit:
        current = service.get_meeting(db, user, meeting_id)
        stale = stale_context(db, current, loaded, LABELS)
        return _meeting_form(request, current, form, {}, 409, stale)
    return redirect(f"/meetings/{meeting_id}", "会商已保存")


@router.post("/meetings/{meeting_id}/agenda")
async def agenda_add(
    meeting_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_permission("meeting.manage")),
) -> Response:
    """Add a typed agenda item."""
    form = await form_dict(request)
    data = {"title": form.get("title", ""), "notes": form.get("notes", "")}
    try:
        item = service.add_agenda_item(db, user, meeting_id, data)
    except ValidationFailed as exc:
        db.rollback()
        return _detail(request, db, user, meeting_id, exc.errors, "agenda", form, 422)
    return redirect(f"/meetings/{meeting_id}#agenda-{item.id}", "议题已加入会议")


@router.post("/meetings/{meeting_id}/decisions")
async def decision_add(
    meeting_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_permission("meeting.manage")),
) -> Response:
    """Record a decision with the records it concerns (ticked from the agenda's records)."""
    form = await form_dict(request, list_fields=("records",))
    data = {
        "content": form.get("content", ""),
        "lead_office": form.get("lead_office", ""),
        "due_date": form.get("due_date", ""),
        "agenda_item_id": form.get("agenda_item_id", ""),
        "records": refs_from_form(form.get("records", [])),
    }
    try:
        item = service.add_decision(db, user, meeting_id, data)
    except ValidationFailed as exc:
        db.rollback()
        return _detail(request, db, user, meeting_id, exc.errors, "decision", form, 422)
    return redirect(f"/meetings/{meeting_id}#decision-{item.id}", "议定事项已记录")


@router.post("/decisions/{decision_id}/tasks")
async def task_add(
    decision_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_permission("meeting.manage")),
) -> Response:
    """Assign a follow-up task of a decision to an office user."""
    form = await form_dict(request)
    decision = service.get_decision(db, user, decision_id)
    meeting_id = decision.meeting_id
    data = {k: form.get(k, "") for k in ("title", "assignee_user_id", "due_date")}
    try:
        item = service.add_task(db, user, decision_id, data)
    except ValidationFailed as exc:
        db.rollback()
        name = f"task-{decision_id}"
        return _detail(request, db, user, meeting_id, exc.errors, name, form, 422)
    return redirect(f"/meetings/{meeting_id}#task-{item.id}", "督办任务已下达，已通知承办人")


@router.post("/tasks/{task_id}/progress")
async def task_progress(
    task_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_permission("task.progress")),
) -> Response:
    """Add a dated progress note to a task and set its status."""
    form = await form_dict(request)
    task = service.get_task(db, user, task_id)
    meeting_id = task.decision.meeting_id
    data = {k: form.get(k, "") for k in ("note", "status", "noted_on")}
    try:
        service.add_progress(db, user, task_id, data)
    except ValidationFailed as exc:
        db.rollback()
        name = f"progress-{task_id}"
        return _detail(request, db, user, meeting_id, exc.errors, name, form, 422)
    return redirect(f"/meetings/{meeting_id}#task-{task_id}", "督办进展已记录")


# --- REST ------------------------------------------------------------------------------------


@meetings_api.get("", response_model=MeetingPage)
def api_list(
    db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, Any]:
    """Joint meetings, newest first, with decision and task counts (offices only)."""
    items = service.list_meetings(db, user)
    return {"items": [service.meeting_summary(m) for m in items], "total": len(items)}


@meetings_api.post("", response_model=MeetingOut, status_code=201)
def api_create(
    body: MeetingCreateIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Schedule or record a joint meeting with its typed agenda (retry with Idempotency-Key)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.create_meeting(db, user, body.model_dump(mode="json")),
        service.meeting_to_dict,
    )


@meetings_api.get("/{meeting_id}", response_model=MeetingOut)
def api_get(
    meeting_id: int,
    response: Response,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """One meeting with agenda, decisions and tasks (its ETag is what a PUT sends back)."""
    item = service.get_meeting(db, user, meeting_id)
    response.headers["ETag"] = etag(item)
    return service.meeting_to_dict(item)


@meetings_api.put("/{meeting_id}", response_model=MeetingOut, responses=PUT_RESPONSES)
def api_update(
    meeting_id: int,
    body: MeetingIn,
    response: Response,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    version: int = Depends(if_match_version),
) -> dict[str, Any]:
    """Replace the meeting's header, attendees and minutes; If-Match must carry the ETag."""
    item = service.update_meeting(db, user, meeting_id, body.model_dump(mode="json"), version)
    response.headers["ETag"] = etag(item)
    return service.meeting_to_dict(item)


@meetings_api.post("/{meeting_id}/agenda", response_model=AgendaItemOut, status_code=201)
def api_agenda(
    meeting_id: int,
    body: AgendaItemIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Add a typed agenda item with the records it is about (gaps: POST /api/v1/gaps/agenda)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.add_agenda_item(db, user, meeting_id, body.model_dump(mode="json")),
        service.agenda_to_dict,
    )


@meetings_api.post("/{meeting_id}/decisions", response_model=DecisionOut, status_code=201)
def api_decision(
    meeting_id: int,
    body: DecisionIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Record a decision (议定事项) with lead office, due date and the records it concerns."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.add_decision(db, user, meeting_id, body.model_dump(mode="json")),
        service.decision_to_dict,
    )


@decisions_api.get("/{decision_id}", response_model=DecisionOut)
def api_decision_get(
    decision_id: int, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, Any]:
    """One decision with its tasks."""
    return service.decision_to_dict(service.get_decision(db, user, decision_id))


@decisions_api.post("/{decision_id}/tasks", response_model=TaskOut, status_code=201)
def api_task(
    decision_id: int,
    body: TaskIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Assign a follow-up task (督办) of the decision to an office user (notified in the bell)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.add_task(db, user, decision_id, body.model_dump(mode="json")),
        service.task_to_dict,
    )


@tasks_api.get("", response_model=list[TaskOut])
def api_tasks(
    mine: bool = Query(False, description="只看分派给我的任务"),
    overdue: bool = Query(False, description="只看已逾期（过期未办结）的任务"),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> list[dict[str, Any]]:
    """Follow-up tasks, soonest due first."""
    return [
        service.task_to_dict(t) for t in service.list_tasks(db, user, mine=mine, overdue=overdue)
    ]


@tasks_api.get("/{task_id}", response_model=TaskOut)
def api_task_get(
    task_id: int, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, Any]:
    """One task with its dated progress notes."""
    return service.task_to_dict(service.get_task(db, user, task_id))


@tasks_api.post("/{task_id}/progress", response_model=TaskOut, status_code=201)
def api_progress(
    task_id: int,
    body: ProgressIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Add a dated progress note and set the task's status; answers the task."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.add_progress(db, user, task_id, body.model_dump(mode="json")).task,
        service.task_to_dict,
    )


# One `api` router per feature module, as web/app.py expects.
api = APIRouter()
api.include_router(meetings_api)
api.include_router(decisions_api)
api.include_router(tasks_api)
