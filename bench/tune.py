"""Tune the engine's fusion weights on the dev benchmarks: reproducible coordinate descent.

Usage:
    .venv/bin/python -m bench.tune [--data ../shared/data/bench]
        [--sets dev-hard,dev-demands,dev-keywords] [--budget 120] [--seed 0]
        [--keywords-sample 0] [--min-gain 0.002] [--no-split-check] [--json out.json]

Only the dev sets are used. Runtime is bounded by ``--budget`` (distinct weight settings
evaluated by the main search; each split-half fold gets the same number of evaluations, on half
the queries). With the defaults it takes about 10–20 minutes on a 2-core machine: one evaluation
of all 1,275 dev queries takes ~5 s, and the search usually converges before the budget.

Evaluation. One engine is built per distinct corpus (the three dev sets share one), once. A
weight setting is evaluated by assigning ``engine.config.weights`` and re-running the queries
through the public ``Engine.query(text, limit=100, reasons=False)``; at start the script checks
that results depend on the current weights only (A, B, A again gives the first A's rankings).
The bm25s+jieba baseline of ``bench.baselines`` runs on the same queries in the same process, so
every figure is a ratio to it, as in ``bench.quality``.

Objective. For each (set, metric) in :data:`TARGETS` the normalised ratio
``q = (silian / bm25s) / target`` is ≥ 1 when that target is met. The objective is
``min(q) + 0.1 · mean(q)``: the worst margin, with the mean as a tie-break so that a step cannot
give up every other margin for nothing.

Search. Coordinate descent from the current ``Weights()`` defaults over every ``Weights`` field
(so a new weight is searched without editing this script) except two kinds. ``bm25`` stays 1.0:
the ranking is invariant to scaling all weights together, so one anchor removes that direction.
``industry`` and ``structure`` are left alone: BEIR text queries carry no profile and the corpus
no dates, so they change no ranking (also checked at start). For each other weight in turn a
small grid around its value is tried (×½, ×0.71, ×1.41, ×2 rounded to two significant digits;
fractions such as ``prf_alpha`` ±0.1/±0.2; integers such as ``prf_k`` rounded) and a point is
taken if it gains at least ``--min-gain``: of the points within ``--min-gain`` of the best,
the one nearest the current value (the smallest move that does about as well). When a pass over
all weights makes no move the grid is refined once (×0.84, ×1.19; ±0.05); the search stops after
a pass without a move on the fine grid or when the budget is spent. Every accepted step is printed
with its gain and a paired bootstrap interval of that gain (queries resampled within each set).
``--min-gain`` 0.002 is about the noise: on these sets the bootstrap standard deviation of a
single step's gain is ~0.0015, so smaller "gains" are not told apart from chance.

Overfitting check (2-fold split half). The queries of each set are split into two halves at
random (``--seed``); the search is re-run on each half alone and its result reported on the other
half, start against tuned. A gain on the tuning half that does not survive on the held-out half
is noise, and so is a weight that the two folds move in opposite directions.

Output: baseline figures, the accepted steps, a table of the six metrics and ratios for the start
and the final weights, an ablation of the final weights (signals switched off), the split-half
check, and the final ``Weights(...)`` as Python code to paste into ``engine.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import astuple, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench import shared_bench
from bench.baselines import Bm25sJieba
from silian.matching.engine import Engine, EngineConfig, Weights
from silian.matching.evaluate import Qrels, load_beir, mrr_at_k, ndcg_at_k

DEFAULT_DATA = shared_bench()
DEFAULT_SETS = ("dev-hard", "dev-demands", "dev-keywords")
METRICS = ("ndcg@10", "mrr@10")
TARGETS: dict[tuple[str, str], float] = {
    ("dev-hard", "ndcg@10"): 1.30,
    ("dev-hard", "mrr@10"): 1.25,
    ("dev-demands", "ndcg@10"): 1.15,
    ("dev-demands", "mrr@10"): 1.00,
    ("dev-keywords", "ndcg@10"): 1.05,
    ("dev-keywords", "mrr@10"): 1.00,
}
"""Required ratio of the engine's figure to bm25s+jieba's (a set not listed needs 1.0)."""
TIE_BREAK = 0.1
TOP = 100
ANCHOR = "bm25"
INERT = ("industry", "structure")
FRACTIONS = ("prf_alpha",)
"""Weights that are mixing fractions in [0, 1] (stepped additively)."""
TUNED = tuple(f.name for f in fields(Weights) if f.name != ANCHOR and f.name not in INERT)
"""The weights searched, in ``Weights`` field order: all but the anchor and the inert ones."""
INTEGER = frozenset(f.name for f in fields(Weights) if f.type in ("int", int))
COARSE = (0.5, 0.71, 1.41, 2.0)
FINE = (0.84, 1.19)
ABLATIONS: dict[str, dict[str, float]] = {
    "no bigram": {"bigram": 0.0, "top_bigram": 0.0},
    "no semantic": {"semantic": 0.0},
    "no discipline": {"discipline": 0.0, "discipline_first": 0.0},
    "no top bonus": {"top_bm25": 0.0, "top_bigram": 0.0},
    "no PRF (classifier only)": {"prf_alpha": 1.0},
    "no keyphrase": {"keyphrase": 0.0},
}
"""Signals switched off in the final weights' ablation (skipped if a field does not exist)."""

