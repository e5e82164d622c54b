"""The lexical channel's interface: the in-process index, and the engine over a test double."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from silian.matching.config import EngineConfig
from silian.matching.documents import Document
from silian.matching.engine import Engine
from silian.matching.signals import lexical as lexical_module
from silian.matching.signals.base import Analysis
from silian.matching.signals.lexical import LexicalIndex, LocalLexicalIndex, create_lexical
from silian.matching.text import Analyzer
from tests.matching.signals.conftest import MemoryLexicalIndex, analyse_docs

DOCS = [
    ("锂离子电池正极材料", ["锂离子电池"], "高镍三元正极材料共沉淀制备。"),
    ("养殖废水处理", ["养殖废水"], "厌氧发酵与人工湿地组合处理养猪场废水。"),
    ("反渗透膜抗污染", ["反渗透膜"], "膜表面改性降低污染。"),
]


def _analysis(analyzer: Analyzer, *docs: tuple[str, list[str], str]) -> Analysis:
    documents = [
        Document(id=str(i), title=t, keywords=k, text=x) for i, (t, k, x) in enumerate(docs)
    ]
    return analyse_docs(analyzer, documents)[0]


def _local(analyzer: Analyzer) -> LocalLexicalIndex:
    index = LocalLexicalIndex.create(EngineConfig())
    analysis = _analysis(analyzer, *DOCS)
    index.begin([analysis])
    index.add_many(analysis)
    index.finish()
    return index


def test_local_index_scores_both_channels_and_names_matches(analyzer: Analyzer) -> None:
    index = _local(analyzer)
    words = index.score("words", {"废水": 1.0, "养猪场": 1.0}, 3)
    assert words.dtype == np.float32 and int(np.argmax(words)) == 1 and words[0] == 0
    grams = index.score("bigrams", {"废水": 1.0}, 3)
    assert int(np.argmax(grams)) == 1
    assert index.matched_terms("words", 1, ["废水", "电池"]) == ["废水"]
    assert index.document_count() == 3
    assert set(index.idf("words", ["废水", "不存在的词"])) == {"废水"}
    assert "废水" in index.word_terms()


def test_local_word_weights_follow_edits(analyzer: Analyzer) -> None:
    index = _local(analyzer)
    before, top = index.word_weights()
    assert index.word_weights()[0] is before  # cached while nothing changes
    assert top == max(before.values())
    slot = index.append(_analysis(analyzer, ("废水回用", [], "中水回用于冲洗")))
    assert slot == 3
    after, _ = index.word_weights()
    assert after is not before and after["废水"] < before["废水"]  # now in two documents
    index.remove(slot)
    assert index.document_count() == 3


def test_local_state_round_trip(analyzer: Analyzer) -> None:
    index = _local(analyzer)
    meta, arrays = index.state()
    assert set(meta) == {"words", "bigrams"}
    assert all(name.startswith(("w_", "b_")) for name in arrays)
    copy = LocalLexicalIndex.create(EngineConfig())
    copy.restore(meta, arrays)
    query = {"正极材料": 1.0, "污染": 1.0}
    assert np.array_equal(copy.score("words", query, 3), index.score("words", query, 3))


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="未知的词项索引后端"):
        create_lexical(EngineConfig(lexical="opensearch"))


def test_the_double_implements_the_protocol(analyzer: Analyzer) -> None:
    double: LexicalIndex = MemoryLexicalIndex()
    one = _analysis(analyzer, DOCS[1])
    assert double.append(one) == 0
    assert double.score("words", {"废水": 1.0}, 1)[0] > 0
    assert double.matched_terms("bigrams", 0, ["废水", "电池"]) == ["废水"]


@pytest.fixture
def memory_backend(monkeypatch: pytest.MonkeyPatch) -> EngineConfig:
    monkeypatch.setitem(lexical_module.BACKENDS, "memory", MemoryLexicalIndex)
    return EngineConfig(classify=False, semantic=False, tag_industries=False, lexical="memory")


def test_engine_runs_on_another_backend_by_configuration(
    memory_backend: EngineConfig, corpus: list[dict[str, Any]], tmp_path: Path
) -> None:
    engine = Engine.build(corpus, memory_backend)
    assert isinstance(engine.lexical, MemoryLexicalIndex)
    assert engine.lexical.calls == ["begin", "finish"]
    hit = engine.query("养猪场废水处理")[0]
    assert hit.doc_id == "achievement:2"
    assert hit.signals["bm25"] > 0 and hit.reasons["matched_terms"]
    engine.update({"id": "demand:1", "kind": "demand", "title": "反渗透膜污染控制"})
    assert [h.doc_id for h in engine.query("反渗透膜", kind="demand")] == ["demand:1"]
    assert engine.delete("demand:1") and engine.query("反渗透膜", kind="demand") == []
    engine.compact()
    assert engine.lexical.calls[-1] == "compact"
    # The backend's name is saved with the index, so a reader opens the same kind.
    engine.save(tmp_path / "index")
    loaded = Engine.load(tmp_path / "index")
    assert isinstance(loaded.lexical, MemoryLexicalIndex)
    assert loaded.query("养猪场废水处理")[0].doc_id == "achievement:2"
