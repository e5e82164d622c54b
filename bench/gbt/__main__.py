"""GB/T 4754 tagger figures on the 200 hand-labelled records of ``bench/gbt``.

Usage:
    .venv/bin/python -m bench.gbt [--split all|tune|held] [--errors N] [--no-bridge]
    .venv/bin/python -m bench.gbt --split tune --sweep     # none rule × temperature grid
    .venv/bin/python -m bench.gbt --chains [--chain-split dev|check]

Runs the product's ``IndustryTagger`` (top 2, its default floor) on ``records.jsonl``, once on
TF-IDF similarity alone, once with the discipline bridge (the discipline classifier's
distribution through ``DISCIPLINE_INDUSTRIES``; trained on first use, about 90 s), and three times
the way the matching engine tags a record (its first words: TF-IDF only, as before the bridge;
with the word model's distribution from the discipline signal, without and with the ``none``
rule, ``NONE_MASS``), and scores them against
``labels.tsv`` (labelled blind, see ``LABELLING.md``): top-1 accuracy (first code ==
primary label), top-2 hit rate (any returned code among the labels), 门类 accuracy (section of
the first code == section of the primary label) — all three over the records that have a label —
coverage (share of all records given any code) and the ``none`` handling (precision and recall of
leaving a record untagged as a prediction of ``none``), then the most frequent top-1 errors.
``tune`` is the odd-numbered half (g001, g003 …), ``held`` the even-numbered half: tune a change on
one, report it on the other. ``--sweep`` prints the engine path's figures for a grid of
``none`` thresholds and softmax temperatures (tune on ``--split tune``); ``--chains`` scores the
chains ``chains.yaml`` derives from the engine's tags against the demands of ``bench/judged``
(``dev`` or ``check`` split; never the held-out one).
"""

from __future__ import annotations

import argparse
import sys
import time

from bench.gbt.engine import (
    EngineTagger,
    by_id,
    chain_figures,
    none_masses_default,
    temperatures_default,
)
from bench.gbt.scoring import (
    LabelError,
    confusions,
    load_labels,
    load_records,
    score,
    sections,
)
from silian.matching.classify import (
    NONE_MASS,
    TOKEN_TEMPERATURE,
    IndustryTagger,
    discipline_classifier,
)

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
    parser.add_argument("--sweep", action="store_true", help="none rule × temperature grid")
    parser.add_argument("--chains", action="store_true", help="chains on the judged demands")
    parser.add_argument("--chain-split", default="dev", choices=("dev", "check"))
    args = parser.parse_args(argv)
    if args.chains:
        return _chains(args.chain_split)
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
    if args.sweep:
        return _sweep(ids, texts, labels, section_of)
    started = time.perf_counter()
    tagger = IndustryTagger()
    runs = {"TF-IDF only": tagger.tag([texts[i] for i in ids])}
    if args.bridge:
        clf = discipline_classifier()
        chosen = [texts[i] for i in ids]
        runs["with discipline bridge"] = tagger.tag(chosen, classifier=clf)
        engine = EngineTagger()
        # The engine's path before the bridge: its first words, TF-IDF only.
        runs["engine, TF-IDF only"] = engine.industry.tag(engine.analysed(chosen))
        plain = engine.sweep(chosen, [TOKEN_TEMPERATURE], [None])
        runs["engine, no none rule"] = plain[TOKEN_TEMPERATURE, None]
        runs["engine (bridge + none rule)"] = engine.tags(chosen)
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


def _sweep(
    ids: list[str],
    texts: dict[str, str],
    labels: dict[str, list[str]],
    section_of: dict[str, str],
) -> int:
    """The engine path's figures over the none-rule × temperature grid."""
    engine = EngineTagger()
    grid = engine.sweep([texts[i] for i in ids], temperatures_default(), none_masses_default())
    print(f"# engine path on {len(ids)} records; shipped: T={TOKEN_TEMPERATURE}, none={NONE_MASS}")
    print()
    print("| temperature | none mass | top-1 | top-2 | 门类 | coverage | none P | none R |")
    print("|---|---|---|---|---|---|---|---|")
    for (temperature, mass), tags in grid.items():
        f = score(labels, by_id(ids, tags), section_of, ids)
        cells = (f.top1, f.top2, f.section, f.coverage, f.none_precision, f.none_recall)
        mass_cell = "off" if mass is None else f"{mass:.1f}"
        print(f"| {temperature} | {mass_cell} | " + " | ".join(_pct(c) for c in cells) + " |")
    return 0


def _chains(split: str) -> int:
    """Chains derived from the engine's tags against the judged demands' chains."""
    figures, lines = chain_figures(EngineTagger(), split)
    print(f"# chains from engine tags, bench/judged split {split}: {figures.demands} demands")
    print()
    print("| figure | value |")
    print("|---|---|")
    print(f"| demands with a chain | {figures.with_chain} |")
    print(f"| chain among the derived chains | {_pct(figures.hit)} |")
    print(f"| derived chains = exactly the chain | {_pct(figures.only)} |")
    print(f"| derived chains per demand (mean) | {figures.mean_chains:.2f} |")
    print(f"| office demands (no chain) left without one | {_pct(figures.untagged_office)} |")
    print()
    print("| demand | chain | divisions | derived chains |")
    print("|---|---|---|---|")
    for line in lines:
        print("| " + " | ".join(line.split("\t")) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
