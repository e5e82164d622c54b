"""A reranker that learns from users' verdicts: features of the engine's hits, a pairwise
logistic model (scikit-learn), its blend with the engine's order, and versioned model files.

Only the engine's public output is used (:class:`~silian.matching.documents.Hit`: ``score``,
``shares``, ``signals``, ``reasons`` and the rank), so the model does not depend on how the
engine computes them. Features of one hit among the top ``depth`` of a query (the list is in
docs/matching.md, "Learning from feedback"):

- ``rank_log``: log2(1 + rank); ``score_rel``: the fused score divided by the top hit's;
- ``share:<signal>``: each signal's share of the fused score;
- ``signal:<signal>``: each raw signal value, and ``signal_rel:<signal>`` the same divided by
  the largest value of that signal among the candidates;
- from the reasons: ``terms:<field>`` (log 1 + query words first matched in the title,
  keywords or text), ``terms_rel`` (matched words over the most any candidate matched),
  ``keyphrases`` and ``semantic_words``.

The model is a linear scorer trained on pairs of hits of one query with different grades
(RankNet with a linear model: logistic regression on feature differences). Its ranking is
blended with the engine's: ``(1 - blend) * z(engine score) + blend * z(model score)`` within
the candidates. The regularisation and the blend are chosen by cross-validation over queries
on the training feedback and kept only when nested cross-validation confirms a clear gain, so
feedback that teaches nothing (random verdicts) gives a blend of 0: the engine's order.

Model files live under ``<index>/rerank/``: ``0001.json``, ``0002.json``… (JSON, never pickle)
and ``ACTIVE`` naming the version in use, or ``off``.
"""

from __future__ import annotations

import json
import math
import os
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
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
BLEND_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)
# A blend above 0 must beat the engine in cross-validation by this much (condensed nDCG@10)
# and by this many standard errors of the per-query gain.
MIN_GAIN = 0.005
MIN_Z = 2.0
# The nested (honest) estimate must clear a higher bar: it is the last check before a model
# reorders users' suggestions, and on shuffled feedback a bar of 2 let about one run in ten
# through (bench/feedback_sim.py, random feedback).
CONFIRM_Z = 3.0
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


def hit_features(hits: Sequence[Hit]) -> list[dict[str, float]]:
    """Features of each hit of one query's ranked list (see the module docstring)."""
    if not hits:
        return []
    top = hits[0].score
    peaks: dict[str, float] = {}
    terms = [_terms(hit) for hit in hits]
    for hit in hits:
        for name, value in hit.signals.items():
            peaks[name] = max(peaks.get(name, 0.0), float(value))
    most_terms = max((len(t) for t in terms), default=0)
    out: list[dict[str, float]] = []
    for rank, hit in enumerate(hits, 1):
        row = {
            "rank_log": math.log2(1 + rank),
            "score_rel": hit.score / top if top > 0 else 0.0,
        }
        for name, value in hit.shares.items():
            row[f"share:{name}"] = float(value)
        for name, value in hit.signals.items():
            row[f"signal:{name}"] = float(value)
            peak = peaks.get(name, 0.0)
            row[f"signal_rel:{name}"] = float(value) / peak if peak > 0 else 0.0
        if hit.reasons:
            for where in FIELDS:
                row[f"terms:{where}"] = math.log1p(
                    sum(1 for f in terms[rank - 1].values() if f == where)
                )
            row["terms_rel"] = len(terms[rank - 1]) / most_terms if most_terms else 0.0
            row["keyphrases"] = float(len(hit.reasons.get("keyphrases") or ()))
            row["semantic_words"] = math.log1p(len(hit.reasons.get("semantic_words") or ()))
        out.append(row)
    return out


FIELDS = ("title", "keywords", "text")


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
    def of(cls, query: str, hits: Sequence[Hit], grades: Mapping[str, int]) -> Group:
        """The group of ``hits`` with the grades of the documents that have one."""
        return cls(query, hit_features(hits), [grades.get(h.doc_id) for h in hits])

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

    def rerank(self, hits: Sequence[Hit]) -> list[Hit]:
        """The top ``depth`` hits reordered (any beyond keep their places after them)."""
        head = list(hits[: self.depth])
        if self.blend <= 0 or len(head) < 2:
            return list(hits)
        return [head[i] for i in self.order(hit_features(head))] + list(hits[self.depth :])

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


