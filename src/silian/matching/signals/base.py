"""The one interface every signal implements, and the data passed to it.

A signal has a ``name`` and a ``stage``:

* ``"slots"`` — scored for every slot of the index (:meth:`Signal.score` returns a
  :class:`SlotScore`: raw float32 values over the slots, the weight fusion gives their z-scores,
  an optional bonus, and which slots it counts as content evidence);
* ``"pool"`` — scored for the candidate pool that the slot stage selected
  (:meth:`Signal.score` returns a :class:`PoolScore` over the pool).

Build and edits: :meth:`Signal.begin` (the :class:`Analysis` of a leading sample, before a
build), :meth:`Signal.add` (a :class:`Batch` of documents at the next slots, in a build or as one
edit),
:meth:`Signal.finish` (end of a build), :meth:`Signal.remove` (a deleted slot). Persistence:
:meth:`Signal.state` / :meth:`Signal.restore` (JSON metadata and named numpy arrays, mapped
read-only on load). Reasons: :meth:`Signal.explain` adds this signal's reasons for one hit.
How signals are combined is :mod:`silian.matching.fusion`'s business, not the signals'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from silian.matching.arrays import Live
from silian.matching.documents import Document, Profile, Reason
from silian.matching.sparse import ChunkTerms, TermCounts

if TYPE_CHECKING:
    from silian.matching.config import EngineConfig, Weights
    from silian.matching.records import Records
    from silian.matching.signals.lexical import LexicalIndex
    from silian.matching.text import Analyzer, QueryTerms

Fields = dict[str, list[str]]
Analysed = tuple[Fields, Fields]
"""One document's word terms and bigram terms per field (title, keywords, text)."""
Stage = Literal["slots", "pool"]


@dataclass
class Parts:
    """What the signals of one engine share: its settings, records, lexical index, analyser."""

    config: EngineConfig
    records: Records
    lexical: LexicalIndex
    analyzer: Analyzer


@dataclass
class Analysis:
    """A chunk of documents as the index takes them (computed by a build's worker processes).

    Both channels' term counts, and what fixed models make of each document: its discipline
    (given, else the classifier's label; "" if none) and its GB/T 4754 division codes.
    """

    words: TermCounts
    bigrams: TermCounts
    disciplines: list[str]
    industries: list[list[str]]

    def __len__(self) -> int:
        """Number of documents."""
        return self.words.n_docs


@dataclass
class Batch:
    """Documents added at slots ``base`` … ``base + len(docs) − 1``, with their analysis.

    ``counts`` holds the batch's raw word counts in the lexical index's vocabulary during a
    build (None for a single edit); ``building`` tells a build's chunks from edits. An edit
    also carries each document's token lists (``analysed``); a build's chunks do not.
    """

    docs: Sequence[Document]
    analysis: Analysis
    base: int
    counts: ChunkTerms | None = None
    building: bool = False
    analysed: Sequence[Analysed] = ()


@dataclass
class DisciplineRows:
    """Discipline distributions of a batch's documents: ``proba[i, j]`` = P(``labels[j]``) for
    document i (its given disciplines shared equally, else the classifier's; zeros if neither)."""

    labels: Sequence[str]
    proba: NDArray[np.float32]


@dataclass
class Query:
    """One query as every signal sees it; fusion fills ``raw`` and ``fused`` as it goes."""

    text: str
    normal: str
    words: list[str]
    bigrams: list[str]
    profile: Profile
    weights: Weights
    n_slots: int
    everyone: Live
    raw: dict[str, NDArray[np.float32]] = field(default_factory=dict)
    # Sum of the contributions of the slot signals fused so far (None before the first).
    fused: NDArray[np.float32] | None = None
    # Per-query values a signal keeps for its reasons (the discipline distribution, …).
    notes: dict[str, Any] = field(default_factory=dict)
    now: float = 0.0
    # Clause roles, weighted words and core words (None: plain counts, no core).
    terms: QueryTerms | None = None

    def word_bag(self) -> dict[str, float]:
        """Query words with their weights: counts, moved toward clause-role weights."""
        return _bag(self.words, self.terms.weights if self.terms else None, self.weights)

    def bigram_bag(self) -> dict[str, float]:
        """Query bigrams with their weights, as :meth:`word_bag`."""
        return _bag(self.bigrams, self.terms.bigram_weights if self.terms else None, self.weights)


def _bag(
    terms: Sequence[str], weighted: Mapping[str, float] | None, weights: Weights
) -> dict[str, float]:
    counts: dict[str, float] = {}
    for term in terms:
        counts[term] = counts.get(term, 0.0) + 1.0
    mix = weights.clause_weights
    if not weighted or mix == 0:
        return counts
    # A word only in a line label (需求名称：…) has no clause: it keeps (1 − mix) of its count.
    return {t: (1 - mix) * c + mix * weighted.get(t, 0.0) for t, c in counts.items()}


@dataclass
class SlotScore:
    """A slot signal's values for one query: fused as ``weight`` × z-score + ``bonus``."""

    raw: NDArray[np.float32]
    weight: float
    bonus: NDArray[np.float32] | None = None
    # Slots this signal counts as content evidence (None: it gives no evidence).
    evidence: NDArray[np.bool_] | None = None


@dataclass
class PoolScore:
    """A pool signal's values over the pool: fused as ``weight`` × ``values``.

    ``applies[i]`` says whether the signal has something to say about the i-th pooled slot
    (its share and reasons), ``details[i]`` what (passed back to :meth:`Signal.explain`).
    """

    values: NDArray[np.float64]
    weight: float
    applies: Sequence[bool]
    details: Sequence[Any]


@dataclass
class Explanation:
    """Reasons for one hit being built: structured data (``out``) and sentences (``items``)."""

    out: dict[str, Any]
    items: list[Reason] = field(default_factory=list)


class Signal(Protocol):
    """One evidence channel of the engine (see the module docstring)."""

    name: str
    stage: Stage

    def begin(self, sample: Sequence[Analysis], total: int) -> None:
        """Start a build; ``sample`` is the analysed leading sample (in chunks), ``total`` the
        expected number of documents (0 if unknown)."""

    def add(self, batch: Batch) -> None:
        """Index documents at the next slots (a build chunk or one edit)."""

    def finish(self) -> None:
        """End a build."""

    def remove(self, slot: int) -> None:
        """Forget a deleted slot."""

    def state(self) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
        """JSON-able metadata and named arrays to save (names unique across signals)."""

    def restore(self, meta: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]]) -> None:
        """Take the state saved by :meth:`state` (keep mapped arrays as they are)."""

    def score(self, query: Query, pool: NDArray[np.int64] | None) -> SlotScore | PoolScore | None:
        """Slot stage (``pool`` None): a :class:`SlotScore`; pool stage: a :class:`PoolScore`,
        or None when the signal has nothing to add for this query."""

    def explain(self, slot: int, query: Query, detail: Any, into: Explanation) -> None:
        """Add this signal's reasons for the hit at ``slot`` (``detail`` from its
        :class:`PoolScore`, None for slot signals)."""


class Passive:
    """Defaults for signals that keep no index of their own (build, edits and state no-ops)."""

    def begin(self, sample: Sequence[Analysis], total: int) -> None:
        """Nothing to prepare."""

    def add(self, batch: Batch) -> None:
        """Nothing to index."""

    def finish(self) -> None:
        """Nothing to finish."""

    def remove(self, slot: int) -> None:
        """Nothing to forget."""

    def state(self) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
        """Nothing to save."""
        return {}, {}

    def restore(self, meta: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]]) -> None:
        """Nothing to restore."""
