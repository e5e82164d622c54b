"""Challenge services: settings, the lifecycle, bids, reviewers, scoring and award.

Each named state change is one function that checks who may do it (``core.permissions``) and
when (the lifecycle below), writes the audit row and commits; anything else is refused with a
Chinese message. Lifecycle after publication: ``bidding → evaluating → awarded → contracted →
in_progress → accepted``, or ``closed`` (without award, with a reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from statistics import mean, median
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.challenges.choices import CHALLENGE_STATUS, FEEDBACK_REASONS
from silian.challenges.models import BidScore, Challenge, ChallengeAcceptance, Reviewer
from silian.challenges.schemas import (
    AwardIn,
    BidIn,
    ChallengeIn,
    CloseIn,
    ConflictIn,
    ReviewerIn,
    ScoreIn,
)
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
from silian.core.pagination import Page, paginate
from silian.core.transactions import commit
from silian.core.validation import parse
from silian.demands import service as demands
from silian.demands.models import Bid, Demand
from silian.notifications import service as notifications
from silian.talent.models import Talent

# A reviewer's total this far from the median of the bid's totals is flagged (≥ 3 reviewers).
OUTLIER_POINTS = 15.0
# Reviewers' totals of one bid this far apart are flagged for discussion.
WIDE_SPREAD_POINTS = 20.0
LIVE_BID_STATUSES = ("submitted", "shortlisted", "awarded")
OPEN_STATUSES = ("bidding", "evaluating")


def today() -> date:
    """The city's current date (tests replace it to move past a deadline)."""
    return clock.today()


# --- reading -------------------------------------------------------------------------------


@dataclass
class ChallengeFilters:
    """Filters of the challenge hall."""

    status: str = ""
    list_type: str = ""
    chain_id: int | None = None
    q: str = ""


def _is_poster(user: User | None, challenge: Challenge) -> bool:
    return permissions.can(user, "challenge.manage", challenge.demand)


def visible_query(user: User | None) -> Select[Challenge]:
    """Challenges user may see: published ones to everyone, drafts to the poster and office."""
    stmt = select(Challenge).join(Demand, Demand.id == Challenge.demand_id)
    public = Challenge.status != "draft"
    if user is None:
        return stmt.where(public)
    if permissions.sees_everything(user, "challenge.manage"):
        return stmt
    own = [Challenge.created_by_id == user.id]
    if user.organization_id is not None:
        own.append(Demand.organization_id == user.organization_id)
    return stmt.where(or_(public, *own))


def list_challenges(
    session: Session, user: User | None, filters: ChallengeFilters, page: int, per_page: int
) -> Page[Challenge]:
    """The challenge hall: filtered, open ones first by nearest deadline."""
    stmt = visible_query(user)
    if filters.status:
        stmt = stmt.where(Challenge.status == filters.status)
    if filters.list_type:
        stmt = stmt.where(Demand.list_type == filters.list_type)
    if filters.chain_id:
        stmt = stmt.where(Demand.chain_id == filters.chain_id)
    if filters.q:
        like = f"%{filters.q.strip().lower()}%"
        stmt = stmt.where(
            or_(func.lower(Demand.title).like(like), func.lower(Demand.public_summary).like(like))
        )
    open_first = (Challenge.status == "bidding").desc()
    stmt = stmt.order_by(open_first, Challenge.bidding_deadline, Challenge.id.desc())
    return paginate(session, stmt, page, per_page)


def get_challenge(session: Session, user: User | None, challenge_id: int) -> Challenge:
    """One challenge, or NotFound when missing or a draft the user may not see."""
    item = session.get(Challenge, challenge_id)
    if item is None:
        raise NotFound("揭榜挂帅榜单不存在")
    if item.status == "draft" and not (
        _is_poster(user, item) or (user is not None and item.created_by_id == user.id)
    ):
        raise NotFound("揭榜挂帅榜单不存在或尚未发布")
    return item


def challenge_for_demand(session: Session, demand_id: int) -> Challenge | None:
    """The challenge run on a demand, if any."""
    return session.scalar(select(Challenge).where(Challenge.demand_id == demand_id))


