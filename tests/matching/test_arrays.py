"""Array helpers of scoring match plain numpy: z-scores, top-k, the near-best bonus."""

from __future__ import annotations

import numpy as np

from silian.matching.arrays import top_bonus, top_slots, zscore


def test_array_helpers_match_plain_numpy() -> None:
    rng = np.random.default_rng(3)
    values = rng.gamma(2.0, 3.0, 500).astype(np.float32)
    live = rng.random(500) > 0.2
    for mask in (None, live):
        sel = values if mask is None else values[mask]
        want = (values - sel.mean()) / sel.std()
        assert np.allclose(zscore(values, mask), want, atol=1e-4)
        for power in (4.0, 3.0, 2.5):
            got = top_bonus(values, mask, power)
            assert np.allclose(got, (values / sel.max()) ** power, rtol=1e-5)
        top = top_slots(values, mask, 7)
        allowed = np.flatnonzero(np.ones(500, bool) if mask is None else mask)
        want_top = allowed[np.argsort(-values[allowed], kind="stable")[:7]]
        assert top.tolist() == want_top.tolist()
    assert not zscore(np.ones(5, np.float32), None).any()


def test_edge_cases_give_empty_or_zero_results() -> None:
    empty = np.zeros(0, np.float32)
    assert zscore(empty, None).size == 0
    assert top_slots(np.ones(3, np.float32), None, 0).size == 0
    assert top_slots(np.ones(3, np.float32), np.zeros(3, bool), 2).size == 0
    assert not top_bonus(np.zeros(4, np.float32), None, 4.0).any()
