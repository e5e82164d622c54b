"""Demo city load time on SQLite and PostgreSQL: a first load into an empty database, then a reload.

Each backend gets a fresh, migrated database (a temporary SQLite file; a PostgreSQL database
created for the run and dropped afterwards). The reload shows the cost of the idempotence check.
Wall time depends on what else the machine runs; the CPU time of this process (the loader's own
work, without the database server's) is the steadier figure.

Usage: .venv/bin/python -m bench.demo [--backends sqlite,postgresql] [--pg-admin URL]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from silian.core.db import get_engine
from silian.core.migrate import upgrade
from silian.demo.loader import load_demo

PG_ADMIN = os.environ.get("SILIAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


Timing = tuple[float, float, float, float, dict[str, int]]


def _timed(url: str) -> Timing:
    """Wall and this process's CPU seconds of a first load and of a reload."""
    wall, cpu = time.perf_counter(), time.process_time()
    report = load_demo(url)
    first = (time.perf_counter() - wall, time.process_time() - cpu)
    wall, cpu = time.perf_counter(), time.process_time()
    again = load_demo(url)
    second = (time.perf_counter() - wall, time.process_time() - cpu)
    assert sum(again.added.values()) == 0, "reload added records"
    return first[0], first[1], second[0], second[1], report.totals


def run_sqlite() -> Timing:
    """Load into a fresh SQLite file."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        upgrade(url)
        try:
            return _timed(url)
        finally:
            get_engine(url).dispose()


def run_postgresql(admin_url: str) -> Timing:
    """Load into a PostgreSQL database created for this run."""
    name = f"silian_bench_demo_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        return _timed(url)
    finally:
        get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    """Print load and reload times per backend, and the record counts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-admin", default=PG_ADMIN)
    args = parser.parse_args()
    totals: dict[str, int] = {}
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        if backend == "sqlite":
            timing = run_sqlite()
        elif backend == "postgresql":
            timing = run_postgresql(args.pg_admin)
        else:
            raise SystemExit(f"unknown backend: {backend}")
        first, first_cpu, second, second_cpu, totals = timing
        print(
            f"{backend:<11} first load {first:6.2f} s (CPU {first_cpu:5.2f} s)   "
            f"reload {second:6.2f} s (CPU {second_cpu:5.2f} s)"
        )
    for key, value in totals.items():
        print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
