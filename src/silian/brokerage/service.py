"""Brokerage services: suggested pairs and feedback, the brokers' queue and assignment rule,
deals staged to signature, contracts with milestones, payments and acceptance.

Each named state change is one function that checks who may do it, writes the audit row and
commits (record_feedback, the oldest, leaves the commit to its caller).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.brokerage.choices import (
    ACTIVE_DEAL_STAGES,
    DEAL_STAGES,
    FAIL_REASONS,
    FEEDBACK_VERDICTS,
)
from silian.brokerage.models import (
    Broker,
    BrokerTraining,
    Contract,
    ContractMilestone,
    ContractPayment,
    Deal,
    DealStep,
    Match,
    MatchFeedback,
    TrainingEnrollment,
)
from silian.brokerage.schemas import (
    CertifyIn,
    ContractIn,
    DealOpenIn,
    EnrollIn,
    ExamIn,
    MilestoneDoneIn,
    PaymentIn,
    ReassignIn,
    StepIn,
    TrainingIn,
)
from silian.chains.models import IndustryChain
from silian.challenges import service as challenges
from silian.challenges.models import Challenge
from silian.core import audit, clock, permissions
from silian.core.concurrency import check_version
from silian.core.db import utcnow
from silian.core.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from silian.core.permissions import require
from silian.core.transactions import commit
from silian.core.validation import parse
from silian.demands.models import Bid, Demand
from silian.notifications import service as notifications
from silian.organizations.models import Organization

MATCH_KINDS = {
    "demand",
    "achievement",
    "talent",
    "platform",
    "enterprise",
    "talent_need",
    "investment_project",
    "named_class",
    "text",
}
# Match.status mirrors the latest verdict.
VERDICT_STATUS = {"useful": "useful", "not_useful": "not_useful", "contacted": "contacted"}


@dataclass(frozen=True)
class Pair:
    """A suggested pair: what was matched (source) and what was suggested (target)."""

    source_kind: str
    source_id: int
    target_kind: str
    target_id: int


def record_feedback(
    session: Session,
    user: User,
    pair: Pair,
    verdict: str,
    *,
    score: float | None = None,
    rank: int | None = None,
    reasons: dict[str, Any] | None = None,
    comment: str = "",
) -> MatchFeedback:
    """Store one user's verdict on a suggestion, creating the Match row on first feedback;
    commits."""
    # Brokers work the queue; units judge suggestions for their own listings; offices oversee.
    require(user, "match.feedback")
    errors: dict[str, str] = {}
    if verdict not in FEEDBACK_VERDICTS:
        errors["verdict"] = "评价只能是：有用、无用、已联系"
    for name, kind in (("source_kind", pair.source_kind), ("target_kind", pair.target_kind)):
        if kind not in MATCH_KINDS:
            errors[name] = f"不支持的对象类型：{kind}"
    if len(comment) > 1000:
        errors["comment"] = "备注不能超过1000字"
    if errors:
        raise ValidationFailed(errors)
    match = session.scalar(
        select(Match).where(
            Match.source_kind == pair.source_kind,
            Match.source_id == pair.source_id,
            Match.target_kind == pair.target_kind,
            Match.target_id == pair.target_id,
        )
    )
    if match is None:
        match = Match(
            source_kind=pair.source_kind,
            source_id=pair.source_id,
            target_kind=pair.target_kind,
            target_id=pair.target_id,
            score=float(score or 0.0),
            reasons=reasons or {},
            status="suggested",
        )
        session.add(match)
        audit.record(
            session,
            actor=user,
            action="create",
            entity=match,
            summary="保存推荐结果",
            changes={"score": [None, match.score]},
        )
    before = match.status
    match.status = VERDICT_STATUS[verdict]
    match.feedback_by_id = user.id
    match.feedback_at = utcnow()
    item = MatchFeedback(
        match_id=match.id, user_id=user.id, verdict=verdict, score=score, rank=rank, comment=comment
    )
    session.add(item)
    audit.record(
        session,
        actor=user,
        action="feedback",
        entity=match,
        summary=f"评价推荐：{FEEDBACK_VERDICTS.label(verdict)}",
        changes={"status": [before, match.status]},
    )
    commit(session)
    return item


@dataclass(frozen=True)
class FeedbackRow:
    """One feedback entry joined with its pair, for export."""

    source_kind: str
    source_id: int
    target_kind: str
    target_id: int
    verdict: str
    user_id: int | None
    created_at: datetime


def latest_feedback(session: Session) -> list[FeedbackRow]:
    """The newest verdict of each user on each pair, oldest pair first."""
    stmt = (
        select(Match, MatchFeedback)
        .join(MatchFeedback, MatchFeedback.match_id == Match.id)
        .order_by(Match.id, MatchFeedback.created_at, MatchFeedback.id)
    )
    newest: dict[tuple[int, int | None], FeedbackRow] = {}
    for match, fb in session.execute(stmt):
        newest[(match.id, fb.user_id)] = FeedbackRow(
            match.source_kind,
            match.source_id,
            match.target_kind,
            match.target_id,
            fb.verdict,
            fb.user_id,
            fb.created_at,
        )
    return list(newest.values())


def my_verdicts(
    session: Session, user: User, source_kind: str, source_id: int
) -> dict[tuple[str, int], str]:
    """The user's latest verdict per target for one source, to show on the suggestion list."""
    stmt = (
        select(Match.target_kind, Match.target_id, MatchFeedback.verdict)
        .join(MatchFeedback, MatchFeedback.match_id == Match.id)
        .where(
            Match.source_kind == source_kind,
            Match.source_id == source_id,
            MatchFeedback.user_id == user.id,
        )
        .order_by(MatchFeedback.created_at, MatchFeedback.id)
    )
    return {(kind, target): verdict for kind, target, verdict in session.execute(stmt)}


