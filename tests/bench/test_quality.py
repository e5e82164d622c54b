"""bench.quality's strict nDCG@10 (grades 2–3 only) and its reading of TREC run files."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bench.quality import read_trec_run, strict_ndcg, strict_qrels
from silian.matching.evaluate import write_trec_run


def test_strict_qrels_drop_grade_one_and_queries_left_empty() -> None:
    qrels = {"q1": {"a": 3, "b": 1, "c": 2}, "q2": {"d": 1}}
    assert strict_qrels(qrels) == {"q1": {"a": 3, "c": 2}}


def test_strict_ndcg_by_hand() -> None:
    qrels = {"q1": {"a": 3, "b": 1, "c": 2}, "q2": {"d": 1}}
    run = {"q1": ["b", "a", "c"], "q2": ["d"]}
    # b (grade 1) now gains nothing: DCG = 3/log2(3) + 2/2; ideal = 3 + 2/log2(3).
    expected = (3 / math.log2(3) + 1) / (3 + 2 / math.log2(3))
    assert strict_ndcg(run, qrels) == pytest.approx(expected)  # q2 has no grade ≥ 2: left out
    assert strict_ndcg({"q2": ["d"]}, qrels) == 0.0


def test_trec_run_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "run.txt"
    write_trec_run(path, {"q1": [("b", 2.0), ("a", 1.0)], "q2": [("c", 0.5)]})
    assert read_trec_run(path) == {"q1": ["b", "a"], "q2": ["c"]}
