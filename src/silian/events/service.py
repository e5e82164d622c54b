"""Event services: roadshows, showcases and the annual selection, from planning to leads.

Every state change is one function here: it checks the permission table, refuses bad
transitions with a Chinese message, writes the audit row and commits.

Ranking rule of the annual selection (documented in docs/events.md): an entry's result is the
mean of its judges' weighted totals, rounded to 0.01. Entries are ranked by that mean, highest
first; equal means are broken by the higher *lowest* judge total (the entry every judge rated
well wins over one carried by a single enthusiast), and if still equal by the earlier entry
(smaller entry id: entered first). Entries no judge scored are not ranked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.brokerage import service as brokerage
from silian.chains.models import IndustryChain
from silian.core import audit, clock
from silian.core.concurrency import check_version, saving, touch
from silian.core.db import utcnow
from silian.core.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from silian.core.pagination import Page, paginate
from silian.core.permissions import can, denied, require, visible_where
from silian.core.transactions import commit
from silian.core.validation import parse
from silian.events.choices import EVENT_STATUS
from silian.events.models import (
    Event,
    EventEntry,
    EventJudge,
    EventLead,
    EventRegistration,
    ExpertScore,
)
from silian.events.schemas import (
    SCORE_MAX,
    SCORE_MIN,
    ConflictIn,
    EntryIn,
    EntryReviewIn,
    EventIn,
    JudgeIn,
    LeadDealIn,
    LeadIn,
    RegistrationIn,
    ScoreIn,
)
from silian.organizations.models import Organization
from silian.talent.models import Talent

# The road of every event, and the office's action for each step.
TRANSITIONS: dict[str, tuple[str, str, str]] = {
    # action: (from, to, Chinese label)
    "open": ("planned", "open_for_entries", "开放报名"),
    "schedule": ("open_for_entries", "scheduled", "确定议程"),
    "hold": ("scheduled", "held", "标记已举办"),
    "close": ("held", "closed", "结束活动"),
}
# Entrants enter while entries are open; the office may still approve until the event is held.
REVIEWABLE = ("open_for_entries", "scheduled")
REGISTRATION_OPEN = ("open_for_entries", "scheduled")
SCORING_OPEN = ("scheduled", "held")
LEADS_OPEN = ("held", "closed")
# Awards of the published list: rank up to the bound gets the award; the rest are 入围.
AWARDS: tuple[tuple[int, str], ...] = ((1, "一等奖"), (3, "二等奖"), (6, "三等奖"))
FINALIST = "优秀成果"
LEAD_CHANNEL = "achievements_platform"  # 好成果发布平台: the platform that runs the roadshows


# --- reading -------------------------------------------------------------------------------


def visible_query(user: User | None) -> Select[Event]:
    """The one query of events user may see: planned ones are the office's own drafts."""
    public = Event.status != "planned"
    return select(Event).where(visible_where(user, "event.view_planned", Event, public))


def list_events(
    session: Session,
    user: User | None,
    page: int,
    per_page: int,
    *,
    kind: str = "",
    chain_id: int | None = None,
    organization_id: int | None = None,
) -> Page[Event]:
    """Events user may see, the next or latest first; organization_id keeps the events where
    the unit presented an approved entry."""
    stmt = visible_query(user)
    if kind:
        stmt = stmt.where(Event.kind == kind)
    if chain_id:
        stmt = stmt.where(Event.chain_id == chain_id)
    if organization_id:
        presented = select(EventEntry.event_id).where(
            EventEntry.organization_id == organization_id, EventEntry.status == "approved"
        )
        stmt = stmt.where(Event.id.in_(presented))
    return paginate(session, stmt.order_by(Event.starts_at.desc(), Event.id.desc()), page, per_page)


def get_event(session: Session, user: User | None, event_id: int) -> Event:
    """One event, or NotFound when missing or not visible to user."""
    item = session.get(Event, event_id)
    if item is None or (item.status == "planned" and not can(user, "event.view_planned")):
        raise NotFound("活动不存在或无权查看")
    return item