Key = tuple[str, str]
PerQuery = dict[str, NDArray[np.float64]]
Scores = dict[str, PerQuery]
Log = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- data -----------------------------------------------------------------------------------------
@dataclass
class DevSet:
    """One dev set: its (judged, maybe sampled) queries, qrels and bm25s's per-query figures."""

    name: str
    queries: list[tuple[str, str]]
    qrels: Qrels
    corpus: int
    baseline: PerQuery = field(default_factory=dict)

    def take(self, index: Sequence[int]) -> DevSet:
        """The same set restricted to the queries at ``index``."""
        idx = np.asarray(index, np.int64)
        return DevSet(
            self.name,
            [self.queries[i] for i in idx.tolist()],
            self.qrels,
            self.corpus,
            {m: v[idx] for m, v in self.baseline.items()},
        )


def per_query(
    ranked: Sequence[Sequence[str]], queries: Sequence[tuple[str, str]], qrels: Qrels
) -> PerQuery:
    """nDCG@10 and MRR@10 of each query (as ``evaluate.score_run`` averages them)."""
    judged = [qrels[qid] for qid, _ in queries]
    return {
        "ndcg@10": np.array([ndcg_at_k(r, j) for r, j in zip(ranked, judged, strict=True)]),
        "mrr@10": np.array([mrr_at_k(r, j) for r, j in zip(ranked, judged, strict=True)]),
    }


def load_sets(
    data: Path, names: Sequence[str], keywords_sample: int, seed: int
) -> tuple[list[list[dict[str, Any]]], list[DevSet]]:
    """Distinct corpora and the dev sets over them (unjudged queries dropped, sampling applied)."""
    corpora: list[list[dict[str, Any]]] = []
    sets: list[DevSet] = []
    for name in names:
        beir = load_beir(data / name)
        index = next((i for i, c in enumerate(corpora) if c == beir.corpus), None)
        if index is None:
            corpora.append(beir.corpus)
            index = len(corpora) - 1
        queries = [(q, t) for q, t in beir.queries if q in beir.qrels]
        if name == "dev-keywords" and 0 < keywords_sample < len(queries):
            picked = sorted(random.Random(seed).sample(range(len(queries)), keywords_sample))
            queries = [queries[i] for i in picked]
        sets.append(DevSet(name, queries, beir.qrels, index))
    return corpora, sets


