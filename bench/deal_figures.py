"""The demo city's deal figures (issue 8): demand lists published → signed and their value, deals
per stage and channel, contracts, and each broker account's results, as `silian demo load`
leaves them — the demo loaded into a fresh SQLite file, then the engine's suggestions queued to
brokers exactly as the command does — computed by the one figures service
(`silian.brokerage.figures`). Prints the paragraph quoted in docs/deals.md.

Usage: .venv/bin/python -m bench.deal_figures [--database URL] [--no-queue]
(``--database`` reads an existing database instead of loading a fresh one.)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

import silian.models  # noqa: F401  (every mapper)
from silian.accounts.models import User
from silian.brokerage.choices import DEAL_CHANNELS
from silian.brokerage.figures import Figures, figures
from silian.brokerage.models import Broker, Match
from silian.config import Settings
from silian.core.db import get_engine, session_factory
from silian.core.migrate import upgrade
from silian.demo.loader import load_demo


def _wan(value: Decimal) -> str:
    return f"{value / 10_000:,.0f}万元"


def paragraph(
    f: Figures, broker: Broker | None, mine: Figures | None, waiting: int, queued: int | None
) -> str:
    """The figures as the Markdown paragraph of docs/deals.md."""
    stages = ", ".join(f"{s} {n}" for s, n in f.deals_by_stage.items() if n)
    channels = "; ".join(
        f"{DEAL_CHANNELS.label(c)} {n} ({f.signed_by_channel.get(c, 0)} signed)"
        for c, n in f.deals_by_channel.items()
        if n
    )
    deals = sum(f.deals_by_stage.values())
    text = (
        f"{f.lists_published} demand lists published, {f.lists_in_bidding} in bidding, "
        f"{f.lists_awarded} awarded and {f.lists_signed} signed for "
        f"{_wan(f.lists_signed_value)}; {deals} deals ({stages}) across "
        f"{sum(1 for n in f.deals_by_channel.values() if n)} channels — {channels}; "
        f"{f.contract_count} contracts worth {_wan(f.contract_value)}"
    )
    if broker is not None and mine is not None and mine.brokers:
        r = mine.brokers[0]
        conversion = f"{r.conversion:.1%}" if r.conversion is not None else "—"
        days = (
            f"a median of {r.median_days_to_signature:.0f} days from suggestion to signature"
            if r.median_days_to_signature is not None
            else "no signature yet"
        )
        text += (
            f"; the demo broker account ({broker.name}) converts {r.signed_deals} of {r.deals} "
            f"deals ({conversion}, {_wan(r.contract_value)}, {days}) and has "
            f"{r.active_deals} active deals and {waiting} suggestions waiting in its queue"
        )
    if queued is not None:
        text += f"; {queued} engine suggestions queued to brokers after loading"
    return text + "."


def main() -> None:
    """Load (or read) the demo city and print its deal figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", help="read this database instead of loading a fresh one")
    parser.add_argument("--no-queue", action="store_true", help="skip the engine's suggestions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'demo.db'}"
        queued: int | None = None
        if not args.database:
            started = time.perf_counter()
            upgrade(url)
            load_demo(url)
            print(f"demo loaded in {time.perf_counter() - started:.0f} s")
            if not args.no_queue:
                from silian.matching.jobs import queue_published_demands

                settings = Settings(home=Path(tmp) / "home", database_url=url, secret_key="x")
                started = time.perf_counter()
                queued = queue_published_demands(settings)
                print(f"suggestions queued in {time.perf_counter() - started:.0f} s")
        with session_factory(url)() as session:
            city = figures(session)
            broker = session.scalar(
                select(Broker)
                .join(User, User.id == Broker.user_id)
                .where(User.username == "broker")
            )
            mine = figures(session, broker.id) if broker else None
            waiting = session.scalar(
                select(func.count())
                .select_from(Match)
                .where(Match.broker_id == (broker.id if broker else None))
                .where(Match.status == "suggested")
            )
            print(paragraph(city, broker, mine, int(waiting or 0), queued))
        get_engine(url).dispose()


if __name__ == "__main__":
    main()
