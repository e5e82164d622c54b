"""Record taggers: a CSL discipline classifier (FewCLUE CSLDCP) and a GB/T 4754 industry tagger.

The discipline classifier is an ensemble of two linear SVMs, one over character 1–3-grams and one
over jieba word uni/bigrams (TF-IDF, sublinear tf). It is trained once from the CSLDCP files
shipped in ``silian/reference/data/csldcp`` and cached as arrays (no pickle) in the matching
cache directory. CSLDCP abstracts that repeat one of the shipped CSL dev records
(``csl/csl_dev_1000.jsonl``, the held-out evaluation set of ``bench.disciplines``) are left out.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, repeat
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from silian.matching.lexicon import cache_dir
from silian.matching.text import DATA_DIR, REFERENCE_DATA, Analyzer, normalise

CSLDCP_FILES = ("train_few_all.json", "dev_few_all.json", "test_public.json")
# The CSL dev records: kept out of training so that they stay a fair evaluation set.
HELD_OUT_FILE = Path("csl") / "csl_dev_1000.jsonl"
WORD_WEIGHT = 0.3
MODEL_VERSION = "2"


def discipline_labels() -> list[str]:
    """The 67 CSL disciplines, in the shipped order."""
    text = (REFERENCE_DATA / "csldcp" / "labels_all.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def text_key(text: str) -> str:
    """A duplicate-detection key: the normalised text's letters and digits only."""
    return "".join(ch for ch in normalise(text) if ch.isalnum())


def held_out_abstracts(path: Path | None = None) -> list[str]:
    """Abstracts of the shipped CSL dev records (never used for training)."""
    path = path or REFERENCE_DATA / HELD_OUT_FILE
    out: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                out.append(str(json.loads(line)["abstract"]))
    return out


def load_csldcp(
    files: Sequence[str] = CSLDCP_FILES,
    exclude: Iterable[str] = (),
    directory: Path | None = None,
) -> tuple[list[str], list[str]]:
    """Texts and discipline labels of the shipped CSLDCP files.

    Rows whose text matches one of ``exclude`` (compared by :func:`text_key`, so punctuation,
    width and spacing do not matter) are skipped. ``directory`` defaults to the shipped
    ``csldcp`` folder.
    """
    directory = directory or REFERENCE_DATA / "csldcp"
    skip = {text_key(t) for t in exclude}
    texts: list[str] = []
    labels: list[str] = []
    for name in files:
        with (directory / name).open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    row = json.loads(line)
                    text = str(row["content"])
                    if skip and text_key(text) in skip:
                        continue
                    texts.append(text)
                    labels.append(str(row["label"]))
    return texts, labels


def training_data() -> tuple[list[str], list[str]]:
    """The product's training rows: all shipped CSLDCP files minus the held-out CSL records."""
    return load_csldcp(CSLDCP_FILES, exclude=held_out_abstracts())


def train_discipline_classifier(analyzer: Analyzer | None = None) -> DisciplineClassifier:
    """Train the shipped-data classifier from scratch (:func:`discipline_classifier` caches it)."""
    texts, labels = training_data()
    return DisciplineClassifier.train(texts, labels, analyzer)


def _char_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, max_features=200000
    )


def _word_vectorizer(tokenize: Callable[[str], list[str]]) -> TfidfVectorizer:
    return TfidfVectorizer(
        tokenizer=tokenize,
        token_pattern=None,
        lowercase=False,
        ngram_range=(1, 2),
        sublinear_tf=True,
        min_df=2,
    )