def add_baseline(corpora: Sequence[list[dict[str, Any]]], sets: Sequence[DevSet]) -> None:
    """Fill each set's per-query bm25s+jieba figures (one bm25s index per corpus)."""
    for index, corpus in enumerate(corpora):
        system = Bm25sJieba()
        system.build(corpus)
        for s in sets:
            if s.corpus == index:
                ranked = [[d for d, _ in system.search(text, TOP)] for _, text in s.queries]
                s.baseline = per_query(ranked, s.queries, s.qrels)


# -- evaluation ---------------------------------------------------------------------------------
def rank(engine: Engine, weights: Weights, queries: Sequence[tuple[str, str]]) -> list[list[str]]:
    """Ranked doc ids of each query under ``weights`` (public API only)."""
    engine.config.weights = replace(weights)
    return [[h.doc_id for h in engine.query(t, limit=TOP, reasons=False)] for _, t in queries]


class Evaluator:
    """Per-query figures of weight settings on some dev sets, cached, with a time counter."""

    def __init__(self, engines: Sequence[Engine], sets: Sequence[DevSet]) -> None:
        """Evaluate ``sets`` with ``engines[set.corpus]``."""
        self.engines = list(engines)
        self.sets = list(sets)
        self.cache: dict[tuple[Any, ...], Scores] = {}
        self.seconds = 0.0

    @property
    def n_queries(self) -> int:
        """Queries run per evaluation."""
        return sum(len(s.queries) for s in self.sets)

    def scores(self, weights: Weights) -> Scores:
        """Per-set, per-metric, per-query figures of ``weights``."""
        key = astuple(weights)
        if key not in self.cache:
            t0 = time.perf_counter()
            self.cache[key] = {
                s.name: per_query(
                    rank(self.engines[s.corpus], weights, s.queries), s.queries, s.qrels
                )
                for s in self.sets
            }
            self.seconds += time.perf_counter() - t0
        return self.cache[key]

    def table(self, weights: Weights) -> dict[Key, tuple[float, float, float]]:
        """(silian, bm25s, ratio) of each (set, metric) for ``weights``."""
        return table(self.sets, self.scores(weights))

    def objective(self, weights: Weights) -> float:
        """The tuning objective of ``weights`` (see :func:`objective`)."""
        return objective(normalised(self.table(weights)))


def table(sets: Sequence[DevSet], scores: Scores) -> dict[Key, tuple[float, float, float]]:
    """(silian, bm25s, ratio) of each (set, metric): means over the set's queries."""
    out: dict[Key, tuple[float, float, float]] = {}
    for s in sets:
        for m in METRICS:
            ours, base = float(scores[s.name][m].mean()), float(s.baseline[m].mean())
            out[(s.name, m)] = (ours, base, ours / base if base > 0 else math.inf)
    return out


def normalised(rows: Mapping[Key, tuple[float, float, float]]) -> dict[Key, float]:
    """Ratio over target of each (set, metric); ≥ 1 means the target is met."""
    return {k: ratio / TARGETS.get(k, 1.0) for k, (_, _, ratio) in rows.items()}


def objective(norm: Mapping[Key, float]) -> float:
    """``min(q) + TIE_BREAK · mean(q)`` over the normalised ratios q."""
    values = list(norm.values())
    return min(values) + TIE_BREAK * sum(values) / len(values)


def _perturbed(name: str, value: float) -> float:
    if name in FRACTIONS:
        return round(1 - value, 2)
    if name in INTEGER:
        return int(value) * 2 + 1
    return value * 1.7 + 0.3


def _typed(name: str, value: float) -> float:
    return int(value) if name in INTEGER else value


def check_stateless(
    engine: Engine, queries: Sequence[tuple[str, str]], weights: Weights
) -> list[str]:
    """Problems found: rankings depending on earlier weights, or inert weights that are not."""
    problems: list[str] = []
    first = rank(engine, weights, queries)
    other = replace(weights, **{n: _perturbed(n, getattr(weights, n)) for n in TUNED})
    changed = rank(engine, other, queries)
    again = rank(engine, weights, queries)
    if again != first:
        problems.append("rankings under weights A differ after querying with weights B")
    if changed == first:
        problems.append("rankings did not change with very different weights")
    inert = rank(
        engine, replace(weights, **{n: getattr(weights, n) * 3 + 1 for n in INERT}), queries
    )
    if inert != first:
        problems.append(f"{'/'.join(INERT)} change rankings here: they should be tuned too")
    return problems


