"""The keyphrase signal: whole keywords found in the query, weighted by specificity, capped."""

from __future__ import annotations

import numpy as np
import pytest

from silian.matching.config import Weights
from silian.matching.signals.base import Explanation
from silian.matching.signals.keyphrase import KeyphraseSignal
from silian.matching.text import Analyzer
from tests.matching.signals.conftest import make_parts, make_query


def _docs() -> list[dict[str, object]]:
    docs: list[dict[str, object]] = [
        {"id": f"d{i}", "title": f"处理方法{i}", "text": "处理"} for i in range(30)
    ]
    docs.append({"id": "x", "title": "屠宰废水", "keywords": ["处理"]})
    docs.append({"id": "y", "title": "人工湿地", "keywords": ["人工湿地", "湿地植物", "潜流"]})
    return docs


def test_generic_keywords_count_less(analyzer: Analyzer) -> None:
    parts, _ = make_parts(analyzer, _docs())
    signal = KeyphraseSignal(parts)
    assert signal.specificity("人工湿地") > 0.8  # in 1 record (more than 1 % of 32)
    assert signal.specificity("处理") < 0.2  # in 31 of 32 records
    assert signal.specificity("没有的词") == 1.0


def test_pool_scores_are_capped_and_explained(analyzer: Analyzer) -> None:
    parts, _ = make_parts(analyzer, _docs())
    signal = KeyphraseSignal(parts)
    text = "人工湿地处理养殖废水，湿地植物选择"
    query = make_query(analyzer, parts, text, weights=Weights(keyphrase_cap=1))
    pool = np.array([31, 30, 0], np.int64)
    result = signal.score(query, pool)
    assert result.weight == Weights().keyphrase
    assert list(result.applies) == [True, True, False]
    assert result.details[0] == ["人工湿地", "湿地植物"]
    assert result.values[0] == pytest.approx(1.0)  # two specific keywords, capped at 1
    assert 0 < result.values[1] < 0.2 and result.values[2] == 0
    into = Explanation({"keyphrases": []})
    signal.explain(31, query, result.details[0], into)
    assert into.out["keyphrases"] == ["人工湿地", "湿地植物"]
    assert into.items[0].text == "关键词完全命中：人工湿地、湿地植物"


def test_no_text_no_keyphrase(analyzer: Analyzer) -> None:
    parts, _ = make_parts(analyzer, _docs())
    assert KeyphraseSignal(parts).keyphrases(31, "") == []