def terms_accepted(session: Session, user: User | None, challenge: Challenge) -> bool:
    """Whether user may read full details: not confidential, poster/office, or accepted."""
    if not challenge.confidential:
        return True
    if user is None:
        return False
    # Offices, certified brokers and the poster read confidential details anyway.
    if permissions.can(user, "demand.view_confidential", challenge.demand):
        return True
    found = session.scalar(
        select(ChallengeAcceptance.id).where(
            ChallengeAcceptance.challenge_id == challenge.id,
            ChallengeAcceptance.user_id == user.id,
        )
    )
    return found is not None


def days_left(challenge: Challenge) -> int:
    """Days until the bidding deadline (0 on the day, negative after it)."""
    return (challenge.bidding_deadline - today()).days


def deadline_passed(challenge: Challenge) -> bool:
    """Bids are accepted through the end of the deadline day."""
    return today() > challenge.bidding_deadline


def to_dict(session: Session, user: User | None, item: Challenge) -> dict[str, Any]:
    """Challenge fields for display and the API."""
    data = {c.key: getattr(item, c.key) for c in Challenge.__mapper__.column_attrs}
    demand = item.demand
    data |= {
        "title": demand.title,
        "list_type": demand.list_type,
        "organization_id": demand.organization_id,
        "organization_name": demand.organization.name,
        "public_summary": demand.public_summary,
        "days_left": days_left(item),
        "terms_accepted": terms_accepted(session, user, item),
    }
    # Full details go only to those who may read them: after accepting a confidential
    # challenge's terms (recorded), or by the demand's own confidentiality rule otherwise.
    readable = (
        data["terms_accepted"] if item.confidential else demands.details_visible(user, demand)
    )
    data["details"] = (
        {key: getattr(demand, key) for key in demands.CONFIDENTIAL_FIELDS} if readable else None
    )
    return data


# --- settings and lifecycle ----------------------------------------------------------------


def _require_manager(user: User, challenge_or_demand: Challenge | Demand, action: str) -> Demand:
    demand = (
        challenge_or_demand.demand
        if isinstance(challenge_or_demand, Challenge)
        else challenge_or_demand
    )
    permissions.require(user, action, demand)
    # A 政府榜 is run by the offices; the poster runs its own 企业榜.
    if demand.list_type == "government" and not permissions.sees_everything(user, action):
        raise PermissionDenied("政府榜由政府部门组织")
    return demand


def _refuse(item: Challenge, doing: str, allowed: tuple[str, ...]) -> None:
    if item.status not in allowed:
        raise InvalidTransition(f"榜单当前为“{item.status_label}”，不能{doing}")


def _check_confidentiality(clean: ChallengeIn, demand: Demand) -> None:
    # A public demand page would show what the terms are meant to protect.
    if clean.confidential and demand.confidentiality == "public":
        raise ValidationFailed(
            {"confidential": "保密榜单的需求须设为“仅公开摘要”或“保密”，请先修改需求的保密要求"}
        )


def _settings(clean: ChallengeIn) -> dict[str, Any]:
    values = clean.model_dump(mode="json")
    values["prize"] = clean.prize
    values["bidding_deadline"] = clean.bidding_deadline
    return values


def create_challenge(
    session: Session, user: User, demand_id: int, data: dict[str, Any]
) -> Challenge:
    """Run a published demand as a 揭榜挂帅 challenge (a draft until the office publishes it)."""
    demand = session.get(Demand, demand_id)
    if demand is None:
        raise NotFound("需求不存在")
    _require_manager(user, demand, "challenge.create")
    if demand.status != "published":
        raise InvalidTransition("只有已发布的需求可以设置为揭榜挂帅")
    if challenge_for_demand(session, demand_id) is not None:
        raise Conflict("此需求已设置揭榜挂帅")
    clean = parse(ChallengeIn, data)
    if clean.bidding_deadline < today():
        raise ValidationFailed({"bidding_deadline": "揭榜截止日期不能早于今天"})
    _check_confidentiality(clean, demand)
    item = Challenge(demand_id=demand.id, created_by_id=user.id, status="draft", **_settings(clean))
    session.add(item)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("此需求已设置揭榜挂帅") from exc
    audit.record(
        session,
        actor=user,
        action="create",
        entity=item,
        changes={"status": [None, "draft"]},
        summary=f"设置揭榜挂帅：{demand.title}",
    )
    commit(session)
    return item