@dataclass
class _Linear:
    vectorizer: TfidfVectorizer
    coef: NDArray[np.float32]
    intercept: NDArray[np.float32]

    def __post_init__(self) -> None:
        self._analyze: Callable[[str], list[str]] | None = None
        # Row-major (features × labels) so one text costs a gather of its features' rows; the
        # labels × features original is then only a view (one copy: ~50 MB less per process).
        self.coef_t = np.ascontiguousarray(self.coef.T)
        self.coef = self.coef_t.T

    def decision(self, texts: Sequence[str]) -> NDArray[np.float32]:
        out = np.empty((len(texts), self.coef_t.shape[1]), np.float32)
        for i, text in enumerate(texts):
            cols, values = self.features(text)
            out[i] = values.astype(np.float32) @ self.coef_t[cols]
        return out + self.intercept

    def features(self, text: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """The vectorizer's TF-IDF row of one text: sorted feature ids and their values.

        The same numbers as ``vectorizer.transform([text])`` (sklearn's own analyzer, then its
        sublinear tf, idf and l2 steps in the same order), without the input validation and
        sparse-matrix building that took two thirds of a long query's classification.
        """
        analyze = self._analyze
        if analyze is None:
            analyze = self._analyze = self.vectorizer.build_analyzer()
        vocabulary = self.vectorizer.vocabulary_
        counts = Counter(map(vocabulary.get, analyze(text)))
        counts.pop(None, None)  # out-of-vocabulary features
        cols = np.array(sorted(counts), np.int64)
        values = np.array([counts[c] for c in cols.tolist()], np.float64)
        if self.vectorizer.sublinear_tf:
            np.log(values, values)
            values += 1.0
        values *= self.vectorizer.idf_[cols]
        # sklearn's l2 step: a sequential sum of squares (same rounding), rows of zeros kept.
        total = 0.0
        for value in values.tolist():
            total += value * value
        if total != 0.0:
            values /= math.sqrt(total)
        return cols, values


class DisciplineClassifier:
    """Predicts CSL disciplines (67 labels) from Chinese scientific or technical text."""

    def __init__(self, labels: list[str], char: _Linear, word: _Linear) -> None:
        """Wrap trained parts; use :meth:`train` or :func:`discipline_classifier`."""
        self.labels = labels
        self.label_index = {label: i for i, label in enumerate(labels)}
        self._char = char
        self._word = word
        # Where the model was loaded from (None: trained in memory); a parallel build's
        # worker processes load the same files.
        self.directory: Path | None = None
        self._word_grams: GramTable | None = None

    @classmethod
    def train(
        cls, texts: Sequence[str], labels: Sequence[str], analyzer: Analyzer | None = None
    ) -> DisciplineClassifier:
        """Fit both SVMs on (text, label) pairs."""
        analyzer = analyzer or Analyzer()
        names = discipline_labels()
        extra = sorted(set(labels) - set(names))
        names += extra
        docs = [normalise(t) for t in texts]
        y = np.array([names.index(label) for label in labels])
        parts = []
        for vectorizer in (_char_vectorizer(), _word_vectorizer(_tokenizer(analyzer))):
            features = vectorizer.fit_transform(docs)
            svm = LinearSVC(C=1.0).fit(features, y)
            coef = np.zeros((len(names), features.shape[1]), np.float32)
            intercept = np.full(len(names), -10.0, np.float32)
            weights, bias = svm.coef_, svm.intercept_
            if len(svm.classes_) == 2:  # binary: one row that scores the second class
                weights = np.vstack([-weights[0], weights[0]])
                bias = np.array([-bias[0], bias[0]])
            coef[svm.classes_] = weights
            intercept[svm.classes_] = bias
            parts.append(_Linear(vectorizer, coef, intercept))
        return cls(names, parts[0], parts[1])

    def decision(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Ensemble decision values, one row per text and one column per label."""
        docs = [normalise(t) for t in texts]
        return self._char.decision(docs) + WORD_WEIGHT * self._word.decision(docs)

    def proba(self, texts: Sequence[str], temperature: float = 0.25) -> NDArray[np.float32]:
        """Softmax of the decision values: a discipline distribution per text."""
        return softmax(self.decision(texts), temperature)

    def decision_tokens(
        self, token_lists: Sequence[Sequence[str]] | NumberedTokens
    ) -> NDArray[np.float32]:
        """Word-model decision values from already-segmented words (one row per text)."""
        if self._word_grams is None:
            vec = self._word.vectorizer
            self._word_grams = GramTable(vec.vocabulary_, vec.idf_, bigrams=True)
        features = self._word_grams.rows(token_lists)
        return np.asarray(features @ self._word.coef_t + self._word.intercept)

    def predict_tokens(self, token_lists: Sequence[Sequence[str]]) -> list[str]:
        """Fast labels from already-segmented words (word model only; used for documents)."""
        return self.labels_of(self.decision_tokens(token_lists)) if token_lists else []

    def labels_of(self, decision: NDArray[np.float32]) -> list[str]:
        """The top label of each row of decision values (or probabilities)."""
        return [self.labels[i] for i in decision.argmax(axis=1)]

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The most likely discipline of each text."""
        if not texts:
            return []
        return [self.labels[i] for i in self.decision(texts).argmax(axis=1)]

    # -- persistence (arrays + JSON, no pickle) ---------------------------------------------
    def save(self, directory: Path) -> None:
        """Write the model as ``.npz`` arrays and JSON vocabularies."""
        directory.mkdir(parents=True, exist_ok=True)
        meta = {"labels": self.labels}
        for name, part in (("char", self._char), ("word", self._word)):
            vocab = sorted(part.vectorizer.vocabulary_, key=part.vectorizer.vocabulary_.get)
            meta[f"{name}_vocab"] = vocab
            coef = sparse.csr_matrix(np.where(np.abs(part.coef) < 1e-4, 0, part.coef))
            np.savez_compressed(
                directory / f"{name}.npz",
                idf=part.vectorizer.idf_.astype(np.float32),
                intercept=part.intercept,
                data=coef.data.astype(np.float32),
                indices=coef.indices,
                indptr=coef.indptr,
                shape=np.array(coef.shape),
            )
            # The mapped dense copy is derived from this file on the next load.
            (directory / f"{name}_coef_t.npy").unlink(missing_ok=True)
        (directory / "model.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")

    @classmethod
    def load(cls, directory: Path, analyzer: Analyzer | None = None) -> DisciplineClassifier:
        """Read a model written by :meth:`save`."""
        meta = json.loads((directory / "model.json").read_text("utf-8"))
        analyzer = analyzer or Analyzer()
        parts = []
        for name in ("char", "word"):
            arrays = np.load(directory / f"{name}.npz")
            vocab = {term: i for i, term in enumerate(meta[f"{name}_vocab"])}
            vectorizer = (
                _char_vectorizer() if name == "char" else _word_vectorizer(_tokenizer(analyzer))
            )
            vectorizer.set_params(vocabulary=vocab, min_df=1, max_features=None)
            vectorizer.fit(["a"])  # initialises internals; idf_ is replaced just below
            vectorizer.idf_ = arrays["idf"].astype(np.float64)
            coef_t = _mapped_coef_t(directory / f"{name}_coef_t.npy", arrays)
            parts.append(_Linear(vectorizer, coef_t.T, arrays["intercept"]))
        model = cls(list(meta["labels"]), parts[0], parts[1])
        model.directory = directory
        return model


def softmax(decision: NDArray[np.float32], temperature: float) -> NDArray[np.float32]:
    """Row-wise softmax of ``decision / temperature``: one distribution per row."""
    d = decision / temperature
    d -= d.max(axis=1, keepdims=True)
    e = np.exp(d)
    return np.asarray(e / e.sum(axis=1, keepdims=True), np.float32)


def _mapped_coef_t(path: Path, arrays: Mapping[str, NDArray[Any]]) -> NDArray[np.float32]:
    """The dense features × labels weights, mapped read-only from ``path``.

    Written once beside the compressed model (atomically: a temporary file renamed into
    place); every process that loads the model then maps the same file, so the operating
    system keeps one copy of the pages (~70 MB) however many workers serve.
    """
    if not path.is_file():
        coef = sparse.csr_matrix(
            (arrays["data"], arrays["indices"], arrays["indptr"]),
            shape=tuple(int(x) for x in arrays["shape"]),
        ).toarray()
        coef_t = np.ascontiguousarray(coef.T, np.float32)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        try:
            with tmp.open("wb") as handle:
                np.save(handle, coef_t)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except OSError:
            # A read-only cache: this process keeps its own copy, as before.
            tmp.unlink(missing_ok=True)
            return coef_t
    return np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))