# -- search ---------------------------------------------------------------------------------------
def _round2(value: float) -> float:
    return float(f"{value:.2g}")


def candidates(name: str, value: float, fine: bool = False) -> list[float]:
    """The grid tried for one weight around its current value (current value excluded)."""
    factors = FINE if fine else COARSE
    if name in FRACTIONS:
        steps = (0.05,) if fine else (0.1, 0.2)
        values = [min(1.0, max(0.0, round(value + s * d, 2))) for s in steps for d in (-1, 1)]
    elif name in INTEGER:
        values = [float(max(1, round(value * f))) for f in factors]
    elif value > 0:
        values = [_round2(value * f) for f in factors]
    else:
        values = [0.25, 0.5]
    return sorted({v for v in values if v != value})


@dataclass
class Step:
    """One accepted move of the search."""

    weight: str
    old: float
    new: float
    before: float
    after: float
    evaluations: int
    weights: Weights

    @property
    def gain(self) -> float:
        """Objective gained by this move."""
        return self.after - self.before


def _smallest_good_move(
    trials: Sequence[tuple[float, float]], old: float, tolerance: float
) -> tuple[float, float]:
    """Of the (objective, value) trials within ``tolerance`` of the best, the nearest to ``old``."""
    top = max(got for got, _ in trials)
    near = [(got, v) for got, v in trials if got >= top - tolerance]
    return min(near, key=lambda t: (abs(math.log((t[1] + 1e-3) / (old + 1e-3))), -t[0]))


def coordinate_descent(
    score: Callable[[Weights], float],
    start: Weights,
    budget: int,
    min_gain: float = 0.002,
    names: Sequence[str] = TUNED,
    log: Log = _stderr,
) -> tuple[Weights, float, list[Step], int]:
    """Best weights found from ``start``, their objective, the steps and evaluations spent."""
    memo: dict[tuple[Any, ...], float] = {}

    def value(w: Weights) -> float | None:
        key = astuple(w)
        if key not in memo:
            if len(memo) >= budget:
                return None
            memo[key] = score(w)
        return memo[key]

    current = start
    best = value(start)
    if best is None:
        raise ValueError("budget must allow at least one evaluation")
    steps: list[Step] = []
    for fine in (False, True):
        moved = True
        while moved:
            moved = False
            for name in names:
                old = float(getattr(current, name))
                trials: list[tuple[float, float]] = []
                for v in candidates(name, old, fine):
                    w = replace(current, **{name: _typed(name, v)})
                    got = value(w)
                    if got is None:
                        break
                    trials.append((got, v))
                if trials:
                    tried = " ".join(f"{v:g}:{got:.4f}" for got, v in trials)
                    log(f"    {name} {old:g}:{best:.4f} | {tried}")
                    got, v = _smallest_good_move(trials, old, min_gain)
                    if got >= best + min_gain:
                        current = replace(current, **{name: _typed(name, v)})
                        steps.append(Step(name, old, v, best, got, len(memo), current))
                        log(
                            f"  step {len(steps)}: {name} {old:g} → {v:g}: "
                            f"{best:.4f} → {got:.4f} (+{got - best:.4f}) [{len(memo)} evals]"
                        )
                        best, moved = got, True
                if len(memo) >= budget:
                    log(f"  budget of {budget} evaluations spent")
                    return current, best, steps, len(memo)
        log(f"  no move on the {'fine' if fine else 'coarse'} grid ({len(memo)} evals)")
    return current, best, steps, len(memo)


