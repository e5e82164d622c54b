"""Figures stay fresh after changes: a change marks the days it touches, reading recomputes them.

Every flush that adds, edits or deletes a record a figure counts writes a `FigureDirtyDay` row
for each city day the record's dated fields name, before and after the change (an achievement
moved from one publication day to another alters both days), in the same transaction as the
change: a committed change always leaves its marker, a rolled-back one never does. A record
that also counts in a stock (units, deals by stage, brokers, classes, platforms…) marks today
too, the day whose stock the current period reads.

`process` recomputes the marked days (one transaction per day, markers deleted first so a
change committed meanwhile leaves a fresh marker) and is called before the dashboard reads the
summary; `silian figures refresh` clears the markers of the days it rewrites.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, attributes

from silian.achievements.models import Achievement
from silian.brokerage.models import Broker, Contract, Deal
from silian.consortia.models import InnovationConsortium
from silian.core.transactions import commit
from silian.demands.models import Demand
from silian.education.models import NamedClass, TrainingBase
from silian.events.models import Event
from silian.insights import figures, jobs
from silian.insights.models import FigureDirtyDay
from silian.organizations.models import Organization
from silian.platforms.models import Platform
from silian.talent.models import TalentNeed

log = logging.getLogger(__name__)


# Record type → its dated fields that place it on a day of some flow figure, and whether it
# also counts in a stock figure (then today's stock changes with it).
TRACKED: dict[type, tuple[tuple[str, ...], bool]] = {
    Achievement: (("created_at", "published_at"), False),
    Demand: (("created_at", "published_at"), False),
    Deal: (("created_at",), True),
    Contract: (("signed_on",), False),
    Event: (("starts_at",), False),
    TalentNeed: (("created_at",), False),
    Organization: (("created_at",), True),
    Broker: (("created_at", "certified_on"), True),
    NamedClass: (("created_at",), True),
    TrainingBase: (("created_at",), True),
    Platform: (("created_at",), True),
    InnovationConsortium: (("created_at",), True),
}


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return figures.city_day(value)
    if isinstance(value, date):
        return value
    return None


def touched_days(obj: Any, deleted: bool = False) -> set[date]:
    """The city days whose figures a change to obj may alter (its old and new dates)."""
    fields, stock = TRACKED[type(obj)]
    days: set[date] = set()
    for name in fields:
        history = attributes.get_history(obj, name)
        values = [*history.added, *history.unchanged, *history.deleted]
        if not values and not deleted:
            values = [getattr(obj, name, None)]
        days.update(d for d in (_day(v) for v in values) if d is not None)
    if stock:
        days.add(figures.city_today())
    return days


@event.listens_for(Session, "before_flush")
def _mark(session: Session, flush_context: Any, instances: Any) -> None:
    days: set[date] = set()
    for obj in session.new:
        if type(obj) in TRACKED:
            days |= touched_days(obj)
            # A new record's defaulted created_at is set only when the INSERT runs: today.
            if getattr(obj, "created_at", True) is None:
                days.add(figures.city_today())
    for obj in session.dirty:
        if type(obj) in TRACKED and session.is_modified(obj, include_collections=False):
            days |= touched_days(obj)
    for obj in session.deleted:
        if type(obj) in TRACKED:
            days |= touched_days(obj, deleted=True)
    session.add_all(FigureDirtyDay(day=d) for d in sorted(days))


# A reader recomputes at most this many days before it reads. Marked days are recomputed in
# runs (`runs`), each in one pass over the records, so a bulk load's hundreds of marked days
# cost a few queries per run rather than per day; the cap bounds one request's work all the same.
READ_LIMIT = 3660
# Marked days with at most this many clean days between them are recomputed as one run (the
# clean days are rewritten with the values they already hold, which costs less than a pass).
RUN_GAP = 31
# One run is at most this long, so a transaction (and the rows it rewrites) stays small.
RUN_DAYS = 400


def dirty_days(session: Session, start: date | None = None, end: date | None = None) -> list[date]:
    """Marked days (between start and end when given), newest first."""
    stmt = (
        select(FigureDirtyDay.day).group_by(FigureDirtyDay.day).order_by(FigureDirtyDay.day.desc())
    )
    if start is not None:
        stmt = stmt.where(FigureDirtyDay.day >= start)
    if end is not None:
        stmt = stmt.where(FigureDirtyDay.day <= end)
    return list(session.scalars(stmt))


def runs(days: list[date], gap: int = RUN_GAP, longest: int = RUN_DAYS) -> list[tuple[date, date]]:
    """Marked days (any order) coalesced into (first, last) runs, newest run first: days with at
    most gap clean days between them share a run, and no run is longer than longest days."""
    out: list[tuple[date, date]] = []
    for day in sorted(set(days), reverse=True):
        if out:
            first, last = out[-1]
            if (first - day).days <= gap + 1 and (last - day).days < longest:
                out[-1] = (day, last)
                continue
        out.append((day, day))
    return out


def process(
    session: Session,
    start: date | None = None,
    end: date | None = None,
    limit: int | None = READ_LIMIT,
) -> int:
    """Recompute marked days between start and end in runs, newest first, one transaction each,
    until limit days are recomputed (None: all of them).

    Returns the number of days recomputed. Two readers may recompute the same run at once:
    the one that loses the race on the summary's unique key gives way, the other's rows stand.
    """
    done = 0
    for first, last in runs(dirty_days(session, start, end)):
        if limit is not None and done >= limit:
            break
        if limit is not None:
            first = max(first, last - timedelta(days=limit - done - 1))
        try:
            jobs.refresh_range(session, first, last)
            commit(session)
            done += (last - first).days + 1
        except (IntegrityError, OperationalError):
            session.rollback()
            log.info("figures of %s–%s were being recomputed by another request", first, last)
    return done


def pending(session: Session, start: date | None = None, end: date | None = None) -> int:
    """How many marked days (between start and end) wait to be recomputed."""
    return len(dirty_days(session, start, end))
