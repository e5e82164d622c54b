"""Fusion: how the signals' values become one score, a candidate pool, a ranking and shares.

Slot signals (scored over every slot) are z-normalised over the live slots, multiplied by their
weight and, for the lexical channels, given a bonus for being near the query's best match; their
sum ranks the slots and the best of them form the pool. Pool signals then add ``weight ×
value`` to each pooled slot and the pool is sorted by the sum. Each hit's share of its score
per signal (positive parts only) is what the reasons and the result list show.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from silian.matching.arrays import top_bonus, top_slots, zscore
from silian.matching.signals.base import PoolScore, Query, Signal, SlotScore

__all__ = ["Extra", "Scored", "rerank", "score_slots", "shares", "top_bonus", "top_slots", "zscore"]

Extra = dict[str, tuple[float, Any]]
"""Per hit: each applying pool signal's (contribution, detail)."""


@dataclass
class Scored:
    """The slot stage of one query: each signal's contribution, their sum, the evidence."""

    query: Query
    contributions: dict[str, NDArray[np.float32]]
    total: NDArray[np.float32]
    # Slots with some content evidence (None: no enabled signal gives evidence).
    evidence: NDArray[np.bool_] | None


def score_slots(signals: Sequence[Signal], query: Query) -> Scored:
    """Score every slot with the slot signals, in order, and sum their contributions.

    A signal sees the sum so far in ``query.fused`` (the discipline signal's pseudo-relevance
    feedback reads its top slots).
    """
    contributions: dict[str, NDArray[np.float32]] = {}
    total: NDArray[np.float32] | None = None
    evidence: NDArray[np.bool_] | None = None
    for signal in signals:
        result = signal.score(query, None)
        if not isinstance(result, SlotScore):
            raise TypeError(f"slot signal {signal.name} returned {type(result).__name__}")
        query.raw[signal.name] = result.raw
        # In place: each pass over a million slots costs about a millisecond.
        z = zscore(result.raw, query.everyone)
        z *= np.float32(result.weight)
        if result.bonus is not None:
            z += result.bonus
        contributions[signal.name] = z
        if total is None:
            total = z.copy()
        else:
            total += z
        query.fused = total
        if result.evidence is not None:
            evidence = result.evidence if evidence is None else evidence | result.evidence
    if total is None:
        total = np.zeros(query.n_slots, np.float32)
    return Scored(query, contributions, total, evidence)


def rerank(
    signals: Sequence[Signal], pool: NDArray[np.int64], scored: Scored, limit: int | None = None
) -> list[tuple[int, float, Extra]]:
    """The pool re-ranked by slot total plus each pool signal's ``weight × value``, best first
    (the first ``limit`` of them; all when None)."""
    query = scored.query
    query.now = time.time()
    totals = scored.total[pool].astype(np.float64)
    results: list[tuple[str, PoolScore]] = []
    for signal in signals:
        result = signal.score(query, pool)
        if result is None:
            continue
        if not isinstance(result, PoolScore):
            raise TypeError(f"pool signal {signal.name} returned {type(result).__name__}")
        totals = totals + result.weight * result.values
        results.append((signal.name, result))
    order = np.argsort(-totals, kind="stable")[:limit]
    out: list[tuple[int, float, Extra]] = []
    for i in order.tolist():
        extra: Extra = {
            name: (r.weight * float(r.values[i]), r.details[i])
            for name, r in results
            if r.applies[i]
        }
        out.append((int(pool[i]), float(totals[i]), extra))
    return out


def shares(
    names: Sequence[str],
    slot: int,
    contributions: Mapping[str, NDArray[np.float32]],
    extra: Mapping[str, tuple[float, Any]],
) -> dict[str, float]:
    """Each named signal's share of a hit's positive contributions (0 for absent ones)."""
    contrib: dict[str, float] = {}
    for name in names:
        if name in contributions:
            contrib[name] = float(contributions[name][slot])
        else:
            contrib[name] = float(extra[name][0]) if name in extra else 0.0
    positive = {k: max(v, 0.0) for k, v in contrib.items()}
    denom = sum(positive.values()) or 1.0
    return {k: round(v / denom, 4) for k, v in positive.items()}
