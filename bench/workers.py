"""Several workers on one index: build time on 1 vs 2 processes, memory per worker (copied vs
mapped index), queries per second of 1 vs 2 workers and memory of 1 vs 4 workers, on resampled
records of the benchmark corpus (see ``bench.scale``).

For each size: build with one process and with two (timed; same terms and postings; one build
with the default number of processes under ``--no-builds``), publish the index as a generation,
then:

* ``--readers`` processes each open it — read into private memory (as before generations were
  mapped) or mapped copy-on-write — and answer ``--queries`` demand queries; while all are alive,
  each reports its RSS, PSS (its fair share of shared pages) and private memory from
  /proc/self/smaps_rollup (Linux); ``--readers 0`` skips this;
* throughput: two worker processes map the index and answer one stream of ``--stream`` demand
  queries (each takes the next query from a shared counter) in alternating rounds, one worker
  alone then both together, ``--rounds`` times; queries per second is the stream over the wall
  time of the round, and the ratio of the two is taken round by round (a change of machine load
  between rounds then hits both sides alike); "cores used" is the workers' CPU time over the
  round's wall time (two workers can only double one's rate when they get two cores), and the
  ratio per core used compares queries per CPU-second (1.0: the workers do not slow each other);
* memory: one mapped worker alone, then ``--memory-workers`` together (each after answering the
  demand queries); the total of their PSS is what they occupy together, compared with the one
  worker's RSS. ``--memory-modes`` says how the workers start: ``spawned`` (each a fresh
  interpreter that imports and maps everything itself, as uvicorn's own workers) and/or
  ``forked`` (as ``silian serve --workers N`` now: one parent maps the index, answers one query
  so the models load, freezes its objects with ``gc.freeze()`` and forks the workers, which
  share its pages copy-on-write; the parent's PSS counts in the total).

Usage: .venv/bin/python -m bench.workers [--sizes 2000,30000] [--readers 2] [--queries 50]
    [--no-builds] [--stream 300] [--rounds 3] [--memory-workers 4]
    [--memory-modes spawned,forked]
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import sys
import tempfile
import time
import traceback
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from bench.scale import DEFAULT_DATA, demand_queries, synthetic


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


def _run_readers(
    directory: str, mapped: bool, queries: list[str], n: int
) -> list[dict[str, float]]:
    """Memory of ``n`` reader processes alive together (each after answering ``queries``)."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(n)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_reader, args=(directory, mapped, queries, barrier, results))
        for _ in range(n)
    ]
    for p in procs:
        p.start()
    found = [results.get(timeout=1800) for _ in procs]
    for p in procs:
        p.join()
    return found


def _forking_parent(
    directory: str, queries: list[str], n: int, barrier: Barrier, results: Any
) -> None:
    """What `silian serve --workers N` does before it serves: map the index, answer one query
    (the models load), freeze, then fork ``n`` workers that answer the queries; every process
    reports its memory while all are alive."""
    from silian.matching.engine import Engine

    engine = Engine.load(directory, mmap=True)
    engine.query(queries[0], limit=10)
    gc.collect()
    gc.freeze()
    pids = []
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                for q in queries:
                    engine.query(q, limit=10)
                barrier.wait()
                results.put(("worker", _memory()))
                results.close()
                results.join_thread()  # the queue's feeder thread must finish before _exit
                barrier.wait()
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        pids.append(pid)
    barrier.wait()
    results.put(("parent", _memory()))
    barrier.wait()
    for pid in pids:
        os.waitpid(pid, 0)


