"""Bounded load test: starts its own server on 127.0.0.1 and drives a realistic mix of clients.

Usage (PostgreSQL with the demo city loaded, see docs/reliability.md):

    python -m bench.load --database-url postgresql://postgres@127.0.0.1:5432/silian_load \\
        --clients 10 50 --duration 60 --requests 20000

Each client signs in as one of the demo users (page session and API token), then repeats a
weighted mix — browse lists, search, detail pages, suggestion panels (推荐匹配), free-text
``POST /api/v1/match``, creates and edits of demands — until the duration or the request budget
of the level runs out. Prints throughput, p50/p95/p99 per kind and every error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

DEMO_PASSWORD = "silian-demo"
DEFAULT_USERS = ("enterprise", "enterprise2", "office", "broker", "university", "expert")
CREATORS = {"enterprise", "enterprise2"}

# Share of each kind of request in the mix (a visitor mostly reads).
MIX = {
    "browse": 30,
    "search": 15,
    "detail": 20,
    "suggestions": 10,
    "match": 10,
    "create": 7,
    "edit": 8,
}
WORDS = (
    "海洋",
    "芯片",
    "新能源汽车",
    "传感器",
    "生物医药",
    "新材料",
    "智能家电",
    "纺织",
    "机器人",
    "检测",
    "虚拟现实",
    "储能",
)
TEXTS = (
    "船舶动力系统的故障诊断与预测性维护",
    "高性能锂电池正极材料的低成本制备工艺",
    "面向智能家电的低功耗语音识别芯片",
    "海水淡化膜材料抗污染改性",
    "纺织印染废水深度处理与回用",
    "工业机器人视觉引导抓取与质量检测",
    "医用高分子材料的生物相容性评价",
    "虚拟现实头显的光学模组设计",
)
LISTS = (
    "/demands",
    "/achievements",
    "/talent-needs",
    "/organizations",
    "/api/v1/demands",
    "/api/v1/achievements",
)


@dataclass
class Sample:
    """One request (or one read-modify-write for edits): kind, seconds, error if any."""

    kind: str
    seconds: float
    error: str = ""


@dataclass
class Level:
    """Results of one concurrency level."""

    clients: int
    seconds: float = 0.0
    samples: list[Sample] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Throughput, percentiles per kind and errors, as plain data."""
        kinds: dict[str, Any] = {}
        by_kind: dict[str, list[Sample]] = defaultdict(list)
        for sample in self.samples:
            by_kind[sample.kind].append(sample)
        for kind, samples in sorted(by_kind.items()):
            times = sorted(s.seconds for s in samples)
            kinds[kind] = {
                "requests": len(samples),
                "p50_ms": round(_percentile(times, 50) * 1000, 1),
                "p95_ms": round(_percentile(times, 95) * 1000, 1),
                "p99_ms": round(_percentile(times, 99) * 1000, 1),
                "max_ms": round(times[-1] * 1000, 1),
                "errors": sum(1 for s in samples if s.error),
            }
        errors = Counter(f"{s.kind}: {s.error}" for s in self.samples if s.error)
        return {
            "clients": self.clients,
            "seconds": round(self.seconds, 2),
            "requests": len(self.samples),
            "throughput_rps": round(len(self.samples) / self.seconds, 1) if self.seconds else 0.0,
            "errors": sum(errors.values()),
            "error_kinds": dict(errors.most_common()),
            "kinds": kinds,
        }


