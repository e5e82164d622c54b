"""Builds on every core: analysis in worker processes gives the single-process result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from silian.matching import engine as engine_module
from silian.matching.classify import DisciplineClassifier
from silian.matching.engine import Engine, EngineConfig
from silian.matching.parallel import Models, SerialAnalyser, build_processes
from silian.matching.signals import discipline as discipline_module
from silian.matching.text import Analyzer

TOPICS = [
    (
        "反渗透膜抗污染改性",
        ["反渗透膜", "抗污染"],
        "表面接枝两性离子聚合物降低膜污染，延长清洗周期。",
    ),
    ("高镍三元正极材料", ["高镍正极", "共沉淀"], "共沉淀法制备正极材料，提高循环寿命和能量密度。"),
    (
        "养殖废水厌氧处理",
        ["养殖废水", "厌氧发酵"],
        "规模化养猪场粪污经厌氧发酵与人工湿地处理后达标排放。",
    ),
    ("工业机器人视觉抓取", ["机器视觉", "抓取规划"], "基于深度相机的工件位姿估计与抓取路径规划。"),
    ("海水淡化能量回收", ["能量回收装置", "海水淡化"], "压力交换式能量回收降低反渗透系统能耗。"),
]


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 4 after a sample of 10: a small corpus crosses many chunk boundaries."""
    monkeypatch.setattr(engine_module, "CHUNK_SIZE", 4)
    monkeypatch.setattr(engine_module, "SAMPLE_SIZE", 10)


def _corpus(n: int) -> list[dict[str, Any]]:
    docs = []
    for i in range(n):
        title, keywords, text = TOPICS[i % len(TOPICS)]
        # Keywords appear chunk by chunk, so later chunks are segmented with a larger dictionary.
        docs.append(
            {
                "id": f"achievement:{i}",
                "kind": "achievement",
                "title": f"{title}{i}",
                "keywords": [*keywords, f"专用术语{i}号"],
                "text": f"{text}涉及专用术语{i - 1}号和专用术语{i + 7}号。",
            }
        )
    return docs


def test_parallel_build_equals_single_process_build(small_chunks: None) -> None:
    # Small chunks and sample, so that 40 documents make a sample and several streamed chunks.
    config = EngineConfig(classify=False, tag_industries=False)
    docs = _corpus(40)
    steps: list[tuple[int, int]] = []
    one = Engine.build(docs, config, processes=1)
    two = Engine.build(docs, config, processes=2, progress=lambda d, t: steps.append((d, t)))

    assert steps[-1] == (40, 40) and len(steps) > 5  # progress after every chunk, kept
    assert one.analyzer.domain_words == two.analyzer.domain_words
    for a, b in (
        (one.lexical.words, two.lexical.words),
        (one.lexical.bigrams, two.lexical.bigrams),
    ):
        assert a.terms == b.terms
        assert np.array_equal(a.df, b.df)
        assert [(s.base, s.size) for s in a.segments] == [(s.base, s.size) for s in b.segments]
        for sa, sb in zip(a.segments, b.segments, strict=True):
            assert np.array_equal(sa.indptr, sb.indptr)
            assert np.array_equal(sa.rows, sb.rows)
            assert np.array_equal(sa.values, sb.values)
    dense_one, dense_two = one.signal("semantic").dense, two.signal("semantic").dense
    assert np.array_equal(dense_one.data[: dense_one.n], dense_two.data[: dense_two.n])
    for query in ("反渗透膜污染", "专用术语12号", "养猪场粪污处理"):
        hits_one, hits_two = one.query(query, limit=10), two.query(query, limit=10)
        assert [h.doc_id for h in hits_one] == [h.doc_id for h in hits_two]
        assert [h.score for h in hits_one] == [h.score for h in hits_two]
    # The domain word of a later chunk changed segmentation (else the test would prove little).
    assert "专用术语30号" in one.lexical.words.vocab


