"""BM25F postings against a naive reference and bm25s; segments, appends, deletes, merging."""

from __future__ import annotations

import math
import random
from collections import Counter

import bm25s
import numpy as np
import pytest

from silian.matching import sparse
from silian.matching.sparse import BM25FIndex, TermCounts

VOCAB = [f"t{i}" for i in range(40)]


def _docs(n: int, seed: int = 0) -> list[list[str]]:
    rng = random.Random(seed)
    return [[rng.choice(VOCAB[: 5 + i % 35]) for _ in range(rng.randint(1, 30))] for i in range(n)]


def naive_bm25(
    docs: list[list[str]], query: list[str], k1: float = 1.2, b: float = 0.75
) -> list[float]:
    """Textbook BM25 with Lucene's idf, straight from the formula."""
    n = len(docs)
    avg = sum(len(d) for d in docs) / n
    df = Counter(t for d in docs for t in set(d))
    out = []
    for d in docs:
        tf = Counter(d)
        s = 0.0
        for t in query:
            if tf[t]:
                idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                s += idf * tf[t] * (k1 + 1) / (tf[t] + k1 * (1 - b + b * len(d) / avg))
        out.append(s)
    return out


def test_matches_naive_reference() -> None:
    docs = _docs(300)
    index = BM25FIndex({"text": 1.0})
    index.build([{"text": d} for d in docs])
    query = ["t1", "t7", "t30"]
    got = index.score(dict.fromkeys(query, 1.0), len(docs))
    want = np.array(naive_bm25(docs, query))
    # Saturated tf is stored as uint8: about 0.4 % of (k1 + 1) per term.
    assert np.allclose(got, want, rtol=0.01, atol=0.03)
    assert np.argmax(got) == np.argmax(want)


def test_agrees_with_bm25s() -> None:
    docs = _docs(200, seed=3)
    retriever = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    retriever.index([d for d in docs], show_progress=False)
    index = BM25FIndex({"text": 1.0})
    index.build([{"text": d} for d in docs])
    query = ["t2", "t9"]
    ours = index.score(dict.fromkeys(query, 1.0), len(docs))
    # bm25s' "lucene" variant leaves out the constant (k1 + 1) factor of the tf part.
    ref = retriever.get_scores(query) * (1.2 + 1)
    assert np.allclose(ours, ref, rtol=0.01, atol=0.03)


def test_field_weights() -> None:
    index = BM25FIndex({"title": 3.0, "text": 1.0})
    index.build([{"title": ["a"], "text": ["b"]}, {"title": ["b"], "text": ["a"]}])
    scores = index.score({"a": 1.0}, 2)
    assert scores[0] > scores[1] > 0


def test_segments_appends_deletes_and_merges(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sparse, "SEGMENT_SIZE", 16)
    monkeypatch.setattr(sparse, "PENDING_LIMIT", 3)
    monkeypatch.setattr(sparse, "MAX_SMALL_SEGMENTS", 2)
    docs = _docs(40, seed=5)
    index = BM25FIndex({"text": 1.0})
    index.build([{"text": d} for d in docs[:20]])
    assert [s.size for s in index.segments] == [16, 4]
    for d in docs[20:]:
        index.append(index.counts([{"text": d}]))
    index.flush()
    assert all(s.size <= 16 for s in index.segments)
    assert len(index.segments) <= 5  # small segments were merged
    bases = [s.base for s in index.segments]
    assert bases == sorted(bases) and sum(s.size for s in index.segments) == 40
    assert index.n_slots == 40
    query = {"t3": 1.0, "t4": 1.0}
    reference = BM25FIndex({"text": 1.0})
    reference.begin([reference.counts([{"text": d} for d in docs[:20]])])
    reference.add_many(reference.counts([{"text": d} for d in docs]))
    reference.flush()
    assert np.allclose(index.score(query, 40), reference.score(query, 40), atol=1e-5)
    # Deleting updates df and n_docs exactly.
    before = index.df.copy()
    removed = set(docs[7])
    index.remove(7)
    after = index.df
    for term in removed:
        assert after[index.vocab[term]] == before[index.vocab[term]] - 1
    assert index.n_docs == 39
    live = np.ones(40, bool)
    live[7] = False
    index.compact(live)
    assert index.score({t: 1.0 for t in removed}, 40)[7] == 0.0
    assert set(index.matched_terms(8, list(docs[8]))) == set(docs[8])


def test_state_round_trip() -> None:
    docs = _docs(50, seed=9)
    index = BM25FIndex({"text": 1.0})
    index.build([{"text": d} for d in docs])
    index.append(index.counts([{"text": ["t1", "new"]}]))
    meta, arrays = index.state()
    copy = BM25FIndex.from_state(meta, arrays)
    q = {"t1": 1.0, "new": 2.0}
    assert np.array_equal(index.score(q, 51), copy.score(q, 51))


