"""Helpers for the signal unit tests: an in-memory LexicalIndex double, parts and queries."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from silian.matching.config import EngineConfig, Weights
from silian.matching.documents import Document, Profile
from silian.matching.parallel import Models, analyse_chunk
from silian.matching.records import Records
from silian.matching.signals.base import Analysed, Analysis, Parts, Query
from silian.matching.signals.lexical import Channel
from silian.matching.sparse import ChunkTerms, TermCounts
from silian.matching.text import Analyzer, analyse_query


class MemoryLexicalIndex:
    """A trivial :class:`LexicalIndex`: per-slot term counters and a plain idf × tf score.

    It stands in for an external engine: the engine and the signals must work through the
    protocol alone, whatever ranks the postings.
    """

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.calls: list[str] = []
        self._clear()

    def _clear(self) -> None:
        self.rows: dict[str, list[Counter[str]]] = {"words": [], "bigrams": []}
        self.live: list[bool] = []
        self.vocab: list[str] = []

    @staticmethod
    def _bags(counts: TermCounts) -> list[Counter[str]]:
        bags: list[Counter[str]] = [Counter() for _ in range(counts.n_docs)]
        for d, t, c in zip(counts.doc, counts.term, counts.count, strict=True):
            bags[d][counts.terms[t]] += int(c)
        return bags

    def _add(self, analysis: Analysis) -> int:
        for channel, counts in (("words", analysis.words), ("bigrams", analysis.bigrams)):
            self.rows[channel].extend(self._bags(counts))
        for bag in self.rows["words"][len(self.live) :]:
            for term in bag:
                if term not in self.vocab:
                    self.vocab.append(term)
        self.live.extend([True] * len(analysis))
        return len(self.live) - 1

    def begin(self, sample: Sequence[Analysis]) -> None:
        self._clear()
        self.calls.append("begin")

    def add_many(self, analysis: Analysis) -> ChunkTerms:
        base = len(self.live)
        self._add(analysis)
        doc, term, count = [], [], []
        for i in range(len(analysis)):
            for t, c in self.rows["words"][base + i].items():
                doc.append(i)
                term.append(self.vocab.index(t))
                count.append(c)
        return ChunkTerms(
            np.array(doc, np.int64), np.array(term, np.int32), np.array(count, np.float32)
        )

    def append(self, analysis: Analysis) -> int:
        return self._add(analysis)

    def finish(self) -> None:
        self.calls.append("finish")

    def remove(self, slot: int) -> None:
        self.live[slot] = False

    def compact(self, live: NDArray[np.bool_]) -> None:
        self.calls.append("compact")

    def _df(self, channel: Channel, term: str) -> int:
        return sum(
            1 for row, ok in zip(self.rows[channel], self.live, strict=True) if ok and term in row
        )

    def idf(self, channel: Channel, terms: Sequence[str]) -> dict[str, float]:
        n = max(self.document_count(), 1)
        out = {}
        for term in terms:
            df = self._df(channel, term)
            if df:
                out[term] = math.log1p((n - df + 0.5) / (df + 0.5))
        return out

    def score(
        self, channel: Channel, terms: Mapping[str, float], n_slots: int
    ) -> NDArray[np.float32]:
        idf = self.idf(channel, list(terms))
        out = np.zeros(n_slots, np.float32)
        for slot, row in enumerate(self.rows[channel][:n_slots]):
            if self.live[slot]:
                out[slot] = sum(
                    w * idf.get(t, 0.0) * row[t] / (row[t] + 1.2) for t, w in terms.items()
                )
        return out

    def matched_terms(self, channel: Channel, slot: int, terms: Sequence[str]) -> list[str]:
        return [t for t in terms if t in self.rows[channel][slot]]

    def document_count(self) -> int:
        return sum(self.live)

    def word_terms(self) -> Sequence[str]:
        return self.vocab

    def word_weights(self) -> tuple[dict[str, float], float]:
        idf = self.idf("words", self.vocab)
        return idf, max(idf.values(), default=1.0)

    def state(self) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
        rows = {c: [dict(r) for r in rs] for c, rs in self.rows.items()}
        return {"memory_lexical": {"rows": rows, "live": self.live, "vocab": self.vocab}}, {}

    def restore(self, meta: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]]) -> None:
        saved = meta["memory_lexical"]
        self.rows = {c: [Counter(r) for r in rs] for c, rs in saved["rows"].items()}
        self.live = list(saved["live"])
        self.vocab = list(saved["vocab"])


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    """One segmenter for the signal tests (it only reads)."""
    return Analyzer()


PLAIN = Models(("title", "keywords", "text"), ("title", "keywords", "text"), lambda: None, None)
"""Segmentation only: no classifier, no tagger."""


def analyse_docs(
    analyzer: Analyzer, docs: Sequence[Document], models: Models = PLAIN
) -> tuple[Analysis, list[Analysed]]:
    """The analysis of documents as a build's chunk (and their token lists)."""
    texts = [(d.title, list(d.keywords), d.text, list(d.disciplines)) for d in docs]
    return analyse_chunk(analyzer, models, texts)


def make_parts(
    analyzer: Analyzer,
    docs: Sequence[dict[str, Any]],
    config: EngineConfig | None = None,
    models: Models = PLAIN,
) -> tuple[Parts, Analysis]:
    """Records and a :class:`MemoryLexicalIndex` holding ``docs`` (no signal built yet), and
    the documents' analysis (with ``models``)."""
    config = config or EngineConfig(classify=False, semantic=False, tag_industries=False)
    records, lexical = Records(), MemoryLexicalIndex()
    documents = [Document.from_mapping(raw) for raw in docs]
    analysis = analyse_docs(analyzer, documents, models)[0]
    lexical.add_many(analysis)
    for slot, doc in enumerate(documents):
        records.append(doc, slot)
    return Parts(config, records, lexical, analyzer), analysis


def make_query(
    analyzer: Analyzer,
    parts: Parts,
    text: str,
    profile: Profile | None = None,
    weights: Weights | None = None,
    understood: bool = False,
) -> Query:
    """A query over every slot of ``parts`` (all live); with ``understood``, as the engine
    makes it (clause-weighted words and core words from the query analysis)."""
    return Query(
        text=text,
        normal=text,
        words=analyzer.words(text),
        bigrams=analyzer.bigrams(text),
        profile=profile or Profile(),
        weights=weights or Weights(),
        n_slots=parts.records.n_slots,
        everyone=None,
        terms=analyse_query(analyzer, text) if understood else None,
    )