def update_challenge(
    session: Session, user: User, challenge_id: int, data: dict[str, Any], version: int | None
) -> Challenge:
    """Edit a challenge's settings while it is a draft or still open for bids."""
    item = get_challenge(session, user, challenge_id)
    _require_manager(user, item, "challenge.edit")
    check_version(item, version)
    _refuse(item, "修改设置", ("draft", "bidding"))
    if item.status == "bidding" and deadline_passed(item):
        raise InvalidTransition("揭榜已截止，不能再修改设置")
    clean = parse(ChallengeIn, data)
    if clean.bidding_deadline < today():
        raise ValidationFailed({"bidding_deadline": "揭榜截止日期不能早于今天"})
    _check_confidentiality(clean, item.demand)
    before = audit.snapshot(item)
    for key, value in _settings(clean).items():
        setattr(item, key, value)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="update",
        entity=item,
        changes=audit.diff(before, audit.snapshot(item)),
        summary=f"修改揭榜挂帅设置：{item.title}",
    )
    commit(session)
    return item


def _move(session: Session, user: User, item: Challenge, target: str, summary: str) -> None:
    before = item.status
    item.status = target
    session.flush()
    audit.record(
        session,
        actor=user,
        action=target,
        entity=item,
        changes={"status": [before, target]},
        summary=f"{summary}：{item.title}",
    )


def publish_challenge(
    session: Session, user: User, challenge_id: int, version: int | None = None
) -> Challenge:
    """Office publishes a draft challenge: bidding opens until the deadline."""
    item = get_challenge(session, user, challenge_id)
    permissions.require(user, "challenge.publish", item)
    check_version(item, version)
    _refuse(item, "发布", ("draft",))
    if item.demand.status != "published":
        raise InvalidTransition("需求未处于发布状态，不能发布揭榜挂帅")
    if deadline_passed(item):
        raise InvalidTransition("揭榜截止日期已过，请先修改截止日期")
    item.published_at = utcnow()
    _move(session, user, item, "bidding", "发布揭榜挂帅")
    commit(session)
    return item


def accept_terms(session: Session, user: User, challenge_id: int) -> Challenge:
    """Record that user accepted a confidential challenge's terms (then sees full details)."""
    item = get_challenge(session, user, challenge_id)
    if not item.confidential:
        raise InvalidTransition("此榜单无需签署保密条款")
    _refuse(item, "签署保密条款", ("bidding",))
    exists = session.scalar(
        select(ChallengeAcceptance).where(
            ChallengeAcceptance.challenge_id == item.id, ChallengeAcceptance.user_id == user.id
        )
    )
    if exists is None:
        row = ChallengeAcceptance(challenge_id=item.id, user_id=user.id)
        session.add(row)
        audit.record(
            session,
            actor=user,
            action="accept_terms",
            entity=item,
            changes={"user_id": [None, user.id]},
            summary=f"接受保密与参与条款：{item.title}",
        )
        commit(session)
    return item


def start_evaluation(
    session: Session, user: User, challenge_id: int, version: int | None = None
) -> Challenge:
    """After the deadline: freeze the criteria and weights and open scoring."""
    item = get_challenge(session, user, challenge_id)
    _require_manager(user, item, "challenge.manage")
    check_version(item, version)
    _refuse(item, "开始评审", ("bidding",))
    if not deadline_passed(item):
        raise InvalidTransition(f"揭榜截止日期（{item.bidding_deadline}）之后才能开始评审")
    if not live_bids(session, item):
        raise InvalidTransition("没有有效的揭榜方案，请关闭榜单并说明原因")
    item.scoring_criteria = [dict(c) for c in item.criteria]
    item.evaluation_started_at = utcnow()
    _move(session, user, item, "evaluating", "开始评审")
    for reviewer in reviewers(session, item):
        notifications.notify(
            session,
            reviewer.user_id,
            "bid_review",
            f"请评审揭榜方案：{item.title}",
            f"/challenges/{item.id}/review",
            dedupe_key=f"review:{item.id}",
        )
    commit(session)
    return item


def close_challenge(
    session: Session, user: User, challenge_id: int, data: dict[str, Any], version: int | None
) -> Challenge:
    """Close without award, with a reason (draft, bidding or evaluating)."""
    item = get_challenge(session, user, challenge_id)
    _require_manager(user, item, "challenge.manage")
    check_version(item, version)
    _refuse(item, "关闭", ("draft", "bidding", "evaluating"))
    clean = parse(CloseIn, data)
    item.close_reason = clean.reason.strip()
    item.closed_at = utcnow()
    before = item.status
    item.status = "closed"
    session.flush()
    audit.record(
        session,
        actor=user,
        action="close",
        entity=item,
        changes={"status": [before, "closed"], "close_reason": item.close_reason},
        summary=f"关闭揭榜挂帅：{item.title}（{item.close_reason}）",
    )
    for bid in live_bids(session, item):
        if bid.created_by_id:
            notifications.notify(
                session,
                bid.created_by_id,
                "challenge_closed",
                f"榜单已关闭：{item.title}",
                f"/challenges/{item.id}",
            )
    commit(session)
    return item


