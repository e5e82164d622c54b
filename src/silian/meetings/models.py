"""JointMeeting, its agenda items, Decision, FollowUpTask and the tasks' dated progress notes."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silian.core.concurrency import Versioned
from silian.core.db import Base, TimestampMixin, utcnow
from silian.meetings.choices import TASK_STATUS

if TYPE_CHECKING:
    from silian.accounts.models import User


class JointMeeting(Versioned, TimestampMixin, Base):
    """会商会议: the quarterly joint meeting of the education, science and talent offices."""

    __tablename__ = "joint_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    quarter: Mapped[str] = mapped_column(String(10), nullable=False)
    held_on: Mapped[date] = mapped_column(nullable=False)
    location: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    offices: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    attendees: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    minutes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting",
        cascade="all, delete-orphan",
        order_by="AgendaItem.seq",
    )
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="Decision.id"
    )


class AgendaItem(TimestampMixin, Base):
    """会商议题: one item on a meeting's agenda, typed or picked from a detected gap."""

    __tablename__ = "meeting_agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("joint_meetings.id", ondelete="CASCADE"), nullable=False, index=True
    )
    seq: Mapped[int] = mapped_column(nullable=False, default=1)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The gap it came from ("unmatched_demands:3"), '' when typed: one gap is listed once.
    gap_key: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    chain_id: Mapped[int | None] = mapped_column(
        ForeignKey("industry_chains.id", ondelete="SET NULL"), nullable=True
    )
    # [{"kind": "demand", "id": 3, "title": "..."}]: the records the item is about.
    records: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)

    meeting: Mapped[JointMeeting] = relationship(back_populates="agenda")


class Decision(Versioned, TimestampMixin, Base):
    """议定事项: one item agreed at a joint meeting, with its lead office and due date."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("joint_meetings.id", ondelete="CASCADE"), nullable=False
    )
    content: Mapped[str] = mapped_column(Text, nullable=False)
    lead_office: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    due_date: Mapped[date | None] = mapped_column(nullable=True)
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_agenda_items.id", ondelete="SET NULL"), nullable=True
    )
    # [{"kind": "demand", "id": 3, "title": "..."}]: the records the decision concerns.
    records: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)

    meeting: Mapped[JointMeeting] = relationship(back_populates="decisions")
    tasks: Mapped[list[FollowUpTask]] = relationship(
        back_populates="decision", cascade="all, delete-orphan", order_by="FollowUpTask.id"
    )


class FollowUpTask(Versioned, TimestampMixin, Base):
    """督办任务: a follow-up task of a decision, assigned to a user, with status and progress."""

    __tablename__ = "follow_up_tasks"
    __table_args__ = (TASK_STATUS.check("status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        ForeignKey("decisions.id", ondelete="CASCADE"), nullable=False
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    # 承办单位: the assignee's unit when the task was assigned.
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True
    )
    assignee_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    due_date: Mapped[date | None] = mapped_column(nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    # The latest progress note's text (the dated history is in `notes`).
    progress: Mapped[str] = mapped_column(Text, nullable=False, default="")

    decision: Mapped[Decision] = relationship(back_populates="tasks")
    assignee_user: Mapped[User | None] = relationship(lazy="joined")
    notes: Mapped[list[ProgressNote]] = relationship(
        back_populates="task",
        cascade="all, delete-orphan",
        order_by="ProgressNote.noted_on, ProgressNote.id",
    )

    def is_overdue(self, today: date) -> bool:
        """Whether the task is past its due date and not done (as of today)."""
        return self.status != "done" and self.due_date is not None and self.due_date < today


class ProgressNote(Base):
    """A dated progress note (督办进展) on a follow-up task, with the status it left."""

    __tablename__ = "task_progress_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(
        ForeignKey("follow_up_tasks.id", ondelete="CASCADE"), nullable=False, index=True
    )
    noted_on: Mapped[date] = mapped_column(nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

    task: Mapped[FollowUpTask] = relationship(back_populates="notes")