def registered(session: Session, event_id: int) -> int:
    """Attendees registered so far."""
    total = session.scalar(
        select(func.coalesce(func.sum(EventRegistration.attendees), 0)).where(
            EventRegistration.event_id == event_id
        )
    )
    return int(total or 0)


def entries(session: Session, event: Event, *, approved_only: bool = False) -> list[EventEntry]:
    """Entries of an event in running order (unordered ones last, then by entry)."""
    stmt = select(EventEntry).where(EventEntry.event_id == event.id)
    if approved_only:
        stmt = stmt.where(EventEntry.status == "approved")
    stmt = stmt.order_by(
        EventEntry.running_order.is_(None), EventEntry.running_order, EventEntry.id
    )
    return list(session.scalars(stmt))


def visible_entries(session: Session, user: User | None, event: Event) -> list[EventEntry]:
    """Approved entries for everyone; the office and the entrants also see pending and refused."""
    rows = entries(session, event)
    return [
        e
        for e in rows
        if e.status == "approved"
        or can(user, "event.manage")
        or (user is not None and (e.created_by_id == user.id or _same_unit(user, e)))
    ]


def _same_unit(user: User, entry: EventEntry) -> bool:
    return user.organization_id is not None and user.organization_id == entry.organization_id


def registrations(session: Session, user: User | None, event: Event) -> list[EventRegistration]:
    """Registrations the user may see: all for the office, their own unit's for others."""
    rows = session.scalars(
        select(EventRegistration)
        .where(EventRegistration.event_id == event.id)
        .order_by(EventRegistration.id)
    )
    return [r for r in rows if can(user, "event_registration.view", r)]


def leads(session: Session, user: User | None, event: Event) -> list[EventLead]:
    """Leads recorded after the event (the office and brokers see them)."""
    if not can(user, "event_lead.record"):
        return []
    return list(
        session.scalars(
            select(EventLead).where(EventLead.event_id == event.id).order_by(EventLead.id)
        )
    )


def judges(session: Session, event: Event) -> list[EventJudge]:
    """Judges assigned to a selection."""
    return list(
        session.scalars(
            select(EventJudge).where(EventJudge.event_id == event.id).order_by(EventJudge.id)
        )
    )


def judge_of(session: Session, user: User | None, event: Event) -> EventJudge | None:
    """The user's judge assignment on event, if any."""
    if user is None:
        return None
    return session.scalar(
        select(EventJudge).where(EventJudge.event_id == event.id, EventJudge.user_id == user.id)
    )


def to_dict(session: Session, item: Event) -> dict[str, Any]:
    """API shape of an event."""
    data = {c.key: getattr(item, c.key) for c in Event.__mapper__.column_attrs}
    data["registered"] = registered(session, item.id)
    return data


def entry_dict(entry: EventEntry) -> dict[str, Any]:
    """API shape of an entry."""
    data = {c.key: getattr(entry, c.key) for c in EventEntry.__mapper__.column_attrs}
    data["achievement_title"] = entry.achievement.title
    return data


# --- the office runs the event ---------------------------------------------------------------


def _check_chain(session: Session, clean: EventIn) -> None:
    if clean.chain_id is not None and session.get(IndustryChain, clean.chain_id) is None:
        raise ValidationFailed({"chain_id": "产业链不存在"})


def _values(clean: EventIn) -> dict[str, Any]:
    values = clean.model_dump()
    values["criteria"] = [{"name": c.name.strip(), "weight": c.weight} for c in clean.criteria]
    return values


def _unique_title(session: Session, title: str, own_id: int | None = None) -> None:
    found = session.scalar(select(Event.id).where(Event.title == title))
    if found is not None and found != own_id:
        raise ValidationFailed({"title": "已有同名活动，请换一个名称"})


