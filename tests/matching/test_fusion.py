"""Fusion: slot signals summed as weight × z-score + bonus, pool signals re-rank, shares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from silian.matching import fusion
from silian.matching.config import Weights
from silian.matching.documents import Profile
from silian.matching.signals.base import Explanation, Passive, PoolScore, Query, SlotScore, Stage


class Fixed(Passive):
    """A signal returning fixed values (and recording what it saw)."""

    def __init__(self, name: str, stage: Stage, result: Any) -> None:
        self.name = name
        self.stage = stage
        self.result = result
        self.seen: NDArray[np.float32] | None = None

    def score(self, query: Query, pool: NDArray[np.int64] | None) -> Any:
        self.seen = None if query.fused is None else query.fused.copy()
        return self.result

    def explain(self, slot: int, query: Query, detail: Any, into: Explanation) -> None:
        """Nothing to say."""


def _query(n: int) -> Query:
    return Query("q", "q", ["q"], [], Profile(), Weights(), n, None)


def test_slot_signals_are_z_scored_weighted_and_summed_in_order() -> None:
    a_raw = np.array([3.0, 1.0, 0.0, 0.0], np.float32)
    b_raw = np.array([0.0, 2.0, 2.0, 0.0], np.float32)
    bonus = np.array([1.0, 0.0, 0.0, 0.0], np.float32)
    a = Fixed("a", "slots", SlotScore(a_raw, 2.0, bonus, a_raw > 0))
    b = Fixed("b", "slots", SlotScore(b_raw, 0.5, None, b_raw > 0))
    scored = fusion.score_slots([a, b], _query(4))
    want_a = 2.0 * fusion.zscore(a_raw, None) + bonus
    assert np.allclose(scored.contributions["a"], want_a)
    assert np.allclose(scored.total, want_a + 0.5 * fusion.zscore(b_raw, None))
    assert a.seen is None and b.seen is not None and np.allclose(b.seen, want_a)
    assert scored.evidence is not None and scored.evidence.tolist() == [True, True, True, False]
    assert set(scored.query.raw) == {"a", "b"}


def test_no_slot_signal_means_zero_totals_and_no_evidence() -> None:
    scored = fusion.score_slots([], _query(3))
    assert scored.total.tolist() == [0.0, 0.0, 0.0] and scored.evidence is None


def test_pool_signals_rerank_and_report_what_applied() -> None:
    scored = fusion.score_slots(
        [Fixed("a", "slots", SlotScore(np.array([2.0, 1.0, 0.0], np.float32), 1.0))], _query(3)
    )
    boost = PoolScore(np.array([0.0, 5.0]), 1.0, [False, True], [None, "why"])
    silent = Fixed("c", "pool", None)
    ranked = fusion.rerank([Fixed("p", "pool", boost), silent], np.array([0, 1]), scored)
    assert [slot for slot, _, _ in ranked] == [1, 0]
    assert ranked[0][2] == {"p": (5.0, "why")} and ranked[1][2] == {}
    assert ranked[0][1] == pytest.approx(float(scored.total[1]) + 5.0)
    assert scored.query.now > 0
    # With a limit only the best are ranked (and their details read): the same first ones.
    best = fusion.rerank([Fixed("p", "pool", boost), silent], np.array([0, 1]), scored, limit=1)
    assert best == ranked[:1]


def test_a_slot_signal_must_return_slot_scores() -> None:
    with pytest.raises(TypeError, match="slot signal"):
        fusion.score_slots([Fixed("x", "slots", None)], _query(2))


def test_shares_count_positive_parts_only() -> None:
    contributions: Mapping[str, NDArray[np.float32]] = {
        "a": np.array([3.0, -1.0], np.float32),
        "b": np.array([1.0, 1.0], np.float32),
    }
    shares = fusion.shares(["a", "b", "p", "off"], 0, contributions, {"p": (4.0, None)})
    assert shares == {"a": 0.375, "b": 0.125, "p": 0.5, "off": 0.0}
    assert fusion.shares(["a", "b"], 1, contributions, {}) == {"a": 0.0, "b": 1.0}
