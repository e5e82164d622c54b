"""The ``industry`` signal: the query profile's industry chains / GB/T 4754 divisions shared with
a record (given chains, or up to two divisions tagged from its words).

It re-ranks the candidate pool when the query names chains; the chain filter reads the same
codes, so they are kept (and tagged) whether or not the signal is switched on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from silian.matching.classify import IndustryTagger
from silian.matching.documents import Reason
from silian.matching.records import Column
from silian.matching.signals.base import (
    Analysed,
    Batch,
    Explanation,
    Parts,
    PoolScore,
    Query,
    Stage,
)

INDUSTRY_TAGS = 2


class IndustrySignal:
    """Tagged divisions per slot and the chains a query shares with pooled records."""

    name = "industry"
    stage: Stage = "pool"

    def __init__(self, parts: Parts) -> None:
        """No tags yet; the tagger loads on first use (if ``config.tag_industries``)."""
        self.parts = parts
        # Up to two tagged GB/T 4754 divisions per slot, as numbers (-1: none); a dict of
        # lists cost ~150 bytes per record, which mattered at a million records.
        self.columns = [Column(np.int16, -1) for _ in range(INDUSTRY_TAGS)]
        self._tagger: IndustryTagger | None = None

    @property
    def tagger(self) -> IndustryTagger:
        """The GB/T 4754 industry tagger."""
        if self._tagger is None:
            self._tagger = IndustryTagger(self.parts.analyzer)
        return self._tagger

    def tag(self, analysed: Sequence[Analysed]) -> list[list[str]]:
        """Division codes of analysed documents (none when tagging is off)."""
        if not self.parts.config.tag_industries or not analysed:
            return [[] for _ in analysed]
        tokens = [w["title"] + w["keywords"] + w["text"][:120] for w, _ in analysed]
        return self.tagger.tag_tokens(tokens)

    def begin(self, sample: Sequence[Analysed], total: int) -> None:
        """Nothing to prepare."""

    def add(self, batch: Batch) -> None:
        """Tag the batch's documents and append their codes."""
        for industries in self.tag(batch.analysed):
            codes = [int(c) for c in industries if c.isdigit()][:INDUSTRY_TAGS]
            for i, column in enumerate(self.columns):
                column.append(codes[i] if i < len(codes) else -1)

    def finish(self) -> None:
        """Nothing to finish."""

    def remove(self, slot: int) -> None:
        """Clear a deleted slot's codes."""
        for column in self.columns:
            column.data[slot] = -1

    def state(self) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
        """The code columns (``industry0``, ``industry1``)."""
        return {}, {f"industry{i}": c.view() for i, c in enumerate(self.columns)}

    def restore(self, meta: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]]) -> None:
        """Map the saved code columns."""
        for i, column in enumerate(self.columns):
            column.set(arrays[f"industry{i}"])

    def industries_of(self, slot: int) -> list[str]:
        """The GB/T 4754 division codes tagged on a slot."""
        codes = (int(column.data[slot]) for column in self.columns)
        return [f"{code:02d}" for code in codes if code >= 0]

    def codes_of(self, slot: int) -> list[str]:
        """The record's given chains and its tagged divisions."""
        return self.parts.records.chains.get(slot, []) + self.industries_of(slot)

    def score(self, query: Query, pool: NDArray[np.int64] | None) -> PoolScore | None:
        """1 for each pooled record sharing a chain with the profile; None if it names none."""
        assert pool is not None
        wanted = set(query.profile.chains)
        if not wanted:
            return None
        shared = [sorted(wanted.intersection(self.codes_of(s))) for s in pool.tolist()]
        values = np.array([1.0 if c else 0.0 for c in shared])
        return PoolScore(values, query.weights.industry, [True] * len(shared), shared)

    def explain(self, slot: int, query: Query, detail: Any, into: Explanation) -> None:
        """The shared chains / divisions by name."""
        if not detail:
            return
        into.out["shared_chains"] = detail
        names = [self.tagger.name(c) if c[:2].isdigit() else c for c in detail]
        into.items.append(
            Reason("industry", "同属产业链/行业：" + "、".join(names), {"codes": detail})
        )
