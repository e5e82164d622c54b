"""The ``keyphrase`` signal: the record's curated keywords that occur whole in the query.

Records' keywords are curated phrases; a query naming one of them exactly is strong evidence
that BM25 over segmented words can understate when the record's text is short. Each found
keyword counts by its specificity (generic keywords less), capped per record; it re-ranks the
candidate pool.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from silian.matching.documents import Reason
from silian.matching.signals.base import Explanation, Parts, Passive, PoolScore, Query, Stage
from silian.matching.text import normalise


class KeyphraseSignal(Passive):
    """Whole-keyword matches between the query text and the pooled records' keywords."""

    name = "keyphrase"
    stage: Stage = "pool"

    def __init__(self, parts: Parts) -> None:
        """Read keywords from ``parts.records`` and word statistics from ``parts.lexical``."""
        self.parts = parts

    def keyphrases(self, slot: int, query: str) -> list[str]:
        """The record's keywords that occur whole in the (normalised) query text."""
        if not query:
            return []
        keywords = normalise(self.parts.records.keywords[slot])
        found = [k.strip() for k in keywords.split(";")]
        return list(dict.fromkeys(k for k in found if len(k) >= 2 and k in query))

    def specificity(self, keyword: str) -> float:
        """1 for a keyword in at most 1 % of records, less for commoner ones.

        A generic keyword such as 处理 found in a demand is weak evidence; counted fully it
        supplied over a third of a demo suggestion's score.
        """
        lexical = self.parts.lexical
        idf = lexical.idf("words", [keyword]).get(keyword)
        n = max(lexical.document_count(), 1)
        if idf is None or n < 2:
            return 1.0
        ref = math.log1p((n - 0.01 * n + 0.5) / (0.01 * n + 0.5))
        return min(1.0, idf / ref)

    def score(self, query: Query, pool: NDArray[np.int64] | None) -> PoolScore:
        """Capped sum of the specificities of each pooled record's whole-keyword matches."""
        assert pool is not None
        w = query.weights
        phrases = [self.keyphrases(slot, query.normal) for slot in pool.tolist()]
        hits = np.array(
            [min(sum(self.specificity(k) for k in p), w.keyphrase_cap) for p in phrases],
            np.float64,
        )
        return PoolScore(hits, w.keyphrase, [bool(p) for p in phrases], phrases)

    def explain(self, slot: int, query: Query, detail: Any, into: Explanation) -> None:
        """The keywords found whole in the query."""
        into.out["keyphrases"] = detail
        into.items.append(
            Reason("keyphrase", "关键词完全命中：" + "、".join(detail), {"keywords": detail})
        )
