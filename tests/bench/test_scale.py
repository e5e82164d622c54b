"""bench.scale's demand-length queries and bench.workers' tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.scale import _summary, demand_queries
from bench.workers import print_tables


def test_demand_queries_are_the_dev_demands_and_the_judged_dev_and_check_demands(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "dev-demands"
    folder.mkdir()
    rows = [{"_id": "q1", "text": "需求一"}, {"_id": "q2", "text": "需求二"}]
    (folder / "queries.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8"
    )
    (folder / "corpus.jsonl").write_text('{"_id": "d1", "text": "文本"}\n', "utf-8")
    (folder / "qrels").mkdir()
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n", "utf-8")
    texts = demand_queries(tmp_path)
    # 2 dev-demands queries and the judged set's 100 dev and check demands (held-out left out).
    assert len(texts) == 102 and {"需求一", "需求二"} <= set(texts)
    assert sum(len(t) >= 20 for t in texts) >= 100
    assert texts == demand_queries(tmp_path)  # a fixed shuffle


def test_summary_gives_percentiles_rate_and_cpu() -> None:
    row = _summary([10.0, 20.0, 30.0, 40.0], [5.0, 7.0])
    assert row["p50_ms"] == 25.0 and row["qps"] == 40.0 and row["cpu_ms"] == 6.0
    assert "cpu_ms" not in _summary([10.0])


def test_worker_tables_print_throughput_and_memory(capsys: pytest.CaptureFixture[str]) -> None:
    one = {"rss_mb": 500, "pss_mb": 480, "private_mb": 450}
    row = {
        "docs": 1000,
        "load": [1.0, 1.5],
        "throughput": {
            "qps_1": [10.0],
            "qps_2": [19.0],
            "ratio": 1.9,
            "cores_1": [1.0],
            "cores_2": [2.0],
            "per_core_ratio": 0.95,
        },
        "memory": {
            "one": one,
            "workers": 4,
            "rss_mb": [500] * 4,
            "pss_mb": [200] * 4,
            "private_mb": [100] * 4,
            "total_pss_mb": 800,
            "ratio": 1.6,
        },
    }
    print_tables([row])
    out = capsys.readouterr().out
    assert "| 1,000 | 10.0 | 19.0 | 1.9× | 1.0 | 2.0 | 0.95× | 1.0 / 1.5 |" in out
    assert "| 1,000 | spawned | 500 / 480 / 450 | 4 | 500 / 500 / 500 / 500 |" in out
    assert "| – | 800 | 1.6× |" in out  # no parent: the workers were spawned
