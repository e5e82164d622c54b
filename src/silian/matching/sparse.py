"""Field-weighted BM25 (BM25F) over segmented postings, updatable without a full rebuild.

Documents live in fixed-size segments of ``SEGMENT_SIZE`` slots. Each segment stores its postings
column-wise (term → local rows) with uint16 row numbers and uint8 quantised saturated term
frequencies, so a million documents fit in a few hundred megabytes. The last segment is open:
adding a document appends a row and re-packs only that segment. Global statistics (document
frequencies, number of documents) are updated on every add and delete; average field lengths are
frozen at build time and refreshed by a rebuild.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import count as counter
from itertools import repeat
from typing import Any

import numpy as np
from numpy.typing import NDArray

SEGMENT_SIZE = 32768
PENDING_LIMIT = 64
MAX_SMALL_SEGMENTS = 8
_Q = 255.0

FieldTerms = Mapping[str, Sequence[str]]
Pointers = NDArray[np.signedinteger[Any]]


@dataclass
class Segment:
    """Column-wise postings of the slots ``base .. base + size - 1`` (size ≤ SEGMENT_SIZE)."""

    base: int
    size: int
    indptr: Pointers
    rows: NDArray[np.uint16]
    values: NDArray[np.uint8]

    @property
    def n_terms(self) -> int:
        """Number of term columns this segment's postings cover."""
        return int(self.indptr.shape[0] - 1)

    def columns(self) -> NDArray[np.int32]:
        """The term id of every posting (expanded from ``indptr``)."""
        return np.repeat(np.arange(self.n_terms, dtype=np.int32), np.diff(self.indptr))

    def contains(self, term_ids: Sequence[int], row: int) -> list[bool]:
        """Whether each term has a posting in local ``row`` (binary search per term column)."""
        out: list[bool] = []
        n_terms = self.n_terms
        # Plain-Python binary search over memoryviews: a numpy call per term cost ~5 µs, and a
        # hit's reasons test every query term (this was a tenth of a long query's time).
        indptr, rows = np.ascontiguousarray(self.indptr).data, np.ascontiguousarray(self.rows).data
        for tid in term_ids:
            if not 0 <= tid < n_terms:
                out.append(False)
                continue
            s, e = indptr[tid], indptr[tid + 1]
            # Rows are sorted within each term's column (see _pack_arrays).
            k = bisect_left(rows, row, s, e)
            out.append(k < e and rows[k] == row)
        return out

    def row_entries(self, row: int) -> tuple[NDArray[np.int32], NDArray[np.uint8]]:
        """Term ids and quantised weights of one local row (a scan of this segment)."""
        positions = np.flatnonzero(self.rows == row)
        terms = (np.searchsorted(self.indptr, positions, side="right") - 1).astype(np.int32)
        return terms, self.values[positions]


Row = tuple[NDArray[np.int32], NDArray[np.uint8]]


@dataclass
class ChunkTerms:
    """Raw term counts of a chunk of documents as coordinate arrays (chunk row, term id, count)."""

    doc: NDArray[np.int64]
    term: NDArray[np.int32]
    count: NDArray[np.float32]


def number_tokens(
    docs: Sequence[FieldTerms], fields: Sequence[str]
) -> tuple[list[str], NDArray[np.int64], NDArray[np.int64]]:
    """The tokens of ``docs`` in ``fields`` numbered in order of first appearance (documents,
    then fields, then tokens): the distinct terms, each token's number, and the tokens per
    document and field (documents × fields)."""
    # A new term gets the next number at its first appearance (C-level map, no branch).
    local: defaultdict[str, int] = defaultdict(counter().__next__)
    ids: list[int] = []
    lengths: list[int] = []
    for doc in docs:
        for name in fields:
            tokens = doc.get(name) or ()
            lengths.append(len(tokens))
            ids.extend(map(local.__getitem__, tokens))
    per_field = np.array(lengths, np.int64).reshape(len(docs), len(fields))
    return list(local), np.array(ids, np.int64), per_field