def create_event(session: Session, user: User, data: dict[str, Any]) -> Event:
    """The office creates an event (planned); writes the audit row and commits."""
    require(user, "event.manage")
    clean = parse(EventIn, data)
    _check_chain(session, clean)
    _unique_title(session, clean.title)
    item = Event(**_values(clean), status="planned", created_by_id=user.id)
    session.add(item)
    audit.record(
        session,
        actor=user,
        action="create",
        entity=item,
        changes={k: [None, v] for k, v in audit.snapshot(item).items() if v not in (None, "", [])},
        summary=f"创建活动：{item.title}",
    )
    commit(session)
    return item


def update_event(
    session: Session,
    user: User,
    event_id: int,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Event:
    """Edit an event loaded at expected_version; criteria are frozen once scoring may start."""
    item = get_event(session, user, event_id)
    require(user, "event.manage", item)
    clean = parse(EventIn, data)
    _check_chain(session, clean)
    _unique_title(session, clean.title, item.id)
    check_version(item, expected_version)
    if item.status == "closed":
        raise InvalidTransition("活动已结束，不能再修改")
    values = _values(clean)
    if values["kind"] != item.kind and item.status != "planned":
        raise ValidationFailed({"kind": "活动开放报名后不能更改类型"})
    if item.status in SCORING_OPEN and values["criteria"] != item.criteria:
        raise ValidationFailed({"criteria": "评审开始后不能修改评审指标"})
    if values["capacity"] is not None and values["capacity"] < registered(session, item.id):
        raise ValidationFailed({"capacity": "参会名额不能少于已报名人数"})
    with saving(session):
        before = audit.snapshot(item)
        for key, value in values.items():
            setattr(item, key, value)
        touch(item)
        session.flush()
        audit.record(
            session,
            actor=user,
            action="update",
            entity=item,
            changes=audit.diff(before, audit.snapshot(item)),
            summary=f"修改活动：{item.title}",
        )
        commit(session)
    return item


def allowed_actions(user: User | None, item: Event) -> list[str]:
    """Road steps the user may take on the event now (for buttons)."""
    if not can(user, "event.manage"):
        return []
    return [name for name, (source, _, _) in TRANSITIONS.items() if item.status == source]


def change_status(session: Session, user: User, event_id: int, action: str) -> Event:
    """Move an event one step along planned → open_for_entries → scheduled → held → closed."""
    item = get_event(session, user, event_id)
    require(user, "event.manage", item)
    step = TRANSITIONS.get(action)
    if step is None:
        raise InvalidTransition(f"未知操作：{action}")
    source, target, label = step
    if item.status != source:
        raise InvalidTransition(
            f"活动当前为“{item.status_label}”，不能{label}（须为“{EVENT_STATUS.label(source)}”）"
        )
    if action == "schedule" and not entries(session, item, approved_only=True):
        raise InvalidTransition("请先审核通过至少一个参展成果，再确定议程")
    if action == "close" and item.is_selection and item.results_published_at is None:
        raise InvalidTransition("请先发布评选结果，再结束年度优选")
    with saving(session):
        item.status = target
        touch(item)
        audit.record(
            session,
            actor=user,
            action=action,
            entity=item,
            changes={"status": [source, target]},
            summary=f"{label}：{item.title}",
        )
        commit(session)
    return item


# --- entries -----------------------------------------------------------------------------------


def enter_achievement(
    session: Session, user: User, event_id: int, data: dict[str, Any]
) -> EventEntry:
    """A university or expert enters one of its own published achievements (pending review)."""
    item = get_event(session, user, event_id)
    require(user, "event_entry.create")
    clean = parse(EntryIn, data)
    achievement = session.get(Achievement, clean.achievement_id)
    if achievement is None:
        raise ValidationFailed({"achievement_id": "成果不存在"})
    if not can(user, "event_entry.create", achievement):
        raise PermissionDenied("只能报名本单位（本人）的成果")
    if achievement.status != "published":
        raise ValidationFailed(
            {"achievement_id": f"成果“{achievement.title}”尚未发布，审核发布后才能报名活动"}
        )
    if item.status != "open_for_entries":
        raise InvalidTransition(f"活动当前为“{item.status_label}”，不在报名期")
    exists = session.scalar(
        select(EventEntry.id).where(
            EventEntry.event_id == item.id, EventEntry.achievement_id == achievement.id
        )
    )
    if exists is not None:
        raise Conflict(f"成果“{achievement.title}”已报名此活动")
    entry = EventEntry(
        event_id=item.id,
        achievement_id=achievement.id,
        organization_id=achievement.organization_id,
        created_by_id=user.id,
        status="pending",
        presenter=clean.presenter.strip() or achievement.contact_name,
    )
    session.add(entry)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(f"成果“{achievement.title}”已报名此活动") from exc
    audit.record(
        session,
        actor=user,
        action="enter",
        entity=entry,
        changes={"achievement_id": [None, achievement.id]},
        summary=f"报名活动：{item.title} ← {achievement.title}",
    )
    commit(session)
    return entry


def _entry(session: Session, user: User | None, event_id: int, entry_id: int) -> EventEntry:
    entry = session.get(EventEntry, entry_id)
    if entry is None or entry.event_id != event_id:
        raise NotFound("参展成果不存在")
    get_event(session, user, event_id)
    return entry


def review_entry(
    session: Session, user: User, event_id: int, entry_id: int, data: dict[str, Any]
) -> EventEntry:
    """The office approves or refuses an entry and sets its running order and presenter."""
    entry = _entry(session, user, event_id, entry_id)
    event = entry.event
    require(user, "event.manage", event)
    clean = parse(EntryReviewIn, data)
    if event.status not in REVIEWABLE:
        raise InvalidTransition(f"活动当前为“{event.status_label}”，不能再调整参展成果")
    if clean.decision == "approve" and clean.running_order is not None:
        taken = session.scalar(
            select(EventEntry.id).where(
                EventEntry.event_id == event.id,
                EventEntry.running_order == clean.running_order,
                EventEntry.status == "approved",
                EventEntry.id != entry.id,
            )
        )
        if taken is not None:
            raise ValidationFailed({"running_order": f"出场顺序{clean.running_order}已被占用"})
    before = audit.snapshot(entry)
    entry.status = "approved" if clean.decision == "approve" else "rejected"
    entry.running_order = clean.running_order if entry.status == "approved" else None
    if clean.presenter is not None and clean.presenter.strip():
        entry.presenter = clean.presenter.strip()
    session.flush()
    audit.record(
        session,
        actor=user,
        action=clean.decision,
        entity=entry,
        changes=audit.diff(before, audit.snapshot(entry)),
        summary=f"{'入选' if entry.status == 'approved' else '未入选'}：{event.title} ← "
        f"{entry.achievement.title}",
    )
    commit(session)
    return entry


# --- registrations -----------------------------------------------------------------------------


def register(
    session: Session, user: User, event_id: int, data: dict[str, Any]
) -> EventRegistration:
    """An enterprise registers attendees, never beyond the capacity.

    The event row is locked (SELECT … FOR UPDATE on PostgreSQL) before the places are counted,
    so two registrations for the last places are served one after the other.
    """
    get_event(session, user, event_id)
    require(user, "event_registration.create")
    clean = parse(RegistrationIn, data)
    if user.organization_id is None:
        raise PermissionDenied("您的账号未关联单位，不能报名")
    # Lock only the event's own row (the chain is joined in, on the nullable side).
    item = session.scalars(
        select(Event)
        .where(Event.id == event_id)
        .with_for_update(of=Event)
        .execution_options(populate_existing=True)
    ).one()
    if item.status not in REGISTRATION_OPEN:
        raise InvalidTransition(f"活动当前为“{item.status_label}”，不接受参会报名")
    exists = session.scalar(
        select(EventRegistration.id).where(
            EventRegistration.event_id == item.id,
            EventRegistration.organization_id == user.organization_id,
        )
    )
    if exists is not None:
        raise Conflict("本单位已报名此活动")
    if item.capacity is not None:
        left = item.capacity - registered(session, item.id)
        if clean.attendees > left:
            raise ValidationFailed(
                {"attendees": f"名额不足：共{item.capacity}个名额，剩余{max(left, 0)}个"},
                "报名人数超出剩余名额",
            )
    row = EventRegistration(
        event_id=item.id,
        organization_id=user.organization_id,
        attendees=clean.attendees,
        contact_name=clean.contact_name.strip(),
        created_by_id=user.id,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("本单位已报名此活动") from exc
    audit.record(
        session,
        actor=user,
        action="register",
        entity=row,
        changes={"attendees": [None, clean.attendees]},
        summary=f"报名参会：{item.title}（{clean.attendees}人）",
    )
    commit(session)
    return row


# --- the annual selection: judges, conflicts, scores, ranking ----------------------------------


def _selection(item: Event) -> None:
    if not item.is_selection:
        raise InvalidTransition("只有年度优选设有评审专家和评分")


def assign_judge(session: Session, user: User, event_id: int, data: dict[str, Any]) -> EventJudge:
    """The office assigns an expert with an account as a judge of the selection."""
    item = get_event(session, user, event_id)
    require(user, "event.manage", item)
    _selection(item)
    if item.results_published_at is not None or item.status == "closed":
        raise InvalidTransition("评选结果已发布，不能再指派评审专家")
    clean = parse(JudgeIn, data)
    talent = session.get(Talent, clean.talent_id)
    if talent is None:
        raise ValidationFailed({"talent_id": "专家人才档案不存在"})
    if talent.user_id is None:
        raise ValidationFailed({"talent_id": f"{talent.name}尚未开通账号，不能担任评审"})
    exists = session.scalar(
        select(EventJudge.id).where(
            EventJudge.event_id == item.id, EventJudge.talent_id == talent.id
        )
    )
    if exists is not None:
        raise Conflict(f"{talent.name}已是本次评选的评审专家")
    judge = EventJudge(event_id=item.id, talent_id=talent.id, user_id=talent.user_id)
    session.add(judge)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="assign_judge",
        entity=judge,
        changes={"talent_id": [None, talent.id]},
        summary=f"指派评审专家：{item.title} → {talent.name}",
    )
    commit(session)
    return judge


def _my_judge(session: Session, user: User, item: Event) -> EventJudge:
    judge = judge_of(session, user, item)
    if judge is None or not can(user, "event_score.submit", judge):
        raise denied("event_score.submit")
    return judge


def _judge_units(judge: EventJudge, user: User) -> set[int]:
    return {o for o in (judge.talent.organization_id, user.organization_id) if o is not None}


def declare_conflicts(
    session: Session, user: User, event_id: int, data: dict[str, Any]
) -> EventJudge:
    """A judge declares conflicts of interest (required before scoring; may be none)."""
    item = get_event(session, user, event_id)
    _selection(item)
    judge = _my_judge(session, user, item)
    if item.results_published_at is not None:
        raise InvalidTransition("评选结果已发布，不能再申报利益冲突")
    clean = parse(ConflictIn, data)
    valid = {e.id for e in entries(session, item, approved_only=True)}
    unknown = [e for e in clean.entry_ids if e not in valid]
    if unknown:
        raise ValidationFailed({"entry_ids": f"不是本次评选的参评成果：{unknown}"})
    scored = set(
        session.scalars(
            select(ExpertScore.entry_id).where(
                ExpertScore.talent_id == judge.talent_id, ExpertScore.entry_id.in_(valid or {0})
            )
        )
    )
    if scored & set(clean.entry_ids):
        raise InvalidTransition("已评分的成果不能再申报冲突，请联系组织方")
    judge.conflict_entry_ids = sorted(set(clean.entry_ids))
    judge.conflict_note = clean.note
    judge.declared_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=user,
        action="declare_conflicts",
        entity=judge,
        changes={"conflict_entry_ids": judge.conflict_entry_ids, "note": clean.note},
        summary=f"申报利益冲突：{item.title}（{len(judge.conflict_entry_ids)}项）",
    )
    commit(session)
    return judge


