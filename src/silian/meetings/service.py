"""Joint-meeting services: meetings, agenda, decisions, follow-up tasks, progress and reminders.

Every named change checks the permission table, writes an audit row and commits. Overdue is
computed (not done after the due date), so a late progress note never hides that a task slipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, false, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.chains.models import IndustryChain
from silian.coordination.models import InvestmentProject
from silian.core import audit, clock
from silian.core.concurrency import check_version, saving, touch
from silian.core.errors import Conflict, NotFound, ValidationFailed
from silian.core.permissions import can, require, visible_where
from silian.core.transactions import commit
from silian.core.validation import parse
from silian.demands.models import Demand
from silian.education.models import NamedClass
from silian.meetings.choices import OVERDUE_LABEL, RECORD_KINDS, TASK_STATUS
from silian.meetings.models import AgendaItem, Decision, FollowUpTask, JointMeeting, ProgressNote
from silian.meetings.schemas import (
    AgendaItemIn,
    DecisionIn,
    MeetingCreateIn,
    MeetingIn,
    ProgressIn,
    RecordRefIn,
    TaskIn,
)
from silian.notifications import service as notifications
from silian.organizations.models import Organization
from silian.talent.models import TalentNeed

# Each record kind's model and the attribute that titles it.
RECORD_MODELS: dict[str, tuple[type[Any], str]] = {
    "chain": (IndustryChain, "name"),
    "demand": (Demand, "title"),
    "achievement": (Achievement, "title"),
    "talent_need": (TalentNeed, "position"),
    "investment_project": (InvestmentProject, "name"),
    "named_class": (NamedClass, "name"),
    "organization": (Organization, "name"),
}


def today() -> date:
    """The city's current date (tests replace it)."""
    return clock.today()


def last_quarter(on: date | None = None) -> tuple[int, int]:
    """The last complete quarter before on (default today): what a briefing usually covers."""
    day = on or today()
    quarter = (day.month - 1) // 3  # the current quarter's index 0–3 is the previous one's number
    return (day.year, quarter) if quarter else (day.year - 1, 4)


def record_url(kind: str, record_id: int) -> str:
    """The page of a record a decision or agenda item concerns."""
    return RECORD_KINDS[kind][1].format(id=record_id)


def record_label(kind: str) -> str:
    """The Chinese name of a record kind."""
    return RECORD_KINDS[kind][0]


# --- reading ---------------------------------------------------------------------------------


def visible_query(user: User | None) -> Select[JointMeeting]:
    """Meetings this user may see (the offices see all; nobody else sees any), newest first."""
    return (
        select(JointMeeting)
        .where(visible_where(user, "meeting.view", JointMeeting, false()))
        .order_by(JointMeeting.held_on.desc(), JointMeeting.id.desc())
    )


def list_meetings(session: Session, user: User | None) -> list[JointMeeting]:
    """Every meeting the user may see (403 for those who may see none)."""
    require(user, "meeting.view")
    return list(session.scalars(visible_query(user)))


def upcoming_meetings(session: Session, user: User | None) -> list[JointMeeting]:
    """Meetings not yet held (today or later), soonest first: where a gap can be put."""
    if not can(user, "meeting.view"):
        return []
    stmt = visible_query(user).where(JointMeeting.held_on >= today()).order_by(None)
    return list(session.scalars(stmt.order_by(JointMeeting.held_on, JointMeeting.id)))


def get_meeting(session: Session, user: User | None, meeting_id: int) -> JointMeeting:
    """One meeting, or NotFound; 403 for those who may see no meeting."""
    require(user, "meeting.view")
    item = session.scalar(visible_query(user).where(JointMeeting.id == meeting_id))
    if item is None:
        raise NotFound("会商会议不存在")
    return item


def get_decision(session: Session, user: User | None, decision_id: int) -> Decision:
    """One decision, or NotFound."""
    require(user, "meeting.view")
    item = session.get(Decision, decision_id)
    if item is None:
        raise NotFound("议定事项不存在")
    return item


def get_task(session: Session, user: User | None, task_id: int) -> FollowUpTask:
    """One follow-up task, or NotFound."""
    require(user, "meeting.view")
    item = session.get(FollowUpTask, task_id)
    if item is None:
        raise NotFound("督办任务不存在")
    return item


def task_query(user: User | None) -> Select[FollowUpTask]:
    """Tasks of the meetings the user may see, soonest due first."""
    return (
        select(FollowUpTask)
        .join(Decision, Decision.id == FollowUpTask.decision_id)
        .join(JointMeeting, JointMeeting.id == Decision.meeting_id)
        .where(visible_where(user, "meeting.view", JointMeeting, false()))
        .order_by(FollowUpTask.due_date.is_(None), FollowUpTask.due_date, FollowUpTask.id)
    )


