"""Matching service: one engine per process, fresh after every committed edit, saved to disk.

The engine itself (``silian.matching.engine``) knows nothing of the database. This module feeds
it the records from ``sources``, applies committed changes (from ``core.events`` in this process
and, for edits made by other processes such as the CLI or another worker, by a cheap
``updated_at`` watermark check before queries), saves it under ``SILIAN_HOME/index`` and answers
the questions pages and the API ask.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silian.achievements.models import Achievement
from silian.config import Settings
from silian.core import changefeed, events
from silian.core.db import session_factory
from silian.demands.models import Demand
from silian.education.models import NamedClass
from silian.matching import learning, sources
from silian.matching.embedding import configured_model
from silian.matching.engine import Engine, Hit
from silian.matching.store import DirectoryStore, IndexStore
from silian.organizations.models import Organization
from silian.platforms.models import Platform
from silian.talent.models import Talent

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
# Re-read rows changed this long before the last watermark: a transaction may commit after a
# later one, with an older updated_at.
WATERMARK_MARGIN = timedelta(seconds=30)
# Edits by other processes are looked for this often, by a background thread of each worker
# (so that they reach every worker within a second) and before queries.
RECONCILE_EVERY = 0.5
# On PostgreSQL edits arrive by NOTIFY; the polling query then only catches what was committed
# without an audit row (bulk loads, SQL by hand), this often.
POLL_WHILE_LISTENING = 10.0
SAVE_EVERY = 30.0
# Seconds a query waits for another thread's catch-up before answering from what is loaded.
CATCH_UP_WAIT = 2.0
TABLE_MODELS: dict[str, Any] = {
    "achievements": Achievement,
    "demands": Demand,
    "talents": Talent,
    "platforms": Platform,
    "organizations": Organization,
    "named_classes": NamedClass,
}
# Fused scores add up per-signal z-scores over the whole index (docs/matching.md). Below
# MIN_SCORE a hit shares little beyond generic words with its source and is not suggested:
# on the demo city most pilot-platform hits for a demand score under 3 and share only names
# and boilerplate, while on the dev benchmarks the weakest top-10 hit scores above 16.
MIN_SCORE = 5.0
# z-scores spread enough to separate a fit from noise only over a corpus of some size; a young
# platform with a few hundred records shows every hit that has evidence.
MIN_RECORDS_FOR_THRESHOLD = 500
STRENGTHS = ((20.0, "高度相关"), (10.0, "较为相关"), (MIN_SCORE, "可能相关"))
# Reasons that say why a hit fits, in the order the one-line summary prefers them.
SUMMARY_CODES = ("keyphrase", "terms", "chars", "industry", "discipline", "semantic")
RECENT_DAYS = 30
# The stored feedback count that gates the learned reranker is re-counted this often.
FEEDBACK_RECOUNT = 60.0


def strength_label(score: float) -> str:
    """Chinese label of a fused score: 高度相关 / 较为相关 / 可能相关, else 弱相关."""
    for floor, label in STRENGTHS:
        if score >= floor:
            return label
    return "弱相关"


def _short(item: dict[str, Any], named: set[str]) -> str:
    """A reason shortened for the one-line summary ('' when it would only repeat ``named``)."""
    if item["code"] == "terms":
        # A terms item's data lists the words per field; its "text" is the body's words.
        body = item.get("text")
        words = [*item.get("title", []), *item.get("keywords", [])]
        words += body if isinstance(body, list) else []
        fresh = [w for w in dict.fromkeys(words) if w not in named]
        return "命中：" + "、".join(fresh[:4]) if fresh else ""
    return str(item["text"])


@dataclass
class Suggestion:
    """One ranked suggestion with the record it points to and why."""

    kind: str
    id: int
    title: str
    organization: str
    score: float
    rank: int
    shares: dict[str, float] = field(default_factory=dict)
    reasons: dict[str, Any] = field(default_factory=dict)
    # Set when every suggestion of the list is recent: then recency tells none of them apart.
    recency_shared: bool = False

    @property
    def recent(self) -> bool:
        """Whether the record was updated within RECENT_DAYS."""
        return any(
            i.get("code") == "recency" and i.get("days", 0) <= RECENT_DAYS
            for i in self.reasons.get("items", [])
        )

    @property
    def url(self) -> str:
        """Page of the suggested record."""
        return {
            "achievement": f"/achievements/{self.id}",
            "demand": f"/demands/{self.id}",
            "talent": f"/talents/{self.id}",
            "enterprise": f"/organizations/{self.id}",
            "named_class": f"/education/named-classes/{self.id}",
            "platform": f"/platforms/{self.id}",
        }.get(self.kind, "")

    @property
    def strength(self) -> str:
        """Chinese label of the score (高度相关 / 较为相关 / 可能相关)."""
        return strength_label(self.score)

    @property
    def summary(self) -> list[str]:
        """At most three short reasons why it fits, then any misfit (TRL, budget) to know."""
        items = self.reasons.get("items", [])
        fits = sorted(
            (i for i in items if i.get("code") in SUMMARY_CODES),
            key=lambda i: SUMMARY_CODES.index(i["code"]),
        )
        seen = {w for i in fits if i["code"] == "keyphrase" for w in i.get("keywords", [])}
        out = [line for line in (_short(i, seen) for i in fits) if line][:3]
        out += [i["text"] for i in items if i.get("code") in ("trl", "budget") and i["fit"] < 1]
        return out

    @property
    def details(self) -> list[str]:
        """Every reason sentence, without the score breakdown (shown as bars), and recency only
        when it matters: a record updated within RECENT_DAYS in a list where not all were."""
        out = []
        # lines and items are built together, in the same order.
        pairs = zip(self.reasons.get("lines", []), self.reasons.get("items", []), strict=False)
        for line, item in pairs:
            if item.get("code") == "shares":
                continue
            if item.get("code") == "recency" and (
                item.get("days", 0) > RECENT_DAYS or self.recency_shared
            ):
                continue
            out.append(str(line))
        return out

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for the API."""
        return {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "organization": self.organization,
            "url": self.url,
            "score": round(self.score, 4),
            "strength": self.strength,
            "summary": self.summary,
            "rank": self.rank,
            "shares": {k: round(v, 4) for k, v in self.shares.items()},
            "reasons": self.reasons,
        }


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