def award(
    session: Session, user: User, challenge_id: int, data: dict[str, Any], version: int | None
) -> Challenge:
    """Award one scored bid; every other live bid gets feedback (reason category and note)."""
    item = get_challenge(session, user, challenge_id)
    _require_manager(user, item, "challenge.manage")
    check_version(item, version)
    _refuse(item, "定榜", ("evaluating",))
    clean = parse(AwardIn, data)
    bids = {b.id: b for b in live_bids(session, item)}
    winner = bids.get(clean.bid_id)
    if winner is None:
        raise ValidationFailed({"bid_id": "请选择本榜单的有效揭榜方案"})
    scored = session.scalar(select(func.count()).where(BidScore.bid_id == winner.id))
    if not scored:
        raise InvalidTransition("中榜方案尚未评分，不能定榜")
    errors: dict[str, str] = {}
    for bid_id in bids:
        if bid_id != winner.id and bid_id not in clean.feedback:
            errors[f"feedback.{bid_id}"] = f"请为“{bids[bid_id].team_name}”填写未入选原因和说明"
    if errors:
        raise ValidationFailed(errors, "每个未入选的揭榜方都需要反馈原因和说明")
    for bid_id, bid in bids.items():
        if bid_id == winner.id:
            bid.status = "awarded"
            notice = f"恭喜，您的揭榜方案已中榜：{item.title}"
        else:
            fb = clean.feedback[bid_id]
            bid.status = "rejected"
            bid.feedback_reason = fb.reason
            bid.feedback = fb.note.strip()
            notice = f"揭榜结果与反馈：{item.title}（{FEEDBACK_REASONS.label(fb.reason)}）"
        if bid.created_by_id:
            notifications.notify(
                session, bid.created_by_id, "bid_result", notice, f"/challenges/{item.id}"
            )
    item.awarded_bid_id = winner.id
    item.awarded_at = utcnow()
    item.demand.status = "awarded"
    before = item.status
    item.status = "awarded"
    session.flush()
    audit.record(
        session,
        actor=user,
        action="award",
        entity=item,
        changes={
            "status": [before, "awarded"],
            "awarded_bid_id": winner.id,
            "feedback": {str(k): v.model_dump() for k, v in clean.feedback.items()},
        },
        summary=f"定榜：{item.title} → {winner.team_name}",
    )
    commit(session)
    return item


def advance_after_contract(session: Session, user: User, item: Challenge, target: str) -> None:
    """Move an awarded challenge along with its contract (called inside a contract service).

    ``contracted`` when the contract is created, ``in_progress`` when its first milestone is
    done, ``accepted`` when the contract is accepted. The caller owns the transaction.
    """
    order = ("awarded", "contracted", "in_progress", "accepted")
    if target not in order[1:]:
        raise InvalidTransition(f"未知的榜单状态：{target}")
    if item.status not in order or order.index(item.status) >= order.index(target):
        if item.status == target:
            return
        raise InvalidTransition(
            f"榜单当前为“{item.status_label}”，不能变为“{CHALLENGE_STATUS.label(target)}”"
        )
    labels = {"contracted": "签订合同", "in_progress": "进入攻关", "accepted": "通过验收"}
    _move(session, user, item, target, labels[target])


# --- bids ----------------------------------------------------------------------------------


def live_bids(session: Session, item: Challenge) -> list[Bid]:
    """Bids not withdrawn, oldest first."""
    return list(
        session.scalars(
            select(Bid)
            .where(Bid.demand_id == item.demand_id, Bid.status.in_(LIVE_BID_STATUSES))
            .order_by(Bid.id)
        )
    )


def _live_key(user: User) -> str:
    return f"org:{user.organization_id}" if user.organization_id else f"user:{user.id}"


def _owns_bid(user: User, bid: Bid) -> bool:
    return permissions.can(user, "bid.edit", bid)