def overdue_query(user: User | None, on: date | None = None) -> Select[FollowUpTask]:
    """Tasks not done after their due date (as of on, default today)."""
    return task_query(user).where(
        FollowUpTask.status != "done", FollowUpTask.due_date < (on or today())
    )


def list_tasks(
    session: Session, user: User | None, *, mine: bool = False, overdue: bool = False
) -> list[FollowUpTask]:
    """Tasks the user may see; mine: assigned to the user; overdue: past due and not done."""
    require(user, "meeting.view")
    stmt = overdue_query(user) if overdue else task_query(user)
    if mine and user is not None:
        stmt = stmt.where(FollowUpTask.assignee_user_id == user.id)
    return list(session.scalars(stmt))


def status_label(task: FollowUpTask, on: date | None = None) -> str:
    """The task's status in Chinese, 已逾期 when overdue."""
    if task.is_overdue(on or today()):
        return OVERDUE_LABEL
    return TASK_STATUS.label(task.status)


@dataclass
class MeetingStats:
    """A meeting's counts for lists and the briefing."""

    decisions: int
    open_tasks: int
    overdue_tasks: int
    done_tasks: int


def stats(meeting: JointMeeting, on: date | None = None) -> MeetingStats:
    """Decisions and task counts of one meeting."""
    day = on or today()
    tasks = [t for d in meeting.decisions for t in d.tasks]
    return MeetingStats(
        decisions=len(meeting.decisions),
        open_tasks=sum(1 for t in tasks if t.status != "done"),
        overdue_tasks=sum(1 for t in tasks if t.is_overdue(day)),
        done_tasks=sum(1 for t in tasks if t.status == "done"),
    )


def office_users(session: Session) -> list[User]:
    """Active users who may take follow-up tasks (those allowed to update progress)."""
    users = session.scalars(
        select(User).where(User.is_active.is_(True)).order_by(User.display_name, User.username)
    )
    return [u for u in users if can(u, "task.progress")]


# --- records concerned -------------------------------------------------------------------------


def resolve_records(
    session: Session, refs: list[RecordRefIn], field: str = "records"
) -> list[dict[str, Any]]:
    """The records as stored (kind, id, title); an unknown record is refused naming its row."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, int]] = set()
    for i, ref in enumerate(refs):
        if (ref.kind, ref.id) in seen:
            continue
        seen.add((ref.kind, ref.id))
        model, attr = RECORD_MODELS[ref.kind]
        record = session.get(model, ref.id)
        if record is None:
            raise ValidationFailed(
                {f"{field}.{i}": f"第{i + 1}项：{record_label(ref.kind)} {ref.id} 不存在"}
            )
        out.append({"kind": ref.kind, "id": ref.id, "title": str(getattr(record, attr))})
    return out


def record_links(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored record references with their Chinese kind and page URL."""
    return [
        r | {"label": record_label(r["kind"]), "url": record_url(r["kind"], int(r["id"]))}
        for r in records
        if r.get("kind") in RECORD_KINDS
    ]


# --- meetings and agenda -----------------------------------------------------------------------


def _unique_title(session: Session, title: str, meeting_id: int | None = None) -> None:
    clash = session.scalar(
        select(JointMeeting.id).where(JointMeeting.title == title, JointMeeting.id != meeting_id)
    )
    if clash is not None:
        raise ValidationFailed({"title": "已有同名的会商会议，请换一个标题"})


def _agenda_row(
    session: Session, meeting: JointMeeting, item: AgendaItemIn, gap_key: str = ""
) -> AgendaItem:
    if item.chain_id is not None and session.get(IndustryChain, item.chain_id) is None:
        raise ValidationFailed({"chain_id": "产业链不存在"})
    seq = max((a.seq for a in meeting.agenda), default=0) + 1
    row = AgendaItem(
        title=item.title,
        notes=item.notes,
        chain_id=item.chain_id,
        gap_key=gap_key,
        seq=seq,
        records=resolve_records(session, item.records),
    )
    meeting.agenda.append(row)
    return row


def create_meeting(session: Session, user: User, data: dict[str, Any]) -> JointMeeting:
    """Schedule (or record) a joint meeting with its typed agenda; audited, commits."""
    require(user, "meeting.manage")
    body = parse(MeetingCreateIn, data)
    _unique_title(session, body.title)
    meeting = JointMeeting(
        **body.model_dump(exclude={"agenda"}), created_by_id=user.id, agenda=[], decisions=[]
    )
    session.add(meeting)
    for item in body.agenda:
        _agenda_row(session, meeting, item)
    audit.record(
        session,
        actor=user,
        action="create",
        entity=meeting,
        changes={"title": [None, meeting.title], "held_on": [None, str(meeting.held_on)]},
        summary=f"安排会商会议：{meeting.title}",
    )
    _commit_unique(session)
    return meeting