def today() -> date:
    """The city's current date (tests replace it)."""
    return clock.today()


# --- the brokers' queue and the assignment rule --------------------------------------------


@dataclass(frozen=True)
class AssignmentRule:
    """How the engine's suggestions become matches in brokers' queues (configurable).

    ``top`` suggestions per newly published demand become Match rows; each goes to a broker
    with spare capacity (active deals + open matches below ``max_active_deals``), preferring a
    specialty fit (the demand's chain named in the broker's specialties scores 2, a specialty
    word in the demand's title or keywords 1), least-loaded first, then by id. With
    ``require_specialty`` a match no specialist can take stays unassigned for the office.
    Deals without a step for ``stale_days`` are flagged.
    """

    top: int = 3
    min_score: float = 0.0
    require_specialty: bool = False
    stale_days: int = 14


def rule_from_env() -> AssignmentRule:
    """The rule from SILIAN_MATCH_TOP, SILIAN_MATCH_MIN_SCORE, SILIAN_MATCH_REQUIRE_SPECIALTY,
    SILIAN_STALE_DEAL_DAYS (defaults where unset)."""
    env = os.environ
    return AssignmentRule(
        top=int(env.get("SILIAN_MATCH_TOP", "3")),
        min_score=float(env.get("SILIAN_MATCH_MIN_SCORE", "0")),
        require_specialty=env.get("SILIAN_MATCH_REQUIRE_SPECIALTY", "") == "1",
        stale_days=int(env.get("SILIAN_STALE_DEAL_DAYS", "14")),
    )


OPEN_MATCH_STATUSES = ("suggested", "useful", "contacted")


def broker_loads(session: Session) -> dict[int, int]:
    """Per broker: active deals plus assigned matches not yet turned into a deal."""
    loads: dict[int, int] = {}
    deals = session.execute(
        select(Deal.broker_id, func.count())
        .where(Deal.broker_id.is_not(None), Deal.stage.in_(ACTIVE_DEAL_STAGES))
        .group_by(Deal.broker_id)
    )
    for broker_id, n in deals:
        if broker_id is not None:
            loads[broker_id] = loads.get(broker_id, 0) + n
    matches = session.execute(
        select(Match.broker_id, func.count())
        .where(Match.broker_id.is_not(None), Match.status.in_(OPEN_MATCH_STATUSES))
        .group_by(Match.broker_id)
    )
    for broker_id, n in matches:
        if broker_id is not None:
            loads[broker_id] = loads.get(broker_id, 0) + n
    return loads


def specialty_fit(broker: Broker, demand: Demand | None) -> int:
    """2 when the demand's chain is one of the broker's specialties, 1 for a specialty word."""
    if demand is None:
        return 0
    specialties = [s.strip() for s in broker.specialties if s.strip()]
    if demand.chain is not None and demand.chain.name in specialties:
        return 2
    text = demand.title + " " + " ".join(demand.keywords)
    return 1 if any(s in text for s in specialties) else 0


def choose_broker(
    session: Session, demand: Demand | None, rule: AssignmentRule
) -> tuple[Broker | None, str]:
    """The broker the rule gives a new match to, with the reason (None: nobody can take it)."""
    loads = broker_loads(session)
    brokers = list(session.scalars(select(Broker).order_by(Broker.id)))
    free = [b for b in brokers if loads.get(b.id, 0) < b.max_active_deals]
    if not free:
        return None, "所有经纪人均已满负荷，待政府部门分派"
    fits = {b.id: specialty_fit(b, demand) for b in free}
    specialists = [b for b in free if fits[b.id] > 0]
    if rule.require_specialty and not specialists:
        return None, "没有对口且有余量的经纪人，待政府部门分派"
    pool = specialists or free
    best = min(pool, key=lambda b: (loads.get(b.id, 0), -fits[b.id], b.id))
    why = "专业对口" if fits[best.id] else "无对口经纪人，按负荷分派"
    return best, f"{why}；当前负荷{loads.get(best.id, 0)}/{best.max_active_deals}"


@dataclass(frozen=True)
class SuggestedPair:
    """One engine suggestion to turn into a Match: the pair, its score and its reasons."""

    source_kind: str
    source_id: int
    target_kind: str
    target_id: int
    score: float
    reasons: dict[str, Any]


