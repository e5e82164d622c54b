"""Ranking metrics checked by hand, BEIR loading errors, TREC run output."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from silian.matching.evaluate import (
    BeirError,
    load_beir,
    mrr_at_k,
    ndcg_at_k,
    percentile,
    recall_at_k,
    score_run,
    write_trec_run,
)


def test_ndcg_hand_computed() -> None:
    judged = {"a": 3, "b": 1, "c": 2}
    ranked = ["b", "x", "a"]
    dcg = 1 / math.log2(2) + 3 / math.log2(4)
    idcg = 3 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(ranked, judged) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(["a", "c", "b"], judged) == pytest.approx(1.0)
    assert ndcg_at_k(["x"], {}) == 0.0


def test_mrr_and_recall() -> None:
    judged = {"a": 1, "b": 0, "c": 2}
    assert mrr_at_k(["b", "x", "c"], judged) == pytest.approx(1 / 3)
    assert mrr_at_k(["x"] * 10 + ["a"], judged) == 0.0
    assert recall_at_k(["c", "x"], judged) == pytest.approx(0.5)
    scores = score_run({"q": ["a", "c"], "unjudged": ["a"]}, {"q": judged})
    assert scores["mrr@10"] == 1.0 and scores["recall@100"] == 1.0


def test_percentile() -> None:
    assert percentile([1, 2, 3, 4], 50) == pytest.approx(2.5)
    assert percentile([], 95) == 0.0


def test_trec_run(tmp_path: Path) -> None:
    path = tmp_path / "run.txt"
    write_trec_run(path, {"q1": [("d1", 2.0), ("d2", 1.0)]})
    assert path.read_text().splitlines() == [
        "q1 Q0 d1 1 2.000000 silian",
        "q1 Q0 d2 2 1.000000 silian",
    ]


def test_load_beir_errors_name_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(BeirError, match="目录不存在"):
        load_beir(tmp_path / "missing")
    (tmp_path / "corpus.jsonl").write_text('{"_id": "d1", "text": "x"}\n{oops\n', "utf-8")
    with pytest.raises(BeirError) as info:
        load_beir(tmp_path)
    assert info.value.line == 2 and info.value.path.endswith("corpus.jsonl")
    (tmp_path / "corpus.jsonl").write_text('{"_id": "d1", "text": "x"}\n', "utf-8")
    (tmp_path / "queries.jsonl").write_text('{"text": "x"}\n', "utf-8")
    with pytest.raises(BeirError, match="缺少字段 '_id'"):
        load_beir(tmp_path)
    (tmp_path / "queries.jsonl").write_text('{"_id": "q1", "text": "x"}\n', "utf-8")
    with pytest.raises(BeirError, match="qrels"):
        load_beir(tmp_path)
    (tmp_path / "qrels").mkdir()
    (tmp_path / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1 d1 1\n")
    with pytest.raises(BeirError, match="第 2 行"):
        load_beir(tmp_path)
