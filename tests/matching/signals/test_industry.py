"""The industry signal: codes per slot, shared chains in the pool, names in reasons, state."""

from __future__ import annotations

import numpy as np

from silian.matching.config import EngineConfig, Weights
from silian.matching.documents import Document, Profile
from silian.matching.signals.base import Batch, Explanation
from silian.matching.signals.industry import IndustrySignal
from silian.matching.text import Analyzer
from tests.matching.signals.conftest import make_parts, make_query

DOCS = [
    {"id": "a", "title": "锂电池", "chains": ["C38"]},
    {"id": "b", "title": "养殖废水"},
    {"id": "c", "title": "汽车零部件", "chains": ["C36", "C38"]},
]


def _signal(analyzer: Analyzer, tag: bool = False) -> IndustrySignal:
    config = EngineConfig(classify=False, semantic=False, tag_industries=tag)
    parts, analysed = make_parts(analyzer, DOCS, config)
    signal = IndustrySignal(parts)
    docs = [Document.from_mapping(d) for d in DOCS]
    signal.add(Batch(docs, analysed, 0))
    return signal


def test_shared_chains_lift_pooled_records(analyzer: Analyzer) -> None:
    signal = _signal(analyzer)
    parts_query = make_query(analyzer, signal.parts, "电池", profile=Profile(chains=["C38"]))
    result = signal.score(parts_query, np.array([2, 1, 0], np.int64))
    assert result is not None and result.weight == Weights().industry
    assert result.values.tolist() == [1.0, 0.0, 1.0]
    assert list(result.details) == [["C38"], [], ["C38"]] and all(result.applies)
    assert signal.score(make_query(analyzer, signal.parts, "电池"), np.arange(3)) is None


def test_tags_are_kept_saved_and_cleared(analyzer: Analyzer) -> None:
    signal = _signal(analyzer, tag=True)
    tagged = [signal.industries_of(slot) for slot in range(3)]
    assert all(len(codes) <= 2 for codes in tagged)
    assert signal.codes_of(0)[:1] == ["C38"]
    _, arrays = signal.state()
    copy = IndustrySignal(signal.parts)
    copy.restore({}, arrays)
    assert [copy.industries_of(slot) for slot in range(3)] == tagged
    signal.remove(2)
    assert signal.industries_of(2) == []


def test_explain_names_codes(analyzer: Analyzer) -> None:
    signal = _signal(analyzer)
    query = make_query(analyzer, signal.parts, "电池", profile=Profile(chains=["C38", "38"]))
    into = Explanation({"shared_chains": []})
    signal.explain(0, query, ["38", "C38"], into)
    assert into.out["shared_chains"] == ["38", "C38"]
    assert into.items[0].code == "industry" and into.items[0].text.endswith("、C38")
    assert signal.tagger.name("38") in into.items[0].text
    empty = Explanation({"shared_chains": []})
    signal.explain(1, query, [], empty)
    assert empty.items == []