def create_matches(
    session: Session, pairs: list[SuggestedPair], rule: AssignmentRule, actor: User | None = None
) -> list[Match]:
    """Save suggestions as matches with their reasons and assign each by the rule; commits."""
    made: list[Match] = []
    for pair in pairs[: rule.top]:
        if pair.score < rule.min_score:
            continue
        exists = session.scalar(
            select(Match).where(
                Match.source_kind == pair.source_kind,
                Match.source_id == pair.source_id,
                Match.target_kind == pair.target_kind,
                Match.target_id == pair.target_id,
            )
        )
        if exists is not None:
            continue
        demand = session.get(Demand, pair.source_id) if pair.source_kind == "demand" else None
        if demand is None and pair.target_kind == "demand":
            demand = session.get(Demand, pair.target_id)
        broker, why = choose_broker(session, demand, rule)
        match = Match(
            source_kind=pair.source_kind,
            source_id=pair.source_id,
            target_kind=pair.target_kind,
            target_id=pair.target_id,
            score=pair.score,
            reasons=pair.reasons,
            status="suggested",
            broker_id=broker.id if broker else None,
            assigned_at=utcnow() if broker else None,
            assignment_note=why,
        )
        session.add(match)
        audit.record(
            session,
            actor=actor,
            action="assign",
            entity=match,
            changes={"broker_id": [None, match.broker_id]},
            summary=f"生成撮合建议并分派：{why}",
        )
        if broker is not None:
            notifications.notify(
                session,
                broker.user_id,
                "match_assigned",
                "新的撮合建议待处理",
                "/brokerage",
                dedupe_key="queue",
            )
        made.append(match)
    commit(session)
    return made


def reassign_match(session: Session, user: User, match_id: int, data: dict[str, Any]) -> Match:
    """The office moves a match to another broker (capacity is checked)."""
    permissions.require(user, "match.assign")
    match = session.get(Match, match_id)
    if match is None:
        raise NotFound("撮合建议不存在")
    clean = parse(ReassignIn, data)
    broker = session.get(Broker, clean.broker_id)
    if broker is None:
        raise ValidationFailed({"broker_id": "经纪人不存在"})
    if match.status == "converted":
        raise InvalidTransition("已转为对接的建议不能改派，请改派对接项目")
    if (
        broker.id != match.broker_id
        and broker_loads(session).get(broker.id, 0) >= broker.max_active_deals
    ):
        raise Conflict(f"{broker.name}已满负荷（{broker.max_active_deals}项）")
    before = match.broker_id
    match.broker_id = broker.id
    match.assigned_at = utcnow()
    match.assignment_note = f"政府部门改派：{clean.note}".rstrip("：")
    audit.record(
        session,
        actor=user,
        action="reassign",
        entity=match,
        changes={"broker_id": [before, broker.id]},
        summary=f"改派撮合建议给{broker.name}",
    )
    notifications.notify(
        session,
        broker.user_id,
        "match_assigned",
        "新的撮合建议待处理",
        "/brokerage",
        dedupe_key="queue",
    )
    commit(session)
    return match


def broker_of(session: Session, user: User | None) -> Broker | None:
    """The broker profile of a signed-in broker."""
    if user is None:
        return None
    return session.scalar(select(Broker).where(Broker.user_id == user.id))


@dataclass
class Queue:
    """What a broker (or, for the office, every broker) has to act on."""

    matches: list[Match]
    due: list[Deal]
    stale: list[Deal]
    active: list[Deal]


def is_stale(deal: Deal, rule: AssignmentRule | None = None) -> bool:
    """No step for rule.stale_days on a deal still being worked."""
    rule = rule or rule_from_env()
    last = deal.last_activity_on or deal.created_at.date()
    return deal.stage in ACTIVE_DEAL_STAGES and (today() - last).days >= rule.stale_days


def queue(session: Session, user: User, rule: AssignmentRule | None = None) -> Queue:
    """Open matches, deals due today or overdue, stale deals and all active deals."""
    rule = rule or rule_from_env()
    deal_stmt = select(Deal).where(Deal.stage.in_(ACTIVE_DEAL_STAGES)).order_by(Deal.next_due)
    match_stmt = (
        select(Match)
        .where(Match.status.in_(OPEN_MATCH_STATUSES), Match.broker_id.is_not(None))
        .order_by(Match.score.desc())
    )
    if not permissions.sees_everything(user, "deal.advance"):
        broker = broker_of(session, user)
        if broker is None:
            raise PermissionDenied("您还没有技术经纪人档案")
        deal_stmt = deal_stmt.where(Deal.broker_id == broker.id)
        match_stmt = match_stmt.where(Match.broker_id == broker.id)
    active = list(session.scalars(deal_stmt))
    due = [d for d in active if d.next_due is not None and d.next_due <= today()]
    stale = [d for d in active if is_stale(d, rule)]
    return Queue(list(session.scalars(match_stmt.limit(200))), due, stale, active)


# --- deals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrokerOwned:
    """A deal seen by the ownership rule: the broker's user owns it."""

    user_id: int | None
    organization_id: int | None = None


def deal_owner(deal: Deal) -> BrokerOwned:
    return BrokerOwned(deal.broker.user_id if deal.broker else None)


def can_view_deal(user: User | None, deal: Deal) -> bool:
    """Office, the deal's broker and the two parties."""
    if user is None:
        return False
    if permissions.can(user, "deal.advance", deal_owner(deal)):
        return True
    return user.organization_id is not None and user.organization_id in (
        deal.seller_id,
        deal.buyer_id,
    )


def get_deal(session: Session, user: User | None, deal_id: int) -> Deal:
    """One deal the user may see."""
    deal = session.get(Deal, deal_id)
    if deal is None or not can_view_deal(user, deal):
        raise NotFound("对接项目不存在或无权查看")
    return deal