def reviewer_of(session: Session, user: User | None, item: Challenge) -> Reviewer | None:
    """The user's reviewer assignment on this challenge, if any."""
    if user is None:
        return None
    return session.scalar(
        select(Reviewer).where(Reviewer.challenge_id == item.id, Reviewer.user_id == user.id)
    )


def may_see_all_bids(session: Session, user: User | None, item: Challenge) -> bool:
    """Poster and office after the deadline; assigned reviewers during evaluation."""
    if user is None:
        return False
    if permissions.can(user, "challenge.view_bids", item.demand) and (
        deadline_passed(item) or item.status not in ("draft", "bidding")
    ):
        return True
    return item.status != "bidding" and reviewer_of(session, user, item) is not None


def visible_bids(session: Session, user: User | None, item: Challenge) -> list[Bid]:
    """Bids user may see: all (per the rule above) or only their own."""
    stmt = select(Bid).where(Bid.demand_id == item.demand_id).order_by(Bid.id)
    if may_see_all_bids(session, user, item):
        return list(session.scalars(stmt.where(Bid.status != "withdrawn")))
    if user is None:
        return []
    mine = [Bid.created_by_id == user.id]
    if user.organization_id is not None:
        mine.append(Bid.organization_id == user.organization_id)
    return list(session.scalars(stmt.where(or_(*mine))))


def get_bid(session: Session, user: User, bid_id: int) -> tuple[Bid, Challenge]:
    """A bid the user may see, with its challenge."""
    bid = session.get(Bid, bid_id)
    item = challenge_for_demand(session, bid.demand_id) if bid else None
    if bid is None or item is None or bid not in visible_bids(session, user, item):
        raise NotFound("揭榜方案不存在或无权查看")
    return bid, item


def _team(session: Session, clean: BidIn, org_id: int | None) -> list[dict[str, Any]]:
    members = []
    for i, member in enumerate(clean.team_members):
        talent_id = member.talent_id
        if talent_id is not None and session.get(Talent, talent_id) is None:
            raise ValidationFailed({f"team_members.{i}.talent_id": "专家人才档案不存在"})
        if talent_id is None:
            # Link by name when exactly one profile (in the bidder's unit, if any) matches.
            stmt = select(Talent.id).where(Talent.name == member.name.strip())
            if org_id is not None:
                stmt = stmt.where(Talent.organization_id == org_id)
            found = list(session.scalars(stmt.limit(2)))
            talent_id = found[0] if len(found) == 1 else None
        members.append({"name": member.name.strip(), "role": member.role, "talent_id": talent_id})
    return members


def _bid_values(session: Session, clean: BidIn, org_id: int | None) -> dict[str, Any]:
    return {
        "team_name": clean.team_name.strip(),
        "proposal": clean.proposal.strip(),
        "team_members": _team(session, clean, org_id),
        "trl": clean.trl,
        "trl_evidence": clean.trl_evidence,
        "amount": clean.amount,
        "schedule": clean.schedule,
        "attachments": clean.attachments,
    }


def _open_for_bids(item: Challenge, doing: str) -> None:
    _refuse(item, doing, ("bidding",))
    if deadline_passed(item):
        raise InvalidTransition(f"揭榜已于{item.bidding_deadline}截止，不能{doing}")


def submit_bid(session: Session, user: User, challenge_id: int, data: dict[str, Any]) -> Bid:
    """Submit a bid: before the deadline, terms accepted, one live bid per organisation."""
    item = get_challenge(session, user, challenge_id)
    permissions.require(user, "bid.submit")
    _open_for_bids(item, "揭榜")
    if user.organization_id is not None and user.organization_id == item.organization_id:
        raise PermissionDenied("发榜单位不能揭自己的榜")
    if not terms_accepted(session, user, item):
        raise PermissionDenied("请先阅读并接受保密与参与条款")
    key = _live_key(user)
    taken = session.scalar(
        select(Bid.id).where(Bid.demand_id == item.demand_id, Bid.live_key == key)
    )
    if taken is not None:
        raise Conflict("本单位已有一份有效的揭榜方案，请修改或撤回后再提交")
    clean = parse(BidIn, data)
    bid = Bid(
        demand_id=item.demand_id,
        organization_id=user.organization_id,
        created_by_id=user.id,
        status="submitted",
        live_key=key,
        submitted_at=utcnow(),
        **_bid_values(session, clean, user.organization_id),
    )
    session.add(bid)
    try:
        session.flush()
    except IntegrityError as exc:  # another member of the unit submitted at the same moment
        session.rollback()
        raise Conflict("本单位已有一份有效的揭榜方案，请修改或撤回后再提交") from exc
    audit.record(
        session,
        actor=user,
        action="create",
        entity=bid,
        changes={"status": [None, "submitted"]},
        summary=f"提交揭榜方案：{item.title}（{bid.team_name}）",
    )
    commit(session)
    return bid


