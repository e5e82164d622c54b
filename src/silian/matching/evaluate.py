"""BEIR-layout benchmark loading, ranking metrics (nDCG, MRR, recall) and TREC run files."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from silian.matching.engine import EngineConfig

Qrels = dict[str, dict[str, int]]
Run = dict[str, list[tuple[str, float]]]


class BeirError(ValueError):
    """A BEIR directory is missing a file or has a malformed line."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        """Remember where the problem is, for a message that names file and line."""
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path} 第 {line} 行" if line else self.path
        super().__init__(f"{where}：{message}")


@dataclass
class BeirSet:
    """A corpus, its queries and graded relevance judgements."""

    corpus: list[dict[str, Any]]
    queries: list[tuple[str, str]]
    qrels: Qrels = field(default_factory=dict)


def _read_jsonl(path: Path, required: Sequence[str]) -> list[dict[str, Any]]:
    if not path.is_file():
        raise BeirError(path, None, "文件不存在")
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise BeirError(path, number, f"不是合法的 JSON（{exc.msg}）") from None
            if not isinstance(row, dict):
                raise BeirError(path, number, "每行应是一个 JSON 对象")
            for key in required:
                if key not in row:
                    raise BeirError(path, number, f"缺少字段 {key!r}")
                if key == "_id" and not isinstance(row[key], str | int):
                    raise BeirError(path, number, "字段 '_id' 应是字符串")
            row["_id"] = str(row["_id"])
            for key in ("title", "text"):
                if key in row and row[key] is not None and not isinstance(row[key], str):
                    raise BeirError(path, number, f"字段 {key!r} 应是字符串")
            if "keywords" in row and not isinstance(row["keywords"], list | type(None)):
                raise BeirError(path, number, "字段 'keywords' 应是字符串列表")
            rows.append(row)
    return rows


def read_qrels(path: Path) -> Qrels:
    """Read a BEIR qrels TSV (header line, then query-id, corpus-id, score)."""
    if not path.is_file():
        raise BeirError(path, None, "文件不存在")
    qrels: Qrels = {}
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip("\n\r")
            if not line.strip():
                continue
            parts = line.split("\t")
            if number == 1 and parts[0] in ("query-id", "query_id", "qid"):
                continue
            if len(parts) != 3:
                raise BeirError(
                    path, number, "应有 3 列（query-id、corpus-id、score），以制表符分隔"
                )
            try:
                score = int(float(parts[2]))
            except ValueError:
                raise BeirError(path, number, f"score 不是数字：{parts[2]!r}") from None
            qrels.setdefault(parts[0], {})[parts[1]] = score
    return qrels


def load_beir(directory: Path | str, split: str = "test") -> BeirSet:
    """Load ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/<split>.tsv`` from a BEIR folder."""
    root = Path(directory)
    if not root.is_dir():
        raise BeirError(root, None, "目录不存在")
    corpus = _read_jsonl(root / "corpus.jsonl", ("_id",))
    queries = [
        (q["_id"], str(q.get("text") or ""))
        for q in _read_jsonl(root / "queries.jsonl", ("_id", "text"))
    ]
    qrels = read_qrels(root / "qrels" / f"{split}.tsv")
    return BeirSet(corpus, queries, qrels)


def ndcg_at_k(ranked: Sequence[str], judged: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with linear gains (as trec_eval / BEIR): Σ rel / log2(rank + 1), normalised."""
    dcg = sum(judged.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranked[:k]))
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 2) for rank, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def mrr_at_k(ranked: Sequence[str], judged: Mapping[str, int], k: int = 10) -> float:
    """Reciprocal rank of the first relevant (grade > 0) document within the top k."""
    for rank, doc in enumerate(ranked[:k]):
        if judged.get(doc, 0) > 0:
            return 1.0 / (rank + 1)
    return 0.0


def recall_at_k(ranked: Sequence[str], judged: Mapping[str, int], k: int = 100) -> float:
    """Share of relevant (grade > 0) documents found in the top k."""
    relevant = {d for d, g in judged.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def score_run(run: Mapping[str, Sequence[str]], qrels: Qrels) -> dict[str, float]:
    """Mean nDCG@10, MRR@10 and Recall@100 over the judged queries of a run."""
    judged = [q for q in run if q in qrels]
    if not judged:
        return {"ndcg@10": 0.0, "mrr@10": 0.0, "recall@100": 0.0}
    n = len(judged)
    return {
        "ndcg@10": sum(ndcg_at_k(run[q], qrels[q]) for q in judged) / n,
        "mrr@10": sum(mrr_at_k(run[q], qrels[q]) for q in judged) / n,
        "recall@100": sum(recall_at_k(run[q], qrels[q]) for q in judged) / n,
    }


def write_trec_run(path: Path | str, run: Run, tag: str = "silian") -> None:
    """Write a TREC run file: ``qid Q0 docid rank score tag`` per line."""
    with Path(path).open("w", encoding="utf-8") as handle:
        for qid, hits in run.items():
            for rank, (doc, score) in enumerate(hits, start=1):
                handle.write(f"{qid} Q0 {doc} {rank} {score:.6f} {tag}\n")


def percentile(values: Iterable[float], q: float) -> float:
    """The q-th percentile (0–100) by linear interpolation, 0 for no values."""
    data = sorted(values)
    if not data:
        return 0.0
    pos = (len(data) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def run_beir(
    beir_dir: Path | str,
    top: int = 100,
    run_out: Path | str | None = None,
    config: EngineConfig | None = None,
    progress: Any = None,
) -> dict[str, float]:
    """Build an engine on a BEIR corpus, run every query, and return the metrics and timings.

    ``progress(stage, done, total)`` is called during the build and the queries.
    """
    import time

    from silian.matching.engine import Engine

    data = load_beir(beir_dir)
    report = progress or (lambda _s, _d, _t: None)
    started = time.perf_counter()
    engine = Engine.build(data.corpus, config, progress=lambda d, t: report("建立索引", d, t))
    build_s = time.perf_counter() - started
    run: Run = {}
    latencies: list[float] = []
    n = max(len(data.queries), 1)
    engine.query("预热", limit=1)  # first call loads lazily-built resources
    for i, (qid, text) in enumerate(data.queries):
        t0 = time.perf_counter()
        hits = engine.query(text, limit=top, reasons=False)
        latencies.append(time.perf_counter() - t0)
        run[qid] = [(h.doc_id, h.score) for h in hits]
        if i % 20 == 0:
            report("检索", i, n)
    if run_out:
        write_trec_run(run_out, run)
    metrics = score_run({q: [d for d, _ in hits] for q, hits in run.items()}, data.qrels)
    total = sum(latencies)
    result = {k: round(v, 4) for k, v in metrics.items()}
    result.update(
        {
            "queries": len(data.queries),
            "qps": round(len(latencies) / total, 2) if total > 0 else 0.0,
            "p50_ms": round(percentile(latencies, 50) * 1000, 2),
            "p95_ms": round(percentile(latencies, 95) * 1000, 2),
            "build_s": round(build_s, 2),
        }
    )
    return result
