"""bench.ablation on a tiny BEIR set: one row per switched-off signal beside the full engine."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest

from bench import ablation, quality
from silian.matching.engine import SIGNALS, EngineConfig
from silian.matching.evaluate import load_beir, run_beir

CORPUS = [
    ("d1", "锂离子电池正极材料", "高镍三元正极材料共沉淀制备，提高循环寿命。"),
    ("d2", "养殖废水处理技术", "养猪场粪污厌氧发酵与人工湿地组合处理。"),
    ("d3", "反渗透膜抗污染改性", "膜表面接枝两性离子聚合物降低污染。"),
    ("d4", "玉米秸秆青贮饲料", "秸秆发酵用于反刍动物饲养。"),
]
QUERIES = [("q1", "电池正极材料寿命"), ("q2", "养猪场废水怎么处理"), ("q3", "膜污染")]
# No classifier (training one takes minutes per test session) and no industry tagger.
LIGHT = EngineConfig(classify=False, tag_industries=False)
QRELS = [("q1", "d1", 3), ("q2", "d2", 3), ("q2", "d3", 1), ("q3", "d3", 2)]


def _beir(root: Path) -> Path:
    folder = root / "tiny"
    (folder / "qrels").mkdir(parents=True)
    rows = [json.dumps({"_id": i, "title": t, "text": x}, ensure_ascii=False) for i, t, x in CORPUS]
    (folder / "corpus.jsonl").write_text("\n".join(rows) + "\n", "utf-8")
    queries = [json.dumps({"_id": q, "text": t}, ensure_ascii=False) for q, t in QUERIES]
    (folder / "queries.jsonl").write_text("\n".join(queries) + "\n", "utf-8")
    lines = ["query-id\tcorpus-id\tscore", *(f"{q}\t{d}\t{g}" for q, d, g in QRELS)]
    (folder / "qrels" / "test.tsv").write_text("\n".join(lines) + "\n", "utf-8")
    return folder


def test_rows_for_every_signal_and_the_full_engine_as_in_quality(tmp_path: Path) -> None:
    folder = _beir(tmp_path)
    rows = ablation.ablation_rows("tiny", load_beir(folder), LIGHT)
    systems = [r["system"] for r in rows]
    assert systems == ["bm25s+jieba", "silian", *(f"silian − {name}" for name in SIGNALS)]
    full = rows[1]
    assert full["delta_ndcg@10"] == 0.0
    # The full engine's row is the figure bench.quality prints for silian.
    assert full["ndcg@10"] == pytest.approx(run_beir(folder, config=LIGHT)["ndcg@10"], abs=1e-4)
    for row in rows:
        assert row["delta_mrr@10"] == pytest.approx(row["mrr@10"] - full["mrr@10"])


def test_quality_ablate_prints_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ablation, "ablation_rows", partial(ablation.ablation_rows, config=LIGHT))
    _beir(tmp_path)
    out = tmp_path / "rows.jsonl"
    assert (
        quality.main(["--data", str(tmp_path), "--sets", "tiny", "--ablate", "--json", str(out)])
        == 0
    )
    printed = capsys.readouterr().out
    assert "| tiny | silian − semantic |" in printed and "ΔnDCG" in printed
    assert len(out.read_text("utf-8").splitlines()) == 2 + len(SIGNALS)
