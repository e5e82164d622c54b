"""Judged-set figures on hand-computed examples: nDCG@10, P@10, MRR@10, coverage, ratios."""

from __future__ import annotations

import math

import pytest

from bench.judged.scoring import (
    coverage,
    precision_at_k,
    ratio,
    relevant_demands,
    score,
)

LOG3 = math.log2(3)


def test_graded_ndcg_precision_and_mrr_by_hand() -> None:
    judged = {"q": {"a": 0, "b": 2, "c": 1, "x": 2}}
    fig = score({"q": ["a", "b", "c"]}, judged, ["q"])
    # DCG = 0/1 + 2/log2(3) + 1/log2(4); ideal = 2/1 + 2/log2(3) + 1/log2(4).
    assert fig.ndcg == pytest.approx((2 / LOG3 + 0.5) / (2 + 2 / LOG3 + 0.5))
    assert fig.precision == pytest.approx(0.2)  # b and c out of 10 slots
    assert fig.mrr == pytest.approx(0.5)  # first grade >= 1 at rank 2
    assert fig.scored == 1


def test_unjudged_documents_count_as_not_relevant() -> None:
    judged = {"q": {"b": 1}}
    fig = score({"q": ["unjudged", "b"]}, judged, ["q"])
    assert fig.mrr == pytest.approx(0.5)
    assert fig.ndcg == pytest.approx((1 / LOG3) / 1)
    assert precision_at_k(["unjudged", "b"], judged["q"]) == pytest.approx(0.1)


def test_only_the_top_ten_count() -> None:
    ranked = [f"d{i}" for i in range(12)]
    judged = {"d10": 2, "d11": 2}
    assert precision_at_k(ranked, judged) == 0.0
    fig = score({"q": ranked}, {"q": judged}, ["q"])
    assert (fig.ndcg, fig.mrr) == (0.0, 0.0)


def test_means_over_the_given_demands_and_relevant_subset() -> None:
    judged = {"q1": {"a": 2}, "q2": {"b": 0}, "q3": {}}
    run = {"q1": ["a"], "q2": ["b"], "q3": ["c"]}
    assert relevant_demands(judged, ["q1", "q2", "q3"]) == ["q1"]
    both = score(run, judged, ["q1", "q2"])
    assert both.mrr == pytest.approx(0.5) and both.ndcg == pytest.approx(0.5)
    assert score(run, judged, []).scored == 0


def test_coverage_counts_judged_slots_of_each_top_ten() -> None:
    judged = {"q1": {"a": 0, "b": 1}, "q2": {}}
    run = {"q1": ["a", "b", "c"], "q2": ["a"]}
    assert coverage(run, judged) == (2, 4)
    assert coverage({"q1": [f"x{i}" for i in range(15)]}, judged) == (0, 10)


def test_ratio_to_the_baseline() -> None:
    assert ratio(0.6, 0.5) == pytest.approx(1.2)
    assert math.isnan(ratio(0.3, 0.0))
