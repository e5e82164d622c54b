"""Feedback simulation: does the learned reranker improve demands it was not trained on?

Usage:
    .venv/bin/python -m bench.feedback_sim [--seeds 10] [--shown 0.3] [--flip 0.2]
        [--depth 50] [--heldout] [--json FILE]

Builds Silian's engine once over the judged set's corpus (the dev-demands corpus) and asks it
for the top ``depth`` hits of every demand of the judged ``dev`` split. For each seed the dev
demands are split in two halves: on half A users "judge" the suggestions they were shown — each
of the engine's top 10 gets a verdict with probability ``--shown`` (the judged grade 0/1/2;
with probability ``--flip`` the verdict is replaced by one of the two other grades) — and a
reranker is trained on those verdicts (:func:`silian.matching.learning.train`); a second one is
trained on random feedback (the same shown pairs, the same grades shuffled among them). Half B
is then scored with the judged set's figures (nDCG@10, P@10 and MRR@10 over its demands with a
document graded ≥ 1): engine alone, engine + reranker (noisy feedback), engine + reranker
(random feedback). Documents a reranker brings into a top 10 that were never judged count as 0;
their number is printed (they would need judging before final figures).

The table pools the seeds: each demand's figure is averaged over the seeds in which it was in
half B, and the 95 % interval is a bootstrap over demands (2,000 resamples) of the difference
from the engine. ``--heldout`` also trains on noisy feedback over all dev demands and scores
the held-out split (written blind to the corpus), with the same intervals.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

from bench.judged import data
from bench.judged.scoring import K, precision_at_k, relevant_demands
from bench.judged.systems import load_corpus
from silian.matching.documents import Hit
from silian.matching.evaluate import mrr_at_k, ndcg_at_k
from silian.matching.learning import UNSEEN, Group, Reranker, rerank_depth, train

METRICS = ("ndcg", "p", "mrr")
SYSTEMS = ("engine", "noisy", "random", "noisy, forced 0.5", "random, forced 0.5")
# The forced rows switch the same models on with blend 0.5 whatever cross-validation said:
# what the learned weights would do without the safeguard.
FORCED = 0.5
# Hits fetched per demand (so one cache file serves every depth up to it).
FETCH = 50


def _log(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


def simulate_feedback(
    hits: Mapping[str, Sequence[Hit]],
    judged: Mapping[str, Mapping[str, int]],
    qids: Sequence[str],
    rng: random.Random,
    shown: float,
    flip: float,
) -> dict[str, dict[str, int]]:
    """Verdicts on a share of each demand's shown top 10, some flipped (unjudged = grade 0)."""
    out: dict[str, dict[str, int]] = {}
    for q in qids:
        for hit in hits[q][:K]:
            if rng.random() >= shown:
                continue
            grade = judged.get(q, {}).get(hit.doc_id, 0)
            if rng.random() < flip:
                grade = rng.choice([g for g in data.GRADES if g != grade])
            out.setdefault(q, {})[hit.doc_id] = grade
    return out


def shuffled(
    feedback: Mapping[str, Mapping[str, int]], rng: random.Random
) -> dict[str, dict[str, int]]:
    """The same pairs with their grades shuffled among them (feedback that says nothing)."""
    pairs = [(q, d) for q, docs in feedback.items() for d in docs]
    grades = [feedback[q][d] for q, d in pairs]
    rng.shuffle(grades)
    out: dict[str, dict[str, int]] = {}
    for (q, d), g in zip(pairs, grades, strict=True):
        out.setdefault(q, {})[d] = g
    return out


def fit(
    hits: Mapping[str, Sequence[Hit]],
    feedback: Mapping[str, Mapping[str, int]],
    depth: int,
    seed: int,
    texts: Mapping[str, str],
    unseen: str = UNSEEN,
) -> Reranker | None:
    """A reranker trained on ``feedback`` (None when it holds too little to train)."""
    groups = [
        Group.of(q, hits[q][:depth], grades, texts.get(q, "")) for q, grades in feedback.items()
    ]
    try:
        return train(groups, depth=depth, seed=seed, unseen=unseen)
    except ValueError:
        return None