def scoring_sheet(session: Session, user: User, item: Event) -> dict[int, str]:
    """For the judge's sheet: entry id → why they may not score it ('' when they may)."""
    judge = judge_of(session, user, item)
    if judge is None:
        return {}
    own = _judge_units(judge, user)
    out = {}
    for entry in entries(session, item, approved_only=True):
        if entry.organization_id in own:
            out[entry.id] = "本单位成果，须回避"
        elif entry.id in judge.conflict_entry_ids:
            out[entry.id] = "已申报利益冲突"
        else:
            out[entry.id] = ""
    return out


def my_scores(session: Session, user: User, item: Event) -> dict[int, ExpertScore]:
    """The judge's own scores on the event, by entry id."""
    judge = judge_of(session, user, item)
    if judge is None:
        return {}
    ids = [e.id for e in entries(session, item)]
    rows = session.scalars(
        select(ExpertScore).where(
            ExpertScore.talent_id == judge.talent_id, ExpertScore.entry_id.in_(ids or [0])
        )
    )
    return {r.entry_id: r for r in rows}


def weighted_total(
    criteria: list[dict[str, Any]], raw: dict[str, float]
) -> tuple[float, dict[str, float]]:
    """The weighted total (0–100) of one judge's criterion scores; refuses a missing, unknown
    or out-of-scale score with a message naming the criterion."""
    errors: dict[str, str] = {}
    values: dict[str, float] = {}
    for c in criteria:
        value = raw.get(c["name"])
        if value is None:
            errors[f"scores.{c['name']}"] = f"请为“{c['name']}”打分"
        elif not SCORE_MIN <= value <= SCORE_MAX:
            errors[f"scores.{c['name']}"] = (
                f"“{c['name']}”的分数应在{SCORE_MIN:g}到{SCORE_MAX:g}之间，现为{value:g}"
            )
        else:
            values[c["name"]] = float(value)
    extra = set(raw) - {c["name"] for c in criteria}
    if extra:
        errors["scores"] = "不是本次评选的评审指标：" + "、".join(sorted(extra))
    if errors:
        raise ValidationFailed(errors, "评分有误，请按提示修改")
    total = sum(values[c["name"]] * c["weight"] for c in criteria) / 100
    return round(total, 2), values


