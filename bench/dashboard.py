"""Dashboard and chain-map latency on the demo city scaled to 100k achievements and 10k deals.

Usage:

    python -m bench.dashboard                      # temporary SQLite file, removed afterwards
    python -m bench.dashboard --keep /tmp/big.db   # keep the scaled database; rerun with --reuse
    python -m bench.dashboard --database-url postgresql+psycopg://postgres@127.0.0.1:5432/x

Steps, each timed: load the demo city; bulk-insert achievements, contracts and deals copied from
the demo's own rows with dates spread over the last year (one executemany per table, without the
ORM, so no per-row events); recompute the daily figures of every day the rows touch
(`silian figures refresh`); then, signed in as the office, request the dashboard (this year, and
the last quarter per chain) and every chain map (/chains/ID) --requests times each, and print
p50/p95 latency in milliseconds. The target is p95 ≤ 300 ms (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.orm import Session

import silian.models  # noqa: F401  (every mapper)
from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.brokerage.models import Broker, Contract, Deal
from silian.chains.models import IndustryChain
from silian.config import Settings
from silian.core.db import get_engine, session_factory
from silian.core.migrate import upgrade
from silian.demands.models import Demand
from silian.demo.loader import load_demo
from silian.insights import figures, jobs
from silian.insights.models import FigureDay, FigureDirtyDay
from silian.web.app import create_app

DEMO_PASSWORD = "silian-demo"
BATCH = 5000
STAGES = ("recommended", "contacted", "negotiating", "signed", "implemented", "failed")


def _timed(label: str, started: float) -> None:
    print(f"  {label}: {time.perf_counter() - started:.1f} s", flush=True)


def _copies(session: Session, table: Table, count: int, skip: set[str]) -> list[dict[str, Any]]:
    """count rows shaped like the table's existing ones (id and skipped columns left out)."""
    models = [
        {k: v for k, v in row._mapping.items() if k not in skip and k != "id"}
        for row in session.execute(select(table))
    ]
    if not models:
        raise SystemExit(f"{table.name} is empty: load the demo city first")
    return [dict(models[i % len(models)]) for i in range(count)]


