"""The ``semantic`` signal: cosine of idf-weighted, centred pretrained word-vector averages (or
of a configured sentence-embedding model's vectors).

It keeps one unit vector per slot (:class:`~silian.matching.dense.DenseMatrix`); a build embeds
each chunk from the lexical index's word counts, an edit embeds its words with the current idf.
A cosine of at least :data:`MIN_SEMANTIC` counts as content evidence; reasons name the query
words closest to the hit's vector.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from silian.matching.dense import ChunkEmbedder, DenseMatrix, WordVectorSpace
from silian.matching.documents import Reason
from silian.matching.embedding import Encoder, load_encoder
from silian.matching.lexicon import load_lexicon
from silian.matching.signals.base import (
    Analysis,
    Batch,
    Explanation,
    Parts,
    Query,
    SlotScore,
    Stage,
)
from silian.matching.sparse import TermCounts
from silian.matching.text import normalise

MIN_SEMANTIC = 0.3


@lru_cache(maxsize=4)
def word_space(dim: int, semantic: bool) -> WordVectorSpace:
    """One PCA-reduced word space per process and size (engines only read it)."""
    return WordVectorSpace(load_lexicon() if semantic else None, dim)


def sample_idf(sample: Sequence[TermCounts]) -> tuple[dict[str, float], float]:
    """Idf of every word of a sample of documents (chunks of word counts, all fields), and the
    idf of an unseen word."""
    df: Counter[str] = Counter()
    for chunk in sample:
        width = max(len(chunk.terms), 1)
        # A document counts once per word, whichever fields it appears in.
        pairs = np.unique(chunk.doc.astype(np.int64) * width + chunk.term)
        per_term = np.bincount(pairs % width, minlength=len(chunk.terms))
        df.update({t: c for t, c in zip(chunk.terms, per_term.tolist(), strict=True) if c})
    n = max(sum(chunk.n_docs for chunk in sample), 1)
    idf = {t: math.log1p((n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
    return idf, math.log1p((n + 0.5) / 0.5)


class SemanticSignal:
    """Dense document vectors and their cosine with the query's."""

    name = "semantic"
    stage: Stage = "slots"

    def __init__(self, parts: Parts) -> None:
        """An empty matrix of the configured model's dimension."""
        self.parts = parts
        self.config = parts.config
        self._space: WordVectorSpace | None = None
        self._encoder: Encoder | None = None
        self._embedder: ChunkEmbedder | None = None
        self.dense = DenseMatrix(self._dense_dim())

    @property
    def space(self) -> WordVectorSpace:
        """The word-vector space (loaded on first use)."""
        if self._space is None:
            self._space = word_space(self.config.dense_dim, self.config.semantic)
        return self._space

    @property
    def encoder(self) -> Encoder | None:
        """The configured sentence-embedding model, or None (word vectors are used)."""
        if self._encoder is None and self.config.semantic and self.config.embedding_model:
            self._encoder = load_encoder(self.config.embedding_model)
        return self._encoder

    def _dense_dim(self) -> int:
        encoder = self.encoder
        return encoder.dim if encoder is not None else self.config.dense_dim

    def _encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        assert self.encoder is not None
        return np.asarray(self.encoder.encode([normalise(t) for t in texts]), np.float32)

    # -- build / edits ----------------------------------------------------------------------
    def begin(self, sample: Sequence[Analysis], total: int) -> None:
        """Reserve rows; word weights for the build come from the sample's document frequency."""
        if total:
            self.dense.reserve(total)
        idf, default = sample_idf([a.words for a in sample])
        self._embedder = None if self.encoder else ChunkEmbedder(self.space, idf, default)

    def add(self, batch: Batch) -> None:
        """Embed the batch's documents: a build chunk from its word counts, an edit directly."""
        docs = batch.docs
        if batch.building:
            if self.encoder is not None:
                raw = self._encode([d.query_text() for d in docs])
            elif self.config.semantic and self._embedder is not None and batch.counts is not None:
                counts = batch.counts
                terms = self.parts.lexical.word_terms()
                raw = self._embedder.embed(terms, counts.doc, counts.term, counts.count, len(docs))
            else:
                raw = np.zeros((len(docs), self.dense.dim), np.float32)
            self.dense.add_raw(raw)
            return
        for doc, (w, _) in zip(docs, batch.analysed, strict=True):
            if self.encoder is not None:
                one = self._encode([doc.query_text()])[0]
            elif self.config.semantic:
                # The cached weights are then reused by the next query rather than rebuilt.
                idf, default = self.parts.lexical.word_weights()
                one = self.space.embed(w["title"] + w["keywords"] + w["text"], idf, default)
            else:
                one = np.zeros(self.dense.dim, np.float32)
            self.dense.append(np.asarray(one, np.float32))

    def finish(self) -> None:
        """Freeze the corpus mean and centre the rows."""
        self.dense.finish()
        self._embedder = None

    def remove(self, slot: int) -> None:
        """Zero the slot's vector."""
        self.dense.clear(slot)

    def state(self) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
        """The matrix (``dense``, ``dense_mean``, ``dense_n``)."""
        return {}, self.dense.state()

    def restore(self, meta: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]]) -> None:
        """Map the saved matrix."""
        self.dense = DenseMatrix.from_state(arrays)

    # -- querying ---------------------------------------------------------------------------
    def score(self, query: Query, pool: NDArray[np.int64] | None) -> SlotScore:
        """Cosine of every slot's vector with the query's; ≥ MIN_SEMANTIC is evidence."""
        n = query.n_slots
        if self.config.semantic and self.dense.n:
            if self.encoder is not None:
                embedded = self._encode([query.text])
            else:
                idf, default = self.parts.lexical.word_weights()
                embedded = self.space.embed(query.words, idf, default)[None, :]
            qv = self.dense.transform(embedded)[0]
            raw = self.dense.scores(qv, n)
        else:
            raw = np.zeros(n, np.float32)
        return SlotScore(raw, query.weights.semantic, None, raw >= MIN_SEMANTIC)

    def explain(self, slot: int, query: Query, detail: Any, into: Explanation) -> None:
        """The query words closest in meaning to the hit, with the cosine."""
        cosine = float(query.raw[self.name][slot])
        if not self.config.semantic or cosine <= 0:
            return
        related = self.related_words(slot, query.words, notes=query.notes)
        if related:
            into.out["semantic_words"] = related
            into.items.append(
                Reason(
                    "semantic",
                    "语义相关：" + "、".join(related),
                    {"words": related, "cosine": round(cosine, 4)},
                )
            )

    def related_words(
        self, slot: int, words: Sequence[str], k: int = 3, notes: dict[str, Any] | None = None
    ) -> list[str]:
        """Up to ``k`` distinct query words (two characters or more) nearest the slot's vector.

        ``notes`` (a query's) keeps the query words' vectors for the next hit of that query.
        """
        if self.encoder is not None:
            return []  # a sentence model has no per-word vectors to show
        space = self.space
        if space.lexicon is None:
            return []
        cached = notes.get("related_words") if notes is not None else None
        if cached is None:
            index = space.lexicon.index
            # A single character (降, 厂) reads as a fragment, not as a related word.
            known = [w for w in dict.fromkeys(words) if len(w) >= 2 and w in index]
            rows = space.vectors[[index[w] for w in known]] if known else None
            cached = (known, rows)
            if notes is not None:
                notes["related_words"] = cached
        known, rows = cached
        if rows is None:
            return []
        scores = (rows @ self.dense.data[slot]).tolist()
        best = sorted(zip(scores, known, strict=True), reverse=True)
        return [w for s, w in best[:k] if s > 0.05]
