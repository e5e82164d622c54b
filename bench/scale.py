"""Latency, throughput, build time and peak memory of the engine at 10k / 100k / 1M documents.

Documents are resampled from the real benchmark corpus: each synthetic record takes a title from
one paper, keywords from another and a text spliced from sentences of three others, and carries
no discipline (so the classifier labels every record, as for new platform records). Each size runs
in its own process so that peak RSS is that size's alone.

Usage: .venv/bin/python -m bench.scale [--sizes 10000,100000,1000000] [--queries 300]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "bench"


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


def one(size: int, data: Path, n_queries: int) -> dict[str, Any]:
    """Build at one size and time queries (run in a child process)."""
    from silian.matching.engine import Engine
    from silian.matching.evaluate import load_beir

    corpus = load_beir(data / "dev-hard").corpus
    queries: list[str] = []
    for name in ("dev-hard", "dev-demands", "dev-keywords"):
        queries += [q for _, q in load_beir(data / name).queries]
    rng = random.Random(1)
    rng.shuffle(queries)
    queries = queries[:n_queries]
    t0 = time.perf_counter()
    engine = Engine.build(synthetic(corpus, size), total=size)
    build_s = time.perf_counter() - t0
    engine.query("预热", limit=10)
    lat = []
    for q in queries:
        t = time.perf_counter()
        engine.query(q, limit=10)
        lat.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    edit = {
        "id": "doc:1",
        "kind": "achievement",
        "title": "石墨烯散热膜卷对卷制备",
        "text": "新工艺",
    }
    engine.update(edit)
    update_ms = (time.perf_counter() - t) * 1000
    fresh = engine.query("石墨烯散热膜", limit=1)[0].doc_id == "doc:1"
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    arr = np.array(lat)
    return {
        "docs": size,
        "build_s": round(build_s, 1),
        "p50_ms": round(float(np.percentile(arr, 50)), 2),
        "p95_ms": round(float(np.percentile(arr, 95)), 2),
        "qps": round(len(lat) / (arr.sum() / 1000), 1),
        "update_ms": round(update_ms, 1),
        "fresh_after_update": fresh,
        "peak_rss_mb": round(peak_mb),
        "queries": len(lat),
    }


def main(argv: list[str] | None = None) -> int:
    """Run each size in a child process and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(one(args.one, args.data, args.queries)), flush=True)
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
        ]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        row = json.loads(out.strip().splitlines()[-1])
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    print("| docs | build s | p50 ms | p95 ms | qps | update ms | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['docs']:,} | {r['build_s']} | {r['p50_ms']} | {r['p95_ms']} | {r['qps']} | "
            f"{r['update_ms']} | {r['peak_rss_mb']} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
