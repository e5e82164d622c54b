"""Training programmes, enrolments up to the seats (also under concurrency), completions and
certificates, and each base's yearly capacity and utilisation.

Each named state change is one function that checks who may do it, writes the audit row and
commits. Seats are taken by one conditional UPDATE (``taken < seats``), so two people enrolling
for the last seat at once cannot both get it, on SQLite or PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.core import audit, clock, permissions
from silian.core.concurrency import check_version
from silian.core.db import utcnow
from silian.core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from silian.core.transactions import commit
from silian.core.validation import parse
from silian.education.models import TrainingBase
from silian.training.choices import SEATED_STATUSES
from silian.training.models import Enrolment, TrainingProgramme
from silian.training.schemas import CompletionIn, ProgrammeIn


def today() -> date:
    """Today's date (one place, so tests can move it)."""
    return clock.today()


# --- reading -------------------------------------------------------------------------------


def visible_query(user: User | None) -> Select[Any]:
    """Programmes visible to user: every programme is public (people enrol in them)."""
    return select(TrainingProgramme).where(true())


def list_programmes(
    session: Session, user: User | None, base_id: int | None = None, chain_id: int | None = None
) -> list[TrainingProgramme]:
    """Programmes, soonest first, optionally of one base or chain."""
    stmt = visible_query(user)
    if base_id:
        stmt = stmt.where(TrainingProgramme.base_id == base_id)
    if chain_id:
        stmt = stmt.where(TrainingProgramme.chain_id == chain_id)
    stmt = stmt.order_by(TrainingProgramme.starts_on.desc(), TrainingProgramme.id)
    return list(session.scalars(stmt).unique())


def get_programme(session: Session, user: User | None, programme_id: int) -> TrainingProgramme:
    """One programme, else NotFound."""
    item = session.get(TrainingProgramme, programme_id)
    if item is None:
        raise NotFound("培训项目不存在")
    return item


def enrolments(session: Session, programme: TrainingProgramme) -> list[Enrolment]:
    """Everyone enrolled in programme, in order of enrolment."""
    stmt = (
        select(Enrolment)
        .where(Enrolment.programme_id == programme.id)
        .order_by(Enrolment.enrolled_at, Enrolment.id)
    )
    return list(session.scalars(stmt).unique())


def my_enrolments(session: Session, user: User) -> list[Enrolment]:
    """The user's own enrolments, newest first."""
    stmt = (
        select(Enrolment)
        .where(Enrolment.user_id == user.id)
        .order_by(Enrolment.enrolled_at.desc(), Enrolment.id.desc())
    )
    return list(session.scalars(stmt).unique())


def my_enrolment(session: Session, user: User | None, programme_id: int) -> Enrolment | None:
    """The user's enrolment in a programme, if any."""
    if user is None:
        return None
    return session.scalar(
        select(Enrolment).where(
            Enrolment.programme_id == programme_id, Enrolment.user_id == user.id
        )
    )


def manageable_bases(session: Session, user: User) -> list[TrainingBase]:
    """Bases whose programmes user may manage (the office: every base)."""
    stmt = select(TrainingBase).order_by(TrainingBase.name)
    if not permissions.sees_everything(user, "training_programme.edit"):
        stmt = stmt.where(TrainingBase.organization_id == (user.organization_id or -1))
    return list(session.scalars(stmt))


# --- programmes ----------------------------------------------------------------------------


def _parse_programme(
    session: Session, user: User, data: dict[str, Any]
) -> tuple[ProgrammeIn, TrainingBase]:
    clean = parse(ProgrammeIn, data)
    base = session.get(TrainingBase, clean.base_id)
    if base is None:
        raise ValidationFailed({"base_id": "实训基地不存在"})
    if clean.ends_on < clean.starts_on:
        raise ValidationFailed({"ends_on": "结束日期不能早于开始日期"})
    return clean, base


