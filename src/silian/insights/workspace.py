"""My workspace (/my): what the signed-in user owns and what waits for their action.

Who sees what follows the permission table, never the role: a unit account
(``workspace.unit_listings``) lists its unit's achievements and demands, a person (an expert)
lists their own — created by them or naming them (their talent profile's name) among the
inventors — with the unit's count beside; the office (``review.view``) sees its review queue
and the records it returned; posters see their challenges and the bids received once bidding
has closed; solvers their bids; reviewers the evaluations assigned to them; brokers their
queue; every party its deals and contracts; a platform's operator its services and the bookings
waiting for confirmation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.brokerage import figures as brokerage_figures
from silian.brokerage import service as brokerage
from silian.brokerage.models import Contract, ContractMilestone, Deal, Match
from silian.challenges import service as challenges
from silian.challenges.models import Challenge, Reviewer
from silian.core import permissions
from silian.core.audit import AuditLog
from silian.demands.models import Bid, Demand
from silian.platforms import service as platforms
from silian.platforms.models import Platform, ServiceBooking
from silian.talent.models import Talent

LIMIT = 50


@dataclass
class Todo:
    """One thing waiting for the user: a Chinese label, how many, where to act."""

    label: str
    count: int
    href: str


@dataclass
class Workspace:
    """Everything /my shows, each list already limited to what the user may see."""

    personal: bool = False
    achievements: list[Achievement] = field(default_factory=list)
    demands: list[Demand] = field(default_factory=list)
    unit_achievements: int = 0
    unit_demands: int = 0
    todos: list[Todo] = field(default_factory=list)
    challenges: list[Challenge] = field(default_factory=list)
    challenges_title: str = ""
    bids_received: dict[int, int] = field(default_factory=dict)
    bids: list[tuple[Bid, Challenge | None]] = field(default_factory=list)
    reviews: list[tuple[Reviewer, Challenge]] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)
    contracts: list[Contract] = field(default_factory=list)
    queue: brokerage.Queue | None = None
    figures: Any = None
    activity: list[AuditLog] = field(default_factory=list)
    platforms: list[Platform] = field(default_factory=list)
    bookings: list[ServiceBooking] = field(default_factory=list)
    bookings_to_confirm: set[int] = field(default_factory=set)


def _todo(ws: Workspace, label: str, count: int, href: str) -> None:
    if count:
        ws.todos.append(Todo(label, count, href))


def own_achievements_where(session: Session, user: User) -> Any:
    """SQL condition for a person's own achievements: created by them, or naming them among
    the inventors (matched on the name of their talent profile, within their unit)."""
    mine = [Achievement.created_by_id == user.id]
    talent = session.scalar(select(Talent).where(Talent.user_id == user.id))
    if talent is not None and talent.organization_id is not None:
        # JSON containment differs by backend: filter the unit's rows by name in Python.
        candidates = session.execute(
            select(Achievement.id, Achievement.inventors).where(
                Achievement.organization_id == talent.organization_id
            )
        ).all()
        ids = [
            row.id
            for row in candidates
            if any(str(i.get("name", "")) == talent.name for i in row.inventors or [])
        ]
        if ids:
            mine.append(Achievement.id.in_(ids))
    return or_(*mine)


def _listings(session: Session, user: User, ws: Workspace) -> None:
    org = user.organization_id
    ws.personal = not permissions.can(user, "workspace.unit_listings")
    unit_a = Achievement.organization_id == org
    unit_d = Demand.organization_id == org
    if ws.personal:
        where_a = own_achievements_where(session, user)
        where_d: Any = Demand.created_by_id == user.id
        if org is not None:
            ws.unit_achievements = int(
                session.scalar(select(func.count()).select_from(Achievement).where(unit_a)) or 0
            )
            ws.unit_demands = int(
                session.scalar(select(func.count()).select_from(Demand).where(unit_d)) or 0
            )
    else:
        where_a = or_(unit_a, Achievement.created_by_id == user.id)
        where_d = or_(unit_d, Demand.created_by_id == user.id)
    ws.achievements = list(
        session.scalars(
            select(Achievement).where(where_a).order_by(Achievement.updated_at.desc()).limit(LIMIT)
        )
    )
    ws.demands = list(
        session.scalars(
            select(Demand).where(where_d).order_by(Demand.updated_at.desc()).limit(LIMIT)
        )
    )
    returned = [a.id for a in ws.achievements if a.status == "returned"]
    returned += [d.id for d in ws.demands if d.status == "returned"]
    _todo(ws, "被退回待修改的成果与需求", len(returned), "/my#listings")


def _office(session: Session, user: User, ws: Workspace) -> None:
    if not permissions.can(user, "review.view"):
        return

    def count(model: Any, status: str) -> int:
        stmt = select(func.count()).select_from(model).where(model.status == status)
        return int(session.scalar(stmt) or 0)

    _todo(ws, "待审核的科技成果", count(Achievement, "submitted"), "/review")
    _todo(ws, "待审核的技术需求", count(Demand, "submitted"), "/review")
    # Returned by the office and not yet resubmitted: what the units still owe.
    _todo(
        ws,
        "已退回、等待单位修改后重新提交",
        count(Achievement, "returned") + count(Demand, "returned"),
        "/review",
    )
    if permissions.sees_everything(user, "challenge.publish"):
        _todo(ws, "待发布的揭榜挂帅", count(Challenge, "draft"), "/challenges?status=draft")
    if permissions.sees_everything(user, "match.assign"):
        unassigned = session.scalar(
            select(func.count())
            .select_from(Match)
            .where(Match.broker_id.is_(None), Match.status == "suggested")
        )
        _todo(ws, "未分派经纪人的撮合建议", int(unassigned or 0), "/brokerage")


def _challenges(session: Session, user: User, ws: Workspace) -> None:
    if permissions.sees_everything(user, "challenge.manage"):
        # The office runs every challenge: those waiting for it (publish, evaluate, award).
        stmt = select(Challenge).where(Challenge.status.in_(("draft", "bidding", "evaluating")))
        ws.challenges_title = "待发布、揭榜中和评审中的揭榜挂帅"
    elif permissions.can(user, "challenge.manage") and user.organization_id is not None:
        stmt = (
            select(Challenge)
            .join(Demand, Demand.id == Challenge.demand_id)
            .where(Demand.organization_id == user.organization_id)
        )
        ws.challenges_title = "本单位发布的揭榜挂帅"
    else:
        stmt = None
    if stmt is not None:
        ws.challenges = list(
            session.scalars(stmt.order_by(Challenge.bidding_deadline.desc()).limit(LIMIT))
        )
        for item in ws.challenges:
            if challenges.may_see_all_bids(session, user, item):
                ws.bids_received[item.id] = len(challenges.live_bids(session, item))
        evaluating = [c for c in ws.challenges if c.status == "evaluating"]
        _todo(ws, "评审中、待定榜的揭榜挂帅", len(evaluating), "/my#challenges")
        closed = [
            c for c in ws.challenges if c.status == "bidding" and challenges.deadline_passed(c)
        ]
        _todo(ws, "已截止、待开始评审的揭榜挂帅", len(closed), "/my#challenges")
    if permissions.can(user, "bid.submit"):
        mine = [Bid.created_by_id == user.id]
        if user.organization_id is not None and not ws.personal:
            mine.append(Bid.organization_id == user.organization_id)
        bids = list(
            session.scalars(select(Bid).where(or_(*mine)).order_by(Bid.id.desc()).limit(LIMIT))
        )
        by_demand = {
            c.demand_id: c
            for c in session.scalars(
                select(Challenge).where(Challenge.demand_id.in_({b.demand_id for b in bids}))
            )
        }
        ws.bids = [(b, by_demand.get(b.demand_id)) for b in bids]
    ws.reviews = [
        (reviewer, item)
        for reviewer, item in session.execute(
            select(Reviewer, Challenge)
            .join(Challenge, Challenge.id == Reviewer.challenge_id)
            .where(Reviewer.user_id == user.id)
            .order_by(Challenge.bidding_deadline.desc())
        ).all()
    ]
    waiting = [r for r, item in ws.reviews if item.status == "evaluating"]
    _todo(ws, "待评审的揭榜挂帅", len(waiting), "/my#reviews")


def _deals(session: Session, user: User, ws: Workspace) -> None:
    if permissions.can(user, "brokerage.view"):
        broker = brokerage.broker_of(session, user)
        if broker is not None or permissions.sees_everything(user, "deal.advance"):
            ws.queue = brokerage.queue(session, user)
            _todo(ws, "待处理的撮合建议", len(ws.queue.matches), "/brokerage")
            _todo(ws, "今日到期或已逾期的对接", len(ws.queue.due), "/brokerage")
            _todo(ws, "长期未跟进的对接", len(ws.queue.stale), "/brokerage")
        if permissions.can(user, "brokerage.figures"):
            mine = None if permissions.sees_everything(user, "deal.advance") else broker
            if mine is not None or permissions.sees_everything(user, "deal.advance"):
                ws.figures = brokerage_figures.figures(session, mine.id if mine else None)
    if user.organization_id is not None and not permissions.sees_everything(user, "deal.view"):
        party = or_(Deal.seller_id == user.organization_id, Deal.buyer_id == user.organization_id)
        ws.deals = list(
            session.scalars(select(Deal).where(party).order_by(Deal.id.desc()).limit(LIMIT))
        )
    if not permissions.sees_everything(user, "contract.view"):
        ws.contracts = brokerage.list_contracts(session, user)[:LIMIT]
        open_ids = [c.id for c in ws.contracts if c.status != "done"]
        due = session.scalar(
            select(func.count())
            .select_from(ContractMilestone)
            .where(
                ContractMilestone.contract_id.in_(open_ids),
                ContractMilestone.done_on.is_(None),
                ContractMilestone.due_on <= brokerage.today(),
            )
        )
        _todo(ws, "已到期未完成的合同节点", int(due or 0), "/my#contracts")


def _services(session: Session, user: User, ws: Workspace) -> None:
    """The platforms the user's unit operates and its bookings, those waiting for its decision
    first, then the newest others."""
    ws.platforms = platforms.operated_platforms(session, user)
    waiting = platforms.bookings_to_decide(session, user)
    newest = [b for b in platforms.list_bookings(session, user)[:20] if b not in waiting]
    ws.bookings = waiting[:20] + newest[: max(0, 20 - len(waiting))]
    ws.bookings_to_confirm = {b.id for b in waiting}
    _todo(ws, "待确认的平台服务预约", len(waiting), "/bookings?status=requested")


def workspace(session: Session, user: User) -> Workspace:
    """The workspace of user: listings, what waits for them, challenges, bids, reviews, deals."""
    ws = Workspace()
    _office(session, user, ws)
    _listings(session, user, ws)
    _challenges(session, user, ws)
    _deals(session, user, ws)
    _services(session, user, ws)
    ws.activity = list(
        session.scalars(
            select(AuditLog)
            .where(AuditLog.actor_id == user.id)
            .order_by(AuditLog.created_at.desc())
            .limit(20)
        )
    )
    return ws
