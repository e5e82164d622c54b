"""The semantic channel: chunked embedding against the per-document reference."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from silian.matching.dense import SPACE_VERSION, ChunkEmbedder, WordVectorSpace
from silian.matching.lexicon import Lexicon
from silian.matching.sparse import BM25FIndex


def _space() -> WordVectorSpace:
    words = ["石墨", "烯", "散热", "膜", "电池", "石", "墨"]
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(words), 16)).astype(np.float16)
    lexicon = Lexicon(words, {w: i for i, w in enumerate(words)}, vectors, {}, {})
    return WordVectorSpace(lexicon, dim=8)


def test_chunk_embedder_equals_per_document_embed() -> None:
    space = _space()
    docs = [
        {"title": ["石墨烯", "散热"], "text": ["散热", "膜", "石墨烯", "未知词"]},
        {"title": ["电池"], "text": ["电池", "电池", "膜"]},
        {"title": [], "text": ["未知词"]},
    ]
    weights = {"散热": 2.0, "膜": 0.5}
    index = BM25FIndex({"title": 1.0, "text": 1.0})
    index.begin([index.counts(docs)])
    counts = index.add_many(index.counts(docs))
    embedder = ChunkEmbedder(space, weights, 1.5)
    got = embedder.embed(index.terms, counts.doc, counts.term, counts.count, len(docs))
    for i, doc in enumerate(docs):
        want = space.embed(doc["title"] + doc["text"], weights, 1.5)
        assert np.allclose(got[i], want, atol=1e-5)
    # "石墨烯" is not in the vocabulary: it falls back to its characters, so it is not zero.
    assert np.linalg.norm(got[0]) > 0
    assert np.allclose(got[2], 0.0)


def test_cached_space_is_mapped_and_equals_the_computed_one(tmp_path: Path) -> None:
    words = ["石墨", "烯", "散热", "膜", "电池", "石", "墨"]
    vectors = np.random.default_rng(1).normal(size=(len(words), 16)).astype(np.float16)
    index = {w: i for i, w in enumerate(words)}
    computed = WordVectorSpace(Lexicon(words, index, vectors, {}, {}), dim=8)
    first = WordVectorSpace(Lexicon(words, index, vectors, directory=tmp_path), dim=8)
    assert [p.name for p in tmp_path.iterdir()] == [f"space-8-v{SPACE_VERSION}.npy"]
    again = WordVectorSpace(Lexicon(words, index, vectors, directory=tmp_path), dim=8)
    for space in (first, again):
        assert np.array_equal(space.vectors, computed.vectors) and space.dim == 8
        assert not space.vectors.flags.writeable  # a read-only map, shared between processes
    assert np.array_equal(
        again.embed(["石墨烯", "膜"], {}, 1.0), computed.embed(["石墨烯", "膜"], {}, 1.0)
    )


def test_lexicon_reads_its_synonym_groups_on_first_use(tmp_path: Path) -> None:
    cilin = {
        "word_codes": {"电池": ["Ba01"], "蓄电池": ["Ba01"]},
        "code_words": {"Ba01": ["电池", "蓄电池"]},
    }
    (tmp_path / "cilin.json").write_text(json.dumps(cilin, ensure_ascii=False), "utf-8")
    lexicon = Lexicon(["电池"], {"电池": 0}, np.ones((1, 4), np.float16), directory=tmp_path)
    assert lexicon.word_codes is None
    assert lexicon.synonyms("电池") == ["蓄电池"]
    assert lexicon.word_codes == cilin["word_codes"]


def test_space_with_an_unwritable_cache_is_computed_in_memory(tmp_path: Path) -> None:
    words = ["石墨", "烯", "散热", "膜"]
    vectors = np.random.default_rng(2).normal(size=(len(words), 16)).astype(np.float16)
    index = {w: i for i, w in enumerate(words)}
    computed = WordVectorSpace(Lexicon(words, index, vectors, {}, {}), dim=8)
    # A cache that cannot be written (here: a directory that does not exist; permissions do
    # not stop root) leaves the space computed in this process.
    missing = tmp_path / "absent"
    space = WordVectorSpace(Lexicon(words, index, vectors, directory=missing), dim=8)
    assert np.array_equal(space.vectors, computed.vectors) and space.vectors.flags.writeable
    assert not missing.exists()
