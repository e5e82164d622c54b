"""Latency, throughput, build time and peak memory of the engine at 10k / 100k / 1M documents.

Documents are resampled from the real benchmark corpus: each synthetic record takes a title from
one paper, keywords from another and a text spliced from sentences of three others, and carries
no discipline (so the classifier labels every record, as for new platform records). Each size runs
in its own process so that peak RSS is that size's alone (taken before the baseline is built).

Two query sets are timed: "mixed" (random dev queries: hard, demand and keyword queries, many of
them a few words) and "demands" (the dev-demands queries and the judged set's dev and check
demands: one sentence to a paragraph, 20–150 characters). With ``--baseline`` (the default) the
demand queries also run on bare bm25s over jieba tokens of the same records, alternating query by
query with the engine, so that the ratio of the two is measured under the same machine load; the
ratio is given by wall time (queries per second) and by the process's CPU time per query.

Usage: .venv/bin/python -m bench.scale [--sizes 10000,100000,1000000] [--queries 300]
    [--no-baseline]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from bench.judged.data import DEFAULT_CORPUS, load_demands

# ``shared/data/bench`` found upwards from the checkout (so a worktree finds it too).
DEFAULT_DATA = DEFAULT_CORPUS.parents[1]


def synthetic(corpus: list[dict[str, Any]], n: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """Yield n resampled records (new combinations of real titles, keywords and sentences)."""
    rng = random.Random(seed)
    sentences = [
        [s for s in d["text"].replace("。", "。|").replace(".", ".|").split("|") if s.strip()]
        for d in corpus
    ]
    titled = [d for d in corpus if d.get("title")]
    keyworded = [d for d in corpus if d.get("keywords")]
    for i in range(n):
        parts: list[str] = []
        for _ in range(3):
            sents = sentences[rng.randrange(len(corpus))]
            if sents:
                start = rng.randrange(len(sents))
                parts.extend(sents[start : start + 2])
        title = titled[rng.randrange(len(titled))]["title"] if rng.random() < 0.8 else ""
        keywords = (
            keyworded[rng.randrange(len(keyworded))]["keywords"] if rng.random() < 0.5 else []
        )
        yield {
            "id": f"doc:{i}",
            "kind": "achievement",
            "title": title,
            "keywords": keywords,
            "text": "".join(parts),
        }


def demand_queries(data: Path) -> list[str]:
    """Demand-length query texts: dev-demands queries and the judged dev and check demands."""
    from silian.matching.evaluate import load_beir

    texts = [q for _, q in load_beir(data / "dev-demands").queries]
    texts += [d.text for split in ("dev", "check") for d in load_demands(split=split)]
    random.Random(2).shuffle(texts)
    return texts


def _summary(lat: list[float], cpu: list[float] | None = None) -> dict[str, float]:
    arr = np.array(lat)
    out = {
        "p50_ms": round(float(np.percentile(arr, 50)), 2),
        "p95_ms": round(float(np.percentile(arr, 95)), 2),
        "qps": round(float(len(lat) / (arr.sum() / 1000)), 1),
    }
    if cpu:
        out["cpu_ms"] = round(float(np.mean(cpu)), 2)
    return out


def one(size: int, data: Path, n_queries: int, baseline: bool = True) -> dict[str, Any]:
    """Build at one size and time queries (run in a child process)."""
    from silian.matching.engine import Engine
    from silian.matching.evaluate import load_beir

    load_start = os.getloadavg()[0]
    corpus = load_beir(data / "dev-hard").corpus
    queries: list[str] = []
    for name in ("dev-hard", "dev-demands", "dev-keywords"):
        queries += [q for _, q in load_beir(data / name).queries]
    rng = random.Random(1)
    rng.shuffle(queries)
    queries = queries[:n_queries]
    demands = demand_queries(data)[:n_queries]
    t0 = time.perf_counter()
    engine = Engine.build(synthetic(corpus, size), total=size)
    build_s = time.perf_counter() - t0
    engine.query("预热", limit=10)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # A parallel build's segmentation processes have their own peak (the largest of them).
    child_peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    lat = []
    for q in queries:
        t = time.perf_counter()
        engine.query(q, limit=10)
        lat.append((time.perf_counter() - t) * 1000)
    row: dict[str, Any] = {"docs": size, "build_s": round(build_s, 1), **_summary(lat)}
    bm25s = None
    if baseline:
        from bench.baselines import Bm25sJieba

        bm25s = Bm25sJieba()
        t0 = time.perf_counter()
        bm25s.build([{**d, "_id": d["id"]} for d in synthetic(corpus, size)])
        row["bm25s_build_s"] = round(time.perf_counter() - t0, 1)
        bm25s.search("预热", 10)
    # Engine and baseline alternate query by query: a change in machine load hits both.
    # CPU time of the whole process (bm25s scores in a helper thread): on a shared machine it
    # is the steadier figure, wall time also counts waiting for a core.
    lat_engine: list[float] = []
    lat_bm25s: list[float] = []
    cpu_engine: list[float] = []
    cpu_bm25s: list[float] = []
    for q in demands:
        c, t = time.process_time(), time.perf_counter()
        engine.query(q, limit=10)
        lat_engine.append((time.perf_counter() - t) * 1000)
        cpu_engine.append((time.process_time() - c) * 1000)
        if bm25s is not None:
            c, t = time.process_time(), time.perf_counter()
            bm25s.search(q, 10)
            lat_bm25s.append((time.perf_counter() - t) * 1000)
            cpu_bm25s.append((time.process_time() - c) * 1000)
    row["demands"] = _summary(lat_engine, cpu_engine)
    if bm25s is not None:
        row["bm25s"] = _summary(lat_bm25s, cpu_bm25s)
        row["ratio"] = round(row["demands"]["qps"] / row["bm25s"]["qps"], 3)
        row["cpu_ratio"] = round(row["bm25s"]["cpu_ms"] / row["demands"]["cpu_ms"], 3)
        del bm25s
    t = time.perf_counter()
    edit = {
        "id": "doc:1",
        "kind": "achievement",
        "title": "石墨烯散热膜卷对卷制备",
        "text": "新工艺",
    }
    engine.update(edit)
    row["update_ms"] = round((time.perf_counter() - t) * 1000, 1)
    row["fresh_after_update"] = engine.query("石墨烯散热膜", limit=1)[0].doc_id == "doc:1"
    row["peak_rss_mb"] = round(peak_mb)
    row["child_peak_rss_mb"] = round(child_peak_mb)
    row["queries"] = len(lat)
    row["demand_queries"] = len(lat_engine)
    row["load"] = [round(load_start, 1), round(os.getloadavg()[0], 1)]
    return row


def main(argv: list[str] | None = None) -> int:
    """Run each size in a child process and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--no-baseline", action="store_true", help="skip bm25s (saves memory)")
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one is not None:
        row = one(args.one, args.data, args.queries, baseline=not args.no_baseline)
        print(json.dumps(row), flush=True)
        return 0
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        cmd = [
            sys.executable,
            "-m",
            "bench.scale",
            "--one",
            str(size),
            "--queries",
            str(args.queries),
            "--data",
            str(args.data),
            *(["--no-baseline"] if args.no_baseline else []),
        ]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        row = json.loads(out.strip().splitlines()[-1])
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    print(
        "| docs | build s | mixed p50 / p95 ms | mixed qps | update ms | peak RSS MB "
        "| build child peak MB | load |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['docs']:,} | {r['build_s']} | {r['p50_ms']} / {r['p95_ms']} | {r['qps']} | "
            f"{r['update_ms']} | {r['peak_rss_mb']:,} | {r.get('child_peak_rss_mb', 0):,} | "
            f"{r['load'][0]} → {r['load'][1]} |"
        )
    print()
    print(
        "| docs | demands p50 / p95 ms | qps | CPU ms | bm25s p50 / p95 ms | qps | CPU ms "
        "| qps ratio | CPU ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        d = r["demands"]
        b = r.get("bm25s")
        base = (
            f"{b['p50_ms']} / {b['p95_ms']} | {b['qps']} | {b['cpu_ms']} | {r['ratio']}× | "
            f"{r['cpu_ratio']}×"
            if b
            else "– | – | – | – | –"
        )
        print(
            f"| {r['docs']:,} | {d['p50_ms']} / {d['p95_ms']} | {d['qps']} | {d['cpu_ms']} | "
            f"{base} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
