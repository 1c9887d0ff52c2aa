"""The study day: the user's timezone and the hour their day starts, across DST."""

from datetime import UTC, date, datetime, timedelta

import pytest

from app.study.day import BadTimezone, clock_time, study_day


@pytest.mark.parametrize(
    ("now", "timezone", "starts_at", "expected"),
    [
        # 03:59 local is still the previous day when the day starts at 4.
        (datetime(2026, 6, 10, 1, 59, tzinfo=UTC), "Europe/Berlin", 4, date(2026, 6, 9)),
        (datetime(2026, 6, 10, 2, 0, tzinfo=UTC), "Europe/Berlin", 4, date(2026, 6, 10)),
        # The same instant is a different day in Tokyo and in Los Angeles.
        (datetime(2026, 6, 10, 20, 0, tzinfo=UTC), "Asia/Tokyo", 4, date(2026, 6, 11)),
        (datetime(2026, 6, 10, 20, 0, tzinfo=UTC), "America/Los_Angeles", 4, date(2026, 6, 10)),
        (datetime(2026, 6, 10, 10, 0, tzinfo=UTC), "America/Los_Angeles", 4, date(2026, 6, 9)),
        (datetime(2026, 6, 10, 23, 30, tzinfo=UTC), "UTC", 0, date(2026, 6, 10)),
    ],
)
def test_day_of_an_instant(now: datetime, timezone: str, starts_at: int, expected: date) -> None:
    assert study_day(now, timezone, starts_at).date == expected


def test_a_day_lasts_23_hours_when_clocks_go_forward() -> None:
    day = study_day(datetime(2026, 3, 29, 12, tzinfo=UTC), "Europe/Berlin", 4)
    assert day.date == date(2026, 3, 29)
    assert day.start == datetime(2026, 3, 29, 2, tzinfo=UTC)  # 04:00 CEST
    assert day.end - day.start == timedelta(hours=24)
    before = study_day(datetime(2026, 3, 28, 12, tzinfo=UTC), "Europe/Berlin", 4)
    assert before.start == datetime(2026, 3, 28, 3, tzinfo=UTC)  # 04:00 CET
    assert before.end - before.start == timedelta(hours=23)


def test_a_day_lasts_25_hours_when_clocks_go_back() -> None:
    day = study_day(datetime(2026, 10, 31, 12, tzinfo=UTC), "America/New_York", 0)
    assert day.date == date(2026, 10, 31)
    assert day.end - day.start == timedelta(hours=24)
    fall = study_day(datetime(2026, 11, 1, 12, tzinfo=UTC), "America/New_York", 0)
    assert fall.end - fall.start == timedelta(hours=25)
    assert fall.start == datetime(2026, 11, 1, 4, tzinfo=UTC)  # midnight EDT


def test_unknown_timezone_is_named() -> None:
    with pytest.raises(BadTimezone, match="unknown timezone 'Mars/Olympus'"):
        study_day(datetime(2026, 1, 1, tzinfo=UTC), "Mars/Olympus", 4)


@pytest.mark.parametrize(
    ("moment", "timezone", "shown"),
    [
        (datetime(2026, 12, 1, 14, 5, tzinfo=UTC), "UTC", "14:05 UTC"),
        (datetime(2026, 12, 1, 14, 5, tzinfo=UTC), "Europe/Berlin", "15:05 CET"),
        (datetime(2026, 7, 1, 14, 5, tzinfo=UTC), "Europe/Berlin", "16:05 CEST"),
        (datetime(2026, 12, 1, 23, 30, tzinfo=UTC), "Asia/Tokyo", "08:30 JST"),
        # A zone whose abbreviation is an offset ('+04') is named instead.
        (datetime(2026, 12, 1, 14, 5, tzinfo=UTC), "Asia/Dubai", "18:05 Asia/Dubai"),
        (datetime(2026, 12, 1, 14, 5, tzinfo=UTC), "Asia/Kolkata", "19:35 IST"),
    ],
)
def test_clock_time_is_in_the_users_zone(moment: datetime, timezone: str, shown: str) -> None:
    assert clock_time(moment, timezone) == shown