def update_bid(
    session: Session, user: User, bid_id: int, data: dict[str, Any], version: int | None
) -> Bid:
    """Edit one's own bid until the deadline."""
    bid, item = get_bid(session, user, bid_id)
    if not _owns_bid(user, bid):
        raise PermissionDenied(permissions.rule("bid.edit").message)
    check_version(bid, version)
    _open_for_bids(item, "修改揭榜方案")
    if bid.status != "submitted":
        raise InvalidTransition(f"方案当前为“{bid.status_label}”，不能修改")
    clean = parse(BidIn, data)
    before = audit.snapshot(bid)
    for key, value in _bid_values(session, clean, bid.organization_id).items():
        setattr(bid, key, value)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="update",
        entity=bid,
        changes=audit.diff(before, audit.snapshot(bid)),
        summary=f"修改揭榜方案：{item.title}（{bid.team_name}）",
    )
    commit(session)
    return bid


def withdraw_bid(session: Session, user: User, bid_id: int, version: int | None = None) -> Bid:
    """Withdraw one's own bid until the deadline (frees the unit's live slot)."""
    bid, item = get_bid(session, user, bid_id)
    if not _owns_bid(user, bid):
        raise PermissionDenied(permissions.rule("bid.edit").message)
    check_version(bid, version)
    _open_for_bids(item, "撤回揭榜方案")
    if bid.status != "submitted":
        raise InvalidTransition(f"方案当前为“{bid.status_label}”，不能撤回")
    bid.status = "withdrawn"
    bid.live_key = None
    session.flush()
    audit.record(
        session,
        actor=user,
        action="withdraw",
        entity=bid,
        changes={"status": ["submitted", "withdrawn"]},
        summary=f"撤回揭榜方案：{item.title}（{bid.team_name}）",
    )
    commit(session)
    return bid


def shortlist_bid(session: Session, user: User, bid_id: int, version: int | None = None) -> Bid:
    """Put a bid on the shortlist during evaluation."""
    bid = session.get(Bid, bid_id)
    item = challenge_for_demand(session, bid.demand_id) if bid else None
    if bid is None or item is None:
        raise NotFound("揭榜方案不存在")
    _require_manager(user, item, "challenge.manage")
    check_version(bid, version)
    _refuse(item, "确定入围名单", ("evaluating",))
    if bid.status != "submitted":
        raise InvalidTransition(f"方案当前为“{bid.status_label}”，不能入围")
    bid.status = "shortlisted"
    session.flush()
    audit.record(
        session,
        actor=user,
        action="shortlist",
        entity=bid,
        changes={"status": ["submitted", "shortlisted"]},
        summary=f"入围：{item.title}（{bid.team_name}）",
    )
    commit(session)
    return bid


# --- reviewers and scoring -----------------------------------------------------------------


def reviewers(session: Session, item: Challenge) -> list[Reviewer]:
    """Reviewers assigned to the challenge."""
    return list(
        session.scalars(
            select(Reviewer).where(Reviewer.challenge_id == item.id).order_by(Reviewer.id)
        )
    )


def assign_reviewer(
    session: Session, user: User, challenge_id: int, data: dict[str, Any]
) -> Reviewer:
    """Assign an expert with an account as reviewer (office; the poster for 企业榜)."""
    item = get_challenge(session, user, challenge_id)
    _require_manager(user, item, "challenge.manage")
    _refuse(item, "指派评审专家", ("bidding", "evaluating"))
    clean = parse(ReviewerIn, data)
    talent = session.get(Talent, clean.talent_id)
    if talent is None:
        raise ValidationFailed({"talent_id": "专家人才档案不存在"})
    if talent.user_id is None:
        raise ValidationFailed({"talent_id": f"{talent.name}尚未开通账号，不能担任评审"})
    exists = session.scalar(
        select(Reviewer).where(Reviewer.challenge_id == item.id, Reviewer.talent_id == talent.id)
    )
    if exists is not None:
        raise Conflict(f"{talent.name}已是本榜单的评审专家")
    reviewer = Reviewer(
        challenge_id=item.id, talent_id=talent.id, user_id=talent.user_id, assigned_by_id=user.id
    )
    session.add(reviewer)
    audit.record(
        session,
        actor=user,
        action="assign_reviewer",
        entity=item,
        changes={"talent_id": [None, talent.id]},
        summary=f"指派评审专家：{item.title} → {talent.name}",
    )
    notifications.notify(
        session,
        talent.user_id,
        "bid_review",
        f"您被指派为评审专家：{item.title}",
        f"/challenges/{item.id}/review",
        dedupe_key=f"review:{item.id}",
    )
    commit(session)
    return reviewer


