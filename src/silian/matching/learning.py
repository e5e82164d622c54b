"""A reranker that learns from users' verdicts: features of the engine's hits, a pairwise
logistic model (scikit-learn), its blend with the engine's order, and versioned model files.

Only the engine's public output is used (:class:`~silian.matching.documents.Hit`: ``score``,
``shares``, ``signals``, ``reasons``, ``title`` and the rank) and the searched text, so the model
does not depend on how the engine computes them. Features of one hit among the top ``depth`` of a
query (the full list is in docs/matching.md, "Learning from feedback"): the engine's evidence
(rank, relative score, each signal's share, value and value relative to the best candidate,
matched words per field, keyphrases, semantic words) and what the fused score does not hold —
each signal's rank among the candidates, query-word coverage, agreement of the hit's discipline
with the query's confident one and with the head of the list, title bigrams found in the query,
and interactions of these with the query's style (length, formal listing).

The model is a linear scorer trained on pairs of hits of one query with different grades
(RankNet with a linear model: logistic regression on feature differences). Its ranking is
blended with the engine's: ``(1 - blend) * z(engine score) + blend * z(model score)`` within
the candidates. The regularisation and the blend are chosen by cross-validation over queries
on the training feedback and kept only when nested cross-validation shows a gain (a one-sided
paired bootstrap over queries), so feedback that teaches nothing gives a blend of 0: the
engine's order.

Model files live under ``<index>/rerank/``: ``0001.json``, ``0002.json``… (JSON, never pickle)
and ``ACTIVE`` naming the version in use, or ``off``.
"""

from __future__ import annotations

import json
import math
import os
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from silian.config import int_setting
from silian.matching.documents import Hit

if TYPE_CHECKING:
    pass

FORMAT = 1
# Hits reranked per query (the engine is asked for this many, then cut to the page's limit).
# Users judge what they are shown (a panel's ten suggestions), so the model has seen no hit
# below that; reordering deeper would promote hits it knows nothing about.
DEFAULT_DEPTH = 10
# Labelled pairs the database must hold before an active model is applied.
DEFAULT_MIN_FEEDBACK = 200
CUTOFF = 10
# Regularisation strengths and blends tried by cross-validation.
C_GRID = (0.01, 0.1, 1.0)
BLEND_GRID = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0)
# How cross-validation counts a candidate from beyond the shown ten that nobody judged (it can
# be there only at a depth over 10): "zero" (not relevant, the cautious reading) or "skip"
# (unknown, like an unjudged shown one).
UNSEEN = "zero"
# A model is switched on only when the nested (honest) cross-validated gain over the engine
# is at least MIN_GAIN (condensed nDCG@10) and the lower end of its one-sided 1 − ALPHA paired
# bootstrap interval over queries (BOOTSTRAP resamples) is above 0: feedback that teaches
# nothing then switches a model on in about ALPHA of trainings, and costs little when it does
# (see docs/matching.md, "Learning from feedback").
MIN_GAIN = 0.005
# ALPHA is the share of trainings on feedback that teaches nothing that may switch a model on.
# A sample of random verdicts holds a chance association with some feature at the 2.5 % level
# in one training of forty — and cross-validation rightly confirms it, since it is really in
# that sample (at 2.5 %, 2 of 10 simulated trainings on shuffled clean feedback switched on,
# costing 11.9 % nDCG@10 pooled over the ten). The office retrains whenever feedback has grown (say
# weekly, fifty times a year), so the bar is set by that: at 0.1 % the chance of even one
# false switch in a year of weekly trainings is under 5 %.
ALPHA = 0.001
BOOTSTRAP = 20000
FOLDS = 5
ACTIVE = "ACTIVE"
OFF = "off"
# Under the index directory.
MODEL_DIR = "rerank"
# Graded relevance of a verdict, in the BEIR qrels sense (0 = judged not relevant); a match
# that became a signed deal or a contract counts as DEAL_GRADE.
VERDICT_GRADES = {"contacted": 2, "useful": 1, "not_useful": 0}
DEAL_GRADE = 2
SIGNED_STAGES = ("signed", "implemented")