def submit_score(
    session: Session, user: User, event_id: int, entry_id: int, data: dict[str, Any]
) -> ExpertScore:
    """A judge scores (or, before publication, re-scores) one entry on every criterion."""
    entry = _entry(session, user, event_id, entry_id)
    item = entry.event
    _selection(item)
    judge = _my_judge(session, user, item)
    if item.results_published_at is not None:
        raise InvalidTransition("评选结果已发布，评分不能再修改")
    if item.status not in SCORING_OPEN:
        raise InvalidTransition(f"活动当前为“{item.status_label}”，不在评分期")
    if entry.status != "approved":
        raise InvalidTransition("此成果未入选评审，不能评分")
    if entry.organization_id is not None and entry.organization_id in _judge_units(judge, user):
        raise PermissionDenied("评审专家不能为本单位的参评成果打分")
    if judge.declared_at is None:
        raise InvalidTransition("请先申报利益冲突情况（无冲突也需确认）")
    if entry.id in judge.conflict_entry_ids:
        raise PermissionDenied("您已申报与此成果存在利益冲突，不能评分")
    clean = parse(ScoreIn, data)
    total, values = weighted_total(item.criteria, clean.scores)
    score = session.scalar(
        select(ExpertScore).where(
            ExpertScore.entry_id == entry.id, ExpertScore.talent_id == judge.talent_id
        )
    )
    old = score.score if score is not None else None
    if score is None:
        score = ExpertScore(entry_id=entry.id, talent_id=judge.talent_id, score=total)
        session.add(score)
    score.score = total
    score.scores = values
    score.comment = clean.comment
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("您的评分已由另一个请求保存，请刷新后查看") from exc
    audit.record(
        session,
        actor=user,
        action="score" if old is None else "rescore",
        entity=score,
        changes={"score": [old, total], "scores": values},
        summary=f"评分：{item.title} ← {entry.achievement.title} {total:g}分",
    )
    commit(session)
    return score