@dataclass
class Scored:
    """Per-demand figures of one system on one half B, and unjudged documents in its top 10."""

    values: dict[str, dict[str, float]]
    unjudged: int
    new_pairs: set[tuple[str, str]]


def evaluate(
    ranked: Mapping[str, Sequence[str]],
    judged: Mapping[str, Mapping[str, int]],
    qids: Sequence[str],
) -> Scored:
    """nDCG@10, P@10, MRR@10 per demand of ``qids`` (unjudged documents count as 0)."""
    values: dict[str, dict[str, float]] = {}
    new: set[tuple[str, str]] = set()
    for q in qids:
        grades = judged.get(q, {})
        run = list(ranked[q])[:K]
        new |= {(q, d) for d in run if d not in grades}
        values[q] = {
            "ndcg": ndcg_at_k(run, grades, K),
            "p": precision_at_k(run, grades, K),
            "mrr": mrr_at_k(run, grades, K),
        }
    return Scored(values, len(new), new)


def bootstrap(
    deltas: Sequence[float], rng: np.random.Generator, n: int = 2000
) -> tuple[float, float]:
    """95 % interval of the mean of ``deltas`` by resampling them."""
    arr = np.array(deltas, np.float64)
    if len(arr) == 0:
        return float("nan"), float("nan")
    means = arr[rng.integers(0, len(arr), size=(n, len(arr)))].mean(axis=1)
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def forced(models: Mapping[str, Reranker | None]) -> dict[str, Reranker | None]:
    """The models with their blend forced to FORCED (the table's diagnostic rows)."""
    return {
        f"{name}, forced {FORCED}": replace(model, blend=FORCED) if model else None
        for name, model in models.items()
    }


def rank_with(model: Reranker | None, hits: Sequence[Hit], text: str = "") -> list[str]:
    """The top 10 doc ids in the engine's order, or reranked by ``model``."""
    return [h.doc_id for h in (model.rerank(hits, text) if model else hits)][:K]