def test_serial_analyser_is_the_default_for_small_corpora(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SILIAN_BUILD_PROCESSES", raising=False)
    assert build_processes(None, 100) == 1
    assert build_processes(3, 100) == 3
    monkeypatch.setenv("SILIAN_BUILD_PROCESSES", "2")
    assert build_processes(None, 100) == 2
    fields = ("title", "keywords", "text")
    analyser = SerialAnalyser(Analyzer(), Models(fields, fields, lambda: None, None))
    analyser.submit([("反渗透膜", ["膜"], "海水淡化", ["化学/化学工程与技术"])])
    (chunk,) = list(analyser.results(block=False))
    words, bigrams = chunk.words, chunk.bigrams
    title = {words.terms[t] for t, f in zip(words.term, words.field, strict=True) if f == 0}
    assert "反渗透" in title or "反渗透膜" in title
    text = [bigrams.terms[t] for t, f in zip(bigrams.term, bigrams.field, strict=True) if f == 2]
    assert sorted(text) == sorted(["海水", "水淡", "淡化"])
    assert bigrams.lengths.tolist() == [[3, 1, 3]]  # 反渗 渗透 透膜 · 膜 · 海水 水淡 淡化
    assert chunk.disciplines == ["化学/化学工程与技术"] and chunk.industries == [[]]


@pytest.fixture
def saved_classifier(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_classifier: DisciplineClassifier
) -> None:
    """The small classifier as the engine gets it in production: loaded from where it is saved
    (a parallel build's workers load the same files)."""
    small_classifier.save(tmp_path / "classifier")
    monkeypatch.setattr(
        discipline_module,
        "discipline_classifier",
        lambda: DisciplineClassifier.load(tmp_path / "classifier"),
    )


def _same_index(one: Engine, two: Engine) -> None:
    """Every saved array and all metadata are equal."""
    meta_one, arrays_one = one._parts_state()
    meta_two, arrays_two = two._parts_state()
    assert meta_one == meta_two
    assert arrays_one.keys() == arrays_two.keys()
    for name, values in arrays_one.items():
        other = arrays_two[name]
        assert values.dtype == other.dtype, name
        assert np.array_equal(values, other, equal_nan=values.dtype.kind == "f"), name


def test_parallel_build_tags_industries_as_a_single_process_build(
    small_chunks: None, saved_classifier: None
) -> None:
    # The discipline distribution (given or classified) feeds the industry tagger in the
    # worker processes: both builds must classify and tag alike.
    docs = _corpus(40)
    for i, doc in enumerate(docs):
        if i % 3 == 1:
            doc["disciplines"] = ["船舶与海洋工程"]
        elif i % 3 == 2:
            doc["disciplines"] = ["数学"]
    config = EngineConfig(semantic=False)
    one = Engine.build(docs, config, processes=1)
    two = Engine.build(docs, config, processes=2)
    tags = [one.industries_of(s) for s in range(one.n_slots)]
    assert tags == [two.industries_of(s) for s in range(two.n_slots)]
    assert tags[1][:1] == ["37"] and tags[2] == []  # bridged, and the none rule
    assert any(tags[i] for i in range(0, 40, 3))  # classified records are tagged too
    _same_index(one, two)


def test_parallel_build_with_every_signal_then_edits_equals_single_process(
    small_chunks: None, saved_classifier: None
) -> None:
    # Every signal on, a duplicate id in a later chunk, then edits: the whole saved index
    # (postings, df, vectors, disciplines, industry codes, records) is the same, and edits
    # after the build tag with the same tagger (made after the sample's domain words).
    docs = _corpus(40)
    docs[5]["disciplines"] = ["船舶与海洋工程"]
    docs.append({**docs[3], "title": "重复的记录", "keywords": ["后加的词"]})
    one = Engine.build(docs, processes=1)
    two = Engine.build(docs, processes=2)
    _same_index(one, two)
    for engine in (one, two):
        engine.update({"id": "new:1", "title": "船舶动力装置", "keywords": ["专用术语99号"]})
        engine.update({**docs[7], "text": "改写后的正文：反渗透膜清洗。"})
    _same_index(one, two)
    assert one.query("专用术语99号", limit=1)[0].doc_id == "new:1"
