"""The industry signal: bridged tags per slot, the none rule, chains through chains.yaml, shared
chains in the pool, names in reasons, state."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from silian.matching.config import EngineConfig, Weights
from silian.matching.documents import Document, Profile
from silian.matching.parallel import Models
from silian.matching.signals.base import Batch, DisciplineRows, Explanation
from silian.matching.signals.industry import INFERRED, ChainMap, IndustrySignal, chain_map
from silian.matching.text import Analyzer
from silian.reference import data as reference
from tests.matching.signals.conftest import PLAIN, analyse_docs, make_parts, make_query

DOCS = [
    {"id": "a", "title": "锂电池", "chains": ["C38"]},
    {"id": "b", "title": "养殖废水"},
    {"id": "c", "title": "汽车零部件", "chains": ["C36", "C38"]},
]
# Texts with no word of the standard (TF-IDF similarity 0): only the bridge can tag them.
BLANK = [
    {"id": "given", "title": "zzzqqq", "chains": ["航空航天"]},
    {"id": "inferred", "title": "zzzqqq"},
    {"id": "other", "title": "zzzqqq", "chains": ["新能源汽车"]},
    {"id": "none", "title": "zzzqqq"},
]
LABELS = ["航空宇航科学与技术", "数学"]  # 37 航空航天; 数学 has no division
PROBA = np.array([[1.0, 0.0], [0.9, 0.1], [1.0, 0.0], [0.2, 0.8]], np.float32)


def _signal(analyzer: Analyzer, tag: bool = False) -> IndustrySignal:
    config = EngineConfig(classify=False, semantic=False, tag_industries=tag)
    parts, _ = make_parts(analyzer, DOCS, config)
    signal = IndustrySignal(parts)
    docs = [Document.from_mapping(d) for d in DOCS]
    # The analysis tags with the signal's own tagger, as an engine's does.
    tagger = (lambda: signal.tagger) if tag else None
    models = Models(PLAIN.word_fields, PLAIN.bigram_fields, lambda: None, tagger)
    signal.add(Batch(docs, analyse_docs(analyzer, docs, models)[0], 0))
    return signal


@pytest.fixture
def packaged_chains(monkeypatch: pytest.MonkeyPatch) -> None:
    """The packaged chains.yaml, whatever the environment names."""
    monkeypatch.delenv("SILIAN_CHAINS_FILE", raising=False)


@pytest.fixture
def bridged(analyzer: Analyzer, packaged_chains: None) -> IndustrySignal:
    """BLANK tagged with given discipline distributions (as the classifier would give them)."""
    config = EngineConfig(classify=False, semantic=False, tag_industries=True)
    parts, analysis = make_parts(analyzer, BLANK, config)
    signal = IndustrySignal(parts)
    docs = [Document.from_mapping(d) for d in BLANK]
    analysis.industries = signal.tag(analyse_docs(analyzer, docs)[1], DisciplineRows(LABELS, PROBA))
    signal.add(Batch(docs, analysis, 0))
    return signal


def test_tags_come_from_the_discipline_bridge_and_the_none_rule(bridged: IndustrySignal) -> None:
    assert [bridged.industries_of(s) for s in range(4)] == [["37"], ["37"], ["37"], []]
    # Without the distributions the same words get no tag (TF-IDF alone).
    blank = analyse_docs(bridged.parts.analyzer, [Document.from_mapping(BLANK[0])])[1]
    assert bridged.tag(blank) == [[]]


def test_chain_map_reads_divisions_of_the_configured_chains(packaged_chains: None) -> None:
    chains = ChainMap.of(reference.load_chains(reference.DATA / "chains.yaml"))
    assert chains.chains_of(["37"]) == ["高端海洋装备", "轨道交通装备", "航空航天"]
    assert chains.chains_of(["99", "01"]) == ["现代种业与智慧农业"]
    assert chains.canonical("aerospace") == "航空航天" == chains.canonical("航空航天")
    assert chains.canonical("37") == "37"
    assert chain_map().chains_of(["37"]) == chains.chains_of(["37"])
    # The record's discipline picks among a division's chains, when any chain lists it.
    assert chains.chains_of(["37"], "航空宇航科学与技术") == ["航空航天"]
    assert chains.chains_of(["37"], "机械工程") == ["高端海洋装备", "轨道交通装备"]
    assert chains.chains_of(["37"], "数学") == chains.chains_of(["37"])


def test_unreadable_chains_file_infers_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "chains.yaml"
    broken.write_text("chains: [", encoding="utf-8")
    assert chain_map(broken) == ChainMap()


def test_given_chains_win_over_inferred_ones(bridged: IndustrySignal) -> None:
    assert bridged.chains_of(0) == (["航空航天"], False)
    assert bridged.chains_of(1) == (["高端海洋装备", "轨道交通装备", "航空航天"], True)
    assert bridged.chains_of(2) == (["新能源汽车"], False)  # its page says so: no inference
    assert bridged.chains_of(3) == ([], True)
    assert bridged.codes_of(1) == ["高端海洋装备", "轨道交通装备", "航空航天", "37"]
    bridged.discipline_of = lambda slot: "航空宇航科学与技术"  # as the engine wires it
    assert bridged.chains_of(1) == (["航空航天"], True)
    bridged.discipline_of = lambda slot: ""
    # A profile names a chain by name or code: the given chain counts fully, the inferred less.
    query = make_query(bridged.parts.analyzer, bridged.parts, "x", Profile(chains=["aerospace"]))
    result = bridged.score(query, np.arange(4, dtype=np.int64))
    assert result is not None
    assert result.values.tolist() == [1.0, INFERRED, 0.0, 0.0]
    assert list(result.details) == [["航空航天"], ["航空航天"], [], []]


def test_explain_says_which_chains_are_inferred(bridged: IndustrySignal) -> None:
    query = make_query(bridged.parts.analyzer, bridged.parts, "x", Profile(chains=["航空航天"]))
    given, inferred = Explanation({"shared_chains": []}), Explanation({"shared_chains": []})
    bridged.explain(0, query, ["航空航天"], given)
    bridged.explain(1, query, ["航空航天"], inferred)
    assert given.items[0].text == "同属产业链/行业：航空航天"
    assert given.out["shared_chains"] == ["航空航天"] and "inferred_chains" not in given.out
    # What the record's page shows stays apart from what only its tags show.
    assert inferred.items[0].text == "内容涉及产业链：航空航天（据行业分类推断）"
    assert inferred.out["inferred_chains"] == ["航空航天"]
    assert inferred.out["shared_chains"] == []


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
    assert into.items[0].code == "industry" and "、C38" in into.items[0].text
    assert signal.tagger.name("38") in into.items[0].text
    empty = Explanation({"shared_chains": []})
    signal.explain(1, query, [], empty)
    assert empty.items == []


def test_division_37_carries_the_standards_name(analyzer: Analyzer) -> None:
    assert _signal(analyzer).tagger.name("37") == "铁路、船舶、航空航天和其他运输设备制造业"
