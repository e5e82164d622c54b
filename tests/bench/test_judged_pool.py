"""Judged-set pooling: only unjudged pairs go to packets, and packets reveal no system or rank."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import bench.judged.__main__ as judged_main
from bench.judged import data, pool, systems
from bench.judged.data import Demand, JudgedError

DEMANDS = [
    Demand("jd001", "我们是做渔船修造的，焊缝老裂，想找办法。", "marine", "everyday", "dev"),
    Demand(
        "jd002",
        "需求名称：风电叶片\n需求描述：叶片开裂。\n技术指标：寿命提高一倍。",
        "new_energy",
        "listing",
        "check",
    ),
]
CORPUS = [
    {"_id": f"doc-{i}", "title": f"标题{i}", "keywords": [f"词{i}"], "text": "正文" * 200}
    for i in range(8)
]


def _runs(silian: Sequence[str], bm25: Sequence[str]) -> dict[str, dict[str, list[str]]]:
    return {
        systems.BM25S: {"jd001": list(bm25), "jd002": ["doc-7"]},
        systems.SILIAN: {"jd001": list(silian), "jd002": ["doc-7", "doc-6"]},
    }


@pytest.fixture
def judged_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        "".join(
            json.dumps(
                {"_id": d.id, "text": d.text, "chain": d.chain, "style": d.style, "split": d.split},
                ensure_ascii=False,
            )
            + "\n"
            for d in DEMANDS
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr(data, "QUERIES", queries)
    monkeypatch.setattr(data, "PACKETS", tmp_path / "packets")
    monkeypatch.setattr(data, "POOL", tmp_path / "pool.json")
    monkeypatch.setattr(data, "JUDGMENTS", tmp_path / "judgments.tsv")
    monkeypatch.setattr(systems, "load_corpus", lambda _path: CORPUS)
    return tmp_path


def _use_runs(monkeypatch: pytest.MonkeyPatch, runs: dict[str, dict[str, list[str]]]) -> None:
    def fake(_corpus: Any, demands: Sequence[Demand], *_a: Any, **_k: Any) -> Any:
        return {name: {d.id: run[d.id] for d in demands} for name, run in runs.items()}

    monkeypatch.setattr(systems, "run_systems", fake)
    monkeypatch.setattr(judged_main, "run_systems", fake)
    monkeypatch.setattr(judged_main, "load_corpus", lambda _path: CORPUS)


def _fill(sheet: Path, grades: dict[str, int]) -> None:
    """Fill a sheet's rows, grade by candidate id (others keep 0)."""
    lines = sheet.read_text(encoding="utf-8").splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        qid, cid, _ = line.split("\t")
        out.append(f"{qid}\t{cid}\t{grades.get(cid, 0)}")
    sheet.write_text("\n".join(out) + "\n", encoding="utf-8")


def test_merge_pool_takes_each_systems_top_k() -> None:
    runs = {"a": {"q": ["d1", "d2", "d3"]}, "b": {"q": ["d3", "d4"], "r": ["d9"]}}
    assert pool.merge_pool(runs, k=2) == {"q": {"d1", "d2", "d3", "d4"}, "r": {"d9"}}


def test_to_judge_skips_judged_and_pending_pairs() -> None:
    pooled = {"q": {"d1", "d2", "d3"}, "r": {"d4"}}
    fresh = pool.to_judge(pooled, {"q": {"d1": 0}}, {"q": ["d2"], "r": ["d4"]})
    assert fresh == {"q": ["d3"]}


def test_candidate_ids_are_opaque_unique_and_stable() -> None:
    docs = [f"csl-dev-{i:04d}" for i in range(200)]
    ids = pool.candidate_ids("jd001", docs)
    assert len(set(ids.values())) == len(docs)
    assert all(re.fullmatch(r"c[0-9a-f]{6,}", c) for c in ids.values())
    assert ids == pool.candidate_ids("jd001", list(reversed(docs)))
    other = pool.candidate_ids("jd002", docs)
    assert all(ids[d] != other[d] for d in docs)
    taken = pool.candidate_ids("jd001", ["x"], taken=[pool.candidate_ids("jd001", ["x"])["x"]])
    assert len(taken["x"]) > 7  # a clash with an existing id gets a longer id


