"""Array helpers of scoring: z-scores over the live slots, top-k selection, the near-best bonus."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

Live = NDArray[np.bool_] | None
"""Live slots; None when every slot is live (no copy of the values needed)."""


def zscore(values: NDArray[np.float32], live: Live) -> NDArray[np.float32]:
    """(values − mean) / std over the live slots; zeros when the values are all equal."""
    if live is None:
        if values.size == 0:
            return np.zeros_like(values)
        centred = values - np.float32(values.mean(dtype=np.float64))
        std = math.sqrt(float(np.dot(centred, centred)) / values.size)
    else:
        sel = values[live]
        if sel.size == 0:
            return np.zeros_like(values)
        mean = float(sel.mean(dtype=np.float64))
        std = float(sel.std(dtype=np.float64))
        centred = values - np.float32(mean)
    if std < 1e-9:
        return np.zeros_like(values)
    centred *= np.float32(1.0 / std)
    return np.asarray(centred, np.float32)


def top_slots(scores: NDArray[np.float32], mask: Live, k: int) -> NDArray[np.int64]:
    """Indices of the k best masked scores (``None``: all), best first."""
    if k <= 0:
        return np.zeros(0, np.int64)
    if mask is None:
        if scores.shape[0] > k:
            part = np.argpartition(-scores, k - 1)[:k]
        else:
            part = np.arange(scores.shape[0])
        order = np.argsort(-scores[part], kind="stable")
        return np.asarray(part[order], np.int64)
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return np.zeros(0, np.int64)
    sub = scores[idx]
    if idx.size > k:
        part = np.argpartition(-sub, k - 1)[:k]
        idx, sub = idx[part], sub[part]
    order = np.argsort(-sub, kind="stable")
    return np.asarray(idx[order], np.int64)


def top_bonus(values: NDArray[np.float32], live: Live, power: float) -> NDArray[np.float32]:
    """(values / their live maximum) ** power: near 1 only for the query's best matches."""
    sel = values if live is None else values[live]
    top = float(sel.max()) if sel.size else 0.0
    if top <= 0:
        return np.zeros_like(values)
    out = values * np.float32(1.0 / top)
    k = int(power) if float(power).is_integer() else 0
    if k >= 1 and k & (k - 1) == 0:
        # A power of two (the tuned 4): square this array in place, no temporary per step.
        while k > 1:
            np.multiply(out, out, out=out)
            k >>= 1
        return out
    if float(power).is_integer() and power >= 1:
        # Exponentiation by squaring: np.power with a float exponent was the costliest
        # step of a query at 300k documents (3 ms of 27).
        base, result, k = out, None, int(power)
        while k:
            if k & 1:
                result = base.copy() if result is None else result * base
            k >>= 1
            if k:
                base = base * base
        return np.asarray(result, np.float32)
    return np.asarray(out**power, np.float32)