class LearningError(ValueError):
    """Training or a model file cannot be used; the message says why, in Chinese."""


def _count_setting(name: str, default: int, minimum: int) -> int:
    """An integer setting read through the project's settings parser, refused as LearningError."""
    try:
        return int_setting(name, default, minimum)
    except ValueError as exc:
        raise LearningError(str(exc)) from None


def min_feedback() -> int:
    """``SILIAN_RERANK_MIN_FEEDBACK``: labelled pairs needed before a model is applied."""
    return _count_setting("SILIAN_RERANK_MIN_FEEDBACK", DEFAULT_MIN_FEEDBACK, 0)


def rerank_depth() -> int:
    """``SILIAN_RERANK_DEPTH``: how many of the engine's hits the model reorders."""
    return _count_setting("SILIAN_RERANK_DEPTH", DEFAULT_DEPTH, 1)


# --- features ------------------------------------------------------------------------------


def hit_features(hits: Sequence[Hit], query: str = "") -> list[dict[str, float]]:
    """Features of each hit of one query's ranked list (see the module docstring); ``query``
    is the searched text, compared with each hit's title (without it those features are 0)."""
    if not hits:
        return []
    n = len(hits)
    top = hits[0].score
    scores = [h.score for h in hits]
    centre = sum(scores) / n
    spread = math.sqrt(sum((v - centre) ** 2 for v in scores) / n) or 1.0
    peaks: dict[str, float] = {}
    values: dict[str, list[float]] = {}
    terms = [_terms(hit) for hit in hits]
    for i, hit in enumerate(hits):
        for name, value in hit.signals.items():
            peaks[name] = max(peaks.get(name, 0.0), float(value))
            values.setdefault(name, [0.0] * n)[i] = float(value)
    ranks = {name: _ranks(column) for name, column in values.items()}
    most_terms = max((len(t) for t in terms), default=0)
    every_term = len({t for found in terms for t in found})
    disciplines = [_discipline(hit) for hit in hits]
    # The query's confident discipline: the most probable one among the candidates'.
    confident = max(disciplines, key=lambda d: d[1])
    head = [d[0] for d in disciplines[:CUTOFF] if d[0]]
    grams = _bigrams(query)
    titles = [_bigrams(hit.title) for hit in hits]
    overlap = [len(t & grams) for t in titles]
    most_overlap = max(overlap, default=0)
    # Query-level context, used only in interactions (alone it cancels out within a query).
    context = {
        "long": math.log1p(len(query)) - QUERY_LENGTH_CENTRE if query else 0.0,
        "listing": 1.0 if any(mark in query for mark in LISTING_MARKS) else 0.0,
    }
    active = [(what, value) for what, value in context.items() if value]
    interacting = [f"signal_rel:{name}" for name in values] + list(INTERACTING_FIXED)
    out: list[dict[str, float]] = []
    for rank, hit in enumerate(hits, 1):
        i = rank - 1
        row = {
            "rank_log": math.log2(1 + rank),
            "score_rel": hit.score / top if top > 0 else 0.0,
            "score_z": (hit.score - centre) / spread,
        }
        for name, value in hit.shares.items():
            row[f"share:{name}"] = float(value)
        for name, value in hit.signals.items():
            row[f"signal:{name}"] = float(value)
            peak = peaks.get(name, 0.0)
            row[f"signal_rel:{name}"] = float(value) / peak if peak > 0 else 0.0
            row[f"signal_rank:{name}"] = math.log2(1 + ranks[name][i])
        if hit.reasons:
            for where in FIELDS:
                row[f"terms:{where}"] = math.log1p(sum(1 for f in terms[i].values() if f == where))
            row["terms_rel"] = len(terms[i]) / most_terms if most_terms else 0.0
            row["terms_cover"] = len(terms[i]) / every_term if every_term else 0.0
            row["title_cover"] = (
                sum(1 for f in terms[i].values() if f == "title") / every_term
                if every_term
                else 0.0
            )
            row["keyphrases"] = float(len(hit.reasons.get("keyphrases") or ()))
            row["semantic_words"] = math.log1p(len(hit.reasons.get("semantic_words") or ()))
            name, p = disciplines[i]
            row["discipline_p"] = p
            row["discipline_confident"] = 1.0 if name and name == confident[0] else 0.0
            row["discipline_head"] = head.count(name) / len(head) if name and head else 0.0
        if grams:
            row["title_query"] = overlap[i] / len(titles[i]) if titles[i] else 0.0
            row["title_query_rel"] = overlap[i] / most_overlap if most_overlap else 0.0
        for what, value in active:
            for base in interacting:
                if base in row:
                    row[f"{base}*{what}"] = row[base] * value
        out.append(row)
    return out


