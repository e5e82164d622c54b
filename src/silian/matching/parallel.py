"""Text analysis of a build on every core: segmentation and per-document models in worker
processes, in order.

Segmentation is pure Python around rjieba and holds the GIL, so a build analyses its chunks in
processes. A worker also does everything else that depends only on the document and fixed
models — the discipline classifier's label and the GB/T industry tags — and returns each chunk
as an :class:`~silian.matching.signals.base.Analysis`: distinct terms per field with counts
(:class:`~silian.matching.sparse.TermCounts`), each term string once per chunk, so the builder
only numbers a chunk's distinct terms and does the BM25 arithmetic in numpy.

The result must equal a single-process build's, and jieba's segmentation depends on the domain
words added before it (a record's keywords join the dictionary before its chunk is cut, and
``add_word`` derives a word's frequency from the dictionary so far): the builder appends each
batch of new domain words to a log file, and every task names how many batches its worker must
have added first. Workers replay the log in the same order, so their dictionaries equal the
builder's at that point whichever worker takes which chunk. The industry tagger's vocabulary is
segmented with the dictionary after the first batch (the sample's words), in the builder and in
every worker; the discipline classifier is the builder's, loaded from where it is saved.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Protocol

from silian.matching.classify import ChunkWords, DisciplineClassifier, IndustryTagger
from silian.matching.signals.base import Analysed, Analysis, Fields
from silian.matching.signals.discipline import classify
from silian.matching.signals.industry import tag
from silian.matching.sparse import TermCounts, number_tokens
from silian.matching.text import Analyzer, bigram_ids, bigrams_of, normalise

# (title, keywords, text, given disciplines) of one document: plain strings pickle fast.
Texts = tuple[str, list[str], str, list[str]]
# Below this many documents a process pool costs more (start-up, dictionary load) than it saves.
MIN_PARALLEL_DOCS = 16384


def analyse(analyzer: Analyzer, title: str, keywords: Sequence[str], text: str) -> Analysed:
    """Word and bigram terms per field of one document."""
    normal = normal_fields(title, keywords, text)
    words = {f: analyzer.words(t, normalised=True) for f, t in normal.items()}
    bigrams = {f: analyzer.bigrams(t, normalised=True) for f, t in normal.items()}
    return words, bigrams


def normal_fields(title: str, keywords: Sequence[str], text: str) -> dict[str, str]:
    """A document's title, keywords (joined) and text, normalised, under their field names."""
    return {
        "title": normalise(title),
        "keywords": normalise(" ; ".join(keywords)),
        "text": normalise(text),
    }


def bigram_counts(texts: Sequence[Sequence[str]], fields: Sequence[str]) -> TermCounts:
    """``TermCounts.of`` the :func:`~silian.matching.text.bigrams_of` of already-normalised
    texts (``texts[d][j]``: document d's field ``fields[j]``), without a string per token."""
    terms, ids, lengths = bigram_ids([t for doc in texts for t in doc])
    return TermCounts.of_ids(terms, fields, ids, lengths.reshape(len(texts), len(fields)))


@dataclass
class Models:
    """What a chunk's analysis needs besides the segmenter: the fields each channel counts (in
    the index's order) and the fixed models, made on first use (``tagger`` None: no tags)."""

    word_fields: tuple[str, ...]
    bigram_fields: tuple[str, ...]
    classifier: Callable[[], DisciplineClassifier | None]
    tagger: Callable[[], IndustryTagger] | None