def _commit_unique(session: Session) -> None:
    try:
        commit(session)
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("已有同名的会商会议，请换一个标题") from exc


def update_meeting(
    session: Session,
    user: User,
    meeting_id: int,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> JointMeeting:
    """Edit a meeting's header, attendees and minutes loaded at expected_version; audited."""
    meeting = get_meeting(session, user, meeting_id)
    require(user, "meeting.manage", meeting)
    body = parse(MeetingIn, data)
    check_version(meeting, expected_version)
    _unique_title(session, body.title, meeting.id)
    with saving(session):
        before = audit.snapshot(meeting)
        for key, value in body.model_dump().items():
            setattr(meeting, key, value)
        touch(meeting)
        session.flush()
        audit.record(
            session,
            actor=user,
            action="update",
            entity=meeting,
            changes=audit.diff(before, audit.snapshot(meeting)),
            summary=f"修改会商会议：{meeting.title}",
        )
        commit(session)
    return meeting


def add_agenda_item(
    session: Session, user: User, meeting_id: int, data: dict[str, Any], *, gap_key: str = ""
) -> AgendaItem:
    """Add an agenda item (typed, or from a gap named by gap_key, listed once); commits."""
    meeting = get_meeting(session, user, meeting_id)
    require(user, "meeting.manage", meeting)
    body = parse(AgendaItemIn, data)
    if gap_key and any(a.gap_key == gap_key for a in meeting.agenda):
        raise Conflict("该短板已在本次会商议题中")
    row = _agenda_row(session, meeting, body, gap_key)
    audit.record(
        session,
        actor=user,
        action="agenda",
        entity=meeting,
        changes={"agenda": [None, row.title]},
        summary=f"会商议题：{row.title}",
    )
    commit(session)
    return row


# --- decisions, tasks and progress -------------------------------------------------------------


def add_decision(session: Session, user: User, meeting_id: int, data: dict[str, Any]) -> Decision:
    """Record a decision (议定事项) of a meeting with the records it concerns; commits."""
    meeting = get_meeting(session, user, meeting_id)
    require(user, "meeting.manage", meeting)
    body = parse(DecisionIn, data)
    if body.agenda_item_id is not None and body.agenda_item_id not in {
        a.id for a in meeting.agenda
    }:
        raise ValidationFailed({"agenda_item_id": "议题不属于本次会议"})
    decision = Decision(
        content=body.content,
        lead_office=body.lead_office,
        due_date=body.due_date,
        agenda_item_id=body.agenda_item_id,
        records=resolve_records(session, body.records),
        tasks=[],
    )
    meeting.decisions.append(decision)
    audit.record(
        session,
        actor=user,
        action="decide",
        entity=decision,
        changes={"content": [None, decision.content], "lead_office": [None, body.lead_office]},
        summary=f"议定事项（{meeting.title}）：{decision.content[:60]}",
    )
    commit(session)
    return decision


def add_task(session: Session, user: User, decision_id: int, data: dict[str, Any]) -> FollowUpTask:
    """Assign a follow-up task of a decision to an office user; the assignee is notified."""
    decision = get_decision(session, user, decision_id)
    require(user, "meeting.manage", decision.meeting)
    body = parse(TaskIn, data)
    assignee = session.get(User, body.assignee_user_id)
    if assignee is None or not assignee.is_active or not can(assignee, "task.progress"):
        raise ValidationFailed({"assignee_user_id": "督办任务只能交给在岗的政府部门用户"})
    task = FollowUpTask(
        title=body.title,
        assignee_user_id=assignee.id,
        assignee_id=assignee.organization_id,
        due_date=body.due_date or decision.due_date,
        status="open",
        notes=[],
    )
    decision.tasks.append(task)
    audit.record(
        session,
        actor=user,
        action="assign",
        entity=task,
        changes={"assignee_user_id": [None, assignee.id], "due_date": [None, str(task.due_date)]},
        summary=f"督办任务：{task.title} → {assignee.display_name or assignee.username}",
    )
    notifications.notify(
        session,
        assignee.id,
        "task_assigned",
        f"新的督办任务：{task.title}",
        task_url(task),
        dedupe_key=f"task:{task.id}:assigned",
    )
    commit(session)
    return task


def task_url(task: FollowUpTask) -> str:
    """The task's place on its meeting's page."""
    return f"/meetings/{task.decision.meeting_id}#task-{task.id}"


def add_progress(session: Session, user: User, task_id: int, data: dict[str, Any]) -> ProgressNote:
    """Add a dated progress note and set the task's status (done closes it); audited."""
    task = get_task(session, user, task_id)
    require(user, "task.progress", task)
    body = parse(ProgressIn, data)
    noted_on = body.noted_on or today()
    if noted_on > today():
        raise ValidationFailed({"noted_on": "进展日期不能晚于今天"})
    before = task.status
    note = ProgressNote(noted_on=noted_on, note=body.note, status=body.status, author_id=user.id)
    task.notes.append(note)
    task.status = body.status
    task.progress = body.note
    touch(task)
    audit.record(
        session,
        actor=user,
        action="progress",
        entity=task,
        changes={"status": [before, body.status], "progress": [None, body.note]},
        summary=f"督办进展：{task.title}（{TASK_STATUS.label(body.status)}）",
    )
    commit(session)
    return note


def remind_overdue_tasks(session: Session, on: date | None = None) -> int:
    """Put each overdue task in its assignee's bell (once while unread); commits."""
    day = on or today()
    sent = 0
    for task in session.scalars(all_overdue(day)):
        if task.assignee_user_id is None:
            continue
        notifications.notify(
            session,
            task.assignee_user_id,
            "task_overdue",
            f"督办任务已逾期：{task.title}（应于 {task.due_date:%Y-%m-%d} 前完成）",
            task_url(task),
            dedupe_key=f"task:{task.id}:overdue",
        )
        sent += 1
    commit(session)
    return sent


def all_overdue(day: date) -> Select[FollowUpTask]:
    """Every task overdue on day, whoever may see it (for the reminder job and reports)."""
    return (
        select(FollowUpTask)
        .where(FollowUpTask.status != "done", FollowUpTask.due_date < day)
        .order_by(FollowUpTask.id)
    )


# --- API shapes --------------------------------------------------------------------------------


def task_to_dict(task: FollowUpTask, on: date | None = None) -> dict[str, Any]:
    """A task for the API."""
    day = on or today()
    assignee = task.assignee_user
    return {
        "id": task.id,
        "decision_id": task.decision_id,
        "meeting_id": task.decision.meeting_id,
        "title": task.title,
        "assignee_user_id": task.assignee_user_id,
        "assignee_name": (assignee.display_name or assignee.username) if assignee else "",
        "assignee_unit_id": task.assignee_id,
        "due_date": task.due_date,
        "status": task.status,
        "status_label": status_label(task, day),
        "overdue": task.is_overdue(day),
        "progress": task.progress,
        "version": task.version,
        "notes": [
            {
                "id": n.id,
                "noted_on": n.noted_on,
                "note": n.note,
                "status": n.status,
                "author_id": n.author_id,
                "created_at": n.created_at,
            }
            for n in task.notes
        ],
    }


def _refs_out(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"kind": r["kind"], "id": r["id"], "title": r["title"], "url": r["url"]}
        for r in record_links(records)
    ]


