"""HTTP throughput of `silian serve` with 1 worker, then 2 (forked from a loaded parent).

Starts the real server on 127.0.0.1 (a free port) against a temporary SQLite file holding the
demo city (``silian demo load``, ≈ 1,400 records; or ``--database-url``) with its matching
index published (by the demo load, or ``silian index rebuild``), warms it up, then sends
``--requests`` GETs of demands' suggestion lists (``/api/v1/demands/{id}/matches``: a database
read and an engine query each) from ``--concurrency`` client threads, each request on a new
connection (so the kernel hands them to whichever worker accepts), for at most ``--duration``
seconds per level. Prints requests, errors, queries per second, p50/p95 latency, the server's
memory (PSS of its processes, read from /proc) and the machine load per level, and the ratio
of the last level's queries per second to the first's. Every loop is bounded in count and time
and talks to 127.0.0.1 only.

Usage: .venv/bin/python -m bench.serving [--workers 1,2] [--requests 400] [--concurrency 8]
    [--duration 60] [--database-url URL] [--home DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WARM_REQUESTS = 30
READY_TIMEOUT = 300.0


@dataclass
class Level:
    """What one level (a number of workers) measured."""

    workers: int
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)
    # PSS in MB of each of the server's processes (the parent first), after the stream.
    pss_mb: list[int] = field(default_factory=list)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of values (0.0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1))
    return ordered[rank]


def summarise(level: Level) -> dict[str, Any]:
    """The figures of one level: requests answered, errors, qps, p50/p95 in ms, load."""
    done = len(level.latencies)
    return {
        "workers": level.workers,
        "requests": done,
        "errors": sum(level.errors.values()),
        "error_kinds": dict(level.errors),
        "seconds": round(level.elapsed, 2),
        "qps": round(done / level.elapsed, 1) if level.elapsed > 0 else 0.0,
        "p50_ms": round(percentile(level.latencies, 50) * 1000, 1),
        "p95_ms": round(percentile(level.latencies, 95) * 1000, 1),
        "load": list(level.load),
        "server_pss_mb": sum(level.pss_mb),
        "processes": len(level.pss_mb),
    }


def ratio(rows: list[dict[str, Any]]) -> float | None:
    """Queries per second of the last level over the first's (None without two levels)."""
    if len(rows) < 2 or not rows[0]["qps"]:
        return None
    return round(rows[-1]["qps"] / rows[0]["qps"], 2)


def table(rows: list[dict[str, Any]]) -> str:
    """The Markdown table of the levels, and the ratio line."""
    lines = [
        "| workers | requests | errors | seconds | queries/s | p50 ms | p95 ms "
        "| server PSS MB (processes) | load (start → end) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['workers']} | {r['requests']} | {r['errors']} | {r['seconds']} | {r['qps']} "
            f"| {r['p50_ms']} | {r['p95_ms']} | {r['server_pss_mb']:,} ({r['processes']}) "
            f"| {r['load'][0]} → {r['load'][1]} |"
        )
    found = ratio(rows)
    if found is not None:
        lines.append("")
        lines.append(f"{rows[-1]['workers']} ÷ {rows[0]['workers']} workers: {found}×")
    return "\n".join(lines)


