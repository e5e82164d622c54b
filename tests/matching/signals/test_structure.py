"""The structure signal: TRL, budget, region and recency fit with the profile, and reasons."""

from __future__ import annotations

import time

import numpy as np
import pytest

from silian.matching.config import Weights
from silian.matching.documents import Profile
from silian.matching.signals.base import Explanation
from silian.matching.signals.structure import StructureSignal
from silian.matching.text import Analyzer
from tests.matching.signals.conftest import make_parts, make_query

NOW = time.time()
DOCS = [
    {"id": "a", "title": "甲", "trl": 7, "price": 500000, "region": "370211"},
    {"id": "b", "title": "乙", "trl": 4, "price": 1500000, "region": "370102"},
    {"id": "c", "title": "丙"},
    {"id": "d", "title": "丁", "updated_at": NOW - 10 * 86400},
]


def test_fit_is_the_mean_of_known_parts(analyzer: Analyzer) -> None:
    parts, _ = make_parts(analyzer, DOCS)
    signal = StructureSignal(parts)
    profile = Profile(trl=6, budget=1_000_000, region="370200")
    fit = signal.fit(np.arange(4), profile, NOW)
    assert fit[0] == pytest.approx(1.0)  # TRL 7 ≥ 6, price within budget, same city
    # TRL 4 of 6 wanted: 0.5; price 1.5 of 1.0: 0.5; same province: 0.5.
    assert fit[1] == pytest.approx(0.5)
    assert np.isnan(fit[2])  # nothing known
    assert fit[3] == pytest.approx(np.exp(-10 / 365), rel=1e-6)  # recency only


def test_pool_score_applies_where_a_fit_is_known(analyzer: Analyzer) -> None:
    parts, _ = make_parts(analyzer, DOCS[:3])
    signal = StructureSignal(parts)
    query = make_query(analyzer, parts, "任意", profile=Profile(trl=6))
    query.now = NOW
    result = signal.score(query, np.arange(3))
    assert result.weight == Weights().structure
    assert list(result.applies) == [True, True, False]
    assert result.values.tolist() == pytest.approx([1.0, 0.5, 0.0])


def test_an_offer_compares_the_other_way_round(analyzer: Analyzer) -> None:
    parts, _ = make_parts(analyzer, [{"id": "demand", "title": "需求", "trl": 6, "price": 2e6}])
    signal = StructureSignal(parts)
    offer = Profile(trl=7, budget=1_500_000, offers=True)
    reasons = {r.code: r for r in signal.reasons(0, offer, NOW)}
    assert reasons["trl"].data == {"offered": 7, "wanted": 6, "fit": 1.0}
    assert reasons["budget"].text == "报价 150 万元，在预算 200 万元以内"


def test_explain_adds_each_reason_under_its_code(analyzer: Analyzer) -> None:
    parts, _ = make_parts(analyzer, DOCS)
    signal = StructureSignal(parts)
    query = make_query(analyzer, parts, "任意", profile=Profile(region="370200"))
    query.now = NOW
    into = Explanation({})
    signal.explain(0, query, None, into)
    assert into.out["region"] == {"region": "370211000000", "fit": 1.0}
    assert [r.text for r in into.items] == ["同一地市"]
    recent = Explanation({})
    signal.explain(3, query, None, recent)
    assert recent.items[0].code == "recency" and recent.items[0].text == "近 11 天内更新"