def _my_assignment(session: Session, user: User, item: Challenge) -> Reviewer:
    reviewer = reviewer_of(session, user, item)
    if reviewer is None or not permissions.can(user, "bid.review", reviewer):
        raise PermissionDenied(permissions.rule("bid.review").message)
    return reviewer


def _reviewer_org(reviewer: Reviewer, user: User) -> set[int]:
    return {o for o in (reviewer.talent.organization_id, user.organization_id) if o is not None}


def declare_conflicts(
    session: Session, user: User, challenge_id: int, data: dict[str, Any]
) -> Reviewer:
    """A reviewer declares conflicts of interest (required before scoring; may be none)."""
    item = get_challenge(session, user, challenge_id)
    reviewer = _my_assignment(session, user, item)
    _refuse(item, "申报利益冲突", ("bidding", "evaluating"))
    clean = parse(ConflictIn, data)
    valid = {b.id for b in live_bids(session, item)}
    unknown = [b for b in clean.bid_ids if b not in valid]
    if unknown:
        raise ValidationFailed({"bid_ids": f"不是本榜单的有效方案：{unknown}"})
    scored = set(
        session.scalars(select(BidScore.bid_id).where(BidScore.reviewer_id == reviewer.id))
    )
    if scored & set(clean.bid_ids):
        raise InvalidTransition("已评分的方案不能再申报冲突，请联系组织方")
    reviewer.conflict_bid_ids = sorted(set(clean.bid_ids))
    reviewer.conflict_note = clean.note
    reviewer.declared_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=user,
        action="declare_conflicts",
        entity=reviewer,
        changes={"conflict_bid_ids": reviewer.conflict_bid_ids, "note": clean.note},
        summary=f"申报利益冲突：{item.title}（{len(reviewer.conflict_bid_ids)}项）",
    )
    commit(session)
    return reviewer


def scorable(session: Session, user: User, item: Challenge) -> dict[int, str]:
    """For the scoring sheet: bid id → why the reviewer may not score it ('' when they may)."""
    reviewer = reviewer_of(session, user, item)
    if reviewer is None:
        return {}
    own = _reviewer_org(reviewer, user)
    scored = set(
        session.scalars(select(BidScore.bid_id).where(BidScore.reviewer_id == reviewer.id))
    )
    out = {}
    for bid in live_bids(session, item):
        if bid.organization_id in own:
            out[bid.id] = "本单位方案，须回避"
        elif bid.id in reviewer.conflict_bid_ids:
            out[bid.id] = "已申报利益冲突"
        elif bid.id in scored:
            out[bid.id] = "已评分"
        else:
            out[bid.id] = ""
    return out