def reference_row(
    fields: dict[str, list[str]], weights: dict[str, float], avglen: dict[str, float]
) -> dict[str, int]:
    """One document's quantised saturated BM25F term weights, term by term in plain Python."""
    k1, b = 1.2, 0.75
    tf: dict[str, float] = {}
    for name, weight in weights.items():
        tokens = fields.get(name) or []
        if not tokens:
            continue
        norm = 1.0 - b + b * len(tokens) / avglen[name]
        for term, count in Counter(tokens).items():
            tf[term] = tf.get(term, 0.0) + count * weight / norm
    out = {}
    for term, raw in tf.items():
        sat = raw * (k1 + 1) / (raw + k1)
        out[term] = min(255, max(1, round(sat * 255 / (k1 + 1))))
    return out


def test_chunk_rows_match_the_reference_and_report_counts() -> None:
    docs = [{"title": d[:3], "text": d} for d in _docs(60, seed=11)]
    weights = {"title": 2.0, "text": 1.0}
    index = BM25FIndex(weights)
    index.begin([index.counts(docs)])
    counts = index.add_many(index.counts(docs))
    for i, doc in enumerate(docs):
        ids, vals = index.pending[i]
        got = dict(zip((index.terms[t] for t in ids.tolist()), vals.tolist(), strict=True))
        assert got == reference_row(doc, weights, index.avglen)
        # Raw counts cover both fields, unweighted.
        rows = counts.doc == i
        raw = {
            index.terms[t]: c for t, c in zip(counts.term[rows], counts.count[rows], strict=True)
        }
        assert raw == Counter(doc["title"] + doc["text"])
    df = Counter(t for d in docs for t in set(d["title"] + d["text"]))
    assert {t: index.df[index.vocab[t]] for t in index.terms} == df


def test_matched_terms_in_packed_and_pending_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sparse, "SEGMENT_SIZE", 8)
    docs = _docs(20, seed=13)
    index = BM25FIndex({"text": 1.0})
    index.build([{"text": d} for d in docs])
    index.append(index.counts([{"text": ["t1", "fresh"]}]))
    probe = [*VOCAB, "fresh", "unknown"]
    for slot, doc in enumerate([*docs, ["t1", "fresh"]]):
        assert set(index.matched_terms(slot, probe)) == set(doc)


def test_segment_contains_agrees_with_a_scan_of_the_row() -> None:
    # contains() binary-searches each term's column; a scan of the row is the reference.
    docs = _docs(300, seed=3)
    index = BM25FIndex({"text": 1.0})
    index.build([{"text": d} for d in docs])
    segment = index.segments[0]
    for row in (0, 1, 57, 150, 299):
        present = set(segment.row_entries(row)[0].tolist())
        probe = [-1, *range(len(index.terms) + 3)]
        expected = [tid in present for tid in probe]
        assert segment.contains(probe, row) == expected
        assert sum(expected) == len(set(docs[row]))


def test_term_counts_keep_first_appearance_order_and_counts() -> None:
    docs = [{"title": ["b", "a"], "text": ["a", "c", "a"]}, {"title": [], "text": ["d", "b"]}]
    counts = TermCounts.of(docs, ("title", "text"))
    assert counts.terms == ["b", "a", "c", "d"]
    assert counts.lengths.tolist() == [[2, 3], [0, 2]]
    entries = zip(
        counts.doc.tolist(),
        counts.field.tolist(),
        [counts.terms[t] for t in counts.term.tolist()],
        counts.count.tolist(),
        strict=True,
    )
    assert list(entries) == [
        (0, 0, "b", 1),
        (0, 0, "a", 1),
        (0, 1, "a", 2),
        (0, 1, "c", 1),
        (1, 1, "b", 1),
        (1, 1, "d", 1),
    ]
    # The index numbers terms as it would token by token: documents, fields, tokens.
    index = BM25FIndex({"title": 2.0, "text": 1.0})
    index.build(docs)
    assert index.terms == ["b", "a", "c", "d"]


def test_a_field_of_weight_zero_adds_no_terms_or_weight() -> None:
    docs = [{"title": ["only", "a"], "text": ["a", "b"]}, {"title": ["b"], "text": ["c"]}]
    index = BM25FIndex({"title": 0.0, "text": 1.0})
    index.build(docs)
    assert sorted(index.terms) == ["a", "b", "c"]
    plain = BM25FIndex({"text": 1.0})
    plain.build([{"text": d["text"]} for d in docs])
    query = {"a": 1.0, "b": 1.0, "c": 1.0}
    assert np.array_equal(index.score(query, 2), plain.score(query, 2))
