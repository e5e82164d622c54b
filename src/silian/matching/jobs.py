"""Matching jobs for the CLI and background use: rebuild the index, export feedback as qrels,
train the reranker on it, and turn the engine's suggestions into matches in the brokers'
queues (the workbench glue)."""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.brokerage.models import Match
from silian.brokerage.service import (
    AssignmentRule,
    SuggestedPair,
    create_matches,
    latest_feedback,
    rule_from_env,
)
from silian.config import Settings
from silian.core import events
from silian.core.audit import AuditLog
from silian.core.db import session_factory
from silian.core.transactions import commit
from silian.demands.models import Demand
from silian.matching import learning, sources
from silian.matching.learning import VERDICT_GRADES
from silian.matching.service import get_service

log = logging.getLogger(__name__)
# What the workbench asks the engine for, per source kind.
QUEUE_TARGETS = {"demand": "achievement", "achievement": "demand"}


def rebuild_index(settings: Settings, progress: Callable[[int, int], None] | None = None) -> int:
    """Index every visible record from the database and save it; returns documents indexed."""
    return get_service(settings).rebuild(progress)


def export_feedback(session: Session, path: Path) -> int:
    """Write users' latest verdicts as a BEIR qrels TSV; returns the rows written.

    Query ids are the source records (``demand:12``), corpus ids the suggestions
    (``achievement:7``); when several users judged one pair, the highest grade wins.
    """
    grades: dict[tuple[str, str], int] = {}
    for row in latest_feedback(session):
        key = (f"{row.source_kind}:{row.source_id}", f"{row.target_kind}:{row.target_id}")
        grades[key] = max(grades.get(key, 0), VERDICT_GRADES[row.verdict])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        writer.writerow(["query-id", "corpus-id", "score"])
        for (query, doc), grade in sorted(grades.items()):
            writer.writerow([query, doc, grade])
    return len(grades)


@dataclass
class Learned:
    """What ``silian feedback learn`` did: the saved model and the pairs it could not use."""

    model: learning.Reranker
    pairs: int
    not_found: int


# The audit rows of reranker switches: no table holds models, so the entity is the model
# version (0 = off), like the demo loader's "demo" rows.
AUDIT_ENTITY = "rerank_model"


def _audit_switch(
    session: Session,
    actor: object | None,
    action: str,
    version: int | None,
    summary: str,
    changes: dict[str, object],
) -> None:
    session.add(
        AuditLog(
            actor_id=getattr(actor, "id", None),
            actor_name=getattr(actor, "username", None) or "system",
            action=action,
            entity_type=AUDIT_ENTITY,
            entity_id=version or 0,
            summary=summary,
            changes=changes,
        )
    )
    session.flush()


def _point_back(store: learning.ModelStore, previous: int | None) -> None:
    """Undo a switch whose audit row could not be committed (the files stay)."""
    store.point(f"{previous:04d}" if previous is not None else learning.OFF)


def learn_from_feedback(
    settings: Settings, session: Session, actor: object | None = None
) -> Learned:
    """Train a reranker on the stored feedback, save it as the new active version and write
    the audit row (action ``rerank_learn``); commits.

    Each judged source record is asked again (as the suggestion panels ask, public text only)
    for the engine's own top ``SILIAN_RERANK_DEPTH`` of the judged kind; a judged target no
    longer among them cannot give features and is counted in ``not_found``.
    """
    labels = sources.feedback_labels(session)
    depth = learning.rerank_depth()
    by_query: dict[tuple[str, str], dict[str, int]] = {}
    for (source, target), grade in labels.items():
        by_query.setdefault((source, target.partition(":")[0]), {})[target] = grade
    service = get_service(settings)
    groups: list[learning.Group] = []
    not_found = 0
    for (source, target_kind), grades in sorted(by_query.items()):
        kind, _, raw_id = source.partition(":")
        query = sources.source_query(session, kind, int(raw_id), full=False)
        if query is None:  # the source record is gone
            not_found += len(grades)
            continue
        hits = service.engine_hits(query, target_kind, depth, {source})
        not_found += len(set(grades) - {h.doc_id for h in hits})
        groups.append(learning.Group.of(source, hits, grades, text=query.query_text()))
    model = learning.train(groups, depth=depth)
    model.index = service.index_version
    store = service.models
    previous = store.active_version()
    version = store.save(model)
    state = "生效" if model.blend > 0 else "不改变推荐顺序"
    try:
        _audit_switch(
            session,
            actor,
            "rerank_learn",
            version,
            f"训练重排模型第 {version} 版（{len(labels)} 条反馈，混合权重 "
            f"{model.blend:.2f}，{state}）",
            {
                "active": [previous, version],
                "blend": model.blend,
                "feedback": len(labels),
                "cv": {k: model.cv.get(k) for k in ("before", "after", "queries")},
            },
        )
        commit(session)
    except BaseException:
        session.rollback()
        _point_back(store, previous)
        raise
    return Learned(model, len(labels), not_found)