class MatchingService:
    """Owns the engine of one database and keeps it in step with the records."""

    def __init__(self, settings: Settings, store: IndexStore | None = None) -> None:
        self.settings = settings
        self.directory: Path = settings.index_dir
        self.store: IndexStore = store if store is not None else DirectoryStore(self.directory)
        self._engine: Engine | None = None
        # The generation this engine was read from or saved as, and its build's id: a
        # generation saved by the writer with edits keeps the build id, a rebuild makes a new one.
        self._generation: str | None = None
        self._build: str | None = None
        # Lock order, so that no thread waits for a pooled connection while holding what a
        # connection holder waits for: ``_loading`` (loads, rebuilds, catch-ups; they read the
        # database) → a database connection → ``_lock`` (in-memory engine state only; never
        # held while opening a session). Before this order, 50 concurrent creates on
        # PostgreSQL's pool of 15 deadlocked until the 30 s pool timeout: requests applying
        # their commit held a connection waiting for ``_lock`` while the catch-up held
        # ``_lock`` waiting for a connection.
        self._loading = threading.RLock()
        self._lock = threading.RLock()
        self._watermark: datetime | None = None
        # Row versions already applied near the watermark ("table:id" → updated_at).
        self._seen: dict[str, str] = {}
        self._last_reconcile = 0.0
        self._last_poll = 0.0
        # Rows applied by each route (tests and the benchmark read these).
        self.applied = {"commit": 0, "notice": 0, "poll": 0}
        self._feed: changefeed.Listener | None = None
        self._dirty = False
        self._last_save = time.monotonic()
        self._stop = threading.Event()
        self._follower: threading.Thread | None = None
        self.models = learning.ModelStore(self.directory / learning.MODEL_DIR)
        # The active reranker as read (keyed by the ACTIVE file's stamp) and the feedback
        # count that gates it, with when it was counted.
        self._model_key: tuple[int, int] | None = None
        self._model: learning.Reranker | None = None
        self._feedback: tuple[float, int] | None = None
        # The generation adopted from the parent of forked workers (None: mapped here).
        self.adopted: str | None = None

    # --- lifecycle -----------------------------------------------------------------------

    def _session(self) -> Session:
        return session_factory(self.settings.database_url)()

    @property
    def loaded(self) -> bool:
        """True once the engine is in memory."""
        return self._engine is not None

    def engine(self) -> Engine:
        """The engine, loaded from disk (then caught up) or built from the database."""
        if self._engine is not None:
            self._start_follower()
            return self._engine
        with self._loading:
            if self._engine is None:
                generation = self.store.current()
                if generation is not None:
                    try:
                        self._load(generation, self._take_preloaded(generation))
                    except Exception:  # a damaged or outdated index is rebuilt, not fatal
                        log.exception(
                            "matching index under %s unreadable; rebuilding", self.directory
                        )
                        self.rebuild()
                else:
                    self.rebuild()
            assert self._engine is not None
            self._start_follower()
            return self._engine

    def _start_follower(self) -> None:
        """Apply other processes' edits in the background, not only when a query comes: by
        LISTEN on PostgreSQL, by polling the watermark on SQLite."""
        if self._follower is not None or self._feed is not None or self._stop.is_set():
            return
        if not self.settings.is_sqlite:
            self._feed = changefeed.Listener(
                self.settings.database_url,
                on_notice=self.on_notice,
                on_connect=lambda: self.reconcile(force=True),
                on_idle=self._idle,
                idle_every=RECONCILE_EVERY,
            )
            self._feed.start()
            return
        self._follower = threading.Thread(
            target=self._follow_loop, name="matching-follower", daemon=True
        )
        self._follower.start()

    def _follow_loop(self) -> None:
        while not self._stop.wait(RECONCILE_EVERY):
            self._idle()

    def _idle(self) -> None:
        try:
            self.reconcile()
            # Saving writes the whole index: done here, never in a request's path.
            self.maybe_save()
        except Exception:  # the next round retries; queries reconcile too
            log.exception("applying other processes' edits failed")

    @property
    def listening(self) -> bool:
        """True while edits arrive by PostgreSQL NOTIFY (polling is then only a safety net)."""
        return self._feed is not None and self._feed.listening.is_set()

    def close(self) -> None:
        """Stop the background follower and give up the writer role."""
        self._stop.set()
        if self._follower is not None and self._follower is not threading.current_thread():
            self._follower.join(timeout=5)
        if self._feed is not None:
            self._feed.close()
        self.store.release()

    def _take_preloaded(self, generation: str) -> tuple[Engine, dict[str, Any]] | None:
        """The engine the parent of forked workers mapped (:func:`preload`), when it is of
        this generation: adopted instead of mapped again, so its pages stay shared."""
        found = _preloaded.pop(_service_key(self.settings), None)
        if found is None or found[0] != generation:
            return None
        self.adopted = generation
        return found[1], found[2]

    def _load(self, generation: str, opened: tuple[Engine, dict[str, Any]] | None = None) -> None:
        """Map a published generation (no rebuild) and catch up with rows changed since."""
        engine, state = opened if opened is not None else self.store.open(generation)
        if state.get("database") != self._database_key():
            raise ValueError("index was built for another database")
        if engine.config.embedding_model != configured_model():
            raise ValueError("index was built with another embedding model")
        with self._lock:
            self._engine = engine
            self._generation = generation
            self._build = state.get("build")
            mark = state.get("watermark")
            self._watermark = datetime.fromisoformat(mark) if mark else None
            self._seen = dict(state.get("seen") or {})
            self._dirty = False
        self.reconcile(force=True)

    def _database_key(self) -> str:
        return _database_key(self.settings.database_url)

    def rebuild(self, progress: Progress | None = None) -> int:
        """Index every visible record from scratch and save; returns the document count."""
        with self._loading:
            with self._session() as session:
                mark = self._db_watermark(session)
                records = list(sources.iter_records(session))
                seen = self._recent_versions(session, mark - WATERMARK_MARGIN) if mark else {}
            docs = [r.as_dict() for r in records]
            if progress:
                progress(0, len(docs))
            engine = Engine.build(docs, progress=progress)
            with self._lock:
                self._engine = engine
                self._watermark = mark
                self._seen = seen
                self._build = uuid.uuid4().hex
                # A rebuild is always published, by whichever process made it.
                self._save()
            return len(docs)

    def save(self) -> bool:
        """Publish the engine with edits as a new generation if this process is the writer."""
        with self._lock:
            if self._engine is None or not self.store.try_become_writer():
                return False
            self._save()
            return True

    def _save(self) -> None:
        assert self._engine is not None
        state = {
            "database": self._database_key(),
            "build": self._build,
            "watermark": self._watermark.isoformat() if self._watermark else None,
            "seen": self._seen,
            "saved_at": datetime.now(UTC).isoformat(),
        }
        self._generation = self.store.publish(self._engine, state)
        self._dirty = False
        self._last_save = time.monotonic()

    def maybe_save(self) -> None:
        """Publish edits when there are some, the last save is a while ago, and this process is
        the single writer (other workers apply the same edits in memory and never write)."""
        if self._dirty and time.monotonic() - self._last_save > SAVE_EVERY:
            self._last_save = time.monotonic()
            self.save()

    def follow(self) -> bool:
        """Switch to a generation another process rebuilt; True when switched.

        A generation the writer saved with edits belongs to the same build: this engine has
        the same edits already (from the database), so it is not re-read.
        """
        generation = self.store.current()
        if generation is None or generation == self._generation:
            return False
        state = self.store.read_state(generation)
        if state.get("build") == self._build:
            self._generation = generation
            return False
        self._load(generation)
        return True

    # --- freshness -----------------------------------------------------------------------

    def on_changes(self, changes: list[events.Change]) -> None:
        """core.events listener: apply committed changes to a loaded engine at once."""
        if self._engine is None:
            return
        mine = self._database_key()
        wanted = {
            (c.entity_type, c.entity_id)
            for c in changes
            if c.entity_type in TABLE_MODELS and c.database in ("", mine)
        }
        if wanted:
            with self._session() as session:
                stamps = self._stamps(session, wanted)
                loaded = self._read_changed(session, wanted)
            # The connection is back in the pool before the engine's lock is taken.
            self.applied["commit"] += self._apply(loaded, stamps)

    def on_notice(self, notice: changefeed.Notice) -> None:
        """Change feed listener: apply another process's committed change (PostgreSQL)."""
        if self._engine is None or notice.pid == os.getpid() or notice.table not in TABLE_MODELS:
            return  # this process applied its own commits already (on_changes)
        wanted = {(notice.table, notice.row_id)}
        with self._session() as session:
            stamps = self._stamps(session, wanted)
            if stamps and all(self._seen.get(key) == stamp for key, stamp in stamps.items()):
                return  # already applied (by the polling safety net)
            loaded = self._read_changed(session, wanted)
        self.applied["notice"] += self._apply(loaded, stamps)

    def _stamps(self, session: Session, changed: Iterable[tuple[str, int]]) -> dict[str, str]:
        """``table:id`` → updated_at of rows that exist (the versions that are applied)."""
        out: dict[str, str] = {}
        for table, row_id in changed:
            model = TABLE_MODELS[table]
            stamp = session.scalar(select(model.updated_at).where(model.id == row_id))
            if stamp is not None:
                out[f"{table}:{row_id}"] = _naive_utc(stamp).isoformat()
        return out

    def _read_changed(
        self, session: Session, changed: Iterable[tuple[str, int]]
    ) -> list[tuple[str, dict[str, Any] | None]]:
        """Read the documents of changed rows: (doc id, document, or None when it is gone)."""
        touched: set[tuple[str, int]] = set()
        for table, row_id in changed:
            kind = sources.TABLE_KIND[table]
            touched.add((kind, row_id))
            if table == "demands":
                # An enterprise's document lists its public demands.
                org_id = session.scalar(select(Demand.organization_id).where(Demand.id == row_id))
                if org_id is not None:
                    touched.add(("enterprise", org_id))
        chains = sources.chain_names(session)
        out: list[tuple[str, dict[str, Any] | None]] = []
        for kind, row_id in sorted(touched):
            record = sources.load_record(session, kind, row_id, chains)
            out.append((f"{kind}:{row_id}", None if record is None else record.as_dict()))
        return out

    def _apply(
        self, loaded: list[tuple[str, dict[str, Any] | None]], stamps: dict[str, str]
    ) -> int:
        """Put read documents into the engine (memory only: no database under the lock) and
        remember the row versions applied, so the polling safety net does not apply them again."""
        with self._lock:
            engine = self._engine
            if engine is None:
                return 0
            for doc_id, doc in loaded:
                if doc is None:
                    engine.delete(doc_id)
                else:
                    engine.update(doc)
            if loaded:
                self._dirty = True
            for key, stamp in stamps.items():
                if self._seen.get(key, "") < stamp:
                    self._seen[key] = stamp
        return len(loaded)

    def _db_watermark(self, session: Session) -> datetime | None:
        marks = [
            session.scalar(select(func.max(model.updated_at))) for model in TABLE_MODELS.values()
        ]
        found = [_naive_utc(m) for m in marks if m is not None]
        return max(found) if found else None

    def _since_param(self, since: datetime) -> datetime:
        # SQLite keeps naive UTC text; PostgreSQL compares timestamptz with an aware value.
        return since if self.settings.is_sqlite else since.replace(tzinfo=UTC)

    def _recent_versions(self, session: Session, since: datetime) -> dict[str, str]:
        """``table:id`` → updated_at of every row changed at or after since."""
        out: dict[str, str] = {}
        param = self._since_param(since)
        for table, model in TABLE_MODELS.items():
            rows = session.execute(
                select(model.id, model.updated_at).where(model.updated_at >= param)
            )
            for row_id, stamp in rows:
                out[f"{table}:{row_id}"] = _naive_utc(stamp).isoformat()
        return out

    def reconcile(self, force: bool = False) -> int:
        """Apply rows changed since the watermark (by other processes); returns rows applied."""
        if self._engine is None:
            return 0
        # A query waits for another thread's catch-up (whose edits it should see) only so
        # long: that thread may itself wait for a connection this query's request holds.
        if not self._loading.acquire(timeout=-1 if force else CATCH_UP_WAIT):
            return 0
        try:
            now = time.monotonic()
            if not force and now - self._last_reconcile < RECONCILE_EVERY:
                return 0
            self._last_reconcile = now
            if not force and self.follow():
                return 0
            if not force and self.listening and now - self._last_poll < POLL_WHILE_LISTENING:
                return 0
            self._last_poll = now
            with self._session() as session:
                mark = self._db_watermark(session)
                if mark is None:
                    return 0
                if not force and self._watermark is not None and mark <= self._watermark:
                    return 0
                since = (self._watermark or datetime(1970, 1, 1)) - WATERMARK_MARGIN
                versions = self._recent_versions(session, since)
                changed = [
                    key for key, stamp in versions.items() if self._seen.get(key, "") < stamp
                ]
                pairs = [(t, int(i)) for t, _, i in (key.partition(":") for key in changed)]
                loaded = self._read_changed(session, pairs) if pairs else []
            stamps = {key: versions[key] for key in changed}
            applied = self._apply(loaded, stamps) if loaded else 0
            self.applied["poll"] += applied
            # Remember versions near the new watermark, so they are not applied twice. A row a
            # commit changed again meanwhile has a newer version and is applied next round.
            floor = (mark - WATERMARK_MARGIN).isoformat()
            with self._lock:
                merged = dict(self._seen)
                for key, stamp in versions.items():
                    if merged.get(key, "") < stamp:
                        merged[key] = stamp
                self._seen = {k: v for k, v in merged.items() if v >= floor}
                self._watermark = mark
            return applied
        finally:
            self._loading.release()

    # --- questions -----------------------------------------------------------------------

    @property
    def index_version(self) -> dict[str, str | None]:
        """The index generation in use and its build id (recorded with a trained reranker)."""
        return {"generation": self._generation, "build": self._build}

    def engine_hits(
        self, query: sources.Record, target_kind: str, limit: int, exclude: set[str]
    ) -> list[Hit]:
        """The engine's own ranking, without the learned reranker (what a reranker learns on)."""
        engine = self.engine()
        self.reconcile()
        return engine.query(query.as_dict(), kind=target_kind, limit=limit, exclude=exclude)

    def feedback_count(self, session: Session) -> int:
        """Labelled pairs stored (verdicts and signed deals), counted at most once a minute."""
        now = time.monotonic()
        if self._feedback is None or now - self._feedback[0] > FEEDBACK_RECOUNT:
            self._feedback = (now, len(sources.feedback_labels(session)))
        return self._feedback[1]

    def reranker(self, session: Session) -> learning.Reranker | None:
        """The active learned reranker when there is one and the stored feedback reaches
        ``SILIAN_RERANK_MIN_FEEDBACK``; None otherwise (the engine's order is used)."""
        key = self.models.stamp()
        if key != self._model_key:
            try:
                model = self.models.active()
            except (OSError, learning.LearningError):  # a broken file must not break pages
                log.exception("reranker model under %s unreadable; not used", self.models.root)
                model = None
            self._model_key, self._model, self._feedback = key, model, None
        if self._model is None:
            return None
        if self.feedback_count(session) < learning.min_feedback():
            return None
        return self._model

    def _hits(
        self,
        session: Session,
        query: sources.Record,
        target_kind: str,
        limit: int,
        exclude: set[str],
    ) -> list[Hit]:
        model = self.reranker(session)
        if model is None:
            return self.engine_hits(query, target_kind, limit, exclude)
        hits = self.engine_hits(query, target_kind, max(limit, model.depth), exclude)
        return model.rerank(hits, query.query_text())[:limit]

    def _suggestions(self, session: Session, hits: list[Hit]) -> list[Suggestion]:
        out = []
        chains = sources.chain_names(session)
        floor = MIN_SCORE if len(self.engine()) >= MIN_RECORDS_FOR_THRESHOLD else float("-inf")
        keys = [(kind, int(raw_id)) for kind, _, raw_id in (h.doc_id.partition(":") for h in hits)]
        # One batched read per kind, not one per hit (the panel was N+1).
        records = sources.load_records(
            session, [k for k, h in zip(keys, hits, strict=True) if h.score >= floor], chains
        )
        for rank, (hit, (kind, _)) in enumerate(zip(hits, keys, strict=True), 1):
            if hit.score < floor:
                continue
            record = records.get(keys[rank - 1])
            if record is None:  # removed since it was indexed
                continue
            out.append(
                Suggestion(
                    kind=kind,
                    id=record.id,
                    title=record.title,
                    organization=record.organization,
                    score=hit.score,
                    rank=rank,
                    shares=dict(hit.shares),
                    reasons=dict(hit.reasons),
                )
            )
        # A freshly loaded or imported city: every hit was updated days ago, which says nothing.
        if out and all(s.recent for s in out):
            for suggestion in out:
                suggestion.recency_shared = True
        return out

    def suggest(
        self,
        session: Session,
        source_kind: str,
        source_id: int,
        target_kind: str,
        limit: int = 10,
        *,
        full: bool = True,
    ) -> list[Suggestion]:
        """Ranked, explained suggestions of target_kind for one record.

        ``full`` is False when the viewer may read only a confidential demand's public summary,
        so matched terms never reveal its details.
        """
        if target_kind not in sources.DIRECTIONS.get(source_kind, ()):
            raise ValueError(f"不支持从 {source_kind} 推荐 {target_kind}")
        query = sources.source_query(session, source_kind, source_id, full=full)
        if query is None:
            return []
        exclude = {f"{source_kind}:{source_id}"}
        hits = self._hits(session, query, target_kind, limit, exclude)
        return self._suggestions(session, hits)

    def match_text(
        self,
        session: Session,
        text: str,
        target_kind: str,
        limit: int = 10,
        filters: dict[str, Any] | None = None,
    ) -> list[Suggestion]:
        """Suggestions for free text (e.g. a need typed into the matching page)."""
        filters = filters or {}
        query = sources.Record(
            kind="text",
            id=0,
            title="",
            text=text,
            chains=[str(c) for c in filters.get("chains", []) if c],
            region=str(filters.get("region") or ""),
            trl=filters.get("trl"),
            amount=filters.get("budget"),
        )
        return self._suggestions(session, self._hits(session, query, target_kind, limit, set()))