def bootstrap_gain(
    sets: Sequence[DevSet], before: Scores, after: Scores, rounds: int = 500, seed: int = 0
) -> tuple[float, float, float]:
    """Paired bootstrap of the objective gain (queries resampled per set): mean, 5th, 95th pct."""
    rng = np.random.default_rng(seed)
    diffs = np.empty(rounds)
    for r in range(rounds):
        picks = [rng.integers(0, len(s.queries), len(s.queries)) for s in sets]
        sub = [s.take(p.tolist()) for s, p in zip(sets, picks, strict=True)]

        def value(scores: Scores, sub: list[DevSet] = sub, picks: list[Any] = picks) -> float:
            chosen = {
                s.name: {m: scores[s.name][m][p] for m in METRICS}
                for s, p in zip(sub, picks, strict=True)
            }
            return objective(normalised(table(sub, chosen)))

        diffs[r] = value(after) - value(before)
    return float(diffs.mean()), float(np.percentile(diffs, 5)), float(np.percentile(diffs, 95))


def halves(sets: Sequence[DevSet], seed: int) -> list[tuple[list[int], list[int]]]:
    """A random split of each set's query positions into two halves."""
    out = []
    for i, s in enumerate(sets):
        order = list(range(len(s.queries)))
        random.Random(seed * 1000 + i).shuffle(order)
        mid = len(order) // 2
        out.append((sorted(order[:mid]), sorted(order[mid:])))
    return out


# -- output ---------------------------------------------------------------------------------------
def weights_code(w: Weights) -> str:
    """``Weights(...)`` as Python code."""
    body = "".join(f"    {f.name}={getattr(w, f.name)!r},\n" for f in fields(Weights))
    return f"Weights(\n{body})"


def weights_fields(w: Weights) -> str:
    """The dataclass field lines with ``w`` as defaults (to paste into ``engine.py``)."""
    return "\n".join(f"    {f.name}: {f.type} = {getattr(w, f.name)!r}" for f in fields(Weights))


