"""Brokerage services: suggested pairs (Match) and the feedback users give on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.brokerage.choices import FEEDBACK_VERDICTS
from silian.brokerage.models import Match, MatchFeedback
from silian.core import audit
from silian.core.db import utcnow
from silian.core.errors import ValidationFailed
from silian.core.permissions import require
from silian.core.transactions import commit

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
