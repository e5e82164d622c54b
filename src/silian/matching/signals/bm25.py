"""The ``bm25`` signal: BM25F over jieba words of title, keywords and text (field-weighted).

Its postings are the ``"words"`` channel of the engine's :class:`LexicalIndex`; besides its
z-score it earns a bonus near the query's best word match, and any shared word counts as
content evidence. Reasons name the matched words by the field they were found in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from silian.matching.arrays import top_bonus
from silian.matching.documents import Reason
from silian.matching.signals.base import Explanation, Parts, Passive, Query, SlotScore, Stage
from silian.matching.text import normalise

FIELD_LABELS = {"title": "标题", "keywords": "关键词", "text": "正文"}


def maximal(terms: Sequence[str]) -> list[str]:
    """Terms not contained in another of them (search-mode segmentation yields 低能, 能耗 and
    低能耗 for one word; a reason names the word once)."""
    return [t for t in terms if not any(t != u and t in u for u in terms)]


class Bm25Signal(Passive):
    """Word-level BM25F (the postings live in the shared lexical index)."""

    name = "bm25"
    stage: Stage = "slots"

    def __init__(self, parts: Parts) -> None:
        """Read the ``"words"`` channel of ``parts.lexical``; titles from ``parts.records``."""
        self.parts = parts

    def score(self, query: Query, pool: NDArray[np.int64] | None) -> SlotScore:
        """BM25F of every slot, with the near-best bonus; a shared word is evidence."""
        w = query.weights
        raw = self.parts.lexical.score("words", query.word_bag(), query.n_slots)
        bonus = top_bonus(raw, query.everyone, w.top_power)
        bonus *= np.float32(w.top_bm25)
        weight = w.bm25
        if len(set(query.words)) > w.long_words:
            # A long demand's many words make the sum favour long same-field texts; its
            # problem is better found by meaning and the core check (docs/benchmarks.md).
            weight *= w.bm25_long
            bonus *= np.float32(w.bm25_long)
        return SlotScore(raw, weight, bonus, raw > 0)

    def explain(self, slot: int, query: Query, detail: Any, into: Explanation) -> None:
        """Matched words by field (title, keywords, text)."""
        words = list(dict.fromkeys(query.words))
        matched = maximal(self.parts.lexical.matched_terms("words", slot, words))
        if not matched:
            return
        title = normalise(self.parts.records.titles[slot])
        keywords = normalise(self.parts.records.keywords[slot])
        where: dict[str, list[str]] = {"title": [], "keywords": [], "text": []}
        for term in matched:
            name = "title" if term in title else "keywords" if term in keywords else "text"
            where[name].append(term)
            into.out["matched_terms"].append({"term": term, "field": name})
        parts = [f"{FIELD_LABELS[f]}：{'、'.join(ts[:6])}" for f, ts in where.items() if ts]
        into.items.append(Reason("terms", "命中词语（" + "；".join(parts) + "）", where))
