"""CPU time per demand query on the dev-demands index (6,865 documents), in this process.

Usage: .venv/bin/python -m bench.query_latency [--data ../shared/data/bench]

Queries: the 100 judged dev/check demands (``bench/judged/queries.jsonl``, never the held-out
split) and the 160 dev-demands queries; 20 warm-up queries, then three timed rounds of all 260
with reasons (as the platform asks). Prints CPU ms per query of each round and the load. Run it
from two checkouts to compare engines.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench.judged import data as judged


def main(argv: list[str] | None = None) -> int:
    """Build the index, time the demand queries, print one line."""
    from silian.matching.engine import Engine

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=judged.DEFAULT_CORPUS.parents[1])
    args = parser.parse_args(argv)
    lines = (args.data / "dev-demands" / "corpus.jsonl").read_text("utf-8").splitlines()
    corpus = [json.loads(line) for line in lines if line]
    texts = [d.text for d in judged.load_demands(judged.QUERIES, "dev")]
    texts += [d.text for d in judged.load_demands(judged.QUERIES, "check")]
    queries = (args.data / "dev-demands" / "queries.jsonl").read_text("utf-8").splitlines()
    texts += [json.loads(line)["text"] for line in queries if line]
    engine = Engine.build(corpus)
    for text in texts[:20]:
        engine.query(text, limit=10)
    rounds = []
    for _ in range(3):
        start = time.process_time()
        for text in texts:
            engine.query(text, limit=10)
        rounds.append((time.process_time() - start) * 1000 / len(texts))
    load = Path("/proc/loadavg").read_text().strip() if Path("/proc/loadavg").exists() else "?"
    shown = ", ".join(f"{r:.2f}" for r in rounds)
    print(f"{len(texts)} queries; CPU ms/query: {shown}; min {min(rounds):.2f}; load {load}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