def compare_table(
    start: Mapping[Key, tuple[float, float, float]], final: Mapping[Key, tuple[float, float, float]]
) -> str:
    """Markdown table of the figures and ratios of start and final weights."""
    lines = [
        "| set | metric | bm25s | silian start | ×start | silian final | ×final | target "
        "| final/target | met |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, (s_ours, base, s_ratio) in start.items():
        f_ours, _, f_ratio = final[key]
        target = TARGETS.get(key, 1.0)
        lines.append(
            f"| {key[0]} | {key[1]} | {base:.4f} | {s_ours:.4f} | {s_ratio:.3f} | {f_ours:.4f} "
            f"| {f_ratio:.3f} | {target:.2f} | {f_ratio / target:.3f} "
            f"| {'yes' if f_ratio >= target else 'NO'} |"
        )
    return "\n".join(lines)


def _short(norm: Mapping[Key, float]) -> str:
    return " ".join(f"{k[0].removeprefix('dev-')[:4]}/{k[1][:1]}={v:.3f}" for k, v in norm.items())


def engine_version() -> str:
    """The git commit, and whether ``src/silian/matching`` has uncommitted changes."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "src/silian/matching"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head or 'unknown'}{' + uncommitted changes in src/silian/matching' if dirty else ''}"


# -- main -----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None, config: EngineConfig | None = None) -> int:
    """Build, check, tune, split-half check and print the report (``config``: engine settings)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sets", default=",".join(DEFAULT_SETS))
    parser.add_argument("--budget", type=int, default=120, help="evaluations per search")
    parser.add_argument("--seed", type=int, default=0, help="for the sample and split halves")
    parser.add_argument(
        "--keywords-sample", type=int, default=0, help="use N dev-keywords queries (0: all)"
    )
    parser.add_argument("--min-gain", type=float, default=0.002, help="objective gain to move")
    parser.add_argument("--no-split-check", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    def elapsed() -> str:
        return f"[{time.perf_counter() - started:6.0f} s]"

    version = engine_version()
    names = [n for n in args.sets.split(",") if n]
    corpora, sets = load_sets(args.data, names, args.keywords_sample, args.seed)
    for s in sets:
        _stderr(f"{elapsed()} {s.name}: {len(s.queries)} judged queries, corpus #{s.corpus}")
    engines = []
    for corpus in corpora:
        t0 = time.perf_counter()
        engine = Engine.build(corpus, replace(config) if config else None)
        engine.query("预热", limit=1)
        engines.append(engine)
        _stderr(
            f"{elapsed()} engine built on {len(corpus)} docs in {time.perf_counter() - t0:.1f} s"
        )
    t0 = time.perf_counter()
    add_baseline(corpora, sets)
    _stderr(f"{elapsed()} bm25s+jieba baseline in {time.perf_counter() - t0:.1f} s")

    start = replace(engines[0].config.weights)
    problems = []
    for i, engine in enumerate(engines):
        sample = [q for s in sets if s.corpus == i for q in s.queries[:30]]
        problems += check_stateless(engine, sample, start)
    for p in problems:
        _stderr(f"WARNING: {p}")
    if any("differ after" in p for p in problems):
        _stderr("results depend on state left by earlier weights: tuning would be meaningless")
        return 2
    _stderr(f"{elapsed()} stateless check: {'ok' if not problems else 'see warnings'}")

    full = Evaluator(engines, sets)
    t0 = time.perf_counter()
    start_table = full.table(start)
    one = time.perf_counter() - t0
    worst = args.budget * one * (1 if args.no_split_check else 2)
    _stderr(
        f"{elapsed()} one evaluation: {one:.1f} s for {full.n_queries} queries "
        f"({full.n_queries / one:.0f} q/s); worst case ≈ {worst / 60:.1f} min of search"
    )
    _stderr(f"start: objective {full.objective(start):.4f}  {_short(normalised(start_table))}")

    _stderr(f"{elapsed()} search on all dev queries (budget {args.budget})")
    final, best, steps, spent = coordinate_descent(
        full.objective, start, args.budget, args.min_gain
    )
    final_table = full.table(final)

    ablation: dict[str, tuple[float, dict[Key, float]]] = {}
    known = {f.name for f in fields(Weights)}
    for label, change in ABLATIONS.items():
        if not set(change) <= known:
            continue
        w = replace(final, **change)
        ablation[label] = (full.objective(w), normalised(full.table(w)))

    folds: list[dict[str, Any]] = []
    if not args.no_split_check:
        split = halves(sets, args.seed)
        for k in (0, 1):
            tune_sets = [s.take(split[i][k]) for i, s in enumerate(sets)]
            held_sets = [s.take(split[i][1 - k]) for i, s in enumerate(sets)]
            tuner, held = Evaluator(engines, tune_sets), Evaluator(engines, held_sets)
            _stderr(f"{elapsed()} split-half fold {k + 1}: search on half {k + 1}")
            w_k, _, steps_k, spent_k = coordinate_descent(
                tuner.objective, start, args.budget, args.min_gain
            )
            folds.append(
                {
                    "fold": k + 1,
                    "weights": w_k,
                    "steps": len(steps_k),
                    "evaluations": spent_k,
                    "tune": (tuner.objective(start), tuner.objective(w_k)),
                    "held": (held.objective(start), held.objective(w_k)),
                    "held_norm": (normalised(held.table(start)), normalised(held.table(w_k))),
                    "held_full": held.objective(final),
                }
            )
    runtime = time.perf_counter() - started

    print(f"# Weight tuning on {', '.join(s.name for s in sets)}\n")
    print(
        f"Queries: {', '.join(f'{s.name} {len(s.queries)}' for s in sets)}"
        + (f" (dev-keywords sampled, seed {args.seed})" if args.keywords_sample else "")
        + f". One evaluation {one:.1f} s; main search {spent} evaluations; "
        f"total runtime {runtime / 60:.1f} min.\n"
    )
    print(f"Engine: {version}.\n")
    print("Stateless check: " + ("ok" if not problems else "; ".join(problems)) + "\n")
    print(f"## Steps (objective = min(ratio/target) + {TIE_BREAK} × mean)\n")
    print(
        "| # | weight | from | to | objective | gain | bootstrap 5%..95% "
        "| normalised ratios after |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| 0 | (start) | | | {full.objective(start):.4f} | | | {_short(normalised(start_table))} |"
    )
    previous = start
    for i, st in enumerate(steps, 1):
        after = _short(normalised(full.table(st.weights)))
        _, lo, hi = bootstrap_gain(
            sets, full.scores(previous), full.scores(st.weights), seed=args.seed
        )
        print(
            f"| {i} | {st.weight} | {st.old:g} | {st.new:g} | {st.after:.4f} "
            f"| +{st.gain:.4f} | {lo:+.4f}..{hi:+.4f} | {after} |"
        )
        previous = st.weights
    print("\n## Start vs final\n")
    print(compare_table(start_table, final_table))
    met = all(r >= TARGETS.get(k, 1.0) for k, (_, _, r) in final_table.items())
    gain, lo, hi = bootstrap_gain(sets, full.scores(start), full.scores(final), seed=args.seed)
    print(
        f"\nAll targets met: {'yes' if met else 'NO'} (objective {best:.4f}; gain over start "
        f"{gain:+.4f}, paired bootstrap 5%..95% {lo:+.4f}..{hi:+.4f})\n"
    )
    print("## Ablation of the final weights\n")
    print("| change | objective | Δ | normalised ratios |")
    print("|---|---|---|---|")
    for label, (obj, norm) in ablation.items():
        print(f"| {label} | {obj:.4f} | {obj - best:+.4f} | {_short(norm)} |")
    if folds:
        print("\n## Split-half check (tune on one half of each set, report on the other)\n")
        print(
            "| fold | steps | tune-half start → tuned | held-out start → tuned | held-out gain "
            "| held-out with full-data weights (in-sample) |"
        )
        print("|---|---|---|---|---|---|")
        for f in folds:
            (ts, tt), (hs, ht) = f["tune"], f["held"]
            print(
                f"| {f['fold']} | {f['steps']} | {ts:.4f} → {tt:.4f} | {hs:.4f} → {ht:.4f} "
                f"| {ht - hs:+.4f} | {f['held_full']:.4f} |"
            )
        print("\n| weight | start | full data | fold 1 | fold 2 |")
        print("|---|---|---|---|---|")
        for name in TUNED:
            print(
                f"| {name} | {getattr(start, name)!r} | {getattr(final, name)!r} | "
                + " | ".join(repr(getattr(f["weights"], name)) for f in folds)
                + " |"
            )
        for f in folds:
            s_norm, t_norm = f["held_norm"]
            print(f"\nfold {f['fold']} held-out start: {_short(s_norm)}")
            print(f"fold {f['fold']} held-out tuned: {_short(t_norm)}")
    print("\n## Proposed weights\n")
    print("```python\n" + weights_code(final) + "\n```\n")
    print("Field defaults for `Weights` in engine.py:\n")
    print("```python\n" + weights_fields(final) + "\n```")
    if args.json:
        result = {
            "sets": {s.name: len(s.queries) for s in sets},
            "engine": version,
            "runtime_s": runtime,
            "one_evaluation_s": one,
            "evaluations": spent,
            "problems": problems,
            "start": {"weights": astuple(start), "table": _rows(start_table)},
            "final": {"weights": astuple(final), "table": _rows(final_table), "objective": best},
            "steps": [[s.weight, s.old, s.new, s.before, s.after] for s in steps],
            "folds": [
                {
                    k: (astuple(v) if isinstance(v, Weights) else v)
                    for k, v in f.items()
                    if k != "held_norm"
                }
                for f in folds
            ],
        }
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return 0


def _rows(rows: Mapping[Key, tuple[float, float, float]]) -> list[list[Any]]:
    return [[k[0], k[1], *v] for k, v in rows.items()]


if __name__ == "__main__":
    raise SystemExit(main())