def _run_forked(
    directory: str, queries: list[str], n: int
) -> tuple[dict[str, float], list[dict[str, float]]]:
    """Memory of a loaded parent and the ``n`` workers it forked (all alive together)."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(n + 1)
    results = ctx.Queue()
    parent = ctx.Process(target=_forking_parent, args=(directory, queries, n, barrier, results))
    parent.start()
    found = [results.get(timeout=1800) for _ in range(n + 1)]
    parent.join()
    workers = [m for role, m in found if role == "worker"]
    (own,) = [m for role, m in found if role == "parent"]
    return own, workers


def memory_of(
    directory: str, queries: list[str], workers: int, mode: str = "spawned"
) -> dict[str, Any]:
    """One worker alone, then ``workers`` together, started as ``mode`` (spawned or forked)."""
    parent: dict[str, float] | None = None
    if mode == "forked":
        _, (alone,) = _run_forked(directory, queries, 1)
        parent, together = _run_forked(directory, queries, workers)
    else:
        alone = _run_readers(directory, True, queries, 1)[0]
        together = _run_readers(directory, True, queries, workers)
    return summarise_memory(mode, alone, together, parent)


def summarise_memory(
    mode: str,
    alone: dict[str, float],
    together: list[dict[str, float]],
    parent: dict[str, float] | None = None,
) -> dict[str, Any]:
    """The memory row: per-worker figures, the total PSS (with the parent's, when the workers
    were forked from one) and its ratio to one worker's RSS."""
    total = sum(m["pss_mb"] for m in together) + (parent["pss_mb"] if parent else 0)
    return {
        "mode": mode,
        "one": alone,
        "workers": len(together),
        "rss_mb": [m["rss_mb"] for m in together],
        "pss_mb": [m["pss_mb"] for m in together],
        "private_mb": [m["private_mb"] for m in together],
        "parent": parent,
        "total_pss_mb": round(total),
        "ratio": round(total / alone["rss_mb"], 2),
    }


def _streamer(
    directory: str,
    rank: int,
    rounds: list[int],
    queries: list[str],
    total: int,
    counter: Synchronized,
    barrier: Barrier,
    results: Any,
) -> None:
    """One worker of the throughput rounds: answer the shared stream when active."""
    from silian.matching.engine import Engine

    engine = Engine.load(directory, mmap=True)
    for q in queries[:20]:
        engine.query(q, limit=10)
    for number, active in enumerate(rounds):
        barrier.wait()
        done = 0
        cpu = time.process_time()
        if rank < active:
            while True:
                with counter.get_lock():
                    i = counter.value
                    counter.value += 1
                if i >= total:
                    break
                engine.query(queries[i % len(queries)], limit=10)
                done += 1
        results.put((number, rank, done, time.monotonic(), time.process_time() - cpu))
        barrier.wait()