def deal_steps(session: Session, deal: Deal) -> list[DealStep]:
    """A deal's timeline, oldest first."""
    return list(
        session.scalars(select(DealStep).where(DealStep.deal_id == deal.id).order_by(DealStep.id))
    )


def _parties(
    session: Session, match: Match
) -> tuple[str, int | None, int | None, int | None, int | None]:
    """Title, seller, buyer, demand and achievement of a match's pair."""
    ids = {match.source_kind: match.source_id, match.target_kind: match.target_id}
    demand = session.get(Demand, ids["demand"]) if "demand" in ids else None
    achievement = session.get(Achievement, ids["achievement"]) if "achievement" in ids else None
    buyer = demand.organization_id if demand else None
    seller = achievement.organization_id if achievement else None
    parts = [x.title[:40] for x in (demand, achievement) if x is not None]
    title = " × ".join(parts) or f"撮合建议{match.id}"
    return (
        title,
        seller,
        buyer,
        demand.id if demand else None,
        achievement.id if achievement else None,
    )


def open_deal(session: Session, user: User, data: dict[str, Any]) -> Deal:
    """Turn a match in the broker's queue into a deal at 已推荐 with its first next action."""
    clean = parse(DealOpenIn, data)
    match = session.get(Match, clean.match_id)
    if match is None:
        raise NotFound("撮合建议不存在")
    owner = BrokerOwned(match.broker.user_id if match.broker else None)
    permissions.require(user, "deal.open", owner)
    if match.status == "converted" or session.scalar(
        select(Deal.id).where(Deal.match_id == match.id)
    ):
        raise Conflict("此撮合建议已转为对接项目")
    broker = match.broker or broker_of(session, user)
    title, seller, buyer, demand_id, achievement_id = _parties(session, match)
    deal = Deal(
        title=title,
        match_id=match.id,
        demand_id=demand_id,
        achievement_id=achievement_id,
        broker_id=broker.id if broker else None,
        seller_id=seller,
        buyer_id=buyer,
        stage="recommended",
        channel=clean.channel,
        trade_mode=clean.trade_mode,
        next_action=clean.next_action,
        next_due=clean.next_due,
        last_activity_on=today(),
        notes=clean.note,
    )
    session.add(deal)
    session.flush()
    session.add(
        DealStep(
            deal_id=deal.id,
            stage="recommended",
            note=clean.note or "由撮合建议发起对接",
            happened_on=today(),
            next_action=clean.next_action,
            next_due=clean.next_due,
            actor_id=user.id,
        )
    )
    match.status = "converted"
    audit.record(
        session,
        actor=user,
        action="create",
        entity=deal,
        changes={"stage": [None, "recommended"], "match_id": match.id},
        summary=f"发起对接：{title}",
    )
    commit(session)
    return deal


def start_deal(
    session: Session,
    user: User,
    *,
    title: str,
    achievement_id: int | None,
    seller_id: int | None,
    buyer_id: int | None,
    channel: str,
    trade_mode: str,
    note: str,
    next_action: str,
    next_due: date,
) -> Deal:
    """A deal at 已推荐 for a pair found outside the matching queue (an event's lead), with its
    first step; the caller checks its own permission, writes its audit row and commits."""
    broker = broker_of(session, user)
    deal = Deal(
        title=title[:200],
        achievement_id=achievement_id,
        broker_id=broker.id if broker else None,
        seller_id=seller_id,
        buyer_id=buyer_id,
        stage="recommended",
        channel=channel,
        trade_mode=trade_mode,
        next_action=next_action,
        next_due=next_due,
        last_activity_on=today(),
        notes=note,
    )
    session.add(deal)
    session.flush()
    session.add(
        DealStep(
            deal_id=deal.id,
            stage="recommended",
            note=note,
            happened_on=today(),
            next_action=next_action,
            next_due=next_due,
            actor_id=user.id,
        )
    )
    audit.record(
        session,
        actor=user,
        action="create",
        entity=deal,
        changes={"stage": [None, "recommended"], "channel": channel},
        summary=f"发起对接：{deal.title}",
    )
    return deal


# The road: each stage may move to the next ones listed; failed is possible until signed.
NEXT_STAGES = {
    "recommended": ("contacted", "failed"),
    "contacted": ("negotiating", "failed"),
    "negotiating": ("signed", "failed"),
    "signed": ("implemented",),
    "implemented": (),
    "failed": (),
}


