"""Ablation by signal name: the engine with each signal switched off in turn, beside the full
engine and bm25s+jieba, on the dev benchmarks in one run.

Usage: .venv/bin/python -m bench.ablation [--data ../shared/data/bench] [--sets dev-hard,...]
       [--json FILE]   (also: .venv/bin/python -m bench.quality --ablate)

One engine is built per set; a signal is switched off at query time by naming it in
``EngineConfig.disabled`` (the index keeps its data), so every row ranks the same index. A
switched-off signal gives no score, no share, no reasons and, for the content signals (bm25,
bigram, semantic), no content evidence. Prints nDCG@10, strict nDCG@10 (grades 2–3), MRR@10
and Recall@100 per row, and the change from the full engine; the full engine's row equals
``bench.quality``'s silian row.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.baselines import Bm25sJieba, timed_search
from bench.quality import DEFAULT_DATA, strict_ndcg
from silian.matching.engine import SIGNALS, Engine, EngineConfig
from silian.matching.evaluate import BeirSet, load_beir, score_run

TOP = 100
FULL = "silian"


def engine_runs(
    data: BeirSet, signals: Sequence[str] = SIGNALS, config: EngineConfig | None = None
) -> dict[str, dict[str, list[str]]]:
    """Ranked ids per query for the full engine and for it without each of ``signals``."""
    engine = Engine.build(data.corpus, replace(config) if config else None)
    engine.query("预热", limit=1)
    variants: list[tuple[str, list[str]]] = [(FULL, [])]
    variants += [(f"silian − {name}", [name]) for name in signals]
    runs: dict[str, dict[str, list[str]]] = {}
    for label, disabled in variants:
        engine.config.disabled = disabled
        runs[label] = {
            qid: [h.doc_id for h in engine.query(text, limit=TOP, reasons=False)]
            for qid, text in data.queries
        }
    engine.config.disabled = []
    return runs


def ablation_rows(
    name: str, data: BeirSet, config: EngineConfig | None = None
) -> list[dict[str, Any]]:
    """Rows of one set: bm25s+jieba, the full engine, and one per switched-off signal."""
    baseline = Bm25sJieba()
    baseline.build(data.corpus)
    runs = {baseline.name: timed_search(baseline, data.queries, TOP)[0]}
    runs.update(engine_runs(data, config=config))
    rows = []
    for system, run in runs.items():
        metrics = score_run(run, data.qrels)
        metrics["strict_ndcg@10"] = strict_ndcg(run, data.qrels)
        rows.append({"set": name, "system": system, **metrics})
    full = next(r for r in rows if r["system"] == FULL)
    for row in rows:
        for key in ("ndcg@10", "strict_ndcg@10", "mrr@10"):
            row[f"delta_{key}"] = row[key] - full[key]
    return rows


def print_table(rows: Sequence[dict[str, Any]]) -> None:
    """The rows as a Markdown table (changes are against the full engine of the same set)."""
    print(
        "| set | system | nDCG@10 | strict nDCG@10 | MRR@10 | Recall@100 | ΔnDCG | Δstrict | ΔMRR |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['set']} | {r['system']} | {r['ndcg@10']:.4f} | {r['strict_ndcg@10']:.4f} | "
            f"{r['mrr@10']:.4f} | {r['recall@100']:.4f} | {r['delta_ndcg@10']:+.4f} | "
            f"{r['delta_strict_ndcg@10']:+.4f} | {r['delta_mrr@10']:+.4f} |"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the ablation on every set and print the table (and JSON lines to --json)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sets", default="dev-hard,dev-demands,dev-keywords")
    parser.add_argument("--json", type=Path, default=None, help="also write JSON lines here")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    for name in args.sets.split(","):
        rows += ablation_rows(name, load_beir(args.data / name))
        print(f"# {name} done", file=sys.stderr, flush=True)
    print_table(rows)
    if args.json:
        args.json.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