@dataclass
class EventSuggestion:
    """A published achievement suggested for an event on a chain, and the open demands it fits."""

    achievement_id: int
    title: str
    organization: str
    score: float
    fits: list[tuple[int, str, float, list[str]]] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """One line per open demand it fits: the demand and why (at most three)."""
        return [
            f"契合需求“{title}”：" + ("；".join(why) if why else strength_label(score))
            for _, title, score, why in self.fits[:3]
        ]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for the API."""
        return {
            "achievement_id": self.achievement_id,
            "title": self.title,
            "organization": self.organization,
            "url": f"/achievements/{self.achievement_id}",
            "score": round(self.score, 4),
            "demands": [
                {"demand_id": d, "title": t, "score": round(sc, 4), "reasons": why}
                for d, t, sc, why in self.fits
            ],
            "reasons": self.reasons,
        }


# How many of a chain's open demands are asked, and how many achievements each.
EVENT_DEMANDS = 20
EVENT_PER_DEMAND = 15


def suggest_for_chain(
    service: MatchingService,
    session: Session,
    chain_id: int,
    exclude: set[int],
    limit: int = 10,
) -> list[EventSuggestion]:
    """Published achievements that best fit the chain's open (published) demands, to fill an
    event's programme: each achievement's score is the sum of its scores over the demands it
    is suggested for, so one that answers several demands comes first."""
    demands = list(
        session.scalars(
            select(Demand)
            .where(Demand.chain_id == chain_id, Demand.status == "published")
            .order_by(Demand.published_at.desc(), Demand.id.desc())
            .limit(EVENT_DEMANDS)
        )
    )
    found: dict[int, EventSuggestion] = {}
    for demand in demands:
        for hit in service.suggest(session, "demand", demand.id, "achievement", EVENT_PER_DEMAND):
            if hit.id in exclude:
                continue
            item = found.setdefault(
                hit.id, EventSuggestion(hit.id, hit.title, hit.organization, 0.0)
            )
            item.score += hit.score
            item.fits.append((demand.id, demand.title, hit.score, hit.summary))
    for item in found.values():
        item.fits.sort(key=lambda f: -f[2])
    ranked = sorted(found.values(), key=lambda s: (-s.score, s.achievement_id))
    return ranked[:limit]


_services: dict[tuple[str, str], MatchingService] = {}
_services_lock = threading.Lock()
# Engines mapped by the parent of forked workers, by service key: (generation, engine, state).
_preloaded: dict[tuple[str, str], tuple[str, Engine, dict[str, Any]]] = {}
# A query that loads what answering needs besides the index (segmentation dictionary,
# discipline classifier, word vectors), so that the parent of forked workers holds it.
WARM_QUERY = "海水淡化反渗透膜抗污染技术，寻求合作开发与成果转化"


def _service_key(settings: Settings) -> tuple[str, str]:
    return (settings.database_url, str(settings.index_dir))


def _database_key(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def get_service(settings: Settings) -> MatchingService:
    """The process-wide service for these settings; subscribes it to committed changes."""
    key = _service_key(settings)
    with _services_lock:
        service = _services.get(key)
        if service is None:
            service = MatchingService(settings)
            _services[key] = service
            events.subscribe(service.on_changes)
        return service


def ensure_published() -> None:
    """Map or build and publish the configured index (run before workers start)."""
    from silian.config import get_settings

    service = get_service(get_settings())
    service.engine()
    forget_services()


def preload(settings: Settings) -> str | None:
    """Map the current generation in this process, without the database and without threads,
    and answer one query so the models load too; returns the generation (None when there is
    none usable).

    Run by the parent of forked workers (``silian serve --workers N``): each worker's service
    adopts this engine when the generation is still current, and only then opens connections,
    catches up from the generation's watermark and starts following edits.
    """
    store = DirectoryStore(settings.index_dir)
    generation = store.current()
    if generation is None:
        return None
    engine, state = store.open(generation)
    if state.get("database") != _database_key(settings.database_url):
        return None
    if engine.config.embedding_model != configured_model():
        return None
    engine.query(WARM_QUERY, limit=1)
    _preloaded[_service_key(settings)] = (generation, engine, state)
    return generation


def refresh_preload(settings: Settings) -> bool:
    """Preload again when a newer generation was published since :func:`preload` (True then).

    Run by the parent of forked workers before it replaces a worker that died: the newcomer
    then adopts the current index from its parent, sharing its pages, instead of mapping and
    unpacking its own copy.
    """
    key = _service_key(settings)
    held = _preloaded.get(key)
    current = DirectoryStore(settings.index_dir).current()
    if current is None or (held is not None and held[0] == current):
        return False
    _preloaded.pop(key, None)  # the old engine is freed before the new one is mapped
    return preload(settings) == current


def warm_in_background(settings: Settings) -> threading.Thread:
    """Map (or build) the index in a background thread, so the first page is not slow."""

    def warm() -> None:
        try:
            get_service(settings).engine()
        except Exception:  # pages still work; matching retries on first use
            log.exception("warming the matching index failed")

    thread = threading.Thread(target=warm, name="matching-warmup", daemon=True)
    thread.start()
    return thread


def forget_services() -> None:
    """Drop every cached service (tests, and before a process forks)."""
    with _services_lock:
        for service in _services.values():
            events.unsubscribe(service.on_changes)
            service.close()
        _services.clear()
