"""The core signal: coverage of the demand's core words by pooled documents, and its reasons."""

from __future__ import annotations

import numpy as np

from silian.matching.config import Weights
from silian.matching.signals.base import Explanation, Parts
from silian.matching.signals.core import PART_CREDIT, CoreSignal
from silian.matching.text import Analyzer
from tests.matching.signals.conftest import make_parts, make_query

DOCS = [
    {"id": "dye", "title": "活性染料在棉纤维上的染色性能", "text": "印染 染色工艺 棉织物"},
    {"id": "water", "title": "印染废水的脱色处理", "text": "废水 脱色 混凝 色度"},
    {"id": "part", "title": "工业废水生化处理", "text": "废水 生化"},
    {"id": "other", "title": "纺织品检测标准", "text": "纺织 检测"},
]
DEMAND = (
    "需求名称：印染废水脱色\n需求描述：我公司从事纺织品印染加工，染色车间废水色度高。\n"
    "技术指标：色度去除率≥90%。"
)


def _signal(analyzer: Analyzer) -> tuple[CoreSignal, Parts]:
    parts, _ = make_parts(analyzer, DOCS)
    return CoreSignal(parts), parts


def test_a_document_covering_the_problem_beats_one_sharing_the_field(
    analyzer: Analyzer,
) -> None:
    signal, parts = _signal(analyzer)
    query = make_query(analyzer, parts, DEMAND, understood=True)
    result = signal.score(query, np.arange(4, dtype=np.int64))
    assert result is not None
    cover = dict(zip(["dye", "water", "part", "other"], result.values.tolist(), strict=True))
    assert cover["water"] == 1.0
    assert cover["dye"] < 0.5 < cover["water"]
    assert cover["other"] == 0.0
    assert 0 < cover["part"] < cover["water"]
    assert result.weight == Weights().core
    assert list(result.applies) == [False, True, cover["part"] >= 0.5, False]


def test_parts_of_a_core_word_count_half(analyzer: Analyzer) -> None:
    parts, _ = make_parts(analyzer, [{"id": "a", "title": "废水"}, {"id": "b", "title": "电池"}])
    signal = CoreSignal(parts)
    query = make_query(analyzer, parts, "需求名称：印染废水", understood=True)
    core = signal.core_weights(query)
    values, found = signal.coverage(query, np.array([0, 1], np.int64))
    if "印染废水" in core:  # a dictionary word: its part 废水 earns half
        assert 0 < values[0] <= PART_CREDIT
    else:
        assert values[0] > 0
    assert values[1] == 0.0 and found[1] == []


def test_no_core_no_score_and_reasons_name_the_words(analyzer: Analyzer) -> None:
    signal, parts = _signal(analyzer)
    plain = make_query(analyzer, parts, DEMAND)
    assert signal.score(plain, np.arange(4, dtype=np.int64)) is None
    off = make_query(analyzer, parts, DEMAND, weights=Weights(core=0), understood=True)
    assert signal.score(off, np.arange(4, dtype=np.int64)) is None
    query = make_query(analyzer, parts, DEMAND, understood=True)
    result = signal.score(query, np.array([1], np.int64))
    assert result is not None
    into = Explanation({})
    signal.explain(1, query, result.details[0], into)
    assert into.items[0].code == "core"
    assert "脱色" in into.items[0].text
    assert into.out["core"]["coverage"] == 1.0