def _pairs(
    groups: Sequence[Group],
    names: Sequence[str],
    mean: NDArray[np.float64],
    scale: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
    """Differences of standardised features of every two graded hits of one query with
    different grades, both ways round, weighted by the grade difference."""
    xs: list[NDArray[np.float64]] = []
    ys: list[int] = []
    ws: list[float] = []
    for group in groups:
        idx = [i for i, g in enumerate(group.grades) if g is not None]
        if len(idx) < 2:
            continue
        x = (_matrix([group.rows[i] for i in idx], names) - mean) / scale
        grades = [group.grades[i] for i in idx]
        for a in range(len(idx)):
            for b in range(len(idx)):
                ga, gb = grades[a], grades[b]
                if ga is not None and gb is not None and ga > gb:
                    xs += [x[a] - x[b], x[b] - x[a]]
                    ys += [1, 0]
                    ws += [float(ga - gb)] * 2
    if not xs:
        return np.zeros((0, len(names))), np.zeros(0, np.int64), np.zeros(0)
    return np.array(xs), np.array(ys, np.int64), np.array(ws)


def _fit(groups: Sequence[Group], c: float, blend: float, depth: int) -> Reranker | None:
    """A model fitted on ``groups`` (None when they hold no pair with different grades)."""
    from sklearn.linear_model import LogisticRegression

    names = sorted({name for g in groups for row in g.rows for name in row})
    labelled = [g.rows[i] for g in groups for i, gr in enumerate(g.grades) if gr is not None]
    if not labelled:
        return None
    x = _matrix(labelled, names)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    px, py, pw = _pairs(groups, names, mean, scale)
    if len(py) == 0:
        return None
    # liblinear: milliseconds on a few thousand pairs (lbfgs took a hundred times longer).
    model = LogisticRegression(C=c, fit_intercept=False, solver="liblinear", max_iter=1000)
    model.fit(px, py, sample_weight=pw)
    return Reranker(names, mean.tolist(), scale.tolist(), model.coef_[0].tolist(), blend, c, depth)


def condensed_ndcg(order: Iterable[int], grades: Sequence[int | None], k: int = CUTOFF) -> float:
    """nDCG@k of a ranking over its graded candidates only (ungraded ones are skipped, the
    "condensed list" for incomplete judgments); NaN when none is graded ≥ 1."""
    ranked = [g for g in (grades[i] for i in order) if g is not None]
    ideal = sorted(ranked, reverse=True)
    if not ideal or ideal[0] <= 0:
        return float("nan")

    def dcg(values: Sequence[int]) -> float:
        return sum((2**v - 1) / math.log2(i + 2) for i, v in enumerate(values[:k]))

    return dcg(ranked) / dcg(ideal)


def _mean(values: Sequence[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return sum(kept) / len(kept) if kept else float("nan")


def _folds(n: int, k: int, seed: int) -> list[list[int]]:
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return [order[i::k] for i in range(k)]


def _cv_grid(
    groups: Sequence[Group], depth: int, seed: int
) -> dict[tuple[float, float], list[float]]:
    """Per held-out query, condensed nDCG@10 of each (C, blend) minus the engine's, over
    query folds of ``groups`` (queries with no grade ≥ 1 left out)."""
    k = min(FOLDS, len(groups))
    results: dict[tuple[float, float], list[float]] = {}
    for test in _folds(len(groups), k, seed):
        held = set(test)
        train = [g for i, g in enumerate(groups) if i not in held]
        for c in C_GRID:
            fitted = _fit(train, c, 1.0, depth)
            for blend in BLEND_GRID[1:]:
                gains = results.setdefault((c, blend), [])
                for i in test:
                    group = groups[i]
                    base = condensed_ndcg(range(len(group.rows)), group.grades)
                    if math.isnan(base):
                        continue
                    order = (
                        range(len(group.rows))
                        if fitted is None
                        else replace(fitted, blend=blend).order(group.rows)
                    )
                    gains.append(condensed_ndcg(order, group.grades) - base)
    return results


def _clear_gain(gains: Sequence[float], z: float = MIN_Z) -> bool:
    """True when per-query gains average at least MIN_GAIN and ``z`` standard errors."""
    if len(gains) < 2:
        return False
    mean = float(np.mean(gains))
    error = float(np.std(gains, ddof=1)) / math.sqrt(len(gains))
    return mean >= MIN_GAIN and mean > z * error


def _choose(grid: Mapping[tuple[float, float], Sequence[float]]) -> tuple[float, float]:
    """The (C, blend) with the best mean gain over the engine, if that gain is clear: at
    least MIN_GAIN and MIN_Z standard errors above 0 (feedback that teaches nothing then
    leaves the engine's order, blend 0)."""
    best = (C_GRID[0], 0.0)
    best_gain = 0.0
    for key, gains in grid.items():
        mean = float(np.mean(gains)) if gains else 0.0
        if _clear_gain(gains) and mean > best_gain:
            best, best_gain = key, mean
    return best


def train(groups: Sequence[Group], depth: int = DEFAULT_DEPTH, seed: int = 0) -> Reranker:
    """Fit a reranker on labelled groups, choosing C and the blend by cross-validation.

    ``cv`` of the result holds the honest before/after figure: condensed nDCG@10 of the engine
    and of the reranker on each fold's held-out queries, with C and the blend chosen inside the
    other folds (nested cross-validation). Unless that figure shows a clear gain (or with
    fewer than 4 usable queries, when it cannot be computed) the blend is set to 0: the model is
    kept for inspection but leaves the engine's order unchanged.
    """
    useful = [
        g for g in groups if g.labelled >= 2 and len({x for x in g.grades if x is not None}) > 1
    ]
    if len(useful) < 2:
        raise LearningError(
            f"可用于训练的查询太少：{len(useful)} 个查询有两条以上评价不同的反馈（至少需要 2 个）"
        )
    c, blend = _choose(_cv_grid(useful, depth, seed))
    model = _fit(useful, c, blend, depth)
    assert model is not None  # useful groups hold pairs
    before: list[float] = []
    after: list[float] = []
    if len(useful) >= 4:
        for test in _folds(len(useful), min(FOLDS, len(useful)), seed + 1):
            held = set(test)
            train_groups = [g for i, g in enumerate(useful) if i not in held]
            inner_c, inner_blend = _choose(_cv_grid(train_groups, depth, seed))
            inner = _fit(train_groups, inner_c, inner_blend, depth)
            for i in test:
                group = useful[i]
                engine_order = list(range(len(group.rows)))
                order = engine_order if inner is None else inner.order(group.rows)
                before.append(condensed_ndcg(engine_order, group.grades))
                after.append(condensed_ndcg(order, group.grades))
    grades = [g for group in groups for g in group.grades if g is not None]
    model.counts = {
        "queries": len(groups),
        "queries_used": len(useful),
        "labelled": len(grades),
        "grades": {str(v): grades.count(v) for v in sorted(set(grades))},
    }
    model.cv = {
        "metric": "condensed nDCG@10 (graded candidates only), nested cross-validation",
        "before": _mean(before) if before else None,
        "after": _mean(after) if after else None,
        "queries": sum(1 for v in before if not math.isnan(v)),
        "chosen_blend": model.blend,
    }
    # The blend is kept only when the honest (nested) estimate confirms the gain just as
    # clearly: the choice over the grid alone let random feedback through now and then.
    gains = [a - b for a, b in zip(after, before, strict=True) if not math.isnan(b)]
    confirmed = _clear_gain(gains, CONFIRM_Z)
    if not confirmed:
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

    def _point(self, name: str) -> None:
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
        self._point(f"{version:04d}")
        return version

    def revert(self) -> int | None:
        """Make the version before the active one active, or switch off when there is none;
        returns the version now active (None = off). Reverting while off is an error."""
        current = self.active_version()
        if current is None:
            raise LearningError("重排模型已是关闭状态，无可回退的版本")
        older = [v for v in self.versions() if v < current]
        if older:
            self._point(f"{older[-1]:04d}")
            return older[-1]
        self._point(OFF)
        return None