def advance_deal(
    session: Session, user: User, deal_id: int, data: dict[str, Any], version: int | None
) -> Deal:
    """Record one step: the next stage (or the same, as a follow-up), note, date, next action."""
    deal = session.get(Deal, deal_id)
    if deal is None:
        raise NotFound("对接项目不存在")
    permissions.require(user, "deal.advance", deal_owner(deal))
    check_version(deal, version)
    clean = parse(StepIn, data)
    if clean.stage != deal.stage and clean.stage not in NEXT_STAGES[deal.stage]:
        allowed = "、".join(DEAL_STAGES.label(s) for s in NEXT_STAGES[deal.stage]) or "无"
        raise InvalidTransition(
            f"对接当前为“{deal.stage_label}”，不能变为“{DEAL_STAGES.label(clean.stage)}”（可选：{allowed}）"
        )
    if clean.stage == deal.stage and deal.stage in ("implemented", "failed"):
        raise InvalidTransition(f"对接已{deal.stage_label}，不能再更新")
    happened = clean.happened_on or today()
    if happened > today():
        raise ValidationFailed({"happened_on": "日期不能晚于今天"})
    before = {"stage": deal.stage, "next_action": deal.next_action}
    deal.stage = clean.stage
    deal.next_action = clean.next_action
    deal.next_due = clean.next_due
    deal.last_activity_on = happened
    if clean.expected_amount is not None:
        deal.expected_amount = clean.expected_amount
    if clean.stage == "signed" and deal.signed_on is None:
        deal.signed_on = happened
    if clean.stage == "failed":
        deal.fail_reason = clean.fail_reason
    session.add(
        DealStep(
            deal_id=deal.id,
            stage=clean.stage,
            note=clean.note,
            happened_on=happened,
            next_action=clean.next_action,
            next_due=clean.next_due,
            fail_reason=clean.fail_reason,
            actor_id=user.id,
        )
    )
    session.flush()
    reason = f"（{FAIL_REASONS.label(clean.fail_reason)}）" if clean.fail_reason else ""
    audit.record(
        session,
        actor=user,
        action="advance",
        entity=deal,
        changes={
            "stage": [before["stage"], deal.stage],
            "next_action": [before["next_action"], deal.next_action],
        },
        summary=f"对接进展：{deal.title} → {deal.stage_label}{reason}",
    )
    commit(session)
    return deal


# --- contracts -----------------------------------------------------------------------------


def _party(user: User | None, contract: Contract, deal: Deal | None) -> bool:
    if user is None:
        return False
    if permissions.sees_everything(user, "contract.view"):
        return True
    if user.organization_id is not None and user.organization_id in (
        contract.seller_id,
        contract.buyer_id,
    ):
        return True
    return deal is not None and deal.broker is not None and deal.broker.user_id == user.id


def get_contract(session: Session, user: User | None, contract_id: int) -> Contract:
    """One contract the user may see: office, the parties, the deal's broker."""
    contract = session.get(Contract, contract_id)
    deal = session.get(Deal, contract.deal_id) if contract and contract.deal_id else None
    if contract is None or not _party(user, contract, deal):
        raise NotFound("合同不存在或无权查看")
    return contract


def list_contracts(session: Session, user: User, challenge_id: int | None = None) -> list[Contract]:
    """Contracts the user may see, newest first."""
    stmt = select(Contract).order_by(Contract.signed_on.desc(), Contract.id.desc())
    if challenge_id:
        stmt = stmt.where(Contract.challenge_id == challenge_id)
    if not permissions.sees_everything(user, "contract.view"):
        own = [Contract.created_by_id == user.id]
        if user.organization_id is not None:
            own += [
                Contract.seller_id == user.organization_id,
                Contract.buyer_id == user.organization_id,
            ]
        broker = broker_of(session, user)
        if broker is not None:
            own.append(Contract.deal_id.in_(select(Deal.id).where(Deal.broker_id == broker.id)))
        stmt = stmt.where(or_(*own))
    return list(session.scalars(stmt.limit(500)))


def overdue(milestone: ContractMilestone) -> bool:
    """Not done and past its due date."""
    return milestone.done_on is None and milestone.due_on < today()


def paid(contract: Contract) -> Decimal:
    """Payments received so far."""
    return sum((p.amount for p in contract.payments), Decimal(0))


def _new_contract(session: Session, user: User, clean: ContractIn, **links: Any) -> Contract:
    contract = Contract(
        title=clean.title,
        amount=clean.amount,
        signed_on=clean.signed_on,
        registration_no=clean.registration_no,
        trade_mode=clean.trade_mode,
        broker_fee=clean.broker_fee,
        status="registered" if clean.registration_no else "signed",
        created_by_id=user.id,
        milestones=[
            ContractMilestone(seq=i, name=m.name, due_on=m.due_on, amount=m.amount)
            for i, m in enumerate(clean.milestones, 1)
        ],
        **links,
    )
    session.add(contract)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("合同已登记，或技术合同登记号已被使用") from exc
    audit.record(
        session,
        actor=user,
        action="create",
        entity=contract,
        changes={"amount": [None, str(clean.amount)], "milestones": len(clean.milestones)},
        summary=f"登记合同：{contract.title}",
    )
    return contract


def _parse_contract(data: dict[str, Any]) -> ContractIn:
    clean = parse(ContractIn, data)
    if clean.signed_on > today():
        raise ValidationFailed({"signed_on": "签订日期不能晚于今天"})
    return clean


def create_contract_from_award(
    session: Session, user: User, challenge_id: int, data: dict[str, Any]
) -> Contract:
    """The awarded bidder's contract: buyer is the poster, seller the winner's unit."""
    item = session.get(Challenge, challenge_id)
    if item is None:
        raise NotFound("揭榜挂帅榜单不存在")
    permissions.require(user, "contract.create")
    permissions.require(user, "challenge.manage", item.demand)
    if item.status != "awarded" or item.awarded_bid_id is None:
        raise InvalidTransition(f"榜单当前为“{item.status_label}”，定榜后才能登记合同")
    winner = session.get(Bid, item.awarded_bid_id)
    clean = _parse_contract(data)
    contract = _new_contract(
        session,
        user,
        clean,
        challenge_id=item.id,
        seller_id=winner.organization_id if winner else None,
        buyer_id=item.demand.organization_id,
    )
    challenges.advance_after_contract(session, user, item, "contracted")
    if winner is not None and winner.created_by_id:
        notifications.notify(
            session,
            winner.created_by_id,
            "contract",
            f"合同已登记：{contract.title}",
            f"/contracts/{contract.id}",
        )
    commit(session)
    return contract


