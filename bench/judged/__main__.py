"""Judged dev set figures: Silian beside bm25s+jieba, both run now, scored on blind judgments.

Usage:
    .venv/bin/python -m bench.judged [--split dev|check|heldout|all] [--corpus FILE]
        [--variant NAME:weight=value,...] [--partial] [--json FILE]

Builds both systems on the corpus (the dev-demands corpus by default), runs the demands of the
split, and scores each top 10 against ``judgments.tsv`` together with any answer sheet already
filled in: nDCG@10 (grades 0/1/2 as gains), P@10 (share of the 10 slots graded ≥ 1) and MRR@10
(first document graded ≥ 1), averaged over the demands that have at least one document graded
≥ 1, with the ratio to bm25s+jieba, then the same per style (everyday sentences, 榜单 entries).
It first prints the judged coverage of each system's top 10. Below 100 % the figures are
withheld (an unjudged document would silently count as 0) unless ``--partial`` is given; then run
``python -m bench.judged.pool`` and have the new packets judged.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.judged import data
from bench.judged.data import JudgedError
from bench.judged.scoring import K, coverage, ratio, relevant_demands, score
from bench.judged.systems import BM25S, SILIAN, load_corpus, parse_variant, run_systems


def main(argv: list[str] | None = None) -> int:
    """Run both systems, print coverage, then the figures table (or why it is withheld)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", default="dev", choices=(*data.SPLITS, "all"))
    parser.add_argument("--corpus", type=Path, default=data.DEFAULT_CORPUS)
    parser.add_argument("--queries", type=Path, default=data.QUERIES)
    parser.add_argument("--variant", action="append", default=[], help="NAME:weight=value,...")
    parser.add_argument("--partial", action="store_true", help="print figures below 100 %% too")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    try:
        variants = dict(parse_variant(v) for v in args.variant)
        demands = data.load_demands(args.queries, args.split)
        judged = data.all_judgments(data.JUDGMENTS, data.POOL, data.PACKETS)
        runs = run_systems(load_corpus(args.corpus), demands, K, variants)
    except JudgedError as exc:
        print(exc, file=sys.stderr)
        return 2
    qids = [d.id for d in demands]
    scored = relevant_demands(judged, qids)
    print(f"# Judged set, split {args.split}: {len(qids)} demands; corpus {args.corpus}")
    print()
    print(f"## Judged coverage of each top {K} (unjudged documents count as 0)")
    print()
    print("| system | judged / returned | coverage |")
    print("|---|---|---|")
    complete = True
    cover: dict[str, float] = {}
    for name, run in runs.items():
        done, slots = coverage(run, judged)
        cover[name] = done / slots if slots else 1.0
        complete &= done == slots
        print(f"| {name} | {done} / {slots} | **{100 * cover[name]:.1f} %** |")
    print()
    if not complete:
        missing = sum(slots - done for done, slots in (coverage(r, judged) for r in runs.values()))
        print(f"**COVERAGE BELOW 100 %: {missing} top-{K} slots hold unjudged documents.**")
        print("Run `python -m bench.judged.pool` and have the new packets judged blind.")
        if not args.partial:
            print("Figures withheld (pass --partial to see them with unjudged documents as 0).")
            return 3
        print("PARTIAL figures follow: every unjudged document counts as not relevant.")
        print()
    print(
        f"## Figures over the {len(scored)} of {len(qids)} demands with a document graded ≥ 1 "
        f"(the other {len(qids) - len(scored)} have no judged answer in the pool)"
    )
    print()
    base = score(runs[BM25S], judged, scored)
    rows = []
    print(f"| system | nDCG@{K} | P@{K} (≥1) | MRR@{K} (≥1) | ×nDCG | ×P | ×MRR | coverage |")
    print("|---|---|---|---|---|---|---|---|")
    for name, run in runs.items():
        fig = score(run, judged, scored)
        row = {
            "split": args.split,
            "system": name,
            "demands": len(qids),
            "scored": fig.scored,
            "ndcg@10": fig.ndcg,
            "p@10": fig.precision,
            "mrr@10": fig.mrr,
            "ndcg_ratio": ratio(fig.ndcg, base.ndcg),
            "p_ratio": ratio(fig.precision, base.precision),
            "mrr_ratio": ratio(fig.mrr, base.mrr),
            "coverage": cover[name],
        }
        rows.append(row)
        bold = "**" if name == SILIAN else ""
        print(
            f"| {bold}{name}{bold} | {fig.ndcg:.3f} | {fig.precision:.3f} | {fig.mrr:.3f} | "
            f"{row['ndcg_ratio']:.2f} | {row['p_ratio']:.2f} | {row['mrr_ratio']:.2f} | "
            f"{100 * cover[name]:.1f} % |"
        )
    print()
    print("By style (same demands, split by how they are written):")
    print()
    print(f"| style | demands | system | nDCG@{K} | P@{K} (≥1) | MRR@{K} (≥1) |")
    print("|---|---|---|---|---|---|")
    style = {d.id: d.style for d in demands}
    for kind in sorted({d.style for d in demands}):
        subset = [q for q in scored if style[q] == kind]
        for name, run in runs.items():
            fig = score(run, judged, subset)
            print(
                f"| {kind} | {len(subset)} | {name} | {fig.ndcg:.3f} | {fig.precision:.3f} | "
                f"{fig.mrr:.3f} |"
            )
    if args.json:
        args.json.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return 0 if complete else 3


if __name__ == "__main__":
    raise SystemExit(main())
