"""Baseline retrievers run beside the engine: bm25s over jieba tokens and SQLite FTS5 trigram."""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

import bm25s
import jieba
import numpy as np

_KEEP = re.compile(r"[\w]", re.UNICODE)


def jieba_tokens(text: str) -> list[str]:
    """Plain jieba tokens without whitespace and punctuation (the baseline's tokenizer)."""
    return [t for t in jieba.lcut(text) if t.strip() and _KEEP.search(t)]


def doc_text(doc: dict[str, Any]) -> str:
    """Title, keywords and text of a BEIR corpus row joined into one string."""
    return " ".join(
        [doc.get("title") or "", " ".join(doc.get("keywords") or []), doc.get("text") or ""]
    )


class Bm25sJieba:
    """bm25s (default Lucene BM25, k1=1.5, b=0.75) over jieba tokens of title+keywords+text."""

    name = "bm25s+jieba"

    def build(self, corpus: Sequence[dict[str, Any]]) -> None:
        """Tokenise and index the corpus."""
        jieba.setLogLevel(logging.WARNING)
        self.ids = [d["_id"] for d in corpus]
        self.retriever = bm25s.BM25()
        self.retriever.index([jieba_tokens(doc_text(d)) for d in corpus], show_progress=False)

    def search(self, text: str, k: int) -> list[tuple[str, float]]:
        """Top-k corpus ids for a query."""
        tokens = [t for t in jieba_tokens(text) if t in self.retriever.vocab_dict]
        if not tokens:
            return []
        k = min(k, len(self.ids))
        docs, scores = self.retriever.retrieve([tokens], k=k, show_progress=False, n_threads=1)
        return [
            (self.ids[int(i)], float(s)) for i, s in zip(docs[0], scores[0], strict=True) if s > 0
        ]


class Fts5Trigram:
    """SQLite FTS5 with the trigram tokenizer; the query is OR-ed trigrams, ranked by bm25()."""

    name = "sqlite-fts5-trigram"

    def build(self, corpus: Sequence[dict[str, Any]]) -> None:
        """Create an in-memory FTS5 table of the corpus."""
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, body, tokenize='trigram')"
        )
        self.db.executemany(
            "INSERT INTO docs VALUES (?, ?)", ((d["_id"], doc_text(d)) for d in corpus)
        )
        self.db.commit()

    def search(self, text: str, k: int) -> list[tuple[str, float]]:
        """Top-k corpus ids for a query (trigrams of the query OR-ed together)."""
        chars = re.sub(r"[^\w]", " ", text)
        grams = {run[i : i + 3] for run in chars.split() for i in range(max(len(run) - 2, 0))}
        grams = {g for g in grams if '"' not in g}
        if not grams:
            return []
        match = " OR ".join(f'"{g}"' for g in sorted(grams))
        rows = self.db.execute(
            "SELECT id, bm25(docs) FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?",
            (match, k),
        ).fetchall()
        return [(r[0], -float(r[1])) for r in rows]


def timed_search(
    system: Any, queries: Sequence[tuple[str, str]], k: int
) -> tuple[dict[str, list[str]], list[float]]:
    """Run all queries, returning the ranked ids per query and per-query latencies in ms."""
    run: dict[str, list[str]] = {}
    lat: list[float] = []
    for qid, text in queries:
        t0 = time.perf_counter()
        hits = system.search(text, k)
        lat.append((time.perf_counter() - t0) * 1000)
        run[qid] = [h[0] for h in hits]
    return run, lat


def lat_summary(lat: Sequence[float]) -> tuple[float, float]:
    """p50 and p95 of latencies in ms."""
    arr = np.asarray(lat) if lat else np.zeros(1)
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 95))