FIELDS = ("title", "keywords", "text")
# Features whose weight may depend on the query's style (listing or everyday words) and
# length: an interaction feature ``<feature>*long`` / ``<feature>*listing`` each (and the same
# for every ``signal_rel:<signal>``).
INTERACTING_FIXED = ("title_query", "terms_cover", "discipline_confident", "discipline_head")
# The markers of a formal listing (需求名称 / 需求描述 / 技术指标 lines).
LISTING_MARKS = ("需求名称", "需求描述", "技术指标")
# log(1 + characters) of a typical query (about 55 characters): centres the length feature.
QUERY_LENGTH_CENTRE = 4.0


def _ranks(values: Sequence[float]) -> list[int]:
    """1-based rank of each value, largest first (ties share the best rank)."""
    order = sorted(range(len(values)), key=lambda i: -values[i])
    out = [0] * len(values)
    for position, i in enumerate(order, 1):
        prev = order[position - 2] if position > 1 else None
        out[i] = out[prev] if prev is not None and values[prev] == values[i] else position
    return out


def _discipline(hit: Hit) -> tuple[str, float]:
    """The hit's discipline and the query's probability of it (from the reasons)."""
    found = hit.reasons.get("discipline") if hit.reasons else None
    if not isinstance(found, dict):
        return "", 0.0
    return str(found.get("name") or ""), float(found.get("p") or 0.0)


def _bigrams(text: str) -> set[str]:
    """Character bigrams of the letters, digits and CJK characters of ``text`` (lower case)."""
    kept = "".join(ch for ch in text.lower() if ch.isalnum())
    return {kept[i : i + 2] for i in range(len(kept) - 1)}


def _terms(hit: Hit) -> dict[str, str]:
    """The query words a hit matched, each with the first field it matched in."""
    found: dict[str, str] = {}
    for item in hit.reasons.get("matched_terms") or ():
        found.setdefault(str(item.get("term")), str(item.get("field")))
    return found


@dataclass
class Group:
    """One query's candidates: feature rows, in the engine's order, and grades where known."""

    query: str
    rows: list[dict[str, float]]
    grades: list[int | None]

    @classmethod
    def of(
        cls, query: str, hits: Sequence[Hit], grades: Mapping[str, int], text: str = ""
    ) -> Group:
        """The group of ``hits`` (for the searched ``text``) with the grades of the documents
        that have one."""
        return cls(query, hit_features(hits, text), [grades.get(h.doc_id) for h in hits])

    @property
    def labelled(self) -> int:
        """Candidates with a grade."""
        return sum(1 for g in self.grades if g is not None)


def _matrix(rows: Sequence[Mapping[str, float]], names: Sequence[str]) -> NDArray[np.float64]:
    return np.array([[row.get(n, 0.0) for n in names] for row in rows], np.float64).reshape(
        len(rows), len(names)
    )


def _z(values: NDArray[np.float64]) -> NDArray[np.float64]:
    spread = float(values.std())
    return (values - values.mean()) / spread if spread > 1e-12 else np.zeros_like(values)


# --- the model -----------------------------------------------------------------------------


