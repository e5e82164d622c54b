"""Input and output schemas of joint meetings, agenda items, decisions, tasks and progress."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from silian.core.fields import Multiline
from silian.core.schemas import InputModel

RecordKind = Literal[
    "chain",
    "demand",
    "achievement",
    "talent_need",
    "investment_project",
    "named_class",
    "organization",
]
TaskStatus = Literal["open", "in_progress", "done"]


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class RecordRefIn(InputModel):
    """A record an agenda item or decision concerns: its kind and id."""

    kind: RecordKind
    id: int = Field(ge=1)


class MeetingIn(InputModel):
    """A joint meeting's header: title, quarter, date, place, offices, attendees, minutes."""

    title: str = Field(min_length=2, max_length=200)
    quarter: str = Field(pattern=r"^20\d{2}Q[1-4]$", description="季度，如 2026Q4")
    held_on: date
    location: str = Field(default="", max_length=200)
    offices: list[str] = Field(default_factory=list, max_length=10)
    attendees: list[str] = Field(default_factory=list, max_length=100)
    minutes: Multiline = Field(default="", max_length=20000)

    @field_validator("title", "location", "quarter", "minutes", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return _strip(value)

    @field_validator("offices", "attendees", mode="after")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        names = [v.strip() for v in value if v.strip()]
        if any(len(n) > 100 for n in names):
            raise ValueError("每项不超过100个字")
        return list(dict.fromkeys(names))


class AgendaItemIn(InputModel):
    """An agenda item typed by the office (gaps add theirs through the gap service)."""

    title: str = Field(min_length=2, max_length=300)
    notes: Multiline = Field(default="", max_length=5000)
    chain_id: int | None = None
    records: list[RecordRefIn] = Field(default_factory=list, max_length=50)

    @field_validator("title", "notes", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return _strip(value)

    @field_validator("chain_id", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)


class MeetingCreateIn(MeetingIn):
    """A new meeting with its typed agenda (one title per item)."""

    agenda: list[AgendaItemIn] = Field(default_factory=list, max_length=50)


class DecisionIn(InputModel):
    """议定事项: what was agreed, the lead office, the due date and the records concerned."""

    content: Multiline = Field(min_length=2, max_length=5000)
    lead_office: str = Field(min_length=2, max_length=100)
    due_date: date | None = None
    agenda_item_id: int | None = None
    records: list[RecordRefIn] = Field(default_factory=list, max_length=50)

    @field_validator("content", "lead_office", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return _strip(value)

    @field_validator("due_date", "agenda_item_id", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)


class TaskIn(InputModel):
    """督办任务: a task of a decision, assigned to an office user, due on a date."""

    title: str = Field(min_length=2, max_length=200)
    assignee_user_id: int = Field(ge=1)
    due_date: date | None = None

    @field_validator("title", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return _strip(value)

    @field_validator("due_date", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)


class ProgressIn(InputModel):
    """A dated progress note and the status it leaves the task in."""

    note: Multiline = Field(min_length=2, max_length=5000)
    status: TaskStatus = "in_progress"
    noted_on: date | None = None

    @field_validator("note", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return _strip(value)

    @field_validator("noted_on", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)


class RecordRefOut(BaseModel):
    """A record concerned, with its title and page."""

    kind: str
    id: int
    title: str
    url: str


class ProgressOut(BaseModel):
    """One dated progress note."""

    id: int
    noted_on: date
    note: str
    status: str
    author_id: int | None
    created_at: datetime


class TaskOut(BaseModel):
    """A follow-up task with its status, overdue flag and progress notes."""

    id: int
    decision_id: int
    meeting_id: int
    title: str
    assignee_user_id: int | None
    assignee_name: str
    assignee_unit_id: int | None
    due_date: date | None
    status: str
    status_label: str
    overdue: bool
    progress: str
    version: int
    notes: list[ProgressOut]


class DecisionOut(BaseModel):
    """A decision with its lead office, due date, records concerned and tasks."""

    id: int
    meeting_id: int
    content: str
    lead_office: str
    due_date: date | None
    agenda_item_id: int | None
    records: list[RecordRefOut]
    tasks: list[TaskOut]
    version: int


class AgendaItemOut(BaseModel):
    """An agenda item (gap_key names the detected gap it came from)."""

    id: int
    seq: int
    title: str
    notes: str
    gap_key: str
    chain_id: int | None
    records: list[RecordRefOut]


class MeetingOut(BaseModel):
    """A joint meeting with agenda, attendees, minutes and decisions."""

    id: int
    title: str
    quarter: str
    held_on: date
    location: str
    offices: list[str]
    attendees: list[str]
    minutes: str
    version: int
    agenda: list[AgendaItemOut]
    decisions: list[DecisionOut]


class MeetingSummary(BaseModel):
    """A meeting in a list: counts of decisions, open and overdue tasks."""

    id: int
    title: str
    quarter: str
    held_on: date
    location: str
    decisions: int
    open_tasks: int
    overdue_tasks: int


class MeetingPage(BaseModel):
    """Meetings, newest first."""

    items: list[MeetingSummary]
    total: int
