"""The ``core`` signal: how far a pooled document covers the core words of the demand's problem.

The core words come from the query analysis (:func:`~silian.matching.text.analyse_query`: the
specific words of a 需求名称 line and of the ask, not the asker's trade or the indicators). A
document covers a core word when it contains it, half when it contains a part of it (废水 for
印染废水); coverage is the idf-weighted share of the core so covered, or, when higher, credit
from the semantic channel: the cosine between the document and the core words alone, reaching
:data:`SEMANTIC_CREDIT` at ``Weights.core_semantic``. It re-ranks the candidate pool, so that a
document sharing only the demand's field or a generic method word does not come first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, overload

import numpy as np
from numpy.typing import NDArray

from silian.matching.documents import Reason
from silian.matching.signals.base import Explanation, Parts, Passive, PoolScore, Query, Stage
from silian.matching.sparse import BM25FIndex

if TYPE_CHECKING:
    from silian.matching.signals.semantic import SemanticSignal

# Semantic closeness alone never counts as full coverage (a word match does).
SEMANTIC_CREDIT = 0.8
PART_CREDIT = 0.5
# A hit covering at least this share of the core says so in its reasons.
MIN_REASON_COVERAGE = 0.5


class CoreWords(Sequence[list[str]]):
    """The core words each pooled slot contains, listed only for the rows asked for (the
    hits shown, not the whole pool)."""

    def __init__(self, names: Sequence[str], whole: NDArray[np.float64]) -> None:
        """``whole[i, j]``: whether pooled slot i contains core word ``names[j]``."""
        self.names = list(names)
        self.whole = whole

    def __len__(self) -> int:
        """Pooled slots."""
        return int(self.whole.shape[0])

    @overload
    def __getitem__(self, i: int) -> list[str]: ...
    @overload
    def __getitem__(self, i: slice) -> list[list[str]]: ...
    def __getitem__(self, i: int | slice) -> list[str] | list[list[str]]:
        """The core words of pooled slot ``i``, in core order."""
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return [self.names[j] for j in np.flatnonzero(self.whole[i]).tolist()]


class _Details(Sequence[dict[str, Any]]):
    """Per pooled slot, the reason's data: coverage and the core words found (built lazily)."""

    def __init__(self, values: NDArray[np.float64], words: CoreWords) -> None:
        self.values = values
        self.words = words

    def __len__(self) -> int:
        return len(self.words)

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, i: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, i: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return {"coverage": round(float(self.values[i]), 4), "words": self.words[i]}


class CoreSignal(Passive):
    """Coverage of the query's core words by each pooled document (lexically or in meaning)."""

    name = "core"
    stage: Stage = "pool"

    def __init__(self, parts: Parts) -> None:
        """Read postings from ``parts.lexical``; :func:`create` links the semantic signal."""
        self.parts = parts
        self.semantic: SemanticSignal | None = None

    def core_weights(self, query: Query) -> dict[str, float]:
        """Idf of the query's core words the index knows (unknown words cannot be covered)."""
        cached = query.notes.get("core_idf")
        if cached is None:
            core = query.terms.core if query.terms else []
            cached = self.parts.lexical.idf("words", core) if core else {}
            query.notes["core_idf"] = cached
        return dict(cached)

    def _parts(self, word: str) -> list[str]:
        return [p for p in self.parts.analyzer.words(word, normalised=True) if p != word]

    def _semantic(self, query: Query, core: dict[str, float], pool: NDArray[np.int64]) -> Any:
        semantic = self.semantic
        if semantic is None or not semantic.config.semantic or not semantic.dense.n:
            return np.zeros(len(pool), np.float64)
        words = list(core)
        if semantic.encoder is not None:
            raw = semantic._encode(["、".join(words)])
        else:
            idf, default = self.parts.lexical.word_weights()
            raw = semantic.space.embed(words, idf, default)[None, :]
        qv = semantic.dense.transform(raw)[0]
        rows = pool[pool < semantic.dense.n]
        cos = np.zeros(len(pool), np.float64)
        cos[pool < semantic.dense.n] = semantic.dense.data[rows] @ qv
        return cos

    def coverage(
        self, query: Query, pool: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], CoreWords]:
        """Coverage of the core by each pooled slot (0–1) and the core words each contains."""
        core = self.core_weights(query)
        if not core:
            return np.zeros(len(pool), np.float64), CoreWords([], np.zeros((len(pool), 0)))
        total = sum(core.values()) or 1.0
        lexical = self.parts.lexical
        parts = {w: self._parts(w) for w in core}
        every = list(dict.fromkeys([*core, *(p for ps in parts.values() for p in ps)]))
        part_idf = lexical.idf("words", every)
        words = getattr(lexical, "words", None)
        if isinstance(words, BM25FIndex):  # the local backend: one search per term
            matrix = words.contains_many(pool, every)
        else:
            sets = [set(lexical.matched_terms("words", s, every)) for s in pool.tolist()]
            matrix = np.array([[t in f for t in every] for f in sets], np.bool_)
            matrix = matrix.reshape(len(pool), len(every))
        col = {t: j for j, t in enumerate(every)}
        names = list(core)
        idf = np.array([core[w] for w in names], np.float64)
        whole = matrix[:, [col[w] for w in names]].astype(np.float64)
        partial = np.zeros_like(whole)
        for j, word in enumerate(names):
            sub = [p for p in parts[word] if p in part_idf]
            if sub:
                weights = np.array([part_idf[p] for p in sub], np.float64)
                partial[:, j] = matrix[:, [col[p] for p in sub]] @ weights / weights.sum()
        credit = whole + (1 - whole) * PART_CREDIT * partial
        lexical_cov = credit @ idf / total
        found = CoreWords(names, whole)
        cos = self._semantic(query, core, pool)
        w = query.weights
        meaning = SEMANTIC_CREDIT * np.clip(cos / max(w.core_semantic, 1e-6), 0.0, 1.0)
        return np.maximum(lexical_cov, meaning), found

    def score(self, query: Query, pool: NDArray[np.int64] | None) -> PoolScore | None:
        """Each pooled slot's core coverage (None when the query names no core word)."""
        assert pool is not None
        w = query.weights
        if w.core == 0 or not self.core_weights(query):
            return None
        values, found = self.coverage(query, pool)
        applies = (values >= MIN_REASON_COVERAGE).tolist()
        return PoolScore(values, w.core, applies, _Details(values, found))

    def explain(self, slot: int, query: Query, detail: Any, into: Explanation) -> None:
        """The core words of the demand the hit contains, with its coverage."""
        into.out["core"] = detail
        words = detail["words"]
        text = "切中需求核心：" + ("、".join(words[:6]) if words else "内容相近")
        into.items.append(Reason("core", text, dict(detail)))