def tfidf_rows(
    token_lists: Sequence[Sequence[str]],
    vocabulary: Mapping[str, int],
    idf: NDArray[np.float64],
    bigrams: bool,
) -> sparse.csr_matrix:
    """Sublinear-tf × idf, l2-normalised rows from pre-tokenised texts (as TfidfVectorizer)."""
    indptr = [0]
    indices: list[int] = []
    values: list[float] = []
    for tokens in token_lists:
        grams: list[str] = list(tokens)
        if bigrams:
            grams += map(" ".join, zip(tokens, tokens[1:], strict=False))
        # One C-level lookup per gram; out-of-vocabulary grams count under None, dropped.
        counts = Counter(map(vocabulary.get, grams))
        counts.pop(None, None)
        if counts:
            ids = np.fromiter(counts.keys(), np.int64, len(counts))
            tf = np.fromiter(counts.values(), np.float64, len(counts))
            w = (1.0 + np.log(tf)) * idf[ids]
            w /= max(float(np.linalg.norm(w)), 1e-12)
            indices.extend(ids.tolist())
            values.extend(w.tolist())
        indptr.append(len(indices))
    return sparse.csr_matrix(
        (np.array(values, np.float32), np.array(indices, np.int64), np.array(indptr, np.int64)),
        shape=(len(token_lists), len(idf)),
    )


