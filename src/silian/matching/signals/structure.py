"""The ``structure`` signal: fit of a pooled record's maturity (TRL), price, region and recency
with the query's profile, the mean of the fits that are known.

A supply asking (``profile.offers``) compares the other way round: its offered TRL must reach
the demand's wanted one and its asking price fit the demand's budget. It reads the record
columns and re-ranks the candidate pool.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from silian.matching.documents import Profile, Reason
from silian.matching.records import region_code
from silian.matching.signals.base import Explanation, Parts, Passive, PoolScore, Query, Stage

RECENT_DAYS = 90


class StructureSignal(Passive):
    """Structured fit between the profile and the pooled records."""

    name = "structure"
    stage: Stage = "pool"

    def __init__(self, parts: Parts) -> None:
        """Read TRL, price, region and update time from ``parts.records``."""
        self.parts = parts
        self.records = parts.records

    def fit(self, pool: NDArray[np.int64], profile: Profile, now: float) -> NDArray[np.float64]:
        """Mean of the known fits (TRL, budget, region, recency) per pooled slot; NaN if none."""
        records = self.records
        parts: list[NDArray[np.float64]] = []
        if profile.trl:
            col = records.col_trl.data[pool].astype(np.float64)
            # Offered readiness must reach the wanted one, whichever side asks.
            offered, wanted = (profile.trl, col) if profile.offers else (col, profile.trl)
            fit = np.where(offered >= wanted, 1.0, np.maximum(0.0, 1 - (wanted - offered) / 4))
            parts.append(np.where(col > 0, fit, np.nan))
        if profile.budget:
            col = records.col_price.data[pool].astype(np.float64)
            # An asking price within the budget fits; a demand's budget is the yardstick.
            price, budget = (profile.budget, col) if profile.offers else (col, profile.budget)
            with np.errstate(divide="ignore", invalid="ignore"):
                fit = np.where(price <= budget, 1.0, np.maximum(0.0, 2 - price / budget))
            parts.append(np.where(np.isnan(col) | (col <= 0), np.nan, fit))
        mine = region_code(profile.region)
        if mine:
            region = records.col_region.data[pool]
            fit = np.where(
                region // 10**8 == mine // 10**8,
                1.0,
                np.where(region // 10**10 == mine // 10**10, 0.5, 0.0),
            )
            parts.append(np.where(region > 0, fit, np.nan))
        updated = records.col_updated.data[pool]
        if not np.all(np.isnan(updated)):
            parts.append(np.exp(-np.maximum(0.0, now - updated) / 86400.0 / 365.0))
        if not parts:
            return np.full(pool.shape[0], np.nan)
        stack = np.vstack(parts)
        known = ~np.isnan(stack)
        count = known.sum(axis=0)
        total = np.where(known, stack, 0.0).sum(axis=0)
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)

    def score(self, query: Query, pool: NDArray[np.int64] | None) -> PoolScore:
        """The fit of each pooled record (0 and not applying where nothing is known)."""
        assert pool is not None
        fit = self.fit(pool, query.profile, query.now)
        has_fit = ~np.isnan(fit)
        values = np.where(has_fit, np.nan_to_num(fit), 0.0)
        return PoolScore(values, query.weights.structure, has_fit.tolist(), [None] * len(fit))

    def explain(self, slot: int, query: Query, detail: Any, into: Explanation) -> None:
        """One reason per known fit: TRL, budget, region, recency."""
        for reason in self.reasons(slot, query.profile, query.now):
            into.out[reason.code] = reason.data
            into.items.append(reason)

    def reasons(self, slot: int, profile: Profile, now: float) -> list[Reason]:
        """The fits of one record as reasons."""
        records = self.records
        reasons: list[Reason] = []
        col_trl = int(records.col_trl.data[slot])
        if profile.trl and col_trl:
            offered, wanted = (profile.trl, col_trl) if profile.offers else (col_trl, profile.trl)
            ok = offered >= wanted
            fit = 1.0 if ok else max(0.0, 1.0 - (wanted - offered) / 4.0)
            text = f"成熟度 TRL {offered}，{'满足' if ok else '低于'}所需 TRL {wanted}"
            reasons.append(Reason("trl", text, {"offered": offered, "wanted": wanted, "fit": fit}))
        col_price = float(records.col_price.data[slot])
        if profile.budget and not math.isnan(col_price) and col_price > 0:
            price, budget = (
                (profile.budget, col_price) if profile.offers else (col_price, profile.budget)
            )
            ok = price <= budget
            fit = 1.0 if ok else max(0.0, 2.0 - price / budget)
            text = (
                f"报价 {price / 1e4:g} 万元，在预算 {budget / 1e4:g} 万元以内"
                if ok
                else f"报价 {price / 1e4:g} 万元，超出预算 {budget / 1e4:g} 万元"
            )
            reasons.append(Reason("budget", text, {"price": price, "budget": budget, "fit": fit}))
        region = int(records.col_region.data[slot])
        mine = region_code(profile.region)
        if mine and region:
            if mine // 10**8 == region // 10**8:
                reasons.append(Reason("region", "同一地市", {"region": str(region), "fit": 1.0}))
            elif mine // 10**10 == region // 10**10:
                reasons.append(Reason("region", "同一省份", {"region": str(region), "fit": 0.5}))
        updated = float(records.col_updated.data[slot])
        if not math.isnan(updated):
            days = max(0.0, (now - updated) / 86400.0)
            if days <= RECENT_DAYS:
                reasons.append(Reason("recency", f"近 {int(days) + 1} 天内更新", {"days": days}))
        return reasons