def parse_workers(text: str) -> list[int]:
    """``1,2`` → [1, 2] (SystemExit naming a bad value)."""
    try:
        found = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise SystemExit(f"--workers: numbers separated by commas, not {text!r}") from None
    if not found or any(n < 1 for n in found):
        raise SystemExit(f"--workers: each at least 1, not {text!r}")
    return found


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (bounded: requests, duration and concurrency must be positive)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2", help="levels, e.g. 1,2")
    parser.add_argument("--requests", type=int, default=400, help="requests per level at most")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per level at most")
    parser.add_argument("--database-url", help="an existing database (default: demo city)")
    parser.add_argument("--home", type=Path, help="SILIAN_HOME (default: a temporary one)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    args.levels = parse_workers(args.workers)
    for name in ("requests", "concurrency", "duration"):
        if getattr(args, name) <= 0:
            raise SystemExit(f"--{name}: must be positive")
    return args


# --- the server and the clients --------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(port: int, path: str, timeout: float = 60) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _silian(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "silian", *args], env=env, check=True, timeout=1800)


def prepare(args: argparse.Namespace, home: Path) -> tuple[dict[str, str], list[int]]:
    """The server's environment (database with records, index published) and demand ids."""
    url = args.database_url or f"sqlite:///{home / 'serving.db'}"
    env = dict(os.environ, SILIAN_DATABASE_URL=url, SILIAN_HOME=str(home), SILIAN_SCHEDULER="0")
    env.pop("SILIAN_WARM_MATCHING", None)
    if args.database_url:
        _silian(env, "index", "rebuild")
    else:  # loading the demo city also builds and publishes the index (brokers' queues)
        _silian(env, "demo", "load")
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        ids = [
            int(i)
            for i in conn.scalars(
                text("SELECT id FROM demands WHERE status = 'published' ORDER BY id LIMIT 100")
            )
        ]
    engine.dispose()
    if not ids:
        raise SystemExit("no published demand in the database")
    return env, ids


def run_level(
    env: dict[str, str], workers: int, ids: list[int], args: argparse.Namespace, log: Path
) -> Level:
    """Start the server with ``workers``, warm it, send the bounded stream, stop it."""
    port = free_port()
    command = [sys.executable, "-m", "silian", "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    with log.open("ab") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_ready(server, port)
        # Each worker maps the index in the background at start: warm every one.
        for i in range(WARM_REQUESTS * workers):
            _get(port, f"/api/v1/demands/{ids[i % len(ids)]}/matches")
        level = Level(workers)
        level.load = (round(os.getloadavg()[0], 2), 0.0)
        _stream(port, ids, args, level)
        level.load = (level.load[0], round(os.getloadavg()[0], 2))
        level.pss_mb = [pss_mb(pid) for pid in family(server.pid)]
        return level
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def family(pid: int) -> list[int]:
    """pid and every process descended from it (Linux /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name may hold spaces: the parent pid follows its closing parenthesis.
            parents[int(stat.parent.name)] = int(stat.read_text().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found = [pid]
    for candidate in found:
        found += [child for child, parent in parents.items() if parent == candidate]
    return found


def pss_mb(pid: int) -> int:
    """A process's proportional set size in MB (0 when it is gone)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return round(int(line.split()[1]) / 1024)
    return 0


def _wait_ready(server: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited with {server.returncode}")
        try:
            if _get(port, "/healthz", timeout=5)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("server did not answer /healthz in time")


def _stream(port: int, ids: list[int], args: argparse.Namespace, level: Level) -> None:
    """``args.requests`` requests from ``args.concurrency`` threads, until the deadline."""
    lock = threading.Lock()
    taken = [0]
    start = time.monotonic()
    deadline = start + args.duration

    def client() -> None:
        while time.monotonic() < deadline:
            with lock:
                i = taken[0]
                taken[0] += 1
            if i >= args.requests:
                return
            began = time.monotonic()
            try:
                status, _ = _get(port, f"/api/v1/demands/{ids[i % len(ids)]}/matches")
                kind = "" if status == 200 else f"HTTP {status}"
            except OSError as exc:
                kind = type(exc).__name__
            with lock:
                if kind:
                    level.errors[kind] = level.errors.get(kind, 0) + 1
                else:
                    level.latencies.append(time.monotonic() - began)

    threads = [threading.Thread(target=client) for _ in range(args.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    level.elapsed = time.monotonic() - start


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Measure every level; prints the table and returns the rows."""
    args = parse_args(argv)
    home = args.home or Path(tempfile.mkdtemp(prefix="silian-serving-"))
    home.mkdir(parents=True, exist_ok=True)
    env, ids = prepare(args, home)
    rows = []
    for workers in args.levels:
        row = summarise(run_level(env, workers, ids, args, home / "server.log"))
        print(json.dumps(row), file=sys.stderr, flush=True)
        rows.append(row)
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return rows


if __name__ == "__main__":
    main()
