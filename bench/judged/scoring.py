"""Figures on the judged set: nDCG@10, P@10 and MRR@10 with graded judgments, and coverage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from silian.matching.evaluate import mrr_at_k, ndcg_at_k

K = 10


def precision_at_k(ranked: Sequence[str], judged: Mapping[str, int], k: int = K) -> float:
    """Share of the k slots holding a document graded ≥ 1 (a short list counts as k slots)."""
    return sum(1 for doc in ranked[:k] if judged.get(doc, 0) >= 1) / k


@dataclass
class Figures:
    """One system's figures over a set of demands."""

    ndcg: float
    precision: float
    mrr: float
    scored: int


def coverage(
    run: Mapping[str, Sequence[str]], judged: Mapping[str, Mapping[str, int]], k: int = K
) -> tuple[int, int]:
    """(judged documents, documents returned) over every demand's top k."""
    slots = [(q, doc) for q, docs in run.items() for doc in docs[:k]]
    return sum(1 for q, doc in slots if doc in judged.get(q, {})), len(slots)


def relevant_demands(judged: Mapping[str, Mapping[str, int]], qids: Sequence[str]) -> list[str]:
    """The demands with at least one document graded ≥ 1 (the others have no answer to find)."""
    return [q for q in qids if any(g >= 1 for g in judged.get(q, {}).values())]


def score(
    run: Mapping[str, Sequence[str]],
    judged: Mapping[str, Mapping[str, int]],
    qids: Sequence[str],
    k: int = K,
) -> Figures:
    """Mean nDCG@k, P@k (grade ≥ 1) and MRR@k (first grade ≥ 1) over ``qids``.

    Unjudged documents count as 0; the ideal ranking for nDCG is made of the demand's judged
    documents.
    """
    if not qids:
        return Figures(0.0, 0.0, 0.0, 0)
    n = len(qids)
    grades = {q: judged.get(q, {}) for q in qids}
    return Figures(
        ndcg=sum(ndcg_at_k(run.get(q, []), grades[q], k) for q in qids) / n,
        precision=sum(precision_at_k(run.get(q, []), grades[q], k) for q in qids) / n,
        mrr=sum(mrr_at_k(run.get(q, []), grades[q], k) for q in qids) / n,
        scored=n,
    )


def ratio(value: float, base: float) -> float:
    """value / base, NaN when the base is 0."""
    return value / base if base else float("nan")
