"""The semantic channel: chunked embedding against the per-document reference."""

from __future__ import annotations

import numpy as np

from silian.matching.dense import ChunkEmbedder, WordVectorSpace
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
    index.begin(docs)
    counts = index.add_many(docs)
    embedder = ChunkEmbedder(space, weights, 1.5)
    got = embedder.embed(index.terms, counts.doc, counts.term, counts.count, len(docs))
    for i, doc in enumerate(docs):
        want = space.embed(doc["title"] + doc["text"], weights, 1.5)
        assert np.allclose(got[i], want, atol=1e-5)
    # "石墨烯" is not in the vocabulary: it falls back to its characters, so it is not zero.
    assert np.linalg.norm(got[0]) > 0
    assert np.allclose(got[2], 0.0)
