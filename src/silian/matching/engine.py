"""The matching engine: build, update, delete, query, explain, save/load and evaluate.

Signals, each computed for every live slot with numpy and z-normalised per query:

* ``bm25`` — BM25F over jieba words of title, keywords and text (field-weighted);
* ``bigram`` — BM25F over character bigrams, so unseen or differently segmented terms match;
* ``semantic`` — cosine of idf-weighted, centred pretrained word-vector averages;
* ``discipline`` — probability that the query's CSL discipline equals the document's, where
  the query distribution mixes the classifier with pseudo-relevance feedback from a first pass;
* ``industry`` and ``structure`` — shared chain / GB/T 4754 codes, and fit of maturity (TRL),
  budget vs price, region and recency with the query's profile (re-ranking the top pool).

The fused score is a weighted sum (weights tuned on the dev benchmarks only, see
``bench/tune.py``); each hit carries every signal's share of it and reasons as data.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import math
import os
import shutil
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import ThreadpoolController

from silian.matching.classify import DisciplineClassifier, IndustryTagger, discipline_classifier
from silian.matching.dense import DEFAULT_DIM, ChunkEmbedder, DenseMatrix, WordVectorSpace
from silian.matching.documents import (
    PUBLISHED,
    Document,
    Filters,
    Hit,
    Profile,
    Reason,
    as_documents,
)
from silian.matching.embedding import Encoder, configured_model, load_encoder
from silian.matching.lexicon import load_lexicon
from silian.matching.parallel import ChunkAnalyser, analyse, build_processes, make_analyser
from silian.matching.sparse import BM25FIndex
from silian.matching.text import Analyzer, normalise

FORMAT_VERSION = 3  # 3: one .npy file per array, mapped by readers
SAMPLE_SIZE = 8000
MIN_SEMANTIC = 0.3
CHUNK_SIZE = 2048
INDUSTRY_TAGS = 2
SIGNALS = ("bm25", "bigram", "semantic", "discipline", "keyphrase", "industry", "structure")
SIGNAL_LABELS = {
    "bm25": "关键词匹配",
    "bigram": "字面相近",
    "semantic": "语义相近",
    "discipline": "学科相同",
    "keyphrase": "关键词完全命中",
    "industry": "产业链相同",
    "structure": "条件契合",
}
Progress = Callable[[int, int], None]


@dataclass
class Weights:
    """Fusion weights and pseudo-relevance-feedback settings (tuned on dev benchmarks)."""

    bm25: float = 1.0
    bigram: float = 1.0
    semantic: float = 1.5
    discipline_first: float = 0.5
    discipline: float = 1.0
    top_bm25: float = 4.0
    top_bigram: float = 2.0
    top_power: float = 4.0
    prf_alpha: float = 0.3
    prf_k: int = 10
    keyphrase: float = 6.0
    keyphrase_cap: int = 3
    industry: float = 0.5
    structure: float = 0.5


@dataclass
class EngineConfig:
    """Analysis and model settings of an engine (persisted with the index)."""

    word_fields: dict[str, float] = field(
        default_factory=lambda: {"title": 3.0, "keywords": 2.0, "text": 1.0}
    )
    bigram_fields: dict[str, float] = field(
        default_factory=lambda: {"title": 2.0, "keywords": 2.0, "text": 1.0}
    )
    k1: float = 1.2
    b: float = 0.75
    dense_dim: int = DEFAULT_DIM
    # A local sentence-embedding model replacing the word vectors (SILIAN_EMBEDDING_MODEL).
    embedding_model: str = field(default_factory=configured_model)
    semantic: bool = True
    classify: bool = True
    tag_industries: bool = True
    weights: Weights = field(default_factory=Weights)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EngineConfig:
        """Inverse of :meth:`to_dict`, ignoring unknown keys."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known and k != "weights"}
        # Indexes saved before the embedding-model hook were built with word vectors.
        values.setdefault("embedding_model", "")
        wknown = {f.name for f in fields(Weights)}
        weights = Weights(**{k: v for k, v in (data.get("weights") or {}).items() if k in wknown})
        return cls(**values, weights=weights)


class _Column:
    """A growable 1-d numpy column."""

    def __init__(self, dtype: Any, fill: Any) -> None:
        self.fill = fill
        self.data = np.full(64, fill, dtype)
        self.n = 0

    def set(self, values: NDArray[Any]) -> None:
        # A mapped column of the right type is kept as it is (shared pages); the first append
        # copies it into private memory.
        same = values.dtype == self.data.dtype and values.ndim == 1
        self.data = values if same else np.array(values, dtype=self.data.dtype)
        self.n = len(values)

    def append(self, value: Any) -> None:
        if self.n >= len(self.data):
            grown = np.full(len(self.data) * 2, self.fill, self.data.dtype)
            grown[: self.n] = self.data[: self.n]
            self.data = grown
        self.data[self.n] = value
        self.n += 1

    def view(self) -> NDArray[Any]:
        return self.data[: self.n]


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


