"""The lexical channel behind one interface: word and bigram postings, in process or elsewhere.

:class:`LexicalIndex` is everything the engine and its signals ask of the postings: BM25F
scores of every slot for a bag of terms (``"words"``: jieba words, ``"bigrams"``: character
bigrams), which query terms a slot contains (for reasons), term statistics (idf, the number of
documents) and the word vocabulary in id order with each build chunk's word counts (the
semantic channel embeds documents from them). Documents arrive already analysed, as each
field's distinct terms and their counts (:class:`~silian.matching.sparse.TermCounts`), so an
external engine (OpenSearch/Elasticsearch) would receive pre-segmented terms with term
frequencies and the same field weights.

The backend is chosen by ``EngineConfig.lexical`` from :data:`BACKENDS`; ``"local"`` is
:class:`LocalLexicalIndex` over :class:`~silian.matching.sparse.BM25FIndex`. Another backend
registers a factory with :func:`register_backend` — no external adapter ships here, since none
can be run or tested on this machine (see ``docs/matching.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from silian.matching.signals.base import Analysis
from silian.matching.sparse import BM25FIndex, ChunkTerms

if TYPE_CHECKING:
    from silian.matching.config import EngineConfig

Channel = Literal["words", "bigrams"]


class LexicalIndex(Protocol):
    """Word and bigram postings of every slot, updatable in place."""

    def begin(self, sample: Sequence[Analysis]) -> None:
        """Reset for a build; field-length averages come from the analysed sample."""

    def add_many(self, analysis: Analysis) -> ChunkTerms:
        """Index a build chunk at the next slots; its raw word counts (ids of ``word_terms``)."""

    def append(self, analysis: Analysis) -> int:
        """Index one document (an analysis of one) at the next slot and return that slot."""

    def finish(self) -> None:
        """End a build (pack what is pending)."""

    def remove(self, slot: int) -> None:
        """Forget a deleted slot's contribution to the statistics."""

    def compact(self, live: NDArray[np.bool_]) -> None:
        """Drop dead slots' postings (slots keep their numbers)."""

    def score(
        self, channel: Channel, terms: Mapping[str, float], n_slots: int
    ) -> NDArray[np.float32]:
        """BM25F score of every slot for a weighted bag of terms (unknown terms ignored)."""

    def matched_terms(self, channel: Channel, slot: int, terms: Sequence[str]) -> list[str]:
        """Which of ``terms`` occur in the document at ``slot``."""

    def idf(self, channel: Channel, terms: Sequence[str]) -> dict[str, float]:
        """BM25 idf of the known ``terms``."""

    def document_count(self) -> int:
        """Number of live documents the statistics count."""

    def word_terms(self) -> Sequence[str]:
        """The word vocabulary in id order (the ids of :meth:`add_many`'s counts)."""

    def word_weights(self) -> tuple[dict[str, float], float]:
        """Idf of every word and the largest idf (cached until the statistics change)."""

    def state(self) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
        """JSON-able metadata and named arrays to save."""

    def restore(self, meta: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]]) -> None:
        """Take the state saved by :meth:`state` (keep mapped arrays as they are)."""


