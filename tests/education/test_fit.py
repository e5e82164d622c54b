"""Majors–industry fit index on hand-computed examples (education.fit)."""

from __future__ import annotations

import pytest

from silian.education.fit import (
    ClassFact,
    DemandFact,
    FitData,
    OfferingFact,
    TraineeFact,
    compute,
    trend,
    universities,
    weighted_shares,
)


def _data() -> FitData:
    return FitData(
        offerings=[
            OfferingFact(1, "甲大学", "A", {1: 1.0}, 100, 4, 2018),
            OfferingFact(2, "乙学院", "A", {1: 0.5, 2: 0.5}, 50, 4, 2018),
            OfferingFact(1, "甲大学", "B", {1: 1.0}, 40, 4, 2018),
        ],
        classes=[ClassFact(2, "乙学院", "C", {1: 1.0}, 30, 2026)],
        trainees=[TraineeFact(1, 2026, 20), TraineeFact(2, 2026, 99)],
        demands=[
            DemandFact(1, "A", 2026, 80, "talent_need"),
            DemandFact(1, "C", 2026, 50, "investment_project"),
            DemandFact(1, "", 2026, 60, "talent_need"),
            DemandFact(1, "A", 2025, 999, "talent_need"),
            DemandFact(2, "A", 2026, 10, "talent_need"),
        ],
    )


def test_chain_index_by_hand() -> None:
    fit = compute(_data(), 2026, chain_id=1)
    by = {m.major: m for m in fit.majors}
    # A: 100 + 50 × 0.5; B: 40; C: a class of 30.
    assert by["A"].supply == 125 and by["B"].supply == 40 and by["C"].supply == 30
    assert fit.trainees == 20
    assert fit.supply == 215 and fit.demand == 190
    # M = min(125,80) + min(40,0) + min(30,50) + min(45+40+0+20, 60) = 110 + 60
    assert fit.matched == 170
    assert fit.index == pytest.approx(79.1)
    assert fit.gap == 20 and fit.surplus == 45
    assert [(m.major, m.balance) for m in fit.surpluses()] == [("A", 45), ("B", 40)]
    assert [(m.major, m.balance) for m in fit.gaps()] == [("C", -20)]


def test_city_wide_counts_every_chain() -> None:
    fit = compute(_data(), 2026)
    by = {m.major: m for m in fit.majors}
    assert by["A"].supply == 150 and by["A"].demand == 90
    assert fit.trainees == 119
    # M = 90 + 0 + 30 + min(60 + 40 + 119, 60) = 180; S = 339; D = 200.
    assert fit.matched == 180
    assert fit.index == pytest.approx(round(100 * 180 / 339, 1))


def test_universities_share_the_demand_in_proportion() -> None:
    rows = {u.university: u for u in universities(_data(), 2026, chain_id=1)}
    rest = 60 / 105
    first = 64 + 36 * rest + 40 * rest
    second = 16 + 9 * rest + 30
    assert rows["甲大学"].supply == 140
    assert rows["甲大学"].absorbed == pytest.approx(first, abs=0.01)
    assert rows["乙学院"].absorbed == pytest.approx(second, abs=0.01)
    assert rows["甲大学"].index == pytest.approx(round(100 * first / 140, 1))
    # Universities plus trainees account for every matched person.
    assert first + second + 20 * rest == pytest.approx(170)


def test_no_supply_no_demand_has_no_index() -> None:
    fit = compute(FitData(), 2030)
    assert fit.index is None and fit.majors == []


def test_graduates_follow_the_admission_years() -> None:
    o = OfferingFact(1, "甲", "A", {}, 60, 3, 2022, 2023)
    assert [o.graduates(y) for y in (2024, 2025, 2026, 2027)] == [0, 60, 60, 0]


def test_trend_and_shares() -> None:
    years = [f.year for f in trend(_data(), range(2025, 2028), 1)]
    assert years == [2025, 2026, 2027]
    assert weighted_shares({1: 3, 2: 1}) == {1: 0.75, 2: 0.25}
    assert weighted_shares({}) == {}


def test_demand_outside_the_catalogue_names_no_major() -> None:
    data = _data()
    data.catalogue = frozenset({"A", "B"})  # "C" is an old name, not in the catalogue
    fit = compute(data, 2026, chain_id=1)
    assert fit.unspecified_demand == 110 and fit.unmatched == {"C": 50}
    # C's class students (30) are supply with no demand of their own: leftover 45+40+30+20.
    assert fit.matched == 80 + min(135, 110)
