"""Quality on the dev benchmarks: the Silian engine beside bm25s+jieba and SQLite FTS5 trigram.

Usage: .venv/bin/python -m bench.quality [--data ../shared/data/bench] [--sets dev-hard,...]
       [--ablate]   (the engine with each signal switched off in turn: see bench/ablation.py)
Prints a Markdown table (nDCG@10, strict nDCG@10, MRR@10, Recall@100, p50/p95 ms, build s, ratios
to bm25s). Strict nDCG@10 counts only grades 2–3 (the source paper and papers sharing specific
keywords): grade 1 there means "same discipline", which a person reading the results does not
credit, so the strict figure shows what a discipline prior alone cannot earn.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from bench import shared_bench
from bench.baselines import Bm25sJieba, Fts5Trigram, lat_summary, timed_search
from silian.matching.evaluate import Qrels, load_beir, ndcg_at_k, run_beir, score_run

DEFAULT_DATA = shared_bench()
STRICT_GRADE = 2


def strict_qrels(qrels: Qrels, min_grade: int = STRICT_GRADE) -> Qrels:
    """The judgements with grades below ``min_grade`` dropped (they then count as 0)."""
    kept = {q: {d: g for d, g in docs.items() if g >= min_grade} for q, docs in qrels.items()}
    return {q: docs for q, docs in kept.items() if docs}


def strict_ndcg(run: Mapping[str, Sequence[str]], qrels: Qrels, k: int = 10) -> float:
    """Mean nDCG@k with grades 2–3 only, over the queries that have such a document."""
    strict = strict_qrels(qrels)
    queries = [q for q in run if q in strict]
    if not queries:
        return 0.0
    return sum(ndcg_at_k(run[q], strict[q], k) for q in queries) / len(queries)


def read_trec_run(path: Path) -> dict[str, list[str]]:
    """Ranked corpus ids per query from a TREC run file (``qid Q0 docid rank score tag``)."""
    ranked: dict[str, list[tuple[int, str]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 4:
            ranked.setdefault(parts[0], []).append((int(parts[3]), parts[2]))
    return {q: [d for _, d in sorted(hits)] for q, hits in ranked.items()}


def main(argv: list[str] | None = None) -> int:
    """Run every system on every set and print the table (and JSON lines to --json)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sets", default="dev-hard,dev-demands,dev-keywords")
    parser.add_argument("--json", type=Path, default=None, help="also write JSON lines here")
    parser.add_argument("--ablate", action="store_true", help="ablation by signal name instead")
    args = parser.parse_args(argv)
    if args.ablate:
        from bench.ablation import main as ablate

        json_args = ["--json", str(args.json)] if args.json else []
        return ablate(["--data", str(args.data), "--sets", args.sets, *json_args])
    rows = []
    for name in args.sets.split(","):
        folder = args.data / name
        data = load_beir(folder)
        base: dict[str, float] = {}
        for system in (Bm25sJieba(), Fts5Trigram()):
            t0 = time.perf_counter()
            system.build(data.corpus)
            build_s = time.perf_counter() - t0
            run, lat = timed_search(system, data.queries, 100)
            metrics = score_run(run, data.qrels)
            metrics["strict_ndcg@10"] = strict_ndcg(run, data.qrels)
            p50, p95 = lat_summary(lat)
            row = {
                "set": name,
                "system": system.name,
                **metrics,
                "p50_ms": p50,
                "p95_ms": p95,
                "build_s": build_s,
            }
            if system.name == "bm25s+jieba":
                base = dict(metrics)
            rows.append(row)
        with tempfile.TemporaryDirectory() as tmp:
            run_file = Path(tmp) / "silian.run"
            result = run_beir(folder, run_out=run_file)
            strict = strict_ndcg(read_trec_run(run_file), data.qrels)
        rows.append({"set": name, "system": "silian", **result, "strict_ndcg@10": strict})
        for row in rows:
            if row["set"] == name and base:
                row["ndcg_ratio"] = row["ndcg@10"] / base["ndcg@10"]
                row["strict_ratio"] = row["strict_ndcg@10"] / base["strict_ndcg@10"]
                row["mrr_ratio"] = row["mrr@10"] / base["mrr@10"]
        print(f"# {name} done", file=sys.stderr, flush=True)
    print(
        "| set | system | nDCG@10 | strict nDCG@10 | MRR@10 | Recall@100 | ×nDCG | ×strict "
        "| ×MRR | p50 ms | p95 ms | build s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['set']} | {r['system']} | {r['ndcg@10']:.4f} | {r['strict_ndcg@10']:.4f} | "
            f"{r['mrr@10']:.4f} | {r['recall@100']:.4f} | {r['ndcg_ratio']:.3f} | "
            f"{r['strict_ratio']:.3f} | {r['mrr_ratio']:.3f} | "
            f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['build_s']:.1f} |"
        )
    if args.json:
        args.json.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
