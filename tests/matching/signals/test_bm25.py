"""The bm25 signal: word scores through the lexical index, the near-best bonus, reasons."""

from __future__ import annotations

import numpy as np

from silian.matching.config import Weights
from silian.matching.signals.base import Explanation
from silian.matching.signals.bm25 import Bm25Signal, maximal
from silian.matching.text import Analyzer
from tests.matching.signals.conftest import make_parts, make_query

DOCS = [
    {"id": "a", "title": "养殖废水处理", "keywords": ["人工湿地"], "text": "养猪场粪污厌氧发酵。"},
    {"id": "b", "title": "锂电池回收", "text": "废旧电池拆解。"},
    {"id": "c", "title": "电池材料", "text": "处理废水中的重金属。"},
]


def _empty() -> Explanation:
    return Explanation({"matched_terms": []})


def test_scores_come_from_the_words_channel_with_a_bonus(analyzer: Analyzer) -> None:
    parts, _ = make_parts(analyzer, DOCS)
    signal = Bm25Signal(parts)
    query = make_query(analyzer, parts, "养猪场废水")
    result = signal.score(query, None)
    want = parts.lexical.score("words", {w: 1.0 for w in query.words}, 3)
    assert np.array_equal(result.raw, want)
    assert result.weight == Weights().bm25
    assert result.evidence is not None and result.evidence.tolist() == [True, False, True]
    # The best match gets the whole bonus, the others (value / best) ** power of it.
    assert result.bonus is not None and result.bonus[0] == np.float32(Weights().top_bm25)
    assert 0 < result.bonus[2] < result.bonus[0] and result.bonus[1] == 0


def test_reasons_say_where_words_matched(analyzer: Analyzer) -> None:
    parts, _ = make_parts(analyzer, DOCS)
    signal = Bm25Signal(parts)
    query = make_query(analyzer, parts, "养猪场废水人工湿地")
    into = _empty()
    signal.explain(0, query, None, into)
    fields = {m["term"]: m["field"] for m in into.out["matched_terms"]}
    # 人工湿地 is not in this segmenter's dictionary (an engine adds record keywords to it).
    assert fields == {"养猪场": "text", "废水": "title", "人工": "keywords", "湿地": "keywords"}
    assert into.items[0].code == "terms" and into.items[0].text.startswith("命中词语（标题：废水")
    nothing = _empty()
    signal.explain(1, query, None, nothing)
    assert nothing.items == [] and nothing.out["matched_terms"] == []


def test_maximal_names_a_word_once() -> None:
    assert maximal(["低能", "能耗", "低能耗", "处理工艺", "理工", "工艺"]) == ["低能耗", "处理工艺"]
    assert maximal([]) == []