class LocalLexicalIndex:
    """Both channels in this process: two :class:`BM25FIndex` (words, bigrams)."""

    def __init__(
        self,
        word_fields: Mapping[str, float],
        bigram_fields: Mapping[str, float],
        k1: float = 1.2,
        b: float = 0.75,
    ) -> None:
        """Empty postings with these field weights and BM25 parameters."""
        self.words = BM25FIndex(word_fields, k1, b)
        self.bigrams = BM25FIndex(bigram_fields, k1, b)
        self._idf_cache: tuple[tuple[int, int], tuple[dict[str, float], float]] | None = None

    @classmethod
    def create(cls, config: EngineConfig) -> LocalLexicalIndex:
        """The backend factory registered as ``"local"``."""
        return cls(config.word_fields, config.bigram_fields, config.k1, config.b)

    def _index(self, channel: Channel) -> BM25FIndex:
        return self.words if channel == "words" else self.bigrams

    def begin(self, sample: Sequence[Analysis]) -> None:
        """Reset both channels with field-length averages from the sample."""
        self.words.begin([a.words for a in sample])
        self.bigrams.begin([a.bigrams for a in sample])

    def add_many(self, analysis: Analysis) -> ChunkTerms:
        """Append a chunk to both channels; the word counts of the chunk."""
        counts = self.words.add_many(analysis.words)
        self.bigrams.add_many(analysis.bigrams)
        return counts

    def append(self, analysis: Analysis) -> int:
        """Append one document to both channels."""
        slot = self.words.append(analysis.words)
        if self.bigrams.append(analysis.bigrams) != slot:
            raise RuntimeError("index slots out of step")
        return slot

    def finish(self) -> None:
        """Pack pending rows of both channels."""
        self.words.flush()
        self.bigrams.flush()

    def remove(self, slot: int) -> None:
        """Forget a slot in both channels."""
        self.words.remove(slot)
        self.bigrams.remove(slot)

    def compact(self, live: NDArray[np.bool_]) -> None:
        """Compact both channels."""
        self.words.compact(live)
        self.bigrams.compact(live)

    def score(
        self, channel: Channel, terms: Mapping[str, float], n_slots: int
    ) -> NDArray[np.float32]:
        """BM25F scores of one channel."""
        return self._index(channel).score(terms, n_slots)

    def matched_terms(self, channel: Channel, slot: int, terms: Sequence[str]) -> list[str]:
        """Terms of one channel present at ``slot``."""
        return self._index(channel).matched_terms(slot, terms)

    def idf(self, channel: Channel, terms: Sequence[str]) -> dict[str, float]:
        """Idf of the known terms of one channel."""
        index = self._index(channel)
        known = [t for t in terms if t in index.vocab]
        if not known:
            return {}
        values = index.idf(np.array([index.vocab[t] for t in known], np.int64))
        return dict(zip(known, values.tolist(), strict=True))

    def document_count(self) -> int:
        """Live documents counted by the word statistics."""
        return self.words.n_docs

    def word_terms(self) -> Sequence[str]:
        """The word vocabulary in id order."""
        return self.words.terms

    def word_weights(self) -> tuple[dict[str, float], float]:
        """Idf of every word and the largest, cached by vocabulary size and document count."""
        key = (len(self.words.terms), self.words.n_docs)
        cached = self._idf_cache
        if cached is None or cached[0] != key:
            n = len(self.words.terms)
            if n == 0:
                weights: tuple[dict[str, float], float] = ({}, 1.0)
            else:
                idf = self.words.idf(np.arange(n))
                weights = dict(zip(self.words.terms, idf.tolist(), strict=True)), float(idf.max())
            cached = (key, weights)
            self._idf_cache = cached
        return cached[1]

    def state(self) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
        """Both channels' metadata (``words``, ``bigrams``) and arrays (``w_*``, ``b_*``)."""
        w_meta, w_arrays = self.words.state()
        b_meta, b_arrays = self.bigrams.state()
        arrays = {f"w_{k}": v for k, v in w_arrays.items()}
        arrays.update({f"b_{k}": v for k, v in b_arrays.items()})
        return {"words": w_meta, "bigrams": b_meta}, arrays

    def restore(self, meta: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]]) -> None:
        """Rebuild both channels from :meth:`state` output."""
        self.words = BM25FIndex.from_state(
            meta["words"], {k[2:]: v for k, v in arrays.items() if k.startswith("w_")}
        )
        self.bigrams = BM25FIndex.from_state(
            meta["bigrams"], {k[2:]: v for k, v in arrays.items() if k.startswith("b_")}
        )
        self._idf_cache = None


LexicalFactory = Callable[["EngineConfig"], LexicalIndex]
BACKENDS: dict[str, LexicalFactory] = {"local": LocalLexicalIndex.create}
"""Lexical backends by the name ``EngineConfig.lexical`` gives."""


def register_backend(name: str, factory: LexicalFactory) -> None:
    """Make a lexical backend available under ``name`` (replacing one of that name)."""
    BACKENDS[name] = factory


def create_lexical(config: EngineConfig) -> LexicalIndex:
    """The configured lexical backend, empty."""
    factory = BACKENDS.get(config.lexical)
    if factory is None:
        known = "、".join(sorted(BACKENDS))
        raise ValueError(f"未知的词项索引后端 lexical={config.lexical!r}（可用：{known}）")
    return factory(config)