def create_contract_from_deal(
    session: Session, user: User, deal_id: int, data: dict[str, Any]
) -> Contract:
    """The contract of a signed deal (its parties; the broker or the office registers it)."""
    deal = session.get(Deal, deal_id)
    if deal is None:
        raise NotFound("对接项目不存在")
    permissions.require(user, "contract.create")
    if not (
        permissions.can(user, "deal.advance", deal_owner(deal))
        or user.organization_id in (deal.seller_id, deal.buyer_id)
    ):
        raise PermissionDenied("只有对接双方、负责的经纪人和政府部门可以登记合同")
    if deal.stage not in ("signed", "implemented"):
        raise InvalidTransition(f"对接当前为“{deal.stage_label}”，签约后才能登记合同")
    clean = _parse_contract(data)
    contract = _new_contract(
        session, user, clean, deal_id=deal.id, seller_id=deal.seller_id, buyer_id=deal.buyer_id
    )
    commit(session)
    return contract


def _editable(session: Session, user: User, contract_id: int, version: int | None) -> Contract:
    contract = get_contract(session, user, contract_id)
    permissions.require(user, "contract.edit")
    check_version(contract, version)
    if contract.status == "done":
        raise InvalidTransition("合同已验收，不能再修改")
    return contract


def _challenge_of(session: Session, contract: Contract) -> Challenge | None:
    return session.get(Challenge, contract.challenge_id) if contract.challenge_id else None


def complete_milestone(
    session: Session,
    user: User,
    contract_id: int,
    milestone_id: int,
    data: dict[str, Any],
    version: int | None,
) -> Contract:
    """Mark a milestone done with its evidence; the first one starts performance."""
    contract = _editable(session, user, contract_id, version)
    milestone = next((m for m in contract.milestones if m.id == milestone_id), None)
    if milestone is None:
        raise NotFound("合同节点不存在")
    if milestone.done_on is not None:
        raise InvalidTransition(f"节点“{milestone.name}”已于{milestone.done_on}完成")
    clean = parse(MilestoneDoneIn, data)
    done_on = clean.done_on or today()
    if done_on > today():
        raise ValidationFailed({"done_on": "完成日期不能晚于今天"})
    milestone.done_on = done_on
    milestone.evidence = clean.evidence
    milestone.done_by_id = user.id
    before = contract.status
    contract.status = "performing"
    contract.updated_at = utcnow()  # bumps the version: milestones are part of the contract
    session.flush()
    audit.record(
        session,
        actor=user,
        action="milestone_done",
        entity=contract,
        changes={"milestone": milestone.name, "status": [before, contract.status]},
        summary=f"合同节点完成：{contract.title} · {milestone.name}",
    )
    item = _challenge_of(session, contract)
    if item is not None and item.status == "contracted":
        challenges.advance_after_contract(session, user, item, "in_progress")
    commit(session)
    return contract


def record_payment(
    session: Session, user: User, contract_id: int, data: dict[str, Any], version: int | None
) -> Contract:
    """Record a payment received (never more than the contract amount in total)."""
    contract = _editable(session, user, contract_id, version)
    clean = parse(PaymentIn, data)
    if paid(contract) + clean.amount > contract.amount:
        raise ValidationFailed({"amount": "累计到账金额不能超过合同金额"})
    contract.payments.append(
        ContractPayment(
            amount=clean.amount,
            received_on=clean.received_on,
            note=clean.note,
            recorded_by_id=user.id,
        )
    )
    contract.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=user,
        action="payment",
        entity=contract,
        changes={"amount": str(clean.amount)},
        summary=f"合同到账：{contract.title} {clean.amount}元",
    )
    commit(session)
    return contract


def accept_contract(
    session: Session, user: User, contract_id: int, version: int | None = None
) -> Contract:
    """验收: the buyer (or the office) accepts once every milestone is done."""
    contract = get_contract(session, user, contract_id)
    permissions.require(user, "contract.accept", BrokerOwned(None, contract.buyer_id))
    check_version(contract, version)
    if contract.status == "done":
        raise InvalidTransition("合同已验收")
    open_ = [m.name for m in contract.milestones if m.done_on is None]
    if open_:
        raise InvalidTransition("以下节点尚未完成，不能验收：" + "、".join(open_))
    before = contract.status
    contract.status = "done"
    contract.accepted_on = today()
    session.flush()
    audit.record(
        session,
        actor=user,
        action="accept",
        entity=contract,
        changes={"status": [before, "done"]},
        summary=f"合同验收：{contract.title}",
    )
    item = _challenge_of(session, contract)
    if item is not None:
        challenges.advance_after_contract(session, user, item, "accepted")
    commit(session)
    return contract