@dataclass
class RankRow:
    """One entry's result: its judges' totals, mean, lowest, spread and rank."""

    entry_id: int
    totals: list[float] = field(default_factory=list)
    mean: float | None = None
    lowest: float | None = None
    spread: float | None = None
    rank: int | None = None


def rank(results: list[tuple[int, list[float]]]) -> list[RankRow]:
    """Rank entries (entry id, judges' totals) by the documented rule (see the module doc).

    Spread is the highest minus the lowest judge total (0 with one judge). Every scored entry
    gets a distinct rank 1, 2, 3…; unscored entries come last without a rank.
    """
    rows = []
    for entry_id, totals in results:
        row = RankRow(entry_id, list(totals))
        if totals:
            row.mean = round(sum(totals) / len(totals), 2)
            row.lowest = min(totals)
            row.spread = round(max(totals) - min(totals), 2)
        rows.append(row)
    scored = sorted(
        (r for r in rows if r.mean is not None),
        key=lambda r: (-(r.mean or 0), -(r.lowest or 0), r.entry_id),
    )
    for position, row in enumerate(scored, 1):
        row.rank = position
    unscored = sorted((r for r in rows if r.mean is None), key=lambda r: r.entry_id)
    return scored + unscored


def award_for(position: int | None) -> str:
    """The award of a rank on the published list."""
    if position is None:
        return ""
    for bound, name in AWARDS:
        if position <= bound:
            return name
    return FINALIST