def test_shuffle_ignores_the_ranking_it_is_given() -> None:
    ranked = [f"d{i}" for i in range(20)]
    order = pool.shuffled("jd001", ranked)
    assert order == pool.shuffled("jd001", list(reversed(ranked)))
    assert sorted(order) == sorted(ranked) and order != ranked


def test_packet_shows_demand_and_candidates_and_nothing_about_systems() -> None:
    doc = {"_id": "csl-dev-0001", "title": "标题甲", "keywords": ["词一", "词二"]}
    doc["text"] = "字" * 500
    text = pool.render_packet("01", [(DEMANDS[1], [("cabc123", doc)])])
    assert "## 需求 jd002" in text and "> 技术指标：寿命提高一倍。" in text
    assert "### 候选 cabc123" in text and "标题甲" in text and "词一、词二" in text
    assert "字" * 300 + "…" in text and "字" * 301 not in text
    lowered = text.lower()
    for leak in ("csl-dev-0001", "silian", "bm25", "jieba", "rank", "排名", "名次", "得分"):
        assert leak not in lowered


def test_first_run_writes_blind_packets_and_records_who_found_what(
    judged_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_runs(monkeypatch, _runs(["doc-0", "doc-1", "doc-2"], ["doc-2", "doc-3"]))
    assert pool.main(["--per-packet", "1"]) == 0
    packets = judged_dir / "packets"
    assert sorted(p.name for p in packets.iterdir()) == ["01.md", "01.tsv", "02.md", "02.tsv"]
    sheet = data.read_sheet(packets / "01.tsv")
    assert [q for q, _, g in sheet] == ["jd001"] * 4 and all(g is None for *_, g in sheet)
    text = (packets / "01.md").read_text(encoding="utf-8")
    assert "doc-" not in text and "silian" not in text.lower() and "bm25" not in text.lower()
    record = data.load_pool(judged_dir / "pool.json")
    assert record["pairs"]["jd001"]["doc-2"]["found_by"] == [systems.BM25S, systems.SILIAN]
    assert record["pairs"]["jd001"]["doc-0"]["found_by"] == [systems.SILIAN]
    assert record["runs"][0]["systems"][systems.SILIAN]["jd001"] == ["doc-0", "doc-1", "doc-2"]


def test_rerun_adds_only_pairs_neither_judged_nor_waiting(
    judged_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_runs(monkeypatch, _runs(["doc-0", "doc-1"], ["doc-2"]))
    pool.main(["--per-packet", "1"])
    packets = judged_dir / "packets"
    _fill(packets / "01.tsv", {})  # jd001 judged; jd002 (packet 02) still blank
    _use_runs(monkeypatch, _runs(["doc-0", "doc-5"], ["doc-2", "doc-1"]))
    pool.main(["--per-packet", "1"])
    assert sorted(p.name for p in packets.glob("*.md")) == ["01.md", "02.md", "03.md"]
    new = data.read_sheet(packets / "03.tsv")
    record = data.load_pool(judged_dir / "pool.json")
    docs = {info["candidate"]: doc for doc, info in record["pairs"]["jd001"].items()}
    assert [(q, docs[c]) for q, c, _ in new] == [("jd001", "doc-5")]
    _use_runs(monkeypatch, _runs(["doc-0", "doc-5"], ["doc-2", "doc-1"]))
    pool.main([])
    assert not (packets / "04.md").exists()  # nothing new: no empty packet


def test_collect_writes_qrels_with_corpus_ids(
    judged_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_runs(monkeypatch, _runs(["doc-0"], ["doc-1"]))
    pool.main([])
    record = data.load_pool(judged_dir / "pool.json")
    cid = record["pairs"]["jd001"]["doc-1"]["candidate"]
    _fill(judged_dir / "packets" / "01.tsv", {cid: 2})
    assert pool.main(["--collect"]) == 0
    lines = (judged_dir / "judgments.tsv").read_text(encoding="utf-8").splitlines()
    assert lines == [
        "query-id\tcorpus-id\tscore",
        "jd001\tdoc-0\t0",
        "jd001\tdoc-1\t2",
        "jd002\tdoc-6\t0",
        "jd002\tdoc-7\t0",
    ]


def test_figures_are_withheld_below_full_coverage(
    judged_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _use_runs(monkeypatch, _runs(["doc-0", "doc-1"], ["doc-1", "doc-0"]))
    pool.main([])
    assert judged_main.main(["--split", "all"]) == 3
    out = capsys.readouterr().out
    assert "COVERAGE BELOW 100 %" in out and "nDCG" not in out
    record = data.load_pool(judged_dir / "pool.json")
    cid = record["pairs"]["jd001"]["doc-1"]["candidate"]
    _fill(judged_dir / "packets" / "01.tsv", {cid: 2})
    assert judged_main.main(["--split", "all"]) == 0
    out = capsys.readouterr().out
    assert "**100.0 %**" in out and "COVERAGE BELOW" not in out
    # Silian ranks doc-1 second, bm25s first: MRR 0.5 vs 1.0 on the one demand with an answer.
    silian = next(line for line in out.splitlines() if line.startswith(f"| **{systems.SILIAN}"))
    assert "| 0.500 |" in silian and "| 0.50 |" in silian
    assert f"| everyday | 1 | {systems.SILIAN} | 0.631 | 0.100 | 0.500 |" in out
    assert f"| listing | 0 | {systems.BM25S} | 0.000 | 0.000 | 0.000 |" in out


def test_answer_sheet_rejects_a_grade_outside_0_to_2(tmp_path: Path) -> None:
    sheet = tmp_path / "01.tsv"
    sheet.write_text("query-id\tcandidate\tscore\njd001\tcabc123\t3\n", encoding="utf-8")
    with pytest.raises(JudgedError, match="第 2 行"):
        data.read_sheet(sheet)


def test_conflicting_grades_are_an_error() -> None:
    with pytest.raises(JudgedError, match="jd001 doc-1"):
        data.merge_judgments({"jd001": {"doc-1": 1}}, {"jd001": {"doc-1": 2}})


def test_variants_name_known_weights() -> None:
    name, overrides = systems.parse_variant("nodisc:discipline=0,discipline_first=0")
    assert name == "nodisc" and overrides == {"discipline": 0.0, "discipline_first": 0.0}
    for bad in ("nodisc", "x:unknown=1", "x:discipline=abc", f"{systems.SILIAN}:discipline=0"):
        with pytest.raises(JudgedError):
            systems.parse_variant(bad)


def test_the_committed_demands_are_well_formed() -> None:
    demands = data.load_demands(data.QUERIES)
    assert len(demands) >= 90 and len({d.id for d in demands}) == len(demands)
    assert len(data.load_demands(data.QUERIES, "dev")) >= 80
    heldout = data.load_demands(data.QUERIES, "heldout")
    assert len(heldout) == 40 and all(d.id > "jd100" for d in heldout)
    earlier = {d.id for d in demands} - {d.id for d in heldout}
    assert earlier == {f"jd{n:03d}" for n in range(1, 101)}
    assert {d.style for d in demands} == {"everyday", "listing"}


def test_pool_split_writes_packets_for_that_split_only(
    judged_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_runs(monkeypatch, _runs(["doc-0"], ["doc-1"]))
    assert pool.main(["--split", "check"]) == 0
    sheet = data.read_sheet(judged_dir / "packets" / "01.tsv")
    assert {q for q, _, _ in sheet} == {"jd002"}
    assert set(data.load_pool(judged_dir / "pool.json")["pairs"]) == {"jd002"}
    assert pool.main(["--split", "dev"]) == 0  # the other split's pairs come later, numbered on
    assert {q for q, _, _ in data.read_sheet(judged_dir / "packets" / "02.tsv")} == {"jd001"}
