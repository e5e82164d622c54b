"""The ``bigram`` signal: BM25F over character bigrams, so unseen or differently segmented terms
still match.

Its postings are the ``"bigrams"`` channel of the engine's :class:`LexicalIndex`; it earns a
near-best bonus like ``bm25`` and a shared bigram counts as content evidence. It explains a hit
only when no whole word matched (the ``bm25`` reason says more).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from silian.matching.arrays import top_bonus
from silian.matching.documents import Reason
from silian.matching.signals.base import Explanation, Parts, Passive, Query, SlotScore, Stage


class BigramSignal(Passive):
    """Character-bigram BM25F (the postings live in the shared lexical index)."""

    name = "bigram"
    stage: Stage = "slots"

    def __init__(self, parts: Parts) -> None:
        """Read the ``"bigrams"`` channel of ``parts.lexical``."""
        self.parts = parts

    def score(self, query: Query, pool: NDArray[np.int64] | None) -> SlotScore:
        """BM25F of every slot over the query's bigrams, with the near-best bonus."""
        w = query.weights
        raw = self.parts.lexical.score("bigrams", query.bigram_bag(), query.n_slots)
        bonus = top_bonus(raw, query.everyone, w.top_power)
        bonus *= np.float32(w.top_bigram)
        return SlotScore(raw, w.bigram, bonus, raw > 0)

    def explain(self, slot: int, query: Query, detail: Any, into: Explanation) -> None:
        """The shared bigrams, when no whole word was found."""
        if into.out["matched_terms"]:
            return
        grams = self.parts.lexical.matched_terms(
            "bigrams", slot, list(dict.fromkeys(query.bigrams))
        )
        if grams:
            into.out["matched_chars"] = grams
            into.items.append(
                Reason("chars", "字面相近：" + "、".join(grams[:8]), {"bigrams": grams})
            )