def remind_due_milestones(session: Session, within_days: int = 7) -> int:
    """Notify the parties' users of milestones due within a week or overdue; commits."""
    horizon = today() + timedelta(days=within_days)
    rows = session.execute(
        select(ContractMilestone, Contract)
        .join(Contract, Contract.id == ContractMilestone.contract_id)
        .where(ContractMilestone.done_on.is_(None), ContractMilestone.due_on <= horizon)
    ).all()
    sent = 0
    for milestone, contract in rows:
        users = session.scalars(
            select(User.id).where(User.organization_id.in_([contract.seller_id, contract.buyer_id]))
        )
        for user_id in users:
            notifications.notify(
                session,
                user_id,
                "milestone_due",
                f"合同节点{'已逾期' if overdue(milestone) else '即将到期'}：{milestone.name}",
                f"/contracts/{contract.id}",
                dedupe_key=f"milestone:{milestone.id}",
            )
            sent += 1
    commit(session)
    return sent


def remind_due_deals(session: Session) -> int:
    """Tell each broker about their active deals whose next action is due or overdue; commits."""
    rows = session.scalars(
        select(Deal).where(
            Deal.stage.in_(ACTIVE_DEAL_STAGES), Deal.next_due.is_not(None), Deal.next_due <= today()
        )
    )
    sent = 0
    for deal in rows:
        if deal.broker is None or deal.broker.user_id is None:
            continue
        notifications.notify(
            session,
            deal.broker.user_id,
            "deal_waiting",
            f"对接待跟进：{deal.title}（{deal.next_action}）",
            f"/deals/{deal.id}",
            dedupe_key=f"deal:{deal.id}:{deal.next_due}",
        )
        sent += 1
    commit(session)
    return sent


def match_history(session: Session, deal: Deal) -> list[MatchFeedback]:
    """Feedback users gave on the deal's suggestion (useful / not useful / contacted), oldest
    first — the history before the deal was opened."""
    if deal.match_id is None:
        return []
    return list(
        session.scalars(
            select(MatchFeedback)
            .where(MatchFeedback.match_id == deal.match_id)
            .order_by(MatchFeedback.created_at, MatchFeedback.id)
        )
    )


def pair_titles(session: Session, matches: list[Match]) -> dict[tuple[str, int], str]:
    """Titles of the demands and achievements the matches name, for the queue page."""
    wanted: dict[str, set[int]] = {"demand": set(), "achievement": set()}
    for m in matches:
        for kind, record_id in ((m.source_kind, m.source_id), (m.target_kind, m.target_id)):
            if kind in wanted:
                wanted[kind].add(record_id)
    out: dict[tuple[str, int], str] = {}
    for record_id, title in session.execute(
        select(Demand.id, Demand.title).where(Demand.id.in_(wanted["demand"]))
    ):
        out[("demand", record_id)] = title
    for record_id, title in session.execute(
        select(Achievement.id, Achievement.title).where(Achievement.id.in_(wanted["achievement"]))
    ):
        out[("achievement", record_id)] = title
    return out


# --- broker training and certification -------------------------------------------------------

# An exam score of this or more out of 100 passes.
PASS_MARK = 60


def list_trainings(session: Session) -> list[BrokerTraining]:
    """Every training course, newest year first."""
    return list(
        session.scalars(
            select(BrokerTraining).order_by(BrokerTraining.year.desc(), BrokerTraining.name)
        ).unique()
    )


def get_training(session: Session, training_id: int) -> BrokerTraining:
    """A training course or NotFound."""
    training = session.get(BrokerTraining, training_id)
    if training is None:
        raise NotFound("培训班不存在")
    return training


def enrollments(session: Session, training_id: int) -> list[TrainingEnrollment]:
    """A course's trainees in enrolment order."""
    return list(
        session.scalars(
            select(TrainingEnrollment)
            .where(TrainingEnrollment.training_id == training_id)
            .order_by(TrainingEnrollment.id)
        ).unique()
    )


def recount_training(session: Session, training: BrokerTraining) -> None:
    """Set the course's trainee, pass and certificate counts from its enrolment rows."""
    session.flush()
    rows = session.execute(
        select(
            func.count(),
            func.count().filter(TrainingEnrollment.passed.is_(True)),
            func.count(TrainingEnrollment.certificate_no),
        ).where(TrainingEnrollment.training_id == training.id)
    ).one()
    training.trainees, training.passed, training.certificates_issued = (int(v or 0) for v in rows)


def create_training(session: Session, user: User, data: dict[str, Any]) -> BrokerTraining:
    """The office opens a broker training course."""
    require(user, "training.manage")
    clean = parse(TrainingIn, data)
    if clean.organizer_id is not None and session.get(Organization, clean.organizer_id) is None:
        raise ValidationFailed({"organizer_id": "主办单位不存在"})
    if clean.chain_id is not None and session.get(IndustryChain, clean.chain_id) is None:
        raise ValidationFailed({"chain_id": "产业链不存在"})
    if session.scalar(
        select(BrokerTraining.id).where(
            BrokerTraining.name == clean.name, BrokerTraining.year == clean.year
        )
    ):
        raise ValidationFailed({"name": f"{clean.year} 年已有名为“{clean.name}”的培训班"})
    training = BrokerTraining(**clean.model_dump())
    session.add(training)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="create",
        entity=training,
        changes=audit.snapshot(training),
        summary=f"开设经纪人培训班：{training.year} {training.name}",
    )
    commit(session)
    return training


