"""The city's calendar: its time zone, today's date there, and the day an instant falls on."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta, timezone

# China Standard Time has no daylight saving, so a fixed offset is exact (and needs no tzdata).
CITY_TZ = timezone(timedelta(hours=8))
PIN_VARIABLE = "SILIAN_TODAY"


def today() -> date:
    """Today's date in the city, or the date pinned by ``SILIAN_TODAY`` (ISO, for demos and tests).

    Deadlines, due dates and "this year" follow the city's calendar, not the server's: a server
    on UTC would otherwise close a bidding day eight hours late.
    """
    pinned = os.environ.get(PIN_VARIABLE, "").strip()
    if pinned:
        try:
            return date.fromisoformat(pinned)
        except ValueError:
            raise ValueError(f"{PIN_VARIABLE}={pinned!r} 不是 YYYY-MM-DD 格式的日期") from None
    return datetime.now(CITY_TZ).date()


def city_day(instant: datetime) -> date:
    """The city calendar day of an instant (naive values are UTC, as SQLite returns them)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(CITY_TZ).date()


def day_start(day: date) -> datetime:
    """The UTC instant at which a city calendar day starts."""
    return datetime.combine(day, time(), CITY_TZ).astimezone(UTC)