@dataclass
class RankingLine:
    """A ranking row with its entry and each judge's total by name (for pages and the API)."""

    entry: EventEntry
    row: RankRow
    by_judge: dict[str, float]

    @property
    def award(self) -> str:
        """Award for this rank (the stored one once published)."""
        return self.entry.award if self.entry.rank is not None else award_for(self.row.rank)


def ranking(session: Session, item: Event) -> list[RankingLine]:
    """The selection's current ranking of approved entries, with the spread between judges."""
    approved = entries(session, item, approved_only=True)
    ids = [e.id for e in approved]
    scores = list(session.scalars(select(ExpertScore).where(ExpertScore.entry_id.in_(ids or [0]))))
    talent_ids = {s.talent_id for s in scores}
    names: dict[int, str] = {
        talent_id: name
        for talent_id, name in session.execute(
            select(Talent.id, Talent.name).where(Talent.id.in_(talent_ids or {0}))
        )
    }
    per_entry: dict[int, dict[str, float]] = {e: {} for e in ids}
    for s in scores:
        per_entry[s.entry_id][names.get(s.talent_id, f"专家{s.talent_id}")] = s.score
    rows = rank([(e, list(per_entry[e].values())) for e in ids])
    by_id = {e.id: e for e in approved}
    return [RankingLine(by_id[r.entry_id], r, per_entry[r.entry_id]) for r in rows]


def publish_results(session: Session, user: User, event_id: int) -> Event:
    """The office publishes the ranked list with awards; scores are frozen from then on."""
    item = get_event(session, user, event_id)
    require(user, "event.manage", item)
    _selection(item)
    if item.results_published_at is not None:
        raise InvalidTransition("评选结果已发布")
    if item.status != "held":
        raise InvalidTransition(
            f"活动当前为“{item.status_label}”，评审结束（已举办）后才能发布结果"
        )
    lines = ranking(session, item)
    if not lines:
        raise InvalidTransition("没有入选的参评成果，不能发布结果")
    unscored = [line.entry.achievement.title for line in lines if line.row.rank is None]
    if unscored:
        raise InvalidTransition("以下成果尚无评分，不能发布：" + "、".join(unscored))
    with saving(session):
        for line in lines:
            line.entry.rank = line.row.rank
            line.entry.final_score = line.row.mean
            line.entry.award = award_for(line.row.rank)
        item.results_published_at = utcnow()
        touch(item)
        audit.record(
            session,
            actor=user,
            action="publish_results",
            entity=item,
            changes={"ranking": [[line.entry.id, line.row.rank, line.row.mean] for line in lines]},
            summary=f"发布评选结果：{item.title}（{len(lines)}项成果）",
        )
        commit(session)
    return item


