"""GB/T 4754 tagger figures on the 200 hand-labelled records of ``bench/gbt``.

Usage:
    .venv/bin/python -m bench.gbt [--split all|tune|held] [--errors N]

Runs the product's ``IndustryTagger`` (top 2, its default floor) on ``records.jsonl`` and scores
it against ``labels.tsv`` (labelled blind, see ``LABELLING.md``): top-1 accuracy (first code ==
primary label), top-2 hit rate (any returned code among the labels), 门类 accuracy (section of
the first code == section of the primary label) — all three over the records that have a label —
coverage (share of all records given any code) and the ``none`` handling (precision and recall of
leaving a record untagged as a prediction of ``none``), then the most frequent top-1 errors.
``tune`` is the odd-numbered half (g001, g003 …), ``held`` the even-numbered half: tune a change on
one, report it on the other.
"""

from __future__ import annotations

import argparse
import sys
import time

from bench.gbt.scoring import (
    LabelError,
    confusions,
    load_labels,
    load_records,
    score,
    sections,
)
from silian.matching.classify import IndustryTagger

SPLITS = ("all", "tune", "held")


def split_ids(ids: list[str], split: str) -> list[str]:
    """The record ids of a split: tune = odd-numbered, held = even-numbered, all = every one."""
    if split == "all":
        return ids
    parity = 1 if split == "tune" else 0
    return [i for i in ids if int(i.lstrip("g")) % 2 == parity]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def main(argv: list[str] | None = None) -> int:
    """Tag the records, print the figures table and the confusion summary."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--split", default="all", choices=SPLITS)
    parser.add_argument("--errors", type=int, default=12, help="how many error pairs to list")
    args = parser.parse_args(argv)
    section_of = sections()
    try:
        texts = load_records()
        labels = load_labels(known=section_of)
    except LabelError as exc:
        print(exc, file=sys.stderr)
        return 2
    missing = sorted(set(texts) ^ set(labels))
    if missing:
        shown = ", ".join(missing[:5])
        print(f"records.jsonl 与 labels.tsv 的 id 不一致：{shown}", file=sys.stderr)
        return 2
    ids = split_ids(list(texts), args.split)
    started = time.perf_counter()
    tagger = IndustryTagger()
    tags = tagger.tag([texts[i] for i in ids])
    elapsed = time.perf_counter() - started
    predicted = dict(zip(ids, tags, strict=True))
    fig = score(labels, predicted, section_of, ids)
    print(f"# GB/T 4754 tagging, split {args.split}: {fig.records} records")
    print(f"# {fig.labelled} with a division label, {fig.records - fig.labelled} labelled none")
    print(f"# tagger built and run in {elapsed:.1f} s")
    print()
    print("| figure | value |")
    print("|---|---|")
    print(f"| top-1 accuracy (first code = primary label) | {_pct(fig.top1)} |")
    print(f"| top-2 hit rate (any code among the labels) | {_pct(fig.top2)} |")
    print(f"| 门类 accuracy (section of first code) | {_pct(fig.section)} |")
    print(f"| coverage (records given any code) | {_pct(fig.coverage)} |")
    print(f"| none precision (untagged records labelled none) | {_pct(fig.none_precision)} |")
    print(f"| none recall (none records left untagged) | {_pct(fig.none_recall)} |")
    print()
    print(f"## Most frequent top-1 errors (label → tagger's first code), top {args.errors}")
    print()
    print("| label | tagger | count |")
    print("|---|---|---|")
    for (gold, guess), count in confusions(labels, predicted, ids).most_common(args.errors):
        gold_name = gold if gold == "none" else f"{gold} {tagger.name(gold)}"
        guess_name = guess if guess == "none" else f"{guess} {tagger.name(guess)}"
        print(f"| {gold_name} | {guess_name} | {count} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