def decision_to_dict(decision: Decision) -> dict[str, Any]:
    """A decision for the API."""
    return {
        "id": decision.id,
        "meeting_id": decision.meeting_id,
        "content": decision.content,
        "lead_office": decision.lead_office,
        "due_date": decision.due_date,
        "agenda_item_id": decision.agenda_item_id,
        "records": _refs_out(decision.records),
        "tasks": [task_to_dict(t) for t in decision.tasks],
        "version": decision.version,
    }


def agenda_to_dict(item: AgendaItem) -> dict[str, Any]:
    """An agenda item for the API."""
    return {
        "id": item.id,
        "seq": item.seq,
        "title": item.title,
        "notes": item.notes,
        "gap_key": item.gap_key,
        "chain_id": item.chain_id,
        "records": _refs_out(item.records),
    }


def meeting_to_dict(meeting: JointMeeting) -> dict[str, Any]:
    """A meeting with agenda and decisions for the API."""
    return {
        "id": meeting.id,
        "title": meeting.title,
        "quarter": meeting.quarter,
        "held_on": meeting.held_on,
        "location": meeting.location,
        "offices": meeting.offices,
        "attendees": meeting.attendees,
        "minutes": meeting.minutes,
        "version": meeting.version,
        "agenda": [agenda_to_dict(a) for a in meeting.agenda],
        "decisions": [decision_to_dict(d) for d in meeting.decisions],
    }


def meeting_summary(meeting: JointMeeting) -> dict[str, Any]:
    """A meeting in a list, with its counts."""
    s = stats(meeting)
    return {
        "id": meeting.id,
        "title": meeting.title,
        "quarter": meeting.quarter,
        "held_on": meeting.held_on,
        "location": meeting.location,
        "decisions": s.decisions,
        "open_tasks": s.open_tasks,
        "overdue_tasks": s.overdue_tasks,
    }
