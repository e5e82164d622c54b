"""The bigram signal: character-bigram scores, the bonus, and reasons only without a word."""

from __future__ import annotations

import numpy as np

from silian.matching.config import Weights
from silian.matching.signals.base import Explanation
from silian.matching.signals.bigram import BigramSignal
from silian.matching.text import Analyzer
from tests.matching.signals.conftest import make_parts, make_query

DOCS = [
    {"id": "a", "title": "养殖废水处理", "text": "厌氧发酵。"},
    {"id": "b", "title": "锂电池回收", "text": "拆解。"},
]


def test_scores_come_from_the_bigrams_channel(analyzer: Analyzer) -> None:
    parts, _ = make_parts(analyzer, DOCS)
    signal = BigramSignal(parts)
    query = make_query(analyzer, parts, "养猪废水")
    result = signal.score(query, None)
    want = parts.lexical.score("bigrams", {b: 1.0 for b in query.bigrams}, 2)
    assert np.array_equal(result.raw, want) and result.raw[0] > 0 and result.raw[1] == 0
    assert result.weight == Weights().bigram
    assert result.bonus is not None and result.bonus[0] == np.float32(Weights().top_bigram)
    assert result.evidence is not None and result.evidence.tolist() == [True, False]


def test_explains_only_when_no_whole_word_matched(analyzer: Analyzer) -> None:
    parts, _ = make_parts(analyzer, DOCS)
    signal = BigramSignal(parts)
    query = make_query(analyzer, parts, "养猪废水")
    into = Explanation({"matched_terms": []})
    signal.explain(0, query, None, into)
    assert into.out["matched_chars"] == ["废水"]
    assert into.items[0].text == "字面相近：废水"
    covered = Explanation({"matched_terms": [{"term": "废水", "field": "title"}]})
    signal.explain(0, query, None, covered)
    assert covered.items == [] and "matched_chars" not in covered.out
