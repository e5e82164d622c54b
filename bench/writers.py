"""Concurrent writers through the API: N clients create demands at the same moment.

Serves the app with uvicorn on 127.0.0.1 (one process, as `silian serve` does) over a fresh
database, warms the matching index (so every commit also updates it, as in production), then
starts every writer behind one barrier and prints errors, p50/p95/max latency and throughput.

Usage: .venv/bin/python -m bench.writers [--writers 50] [--rounds 3]
       [--database-url postgresql://postgres@127.0.0.1/bench]   (default: a SQLite file)
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import func, select

from silian.accounts.service import create_user
from silian.config import Settings, _normalise_url
from silian.core.db import session_factory
from silian.core.migrate import upgrade
from silian.demands.models import Demand
from silian.organizations.models import Organization
from silian.web.app import create_app

PASSWORD = "bench-password-1"


@dataclass
class Result:
    """What one round of concurrent creates did."""

    writers: int
    latencies: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0
    rows: int = 0

    def percentile(self, p: float) -> float:
        """Latency percentile in seconds (nearest rank)."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]

    def line(self) -> str:
        """One printable line of figures."""
        return (
            f"writers {self.writers:3d}  errors {len(self.errors):2d}  "
            f"p50 {self.percentile(50) * 1000:6.0f} ms  p95 {self.percentile(95) * 1000:6.0f} ms  "
            f"max {max(self.latencies) * 1000:6.0f} ms  wall {self.wall:5.2f} s  "
            f"{self.writers / self.wall:6.1f} creates/s"
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """The app served by uvicorn in a background thread."""

    def __init__(self, settings: Settings) -> None:
        self.port = _free_port()
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"


def prepare(settings: Settings, warm: bool = True) -> None:
    """Migrate the database, add a poster account, and load the matching index."""
    upgrade(settings.database_url)
    with session_factory(settings.database_url)() as session:
        org = Organization(name="并发测试企业", kind="enterprise")
        session.add(org)
        session.flush()
        create_user(
            session,
            None,
            {
                "username": "writer",
                "password": PASSWORD,
                "role": "enterprise",
                "organization_id": org.id,
            },
        )
        session.commit()
    if warm:
        from silian.matching.service import get_service

        get_service(settings).engine()


def one_round(base_url: str, token: str, writers: int, tag: str) -> Result:
    """Start writers creates at once (one barrier) and time each."""
    result = Result(writers)
    barrier = threading.Barrier(writers)
    headers = {"Authorization": f"Bearer {token}"}

    def write(i: int) -> tuple[float, float, int, str]:
        body = {
            "title": f"并发写入测试需求 {tag}-{i}",
            "problem": "用于测量并发写入的需求描述，至少十个字。",
            "keywords": ["并发", "写入"],
        }
        with httpx.Client(base_url=base_url, timeout=120) as client:
            barrier.wait()
            started = time.perf_counter()
            try:
                response = client.post("/api/v1/demands", json=body, headers=headers)
            except httpx.HTTPError as exc:
                return started, time.perf_counter(), 0, repr(exc)
            error = "" if response.status_code == 201 else response.text[:200]
            return started, time.perf_counter(), response.status_code, error

    with ThreadPoolExecutor(max_workers=writers) as pool:
        outcomes = list(pool.map(write, range(writers)))
    # From the first request sent to the last answer received (client set-up excluded).
    result.wall = max(o[1] for o in outcomes) - min(o[0] for o in outcomes)
    for started, ended, status, error in outcomes:
        result.latencies.append(ended - started)
        result.statuses.append(status)
        if error:
            result.errors.append(f"{status}: {error}")
    return result


def run(settings: Settings, writers: int = 50, rounds: int = 1, warm: bool = True) -> list[Result]:
    """Prepare the database, serve it, and run rounds of writers concurrent creates."""
    prepare(settings, warm)
    results: list[Result] = []
    with Server(settings) as server:
        token = httpx.post(
            server.url + "/api/v1/auth/token", data={"username": "writer", "password": PASSWORD}
        ).json()["access_token"]
        for number in range(rounds):
            results.append(one_round(server.url, token, writers, f"r{number}"))
    with session_factory(settings.database_url)() as session:
        total = session.scalar(select(func.count()).select_from(Demand)) or 0
    for result in results:
        result.rows = total
    return results


def main() -> None:
    """Print the figures of each round and their summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--no-warm", action="store_true", help="do not load the matching index")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="silian-writers-"))
    url = _normalise_url(args.database_url) or f"sqlite:///{home / 'silian.db'}"
    settings = Settings(home=home, database_url=url, secret_key="bench")
    print(f"database: {url.split('@')[-1]}")
    results = run(settings, args.writers, args.rounds, warm=not args.no_warm)
    for result in results:
        print(result.line())
        for error in result.errors[:5]:
            print("   ", error)
    latencies = [x for r in results for x in r.latencies]
    print(
        f"all rounds: {len(latencies)} creates, {sum(len(r.errors) for r in results)} errors, "
        f"p95 {statistics.quantiles(latencies, n=20)[-1] * 1000:.0f} ms, "
        f"rows written {results[-1].rows}"
    )


if __name__ == "__main__":
    main()
