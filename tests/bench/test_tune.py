"""The weight tuner: grids, coordinate descent, objective, split halves, an end-to-end run."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench import tune
from silian.matching.engine import Engine, EngineConfig, Weights

LEXICAL = EngineConfig(classify=False, semantic=False, tag_industries=False)


def test_candidates_stay_in_range_and_exclude_the_current_value() -> None:
    assert tune.candidates("semantic", 1.5) == [0.75, 1.1, 2.1, 3.0]
    assert tune.candidates("semantic", 1.5, fine=True) == [1.3, 1.8]
    assert tune.candidates("discipline", 0.0) == [0.25, 0.5]
    assert tune.candidates("prf_alpha", 0.1) == [0.0, 0.2, 0.3]
    assert tune.candidates("prf_alpha", 0.95, fine=True) == [0.9, 1.0]
    assert tune.candidates("prf_k", 10) == [5.0, 7.0, 14.0, 20.0]
    assert tune.candidates("prf_k", 1) == [2.0]
    assert "bm25" not in tune.TUNED and "industry" not in tune.TUNED
    assert {"semantic", "prf_alpha", "prf_k"} <= set(tune.TUNED) and "prf_k" in tune.INTEGER


def test_coordinate_descent_climbs_a_smooth_objective_within_budget() -> None:
    goal = {"semantic": 3.0, "bigram": 0.5, "prf_alpha": 0.5, "prf_k": 20}

    def score(w: Weights) -> float:
        logs = sum(np.log(getattr(w, k) / goal[k]) ** 2 for k in ("semantic", "bigram", "prf_k"))
        return float(-logs - (w.prf_alpha - goal["prf_alpha"]) ** 2)

    start = Weights()
    final, best, steps, spent = tune.coordinate_descent(
        score, start, budget=200, min_gain=1e-4, log=lambda _m: None
    )
    assert spent <= 200
    assert best > score(start)
    assert final.semantic == pytest.approx(3.0, rel=0.1)
    assert final.bigram == pytest.approx(0.5, rel=0.1)
    assert final.prf_alpha == pytest.approx(0.5, abs=0.05)
    assert isinstance(final.prf_k, int) and final.prf_k == pytest.approx(20, rel=0.2)
    assert final.bm25 == start.bm25 and final.industry == start.industry
    assert all(s.gain >= 1e-4 for s in steps)
    assert [s.after for s in steps] == sorted(s.after for s in steps)

    _, _, _, few = tune.coordinate_descent(score, start, budget=3, log=lambda _m: None)
    assert few == 3


def test_smallest_move_among_near_best_trials() -> None:
    trials = [(1.010, 0.5), (1.0095, 0.75), (1.000, 2.0)]
    assert tune._smallest_good_move(trials, 1.0, 0.001) == (1.0095, 0.75)
    assert tune._smallest_good_move(trials, 1.0, 0.0001) == (1.010, 0.5)


def _set(name: str, base: dict[str, list[float]]) -> tune.DevSet:
    queries = [(f"q{i}", "") for i in range(len(base["ndcg@10"]))]
    return tune.DevSet(name, queries, {}, 0, {m: np.array(v) for m, v in base.items()})


def test_objective_is_the_worst_margin_plus_a_mean_tie_break() -> None:
    s = _set("dev-hard", {"ndcg@10": [0.2, 0.4], "mrr@10": [0.5, 0.5]})
    scores = {"dev-hard": {"ndcg@10": np.array([0.4, 0.5]), "mrr@10": np.array([0.5, 1.0])}}
    rows = tune.table([s], scores)
    assert rows[("dev-hard", "ndcg@10")] == pytest.approx((0.45, 0.3, 1.5))
    norm = tune.normalised(rows)
    assert norm[("dev-hard", "ndcg@10")] == pytest.approx(1.5 / 1.3)
    assert norm[("dev-hard", "mrr@10")] == pytest.approx(1.5 / 1.25)
    low = min(norm.values())
    assert tune.objective(norm) == pytest.approx(low + tune.TIE_BREAK * sum(norm.values()) / 2)
    half = s.take([1])
    assert half.queries == [("q1", "")] and half.baseline["ndcg@10"].tolist() == [0.4]


def test_halves_partition_each_set_reproducibly() -> None:
    sets = [
        _set("a", {"ndcg@10": [0.0] * 7, "mrr@10": [0.0] * 7}),
        _set("b", {"ndcg@10": [0.0] * 4, "mrr@10": [0.0] * 4}),
    ]
    split = tune.halves(sets, seed=3)
    assert split == tune.halves(sets, seed=3)
    for (one, two), s in zip(split, sets, strict=True):
        assert sorted(one + two) == list(range(len(s.queries)))
        assert abs(len(one) - len(two)) <= 1


def test_weights_code_is_python_that_round_trips() -> None:
    w = replace(Weights(), semantic=2.1, prf_k=14)
    assert eval(tune.weights_code(w), {"Weights": Weights}) == w
    assert "    prf_k: int = 14" in tune.weights_fields(w)


CORPUS = [
    {
        "_id": "d1",
        "title": "锂离子电池正极材料",
        "keywords": ["锂电池"],
        "text": "高镍三元正极材料制备",
    },
    {"_id": "d2", "title": "养殖废水生物处理", "keywords": ["废水"], "text": "厌氧发酵与人工湿地"},
    {
        "_id": "d3",
        "title": "针灸治疗吞咽障碍",
        "keywords": ["针灸"],
        "text": "脑卒中后吞咽困难康复",
    },
    {"_id": "d4", "title": "玉米秸秆青贮饲料", "keywords": ["秸秆"], "text": "反刍动物饲料利用率"},
    {"_id": "d5", "title": "储能电池管理系统", "keywords": ["储能"], "text": "锂电池组均衡与安全"},
]


def _beir(folder: Path, queries: list[tuple[str, str, str]]) -> None:
    (folder / "qrels").mkdir(parents=True)
    lines = [json.dumps(d, ensure_ascii=False) for d in CORPUS]
    (folder / "corpus.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    qs = [json.dumps({"_id": q, "text": t}, ensure_ascii=False) for q, t, _ in queries]
    (folder / "queries.jsonl").write_text("\n".join(qs) + "\n", "utf-8")
    rel = "".join(f"{q}\t{d}\t1\n" for q, _, d in queries)
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + rel, "utf-8")


def test_stateless_check_passes_on_the_engine() -> None:
    engine = Engine.build(CORPUS, replace(LEXICAL))
    queries = [("a", "锂电池储能"), ("b", "废水处理"), ("c", "吞咽康复")]
    problems = tune.check_stateless(engine, queries, Weights())
    assert not [p for p in problems if "differ after" in p or "should be tuned" in p]


def test_main_runs_end_to_end_on_a_tiny_benchmark(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _beir(tmp_path / "s1", [("q1", "锂电池材料", "d1"), ("q2", "废水", "d2"), ("q3", "针灸", "d3")])
    _beir(tmp_path / "s2", [("p1", "秸秆饲料", "d4"), ("p2", "电池储能安全", "d5")])
    out = tmp_path / "result.json"
    argv = ["--data", str(tmp_path), "--sets", "s1,s2", "--budget", "4", "--json", str(out)]
    assert tune.main(argv, config=LEXICAL) == 0
    text = capsys.readouterr().out
    assert "## Start vs final" in text and "Weights(" in text and "Split-half" in text
    result: dict[str, Any] = json.loads(out.read_text("utf-8"))
    assert result["sets"] == {"s1": 3, "s2": 2}
    assert result["evaluations"] <= 4
    assert len(result["folds"]) == 2


def test_bootstrap_gain_is_zero_for_equal_runs_and_positive_for_better_ones() -> None:
    s = _set("dev-hard", {"ndcg@10": [0.2, 0.4, 0.3, 0.1], "mrr@10": [0.5, 0.5, 1.0, 0.2]})
    same = {"dev-hard": {m: v.copy() for m, v in s.baseline.items()}}
    better = {"dev-hard": {m: v + 0.1 for m, v in s.baseline.items()}}
    assert tune.bootstrap_gain([s], same, same, rounds=50) == (0.0, 0.0, 0.0)
    mean, lo, hi = tune.bootstrap_gain([s], same, better, rounds=50)
    assert 0 < lo <= mean <= hi