def analyse_chunk(
    analyzer: Analyzer, models: Models, docs: Sequence[Texts], tokens: bool = True
) -> tuple[Analysis, list[Analysed]]:
    """A chunk's :class:`Analysis` (a build's and an edit's alike) and, with ``tokens``, its
    token lists (else its words only: a build's chunks need no bigram lists)."""
    normal = [normal_fields(title, keywords, x) for title, keywords, x, _ in docs]
    words = [{f: analyzer.words(t, normalised=True) for f, t in n.items()} for n in normal]
    # The words numbered once: the word channel's counts, and the classifier's and tagger's
    # tokens by number (their vocabularies then see each distinct word once per chunk).
    numbered = number_words(words)
    labels, rows = classify(models.classifier(), [d[3] for d in docs], words, numbered)
    industries = tag(models.tagger() if models.tagger else None, words, rows, numbered)
    fields = models.bigram_fields
    if tuple(models.word_fields) == ChunkWords.FIELDS:
        word_counts = TermCounts.of_ids(
            numbered.terms, models.word_fields, numbered.ids, numbered.lengths
        )
    else:
        word_counts = TermCounts.of(words, models.word_fields)
    analysis = Analysis(
        words=word_counts,
        # Bigrams counted from the texts' code points (the counts of bigrams_of's lists).
        bigrams=bigram_counts([[n.get(f, "") for f in fields] for n in normal], fields),
        disciplines=labels,
        industries=industries,
    )
    if not tokens:
        return analysis, [(w, {}) for w in words]
    bigrams = [{f: bigrams_of(t) for f, t in n.items()} for n in normal]
    return analysis, list(zip(words, bigrams, strict=True))


def number_words(words: Sequence[Fields]) -> ChunkWords:
    """A chunk's words (title, keywords, text) numbered in order of first appearance."""
    return ChunkWords(*number_tokens(words, ChunkWords.FIELDS))


class ChunkAnalyser(Protocol):
    """Analyses chunks of documents in submission order, after adding domain words."""

    def add_words(self, words: list[str]) -> None:
        """Domain words that every later chunk must be segmented with."""

    def submit(self, docs: list[Texts]) -> None:
        """Queue a chunk; its analysis comes out of :meth:`results` in submission order."""

    def results(self, block: bool) -> Iterator[Analysis]:
        """Finished chunks, oldest first; ``block`` waits for all queued chunks."""

    def close(self) -> None:
        """Stop any worker processes."""


class SerialAnalyser:
    """Analyses in this process with the engine's own analyser (the single-core build)."""

    def __init__(self, analyzer: Analyzer, models: Models) -> None:
        """Use ``analyzer`` (its dictionary grows with :meth:`add_words`) and ``models``."""
        self.analyzer = analyzer
        self.models = models
        self._done: deque[Analysis] = deque()

    def add_words(self, words: list[str]) -> None:
        """Nothing: the builder adds domain words to this very analyser itself."""

    def submit(self, docs: list[Texts]) -> None:
        """Analyse at once."""
        self._done.append(analyse_chunk(self.analyzer, self.models, docs, tokens=False)[0])

    def results(self, block: bool) -> Iterator[Analysis]:
        """Everything analysed so far."""
        while self._done:
            yield self._done.popleft()

    def close(self) -> None:
        """Nothing to stop."""


# --- worker side ----------------------------------------------------------------------------
@dataclass(frozen=True)
class WorkerSettings:
    """What a worker needs to analyse as the builder would (sent once, at its start)."""

    word_fields: tuple[str, ...]
    bigram_fields: tuple[str, ...]
    classifier: str | None
    """Directory of the builder's saved discipline classifier (None: no classifier)."""
    tag_industries: bool


