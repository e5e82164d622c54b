"""Scheduled jobs on one machine: a lease row per job, so a job runs once per slot however many
processes try (several `silian serve` workers, a cron `silian jobs run-due`), and a background
thread that runs what is due.

A job runs daily at an hour of the city's clock. Its *slot* is the latest such instant at or
before now; the job is due while its lease row has not recorded that slot as done. Claiming is
one conditional UPDATE (``WHERE nobody holds an unexpired lease AND the slot is not done``):
SQLite serialises writers and PostgreSQL re-checks the condition on the row it locks, so of two
processes claiming at once exactly one gets rowcount 1. A process that dies mid-run leaves its
lease to expire (``LEASE``), after which another process takes the job over. A failed run
records its error and is retried after ``RETRY_AFTER``, not at every tick.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone

from sqlalchemy import String, Text, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from silian.core.clock import CITY_TZ
from silian.core.db import Base, utcnow
from silian.core.transactions import commit

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=30)
RETRY_AFTER = timedelta(minutes=15)
TICK_SECONDS = 60.0


class JobLease(Base):
    """One scheduled job's lease and last run: who holds it, until when, which slot is done."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(120), nullable=True)
    leased_until: Mapped[datetime | None] = mapped_column(nullable=True)
    done_slot: Mapped[datetime | None] = mapped_column(nullable=True)
    last_started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_result: Mapped[str] = mapped_column(Text, nullable=False, default="")
    last_error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    runs: Mapped[int] = mapped_column(nullable=False, default=0)


@dataclass(frozen=True)
class Job:
    """A daily job: its name (the lease key), a Chinese label, the city hour it runs at, and
    what it does (given a session factory, returns a one-line Chinese summary)."""

    name: str
    label: str
    hour: int
    run: Callable[[sessionmaker[Session]], str]


@dataclass(frozen=True)
class Outcome:
    """What one attempt at a job did: ran (with its summary), failed, or skipped (not due or
    held by another process)."""

    job: str
    status: str  # "ran" | "failed" | "skipped"
    detail: str = ""


def slot_for(now: datetime, hour: int, tz: timezone = CITY_TZ) -> datetime:
    """The latest instant at or before now when a job of this city hour was due (UTC)."""
    local = now.astimezone(tz)
    slot = datetime.combine(local.date(), time(hour), tz)
    if slot > local:
        slot -= timedelta(days=1)
    return slot.astimezone(UTC)


def holder_id() -> str:
    """Who claims a lease: host, process and thread (shown by `silian jobs status`)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _ensure_row(session: Session, name: str) -> None:
    if session.get(JobLease, name) is not None:
        return
    try:
        with session.begin_nested():
            session.add(JobLease(name=name))
    except IntegrityError:
        pass  # another process inserted it first: the row is what we wanted
    commit(session)


def claim(
    session: Session, name: str, slot: datetime, holder: str, now: datetime | None = None
) -> bool:
    """Take the job's lease for slot if nobody holds it and the slot is not done; commits."""
    now = now or utcnow()
    _ensure_row(session, name)
    result = session.execute(
        update(JobLease)
        .where(
            JobLease.name == name,
            or_(JobLease.leased_until.is_(None), JobLease.leased_until <= now),
            or_(JobLease.done_slot.is_(None), JobLease.done_slot < slot),
        )
        .values(holder=holder, leased_until=now + LEASE, last_started_at=now)
        .execution_options(synchronize_session=False)
    )
    commit(session)
    return getattr(result, "rowcount", 0) == 1


def finish(session: Session, name: str, holder: str, slot: datetime, summary: str) -> bool:
    """Record the slot as done and release the lease (only if holder still holds it); commits."""
    now = utcnow()
    result = session.execute(
        update(JobLease)
        .where(JobLease.name == name, JobLease.holder == holder)
        .values(
            holder=None,
            leased_until=None,
            done_slot=slot,
            last_finished_at=now,
            last_result=summary[:2000],
            last_error="",
            runs=JobLease.runs + 1,
        )
        .execution_options(synchronize_session=False)
    )
    commit(session)
    return getattr(result, "rowcount", 0) == 1


def fail(session: Session, name: str, holder: str, error: str) -> None:
    """Record the error and keep others off the job until RETRY_AFTER; commits."""
    now = utcnow()
    session.execute(
        update(JobLease)
        .where(JobLease.name == name, JobLease.holder == holder)
        .values(holder=None, leased_until=now + RETRY_AFTER, last_error=error[:2000])
        .execution_options(synchronize_session=False)
    )
    commit(session)


def run_due(
    factory: sessionmaker[Session],
    jobs: Sequence[Job],
    now: datetime | None = None,
    holder: str | None = None,
) -> list[Outcome]:
    """Run every job whose slot is not done and whose lease is free, one after another."""
    holder = holder or holder_id()
    outcomes: list[Outcome] = []
    for job in jobs:
        at = now or utcnow()
        slot = slot_for(at, job.hour)
        with factory() as session:
            if not claim(session, job.name, slot, holder, at):
                outcomes.append(Outcome(job.name, "skipped"))
                continue
        try:
            summary = job.run(factory)
        except Exception as exc:  # recorded on the lease row and retried later
            log.exception("scheduled job %s failed", job.name)
            with factory() as session:
                fail(session, job.name, holder, f"{type(exc).__name__}: {exc}")
            outcomes.append(Outcome(job.name, "failed", str(exc)))
            continue
        with factory() as session:
            finish(session, job.name, holder, slot, summary)
        outcomes.append(Outcome(job.name, "ran", summary))
    return outcomes


class Scheduler:
    """A daemon thread that calls run_due every tick until stopped."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        jobs: Sequence[Job],
        tick: float = TICK_SECONDS,
    ) -> None:
        self.factory = factory
        self.jobs = list(jobs)
        self.tick = tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="silian-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to stop and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                for outcome in run_due(self.factory, self.jobs):
                    if outcome.status != "skipped":
                        log.info("job %s %s: %s", outcome.job, outcome.status, outcome.detail)
            except Exception:  # a database hiccup must not kill the thread: try next tick
                log.exception("scheduler tick failed")
            self._stop.wait(self.tick)
