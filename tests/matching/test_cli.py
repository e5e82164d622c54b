"""`silian eval` on a tiny hand-made BEIR set with known answers, and on malformed input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from silian.cli import app
from silian.matching.classify import DisciplineClassifier
from silian.matching.signals import discipline as discipline_module

CORPUS = [
    {
        "_id": "d1",
        "title": "锂离子电池正极材料",
        "text": "高镍三元正极材料共沉淀制备工艺",
        "keywords": ["锂离子电池"],
        "discipline": "材料科学与工程",
    },
    {
        "_id": "d2",
        "title": "养猪场废水处理",
        "text": "厌氧发酵与人工湿地组合处理养殖废水",
        "discipline": "环境科学与工程",
    },
    {
        "_id": "d3",
        "title": "针灸治疗中风后吞咽障碍",
        "text": "针刺配合吞咽训练提高疗效",
        "discipline": "中医学/中药学",
    },
    {
        "_id": "d4",
        "title": "玉米秸秆青贮饲料",
        "text": "秸秆青贮发酵提高反刍动物饲料利用率",
        "discipline": "畜牧学/兽医学",
    },
]
QUERIES = [
    {"_id": "q1", "text": "寻求锂离子电池正极材料制备技术"},
    {"_id": "q2", "text": "养猪场废水怎么处理达标"},
    {"_id": "q3", "text": "玉米秸秆做青贮饲料"},
]
QRELS = "query-id\tcorpus-id\tscore\nq1\td1\t3\nq2\td2\t3\nq3\td4\t3\n"


def make_beir(root: Path) -> Path:
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text(
        "\n".join(json.dumps(d, ensure_ascii=False) for d in CORPUS) + "\n", "utf-8"
    )
    (root / "queries.jsonl").write_text(
        "\n".join(json.dumps(q, ensure_ascii=False) for q in QUERIES) + "\n", "utf-8"
    )
    (root / "qrels" / "test.tsv").write_text(QRELS, "utf-8")
    return root


@pytest.fixture(autouse=True)
def fast_classifier(
    small_classifier: DisciplineClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discipline_module, "discipline_classifier", lambda: small_classifier)


def test_eval_prints_one_json_line_with_known_answers(tmp_path: Path) -> None:
    beir = make_beir(tmp_path / "tiny")
    run_file = tmp_path / "run.trec"
    result = CliRunner().invoke(app, ["eval", str(beir), "--run-out", str(run_file), "--top", "3"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    metrics = json.loads(lines[0])
    assert set(metrics) == {
        "ndcg@10",
        "mrr@10",
        "recall@100",
        "queries",
        "qps",
        "p50_ms",
        "p95_ms",
        "build_s",
    }
    assert metrics["ndcg@10"] == 1.0 and metrics["mrr@10"] == 1.0
    assert metrics["recall@100"] == 1.0 and metrics["queries"] == 3
    run = [line.split() for line in run_file.read_text().splitlines()]
    assert run[0][:4] == ["q1", "Q0", "d1", "1"]
    assert all(int(r[3]) <= 3 for r in run)


@pytest.mark.parametrize(
    ("broken", "content", "expected"),
    [
        ("corpus.jsonl", '{"_id": "d1", "text": "x"}\n{not json\n', "corpus.jsonl 第 2 行"),
        ("queries.jsonl", '{"_id": "q1"}\n', "queries.jsonl 第 1 行：缺少字段 'text'"),
        ("qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\tx\n", "test.tsv 第 2 行"),
    ],
)
def test_eval_malformed_input(tmp_path: Path, broken: str, content: str, expected: str) -> None:
    beir = make_beir(tmp_path / "bad")
    (beir / broken).write_text(content, "utf-8")
    result = CliRunner().invoke(app, ["eval", str(beir)])
    assert result.exit_code == 2
    assert expected in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_eval_missing_directory_and_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", str(tmp_path / "none")])
    assert result.exit_code == 2 and "目录不存在" in result.output
    beir = make_beir(tmp_path / "noqrels")
    (beir / "qrels" / "test.tsv").unlink()
    result = CliRunner().invoke(app, ["eval", str(beir)])
    assert result.exit_code == 2 and "test.tsv" in result.output and "文件不存在" in result.output


def test_eval_with_an_unreadable_embedding_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    beir = make_beir(tmp_path / "tiny")
    monkeypatch.setenv("SILIAN_EMBEDDING_MODEL", str(tmp_path / "no-model"))
    result = CliRunner().invoke(app, ["eval", str(beir)])
    assert result.exit_code == 2
    assert "SILIAN_EMBEDDING_MODEL" in result.output and "不会下载" in result.output
    assert "Traceback" not in result.output