def scale(url: str, achievements: int, deals: int, seed: int = 7) -> None:
    """Add achievements, deals and their contracts until the database holds the targets."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    engine = get_engine(url)
    with Session(engine) as session:
        have_a = session.scalar(select(func.count(Achievement.id))) or 0
        have_d = session.scalar(select(func.count(Deal.id))) or 0
        chain_ids = list(session.scalars(select(IndustryChain.id)))
        demand_ids = list(session.scalars(select(Demand.id)))
        broker_ids = list(session.scalars(select(Broker.id)))
        rows = _copies(
            session, Achievement.__table__, max(0, achievements - have_a), {"source_ref"}
        )
    for n, row in enumerate(rows):
        created = now - timedelta(days=rng.uniform(0, 365))
        published = rng.random() < 0.8
        row.update(
            title=f"{row['title']}（扩容{n}）",
            chain_id=rng.choice(chain_ids) if rng.random() < 0.9 else None,
            created_at=created,
            updated_at=created,
            status="published" if published else rng.choice(["draft", "submitted"]),
            published_at=created + timedelta(days=rng.uniform(0, 10)) if published else None,
            source_channel=rng.choice(["self", "university_repository", "roadshow", "broker"]),
            is_sample=True,
        )
    with engine.begin() as conn:
        for i in range(0, len(rows), BATCH):
            conn.execute(insert(Achievement.__table__), rows[i : i + BATCH])
    with Session(engine) as session:
        ach_ids = list(
            session.scalars(select(Achievement.id).where(Achievement.status == "published"))
        )
        deal_rows = _copies(session, Deal.__table__, max(0, deals - have_d), set())
    contract_rows: list[dict[str, Any]] = []
    for n, row in enumerate(deal_rows):
        created = now - timedelta(days=rng.uniform(0, 365))
        on_demand = rng.random() < 0.5
        row.update(
            title=f"{row['title']}（扩容{n}）",
            demand_id=rng.choice(demand_ids) if on_demand else None,
            achievement_id=None if on_demand else rng.choice(ach_ids),
            match_id=None,
            broker_id=rng.choice(broker_ids) if broker_ids and rng.random() < 0.8 else None,
            stage=rng.choice(STAGES),
            created_at=created,
            updated_at=created,
            is_sample=True,
        )
    with engine.begin() as conn:
        first = (conn.scalar(select(func.max(Deal.id))) or 0) + 1
        for i in range(0, len(deal_rows), BATCH):
            conn.execute(insert(Deal.__table__), deal_rows[i : i + BATCH])
        new_ids = list(conn.scalars(select(Deal.id).where(Deal.id >= first)))
    with Session(engine) as session:
        contract_model = _copies(session, Contract.__table__, 1, {"registration_no"})[0]
    by_id = dict(zip(new_ids, deal_rows, strict=True))
    for deal_id, deal in by_id.items():
        if deal["stage"] not in ("signed", "implemented"):
            continue
        signed = min(deal["created_at"] + timedelta(days=rng.uniform(5, 60)), now)
        contract_rows.append(
            dict(
                contract_model,
                deal_id=deal_id,
                challenge_id=None,
                title=f"{deal['title']}合同",
                amount=Decimal(rng.randrange(5, 500) * 10000),
                signed_on=figures.city_day(signed),
                seller_id=deal.get("seller_id"),
                buyer_id=deal.get("buyer_id"),
                created_at=signed,
                updated_at=signed,
                is_sample=True,
            )
        )
    with engine.begin() as conn:
        for i in range(0, len(contract_rows), BATCH):
            conn.execute(insert(Contract.__table__), contract_rows[i : i + BATCH])


def _latencies(client: TestClient, urls: list[str], requests: int) -> list[float]:
    for url in urls:  # warm caches (templates, query compilation)
        assert client.get(url).status_code == 200, url
    out = []
    for i in range(requests):
        url = urls[i % len(urls)]
        started = time.perf_counter()
        response = client.get(url)
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return out


def _summary(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"| {name} | {len(values)} | {statistics.median(ordered):.0f} | {p95:.0f} | "
        f"{max(ordered):.0f} |"
    )


def main(argv: list[str] | None = None) -> None:
    """Scale the demo, refresh the figures, print dashboard and chain-map latency."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--keep", default="", help="SQLite file to keep the scaled city in")
    parser.add_argument(
        "--reuse", action="store_true", help="the database is already scaled and refreshed"
    )
    parser.add_argument("--achievements", type=int, default=100_000)
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args(argv)

    home = Path(tempfile.mkdtemp(prefix="silian-bench-dashboard-"))
    path = Path(args.keep) if args.keep else home / "bench.db"
    url = args.database_url or f"sqlite:///{path}"
    try:
        total = time.perf_counter()
        print(f"database: {url}", flush=True)
        if not args.reuse:
            started = time.perf_counter()
            upgrade(url)
            load_demo(url)
            _timed("demo city loaded", started)
            started = time.perf_counter()
            scale(url, args.achievements, args.deals)
            _timed(f"scaled to {args.achievements} achievements, {args.deals} deals", started)
            # Every day recomputed from scratch, from the first record's day.
            started = time.perf_counter()
            factory = session_factory(url)
            with factory() as session, session.begin():
                session.execute(delete(FigureDay))
                session.execute(delete(FigureDirtyDay))
            with factory() as session:
                start = jobs.first_day(session)
            report = jobs.refresh(factory, start)
            _timed(f"figures refreshed ({report.days} days, {report.rows} rows)", started)
        with Session(get_engine(url)) as session:
            counts = {
                "achievements": session.scalar(select(func.count(Achievement.id))),
                "deals": session.scalar(select(func.count(Deal.id))),
                "contracts": session.scalar(select(func.count(Contract.id))),
            }
            chain_ids = list(session.scalars(select(IndustryChain.id).order_by(IndustryChain.id)))
            office = session.scalar(select(User).where(User.username == "office"))
            assert office is not None, "the demo's office account is missing"
        print(f"  rows: {counts}", flush=True)

        settings = Settings(home=home / "home", database_url=url, secret_key="bench-dashboard")
        today = figures.city_today()
        quarter = (today.month - 1) // 3 + 1
        with TestClient(create_app(settings)) as client:
            client.get("/login")
            response = client.post(
                "/login",
                data={
                    "username": "office",
                    "password": DEMO_PASSWORD,
                    "csrf_token": client.cookies.get("silian_csrf"),
                },
                follow_redirects=False,
            )
            assert response.status_code == 303, response.text
            dashboards = ["/dashboard?period=year"] + [
                f"/dashboard?period=quarter&number={quarter}&chain={c}" for c in chain_ids[:4]
            ]
            maps = [f"/chains/{c}" for c in chain_ids]
            dash = _latencies(client, dashboards, args.requests)
            chain = _latencies(client, maps, args.requests)
        print()
        print("| page | requests | p50 ms | p95 ms | max ms |")
        print("|---|---|---|---|---|")
        print(_summary("/dashboard (year; quarter × chain)", dash))
        print(_summary("/chains/ID (every chain)", chain))
        print(f"\ntotal {time.perf_counter() - total:.0f} s", flush=True)
    finally:
        get_engine(url).dispose()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
