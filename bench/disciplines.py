"""Accuracy of the CSL discipline classifier on the 1,000 CSL dev papers (67 disciplines).

Usage: .venv/bin/python -m bench.disciplines [--data ../shared/data/csl/csl_dev_1000.jsonl]
       [--with-held-out]

Trains the classifier from scratch exactly as the product does on first use
(:func:`silian.matching.classify.train_discipline_classifier`, never the cache) and prints a
Markdown table: accuracy, macro-F1 and category accuracy (the discipline's 门类) per input
variant, and the training time. The variants are title + abstract, title + keywords + abstract,
the abstract alone, and the fast path used for indexed documents (``predict_tokens`` over the
words of title + text, as ``Engine._predict_disciplines`` does).

``--with-held-out`` trains on every CSLDCP row, including the few abstracts that repeat a dev
paper (the product leaves them out); it only shows how much that leak was worth.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from sklearn.metrics import f1_score

from silian.matching.classify import (
    DisciplineClassifier,
    load_csldcp,
    train_discipline_classifier,
)
from silian.matching.text import Analyzer
from silian.reference.data import csl_disciplines

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/data/csl/csl_dev_1000.jsonl"


def load_papers(path: Path) -> list[dict[str, Any]]:
    """The dev papers: title, abstract, keywords (list), category, discipline."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def variants(papers: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The input texts of each variant, one per paper."""
    return {
        "title+abstract": [f"{p['title']} {p['abstract']}" for p in papers],
        "title+keywords+abstract": [
            f"{p['title']} {' '.join(p['keywords'])} {p['abstract']}" for p in papers
        ],
        "abstract": [str(p["abstract"]) for p in papers],
    }


def fast_path_tokens(papers: list[dict[str, Any]], analyzer: Analyzer) -> list[list[str]]:
    """Word tokens as the engine feeds them to ``predict_tokens`` for an indexed document."""
    return [analyzer.words(p["title"]) + analyzer.words(p["abstract"]) for p in papers]


def score(gold: list[str], predicted: list[str], category: dict[str, str]) -> dict[str, float]:
    """Accuracy, macro-F1 (over the disciplines present in gold or predicted) and 门类 accuracy."""
    n = len(gold)
    return {
        "accuracy": sum(g == p for g, p in zip(gold, predicted, strict=True)) / n,
        "macro_f1": float(f1_score(gold, predicted, average="macro", zero_division=0)),
        "category": sum(
            category.get(g) == category.get(p) for g, p in zip(gold, predicted, strict=True)
        )
        / n,
    }


def main(argv: list[str] | None = None) -> int:
    """Train, predict every variant and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--with-held-out",
        action="store_true",
        help="train on all CSLDCP rows, including abstracts that repeat a dev paper",
    )
    args = parser.parse_args(argv)
    papers = load_papers(args.data)
    gold = [str(p["discipline"]) for p in papers]
    category = {d.name: d.category for d in csl_disciplines()}
    analyzer = Analyzer()

    t0 = time.perf_counter()
    if args.with_held_out:
        texts, labels = load_csldcp()
        model = DisciplineClassifier.train(texts, labels, analyzer)
    else:
        model = train_discipline_classifier(analyzer)
    train_s = time.perf_counter() - t0

    rows: list[tuple[str, dict[str, float]]] = []
    for name, texts in variants(papers).items():
        rows.append((name, score(gold, model.predict(texts), category)))
    tokens = fast_path_tokens(papers, analyzer)
    rows.append(("fast path (predict_tokens)", score(gold, model.predict_tokens(tokens), category)))

    print(f"CSL dev papers: {len(papers)}; training: {train_s:.1f} s")
    print()
    print("| input | accuracy | macro-F1 | category accuracy |")
    print("|---|---|---|---|")
    for name, m in rows:
        print(f"| {name} | {m['accuracy']:.3f} | {m['macro_f1']:.3f} | {m['category']:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