def revert_reranker(
    settings: Settings, session: Session, actor: object | None = None
) -> int | None:
    """Make the reranker version before the active one active, or switch the reranker off, and
    write the audit row (action ``rerank_revert``); commits. Returns the version now active
    (None = off); reverting while off raises :class:`~silian.matching.learning.LearningError`."""
    store = get_service(settings).models
    previous = store.active_version()
    version = store.revert()
    summary = f"重排模型回退到第 {version} 版" if version else "关闭重排模型（按引擎的顺序推荐）"
    try:
        _audit_switch(
            session, actor, "rerank_revert", version, summary, {"active": [previous, version]}
        )
        commit(session)
    except BaseException:
        session.rollback()
        _point_back(store, previous)
        raise
    return version


def suggest_into_queue(
    settings: Settings,
    session: Session,
    source_kind: str,
    source_id: int,
    rule: AssignmentRule | None = None,
) -> list[Match]:
    """Save the engine's top suggestions for one demand (or achievement) as matches with their
    reasons, each assigned to a broker by the rule; commits. Confidential text never leaks:
    the query uses what the public may see."""
    rule = rule or rule_from_env()
    target = QUEUE_TARGETS.get(source_kind)
    if target is None:
        raise ValueError(f"不支持为 {source_kind} 生成撮合建议")
    found = get_service(settings).suggest(
        session, source_kind, source_id, target, limit=rule.top, full=False
    )
    pairs = [
        SuggestedPair(
            source_kind,
            source_id,
            s.kind,
            s.id,
            round(float(s.score), 4),
            {"matched": s.reasons, "shares": s.shares},
        )
        for s in found
    ]
    return create_matches(session, pairs, rule)


def enable_auto_matching(settings: Settings) -> events.Listener:
    """Subscribe: each demand the office publishes gets its suggestions queued at once."""

    def on_changes(changes: list[events.Change]) -> None:
        for change in changes:
            if change.entity_type == "demands" and change.action == "approve":
                with session_factory(settings.database_url)() as session:
                    try:
                        suggest_into_queue(settings, session, "demand", change.entity_id)
                    except Exception:  # the publication stands even if queueing fails
                        log.exception("queueing suggestions for demand %s failed", change.entity_id)

    events.subscribe(on_changes)
    return on_changes


def queue_published_demands(settings: Settings, limit: int = 12) -> int:
    """Queue suggestions for the newest published demands that have none yet; returns matches
    made (used after loading the demo city, so brokers' queues come from the engine)."""
    made = 0
    with session_factory(settings.database_url)() as session:
        queued = select(Match.source_id).where(Match.source_kind == "demand")
        ids = list(
            session.scalars(
                select(Demand.id)
                .where(Demand.status == "published", Demand.id.not_in(queued))
                .order_by(Demand.published_at.desc(), Demand.id.desc())
                .limit(limit)
            )
        )
        for demand_id in ids:
            made += len(suggest_into_queue(settings, session, "demand", demand_id))
    return made
