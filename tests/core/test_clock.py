"""The city's calendar: today in Beijing time, a pinned date, and the day an instant falls on."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from silian.core import clock


def test_today_is_the_city_date_not_the_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(clock.PIN_VARIABLE, raising=False)
    # 17:00 UTC is already 01:00 the next day in the city.
    expected = datetime.now(clock.CITY_TZ).date()
    assert clock.today() == expected


def test_a_pinned_date_wins_and_a_bad_one_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(clock.PIN_VARIABLE, "2027-01-31")
    assert clock.today() == date(2027, 1, 31)
    monkeypatch.setenv(clock.PIN_VARIABLE, "2027/01/31")
    with pytest.raises(ValueError, match="SILIAN_TODAY"):
        clock.today()


def test_city_day_and_day_start() -> None:
    evening_utc = datetime(2026, 12, 2, 17, 30, tzinfo=UTC)
    assert clock.city_day(evening_utc) == date(2026, 12, 3)
    assert clock.city_day(evening_utc.replace(tzinfo=None)) == date(2026, 12, 3)
    assert clock.day_start(date(2026, 12, 3)) == datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