def _percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    # Nearest rank: the smallest value with at least pct % of the values at or below it.
    rank = max(0, min(len(sorted_values) - 1, math.ceil(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[rank]


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """uvicorn serving the app on a free port of 127.0.0.1 with the given database."""

    def __init__(self, database_url: str, home: Path, workers: int = 1) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, SILIAN_DATABASE_URL=database_url, SILIAN_HOME=str(home))
        home.mkdir(parents=True, exist_ok=True)
        self.log = (home / "load-server.log").open("w")
        cmd = [sys.executable, "-m", "uvicorn", "silian.web.main:app", "--host", "127.0.0.1"]
        cmd += ["--port", str(self.port), "--workers", str(workers), "--no-access-log"]
        self.process = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        """Process id of the server (for py-spy)."""
        return self.process.pid

    def wait_ready(self, timeout: float = 60) -> None:
        """Block until /healthz answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not become ready")

    def stop(self) -> None:
        """Terminate the server (and its workers)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


# --- one client ----------------------------------------------------------------------------


class Client:
    """One simulated user with a page session and an API token."""

    def __init__(self, base: str, username: str, rng: random.Random, ids: dict[str, list[int]]):
        self.username = username
        self.rng = rng
        self.ids = ids
        self.http = httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=False)
        self.api: dict[str, str] = {}
        self.mine: list[int] = []

    async def sign_in(self, password: str) -> None:
        """Sign in through the login form and the OAuth2 token endpoint."""
        await self.http.get("/login", timeout=600)
        token = self.http.cookies.get("silian_csrf") or ""
        page = await self.http.post(
            "/login",
            data={"username": self.username, "password": password, "csrf_token": token},
            timeout=600,
        )
        if page.status_code != 303:
            raise RuntimeError(f"login as {self.username}: {page.status_code}")
        api = await self.http.post(
            "/api/v1/auth/token",
            data={"username": self.username, "password": password},
            timeout=600,
        )
        api.raise_for_status()
        self.api = {"Authorization": f"Bearer {api.json()['access_token']}"}

    def pick_kind(self) -> str:
        """Next kind of request by the mix; readers never create or edit."""
        kinds, weights = zip(*MIX.items(), strict=True)
        kind = self.rng.choices(kinds, weights)[0]
        if kind in ("create", "edit") and self.username not in CREATORS:
            return "browse"
        return kind

    async def run_one(self, kind: str) -> Sample:
        """Issue one request of kind and time it."""
        action: Callable[[], Awaitable[str]] = getattr(self, f"_{kind}")
        started = time.perf_counter()
        try:
            error = await action()
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        return Sample(kind, time.perf_counter() - started, error)

    @staticmethod
    def _check(response: httpx.Response, *ok: int) -> str:
        return "" if response.status_code in (ok or (200,)) else f"HTTP {response.status_code}"

    async def _browse(self) -> str:
        path = self.rng.choice(LISTS)
        return self._check(await self.http.get(path, params={"page": self.rng.randint(1, 5)}))

    async def _search(self) -> str:
        path = self.rng.choice(LISTS)
        return self._check(await self.http.get(path, params={"q": self.rng.choice(WORDS)}))

    async def _detail(self) -> str:
        kind = self.rng.choice(("demands", "achievements"))
        item = self.rng.choice(self.ids[kind])
        return self._check(await self.http.get(f"/{kind}/{item}"))

    async def _suggestions(self) -> str:
        kind = self.rng.choice(("demands", "achievements"))
        item = self.rng.choice(self.ids[kind])
        return self._check(await self.http.get(f"/{kind}/{item}/matches"))

    async def _match(self) -> str:
        body = {
            "text": self.rng.choice(TEXTS),
            "kind": self.rng.choice(("achievement", "demand", "talent")),
        }
        return self._check(await self.http.post("/api/v1/match", json=body, headers=self.api))

    def _demand_body(self, n: int) -> dict[str, Any]:
        word = self.rng.choice(WORDS)
        return {
            "title": f"压测需求{n}：{word}相关技术攻关",
            "problem": f"我们需要在{word}方向解决一项关键技术问题，{self.rng.choice(TEXTS)}。",
            "keywords": [word, "压测"],
            "budget": str(self.rng.randint(10, 500) * 10000),
            "wanted_trl": self.rng.randint(3, 8),
        }

    async def _create(self) -> str:
        body = self._demand_body(self.rng.randint(1, 10**6))
        response = await self.http.post("/api/v1/demands", json=body, headers=self.api)
        if response.status_code in (200, 201):
            self.mine.append(int(response.json()["id"]))
        return self._check(response, 200, 201)

    async def _edit(self) -> str:
        if not self.mine:
            return await self._create()
        item = self.rng.choice(self.mine)
        current = await self.http.get(f"/api/v1/demands/{item}", headers=self.api)
        if current.status_code != 200:
            return self._check(current)
        headers = dict(self.api)
        if "etag" in current.headers:  # optimistic concurrency, when the server offers it
            headers["If-Match"] = current.headers["etag"]
        body = self._demand_body(item)
        response = await self.http.put(f"/api/v1/demands/{item}", json=body, headers=headers)
        return self._check(response)

    async def close(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()


# --- a level -------------------------------------------------------------------------------


async def _ids(base: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for kind in ("demands", "achievements"):
            response = await http.get(f"/api/v1/{kind}", params={"per_page": 100})
            response.raise_for_status()
            out[kind] = [int(item["id"]) for item in response.json()["items"]]
            if not out[kind]:
                raise RuntimeError(f"no published {kind}: load the demo city first")
    return out


async def warm_up(base: str) -> float:
    """Build or load the matching index before timing anything; returns seconds taken."""
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=900) as http:
        response = await http.post("/api/v1/match", json={"text": TEXTS[0], "kind": "demand"})
        if response.status_code != 401:  # anonymous callers may be refused; the index is built
            response.raise_for_status()
        ids = await _ids(base)
        (await http.get(f"/demands/{ids['demands'][0]}/matches")).raise_for_status()
    return time.perf_counter() - started


async def run_level(
    base: str,
    clients: int,
    duration: float,
    budget: int,
    users: list[str],
    password: str,
    seed: int,
    on_start: Callable[[], None] | None = None,
) -> Level:
    """Run clients concurrently until duration seconds pass or budget requests are done."""
    ids = await _ids(base)
    people = [
        Client(base, users[i % len(users)], random.Random(seed * 1000 + i), ids)
        for i in range(clients)
    ]
    # Sign-ins are not timed; a few at a time, as argon2 is meant to be slow.
    gate = asyncio.Semaphore(4)

    async def sign_in(person: Client) -> None:
        async with gate:
            await person.sign_in(password)

    await asyncio.gather(*(sign_in(p) for p in people))
    if on_start is not None:  # e.g. start the profiler once sign-ins are over
        on_start()
    level = Level(clients)
    issued = 0
    deadline = time.perf_counter() + duration

    async def loop(person: Client) -> None:
        nonlocal issued
        while time.perf_counter() < deadline and issued < budget:
            issued += 1
            level.samples.append(await person.run_one(person.pick_kind()))

    started = time.perf_counter()
    try:
        await asyncio.gather(*(loop(p) for p in people))
    finally:
        level.seconds = time.perf_counter() - started
        await asyncio.gather(*(p.close() for p in people))
    return level


def print_level(summary: dict[str, Any]) -> None:
    """Print one level's figures as a table."""
    print(
        f"\n{summary['clients']} clients: {summary['requests']} requests in "
        f"{summary['seconds']} s = {summary['throughput_rps']} req/s, {summary['errors']} errors"
    )
    print(f"{'kind':<12}{'n':>7}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}{'err':>6}")
    for kind, row in summary["kinds"].items():
        print(
            f"{kind:<12}{row['requests']:>7}{row['p50_ms']:>10}{row['p95_ms']:>10}"
            f"{row['p99_ms']:>10}{row['max_ms']:>10}{row['errors']:>6}"
        )
    for error, count in summary["error_kinds"].items():
        print(f"  error {error} × {count}")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start the server, warm it up, run every level; returns the figures."""
    home = Path(args.home or tempfile.mkdtemp(prefix="silian-load-"))
    server = Server(args.database_url, home, args.server_workers)
    try:
        server.wait_ready()
        print(f"server pid {server.pid} on {server.url} (log: {home / 'load-server.log'})")
        warm = asyncio.run(warm_up(server.url))
        print(f"warm-up (matching index loaded or built): {warm:.1f} s")
        users = args.users.split(",")
        levels = []
        for clients in args.clients:
            spies: list[subprocess.Popen[bytes]] = []

            def profile(clients: int = clients, spies: list[Any] = spies) -> None:
                spy = _start_profile(args, server.pid, clients)
                if spy is not None:
                    spies.append(spy)

            level = asyncio.run(
                run_level(
                    server.url,
                    clients,
                    args.duration,
                    args.requests,
                    users,
                    args.password,
                    args.seed,
                    profile,
                )
            )
            for spy in spies:
                spy.wait()
            summary = level.summary()
            print_level(summary)
            levels.append(summary)
        return {
            "warm_up_s": round(warm, 1),
            "server_workers": args.server_workers,
            "levels": levels,
        }
    finally:
        server.stop()


def _start_profile(
    args: argparse.Namespace, pid: int, clients: int
) -> subprocess.Popen[bytes] | None:
    # py-spy samples the server (all threads, native frames off) while the level runs.
    if not args.py_spy:
        return None
    out = args.py_spy.with_name(f"{args.py_spy.stem}-{clients}{args.py_spy.suffix or '.txt'}")
    beside = Path(sys.executable).with_name("py-spy")
    cmd = [
        str(beside) if beside.exists() else "py-spy",
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(int(args.duration)),
    ]
    cmd += ["--format", "raw", "--output", str(out), "--subprocesses", "--nonblocking"]
    print(f"profiling the server with py-spy into {out}")
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("SILIAN_DATABASE_URL"),
        required="SILIAN_DATABASE_URL" not in os.environ,
        help="database with the demo city loaded (silian demo load)",
    )
    parser.add_argument("--home", help="SILIAN_HOME for the server (keeps its index between runs)")
    parser.add_argument("--clients", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--duration", type=float, default=60, help="seconds per level at most")
    parser.add_argument("--requests", type=int, default=20000, help="requests per level at most")
    parser.add_argument("--users", default=",".join(DEFAULT_USERS))
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--server-workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--py-spy",
        type=Path,
        help="profile the server with py-spy during each level (collapsed stacks, FILE-N.txt)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Entry point; returns the figures (also written as JSON with --json)."""
    args = parse_args(argv)
    figures = run(args)
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    return figures


if __name__ == "__main__":
    main()