class _Texts:
    """Short strings (titles, keywords) in one UTF-8 buffer with offsets.

    A Python string per record costs ~100 bytes of overhead; at a million records the two
    columns would take ~250 MB as lists, about half of that packed.
    """

    def __init__(self) -> None:
        # ``base``: bytes read with the index (possibly a shared read-only map); ``buffer``:
        # text appended since, whose offsets continue after the base.
        self.base: NDArray[np.uint8] = np.zeros(0, np.uint8)
        self.buffer = bytearray()
        self.offsets = _Column(np.int64, 0)
        self.offsets.append(0)

    def append(self, text: str) -> None:
        self.buffer += text.encode("utf-8")
        self.offsets.append(len(self.base) + len(self.buffer))

    def __getitem__(self, i: int) -> str:
        start, end = int(self.offsets.data[i]), int(self.offsets.data[i + 1])
        cut = len(self.base)
        if end <= cut:
            return self.base[start:end].tobytes().decode("utf-8")
        return self.buffer[start - cut : end - cut].decode("utf-8")

    def state(self, name: str) -> dict[str, NDArray[Any]]:
        data = np.frombuffer(bytes(self.buffer), np.uint8)
        return {
            f"{name}_utf8": np.concatenate([self.base, data]) if len(self.base) else data,
            f"{name}_offsets": self.offsets.view(),
        }

    @classmethod
    def from_state(cls, name: str, arrays: Mapping[str, NDArray[Any]]) -> _Texts:
        texts = cls()
        texts.base = arrays[f"{name}_utf8"]
        texts.offsets.set(arrays[f"{name}_offsets"])
        return texts


def _read_array(path: Path, mmap: bool) -> NDArray[Any]:
    """One saved array, mapped copy-on-write when asked (an empty array cannot be mapped)."""
    if mmap:
        with contextlib.suppress(ValueError):
            # A plain ndarray over the map: numpy.memmap's Python-level indexing cost ~6 µs
            # per read of a hit's title, keywords or column value.
            return np.asarray(np.load(path, mmap_mode="c", allow_pickle=False))
    return np.load(path, allow_pickle=False)


@lru_cache(maxsize=4)
def _word_space(dim: int, semantic: bool) -> WordVectorSpace:
    """One PCA-reduced word space per process and size (engines only read it)."""
    return WordVectorSpace(load_lexicon() if semantic else None, dim)


def _region_code(region: str) -> int:
    digits = "".join(ch for ch in region if ch.isdigit())[:12]
    return int(digits.ljust(12, "0")) if digits else 0