def enroll_trainee(
    session: Session, user: User, training_id: int, data: dict[str, Any]
) -> TrainingEnrollment:
    """Enrol a registered user (by id or username) in a course."""
    require(user, "training.manage")
    training = get_training(session, training_id)
    clean = parse(EnrollIn, data)
    if clean.user_id is not None:
        trainee = session.get(User, clean.user_id)
    else:
        trainee = session.scalar(select(User).where(User.username == clean.username.strip()))
    if trainee is None or not trainee.is_active:
        raise ValidationFailed({"user_id": "学员须为已注册的有效用户（填写用户名或用户编号）"})
    if session.scalar(
        select(TrainingEnrollment.id).where(
            TrainingEnrollment.training_id == training.id,
            TrainingEnrollment.user_id == trainee.id,
        )
    ):
        raise ValidationFailed({"user_id": f"{trainee.name} 已在本培训班中"})
    row = TrainingEnrollment(
        training_id=training.id,
        user_id=trainee.id,
        enrolled_on=clean.enrolled_on or today(),
    )
    session.add(row)
    recount_training(session, training)
    audit.record(
        session,
        actor=user,
        action="create",
        entity=row,
        changes=audit.snapshot(row),
        summary=f"学员报名：{trainee.name} → {training.name}",
    )
    commit(session)
    return row


def _enrollment(session: Session, enrollment_id: int) -> TrainingEnrollment:
    row = session.get(TrainingEnrollment, enrollment_id)
    if row is None:
        raise NotFound("学员记录不存在")
    return row


def record_exam(
    session: Session, user: User, enrollment_id: int, data: dict[str, Any]
) -> TrainingEnrollment:
    """Record a trainee's exam score; PASS_MARK or more passes. Fixed once certified."""
    require(user, "training.manage")
    row = _enrollment(session, enrollment_id)
    clean = parse(ExamIn, data)
    if row.certificate_no:
        raise InvalidTransition("已发证的学员不能再修改考试成绩")
    if clean.exam_on < row.enrolled_on:
        raise ValidationFailed({"exam_on": "考试日期不能早于报名日期"})
    before = audit.snapshot(row)
    row.exam_score = clean.exam_score
    row.exam_on = clean.exam_on
    row.passed = clean.exam_score >= PASS_MARK
    recount_training(session, get_training(session, row.training_id))
    audit.record(
        session,
        actor=user,
        action="exam",
        entity=row,
        changes=audit.diff(before, audit.snapshot(row)),
        summary=f"登记考试成绩：{row.user.name} {clean.exam_score} 分",
    )
    commit(session)
    return row


def certify_trainee(
    session: Session, user: User, enrollment_id: int, data: dict[str, Any]
) -> TrainingEnrollment:
    """Issue a certificate to a trainee who passed; in the same step the trainee becomes a
    Broker with the given specialties (or their existing Broker record is certified)."""
    require(user, "training.manage")
    row = _enrollment(session, enrollment_id)
    clean = parse(CertifyIn, data)
    if not row.passed:
        raise InvalidTransition("学员考试未通过（或尚无成绩），不能发证")
    if row.certificate_no:
        raise InvalidTransition(f"已发证：{row.certificate_no}")
    if row.exam_on and clean.certified_on < row.exam_on:
        raise ValidationFailed({"certified_on": "发证日期不能早于考试日期"})
    number = clean.certificate_no.strip()
    taken = session.scalar(
        select(TrainingEnrollment.id).where(TrainingEnrollment.certificate_no == number)
    ) or session.scalar(
        select(Broker.id).where(Broker.certificate_no == number, Broker.user_id != row.user_id)
    )
    if taken:
        raise ValidationFailed({"certificate_no": f"证书编号 {number} 已被使用"})
    trainee = row.user
    org_id = clean.organization_id or trainee.organization_id
    if clean.organization_id is not None and session.get(Organization, org_id) is None:
        raise ValidationFailed({"organization_id": "所属单位不存在"})
    broker = session.scalar(select(Broker).where(Broker.user_id == trainee.id))
    if broker is None:
        broker = Broker(
            name=trainee.name, user_id=trainee.id, max_active_deals=clean.max_active_deals
        )
        session.add(broker)
    broker.certificate_no = number
    broker.certified_on = clean.certified_on
    broker.specialties = clean.specialties
    broker.organization_id = org_id
    row.certificate_no = number
    row.certified_on = clean.certified_on
    session.flush()
    row.broker_id = broker.id
    recount_training(session, get_training(session, row.training_id))
    audit.record(
        session,
        actor=user,
        action="certify",
        entity=row,
        changes={"certificate_no": [None, number], "broker_id": [None, broker.id]},
        summary=f"颁发技术经纪人证书 {number}：{trainee.name}",
    )
    audit.record(
        session,
        actor=user,
        action="certify",
        entity=broker,
        changes={"certificate_no": [None, number], "specialties": [[], clean.specialties]},
        summary=f"持证技术经纪人：{broker.name}",
    )
    try:
        commit(session)
    except IntegrityError as exc:  # a racing certificate took the number first
        session.rollback()
        raise ValidationFailed({"certificate_no": f"证书编号 {number} 已被使用"}) from exc
    return row