def published_selections(session: Session) -> list[Event]:
    """Annual selections whose ranked list is public (the 青岛好成果 list), newest first."""
    return list(
        session.scalars(
            select(Event)
            .where(Event.kind == "selection", Event.results_published_at.is_not(None))
            .order_by(Event.results_published_at.desc())
        )
    )


def results(session: Session, item: Event) -> list[EventEntry]:
    """The published ranked list of a selection (empty before publication)."""
    if item.results_published_at is None:
        return []
    return sorted(
        (e for e in entries(session, item, approved_only=True) if e.rank is not None),
        key=lambda e: e.rank or 0,
    )


# --- leads ---------------------------------------------------------------------------------------


def record_lead(session: Session, user: User, event_id: int, data: dict[str, Any]) -> EventLead:
    """After the event, the office or a broker records an enterprise's interest in an entry."""
    item = get_event(session, user, event_id)
    require(user, "event_lead.record")
    clean = parse(LeadIn, data)
    if item.status not in LEADS_OPEN:
        raise InvalidTransition(f"活动当前为“{item.status_label}”，举办后才能登记对接意向")
    entered = session.scalar(
        select(EventEntry.id).where(
            EventEntry.event_id == item.id,
            EventEntry.achievement_id == clean.achievement_id,
            EventEntry.status == "approved",
        )
    )
    if entered is None:
        raise ValidationFailed({"achievement_id": "请选择本次活动的参展成果"})
    org = session.get(Organization, clean.organization_id)
    if org is None or org.kind != "enterprise":
        raise ValidationFailed({"organization_id": "请选择有意向的企业"})
    exists = session.scalar(
        select(EventLead.id).where(
            EventLead.event_id == item.id,
            EventLead.achievement_id == clean.achievement_id,
            EventLead.organization_id == org.id,
        )
    )
    if exists is not None:
        raise Conflict(f"已登记{org.name}对此成果的意向")
    lead = EventLead(
        event_id=item.id,
        achievement_id=clean.achievement_id,
        organization_id=org.id,
        contact_name=clean.contact_name.strip(),
        note=clean.note,
        created_by_id=user.id,
    )
    session.add(lead)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="create",
        entity=lead,
        changes={"achievement_id": [None, lead.achievement_id], "organization_id": [None, org.id]},
        summary=f"登记对接意向：{item.title}：{org.name} → {lead.achievement.title}",
    )
    commit(session)
    return lead


def lead_to_deal(
    session: Session, user: User, event_id: int, lead_id: int, data: dict[str, Any]
) -> EventLead:
    """Turn a lead into a deal on the brokers' road in one step (channel 好成果发布平台)."""
    lead = session.get(EventLead, lead_id)
    if lead is None or lead.event_id != event_id:
        raise NotFound("对接意向不存在")
    item = get_event(session, user, event_id)
    require(user, "event_lead.convert")
    clean = parse(LeadDealIn, data)
    if lead.status == "converted":
        raise Conflict("此意向已转为对接项目")
    if clean.next_due < clock.today():
        raise ValidationFailed({"next_due": "下一步的期限不能早于今天"})
    note = f"来自活动“{item.title}”的对接意向。{lead.note}".strip()
    deal = brokerage.start_deal(
        session,
        user,
        title=f"{lead.achievement.title[:40]} × {lead.organization.name}",
        achievement_id=lead.achievement_id,
        seller_id=lead.achievement.organization_id,
        buyer_id=lead.organization_id,
        channel=LEAD_CHANNEL,
        trade_mode=clean.trade_mode,
        note=note,
        next_action=clean.next_action,
        next_due=clean.next_due,
    )
    lead.deal_id = deal.id
    lead.status = "converted"
    session.flush()
    audit.record(
        session,
        actor=user,
        action="convert",
        entity=lead,
        changes={"status": ["open", "converted"], "deal_id": [None, deal.id]},
        summary=f"意向转为对接：{deal.title}",
    )
    commit(session)
    return lead