@dataclass
class NumberedTokens:
    """Texts' tokens as ids into ``terms`` (flat, text after text; ``lengths`` per text), so a
    model looks each distinct term up once instead of every token."""

    terms: list[str]
    ids: NDArray[np.int64]
    lengths: NDArray[np.int64]

    def __len__(self) -> int:
        """Number of texts."""
        return int(self.lengths.shape[0])

    def lists(self) -> list[list[str]]:
        """The token lists themselves."""
        words = [self.terms[i] for i in self.ids.tolist()]
        ends = np.cumsum(self.lengths).tolist()
        return [words[s:e] for s, e in zip([0, *ends[:-1]], ends, strict=True)]


@dataclass
class ChunkWords:
    """A chunk's words numbered once (title, keywords, text per document, in order), from
    which the classifier and the tagger take their texts' tokens without a string lookup."""

    terms: list[str]
    ids: NDArray[np.int64]
    lengths: NDArray[np.int64]
    """Tokens per document and field (documents × the three fields)."""

    FIELDS = ("title", "keywords", "text")

    def select(
        self, docs: Sequence[int], fields: Sequence[str], text_limit: int | None = None
    ) -> NumberedTokens:
        """Each of ``docs``' tokens of ``fields`` in field order (the text's first
        ``text_limit`` only), as the lists ``words[f] + …`` would hold them."""
        n_docs = self.lengths.shape[0]
        per_cell = self.lengths.reshape(-1)
        cell = np.repeat(np.arange(per_cell.size, dtype=np.int64), per_cell)
        field = cell % len(self.FIELDS)
        wanted = np.zeros(len(self.FIELDS), bool)
        wanted[[self.FIELDS.index(f) for f in fields]] = True
        chosen = np.zeros(n_docs, bool)
        chosen[np.asarray(docs, np.int64)] = True
        mask = wanted[field] & chosen[cell // len(self.FIELDS)]
        if text_limit is not None:
            start = np.cumsum(per_cell) - per_cell
            position = np.arange(cell.size, dtype=np.int64) - start[cell]
            mask &= (field != self.FIELDS.index("text")) | (position < text_limit)
        counts = np.bincount(cell[mask] // len(self.FIELDS), minlength=n_docs)
        return NumberedTokens(self.terms, self.ids[mask], counts[np.asarray(docs, np.int64)])


class GramTable:
    """A TF-IDF vocabulary as arrays, for :func:`tfidf_rows` of a whole batch in numpy.

    Each text's word ids come from one C-level dictionary lookup per token; a word bigram is
    found by the ids of its two words (the vocabulary's "a b" terms as sorted id pairs), so no
    bigram string is ever joined. Counting, tf, idf and each row's order are numpy over the
    batch, with the same floats as the per-text loop: terms in order of first appearance
    (words, then bigrams), elementwise arithmetic, and each row's norm from its own
    ``np.linalg.norm`` (a dot product, whose summation order depends on the row alone).
    """

    def __init__(
        self, vocabulary: Mapping[str, int], idf: NDArray[np.float64], bigrams: bool
    ) -> None:
        """Index ``vocabulary`` (and, with ``bigrams``, its word pairs)."""
        self.vocabulary = vocabulary
        self.idf = idf
        self.bigrams = bigrams
        self.size = max(len(idf), max(vocabulary.values(), default=-1) + 1, 1)
        keys: list[int] = []
        ids: list[int] = []
        # The pair lookup equals joining two tokens with a space only when every spaced term is
        # exactly two vocabulary words (true of a vectorizer's min_df bigrams); otherwise the
        # per-text loop is used.
        self.exact = True
        if bigrams:
            for term, i in vocabulary.items():
                if " " not in term:
                    continue
                parts = term.split(" ")
                first = vocabulary.get(parts[0]) if len(parts) == 2 else None
                second = vocabulary.get(parts[-1]) if len(parts) == 2 else None
                if first is None or second is None:
                    self.exact = False
                    break
                keys.append(first * self.size + second)
                ids.append(i)
        order = np.argsort(np.array(keys, np.int64))
        self.pair_keys = np.array(keys, np.int64)[order]
        self.pair_ids = np.array(ids, np.int64)[order]
        # Whether a word starts / ends some bigram (one more entry, False: index -1 = unknown).
        self.starts = np.zeros(self.size + 1, bool)
        self.ends = np.zeros(self.size + 1, bool)
        self.starts[self.pair_keys // self.size] = True
        self.ends[self.pair_keys % self.size] = True

    def rows(self, token_lists: Sequence[Sequence[str]] | NumberedTokens) -> sparse.csr_matrix:
        """:func:`tfidf_rows` of ``token_lists`` (the same matrix, entry for entry)."""
        if not self.exact:
            if isinstance(token_lists, NumberedTokens):
                token_lists = token_lists.lists()
            return tfidf_rows(token_lists, self.vocabulary, self.idf, self.bigrams)
        get = self.vocabulary.get
        if isinstance(token_lists, NumberedTokens):
            # Each distinct term looked up once, then every token by its number.
            terms = token_lists.terms
            vocab_ids = np.fromiter(map(get, terms, repeat(-1)), np.int64, len(terms))
            ids = vocab_ids[token_lists.ids]
            lengths = token_lists.lengths
            n_docs, n_tokens = len(token_lists), int(ids.size)
        else:
            n_docs = len(token_lists)
            lengths = np.fromiter(map(len, token_lists), np.int64, n_docs)
            n_tokens = int(lengths.sum())
            ids = np.fromiter(
                map(get, chain.from_iterable(token_lists), repeat(-1)), np.int64, n_tokens
            )
        doc = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
        start = np.cumsum(lengths) - lengths
        # Position of each gram within its text's gram list: the words, then the bigrams.
        local = np.arange(n_tokens, dtype=np.int64) - start[doc]
        known = ids >= 0
        gram_doc, gram_id, gram_pos = doc[known], ids[known], local[known]
        if self.bigrams and n_tokens > 1 and self.pair_keys.size:
            left, right = ids[:-1], ids[1:]
            pair = self.starts[left] & self.ends[right] & (doc[:-1] == doc[1:])
            keys = left[pair] * self.size + right[pair]
            found = np.minimum(np.searchsorted(self.pair_keys, keys), self.pair_keys.size - 1)
            hit = self.pair_keys[found] == keys
            pair_doc = doc[:-1][pair][hit]
            gram_doc = np.concatenate([gram_doc, pair_doc])
            gram_id = np.concatenate([gram_id, self.pair_ids[found[hit]]])
            gram_pos = np.concatenate([gram_pos, lengths[pair_doc] + local[:-1][pair][hit]])
        span = 2 * int(lengths.max(initial=0)) + 1
        # One sort by (document, term, position): each term's first position and count.
        composite = np.sort((gram_doc * self.size + gram_id) * span + gram_pos)
        term_key = composite // span
        first = np.ones(term_key.size, bool)
        np.not_equal(term_key[1:], term_key[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        counts = np.diff(np.append(starts, term_key.size))
        key = term_key[starts]
        row, col = key // self.size, key % self.size
        # Each row's terms in order of first appearance (as a Counter keeps them).
        order = np.argsort(row * span + composite[starts] % span)
        row, col, counts = row[order], col[order], counts[order]
        w = (1.0 + np.log(counts.astype(np.float64))) * self.idf[col]
        indptr = np.zeros(n_docs + 1, np.int64)
        np.cumsum(np.bincount(row, minlength=n_docs), out=indptr[1:])
        norm = np.linalg.norm
        bounds = indptr.tolist()
        for s, e in zip(bounds, bounds[1:], strict=False):
            if e > s:
                w[s:e] /= max(float(norm(w[s:e])), 1e-12)
        return sparse.csr_matrix((w.astype(np.float32), col, indptr), shape=(n_docs, len(self.idf)))


def _tokenizer(analyzer: Analyzer) -> Callable[[str], list[str]]:
    def tokenize(text: str) -> list[str]:
        return analyzer.words(text, normalised=True)

    return tokenize


def _data_fingerprint() -> str:
    digest = hashlib.sha1(MODEL_VERSION.encode())
    for name in (*CSLDCP_FILES, "labels_all.txt"):
        digest.update((REFERENCE_DATA / "csldcp" / name).read_bytes())
    digest.update((REFERENCE_DATA / HELD_OUT_FILE).read_bytes())
    digest.update((DATA_DIR / "stopwords.txt").read_bytes())
    return digest.hexdigest()[:12]


_lock = threading.Lock()


@lru_cache(maxsize=1)
def discipline_classifier() -> DisciplineClassifier:
    """The shipped-data classifier, trained on first use and cached as arrays afterwards."""
    with _lock:
        target = cache_dir() / f"discipline-{_data_fingerprint()}"
        if (target / "model.json").exists():
            try:
                return DisciplineClassifier.load(target)
            except (OSError, ValueError, KeyError):
                pass
        train_discipline_classifier().save(target)
        # The saved copy (small weights dropped): what every other process loads, too.
        return DisciplineClassifier.load(target)


# -- industry tagging (GB/T 4754-2017) --------------------------------------------------------
@dataclass(frozen=True)
class Industry:
    """One GB/T 4754-2017 division (大类): code, name and the standard's description."""

    code: str
    name: str
    description: str


@lru_cache(maxsize=1)
def industries() -> tuple[Industry, ...]:
    """GB/T 4754-2017 divisions (two-digit 大类 codes) with names and descriptions."""
    rows: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    with (REFERENCE_DATA / "gbt4754_2017_with_descriptions.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = row["INDUSTRY_ID"].strip()
            if len(code) < 2 or not code[:2].isdigit():
                continue
            division = code[:2]
            if len(code) == 2:
                names[division] = row["NAME"].strip()
            rows.setdefault(division, []).append(row["NAME"] + " " + (row["DESCRIPTION"] or ""))
    return tuple(
        Industry(code, names[code], " ".join(rows[code])) for code in sorted(names) if code in rows
    )


# Discipline → GB/T 4754 bridge: the divisions (first = main) whose industry uses or produces the
# work of each CSL discipline. Disciplines without one industry (mathematics, physics, history …)
# have none and add nothing. Written from the discipline names; weight and effect measured in
# ``bench.gbt`` (docs/benchmarks.md, 「GB/T 4754 tagging」).
DISCIPLINE_INDUSTRIES: dict[str, tuple[str, ...]] = {
    "作物学": ("01", "05"),
    "口腔医学": ("84", "35"),
    "药学": ("27",),
    "教育学": ("83",),
    "水利工程": ("76", "48"),
    "食品科学与工程": ("14", "13"),
    "畜牧学/兽医学": ("03", "74"),
    "体育学": ("89", "83"),
    "核科学与技术": ("44",),
    "园艺学": ("01",),
    "水产": ("04", "13"),
    "法学": ("92", "72"),
    "地质学/地质资源与地质工程": ("74", "09"),
    "石油与天然气工程": ("07", "11"),
    "农林经济管理": ("01",),
    "信息与通信工程": ("39", "63"),
    "图书馆、情报与档案管理": ("88",),
    "电气工程": ("38", "44"),
    "海洋科学": ("74",),
    "航空宇航科学与技术": ("37",),
    "化学/化学工程与技术": ("26",),
    "公共卫生与预防医学": ("84",),
    "艺术学": ("88",),
    "农业工程": ("35", "01"),
    "船舶与海洋工程": ("37",),
    "计算机科学与技术": ("65",),
    "冶金工程": ("31", "32"),
    "交通运输工程": ("54", "48"),
    "动力工程及工程热物理": ("34", "44"),
    "纺织科学与工程": ("17", "18"),
    "建筑学": ("47", "74"),
    "环境科学与工程": ("77", "46"),
    "公共管理": ("92",),
    "林学/林业工程": ("02", "20"),
    "中医学/中药学": ("84", "27"),
    "机械工程": ("34", "35"),
    "土木工程": ("48", "47"),
    "光学工程": ("40", "39"),
    "农业资源利用": ("01",),
    "矿业工程": ("06",),
    "大气科学": ("74",),
    "基础医学/临床医学": ("84",),
    "电子科学与技术": ("39",),
    "测绘科学与技术": ("74",),
    "控制科学与工程": ("40",),
    "新闻传播学": ("86",),
    "地球物理学": ("74",),
    "植物保护": ("01", "26"),
}
# Added to a division's similarity: weight × P(discipline) for the main division of a discipline,
# half that for its second. Tuned on the odd-numbered half of bench/gbt (0.3 and 0.5 tie on top-1,
# 0.5 is better on top-2); the even-numbered half is the report.
DISCIPLINE_WEIGHT = 0.5
# The engine classifies documents with the word model only (``decision_tokens``); its softmax at
# this temperature is the distribution the bridge reads there (``bench.gbt``'s engine column).
# The ``none`` rule: a text whose discipline distribution puts at least NONE_MASS on disciplines
# without divisions (mathematics, physics, history …) is left untagged. Both chosen together on
# the tune half of bench/gbt (``--split tune --sweep``: most records decided right, a top-1 hit
# or an untagged ``none``; docs/benchmarks.md, 「GB/T 4754 tagging」), reported on the other half.
TOKEN_TEMPERATURE = 0.1
NONE_MASS = 0.7


class IndustryTagger:
    """Tags text with GB/T 4754 divisions by TF-IDF similarity to the standard's descriptions."""

    def __init__(self, analyzer: Analyzer | None = None) -> None:
        """Index the divisions' names and descriptions."""
        self.analyzer = analyzer or Analyzer()
        self.divisions = industries()
        self.vectorizer = TfidfVectorizer(
            tokenizer=_tokenizer(self.analyzer),
            token_pattern=None,
            lowercase=False,
            sublinear_tf=True,
        )
        docs = [normalise(f"{d.name} {d.name} {d.description}") for d in self.divisions]
        self.matrix = self.vectorizer.fit_transform(docs)
        self._bridges: dict[tuple[str, ...], NDArray[np.float32]] = {}
        self._grams: GramTable | None = None

    def tag(
        self,
        texts: Iterable[str],
        top: int = 2,
        floor: float = 0.08,
        classifier: DisciplineClassifier | None = None,
        none_mass: float | None = None,
    ) -> list[list[str]]:
        """Up to ``top`` division codes per text whose score is at least ``floor``.

        The score is the TF-IDF similarity; with a ``classifier`` the text's discipline
        distribution adds :data:`DISCIPLINE_WEIGHT` through :data:`DISCIPLINE_INDUSTRIES`, and
        ``none_mass`` leaves a text untagged as in :meth:`tag_tokens`.
        """
        texts = list(texts)
        proba = None
        labels: Sequence[str] = ()
        if classifier is not None and texts:
            proba, labels = classifier.proba(texts), classifier.labels
        words = [self.analyzer.words(t) for t in texts]
        return self.tag_tokens(words, top, floor, proba, labels, none_mass)

    def bridge(self, labels: Sequence[str]) -> NDArray[np.float32]:
        """Disciplines × divisions matrix of :data:`DISCIPLINE_INDUSTRIES` (1 main, 0.5 second)."""
        key = tuple(labels)
        cached = self._bridges.get(key)
        if cached is not None:
            return cached
        column = {d.code: j for j, d in enumerate(self.divisions)}
        out = np.zeros((len(labels), len(self.divisions)), np.float32)
        for i, label in enumerate(labels):
            for rank, code in enumerate(DISCIPLINE_INDUSTRIES.get(label, ())):
                if code in column:
                    out[i, column[code]] = 1.0 if rank == 0 else 0.5
        self._bridges[key] = out
        return out

    def tag_tokens(
        self,
        token_lists: Sequence[Sequence[str]] | NumberedTokens,
        top: int = 2,
        floor: float = 0.08,
        discipline_proba: NDArray[np.float32] | None = None,
        discipline_labels: Sequence[str] = (),
        none_mass: float | None = None,
    ) -> list[list[str]]:
        """:meth:`tag` for already-segmented words.

        ``discipline_proba`` (one row per text, columns in ``discipline_labels`` order), when
        given, adds the discipline bridge to the similarities; with ``none_mass`` too, a text
        whose distribution puts at least that share on disciplines without divisions (the
        ``none`` rule, see :func:`no_division_mass`) is left untagged.
        """
        if not token_lists:
            return []
        if self._grams is None:
            self._grams = GramTable(self.vectorizer.vocabulary_, self.vectorizer.idf_, False)
        features = self._grams.rows(token_lists)
        sims = (features @ self.matrix.T).toarray()
        untagged = np.zeros(len(token_lists), bool)
        if discipline_proba is not None:
            sims = sims + DISCIPLINE_WEIGHT * (discipline_proba @ self.bridge(discipline_labels))
            if none_mass is not None:
                mass = no_division_mass(discipline_proba, discipline_labels)
                untagged = mass >= none_mass
        # One argsort over all rows (the same sort of each row as row by row), then the codes.
        order = np.argsort(-sims, axis=1)[:, :top]
        above = np.take_along_axis(sims, order, axis=1) >= floor
        codes = [d.code for d in self.divisions]
        out: list[list[str]] = []
        for ranked, ok, skip in zip(order.tolist(), above.tolist(), untagged.tolist(), strict=True):
            out.append([] if skip else [codes[i] for i, y in zip(ranked, ok, strict=True) if y])
        return out

    def name(self, code: str) -> str:
        """The Chinese name of a division code (the code itself if unknown)."""
        for division in self.divisions:
            if division.code == code[:2]:
                return division.name
        return code


def no_division_mass(proba: NDArray[np.float32], labels: Sequence[str]) -> NDArray[np.float32]:
    """Per row, the probability mass on disciplines without divisions in the bridge.

    A row of zeros (no distribution known) has mass 0, so the ``none`` rule never fires on it.
    """
    without = np.array([label not in DISCIPLINE_INDUSTRIES for label in labels], np.float32)
    if proba.shape[1] != len(without):
        raise ValueError("discipline_proba columns must match discipline_labels")
    return np.asarray(proba @ without, np.float32)
