"""CPU time per demand query, in this process: on the dev-demands index or on N resampled records.

Usage: .venv/bin/python -m bench.query_latency [--data ../shared/data/bench]
           [--records 100000 [--index DIR]]

Queries: the 100 judged dev/check demands (``bench/judged/queries.jsonl``, never the held-out
split) and the 160 dev-demands queries; 20 warm-up queries, then three timed rounds of all 260
with reasons (as the platform asks). Prints CPU ms per query of each round and the load.

The index is the dev-demands corpus (6,865 documents), or with ``--records N`` N records made by
``bench.scale``'s generator (the scale corpus); ``--index DIR`` keeps that index in DIR (built
and saved on the first run, mapped after). To compare two engines run it with each one's code
first on the path, each with its own DIR (their index formats may differ), alternating, e.g.
``PYTHONPATH=<other checkout>/src:. .venv/bin/python -m bench.query_latency --records 100000
--index /tmp/other``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench.judged import data as judged


def main(argv: list[str] | None = None) -> int:
    """Build or map the index, time the demand queries, print one line."""
    from silian.matching.engine import Engine

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=judged.DEFAULT_CORPUS.parents[1])
    parser.add_argument("--records", type=int, default=0, help="resampled records (0: dev-demands)")
    parser.add_argument("--index", type=Path, default=None, help="keep the index here")
    args = parser.parse_args(argv)
    texts = [d.text for d in judged.load_demands(judged.QUERIES, "dev")]
    texts += [d.text for d in judged.load_demands(judged.QUERIES, "check")]
    queries = (args.data / "dev-demands" / "queries.jsonl").read_text("utf-8").splitlines()
    texts += [json.loads(line)["text"] for line in queries if line]
    if args.index is not None and (args.index / "meta.json").is_file():
        engine = Engine.load(args.index)
    else:
        if args.records:
            from bench.scale import synthetic
            from silian.matching.evaluate import load_beir

            source = load_beir(args.data / "dev-hard").corpus
            engine = Engine.build(synthetic(source, args.records), total=args.records)
        else:
            lines = (args.data / "dev-demands" / "corpus.jsonl").read_text("utf-8").splitlines()
            engine = Engine.build([json.loads(line) for line in lines if line])
        if args.index is not None:
            engine.save(args.index)
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
