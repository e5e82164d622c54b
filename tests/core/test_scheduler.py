"""Scheduled jobs: daily slots, the lease row (one holder, expiry, retry after a failure) and a
job that runs once however many processes try at once."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from silian.brokerage import service as brokerage
from silian.challenges import service as challenges
from silian.challenges.models import Challenge
from silian.cli import app as cli_app
from silian.config import get_settings
from silian.core import clock
from silian.core.db import session_factory
from silian.core.scheduler import (
    LEASE,
    RETRY_AFTER,
    Job,
    JobLease,
    claim,
    fail,
    finish,
    run_due,
    slot_for,
)
from silian.demands.models import Bid
from silian.notifications.models import Notification
from tests.challenges.helpers import published_demand
from tests.support import Factory

# 2026-12-02 07:30 in the city (UTC+8) is 2026-12-01 23:30 UTC.
BEFORE_EIGHT = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
AFTER_EIGHT = datetime(2026, 12, 2, 0, 30, tzinfo=UTC)


def test_slot_is_the_latest_city_hour_at_or_before_now() -> None:
    assert slot_for(BEFORE_EIGHT, 8) == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert slot_for(AFTER_EIGHT, 8) == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    assert slot_for(datetime(2026, 12, 2, 0, 0, tzinfo=UTC), 8) == datetime(
        2026, 12, 2, 0, 0, tzinfo=UTC
    )
    assert slot_for(AFTER_EIGHT, 2) == datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


def test_one_holder_per_slot_and_a_done_slot_is_not_run_again(db: Session) -> None:
    slot = slot_for(AFTER_EIGHT, 8)
    assert claim(db, "remind", slot, "a", AFTER_EIGHT)
    assert not claim(db, "remind", slot, "b", AFTER_EIGHT)  # held by a
    assert not finish(db, "remind", "b", slot, "b did nothing")  # b never held it
    assert finish(db, "remind", "a", slot, "提醒：3 条")
    later = AFTER_EIGHT + timedelta(hours=3)
    assert not claim(db, "remind", slot, "b", later)  # today's slot is done
    row = db.get(JobLease, "remind")
    db.refresh(row)
    assert row is not None and row.runs == 1 and row.holder is None
    assert row.done_slot == slot and row.last_result == "提醒：3 条"
    tomorrow = slot + timedelta(days=1)
    assert claim(db, "remind", tomorrow, "b", AFTER_EIGHT + timedelta(days=1))


def test_an_expired_lease_is_taken_over_and_a_failure_waits_before_retrying(
    db: Session,
) -> None:
    slot = slot_for(AFTER_EIGHT, 8)
    assert claim(db, "remind", slot, "dead", AFTER_EIGHT)
    assert not claim(db, "remind", slot, "b", AFTER_EIGHT + LEASE - timedelta(seconds=1))
    assert claim(db, "remind", slot, "b", AFTER_EIGHT + LEASE)
    fail(db, "remind", "b", "OperationalError: 数据库忙")
    row = db.get(JobLease, "remind")
    db.refresh(row)
    assert row is not None and row.last_error.startswith("OperationalError")
    assert row.done_slot is None and row.holder is None
    # Retried only after RETRY_AFTER from the failure (the lease now runs to then).
    assert row.leased_until is not None
    assert not claim(db, "remind", slot, "c", row.leased_until - timedelta(seconds=1))
    assert claim(db, "remind", slot, "c", row.leased_until)
    assert RETRY_AFTER < LEASE


def test_a_due_job_runs_once_when_four_workers_try_at_once(db_url: str) -> None:
    factory: sessionmaker[Session] = session_factory(db_url)
    runs: list[str] = []

    def slow_job(_factory: sessionmaker[Session]) -> str:
        runs.append(threading.current_thread().name)
        time.sleep(0.3)  # still running while the others try
        return "done"

    job = Job("slow", "慢任务", 8, slow_job)
    outcomes: list[Any] = []
    barrier = threading.Barrier(4)

    def worker(n: int) -> None:
        barrier.wait()
        outcomes.extend(run_due(factory, [job], now=AFTER_EIGHT, holder=f"worker-{n}"))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(runs) == 1
    assert sorted(o.status for o in outcomes) == ["ran", "skipped", "skipped", "skipped"]
    # A later tick the same day finds the slot done; the next day's runs again.
    assert run_due(factory, [job], now=AFTER_EIGHT + timedelta(hours=5))[0].status == "skipped"
    assert run_due(factory, [job], now=AFTER_EIGHT + timedelta(days=1))[0].status == "ran"
    assert len(runs) == 2


def test_a_failing_job_is_recorded_and_does_not_stop_the_others(db_url: str) -> None:
    factory: sessionmaker[Session] = session_factory(db_url)

    def broken(_factory: sessionmaker[Session]) -> str:
        raise RuntimeError("上游不可用")

    ok = Job("ok", "正常", 8, lambda _f: "好")
    outcomes = run_due(factory, [Job("broken", "坏", 8, broken), ok], now=AFTER_EIGHT)
    assert [(o.job, o.status) for o in outcomes] == [("broken", "failed"), ("ok", "ran")]
    with factory() as session:
        row = session.get(JobLease, "broken")
        assert row is not None and "上游不可用" in row.last_error and row.runs == 0


def test_jobs_run_due_sends_the_reminders_once(
    db_url: str, db: Session, factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = clock.today()
    monkeypatch.setattr(challenges, "today", lambda: today)
    monkeypatch.setattr(brokerage, "today", lambda: today)
    poster, bidder = factory.user("enterprise"), factory.user("university")
    assert poster.organization is not None
    demand = published_demand(db, poster.organization)
    item = Challenge(
        demand_id=demand.id,
        status="bidding",
        bidding_deadline=today + timedelta(days=1),
        criteria=[],
    )
    db.add(item)
    db.add(
        Bid(
            demand_id=demand.id,
            created_by_id=bidder.id,
            team_name="团队",
            proposal="方案",
            live_key=f"user:{bidder.id}",
        )
    )
    db.commit()
    env = {
        "SILIAN_DATABASE_URL": db_url,
        "SILIAN_HOME": str(tmp_path / "home"),
        # The slot of hour 0 has always passed: the reminders are due now.
        "SILIAN_REMIND_HOUR": "0",
        "SILIAN_FIGURES_HOUR": "0",
    }
    runner = CliRunner()
    get_settings.cache_clear()
    try:
        first = runner.invoke(cli_app, ["jobs", "run-due"], env=env)
        assert first.exit_code == 0, first.output
        assert "remind：已运行：提醒：揭榜即将截止 1 条" in first.output
        second = runner.invoke(cli_app, ["jobs", "run-due"], env=env)
        assert second.exit_code == 0, second.output
        assert "remind：未到时间或正由其他进程运行" in second.output
        status = runner.invoke(cli_app, ["jobs", "status"], env=env)
        assert "累计 1 次" in status.output and "揭榜即将截止 1 条" in status.output
    finally:
        get_settings.cache_clear()
    titles = list(db.scalars(select(Notification.title).where(Notification.user_id == bidder.id)))
    assert len(titles) == 1 and "揭榜即将截止" in titles[0]


def test_hours_out_of_range_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from silian.config import load_settings

    monkeypatch.setenv("SILIAN_REMIND_HOUR", "24")
    with pytest.raises(ValueError, match="SILIAN_REMIND_HOUR"):
        load_settings()
    monkeypatch.setenv("SILIAN_REMIND_HOUR", "7")
    monkeypatch.setenv("SILIAN_SCHEDULER", "0")
    settings = load_settings()
    assert settings.remind_hour == 7 and not settings.scheduler


def test_the_serve_thread_runs_a_due_job_once_and_stops(db_url: str, tmp_path: Path) -> None:
    from silian.cli import start_scheduler
    from silian.config import Settings
    from silian.core.scheduler import Scheduler

    settings = Settings(home=tmp_path, database_url=db_url, secret_key="x", scheduler=False)
    assert start_scheduler(settings) is None  # SILIAN_SCHEDULER=0: no thread
    ran = threading.Event()
    runs: list[int] = []

    def job(_factory: sessionmaker[Session]) -> str:
        runs.append(1)
        ran.set()
        return "ok"

    # Hour 0 of the city clock has always passed today: due at the first tick.
    scheduler = Scheduler(session_factory(db_url), [Job("tick", "测试", 0, job)], tick=0.05)
    scheduler.start()
    try:
        assert ran.wait(20)
        time.sleep(0.3)  # several more ticks: the slot is done, nothing runs again
    finally:
        scheduler.stop()
    assert runs == [1]