class _Worker:
    """One worker's segmenter, replay position in the domain-word log, and models."""

    def __init__(self, log: str, settings: WorkerSettings) -> None:
        self.analyzer = Analyzer()
        self.log = open(log, encoding="utf-8")  # noqa: SIM115 - read for the worker's lifetime
        self.applied = 0
        self.settings = settings
        self._classifier: DisciplineClassifier | None = None
        self._tagger: IndustryTagger | None = None
        self.models = Models(
            settings.word_fields,
            settings.bigram_fields,
            self.classifier,
            self.tagger if settings.tag_industries else None,
        )

    def classifier(self) -> DisciplineClassifier | None:
        if self._classifier is None and self.settings.classifier is not None:
            self._classifier = DisciplineClassifier.load(Path(self.settings.classifier))
        return self._classifier

    def tagger(self) -> IndustryTagger:
        if self._tagger is None:
            raise RuntimeError("industry tagger used before the sample's domain words")
        return self._tagger

    def catch_up(self, batches: int) -> None:
        """Add the logged domain-word batches up to ``batches``."""
        while self.applied < batches:
            line = self.log.readline()
            if not line.endswith("\n"):  # the builder flushes whole lines before submitting
                raise RuntimeError("domain-word log ended early")
            self.analyzer.add_words(json.loads(line))
            self.applied += 1
            if self.applied == 1 and self.settings.tag_industries:
                # The builder makes its tagger right after the sample's words (the first batch).
                self._tagger = IndustryTagger(self.analyzer)


_worker: _Worker | None = None


def _start_worker(log: str, settings: WorkerSettings) -> None:
    global _worker
    _worker = _Worker(log, settings)


def _analyse_chunk(batches: int, docs: list[Texts]) -> Analysis:
    worker = _worker
    assert worker is not None
    worker.catch_up(batches)
    return analyse_chunk(worker.analyzer, worker.models, docs, tokens=False)[0]


class ProcessAnalyser:
    """Analyses chunks in ``processes`` worker processes, keeping a few chunks in flight."""

    def __init__(self, processes: int, settings: WorkerSettings) -> None:
        """Start the pool (spawned: the builder may run inside a threaded web worker)."""
        handle, name = tempfile.mkstemp(prefix="silian-words-", suffix=".jsonl")
        self._path = Path(name)
        self._log = os.fdopen(handle, "w", encoding="utf-8")
        self._batches = 0
        self._pool = ProcessPoolExecutor(
            processes,
            mp_context=get_context("spawn"),
            initializer=_start_worker,
            initargs=(name, settings),
        )
        self._queue: deque[Future[Analysis]] = deque()
        # Enough chunks queued to keep every worker busy while the builder packs earlier ones.
        self.window = processes * 2

    def add_words(self, words: list[str]) -> None:
        """Append one batch to the log (flushed before any chunk that needs it is queued)."""
        self._log.write(json.dumps(words, ensure_ascii=False) + "\n")
        self._log.flush()
        self._batches += 1

    def submit(self, docs: list[Texts]) -> None:
        """Queue a chunk after the batches added so far."""
        self._queue.append(self._pool.submit(_analyse_chunk, self._batches, docs))

    def results(self, block: bool) -> Iterator[Analysis]:
        """Finished chunks in order; without ``block`` only while more than a window is queued."""
        while self._queue and (block or len(self._queue) > self.window):
            yield self._queue.popleft().result()

    def close(self) -> None:
        """Stop the workers and remove the log."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._log.close()
        self._path.unlink(missing_ok=True)


def build_processes(requested: int | None, total: int) -> int:
    """Processes for a build of ``total`` documents: ``requested``, else SILIAN_BUILD_PROCESSES,
    else every core for a corpus large enough to gain from it (1 = analyse in this process)."""
    if requested is not None:
        return max(1, requested)
    configured = os.environ.get("SILIAN_BUILD_PROCESSES", "").strip()
    if configured.isdigit():
        return max(1, int(configured))
    if total < MIN_PARALLEL_DOCS:
        return 1
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def make_analyser(analyzer: Analyzer, models: Models, processes: int) -> ChunkAnalyser:
    """A serial analyser for one process, else a process pool analysing as ``models`` does."""
    if processes <= 1:
        return SerialAnalyser(analyzer, models)
    classifier = models.classifier()
    directory = classifier.directory if classifier is not None else None
    if classifier is not None and directory is None:
        raise ValueError("a parallel build needs the discipline classifier saved (see load)")
    settings = WorkerSettings(
        models.word_fields,
        models.bigram_fields,
        str(directory) if directory is not None else None,
        models.tagger is not None,
    )
    return ProcessAnalyser(processes, settings)