def submit_score(session: Session, user: User, bid_id: int, data: dict[str, Any]) -> BidScore:
    """A reviewer scores one bid on every criterion; weighted with the frozen weights."""
    bid = session.get(Bid, bid_id)
    item = challenge_for_demand(session, bid.demand_id) if bid else None
    if bid is None or item is None:
        raise NotFound("揭榜方案不存在")
    reviewer = _my_assignment(session, user, item)
    _refuse(item, "评分", ("evaluating",))
    if bid.status not in LIVE_BID_STATUSES:
        raise InvalidTransition("此方案已撤回，不能评分")
    if bid.organization_id is not None and bid.organization_id in _reviewer_org(reviewer, user):
        raise PermissionDenied("评审专家不能评审本单位的揭榜方案")
    if reviewer.declared_at is None:
        raise InvalidTransition("请先申报利益冲突情况（无冲突也需确认）")
    if bid.id in reviewer.conflict_bid_ids:
        raise PermissionDenied("您已申报与此方案存在利益冲突，不能评分")
    clean = parse(ScoreIn, data)
    criteria = item.scoring_criteria or []
    errors = {}
    values: dict[str, float] = {}
    for c in criteria:
        raw = clean.scores.get(c["name"])
        if raw is None:
            errors[f"scores.{c['name']}"] = f"请为“{c['name']}”打分"
        elif not 0 <= raw <= 100:
            errors[f"scores.{c['name']}"] = f"“{c['name']}”的分数应在0到100之间"
        else:
            values[c["name"]] = float(raw)
    extra = set(clean.scores) - {c["name"] for c in criteria}
    if extra:
        errors["scores"] = "不是本榜单的评审指标：" + "、".join(sorted(extra))
    if errors:
        raise ValidationFailed(errors)
    weights = {c["name"]: float(c["weight"]) for c in criteria}
    total = round(sum(values[n] * w for n, w in weights.items()) / 100, 2)
    score = BidScore(
        bid_id=bid.id,
        reviewer_id=reviewer.id,
        scores=values,
        weights=weights,
        total=total,
        comment=clean.comment,
    )
    session.add(score)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("您已对此方案评分，不能重复评分") from exc
    audit.record(
        session,
        actor=user,
        action="score",
        entity=score,
        changes={"total": [None, total], "scores": values},
        summary=f"评分：{item.title}（{bid.team_name}）{total}分",
    )
    commit(session)
    return score


@dataclass
class BidEvaluation:
    """Figures of one bid's evaluation."""

    bid: Bid
    totals: dict[str, float]
    mean: float | None
    spread: float | None
    outliers: list[str]
    wide_spread: bool


def evaluation(session: Session, item: Challenge) -> list[BidEvaluation]:
    """Per live bid: each reviewer's total, the mean, the spread and outlier flags; best first."""
    names = {r.id: r.talent.name for r in reviewers(session, item)}
    out = []
    for bid in live_bids(session, item):
        rows = session.scalars(select(BidScore).where(BidScore.bid_id == bid.id)).all()
        totals = {names.get(s.reviewer_id, str(s.reviewer_id)): s.total for s in rows}
        values = list(totals.values())
        avg = round(mean(values), 2) if values else None
        spread = round(max(values) - min(values), 2) if values else None
        outliers: list[str] = []
        if len(values) >= 3:
            mid = median(values)
            outliers = [n for n, v in totals.items() if abs(v - mid) > OUTLIER_POINTS]
        wide = spread is not None and spread > WIDE_SPREAD_POINTS
        out.append(BidEvaluation(bid, totals, avg, spread, outliers, wide))
    out.sort(key=lambda e: (e.mean is None, -(e.mean or 0), e.bid.id))
    return out


def remind_closing(session: Session, within_days: int = 3) -> int:
    """Tell bidders and those who accepted the terms that bidding closes soon; commits."""
    horizon = today() + timedelta(days=within_days)
    items = session.scalars(
        select(Challenge).where(
            Challenge.status == "bidding",
            Challenge.bidding_deadline >= today(),
            Challenge.bidding_deadline <= horizon,
        )
    )
    sent = 0
    for item in items:
        bidders = select(Bid.created_by_id).where(
            Bid.demand_id == item.demand_id, Bid.created_by_id.is_not(None)
        )
        readers = select(ChallengeAcceptance.user_id).where(
            ChallengeAcceptance.challenge_id == item.id
        )
        for user_id in set(session.scalars(bidders)) | set(session.scalars(readers)):
            notifications.notify(
                session,
                user_id,
                "challenge_closing",
                f"揭榜即将截止（{item.bidding_deadline}）：{item.title}",
                f"/challenges/{item.id}",
                dedupe_key=f"closing:{item.id}",
            )
            sent += 1
    commit(session)
    return sent


def eligible_demands(session: Session, user: User) -> list[Demand]:
    """Published demands the user may run as a challenge and that have none yet."""
    taken = select(Challenge.demand_id)
    stmt = select(Demand).where(Demand.status == "published", Demand.id.not_in(taken))
    if not permissions.sees_everything(user, "challenge.create"):
        if user.organization_id is None:
            return []
        stmt = stmt.where(
            Demand.organization_id == user.organization_id, Demand.list_type == "enterprise"
        )
    return list(session.scalars(stmt.order_by(Demand.id.desc()).limit(200)))
