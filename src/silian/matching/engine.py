"""The matching engine: composes the signals to build, update, delete, query, explain, save/load.

The engine owns the records (ids, kinds, filter columns; :mod:`silian.matching.records`), the
lexical index (word and bigram postings behind :class:`~silian.matching.signals.lexical.
LexicalIndex`) and one module per signal (:mod:`silian.matching.signals`): ``bm25``, ``bigram``,
``semantic`` and ``discipline`` score every slot, ``keyphrase``, ``industry`` and ``structure``
re-rank the candidate pool. How their values combine is :mod:`silian.matching.fusion`; each hit
carries every signal's share of its score and reasons as data. A signal named in
``EngineConfig.disabled`` is left out at query time (ablation), the index keeps its data.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import ThreadpoolController

from silian.matching import fusion
from silian.matching.config import EngineConfig, Weights
from silian.matching.documents import Document, Filters, Hit, Profile, Reason, as_documents
from silian.matching.parallel import (
    ChunkAnalyser,
    Models,
    Texts,
    analyse_chunk,
    build_processes,
    make_analyser,
)
from silian.matching.records import Records
from silian.matching.signals import SIGNAL_LABELS, SIGNALS, check_names, create
from silian.matching.signals.base import Analysis, Batch, Explanation, Parts, Query, Signal
from silian.matching.signals.discipline import DisciplineSignal
from silian.matching.signals.industry import IndustrySignal
from silian.matching.signals.lexical import create_lexical
from silian.matching.text import Analyzer, analyse_query, normalise

__all__ = ["SIGNALS", "SIGNAL_LABELS", "Engine", "EngineConfig", "Hit", "Weights"]

# 3: one .npy file per array, mapped by readers; 4: industry tags from the discipline bridge.
FORMAT_VERSION = 4
SAMPLE_SIZE = 8000
CHUNK_SIZE = 2048
Progress = Callable[[int, int], None]

_process_tuned = False
_M_MMAP_THRESHOLD = -3  # glibc mallopt parameter


def _tune_process() -> None:
    """Process-wide settings the engine relies on (applied once).

    * BLAS on one thread: a query's matrix-vector product is small and requests run side by
      side; with OpenBLAS's thread per core, a busy second core made it 10× slower (p50 4.8 ms
      single-threaded vs 14.9 ms with a competing process, 20k documents).
    * glibc serves allocations of 1 MB and more with mmap: by default its threshold rises to
      32 MB after the first large free, so a build's temporary arrays stayed in the heap as
      fragments (100k documents: resident 1,107 → 954 MB after a build, peak 1,217 → 1,136 MB).
    """
    global _process_tuned
    if _process_tuned:
        return
    _process_tuned = True
    ThreadpoolController().limit(limits=1, user_api="blas")
    if sys.platform.startswith("linux"):
        # Not glibc (e.g. musl): nothing to tune.
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").mallopt(_M_MMAP_THRESHOLD, 1 << 20)


def _read_array(path: Path, mmap: bool) -> NDArray[Any]:
    """One saved array, mapped copy-on-write when asked (an empty array cannot be mapped)."""
    if mmap:
        with contextlib.suppress(ValueError):
            # A plain ndarray over the map: numpy.memmap's Python-level indexing cost ~6 µs
            # per read of a hit's title, keywords or column value.
            return np.asarray(np.load(path, mmap_mode="c", allow_pickle=False))
    return np.load(path, allow_pickle=False)


def _texts(doc: Document) -> Texts:
    """What the analysis of a document reads (plain values: they pickle fast)."""
    return (doc.title, list(doc.keywords), doc.text, list(doc.disciplines))


class Engine:
    """Hybrid Chinese retrieval over records of all chains, updatable in place."""

    def __init__(self, config: EngineConfig | None = None) -> None:
        """Create an empty engine (call :meth:`build` or :meth:`load`)."""
        self.config = config or EngineConfig()
        check_names(self.config.disabled)
        _tune_process()
        self._lock = threading.RLock()
        self._reset()

    # -- state ------------------------------------------------------------------------------
    def _reset(self) -> None:
        self.analyzer = Analyzer()
        self.records = Records()
        self.lexical = create_lexical(self.config)
        self.signals: dict[str, Signal] = create(
            Parts(self.config, self.records, self.lexical, self.analyzer)
        )
        discipline = self.signals["discipline"]
        assert isinstance(discipline, DisciplineSignal)
        industry = self._industry()
        industry.discipline_of = discipline.discipline_of
        # The signals' own models analyse documents (a build's workers load the same).
        self.models = Models(
            tuple(self.config.word_fields),
            tuple(self.config.bigram_fields),
            lambda: discipline.classifier,
            (lambda: industry.tagger) if self.config.tag_industries else None,
        )

    @property
    def n_slots(self) -> int:
        """Slots handed out (live and deleted)."""
        return self.records.n_slots

    def __len__(self) -> int:
        """Number of live documents."""
        return len(self.records.slot_of)

    def __contains__(self, doc_id: object) -> bool:
        """True when a live document has this id."""
        return doc_id in self.records.slot_of

    def signal(self, name: str) -> Signal:
        """The signal called ``name`` (KeyError if there is none)."""
        return self.signals[name]

    def _industry(self) -> IndustrySignal:
        industry = self.signals["industry"]
        assert isinstance(industry, IndustrySignal)
        return industry

    def industries_of(self, slot: int) -> list[str]:
        """The GB/T 4754 division codes tagged on a slot."""
        return self._industry().industries_of(slot)

    def _enabled(self) -> list[Signal]:
        """The signals in fusion order, without those the configuration switches off."""
        off = set(check_names(self.config.disabled))
        return [s for name, s in self.signals.items() if name not in off]

    # -- build / update / delete ------------------------------------------------------------
    @classmethod
    def build(
        cls,
        docs: Iterable[Document | Mapping[str, Any]],
        config: EngineConfig | None = None,
        progress: Progress | None = None,
        total: int | None = None,
        processes: int | None = None,
    ) -> Engine:
        """A new engine indexing ``docs`` (streamed in chunks; a later duplicate id wins).

        ``progress(done, total)`` is called after each chunk; ``total`` defaults to ``len(docs)``
        when it has one. Segmentation runs in ``processes`` worker processes (default: every
        core for a large corpus, see :func:`~silian.matching.parallel.build_processes`); the
        result is the same as with one.
        """
        engine = cls(config)
        if total is None and isinstance(docs, Sized):
            total = len(docs)
        engine._build(docs, progress, total or 0, processes)
        return engine

    def _build(
        self,
        docs: Iterable[Document | Mapping[str, Any]],
        progress: Progress | None,
        total: int,
        processes: int | None = None,
    ) -> None:
        report = progress or (lambda _d, _t: None)
        stream = iter(docs)
        with self._lock:
            self._reset()
            analyser = make_analyser(self.analyzer, self.models, build_processes(processes, total))
            try:
                self._build_with(stream, analyser, report, total)
            finally:
                analyser.close()

    def _build_with(
        self,
        stream: Iterator[Document | Mapping[str, Any]],
        analyser: ChunkAnalyser,
        report: Progress,
        total: int,
    ) -> None:
        def add_words(batch: Sequence[Document]) -> None:
            words = [k for d in batch for k in d.keywords]
            self.analyzer.add_words(words)
            analyser.add_words(words)

        def texts(batch: Sequence[Document]) -> list[Texts]:
            return [_texts(d) for d in batch]

        # Field-length averages, df for the vector weights and the domain dictionary come
        # from a leading sample (all documents for corpora up to SAMPLE_SIZE).
        sample = as_documents(list(islice(stream, SAMPLE_SIZE)))
        add_words(sample)
        waiting: deque[list[Document]] = deque()
        for start in range(0, len(sample), CHUNK_SIZE):
            waiting.append(sample[start : start + CHUNK_SIZE])
            analyser.submit(texts(waiting[-1]))
        ready = list(analyser.results(block=True))
        self.lexical.begin(ready)
        for signal in self.signals.values():
            signal.begin(ready, total)
        del sample
        done = 0

        def pack(analysis: Analysis) -> None:
            nonlocal done
            chunk = waiting.popleft()
            self._add_chunk(chunk, analysis)
            done += len(chunk)
            report(done, max(total, done))

        while ready:
            pack(ready.pop(0))
        while True:
            fresh = as_documents(list(islice(stream, CHUNK_SIZE)))
            if not fresh:
                break
            add_words(fresh)
            waiting.append(fresh)
            analyser.submit(texts(fresh))
            del fresh
            for analysis in analyser.results(block=False):
                pack(analysis)
        for analysis in analyser.results(block=True):
            pack(analysis)
        self.lexical.finish()
        for signal in self.signals.values():
            signal.finish()
        report(done, max(total, done))

    def _add_chunk(self, docs: Sequence[Document], analysis: Analysis) -> None:
        for doc in docs:
            if doc.id in self.records.slot_of:
                self._delete_locked(doc.id)
        base = self.n_slots
        counts = self.lexical.add_many(analysis)
        batch = Batch(docs, analysis, base, counts, building=True)
        for signal in self.signals.values():
            signal.add(batch)
        self.records.extend(docs, base)

    def update(self, doc: Document | Mapping[str, Any]) -> None:
        """Add or replace one document; visible to the next query (no rebuild)."""
        document = as_documents([doc])[0]
        with self._lock:
            if document.id in self.records.slot_of:
                self._delete_locked(document.id)
            self.analyzer.add_words(document.keywords)
            analysis, analysed = analyse_chunk(self.analyzer, self.models, [_texts(document)])
            slot = self.lexical.append(analysis)
            if slot != self.n_slots:
                raise RuntimeError("index slots out of step")
            batch = Batch([document], analysis, slot, analysed=analysed)
            for signal in self.signals.values():
                signal.add(batch)
            self.records.append(document, slot)

    def delete(self, doc_id: str) -> bool:
        """Remove a document (withdrawn, deleted); False if it was not indexed."""
        with self._lock:
            return self._delete_locked(doc_id)

    def _delete_locked(self, doc_id: str) -> bool:
        slot = self.records.remove(doc_id)
        if slot is None:
            return False
        self.lexical.remove(slot)
        for signal in self.signals.values():
            signal.remove(slot)
        return True

    def compact(self) -> None:
        """Drop deleted documents' postings and merge small segments (slots are kept)."""
        with self._lock:
            self.lexical.compact(self.records.col_live.view())

    # -- querying ---------------------------------------------------------------------------
    def _query(self, text: str, profile: Profile) -> Query:
        n = self.n_slots
        live = self.records.col_live.view()
        normal = normalise(text)
        return Query(
            text=text,
            normal=normal,
            words=self.analyzer.words(normal, normalised=True),
            bigrams=self.analyzer.bigrams(normal, normalised=True),
            profile=profile,
            weights=self.config.weights,
            n_slots=n,
            everyone=None if len(self.records.slot_of) == n else live,
            terms=analyse_query(self.analyzer, normal),
        )

    def _score(self, text: str, profile: Profile, enabled: Sequence[Signal]) -> fusion.Scored:
        slot_signals = [s for s in enabled if s.stage == "slots"]
        return fusion.score_slots(slot_signals, self._query(text, profile))

    def query(
        self,
        query: str | Document | Mapping[str, Any],
        kind: str | Sequence[str] | None = None,
        filters: Filters | Mapping[str, Any] | None = None,
        limit: int = 10,
        profile: Profile | Mapping[str, Any] | None = None,
        exclude: Iterable[str] = (),
        reasons: bool = True,
    ) -> list[Hit]:
        """Ranked hits for a text or a record, restricted to ``kind``, ``filters``, ``exclude``.

        A record (a :class:`Document` or its dict) is searched by its title, keywords and text,
        with its structured fields as the profile, and is itself excluded.
        """
        flt = filters if isinstance(filters, Filters) else Filters.from_mapping(filters)
        flt = replace(flt, exclude=[*flt.exclude, *exclude])
        if isinstance(query, str):
            text = query
            prof = profile if isinstance(profile, Profile) else Profile.from_mapping(profile)
        else:
            document = as_documents([query])[0]
            text = document.query_text()
            prof = Profile.of(document)
            flt.exclude.append(document.id)
        kinds = [kind] if isinstance(kind, str) else list(kind or flt.kinds)
        with self._lock:
            if not self.records.slot_of or limit <= 0:
                return []
            enabled = self._enabled()
            scored = self._score(text, prof, enabled)
            mask = self.records.mask(kinds, flt)
            if scored.evidence is not None:
                mask &= scored.evidence
            pool = fusion.top_slots(scored.total, mask, max(limit * 5, 50))
            if flt.chains:
                industry = self._industry()
                wanted, chains = industry.wanted(flt.chains)
                pool = np.array(
                    [s for s in pool.tolist() if wanted.intersection(industry.codes_of(s, chains))],
                    np.int64,
                )
            pool_signals = [s for s in enabled if s.stage == "pool"]
            ranked = fusion.rerank(pool_signals, pool, scored, limit)
            return [
                self._hit(slot, total, extra, scored, enabled, reasons)
                for slot, total, extra in ranked
            ]

    def _hit(
        self,
        slot: int,
        total: float,
        extra: fusion.Extra,
        scored: fusion.Scored,
        enabled: Sequence[Signal],
        with_reasons: bool,
    ) -> Hit:
        shares = fusion.shares(SIGNALS, slot, scored.contributions, extra)
        signals = {k: round(float(v[slot]), 4) for k, v in scored.query.raw.items()}
        reasons = self._reasons(slot, scored, extra, shares, enabled) if with_reasons else {}
        doc_id = self.records.doc_ids[slot] or ""
        kind = self.records.kind_of(slot)
        return Hit(
            doc_id, kind, self.records.titles[slot], round(total, 4), shares, signals, reasons
        )

    def _reasons(
        self,
        slot: int,
        scored: fusion.Scored,
        extra: fusion.Extra,
        shares: Mapping[str, float],
        enabled: Sequence[Signal],
    ) -> dict[str, Any]:
        into = Explanation(
            {
                "matched_terms": [],
                "semantic_words": [],
                "shared_chains": [],
                "inferred_chains": [],
                "keyphrases": [],
            }
        )
        by_name = {s.name: s for s in enabled}
        for name in SIGNALS:
            signal = by_name.get(name)
            if signal is None:
                continue
            if signal.stage == "slots":
                signal.explain(slot, scored.query, None, into)
            elif name in extra:
                signal.explain(slot, scored.query, extra[name][1], into)
        main = [f"{SIGNAL_LABELS[k]} {v:.0%}" for k, v in shares.items() if v >= 0.05]
        if main:
            into.items.append(Reason("shares", "得分构成：" + "，".join(main), dict(shares)))
        out = into.out
        out["lines"] = [r.text for r in into.items]
        out["items"] = [{"code": r.code, "text": r.text, **r.data} for r in into.items]
        return out

    def explain(
        self,
        text: str,
        doc_id: str,
        profile: Profile | Mapping[str, Any] | None = None,
        kind: str | Sequence[str] | None = None,
    ) -> tuple[Hit, int] | None:
        """The hit for one document under a query and its rank among ``kind``; None if absent."""
        prof = profile if isinstance(profile, Profile) else Profile.from_mapping(profile)
        with self._lock:
            slot = self.records.slot_of.get(doc_id)
            if slot is None:
                return None
            enabled = self._enabled()
            scored = self._score(text, prof, enabled)
            kinds = [kind] if isinstance(kind, str) else list(kind or [])
            mask = self.records.mask(kinds, Filters(statuses=[]))
            mask[slot] = True
            pool_signals = [s for s in enabled if s.stage == "pool"]
            _, total, extra = fusion.rerank(pool_signals, np.array([slot], np.int64), scored)[0]
            base = scored.total[slot]
            rank = int(np.count_nonzero(scored.total[mask] > base)) + 1
            return self._hit(slot, total, extra, scored, enabled, True), rank

    # -- persistence ------------------------------------------------------------------------
    def save(self, directory: Path | str) -> None:
        """Write the index to ``directory`` atomically (see :meth:`write`), replacing it."""
        target = Path(directory)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        self.write(tmp)
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        if target.exists():
            target.rename(old)
        tmp.rename(target)
        if old.exists():
            shutil.rmtree(old)

    def _parts_state(self) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
        """Metadata and arrays of the records, the lexical index and every signal."""
        meta: dict[str, Any] = {}
        arrays: dict[str, NDArray[Any]] = {}
        states = [("records", self.records.state()), ("lexical", self.lexical.state())]
        states += [(name, signal.state()) for name, signal in self.signals.items()]
        for owner, (part_meta, part_arrays) in states:
            clash = (meta.keys() & part_meta.keys()) | (arrays.keys() & part_arrays.keys())
            if clash:
                raise RuntimeError(f"{owner} saves names already taken: {sorted(clash)}")
            meta.update(part_meta)
            arrays.update(part_arrays)
        return meta, arrays

    def write(self, directory: Path | str) -> None:
        """Write the index into an existing empty directory: ``meta.json`` and one ``.npy`` file
        per array (no pickle), each flushed to disk, so that readers can map them."""
        target = Path(directory)
        with self._lock:
            parts_meta, arrays = self._parts_state()
            meta = {
                "format": FORMAT_VERSION,
                "config": self.config.to_dict(),
                "domain_words": self.analyzer.domain_words,
                **parts_meta,
            }
            meta["arrays"] = sorted(arrays)
            for name, values in arrays.items():
                with (target / f"{name}.npy").open("wb") as fh:
                    np.save(fh, np.ascontiguousarray(values))
                    fh.flush()
                    os.fsync(fh.fileno())
            (target / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")

    @classmethod
    def load(cls, directory: Path | str, mmap: bool = True) -> Engine:
        """Read an index written by :meth:`save` / :meth:`write`.

        With ``mmap`` the arrays are mapped copy-on-write (the files are opened read-only):
        processes reading the same files share their pages, and an edit only makes the pages
        it writes private to its process.
        """
        source = Path(directory)
        meta_path = source / "meta.json"
        if not meta_path.is_file():
            raise FileNotFoundError(f"索引不存在：{meta_path}")
        meta = json.loads(meta_path.read_text("utf-8"))
        if meta.get("format") != FORMAT_VERSION:
            raise ValueError(
                f"索引格式版本不符：{meta.get('format')}（需要 {FORMAT_VERSION}），请重建"
            )
        engine = cls(EngineConfig.from_dict(meta["config"]))
        arrays = {name: _read_array(source / f"{name}.npy", mmap) for name in meta["arrays"]}
        engine.analyzer.add_words(meta["domain_words"])
        engine.records.restore(meta, arrays)
        engine.lexical.restore(meta, arrays)
        for signal in engine.signals.values():
            signal.restore(meta, arrays)
        return engine

    # -- evaluation -------------------------------------------------------------------------
    @staticmethod
    def evaluate(
        beir_dir: Path | str,
        top: int = 100,
        run_out: Path | str | None = None,
        config: EngineConfig | None = None,
        progress: Progress | None = None,
    ) -> dict[str, float]:
        """Index a BEIR folder with a fresh engine and score its queries (see ``run_beir``)."""
        from silian.matching.evaluate import run_beir

        return run_beir(beir_dir, top=top, run_out=run_out, config=config, progress=progress)