def _flush_unique(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise ValidationFailed({"name": "该基地已有同名培训项目"}) from exc


def create_programme(session: Session, user: User, data: dict[str, Any]) -> TrainingProgramme:
    """A training base (or the office) publishes a programme."""
    permissions.require(user, "training_programme.create")
    clean, base = _parse_programme(session, user, data)
    permissions.require(user, "training_programme.edit", base)
    values = clean.model_dump()
    values["chain_id"] = values["chain_id"] or base.chain_id
    item = TrainingProgramme(
        **values, organization_id=base.organization_id, taken=0, created_by_id=user.id
    )
    session.add(item)
    _flush_unique(session)
    audit.record(
        session,
        actor=user,
        action="create",
        entity=item,
        summary=f"发布培训项目：{item.name}（{item.seats}个名额）",
    )
    commit(session)
    return item


def update_programme(
    session: Session, user: User, programme_id: int, data: dict[str, Any], version: int | None
) -> TrainingProgramme:
    """The base edits a programme; seats never below those already taken."""
    item = get_programme(session, user, programme_id)
    permissions.require(user, "training_programme.edit", item)
    check_version(item, version)
    clean, base = _parse_programme(session, user, data)
    if base.id != item.base_id:
        raise ValidationFailed({"base_id": "培训项目不能转到其他基地"})
    session.refresh(item)  # the seat counter moves outside the ORM
    if clean.seats < item.taken:
        raise ValidationFailed({"seats": f"名额不能少于已报名人数：已有 {item.taken} 人报名"})
    before = audit.snapshot(item)
    for key, value in clean.model_dump().items():
        setattr(item, key, value)
    _flush_unique(session)
    audit.record(
        session,
        actor=user,
        action="update",
        entity=item,
        changes=audit.diff(before, audit.snapshot(item)),
        summary=f"修改培训项目：{item.name}",
    )
    commit(session)
    return item


# --- enrolments ----------------------------------------------------------------------------


def _take_seat(session: Session, programme: TrainingProgramme) -> bool:
    """Take one seat if one is left: a single conditional UPDATE, atomic on every backend."""
    result = session.execute(
        update(TrainingProgramme)
        .where(
            TrainingProgramme.id == programme.id,
            TrainingProgramme.status == "open",
            TrainingProgramme.taken < TrainingProgramme.seats,
        )
        .values(taken=TrainingProgramme.taken + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def enrol(session: Session, user: User, programme_id: int) -> Enrolment:
    """The signed-in user enrols, while seats are left (the refusal gives seats and taken)."""
    programme = get_programme(session, user, programme_id)
    permissions.require(user, "training.enrol")
    if programme.status != "open":
        raise InvalidTransition(f"培训项目“{programme.name}”{programme.status_label}，不能报名")
    if programme.ends_on < today():
        raise InvalidTransition(f"培训项目已于{programme.ends_on}结束，不能报名")
    existing = my_enrolment(session, user, programme.id)
    if existing is not None and existing.status in SEATED_STATUSES:
        raise Conflict(f"您已报名“{programme.name}”")
    if not _take_seat(session, programme):
        session.rollback()
        session.refresh(programme)
        raise Conflict(
            f"名额已满：“{programme.name}”共 {programme.seats} 个名额，已报名 {programme.taken} 人"
        )
    if existing is not None:
        existing.status = "enrolled"
        existing.enrolled_at = utcnow()
        item = existing
    else:
        item = Enrolment(
            programme_id=programme.id, user_id=user.id, status="enrolled", enrolled_at=utcnow()
        )
        session.add(item)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(f"您已报名“{programme.name}”") from exc
    audit.record(
        session, actor=user, action="enrol", entity=item, summary=f"报名培训：{programme.name}"
    )
    commit(session)
    session.refresh(programme)
    return item


def get_enrolment(session: Session, user: User | None, enrolment_id: int) -> Enrolment:
    """One enrolment its person, the programme's base or the office may see, else NotFound."""
    item = session.get(Enrolment, enrolment_id)
    if item is None or not (
        permissions.owns(user, item)
        or permissions.can(user, "training_programme.edit", item.programme)
    ):
        raise NotFound("报名记录不存在")
    return item


def withdraw(session: Session, user: User, enrolment_id: int) -> Enrolment:
    """The person (or the office) withdraws an enrolment; the seat is freed."""
    item = get_enrolment(session, user, enrolment_id)
    permissions.require(user, "enrolment.withdraw", item)
    if item.status != "enrolled":
        raise InvalidTransition(f"报名当前为“{item.status_label}”，不能退出")
    item.status = "withdrawn"
    session.execute(
        update(TrainingProgramme)
        .where(TrainingProgramme.id == item.programme_id, TrainingProgramme.taken > 0)
        .values(taken=TrainingProgramme.taken - 1)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    audit.record(
        session,
        actor=user,
        action="withdraw",
        entity=item,
        changes={"status": ["enrolled", "withdrawn"]},
        summary=f"退出培训：{item.programme.name}",
    )
    commit(session)
    return item


def complete(session: Session, user: User, enrolment_id: int, data: dict[str, Any]) -> Enrolment:
    """The base records a trainee's completion and, if issued, the certificate number."""
    item = get_enrolment(session, user, enrolment_id)
    permissions.require(user, "training_programme.edit", item.programme)
    if item.status != "enrolled":
        raise InvalidTransition(f"报名当前为“{item.status_label}”，不能登记结业")
    clean = parse(CompletionIn, data)
    done = clean.completed_on or today()
    if done > today():
        raise ValidationFailed({"completed_on": "结业日期不能晚于今天"})
    if done < item.programme.starts_on:
        raise ValidationFailed(
            {"completed_on": f"结业日期不能早于开班日期{item.programme.starts_on}"}
        )
    item.status = "completed"
    item.completed_on = done
    item.certificate_no = clean.certificate_no
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise ValidationFailed({"certificate_no": "证书编号已被使用"}) from exc
    audit.record(
        session,
        actor=user,
        action="complete",
        entity=item,
        changes={"status": ["enrolled", "completed"], "certificate_no": clean.certificate_no},
        summary=f"培训结业：{item.user.username} · {item.programme.name}",
    )
    commit(session)
    return item


# --- capacity and utilisation --------------------------------------------------------------


@dataclass(frozen=True)
class BaseUse:
    """A base's yearly capacity against the trainees of its programmes starting that year."""

    base_id: int
    name: str
    year: int
    capacity: int
    programmes: int
    seats: int
    trainees: int
    completions: int
    certificates: int

    @property
    def utilisation(self) -> float | None:
        """trainees / capacity (None when the base states no capacity)."""
        return round(self.trainees / self.capacity, 4) if self.capacity else None


def utilisation(session: Session, year: int, base_id: int | None = None) -> list[BaseUse]:
    """Each base's capacity and use in year: programmes starting in the year, their seats, the
    people enrolled or completed (trainees), completions and certificates."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    in_year = (TrainingProgramme.starts_on >= start, TrainingProgramme.starts_on <= end)
    programmes = dict(
        (row[0], (int(row[1]), int(row[2] or 0)))
        for row in session.execute(
            select(TrainingProgramme.base_id, func.count(), func.sum(TrainingProgramme.seats))
            .where(*in_year)
            .group_by(TrainingProgramme.base_id)
        )
    )
    people: dict[int, tuple[int, int, int]] = {}
    for row in session.execute(
        select(
            TrainingProgramme.base_id,
            func.count(Enrolment.id),
            func.count(Enrolment.completed_on),
            func.count(Enrolment.certificate_no),
        )
        .join(Enrolment, Enrolment.programme_id == TrainingProgramme.id)
        .where(*in_year, Enrolment.status.in_(SEATED_STATUSES))
        .group_by(TrainingProgramme.base_id)
    ):
        people[row[0]] = (int(row[1]), int(row[2]), int(row[3]))
    stmt = select(TrainingBase).order_by(TrainingBase.name)
    if base_id is not None:
        stmt = stmt.where(TrainingBase.id == base_id)
    out = []
    for base in session.scalars(stmt):
        count, seats = programmes.get(base.id, (0, 0))
        trainees, completions, certificates = people.get(base.id, (0, 0, 0))
        out.append(
            BaseUse(
                base.id,
                base.name,
                year,
                base.yearly_capacity,
                count,
                seats,
                trainees,
                completions,
                certificates,
            )
        )
    return out
