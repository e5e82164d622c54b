"""GB/T 4754 tagger figures on the 200 hand-labelled records of ``bench/gbt``.

Usage:
    .venv/bin/python -m bench.gbt [--split all|tune|held] [--errors N] [--no-bridge]

Runs the product's ``IndustryTagger`` (top 2, its default floor) on ``records.jsonl``, once on
TF-IDF similarity alone and once with the discipline bridge (the discipline classifier's
distribution through ``DISCIPLINE_INDUSTRIES``; trained on first use, about 90 s), and scores
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
from silian.matching.classify import IndustryTagger, discipline_classifier

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
    parser.add_argument(
        "--no-bridge", dest="bridge", action="store_false", help="TF-IDF similarity only"
    )
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
    runs = {"TF-IDF only": tagger.tag([texts[i] for i in ids])}
    if args.bridge:
        clf = discipline_classifier()
        runs["with discipline bridge"] = tagger.tag([texts[i] for i in ids], classifier=clf)
    elapsed = time.perf_counter() - started
    figures = {}
    predicted: dict[str, dict[str, list[str]]] = {}
    for name, tags in runs.items():
        predicted[name] = dict(zip(ids, tags, strict=True))
        figures[name] = score(labels, predicted[name], section_of, ids)
    first = next(iter(figures.values()))
    print(f"# GB/T 4754 tagging, split {args.split}: {first.records} records")
    print(
        f"# {first.labelled} with a division label, {first.records - first.labelled} labelled none"
    )
    print(f"# tagger(s) built and run in {elapsed:.1f} s")
    print()
    print("| figure | " + " | ".join(figures) + " |")
    print("|---|" + "---|" * len(figures))
    rows = (
        ("top-1 accuracy (first code = primary label)", "top1"),
        ("top-2 hit rate (any code among the labels)", "top2"),
        ("门类 accuracy (section of first code)", "section"),
        ("coverage (records given any code)", "coverage"),
        ("none precision (untagged records labelled none)", "none_precision"),
        ("none recall (none records left untagged)", "none_recall"),
    )
    for title, attr in rows:
        print(f"| {title} | " + " | ".join(_pct(getattr(f, attr)) for f in figures.values()) + " |")
    for name in figures:
        print()
        print(f"## {name}: most frequent top-1 errors (label → first code), top {args.errors}")
        print()
        print("| label | tagger | count |")
        print("|---|---|---|")
        pairs = confusions(labels, predicted[name], ids).most_common(args.errors)
        for (gold, guess), count in pairs:
            gold_name = gold if gold == "none" else f"{gold} {tagger.name(gold)}"
            guess_name = guess if guess == "none" else f"{guess} {tagger.name(guess)}"
            print(f"| {gold_name} | {guess_name} | {count} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