@dataclass
class Reranker:
    """A trained linear reranker and how it was trained (the content of one model file)."""

    features: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    blend: float
    c: float
    depth: int = DEFAULT_DEPTH
    version: int = 0
    trained_at: str = ""
    index: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    cv: dict[str, Any] = field(default_factory=dict)

    def model_scores(self, rows: Sequence[Mapping[str, float]]) -> NDArray[np.float64]:
        """The linear model's score of each feature row."""
        x = (_matrix(rows, self.features) - np.array(self.mean)) / np.array(self.scale)
        return np.asarray(x @ np.array(self.coef), np.float64)

    def order(self, rows: Sequence[Mapping[str, float]]) -> list[int]:
        """Indices of ``rows`` (in the engine's order) in the blended order."""
        if not rows:
            return []
        engine = np.array([row.get("score_rel", 0.0) for row in rows], np.float64)
        final = (1 - self.blend) * _z(engine) + self.blend * _z(self.model_scores(rows))
        # Stable: ties keep the engine's order.
        return [int(i) for i in np.argsort(-final, kind="stable")]

    def rerank(self, hits: Sequence[Hit], query: str = "") -> list[Hit]:
        """The top ``depth`` hits reordered (any beyond keep their places after them);
        ``query`` is the searched text."""
        head = list(hits[: self.depth])
        if self.blend <= 0 or len(head) < 2:
            return list(hits)
        order = self.order(hit_features(head, query))
        return [head[i] for i in order] + list(hits[self.depth :])

    def to_json(self) -> str:
        """The model file's text."""
        return json.dumps({"format": FORMAT, **asdict(self)}, ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Reranker:
        """Read a model file's text; a malformed file raises :class:`LearningError`."""
        try:
            data = json.loads(text)
            if data.pop("format", None) != FORMAT:
                raise LearningError("模型文件格式版本不符")
            model = cls(**data)
        except (json.JSONDecodeError, TypeError) as exc:
            raise LearningError(f"模型文件无法读取：{exc}") from None
        n = len(model.features)
        if not (len(model.mean) == len(model.scale) == len(model.coef) == n):
            raise LearningError("模型文件的特征与系数个数不一致")
        return model


@dataclass
class _Data:
    """Training groups as matrices over one feature list (built once per training)."""

    names: list[str]
    x: list[NDArray[np.float64]]
    grades: list[list[int | None]]
    # Candidates beyond this many were never shown: ungraded, they count 0 (None: skipped).
    shown: int | None = CUTOFF

    @classmethod
    def of(cls, groups: Sequence[Group], shown: int | None = CUTOFF) -> _Data:
        """The groups' feature rows as matrices over the union of their feature names."""
        names = sorted({name for g in groups for row in g.rows for name in row})
        matrices = [_matrix(g.rows, names) for g in groups]
        return cls(names, matrices, [g.grades for g in groups], shown)


def _pairs(
    data: _Data, idx: Sequence[int], mean: NDArray[np.float64], scale: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
    """Differences of standardised features of every two graded hits of one query with
    different grades, both ways round, weighted by the grade difference."""
    xs: list[NDArray[np.float64]] = []
    ys: list[int] = []
    ws: list[float] = []
    for g in idx:
        graded = [(i, v) for i, v in enumerate(data.grades[g]) if v is not None]
        if len(graded) < 2:
            continue
        x = (data.x[g][[i for i, _ in graded]] - mean) / scale
        for a, (_, ga) in enumerate(graded):
            for b, (_, gb) in enumerate(graded):
                if ga > gb:
                    xs += [x[a] - x[b], x[b] - x[a]]
                    ys += [1, 0]
                    ws += [float(ga - gb)] * 2
    if not xs:
        return np.zeros((0, len(data.names))), np.zeros(0, np.int64), np.zeros(0)
    return np.array(xs), np.array(ys, np.int64), np.array(ws)


def _fit(data: _Data, idx: Sequence[int], c: float, blend: float, depth: int) -> Reranker | None:
    """A model fitted on the groups ``idx`` of ``data`` (None when they hold no pair with
    different grades)."""
    from sklearn.linear_model import LogisticRegression

    labelled = [data.x[g][[i for i, v in enumerate(data.grades[g]) if v is not None]] for g in idx]
    if not labelled or sum(len(m) for m in labelled) == 0:
        return None
    x = np.vstack(labelled)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    px, py, pw = _pairs(data, idx, mean, scale)
    if len(py) == 0:
        return None
    # liblinear: milliseconds on a few thousand pairs (lbfgs took a hundred times longer).
    model = LogisticRegression(
        C=c, fit_intercept=False, solver="liblinear", max_iter=1000, random_state=0
    )
    model.fit(px, py, sample_weight=pw)
    coef = model.coef_[0]
    # Features the fit gave no weight are dropped from the file (and from query time).
    keep = [i for i, w in enumerate(coef) if abs(w) > 1e-12]
    return Reranker(
        [data.names[i] for i in keep],
        [float(mean[i]) for i in keep],
        [float(scale[i]) for i in keep],
        [float(coef[i]) for i in keep],
        blend,
        c,
        depth,
    )


def _blended(
    model: Reranker | None, data: _Data, g: int, blend: float
) -> NDArray[np.int64] | range:
    """Group ``g``'s order under ``model`` at ``blend`` (the engine's order without a model)."""
    n = len(data.grades[g])
    if model is None or blend <= 0 or n < 2:
        return range(n)
    cols = [data.names.index(name) for name in model.features]
    x = (data.x[g][:, cols] - np.array(model.mean)) / np.array(model.scale)
    engine = data.x[g][:, data.names.index("score_rel")]
    final = (1 - blend) * _z(engine) + blend * _z(x @ np.array(model.coef))
    return np.argsort(-final, kind="stable")


def condensed_ndcg(
    order: Iterable[int], grades: Sequence[int | None], k: int = CUTOFF, shown: int | None = None
) -> float:
    """nDCG@k of a ranking over its graded candidates only (ungraded ones are skipped, the
    "condensed list" for incomplete judgments); NaN when none is graded ≥ 1.

    With ``shown``, an ungraded candidate from beyond the first ``shown`` (one users never saw,
    so never judged) counts as not relevant instead of being skipped: bringing it into the top
    ``k`` is a cost until someone judges it."""
    ranked = [
        g if g is not None else 0
        for g, i in ((grades[i], i) for i in order)
        if g is not None or (shown is not None and i >= shown)
    ]
    ideal = sorted((g for g in grades if g is not None), reverse=True)
    if not ideal or ideal[0] <= 0:
        return float("nan")

    def dcg(values: Sequence[int]) -> float:
        return sum((2**v - 1) / math.log2(i + 2) for i, v in enumerate(values[:k]))

    return dcg(ranked) / dcg(ideal)


def _mean(values: Sequence[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return sum(kept) / len(kept) if kept else float("nan")


def _folds(items: Sequence[int], k: int, seed: int) -> list[list[int]]:
    order = list(items)
    random.Random(seed).shuffle(order)
    return [order[i::k] for i in range(k)]


def _gain(data: _Data, g: int, order: Iterable[int]) -> float:
    """Condensed nDCG@10 of ``order`` minus the engine's for group ``g`` (NaN: no relevant)."""
    grades = data.grades[g]
    base = condensed_ndcg(range(len(grades)), grades, shown=data.shown)
    return condensed_ndcg(order, grades, shown=data.shown) - base


def _cv_grid(
    data: _Data, idx: Sequence[int], depth: int, seed: int
) -> dict[tuple[float, float], list[float]]:
    """Per held-out query, condensed nDCG@10 of each (C, blend) minus the engine's, over
    query folds of the groups ``idx`` (queries with no grade ≥ 1 left out)."""
    k = min(FOLDS, len(idx))
    results: dict[tuple[float, float], list[float]] = {}
    for test in _folds(idx, k, seed):
        held = set(test)
        train_idx = [i for i in idx if i not in held]
        for c in C_GRID:
            fitted = _fit(data, train_idx, c, 1.0, depth)
            for blend in BLEND_GRID[1:]:
                gains = results.setdefault((c, blend), [])
                for g in test:
                    gain = _gain(data, g, _blended(fitted, data, g, blend))
                    if not math.isnan(gain):
                        gains.append(gain)
    return results


def _choose(grid: Mapping[tuple[float, float], Sequence[float]]) -> tuple[float, float]:
    """The (C, blend) with the best mean cross-validated gain over the engine, or blend 0 when
    none gains. This is only the choice: whether a gain is real is decided outside it, on the
    nested estimate (:func:`_confirmed`)."""
    best = (C_GRID[0], 0.0)
    best_gain = 0.0
    for key, gains in sorted(grid.items()):
        mean = float(np.mean(gains)) if gains else 0.0
        if mean > best_gain:
            best, best_gain = key, mean
    return best


def bootstrap_low(gains: Sequence[float], seed: int, n: int = BOOTSTRAP) -> float:
    """The lower end of the one-sided (1 − ALPHA) paired bootstrap interval of the mean
    per-query gain (resampling queries; deterministic for a seed)."""
    arr = np.array(gains, np.float64)
    if len(arr) < 2:
        return float("nan")
    rng = np.random.default_rng(seed)
    means = arr[rng.integers(0, len(arr), size=(n, len(arr)))].mean(axis=1)
    return float(np.quantile(means, ALPHA))


def _confirmed(gains: Sequence[float], seed: int) -> bool:
    """True when the nested estimate shows a gain: a mean of at least MIN_GAIN and the lower
    end of its one-sided 99.9 % paired bootstrap interval over queries above 0."""
    if len(gains) < 4:
        return False
    low = bootstrap_low(gains, seed)
    return float(np.mean(gains)) >= MIN_GAIN and low > 0


def _nested(data: _Data, depth: int, seed: int) -> tuple[list[float], list[float]]:
    """Condensed nDCG@10 of the engine and of the reranker on each held-out query of an outer
    cross-validation, with C and the blend chosen inside the other folds (nested)."""
    every = list(range(len(data.grades)))
    before: list[float] = []
    after: list[float] = []
    for test in _folds(every, min(FOLDS, len(every)), seed + 1):
        held = set(test)
        train_idx = [i for i in every if i not in held]
        inner_c, inner_blend = _choose(_cv_grid(data, train_idx, depth, seed))
        inner = _fit(data, train_idx, inner_c, inner_blend, depth)
        for g in test:
            held_grades = data.grades[g]
            base = condensed_ndcg(range(len(held_grades)), held_grades, shown=data.shown)
            if math.isnan(base):
                continue
            before.append(base)
            order = _blended(inner, data, g, inner_blend)
            after.append(condensed_ndcg(order, held_grades, shown=data.shown))
    return before, after


def train(
    groups: Sequence[Group],
    depth: int = DEFAULT_DEPTH,
    seed: int = 0,
    unseen: str = UNSEEN,
) -> Reranker:
    """Fit a reranker on labelled groups, choosing C and the blend by cross-validation.

    ``cv`` of the result holds the honest before/after figure: condensed nDCG@10 of the engine
    and of the reranker on each fold's held-out queries, with C and the blend chosen inside the
    other folds (nested cross-validation); ``unseen`` says how a candidate beyond the shown
    ten that nobody judged counts there: ``"zero"`` (not relevant) or ``"skip"``. Unless that
    figure shows a gain (a paired bootstrap over queries, :func:`_confirmed`; with fewer than 4
    usable queries it cannot be computed) the blend is set to 0: the model is kept for
    inspection but leaves the engine's order.
    """
    useful = [
        g for g in groups if g.labelled >= 2 and len({x for x in g.grades if x is not None}) > 1
    ]
    if len(useful) < 2:
        raise LearningError(
            f"可用于训练的查询太少：{len(useful)} 个查询有两条以上评价不同的反馈（至少需要 2 个）"
        )
    if unseen not in ("zero", "skip"):
        raise LearningError(f"unseen 应为 zero 或 skip，而不是 {unseen}")
    data = _Data.of(useful, CUTOFF if unseen == "zero" else None)
    every = list(range(len(useful)))
    c, blend = _choose(_cv_grid(data, every, depth, seed))
    model = _fit(data, every, c, blend, depth)
    assert model is not None  # useful groups hold pairs
    before, after = _nested(data, depth, seed) if len(useful) >= 4 else ([], [])
    grades = [g for group in groups for g in group.grades if g is not None]
    model.counts = {
        "queries": len(groups),
        "queries_used": len(useful),
        "labelled": len(grades),
        "grades": {str(v): grades.count(v) for v in sorted(set(grades))},
    }
    gains = [a - b for a, b in zip(after, before, strict=True)]
    model.cv = {
        "metric": "condensed nDCG@10 (graded candidates only; unjudged ones beyond the shown "
        f"10: {unseen}), nested cross-validation",
        "before": _mean(before) if before else None,
        "after": _mean(after) if after else None,
        "queries": len(before),
        "gain_low": bootstrap_low(gains, seed) if len(gains) >= 2 else None,
        "chosen_blend": model.blend,
    }
    # The blend is kept only when the honest (nested) estimate shows the gain: the choice over
    # the grid is optimistic by construction (the best of fifteen noisy means).
    if not _confirmed(gains, seed):
        model.blend = 0.0
    model.trained_at = datetime.now(UTC).isoformat(timespec="seconds")
    return model


# --- model files ---------------------------------------------------------------------------


class ModelStore:
    """Versioned model files under a directory, with ``ACTIVE`` naming the one in use."""

    def __init__(self, root: Path) -> None:
        """A store under ``root`` (created on first save)."""
        self.root = root

    def stamp(self) -> tuple[int, int] | None:
        """(mtime, inode) of ``ACTIVE``: changes whenever a model is saved or reverted."""
        try:
            info = (self.root / ACTIVE).stat()
        except FileNotFoundError:
            return None
        return (info.st_mtime_ns, info.st_ino)

    def versions(self) -> list[int]:
        """Saved versions, oldest first."""
        if not self.root.is_dir():
            return []
        return sorted(int(p.stem) for p in self.root.glob("[0-9][0-9][0-9][0-9].json"))

    def path(self, version: int) -> Path:
        """File of a version."""
        return self.root / f"{version:04d}.json"

    def active_version(self) -> int | None:
        """The version in use, or None (off, or nothing trained yet)."""
        try:
            name = (self.root / ACTIVE).read_text("utf-8").strip()
        except FileNotFoundError:
            return None
        if name == OFF or not name.isdigit() or not self.path(int(name)).is_file():
            return None
        return int(name)

    def load(self, version: int) -> Reranker:
        """Read one version."""
        return Reranker.from_json(self.path(version).read_text("utf-8"))

    def active(self) -> Reranker | None:
        """The model in use, or None."""
        version = self.active_version()
        return None if version is None else self.load(version)

    def point(self, name: str) -> None:
        """Make ``name`` (a version's four digits, or ``off``) the active one, atomically."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{ACTIVE}.{os.getpid()}.tmp"
        tmp.write_text(name + "\n", "utf-8")
        tmp.replace(self.root / ACTIVE)

    def save(self, model: Reranker) -> int:
        """Write ``model`` as the next version and make it active; returns the version."""
        self.root.mkdir(parents=True, exist_ok=True)
        version = (self.versions() or [0])[-1] + 1
        model.version = version
        tmp = self.root / f".{version:04d}.{os.getpid()}.tmp"
        tmp.write_text(model.to_json() + "\n", "utf-8")
        tmp.replace(self.path(version))
        self.point(f"{version:04d}")
        return version

    def revert(self) -> int | None:
        """Make the version before the active one active, or switch off when there is none;
        returns the version now active (None = off). Reverting while off is an error."""
        current = self.active_version()
        if current is None:
            raise LearningError("重排模型已是关闭状态，无可回退的版本")
        older = [v for v in self.versions() if v < current]
        if older:
            self.point(f"{older[-1]:04d}")
            return older[-1]
        self.point(OFF)
        return None