def _region_prefix_match(codes: NDArray[np.int64], prefix: str) -> NDArray[np.bool_]:
    digits = "".join(ch for ch in prefix if ch.isdigit())[:12]
    if not digits:
        return np.ones(codes.shape[0], bool)
    scale = 10 ** (12 - len(digits))
    return np.asarray(codes // scale == int(digits), bool)


Live = NDArray[np.bool_] | None  # None: every slot is live (no copy of the values needed)


def _zscore(values: NDArray[np.float32], live: Live) -> NDArray[np.float32]:
    """(values − mean) / std over the live slots; zeros when the values are all equal."""
    if live is None:
        if values.size == 0:
            return np.zeros_like(values)
        centred = values - np.float32(values.mean(dtype=np.float64))
        std = math.sqrt(float(np.dot(centred, centred)) / values.size)
    else:
        sel = values[live]
        if sel.size == 0:
            return np.zeros_like(values)
        mean = float(sel.mean(dtype=np.float64))
        std = float(sel.std(dtype=np.float64))
        centred = values - np.float32(mean)
    if std < 1e-9:
        return np.zeros_like(values)
    centred *= np.float32(1.0 / std)
    return np.asarray(centred, np.float32)


def _maximal(terms: Sequence[str]) -> list[str]:
    """Terms not contained in another of them (search-mode segmentation yields 低能, 能耗 and
    低能耗 for one word; a reason names the word once)."""
    return [t for t in terms if not any(t != u and t in u for u in terms)]


def _one_of(column: NDArray[np.int16], codes: Sequence[int]) -> NDArray[np.bool_]:
    """``np.isin`` without its sort for the usual one or two codes."""
    out = np.zeros(column.shape[0], bool)
    for code in codes:
        out |= column == code
    return out


def _top(scores: NDArray[np.float32], mask: Live, k: int) -> NDArray[np.int64]:
    """Indices of the k best masked scores (``None``: all), best first."""
    if k <= 0:
        return np.zeros(0, np.int64)
    if mask is None:
        if scores.shape[0] > k:
            part = np.argpartition(-scores, k - 1)[:k]
        else:
            part = np.arange(scores.shape[0])
        order = np.argsort(-scores[part], kind="stable")
        return np.asarray(part[order], np.int64)
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return np.zeros(0, np.int64)
    sub = scores[idx]
    if idx.size > k:
        part = np.argpartition(-sub, k - 1)[:k]
        idx, sub = idx[part], sub[part]
    order = np.argsort(-sub, kind="stable")
    return np.asarray(idx[order], np.int64)


@dataclass
class _Scored:
    """Per-slot signal contributions of one query (before pool re-ranking)."""

    words: list[str]
    bigrams: list[str]
    query_vector: NDArray[np.float32]
    contributions: dict[str, NDArray[np.float32]]
    total: NDArray[np.float32]
    discipline_dist: NDArray[np.float32]
    raw: dict[str, NDArray[np.float32]]
    text: str = ""


class Engine:
    """Hybrid Chinese retrieval over records of all chains, updatable in place."""

    def __init__(self, config: EngineConfig | None = None) -> None:
        """Create an empty engine (call :meth:`build` or :meth:`load`)."""
        self.config = config or EngineConfig()
        _tune_process()
        self._lock = threading.RLock()
        self._reset()

    # -- state ------------------------------------------------------------------------------
    def _reset(self) -> None:
        cfg = self.config
        self.analyzer = Analyzer()
        self.words = BM25FIndex(cfg.word_fields, cfg.k1, cfg.b)
        self.bigrams = BM25FIndex(cfg.bigram_fields, cfg.k1, cfg.b)
        self._space: WordVectorSpace | None = None
        self._encoder: Encoder | None = None
        self.dense = DenseMatrix(self._dense_dim())
        self.doc_ids: list[str | None] = []
        self.slot_of: dict[str, int] = {}
        self.titles = _Texts()
        self.keywords = _Texts()
        self.chains: dict[int, list[str]] = {}
        # Up to two tagged GB/T 4754 divisions per slot, as numbers (-1: none); a dict of
        # lists cost ~150 bytes per record, which mattered at a million records.
        self.col_industry = [_Column(np.int16, -1) for _ in range(INDUSTRY_TAGS)]
        self.kinds: list[str] = []
        self.statuses: list[str] = [PUBLISHED]
        self.disciplines: list[str] = []
        self.col_kind = _Column(np.int16, -1)
        self.col_status = _Column(np.int16, 0)
        self.col_disc = _Column(np.int16, -1)
        self.col_trl = _Column(np.int8, 0)
        self.col_price = _Column(np.float32, np.nan)
        self.col_region = _Column(np.int64, 0)
        self.col_updated = _Column(np.float64, np.nan)
        self.col_live = _Column(np.bool_, False)
        self._classifier: DisciplineClassifier | None = None
        self._tagger: IndustryTagger | None = None
        self._idf_cache: tuple[tuple[int, int], tuple[dict[str, float], float]] | None = None

    @property
    def n_slots(self) -> int:
        """Slots handed out (live and deleted)."""
        return len(self.doc_ids)

    def __len__(self) -> int:
        """Number of live documents."""
        return len(self.slot_of)

    def __contains__(self, doc_id: object) -> bool:
        """True when a live document has this id."""
        return doc_id in self.slot_of

    @property
    def space(self) -> WordVectorSpace:
        """The word-vector space (loaded on first use)."""
        if self._space is None:
            self._space = _word_space(self.config.dense_dim, self.config.semantic)
        return self._space

    @property
    def classifier(self) -> DisciplineClassifier | None:
        """The discipline classifier (trained or loaded from cache on first use)."""
        if self._classifier is None and self.config.classify:
            self._classifier = discipline_classifier()
        return self._classifier

    @property
    def tagger(self) -> IndustryTagger:
        """The GB/T 4754 industry tagger."""
        if self._tagger is None:
            self._tagger = IndustryTagger(self.analyzer)
        return self._tagger

    def _code(self, table: list[str], value: str) -> int:
        try:
            return table.index(value)
        except ValueError:
            table.append(value)
            return len(table) - 1

    def _discipline_names(self) -> list[str]:
        clf = self.classifier
        names = list(clf.labels) if clf else []
        for name in self.disciplines:
            if name not in names:
                names.append(name)
        return names

    # -- analysis ---------------------------------------------------------------------------
    def _analyse(self, doc: Document) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        return analyse(self.analyzer, doc.title, doc.keywords, doc.text)

    def _idf_weights(self) -> tuple[dict[str, float], float]:
        n = len(self.words.terms)
        if n == 0:
            return {}, 1.0
        idf = self.words.idf(np.arange(n))
        return dict(zip(self.words.terms, idf.tolist(), strict=True)), float(idf.max())

    def _embed(self, tokens: Sequence[str], idf: Mapping[str, float], default: float) -> Any:
        return self.space.embed(tokens, idf, default)

    @property
    def encoder(self) -> Encoder | None:
        """The configured sentence-embedding model, or None (word vectors are used)."""
        if self._encoder is None and self.config.semantic and self.config.embedding_model:
            self._encoder = load_encoder(self.config.embedding_model)
        return self._encoder

    def _dense_dim(self) -> int:
        encoder = self.encoder
        return encoder.dim if encoder is not None else self.config.dense_dim

    def _encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        assert self.encoder is not None
        return np.asarray(self.encoder.encode([normalise(t) for t in texts]), np.float32)

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
            if total:
                self.dense.reserve(total)
            analyser = make_analyser(self.analyzer, build_processes(processes, total))
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

        def texts(batch: Sequence[Document]) -> list[tuple[str, list[str], str]]:
            return [(d.title, list(d.keywords), d.text) for d in batch]

        # Field-length averages, df for the vector weights and the domain dictionary come
        # from a leading sample (all documents for corpora up to SAMPLE_SIZE).
        sample = as_documents(list(islice(stream, SAMPLE_SIZE)))
        add_words(sample)
        waiting: deque[list[Document]] = deque()
        for start in range(0, len(sample), CHUNK_SIZE):
            waiting.append(sample[start : start + CHUNK_SIZE])
            analyser.submit(texts(waiting[-1]))
        ready = list(analyser.results(block=True))
        analysed = [a for chunk in ready for a in chunk]
        self.words.begin([w for w, _ in analysed])
        self.bigrams.begin([b for _, b in analysed])
        idf, default = self._sample_idf([w for w, _ in analysed])
        embedder = None if self.encoder else ChunkEmbedder(self.space, idf, default)
        self.disciplines = self._discipline_names()
        del sample, analysed
        done = 0

        def pack(result: list[tuple[dict[str, list[str]], dict[str, list[str]]]]) -> None:
            nonlocal done
            chunk = waiting.popleft()
            self._add_chunk(chunk, result, embedder)
            done += len(chunk)
            report(done, max(total, done))

        for result in ready:
            pack(result)
        del ready
        while True:
            fresh = as_documents(list(islice(stream, CHUNK_SIZE)))
            if not fresh:
                break
            add_words(fresh)
            waiting.append(fresh)
            analyser.submit(texts(fresh))
            del fresh
            for result in analyser.results(block=False):
                pack(result)
        for result in analyser.results(block=True):
            pack(result)
        self.words.flush()
        self.bigrams.flush()
        self.dense.finish()
        report(done, max(total, done))

    def _sample_idf(
        self, fields: Sequence[Mapping[str, list[str]]]
    ) -> tuple[dict[str, float], float]:
        df: Counter[str] = Counter()
        for f in fields:
            df.update(set(f["title"]) | set(f["keywords"]) | set(f["text"]))
        n = max(len(fields), 1)
        idf = {t: math.log1p((n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        return idf, math.log1p((n + 0.5) / 0.5)

    def _add_chunk(
        self,
        docs: Sequence[Document],
        analysed: Sequence[tuple[dict[str, list[str]], dict[str, list[str]]]],
        embedder: ChunkEmbedder | None,
    ) -> None:
        for doc in docs:
            old = self.slot_of.get(doc.id)
            if old is not None:
                self._delete_locked(doc.id)
        base = self.n_slots
        counts = self.words.add_many([w for w, _ in analysed])
        self.bigrams.add_many([b for _, b in analysed])
        if self.encoder is not None:
            raw = self._encode([d.query_text() for d in docs])
        elif self.config.semantic and embedder is not None:
            raw = embedder.embed(self.words.terms, counts.doc, counts.term, counts.count, len(docs))
        else:
            raw = np.zeros((len(docs), self.dense.dim), np.float32)
        self.dense.add_raw(raw)
        disciplines = self._predict_disciplines(docs, analysed)
        industries = self._tag_industries(analysed)
        for i, doc in enumerate(docs):
            slot = base + i
            self._append_columns(doc, disciplines[i], industries[i], slot)

    def _append_columns(
        self, doc: Document, discipline: str, industries: list[str], slot: int
    ) -> None:
        self.col_kind.append(self._code(self.kinds, doc.kind))
        self.col_status.append(self._code(self.statuses, doc.status))
        self.col_disc.append(self._code(self.disciplines, discipline) if discipline else -1)
        self.col_trl.append(doc.trl or 0)
        self.col_price.append(doc.price if doc.price else np.nan)
        self.col_region.append(_region_code(doc.region))
        self.col_updated.append(doc.updated_at if doc.updated_at is not None else np.nan)
        self.col_live.append(True)
        self.doc_ids.append(doc.id)
        self.slot_of[doc.id] = slot
        self.titles.append(doc.title)
        self.keywords.append(" ; ".join(doc.keywords))
        if doc.chains:
            self.chains[slot] = list(doc.chains)
        codes = [int(c) for c in industries if c.isdigit()][:INDUSTRY_TAGS]
        for i, column in enumerate(self.col_industry):
            column.append(codes[i] if i < len(codes) else -1)

    def _predict_disciplines(
        self, docs: Sequence[Document], analysed: Sequence[tuple[dict[str, list[str]], Any]]
    ) -> list[str]:
        """Given disciplines, else the classifier's word-model label from the analysed words."""
        clf = self.classifier
        need = [i for i, d in enumerate(docs) if not d.disciplines]
        predicted: dict[int, str] = {}
        if clf is not None and need:
            tokens = [analysed[i][0]["title"] + analysed[i][0]["text"] for i in need]
            for i, label in zip(need, clf.predict_tokens(tokens), strict=True):
                predicted[i] = label
        return [
            d.disciplines[0] if d.disciplines else predicted.get(i, "") for i, d in enumerate(docs)
        ]

    def _tag_industries(
        self, analysed: Sequence[tuple[dict[str, list[str]], Any]]
    ) -> list[list[str]]:
        if not self.config.tag_industries or not analysed:
            return [[] for _ in analysed]
        tokens = [w["title"] + w["keywords"] + w["text"][:120] for w, _ in analysed]
        return self.tagger.tag_tokens(tokens)

    def update(self, doc: Document | Mapping[str, Any]) -> None:
        """Add or replace one document; visible to the next query (no rebuild)."""
        document = as_documents([doc])[0]
        with self._lock:
            if document.id in self.slot_of:
                self._delete_locked(document.id)
            self.analyzer.add_words(document.keywords)
            w, b = self._analyse(document)
            slot = self.words.append(w)
            slot_b = self.bigrams.append(b)
            if slot != slot_b or slot != self.n_slots:
                raise RuntimeError("index slots out of step")
            if self.encoder is not None:
                raw = self._encode([document.query_text()])[0]
            elif self.config.semantic:
                # The cached weights are then reused by the next query rather than rebuilt.
                idf, default = self._idf_weights_cached()
                raw = self._embed(w["title"] + w["keywords"] + w["text"], idf, default)
            else:
                raw = np.zeros(self.dense.dim, np.float32)
            self.dense.append(np.asarray(raw, np.float32))
            name = self._predict_disciplines([document], [(w, b)])[0]
            if not self.disciplines:
                self.disciplines = self._discipline_names()
            industries = self._tag_industries([(w, b)])[0]
            self._append_columns(document, name, industries, slot)

    def delete(self, doc_id: str) -> bool:
        """Remove a document (withdrawn, deleted); False if it was not indexed."""
        with self._lock:
            return self._delete_locked(doc_id)

    def _delete_locked(self, doc_id: str) -> bool:
        slot = self.slot_of.pop(doc_id, None)
        if slot is None:
            return False
        self.col_live.data[slot] = False
        self.words.remove(slot)
        self.bigrams.remove(slot)
        self.dense.clear(slot)
        self.doc_ids[slot] = None
        self.chains.pop(slot, None)
        for column in self.col_industry:
            column.data[slot] = -1
        return True

    def compact(self) -> None:
        """Drop deleted documents' postings and merge small segments (slots are kept)."""
        with self._lock:
            live = self.col_live.view()
            self.words.compact(live)
            self.bigrams.compact(live)

    # -- scoring ----------------------------------------------------------------------------
    def _score_all(self, text: str, profile: Profile) -> _Scored:
        w = self.config.weights
        n = self.n_slots
        live = self.col_live.view()
        everyone: Live = None if len(self.slot_of) == n else live
        normal = normalise(text)
        words = self.analyzer.words(normal, normalised=True)
        bigrams = self.analyzer.bigrams(normal, normalised=True)
        raw: dict[str, NDArray[np.float32]] = {}
        raw["bm25"] = self.words.score(Counter(words), n)
        raw["bigram"] = self.bigrams.score(Counter(bigrams), n)
        if self.config.semantic and self.dense.n:
            idf, default = self._idf_weights_cached()
            embedded = (
                self._encode([text])
                if self.encoder is not None
                else self._embed(words, idf, default)[None, :]
            )
            qv = self.dense.transform(embedded)[0]
            raw["semantic"] = self.dense.scores(qv, n)
        else:
            qv = np.zeros(self.dense.dim, np.float32)
            raw["semantic"] = np.zeros(n, np.float32)
        contributions: dict[str, NDArray[np.float32]] = {}
        top_bm = w.top_bm25 * self._top_bonus(raw["bm25"], everyone, w.top_power)
        top_bg = w.top_bigram * self._top_bonus(raw["bigram"], everyone, w.top_power)
        # In place: each pass over a million slots costs about a millisecond.
        for name, weight, bonus in (
            ("bm25", w.bm25, top_bm),
            ("bigram", w.bigram, top_bg),
            ("semantic", w.semantic, None),
        ):
            z = _zscore(raw[name], everyone)
            z *= np.float32(weight)
            if bonus is not None:
                z += bonus
            contributions[name] = z
        disc = self.col_disc.view()
        n_disc = len(self.disciplines)
        dist = self._query_disciplines(text, profile, n_disc)
        lookup = np.append(dist, np.float32(0.0))  # index -1 → 0
        first = lookup[disc] if n_disc else np.zeros(n, np.float32)
        total = contributions["bm25"] + contributions["bigram"]
        total += contributions["semantic"]
        z_first = _zscore(np.asarray(first, np.float32), everyone)
        if n_disc and w.discipline > 0:
            pass1 = z_first * np.float32(w.discipline_first)
            pass1 += total
            top = _top(pass1, everyone, w.prf_k)
            hist = np.zeros(n_disc, np.float32)
            for rank, slot in enumerate(top.tolist()):
                d = int(disc[slot])
                if d >= 0:
                    hist[d] += 1.0 / (rank + 2.0)
            if hist.sum() > 0:
                hist /= hist.sum()
                dist = np.asarray(w.prf_alpha * dist + (1 - w.prf_alpha) * hist, np.float32)
            lookup = np.append(dist, np.float32(0.0))
            raw["discipline"] = np.asarray(lookup[disc], np.float32)
            z = _zscore(raw["discipline"], everyone)
            z *= np.float32(w.discipline)
            contributions["discipline"] = z
        else:
            raw["discipline"] = np.asarray(first, np.float32)
            contributions["discipline"] = w.discipline_first * z_first
        total += contributions["discipline"]
        return _Scored(words, bigrams, qv, contributions, total, dist, raw, normal)

    def _idf_weights_cached(self) -> tuple[dict[str, float], float]:
        key = (len(self.words.terms), self.words.n_docs)
        cached = self._idf_cache
        if cached is None or cached[0] != key:
            cached = (key, self._idf_weights())
            self._idf_cache = cached
        return cached[1]

    @staticmethod
    def _top_bonus(values: NDArray[np.float32], live: Live, power: float) -> NDArray[np.float32]:
        sel = values if live is None else values[live]
        top = float(sel.max()) if sel.size else 0.0
        if top <= 0:
            return np.zeros_like(values)
        out = values * np.float32(1.0 / top)
        if float(power).is_integer() and power >= 1:
            # Exponentiation by squaring: np.power with a float exponent was the costliest
            # step of a query at 300k documents (3 ms of 27).
            base, result, k = out, None, int(power)
            while k:
                if k & 1:
                    result = base.copy() if result is None else result * base
                k >>= 1
                if k:
                    base = base * base
            return np.asarray(result, np.float32)
        return np.asarray(out**power, np.float32)

    def _query_disciplines(self, text: str, profile: Profile, n_disc: int) -> NDArray[np.float32]:
        dist = np.zeros(n_disc, np.float32)
        if n_disc == 0:
            return dist
        clf = self.classifier
        if clf is not None and text.strip():
            proba = clf.proba([text])[0]
            dist[: len(proba)] = proba[:n_disc]
        else:
            dist[:] = 1.0 / n_disc
        known = [self.disciplines.index(d) for d in profile.disciplines if d in self.disciplines]
        if known:
            given = np.zeros(n_disc, np.float32)
            given[known] = 1.0 / len(known)
            dist = np.asarray(0.5 * dist + 0.5 * given, np.float32)
        return dist

    def _mask(self, kinds: Sequence[str], filters: Filters) -> NDArray[np.bool_]:
        mask = self.col_live.view().copy()
        if kinds:
            codes = [self.kinds.index(k) for k in kinds if k in self.kinds]
            mask &= _one_of(self.col_kind.view(), codes)
        statuses = filters.statuses if filters.statuses is not None else [PUBLISHED]
        if statuses:
            codes = [self.statuses.index(s) for s in statuses if s in self.statuses]
            mask &= _one_of(self.col_status.view(), codes)
        if filters.region:
            mask &= _region_prefix_match(self.col_region.view(), filters.region)
        if filters.min_trl is not None:
            mask &= self.col_trl.view() >= filters.min_trl
        for doc_id in filters.exclude:
            slot = self.slot_of.get(doc_id)
            if slot is not None:
                mask[slot] = False
        return mask

    def _structure_fit(
        self, pool: NDArray[np.int64], profile: Profile, now: float
    ) -> NDArray[np.float64]:
        """Mean of the known fits (TRL, budget, region, recency) per pooled slot; NaN if none."""
        parts: list[NDArray[np.float64]] = []
        if profile.trl:
            col = self.col_trl.data[pool].astype(np.float64)
            # Offered readiness must reach the wanted one, whichever side asks.
            offered, wanted = (profile.trl, col) if profile.offers else (col, profile.trl)
            fit = np.where(offered >= wanted, 1.0, np.maximum(0.0, 1 - (wanted - offered) / 4))
            parts.append(np.where(col > 0, fit, np.nan))
        if profile.budget:
            col = self.col_price.data[pool].astype(np.float64)
            # An asking price within the budget fits; a demand's budget is the yardstick.
            price, budget = (profile.budget, col) if profile.offers else (col, profile.budget)
            with np.errstate(divide="ignore", invalid="ignore"):
                fit = np.where(price <= budget, 1.0, np.maximum(0.0, 2 - price / budget))
            parts.append(np.where(np.isnan(col) | (col <= 0), np.nan, fit))
        mine = _region_code(profile.region)
        if mine:
            region = self.col_region.data[pool]
            fit = np.where(
                region // 10**8 == mine // 10**8,
                1.0,
                np.where(region // 10**10 == mine // 10**10, 0.5, 0.0),
            )
            parts.append(np.where(region > 0, fit, np.nan))
        updated = self.col_updated.data[pool]
        if not np.all(np.isnan(updated)):
            parts.append(np.exp(-np.maximum(0.0, now - updated) / 86400.0 / 365.0))
        if not parts:
            return np.full(pool.shape[0], np.nan)
        stack = np.vstack(parts)
        known = ~np.isnan(stack)
        count = known.sum(axis=0)
        total = np.where(known, stack, 0.0).sum(axis=0)
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)

    def _structure_reasons(self, slot: int, profile: Profile, now: float) -> list[Reason]:
        reasons: list[Reason] = []
        col_trl = int(self.col_trl.data[slot])
        if profile.trl and col_trl:
            offered, wanted = (profile.trl, col_trl) if profile.offers else (col_trl, profile.trl)
            ok = offered >= wanted
            fit = 1.0 if ok else max(0.0, 1.0 - (wanted - offered) / 4.0)
            text = f"成熟度 TRL {offered}，{'满足' if ok else '低于'}所需 TRL {wanted}"
            reasons.append(Reason("trl", text, {"offered": offered, "wanted": wanted, "fit": fit}))
        col_price = float(self.col_price.data[slot])
        if profile.budget and not math.isnan(col_price) and col_price > 0:
            price, budget = (
                (profile.budget, col_price) if profile.offers else (col_price, profile.budget)
            )
            ok = price <= budget
            fit = 1.0 if ok else max(0.0, 2.0 - price / budget)
            text = (
                f"报价 {price / 1e4:g} 万元，在预算 {budget / 1e4:g} 万元以内"
                if ok
                else f"报价 {price / 1e4:g} 万元，超出预算 {budget / 1e4:g} 万元"
            )
            reasons.append(Reason("budget", text, {"price": price, "budget": budget, "fit": fit}))
        region = int(self.col_region.data[slot])
        mine = _region_code(profile.region)
        if mine and region:
            if mine // 10**8 == region // 10**8:
                reasons.append(Reason("region", "同一地市", {"region": str(region), "fit": 1.0}))
            elif mine // 10**10 == region // 10**10:
                reasons.append(Reason("region", "同一省份", {"region": str(region), "fit": 0.5}))
        updated = float(self.col_updated.data[slot])
        if not math.isnan(updated):
            days = max(0.0, (now - updated) / 86400.0)
            if days <= 90:
                reasons.append(Reason("recency", f"近 {int(days) + 1} 天内更新", {"days": days}))
        return reasons

    # -- querying ---------------------------------------------------------------------------
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
            if not self.slot_of or limit <= 0:
                return []
            scored = self._score_all(text, prof)
            mask = self._mask(kinds, flt)
            mask &= self._evidence(scored)
            pool = _top(scored.total, mask, max(limit * 5, 50))
            if flt.chains:
                wanted = set(flt.chains)
                pool = np.array(
                    [s for s in pool.tolist() if wanted & set(self._codes_of(s))], np.int64
                )
            ranked = self._rerank(pool, scored, prof)[:limit]
            return [self._hit(slot, total, extra, scored, reasons) for slot, total, extra in ranked]

    def _evidence(self, scored: _Scored) -> NDArray[np.bool_]:
        """Slots with some content evidence: a shared word or bigram, or close meaning."""
        found = (scored.raw["bm25"] > 0) | (scored.raw["bigram"] > 0)
        return np.asarray(found | (scored.raw["semantic"] >= MIN_SEMANTIC), bool)

    def _keyphrases(self, slot: int, query: str) -> list[str]:
        """The record's keywords that occur whole in the (normalised) query text.

        Records' keywords are curated phrases; a query naming one of them exactly is strong
        evidence that BM25 over segmented words can understate when the record's text is short.
        """
        if not query:
            return []
        keywords = normalise(self.keywords[slot])
        found = [k.strip() for k in keywords.split(";")]
        return list(dict.fromkeys(k for k in found if len(k) >= 2 and k in query))

    def _specificity(self, keyword: str) -> float:
        """1 for a keyword in at most 1 % of records, less for commoner ones.

        A generic keyword such as 处理 found in a demand is weak evidence; counted fully it
        supplied over a third of a demo suggestion's score.
        """
        tid = self.words.vocab.get(keyword)
        n = max(self.words.n_docs, 1)
        if tid is None or n < 2:
            return 1.0
        ref = math.log1p((n - 0.01 * n + 0.5) / (0.01 * n + 0.5))
        return min(1.0, float(self.words.idf(np.array([tid]))[0]) / ref)

    def _codes_of(self, slot: int) -> list[str]:
        return self.chains.get(slot, []) + self.industries_of(slot)

    def industries_of(self, slot: int) -> list[str]:
        """The GB/T 4754 division codes tagged on a slot."""
        codes = (int(column.data[slot]) for column in self.col_industry)
        return [f"{code:02d}" for code in codes if code >= 0]

    def _rerank(
        self, pool: NDArray[np.int64], scored: _Scored, profile: Profile
    ) -> list[tuple[int, float, dict[str, Any]]]:
        w = self.config.weights
        now = time.time()
        totals = scored.total[pool].astype(np.float64)
        fit = self._structure_fit(pool, profile, now)
        has_fit = ~np.isnan(fit)
        totals = totals + np.where(has_fit, w.structure * np.nan_to_num(fit), 0.0)
        wanted = set(profile.chains)
        shared: list[list[str]] = []
        if wanted:
            shared = [sorted(wanted.intersection(self._codes_of(s))) for s in pool.tolist()]
            totals = totals + w.industry * np.array([1.0 if c else 0.0 for c in shared])
        phrases = [self._keyphrases(slot, scored.text) for slot in pool.tolist()]
        hits = np.array(
            [min(sum(self._specificity(k) for k in p), w.keyphrase_cap) for p in phrases],
            np.float64,
        )
        totals = totals + w.keyphrase * hits
        order = np.argsort(-totals, kind="stable")
        out: list[tuple[int, float, dict[str, Any]]] = []
        for i in order.tolist():
            slot = int(pool[i])
            extra: dict[str, Any] = {"now": now, "profile": profile}
            if phrases[i]:
                extra["keyphrase"] = (w.keyphrase * float(hits[i]), phrases[i])
            if wanted:
                extra["industry"] = (w.industry * (1.0 if shared[i] else 0.0), shared[i])
            if has_fit[i]:
                extra["structure"] = (w.structure * float(fit[i]), None)
            out.append((slot, float(totals[i]), extra))
        return out

    def _hit(
        self,
        slot: int,
        total: float,
        extra: Mapping[str, Any],
        scored: _Scored,
        with_reasons: bool,
    ) -> Hit:
        contrib = {name: float(scored.contributions[name][slot]) for name in SIGNALS[:4]}
        for name in ("keyphrase", "industry", "structure"):
            contrib[name] = float(extra[name][0]) if name in extra else 0.0
        positive = {k: max(v, 0.0) for k, v in contrib.items()}
        denom = sum(positive.values()) or 1.0
        shares = {k: round(v / denom, 4) for k, v in positive.items()}
        signals = {k: round(float(v[slot]), 4) for k, v in scored.raw.items()}
        reasons = self._reasons(slot, scored, extra, shares) if with_reasons else {}
        doc_id = self.doc_ids[slot] or ""
        kind_code = int(self.col_kind.data[slot])
        kind = self.kinds[kind_code] if 0 <= kind_code < len(self.kinds) else ""
        return Hit(doc_id, kind, self.titles[slot], round(total, 4), shares, signals, reasons)

    def _reasons(
        self, slot: int, scored: _Scored, extra: Mapping[str, Any], shares: Mapping[str, float]
    ) -> dict[str, Any]:
        items: list[Reason] = []
        out: dict[str, Any] = {
            "matched_terms": [],
            "semantic_words": [],
            "shared_chains": [],
            "keyphrases": [],
        }
        matched = _maximal(self.words.matched_terms(slot, list(dict.fromkeys(scored.words))))
        if matched:
            title = normalise(self.titles[slot])
            keywords = normalise(self.keywords[slot])
            where: dict[str, list[str]] = {"title": [], "keywords": [], "text": []}
            for term in matched:
                name = "title" if term in title else "keywords" if term in keywords else "text"
                where[name].append(term)
                out["matched_terms"].append({"term": term, "field": name})
            labels = {"title": "标题", "keywords": "关键词", "text": "正文"}
            parts = [f"{labels[f]}：{'、'.join(ts[:6])}" for f, ts in where.items() if ts]
            items.append(Reason("terms", "命中词语（" + "；".join(parts) + "）", where))
        else:
            grams = self.bigrams.matched_terms(slot, list(dict.fromkeys(scored.bigrams)))
            if grams:
                out["matched_chars"] = grams
                items.append(
                    Reason("chars", "字面相近：" + "、".join(grams[:8]), {"bigrams": grams})
                )
        if self.config.semantic and scored.raw["semantic"][slot] > 0:
            related = self._related_words(slot, scored.words)
            if related:
                out["semantic_words"] = related
                cosine = round(float(scored.raw["semantic"][slot]), 4)
                items.append(
                    Reason(
                        "semantic",
                        "语义相关：" + "、".join(related),
                        {"words": related, "cosine": cosine},
                    )
                )
        d = int(self.col_disc.data[slot])
        if 0 <= d < len(self.disciplines) and d < len(scored.discipline_dist):
            p = float(scored.discipline_dist[d])
            name = self.disciplines[d]
            out["discipline"] = {"name": name, "p": round(p, 4)}
            if p >= 0.1:
                items.append(
                    Reason(
                        "discipline", f"同属学科：{name}", {"discipline": name, "p": round(p, 4)}
                    )
                )
        if "keyphrase" in extra:
            phrases = extra["keyphrase"][1]
            out["keyphrases"] = phrases
            items.append(
                Reason("keyphrase", "关键词完全命中：" + "、".join(phrases), {"keywords": phrases})
            )
        if "industry" in extra and extra["industry"][1]:
            codes = extra["industry"][1]
            out["shared_chains"] = codes
            names = [self.tagger.name(c) if c[:2].isdigit() else c for c in codes]
            items.append(
                Reason("industry", "同属产业链/行业：" + "、".join(names), {"codes": codes})
            )
        if "structure" in extra:
            for reason in self._structure_reasons(slot, extra["profile"], extra["now"]):
                out[reason.code] = reason.data
                items.append(reason)
        main = [f"{SIGNAL_LABELS[k]} {v:.0%}" for k, v in shares.items() if v >= 0.05]
        if main:
            items.append(Reason("shares", "得分构成：" + "，".join(main), dict(shares)))
        out["lines"] = [r.text for r in items]
        out["items"] = [{"code": r.code, "text": r.text, **r.data} for r in items]
        return out

    def _related_words(self, slot: int, words: Sequence[str], k: int = 3) -> list[str]:
        if self.encoder is not None:
            return []  # a sentence model has no per-word vectors to show
        space = self.space
        if space.lexicon is None:
            return []
        vec = self.dense.data[slot]
        best: list[tuple[float, str]] = []
        for word in dict.fromkeys(words):
            i = space.lexicon.index.get(word)
            # A single character (降, 厂) reads as a fragment, not as a related word.
            if i is None or len(word) < 2:
                continue
            best.append((float(space.vectors[i] @ vec), word))
        best.sort(reverse=True)
        return [w for s, w in best[:k] if s > 0.05]

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
            slot = self.slot_of.get(doc_id)
            if slot is None:
                return None
            scored = self._score_all(text, prof)
            kinds = [kind] if isinstance(kind, str) else list(kind or [])
            flt = Filters(statuses=[])
            mask = self._mask(kinds, flt)
            mask[slot] = True
            _, total, extra = self._rerank(np.array([slot], np.int64), scored, prof)[0]
            base = scored.total[slot]
            rank = int(np.count_nonzero(scored.total[mask] > base)) + 1
            return self._hit(slot, total, extra, scored, True), rank

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

    def write(self, directory: Path | str) -> None:
        """Write the index into an existing empty directory: ``meta.json`` and one ``.npy`` file
        per array (no pickle), each flushed to disk, so that readers can map them."""
        target = Path(directory)
        with self._lock:
            w_meta, w_arrays = self.words.state()
            b_meta, b_arrays = self.bigrams.state()
            meta = {
                "format": FORMAT_VERSION,
                "config": self.config.to_dict(),
                "doc_ids": self.doc_ids,
                "chains": {str(k): v for k, v in self.chains.items()},
                "kinds": self.kinds,
                "statuses": self.statuses,
                "disciplines": self.disciplines,
                "domain_words": self.analyzer.domain_words,
                "words": w_meta,
                "bigrams": b_meta,
            }
            arrays: dict[str, NDArray[Any]] = {
                "kind": self.col_kind.view(),
                "status": self.col_status.view(),
                "disc": self.col_disc.view(),
                "trl": self.col_trl.view(),
                "price": self.col_price.view(),
                "region": self.col_region.view(),
                "updated": self.col_updated.view(),
                "live": self.col_live.view(),
                **self.titles.state("titles"),
                **self.keywords.state("keywords"),
                **{f"industry{i}": c.view() for i, c in enumerate(self.col_industry)},
                **self.dense.state(),
            }
            arrays.update({f"w_{k}": v for k, v in w_arrays.items()})
            arrays.update({f"b_{k}": v for k, v in b_arrays.items()})
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
        engine.words = BM25FIndex.from_state(
            meta["words"], {k[2:]: v for k, v in arrays.items() if k.startswith("w_")}
        )
        engine.bigrams = BM25FIndex.from_state(
            meta["bigrams"], {k[2:]: v for k, v in arrays.items() if k.startswith("b_")}
        )
        engine.dense = DenseMatrix.from_state(arrays)
        engine.doc_ids = list(meta["doc_ids"])
        engine.slot_of = {d: i for i, d in enumerate(engine.doc_ids) if d is not None}
        engine.titles = _Texts.from_state("titles", arrays)
        engine.keywords = _Texts.from_state("keywords", arrays)
        engine.chains = {int(k): v for k, v in meta["chains"].items()}
        for i, column in enumerate(engine.col_industry):
            column.set(arrays[f"industry{i}"])
        engine.kinds = list(meta["kinds"])
        engine.statuses = list(meta["statuses"])
        engine.disciplines = list(meta["disciplines"])
        for name, column in (
            ("kind", engine.col_kind),
            ("status", engine.col_status),
            ("disc", engine.col_disc),
            ("trl", engine.col_trl),
            ("price", engine.col_price),
            ("region", engine.col_region),
            ("updated", engine.col_updated),
            ("live", engine.col_live),
        ):
            column.set(arrays[name])
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