def table(
    title: str,
    per_demand: Mapping[str, Mapping[str, list[dict[str, float]]]],
    unjudged: Mapping[str, set[tuple[str, str]]],
    runs: int,
) -> list[dict[str, object]]:
    """Print the pooled table: mean per demand, ratio and bootstrap interval of the change."""
    rng = np.random.default_rng(0)
    qids = sorted(per_demand["engine"])
    mean = {
        s: {q: {m: float(np.mean([v[m] for v in per_demand[s][q]])) for m in METRICS} for q in qids}
        for s in SYSTEMS
    }
    print(f"### {title}")
    print()
    print(
        "| system | nDCG@10 | P@10 (≥1) | MRR@10 (≥1) | ΔnDCG (95 % CI) | ΔP@10 (95 % CI) | "
        "ΔMRR (95 % CI) | unjudged in top 10 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    rows: list[dict[str, object]] = []
    for s in SYSTEMS:
        fig = {m: float(np.mean([mean[s][q][m] for q in qids])) for m in METRICS}
        cells = []
        row: dict[str, object] = {"table": title, "system": s, **fig, "demands": len(qids)}
        for m in METRICS:
            base = float(np.mean([mean["engine"][q][m] for q in qids]))
            if s == "engine":
                cells.append("—")
                continue
            lo, hi = bootstrap([mean[s][q][m] - mean["engine"][q][m] for q in qids], rng)
            change = fig[m] / base - 1 if base else float("nan")
            cells.append(f"{100 * change:+.1f} % [{lo:+.3f}, {hi:+.3f}]")
            row[f"{m}_change"] = change
            row[f"{m}_ci"] = (lo, hi)
        new = len(unjudged.get(s, set()))
        row["unjudged_pairs"] = new
        print(
            f"| {s} | {fig['ndcg']:.3f} | {fig['p']:.3f} | {fig['mrr']:.3f} | "
            f"{' | '.join(cells)} | {new} |"
        )
        rows.append(row)
    print()
    print(
        f"{len(qids)} demands with a document graded ≥ 1, {runs} run(s); the interval is of the "
        "mean per-demand difference from the engine; unjudged = distinct (demand, document) pairs "
        "in a top 10 never judged (counted as 0 above)."
    )
    print()
    return rows


def ceiling(
    hits: Mapping[str, Sequence[Hit]],
    judged: Mapping[str, Mapping[str, int]],
    qids: Sequence[str],
    depth: int,
) -> str:
    """nDCG@10 of the engine and of the best reordering of its top ``depth`` by the judged
    grades (what a perfect reranker at that depth could reach), over ``qids``."""
    engine = evaluate({q: [h.doc_id for h in hits[q][:K]] for q in qids}, judged, qids)
    best = {
        q: sorted((h.doc_id for h in hits[q][:depth]), key=lambda d: -grades.get(d, 0))
        for q in qids
        for grades in [judged.get(q, {})]
    }
    ideal = evaluate(best, judged, qids)
    before = np.mean([v["ndcg"] for v in engine.values.values()])
    after = np.mean([v["ndcg"] for v in ideal.values.values()])
    return (
        f"all {len(qids)} dev demands, engine nDCG@10 {before:.3f}; best reordering of the top "
        f"{depth} by the judged grades {after:.3f} ({100 * (after / before - 1):+.1f} %)"
    )


def engine_hits(
    corpus: Path, demands: Sequence[data.Demand], depth: int, cache: Path | None
) -> dict[str, list[Hit]]:
    """The engine's top ``depth`` hits per demand: built once, or read from ``cache`` when it
    holds every demand at this depth (delete it after the engine changes)."""
    if cache is not None and cache.is_file():
        stored = json.loads(cache.read_text(encoding="utf-8"))
        if stored["depth"] >= depth and all(d.id in stored["hits"] for d in demands):
            _log(f"hits read from {cache}")
            return {q: [Hit(**h) for h in rows] for q, rows in stored["hits"].items()}
    from silian.matching.engine import Engine

    t0 = time.perf_counter()
    engine = Engine.build(load_corpus(corpus))
    _log(f"engine built in {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    # With reasons, as the matching service asks: some features come from them.
    hits = {d.id: engine.query(d.text, limit=depth) for d in demands}
    _log(f"{len(hits)} demands queried (top {depth}) in {time.perf_counter() - t0:.1f} s")
    if cache is not None:
        rows = {q: [h.to_dict() for h in found] for q, found in hits.items()}
        cache.write_text(json.dumps({"depth": depth, "hits": rows}), encoding="utf-8")
    return hits


def main(argv: list[str] | None = None) -> int:
    """Run the simulation and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--shown", type=float, default=0.3, help="share of shown top 10 judged")
    parser.add_argument("--flip", type=float, default=0.2, help="share of verdicts flipped")
    parser.add_argument(
        "--depth", type=int, default=rerank_depth(), help="hits the reranker reorders"
    )
    parser.add_argument(
        "--unseen",
        choices=("zero", "skip"),
        default=UNSEEN,
        help="how cross-validation counts unjudged candidates beyond the shown 10",
    )
    parser.add_argument("--corpus", type=Path, default=data.DEFAULT_CORPUS)
    parser.add_argument("--heldout", action="store_true", help="also train on dev, score heldout")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--hits", type=Path, default=None, help="reuse (or write) the engine's hits in this file"
    )
    args = parser.parse_args(argv)

    judged = data.all_judgments(data.JUDGMENTS, data.POOL, data.PACKETS)
    dev = data.load_demands(data.QUERIES, "dev")
    held = data.load_demands(data.QUERIES, "heldout") if args.heldout else []
    hits = engine_hits(args.corpus, [*dev, *held], max(args.depth, FETCH), args.hits)

    dev_ids = [d.id for d in dev]
    texts = {d.id: d.text for d in [*dev, *held]}
    per: dict[str, dict[str, list[dict[str, float]]]] = {s: {} for s in SYSTEMS}
    unjudged: dict[str, set[tuple[str, str]]] = {s: set() for s in SYSTEMS}
    blends: dict[str, list[float]] = {"noisy": [], "random": []}
    labelled: list[int] = []
    cv: list[tuple[float, float]] = []
    rerank_ms: list[float] = []
    for seed in range(args.seeds):
        rng = random.Random(seed)
        order = list(dev_ids)
        rng.shuffle(order)
        half_a, half_b = order[: len(order) // 2], order[len(order) // 2 :]
        noisy = simulate_feedback(hits, judged, half_a, rng, args.shown, args.flip)
        models = {"noisy": fit(hits, noisy, args.depth, seed, texts, args.unseen)}
        models["random"] = fit(hits, shuffled(noisy, rng), args.depth, seed, texts, args.unseen)
        models |= forced(models)
        labelled.append(sum(len(v) for v in noisy.values()))
        for name in blends:
            trained = models[name]
            blends[name].append(trained.blend if trained else 0.0)
        model = models["noisy"]
        if model and model.cv.get("before") is not None:
            cv.append((float(model.cv["before"]), float(model.cv["after"])))
        scored_b = relevant_demands(judged, half_b)
        for s in SYSTEMS:
            t0 = time.perf_counter()
            ranked = {q: rank_with(models.get(s), hits[q], texts[q]) for q in scored_b}
            if s == f"noisy, forced {FORCED}":  # always computed (the gated one may be off)
                rerank_ms.append(1000 * (time.perf_counter() - t0) / max(len(scored_b), 1))
            result = evaluate(ranked, judged, scored_b)
            unjudged[s] |= result.new_pairs
            for q, v in result.values.items():
                per[s].setdefault(q, []).append(v)
        _log(
            f"seed {seed}: {labelled[-1]} verdicts on half A; blend noisy "
            f"{blends['noisy'][-1]:.2f}, random {blends['random'][-1]:.2f}"
        )

    print(
        f"# Feedback simulation, {date.today().isoformat()}: judged dev split ({len(dev_ids)} "
        f"demands) halved {args.seeds} times; {100 * args.shown:.0f} % of each shown top 10 "
        f"judged, {100 * args.flip:.0f} % of verdicts flipped; reranker depth {args.depth}, "
        f"unseen candidates in cross-validation: {args.unseen}"
    )
    print()
    rows = table("Half B (dev split, pooled over seeds)", per, unjudged, args.seeds)
    print(
        f"Verdicts per half A: {np.mean(labelled):.0f} on average; chosen blend (noisy) "
        f"{', '.join(f'{b:.2f}' for b in blends['noisy'])}; (random) "
        f"{', '.join(f'{b:.2f}' for b in blends['random'])}."
    )
    if cv:
        before, after = np.mean([b for b, _ in cv]), np.mean([a for _, a in cv])
        print(
            f"Nested cross-validation on half A (condensed nDCG@10 over judged suggestions): "
            f"engine {before:.3f} → reranker {after:.3f}."
        )
    print(
        f"Rerank cost: {np.mean(rerank_ms):.3f} ms per demand (features + model, top {args.depth}, "
        "a model switched on)."
    )
    print(f"Ceiling: {ceiling(hits, judged, relevant_demands(judged, dev_ids), args.depth)}.")
    print()

    if held:
        rng = random.Random(1000)
        noisy = simulate_feedback(hits, judged, dev_ids, rng, args.shown, args.flip)
        models = {"noisy": fit(hits, noisy, args.depth, 0, texts, args.unseen)}
        models["random"] = fit(hits, shuffled(noisy, rng), args.depth, 0, texts, args.unseen)
        models |= forced(models)
        held_ids = relevant_demands(judged, [d.id for d in held])
        per_h: dict[str, dict[str, list[dict[str, float]]]] = {s: {} for s in SYSTEMS}
        unjudged_h: dict[str, set[tuple[str, str]]] = {s: set() for s in SYSTEMS}
        for s in SYSTEMS:
            ranked = {q: rank_with(models.get(s), hits[q], texts[q]) for q in held_ids}
            result = evaluate(ranked, judged, held_ids)
            unjudged_h[s] = result.new_pairs
            per_h[s] = {q: [v] for q, v in result.values.items()}
        rows += table(
            "Held-out split (trained on feedback over all dev demands)", per_h, unjudged_h, 1
        )
        print(
            f"Blend chosen: noisy {models['noisy'].blend if models['noisy'] else 0:.2f}, random "
            f"{models['random'].blend if models['random'] else 0:.2f}."
        )
        print()
    if args.json:
        args.json.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
