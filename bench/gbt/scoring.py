"""Scores of a GB/T 4754 tagger against hand labels: top-1, top-2, 门类, coverage, ``none``."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from silian.matching.text import REFERENCE_DATA

HERE = Path(__file__).resolve().parent
RECORDS = HERE / "records.jsonl"
LABELS = HERE / "labels.tsv"
NONE = "none"


class LabelError(ValueError):
    """A labels or records file that cannot be scored (message names the row)."""


@dataclass(frozen=True)
class Figures:
    """The tagger's figures on one set of records.

    Accuracies are over the ``labelled`` records (those with at least one division); coverage is
    over all records; ``none_precision`` is the share of untagged records labelled ``none`` and
    ``none_recall`` the share of ``none`` records left untagged (``None`` when undefined).
    """

    records: int
    labelled: int
    top1: float
    top2: float
    section: float
    coverage: float
    none_precision: float | None
    none_recall: float | None


def sections() -> dict[str, str]:
    """Division code (two digits) → section letter (门类), from the shipped GB/T 4754 csv."""
    out: dict[str, str] = {}
    path = REFERENCE_DATA / "gbt4754_2017_with_descriptions.csv"
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = row["INDUSTRY_ID"].strip()
            if len(code) == 2 and code.isdigit():
                out[code] = row["PARENT_ID"].strip()
    return out


def load_records(path: Path = RECORDS) -> dict[str, str]:
    """Record id → text, in file order."""
    out: dict[str, str] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                out[str(row["id"])] = str(row["text"])
    return out


def load_labels(
    path: Path = LABELS, known: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Record id → labelled division codes (primary first; an empty list means ``none``)."""
    known = known if known is not None else sections()
    out: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as handle:
        for n, row in enumerate(csv.DictReader(handle, delimiter="\t"), 2):
            codes = [c.strip() for c in (row.get("codes") or "").split(",") if c.strip()]
            if codes == [NONE]:
                out[row["id"]] = []
                continue
            if not codes or len(codes) > 2 or any(c not in known for c in codes):
                raise LabelError(f"labels.tsv 第 {n} 行：codes 应为 1–2 个大类代码或 none")
            out[row["id"]] = codes
    return out


def score(
    labels: Mapping[str, Sequence[str]],
    predicted: Mapping[str, Sequence[str]],
    section_of: Mapping[str, str],
    ids: Sequence[str] | None = None,
) -> Figures:
    """Figures over ``ids`` (default: all labelled ids); a missing prediction counts as untagged."""
    ids = list(ids) if ids is not None else list(labels)
    labelled = [i for i in ids if labels[i]]
    top1 = top2 = same_section = 0
    for i in labelled:
        gold, guess = list(labels[i]), list(predicted.get(i, []))
        if guess and guess[0] == gold[0]:
            top1 += 1
        if set(guess[:2]) & set(gold):
            top2 += 1
        if guess and section_of.get(guess[0]) == section_of.get(gold[0]):
            same_section += 1
    tagged = [i for i in ids if predicted.get(i)]
    untagged = [i for i in ids if not predicted.get(i)]
    nones = [i for i in ids if not labels[i]]
    right_none = sum(1 for i in untagged if not labels[i])
    n = len(labelled)
    return Figures(
        records=len(ids),
        labelled=n,
        top1=top1 / n if n else 0.0,
        top2=top2 / n if n else 0.0,
        section=same_section / n if n else 0.0,
        coverage=len(tagged) / len(ids) if ids else 0.0,
        none_precision=right_none / len(untagged) if untagged else None,
        none_recall=right_none / len(nones) if nones else None,
    )


def confusions(
    labels: Mapping[str, Sequence[str]],
    predicted: Mapping[str, Sequence[str]],
    ids: Sequence[str] | None = None,
) -> Counter[tuple[str, str]]:
    """(primary label, tagger's first code) pairs of the top-1 errors; ``none`` for no code."""
    ids = list(ids) if ids is not None else list(labels)
    out: Counter[tuple[str, str]] = Counter()
    for i in ids:
        gold = labels[i][0] if labels[i] else NONE
        guess = list(predicted.get(i, []))
        first = guess[0] if guess else NONE
        if gold != first:
            out[(gold, first)] += 1
    return out