def throughput(directory: str, queries: list[str], total: int, rounds: int) -> dict[str, Any]:
    """Queries per second of 1 and of 2 workers over one stream, in alternating rounds."""
    ctx = multiprocessing.get_context("spawn")
    plan = [1, 2] * rounds
    barrier = ctx.Barrier(3)
    counter = ctx.Value("l", 0)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=_streamer,
            args=(directory, rank, plan, queries, total, counter, barrier, results),
        )
        for rank in range(2)
    ]
    for p in procs:
        p.start()
    qps: dict[int, list[float]] = {1: [], 2: []}
    cores: dict[int, list[float]] = {1: [], 2: []}
    for active in plan:
        counter.value = 0
        barrier.wait()
        start = time.monotonic()
        found = [results.get(timeout=1800) for _ in procs]
        end = max(t for _, rank, _, t, _ in found if rank < active)
        assert sum(done for _, _, done, _, _ in found) == total
        qps[active].append(total / (end - start))
        # CPU the workers got per second of the round: ≈ 2 with two free cores, ≈ 1 when other
        # processes leave them one core between them.
        cores[active].append(sum(cpu for *_, cpu in found) / (end - start))
        barrier.wait()
    for p in procs:
        p.join()
    ratios = [two / one for one, two in zip(qps[1], qps[2], strict=True)]
    return {
        "qps_1": [round(x, 1) for x in qps[1]],
        "qps_2": [round(x, 1) for x in qps[2]],
        "ratio": round(sorted(ratios)[len(ratios) // 2], 2),
        "cores_1": [round(x, 2) for x in cores[1]],
        "cores_2": [round(x, 2) for x in cores[2]],
        # Queries per CPU-second of two workers over one's: 1.0 means sharing the map costs
        # the workers nothing, so with two free cores two would answer twice the queries.
        "per_core_ratio": round((sum(qps[2]) / sum(cores[2])) / (sum(qps[1]) / sum(cores[1])), 2),
    }


def measure(
    size: int,
    data: Path,
    readers: int,
    n_queries: int,
    builds: bool = True,
    stream: int = 300,
    rounds: int = 3,
    memory_workers: int = 4,
    memory_modes: tuple[str, ...] = ("spawned",),
) -> dict[str, Any]:
    """Build at one size (on 1 and 2 processes), then measure readers' memory and throughput."""
    from silian.matching.engine import Engine
    from silian.matching.evaluate import load_beir
    from silian.matching.store import DirectoryStore

    corpus = load_beir(data / "dev-hard").corpus
    demands = demand_queries(data)
    queries = demands[:n_queries]
    row: dict[str, Any] = {"docs": size, "load": [round(os.getloadavg()[0], 1)]}
    engines = {}
    for processes in (1, 2) if builds else (None,):
        t0 = time.perf_counter()
        engines[processes] = Engine.build(synthetic(corpus, size), total=size, processes=processes)
        row[f"build_{processes or 'default'}p_s"] = round(time.perf_counter() - t0, 1)
    if builds:
        one, two = engines[1], engines[2]
        # The term lists, counts and segment layout of both lexical channels.
        row["same_build"] = one.lexical.state()[0] == two.lexical.state()[0]
    else:
        one = engines[None]
    with tempfile.TemporaryDirectory(prefix="silian-workers-") as tmp:
        store = DirectoryStore(Path(tmp))
        directory = str(store.path(store.publish(one, {"build": "bench"})))
        del engines, one
        row.update(
            serve(
                directory, demands, queries, readers, stream, rounds, memory_workers, memory_modes
            )
        )
    row["load"].append(round(os.getloadavg()[0], 1))
    return row


def serve(
    directory: str,
    demands: list[str],
    queries: list[str],
    readers: int,
    stream: int,
    rounds: int,
    memory_workers: int,
    memory_modes: tuple[str, ...] = ("spawned",),
) -> dict[str, Any]:
    """Memory of readers (copied vs mapped), throughput of 1 vs 2, memory of 1 vs N workers
    (spawned and/or forked from a loaded parent)."""
    row: dict[str, Any] = {}
    if readers:
        for label, mapped in (("copied", False), ("mapped", True)):
            found = _run_readers(directory, mapped, queries, readers)
            for key in ("rss_mb", "pss_mb", "private_mb"):
                row[f"{label}_{key}"] = [m[key] for m in found]
    if rounds:
        row["throughput"] = throughput(directory, demands, stream, rounds)
    if memory_workers:
        for mode in memory_modes:
            key = "memory" if mode == "spawned" else f"memory_{mode}"
            row[key] = memory_of(directory, queries, memory_workers, mode)
    return row


def _cell(values: list[Any]) -> str:
    return " / ".join(map(str, values))


def print_tables(rows: list[dict[str, Any]]) -> None:
    """The Markdown tables of the measured rows."""
    if any("copied_rss_mb" in r for r in rows):
        print("| docs | build 1 proc s | build 2 procs s | index | RSS MB | PSS MB | private MB |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            for label in ("copied", "mapped"):
                if label + "_rss_mb" in r:
                    print(
                        f"| {r['docs']:,} | {r.get('build_1p_s', '–')} | "
                        f"{r.get('build_2p_s', '–')} | {label} | "
                        f"{_cell(r[label + '_rss_mb'])} | {_cell(r[label + '_pss_mb'])} | "
                        f"{_cell(r[label + '_private_mb'])} |"
                    )
        print()
    if any("throughput" in r for r in rows):
        print(
            "| docs | 1 worker qps (rounds) | 2 workers qps (rounds) | 2 ÷ 1 (median) "
            "| cores used, 1 worker | cores used, 2 workers | 2 ÷ 1 per core used | load |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for r in rows:
            if "throughput" in r:
                t = r["throughput"]
                print(
                    f"| {r['docs']:,} | {_cell(t['qps_1'])} | {_cell(t['qps_2'])} | "
                    f"{t['ratio']}× | {_cell(t['cores_1'])} | {_cell(t['cores_2'])} | "
                    f"{t['per_core_ratio']}× | {_cell(r['load'])} |"
                )
        print()
    memory = [(r, r[k]) for r in rows for k in MEMORY_KEYS if k in r]
    if memory:
        print(
            "| docs | workers | 1 worker RSS / PSS / private MB | N | N workers RSS MB | PSS MB "
            "| private MB | parent PSS MB | total PSS MB | ÷ 1 worker RSS |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r, m in memory:
            print(memory_line(r["docs"], m))


MEMORY_KEYS = ("memory", "memory_forked")


def memory_line(docs: int, m: dict[str, Any]) -> str:
    """One row of the memory table."""
    one = m["one"]
    parent = m.get("parent")
    return (
        f"| {docs:,} | {m.get('mode', 'spawned')} | "
        f"{one['rss_mb']} / {one['pss_mb']} / {one['private_mb']} | "
        f"{m['workers']} | {_cell(m['rss_mb'])} | {_cell(m['pss_mb'])} | "
        f"{_cell(m['private_mb'])} | {parent['pss_mb'] if parent else '–'} | "
        f"{m['total_pss_mb']:,} | {m['ratio']}× |"
    )


def parse_modes(text: str) -> tuple[str, ...]:
    """``spawned,forked`` → the modes, checked (SystemExit naming a wrong one)."""
    modes = tuple(m.strip() for m in text.split(",") if m.strip())
    wrong = [m for m in modes if m not in ("spawned", "forked")]
    if wrong or not modes:
        raise SystemExit(f"--memory-modes: spawned and/or forked, not {', '.join(wrong) or text!r}")
    return modes


def main(argv: list[str] | None = None) -> int:
    """Measure every size and print Markdown tables (rows also as JSON on stderr)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="2000,30000")
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--no-builds", action="store_true", help="one build, default processes")
    parser.add_argument("--stream", type=int, default=300, help="queries per throughput round")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds (0: skip)")
    parser.add_argument("--memory-workers", type=int, default=4, help="0: skip")
    parser.add_argument(
        "--memory-modes",
        default="spawned",
        help="how the memory workers start: spawned, forked, or spawned,forked",
    )
    parser.add_argument(
        "--index", type=Path, default=None, help="an index written by Engine.save (no build)"
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    modes = parse_modes(args.memory_modes)
    rows = []
    if args.index is not None:
        from silian.matching.engine import Engine

        demands = demand_queries(args.data)
        size = len(Engine.load(args.index))
        row: dict[str, Any] = {"docs": size, "load": [round(os.getloadavg()[0], 1)]}
        row.update(
            serve(
                str(args.index),
                demands,
                demands[: args.queries],
                args.readers,
                args.stream,
                args.rounds,
                args.memory_workers,
                modes,
            )
        )
        row["load"].append(round(os.getloadavg()[0], 1))
        print(json.dumps(row), file=sys.stderr, flush=True)
        rows.append(row)
    else:
        for size in [int(s) for s in args.sizes.split(",")]:
            row = measure(
                size,
                args.data,
                args.readers,
                args.queries,
                builds=not args.no_builds,
                stream=args.stream,
                rounds=args.rounds,
                memory_workers=args.memory_workers,
                memory_modes=modes,
            )
            print(json.dumps(row), file=sys.stderr, flush=True)
            rows.append(row)
    print_tables(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
