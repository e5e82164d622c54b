"""Text analysis of a build on every core: jieba segmentation in worker processes, in order.

Segmentation is pure Python around rjieba and holds the GIL, so a build analyses its chunks in
processes. The result must equal a single-process build's, and jieba's segmentation depends
on the domain words added before it (a record's keywords join the dictionary before its chunk
is cut, and ``add_word`` derives a word's frequency from the dictionary so far): the builder
appends each batch of new domain words to a log file, and every task names how many batches
its worker must have added first. Workers replay the log in the same order, so their
dictionaries equal the builder's at that point whichever worker takes which chunk.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Protocol

from silian.matching.text import Analyzer, normalise

Fields = dict[str, list[str]]
Analysed = tuple[Fields, Fields]
# (title, keywords, text) of one document: plain strings pickle fast.
Texts = tuple[str, list[str], str]
# Below this many documents a process pool costs more (start-up, dictionary load) than it saves.
MIN_PARALLEL_DOCS = 16384


def analyse(analyzer: Analyzer, title: str, keywords: Sequence[str], text: str) -> Analysed:
    """Word and bigram terms per field of one document."""
    t, k, x = normalise(title), normalise(" ; ".join(keywords)), normalise(text)
    words = {
        "title": analyzer.words(t, normalised=True),
        "keywords": analyzer.words(k, normalised=True),
        "text": analyzer.words(x, normalised=True),
    }
    bigrams = {
        "title": analyzer.bigrams(t, normalised=True),
        "keywords": analyzer.bigrams(k, normalised=True),
        "text": analyzer.bigrams(x, normalised=True),
    }
    return words, bigrams


class ChunkAnalyser(Protocol):
    """Analyses chunks of documents in submission order, after adding domain words."""

    def add_words(self, words: list[str]) -> None:
        """Domain words that every later chunk must be segmented with."""

    def submit(self, docs: list[Texts]) -> None:
        """Queue a chunk; its results come out of :meth:`results` in submission order."""

    def results(self, block: bool) -> Iterator[list[Analysed]]:
        """Finished chunks, oldest first; ``block`` waits for all queued chunks."""

    def close(self) -> None:
        """Stop any worker processes."""


class SerialAnalyser:
    """Analyses in this process with the engine's own analyser (the single-core build)."""

    def __init__(self, analyzer: Analyzer) -> None:
        """Use ``analyzer`` (its dictionary grows with :meth:`add_words`)."""
        self.analyzer = analyzer
        self._done: deque[list[Analysed]] = deque()

    def add_words(self, words: list[str]) -> None:
        """Nothing: the builder adds domain words to this very analyser itself."""

    def submit(self, docs: list[Texts]) -> None:
        """Analyse at once."""
        self._done.append([analyse(self.analyzer, *d) for d in docs])

    def results(self, block: bool) -> Iterator[list[Analysed]]:
        """Everything analysed so far."""
        while self._done:
            yield self._done.popleft()

    def close(self) -> None:
        """Nothing to stop."""


# --- worker side ----------------------------------------------------------------------------
_worker: dict[str, object] = {}


def _start_worker(log: str) -> None:
    _worker["analyzer"] = Analyzer()
    _worker["log"] = open(log, encoding="utf-8")  # noqa: SIM115 - read for the worker's lifetime
    _worker["applied"] = 0


def _analyse_chunk(batches: int, docs: list[Texts]) -> list[Analysed]:
    analyzer = _worker["analyzer"]
    log = _worker["log"]
    assert isinstance(analyzer, Analyzer)
    applied = int(_worker["applied"])  # type: ignore[call-overload]
    while applied < batches:
        line = log.readline()  # type: ignore[attr-defined]
        if not line.endswith("\n"):  # the builder flushes whole lines before submitting
            raise RuntimeError("domain-word log ended early")
        analyzer.add_words(json.loads(line))
        applied += 1
    _worker["applied"] = applied
    return [analyse(analyzer, *d) for d in docs]


class ProcessAnalyser:
    """Analyses chunks in ``processes`` worker processes, keeping a few chunks in flight."""

    def __init__(self, processes: int) -> None:
        """Start the pool (spawned: the builder may run inside a threaded web worker)."""
        handle, name = tempfile.mkstemp(prefix="silian-words-", suffix=".jsonl")
        self._path = Path(name)
        self._log = os.fdopen(handle, "w", encoding="utf-8")
        self._batches = 0
        self._pool = ProcessPoolExecutor(
            processes, mp_context=get_context("spawn"), initializer=_start_worker, initargs=(name,)
        )
        self._queue: deque[Future[list[Analysed]]] = deque()
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

    def results(self, block: bool) -> Iterator[list[Analysed]]:
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


def make_analyser(analyzer: Analyzer, processes: int) -> ChunkAnalyser:
    """A serial analyser for one process, else a process pool."""
    return SerialAnalyser(analyzer) if processes <= 1 else ProcessAnalyser(processes)