@dataclass
class TermCounts:
    """One channel's terms of a chunk of documents, compact: each document's distinct terms per
    field with their counts, every term spelled once per chunk.

    ``terms`` are in order of first appearance (documents, then ``fields`` in order, then
    tokens), so an index that numbers new terms in that order numbers them as it would token
    by token. Entries are sorted by document, field and term.
    """

    terms: list[str]
    fields: tuple[str, ...]
    doc: NDArray[np.int32]
    field: NDArray[np.int8]
    term: NDArray[np.int32]
    count: NDArray[np.int32]
    lengths: NDArray[np.int32]
    """Tokens per document and field (documents × fields)."""

    @property
    def n_docs(self) -> int:
        """Number of documents counted."""
        return int(self.lengths.shape[0])

    @classmethod
    def of(cls, docs: Sequence[FieldTerms], fields: Sequence[str]) -> TermCounts:
        """Count the tokens of ``docs`` in ``fields`` (one pass in Python, the rest numpy)."""
        terms, ids, lengths = number_tokens(docs, fields)
        return cls.of_ids(terms, fields, ids, lengths)

    @classmethod
    def of_ids(
        cls,
        terms: list[str],
        fields: Sequence[str],
        ids: NDArray[np.int64],
        lengths: NDArray[np.int64],
    ) -> TermCounts:
        """Count tokens already numbered: ``ids`` index ``terms`` (numbered in order of first
        appearance), in document then field order, ``lengths`` tokens per document and field."""
        n_docs, n_fields, n_terms = lengths.shape[0], len(fields), max(len(terms), 1)
        per_field = lengths.reshape(-1)
        cell = np.repeat(np.arange(per_field.size, dtype=np.int64), per_field)
        keys, counts = np.unique(cell * n_terms + ids, return_counts=True)
        cells = keys // n_terms
        return cls(
            terms=terms,
            fields=tuple(fields),
            doc=(cells // max(n_fields, 1)).astype(np.int32),
            field=(cells % max(n_fields, 1)).astype(np.int8),
            term=(keys % n_terms).astype(np.int32),
            count=counts.astype(np.int32),
            lengths=per_field.astype(np.int32).reshape(n_docs, n_fields),
        )


def _pack_arrays(
    rows: NDArray[np.uint16], cols: NDArray[np.int32], vals: NDArray[np.uint8], n_terms: int
) -> tuple[Pointers, NDArray[np.uint16], NDArray[np.uint8]]:
    """Sort postings by (term, row) and build the column pointer array."""
    order = np.lexsort((rows, cols))
    counts = np.bincount(cols, minlength=n_terms) if cols.size else np.zeros(n_terms, np.int64)
    # One pointer per vocabulary term in every segment: int32 halves that (a segment holds far
    # fewer than 2^31 postings).
    indptr: Pointers = np.zeros(n_terms + 1, np.int32 if rows.size < 2**31 else np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, rows[order], vals[order]


def _segment_from_rows(base: int, size: int, entries: Sequence[Row], n_terms: int) -> Segment:
    """Pack per-row (term ids, values) into a new segment starting at slot ``base``."""
    if entries:
        sizes = np.fromiter((ids.shape[0] for ids, _ in entries), np.int64, len(entries))
        rows = np.repeat(np.arange(len(entries), dtype=np.uint16), sizes)
        cols = np.concatenate([ids for ids, _ in entries]).astype(np.int32)
        vals = np.concatenate([v for _, v in entries])
    else:
        rows, cols, vals = np.zeros(0, np.uint16), np.zeros(0, np.int32), np.zeros(0, np.uint8)
    indptr, prow, pval = _pack_arrays(rows, cols, vals, n_terms)
    return Segment(base, size, indptr, prow, pval)


def _merge(segments: Sequence[Segment], n_terms: int) -> Segment:
    """Merge consecutive segments into one."""
    base = segments[0].base
    size = segments[-1].base + segments[-1].size - base
    rows = np.concatenate(
        [(s.rows.astype(np.int64) + (s.base - base)).astype(np.uint16) for s in segments]
    )
    cols = np.concatenate([s.columns() for s in segments])
    vals = np.concatenate([s.values for s in segments])
    indptr, prow, pval = _pack_arrays(rows, cols, vals, n_terms)
    return Segment(base, size, indptr, prow, pval)


class BM25FIndex:
    """BM25F over named fields with per-field weights; scores all slots for a bag of terms."""

    def __init__(
        self,
        field_weights: Mapping[str, float],
        k1: float = 1.2,
        b: float = 0.75,
        field_b: Mapping[str, float] | None = None,
    ) -> None:
        """Configure fields, their weights and the BM25 parameters."""
        self.field_weights = dict(field_weights)
        self.k1 = k1
        self.b = b
        self.field_b = {f: (field_b or {}).get(f, b) for f in self.field_weights}
        self.vocab: dict[str, int] = {}
        self.terms: list[str] = []
        self._df = np.zeros(1024, np.float64)
        self.n_docs = 0
        self.avglen: dict[str, float] = dict.fromkeys(self.field_weights, 1.0)
        self.segments: list[Segment] = []
        self.open_base = 0
        self.pending: list[Row] = []

    # -- statistics -------------------------------------------------------------------------
    @property
    def df(self) -> NDArray[np.float64]:
        """Document frequency per term id."""
        return self._df[: len(self.terms)]

    def idf(self, term_ids: NDArray[np.int64]) -> NDArray[np.float64]:
        """BM25 idf (Lucene's non-negative form) of the given term ids."""
        df = self._df[term_ids]
        n = max(self.n_docs, 1)
        return np.asarray(np.log1p((n - df + 0.5) / (df + 0.5)), np.float64)

    def _number(self, terms: Sequence[str]) -> NDArray[np.int64]:
        """Ids of distinct ``terms``; new ones are numbered in the order given."""
        ids = np.fromiter(map(self.vocab.get, terms, repeat(-1, len(terms))), np.int64, len(terms))
        new = np.flatnonzero(ids < 0)
        if new.size:
            start = len(self.terms)
            ids[new] = np.arange(start, start + new.size)
            fresh = [terms[i] for i in new.tolist()]
            self.vocab.update(zip(fresh, range(start, start + new.size), strict=True))
            self.terms.extend(fresh)
            if len(self.terms) > self._df.shape[0]:
                grown = np.zeros(max(2 * self._df.shape[0], len(self.terms)), np.float64)
                grown[: self._df.shape[0]] = self._df
                self._df = grown
        return ids

    # -- building ---------------------------------------------------------------------------
    def counts(self, docs: Sequence[FieldTerms]) -> TermCounts:
        """Token lists of documents as :class:`TermCounts` over this index's fields."""
        return TermCounts.of(docs, list(self.field_weights))

    def build(self, docs: Sequence[FieldTerms]) -> None:
        """Index documents into slots 0..len(docs)-1, replacing everything."""
        counts = self.counts(docs)
        self.begin([counts])
        self.add_many(counts)
        self.flush()

    def begin(self, sample: Sequence[TermCounts]) -> None:
        """Reset, and take average field lengths from a sample of the documents to come."""
        self.vocab, self.terms = {}, []
        self._df = np.zeros(1024, np.float64)
        self.segments, self.pending = [], []
        self.n_docs = 0
        self.open_base = 0
        totals = dict.fromkeys(self.field_weights, 0)
        for chunk in sample:
            for j, name in enumerate(chunk.fields):
                if name in totals:
                    totals[name] += int(chunk.lengths[:, j].sum())
        n = max(sum(chunk.n_docs for chunk in sample), 1)
        self.avglen = {name: max(total / n, 1.0) for name, total in totals.items()}

    def add_many(self, counts: TermCounts) -> ChunkTerms:
        """Append a chunk of documents at the next slots, packing full segments as they fill.

        Returns the chunk's raw term counts (all fields together), for callers that derive
        more from the same words (the semantic channel does).
        """
        rows, chunk = self._rows(counts)
        for row in rows:
            self.pending.append(row)
            self.n_docs += 1
            if len(self.pending) >= SEGMENT_SIZE:
                self._pack_pending()
        return chunk

    def _rows(self, counts: TermCounts) -> tuple[list[Row], ChunkTerms]:
        """Rows of a chunk at once (numpy does the per-term arithmetic); counts df.

        The same numbers as summing every token's field weight / length norm one by one: each
        (document, term) sum takes its fields in order, each repeated ``count`` times.
        """
        fields = counts.fields
        weight = np.array([self.field_weights.get(f, 0.0) for f in fields], np.float64)
        b = np.array([self.field_b.get(f, self.b) for f in fields], np.float64)
        avglen = np.array([max(self.avglen.get(f, 1.0), 1e-9) for f in fields], np.float64)
        keep = weight[counts.field] != 0
        if keep.all():
            # Every term occurs in a weighted field: number them in first-appearance order.
            local = self._number(counts.terms)
        else:
            local = np.full(len(counts.terms), -1, np.int64)
            used = np.unique(counts.term[keep])
            local[used] = self._number([counts.terms[i] for i in used.tolist()])
        doc = counts.doc[keep].astype(np.int64)
        field = counts.field[keep].astype(np.int64)
        repeat = counts.count[keep]
        ids = local[counts.term[keep]]
        length = counts.lengths[doc, field].astype(np.float64)
        # (1 - b) + b·len/avglen, then weight / norm: the operations of the per-token sum.
        norm = (1.0 - b[field]) + b[field] * length / avglen[field]
        scale = weight[field] / norm
        n = counts.n_docs
        n_terms = max(len(self.terms), 1)
        keys = doc * n_terms + ids
        unique, inverse = np.unique(keys, return_inverse=True)
        raw = np.bincount(
            np.repeat(inverse, repeat), weights=np.repeat(scale, repeat), minlength=unique.size
        )
        tf = np.bincount(inverse, weights=repeat, minlength=unique.size).astype(np.float32)
        doc_of = unique // n_terms
        term_of = (unique % n_terms).astype(np.int32)
        sat = raw * (self.k1 + 1.0) / (raw + self.k1)
        vals = np.clip(np.rint(sat * (_Q / (self.k1 + 1.0))), 1, 255).astype(np.uint8)
        if term_of.size:
            self._df[: len(self.terms)] += np.bincount(term_of, minlength=len(self.terms))
        cuts = np.searchsorted(doc_of, np.arange(n + 1))
        rows = [(term_of[a:e], vals[a:e]) for a, e in zip(cuts[:-1], cuts[1:], strict=True)]
        return rows, ChunkTerms(doc_of, term_of, tf)

    def _pack_pending(self) -> None:
        if not self.pending:
            return
        seg = _segment_from_rows(self.open_base, len(self.pending), self.pending, len(self.terms))
        self.segments.append(seg)
        self.open_base += len(self.pending)
        self.pending = []

    @property
    def n_slots(self) -> int:
        """Number of slots handed out so far (including deleted ones)."""
        return self.open_base + len(self.pending)

    def append(self, counts: TermCounts) -> int:
        """Add one document (``counts`` of one) at the next free slot and return that slot."""
        if counts.n_docs != 1:
            raise ValueError("append takes the counts of one document")
        self.pending.append(self._rows(counts)[0][0])
        self.n_docs += 1
        slot = self.open_base + len(self.pending) - 1
        if len(self.pending) >= PENDING_LIMIT:
            self.flush()
        return slot

    def flush(self) -> None:
        """Pack pending rows into a segment; merge small segments (tiered) when many pile up."""
        self._pack_pending()
        self._merge_small()

    def _merge_small(self) -> None:
        # Log-structured: while too many segments are below full size, merge the adjacent
        # pair of small segments with the smallest combined size.
        while sum(1 for s in self.segments if s.size < SEGMENT_SIZE) > MAX_SMALL_SEGMENTS:
            best: tuple[int, int] | None = None
            for i in range(len(self.segments) - 1):
                size = self.segments[i].size + self.segments[i + 1].size
                if size <= SEGMENT_SIZE and (best is None or size < best[0]):
                    best = (size, i)
            if best is None:
                return
            i = best[1]
            self.segments[i : i + 2] = [_merge(self.segments[i : i + 2], len(self.terms))]

    def remove(self, slot: int) -> None:
        """Forget a document's contribution to the statistics (its postings are masked later)."""
        ids = self.row(slot)[0]
        if ids.size:
            np.subtract.at(self._df, ids, 1.0)
            np.maximum(self._df, 0.0, out=self._df)
        self.n_docs = max(self.n_docs - 1, 0)

    def row(self, slot: int) -> Row:
        """Term ids and quantised weights stored for one slot."""
        if slot >= self.open_base:
            k = slot - self.open_base
            if k < len(self.pending):
                return self.pending[k]
            return np.zeros(0, np.int32), np.zeros(0, np.uint8)
        for seg in self.segments:
            if seg.base <= slot < seg.base + seg.size:
                return seg.row_entries(slot - seg.base)
        return np.zeros(0, np.int32), np.zeros(0, np.uint8)

    def compact(self, live: NDArray[np.bool_]) -> None:
        """Drop dead slots' postings and merge segments to full size (slots keep their numbers)."""
        self.flush()
        merged: list[Segment] = []
        group: list[Segment] = []
        for seg in self.segments:
            if group and sum(s.size for s in group) + seg.size > SEGMENT_SIZE:
                merged.append(_merge(group, len(self.terms)))
                group = []
            group.append(seg)
        if group:
            merged.append(_merge(group, len(self.terms)))
        out = []
        for seg in merged:
            alive = live[seg.base : seg.base + seg.size]
            keep = alive[seg.rows.astype(np.int64)] if seg.rows.size else np.zeros(0, bool)
            cols = seg.columns()[keep]
            indptr, rows, vals = _pack_arrays(
                seg.rows[keep], cols, seg.values[keep], len(self.terms)
            )
            out.append(Segment(seg.base, seg.size, indptr, rows, vals))
        self.segments = out

    # -- querying ---------------------------------------------------------------------------
    def query_vector(
        self, terms: Mapping[str, float]
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Known term ids of a weighted query bag and their weights × idf."""
        known = [t for t in terms if t in self.vocab]
        if not known:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        tids = np.array([self.vocab[t] for t in known], np.int64)
        weights = np.array([terms[t] for t in known], np.float64)
        return tids, weights * self.idf(tids) * ((self.k1 + 1.0) / _Q)

    def score(self, terms: Mapping[str, float], n_slots: int) -> NDArray[np.float32]:
        """BM25F score of every slot for a weighted bag of terms (unknown terms ignored)."""
        tids, weights = self.query_vector(terms)
        out = np.zeros(n_slots, np.float32)
        if tids.size == 0:
            return out
        pairs = list(zip(tids.tolist(), weights.tolist(), strict=True))
        for seg in self.segments:
            row_parts: list[NDArray[np.uint16]] = []
            val_parts: list[NDArray[np.float64]] = []
            indptr = seg.indptr
            n_terms = seg.n_terms
            for tid, w in pairs:
                if tid >= n_terms:
                    continue
                s, e = int(indptr[tid]), int(indptr[tid + 1])
                if s != e:
                    row_parts.append(seg.rows[s:e])
                    val_parts.append(seg.values[s:e] * w)
            if row_parts:
                acc = np.bincount(
                    np.concatenate(row_parts), np.concatenate(val_parts), minlength=seg.size
                )
                out[seg.base : seg.base + seg.size] += acc[: seg.size]
        if self.pending:
            wmap = dict(pairs)
            for k, (ids, vals) in enumerate(self.pending):
                total = 0.0
                for t, v in zip(ids.tolist(), vals.tolist(), strict=True):
                    w = wmap.get(t)
                    if w is not None:
                        total += v * w
                slot = self.open_base + k
                if slot < n_slots:
                    out[slot] = total
        return out

    def contains_many(self, slots: NDArray[np.int64], terms: Sequence[str]) -> NDArray[np.bool_]:
        """``out[i, j]``: whether ``terms[j]`` occurs at ``slots[i]`` (one sorted search per
        term and segment instead of a Python call per slot)."""
        out = np.zeros((len(slots), len(terms)), np.bool_)
        tids = [self.vocab.get(t, -1) for t in terms]
        for seg in self.segments:
            inside = (slots >= seg.base) & (slots < seg.base + seg.size)
            if not inside.any():
                continue
            local = (slots[inside] - seg.base).astype(seg.rows.dtype)
            for j, tid in enumerate(tids):
                if not 0 <= tid < seg.n_terms:
                    continue
                s, e = int(seg.indptr[tid]), int(seg.indptr[tid + 1])
                if s == e:
                    continue
                column = seg.rows[s:e]
                k = np.minimum(np.searchsorted(column, local), e - s - 1)
                out[inside, j] = column[k] == local
        for i in np.flatnonzero(slots >= self.open_base).tolist():
            found = set(self.matched_terms(int(slots[i]), terms))
            out[i] = [t in found for t in terms]
        return out

    def matched_terms(self, slot: int, terms: Sequence[str]) -> list[str]:
        """Which of ``terms`` occur in the document at ``slot``."""
        known = [t for t in terms if t in self.vocab]
        if not known:
            return []
        tids = [self.vocab[t] for t in known]
        if slot >= self.open_base:
            present = set(self.row(slot)[0].tolist())
            return [t for t, tid in zip(known, tids, strict=True) if tid in present]
        for seg in self.segments:
            if seg.base <= slot < seg.base + seg.size:
                hits = seg.contains(tids, slot - seg.base)
                return [t for t, hit in zip(known, hits, strict=True) if hit]
        return []

    # -- persistence ------------------------------------------------------------------------
    def state(self) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
        """JSON-able metadata and named arrays describing this index (pending rows flushed)."""
        self.flush()
        meta = {
            "field_weights": self.field_weights,
            "field_b": self.field_b,
            "k1": self.k1,
            "b": self.b,
            "n_docs": self.n_docs,
            "avglen": self.avglen,
            "terms": self.terms,
            "open_base": self.open_base,
            "segments": [[s.base, s.size] for s in self.segments],
        }
        arrays: dict[str, NDArray[Any]] = {"df": self.df.copy()}
        for i, seg in enumerate(self.segments):
            arrays[f"s{i}_indptr"] = seg.indptr
            arrays[f"s{i}_rows"] = seg.rows
            arrays[f"s{i}_values"] = seg.values
        return meta, arrays

    @classmethod
    def from_state(cls, meta: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]]) -> BM25FIndex:
        """Rebuild an index from :meth:`state` output."""
        index = cls(meta["field_weights"], meta["k1"], meta["b"], meta["field_b"])
        index.terms = list(meta["terms"])
        index.vocab = {t: i for i, t in enumerate(index.terms)}
        df = np.asarray(arrays["df"], np.float64)
        index._df = np.zeros(max(1024, 2 ** (math.ceil(math.log2(max(df.size, 1))) + 1)))
        index._df[: df.size] = df
        index.n_docs = int(meta["n_docs"])
        index.avglen = {k: float(v) for k, v in meta["avglen"].items()}
        index.open_base = int(meta["open_base"])
        index.segments = [
            Segment(
                int(base),
                int(size),
                np.asarray(arrays[f"s{i}_indptr"]),
                np.asarray(arrays[f"s{i}_rows"], np.uint16),
                np.asarray(arrays[f"s{i}_values"], np.uint8),
            )
            for i, (base, size) in enumerate(meta["segments"])
        ]
        return index
