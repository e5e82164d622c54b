"""Several workers on one index: memory per worker (copied vs mapped index) and build time on
1 vs 2 processes, on resampled records of the benchmark corpus (see ``bench.scale``).

For each size: build with one process and with two (timed; same terms and postings), publish
the index as a generation, then start ``--readers`` processes that each open it — read into
private memory (as before generations were mapped) or mapped copy-on-write — and answer
``--queries`` dev queries; while all are alive, each reports its RSS, PSS (its fair share of
shared pages) and private memory from /proc/self/smaps_rollup (Linux).

Usage: .venv/bin/python -m bench.workers [--sizes 2000,30000] [--readers 2] [--queries 50]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import tempfile
import time
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from bench.scale import DEFAULT_DATA, synthetic


def _memory() -> dict[str, float]:
    """RSS, PSS and private memory of this process in MB (smaps_rollup)."""
    out: dict[str, float] = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("Rss", "Pss", "Private_Clean", "Private_Dirty", "Shared_Clean"):
            out[key] = int(rest.split()[0]) / 1024
    return {
        "rss_mb": round(out["Rss"]),
        "pss_mb": round(out["Pss"]),
        "private_mb": round(out["Private_Clean"] + out["Private_Dirty"]),
    }


def _reader(directory: str, mmap: bool, queries: list[str], barrier: Barrier, results: Any) -> None:
    from silian.matching.engine import Engine

    engine = Engine.load(directory, mmap=mmap)
    for q in queries:
        engine.query(q, limit=10)
    barrier.wait()  # every reader has loaded and queried: measure them side by side
    results.put(_memory())
    barrier.wait()


def measure(size: int, data: Path, readers: int, n_queries: int) -> dict[str, Any]:
    """Build at one size on 1 and 2 processes, then measure readers copied vs mapped."""
    from silian.matching.engine import Engine
    from silian.matching.evaluate import load_beir
    from silian.matching.store import DirectoryStore

    corpus = load_beir(data / "dev-hard").corpus
    queries = [q for _, q in load_beir(data / "dev-demands").queries]
    random.Random(1).shuffle(queries)
    queries = queries[:n_queries]
    row: dict[str, Any] = {"docs": size}
    engines = {}
    for processes in (1, 2):
        t0 = time.perf_counter()
        engines[processes] = Engine.build(synthetic(corpus, size), total=size, processes=processes)
        row[f"build_{processes}p_s"] = round(time.perf_counter() - t0, 1)
    one, two = engines[1], engines[2]
    # The term lists, counts and segment layout of both lexical channels.
    row["same_build"] = one.lexical.state()[0] == two.lexical.state()[0]
    with tempfile.TemporaryDirectory(prefix="silian-workers-") as tmp:
        store = DirectoryStore(Path(tmp))
        directory = str(store.path(store.publish(one, {"build": "bench"})))
        del engines, one, two
        ctx = multiprocessing.get_context("spawn")
        for label, mapped in (("copied", False), ("mapped", True)):
            barrier = ctx.Barrier(readers)
            results = ctx.Queue()
            procs = [
                ctx.Process(target=_reader, args=(directory, mapped, queries, barrier, results))
                for _ in range(readers)
            ]
            for p in procs:
                p.start()
            found = [results.get(timeout=1800) for _ in procs]
            for p in procs:
                p.join()
            for key in ("rss_mb", "pss_mb", "private_mb"):
                row[f"{label}_{key}"] = [m[key] for m in found]
    return row


def main(argv: list[str] | None = None) -> int:
    """Measure every size and print a Markdown table (rows also as JSON on stderr)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="2000,30000")
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        row = measure(size, args.data, args.readers, args.queries)
        print(json.dumps(row), file=sys.stderr, flush=True)
        rows.append(row)
    print("| docs | build 1 proc s | build 2 procs s | index | RSS MB | PSS MB | private MB |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        for label in ("copied", "mapped"):
            print(
                f"| {r['docs']:,} | {r['build_1p_s']} | {r['build_2p_s']} | {label} | "
                f"{' / '.join(map(str, r[label + '_rss_mb']))} | "
                f"{' / '.join(map(str, r[label + '_pss_mb']))} | "
                f"{' / '.join(map(str, r[label + '_private_mb']))} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
