"""Quality on the dev benchmarks: the Silian engine beside bm25s+jieba and SQLite FTS5 trigram.

Usage: .venv/bin/python -m bench.quality [--data ../shared/data/bench] [--sets dev-hard,...]
Prints a Markdown table (nDCG@10, MRR@10, Recall@100, p50/p95 ms, build s, ratio to bm25s).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bench.baselines import Bm25sJieba, Fts5Trigram, lat_summary, timed_search
from silian.matching.evaluate import load_beir, run_beir, score_run

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "bench"


def main(argv: list[str] | None = None) -> int:
    """Run every system on every set and print the table (and JSON lines to --json)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sets", default="dev-hard,dev-demands,dev-keywords")
    parser.add_argument("--json", type=Path, default=None, help="also write JSON lines here")
    args = parser.parse_args(argv)
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
        result = run_beir(folder)
        rows.append({"set": name, "system": "silian", **result})
        for row in rows:
            if row["set"] == name and base:
                row["ndcg_ratio"] = row["ndcg@10"] / base["ndcg@10"]
                row["mrr_ratio"] = row["mrr@10"] / base["mrr@10"]
        print(f"# {name} done", file=sys.stderr, flush=True)
    print(
        "| set | system | nDCG@10 | MRR@10 | Recall@100 | ×nDCG | ×MRR "
        "| p50 ms | p95 ms | build s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['set']} | {r['system']} | {r['ndcg@10']:.4f} | {r['mrr@10']:.4f} | "
            f"{r['recall@100']:.4f} | {r['ndcg_ratio']:.3f} | {r['mrr_ratio']:.3f} | "
            f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['build_s']:.1f} |"
        )
    if args.json:
        args.json.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
