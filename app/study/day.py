"""The user's day: it starts at their chosen hour (default 4 AM, as Anki) in their timezone."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib.resources import files
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.exceptions import AppError

# Listed by the IANA data but no place's time: a placeholder zone.
NOT_PLACES = frozenset({"Factory"})


class BadTimezone(AppError, ValueError):
    """A timezone name the system does not know."""

    status = 422


def zone(name: str) -> ZoneInfo:
    """Return the timezone of an IANA name such as 'Europe/Berlin'."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadTimezone(
            f"unknown timezone {name!r}: use an IANA name such as 'Europe/Berlin' or 'UTC'"
        ) from exc


@cache
def timezone_names() -> tuple[str, ...]:
    """Return every IANA timezone name a user may choose, sorted (the same on every OS)."""
    # The tzdata package lists the IANA names; the OS's folder also holds files such as
    # localtime, posix/Europe/Berlin and right/UTC that are not names a user means.
    listed = files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()
    return tuple(sorted(set(listed) - NOT_PLACES))


@cache
def _names() -> frozenset[str]:
    return frozenset(timezone_names())


def check_timezone(name: str) -> str:
    """Return name if it is an IANA timezone name a user may choose; else raise BadTimezone."""
    if name not in _names():
        raise BadTimezone(
            f"unknown timezone {name!r}: use an IANA name such as 'Europe/Berlin' or 'UTC'"
        )
    return name


@dataclass(frozen=True)
class Day:
    """One study day of a user: its date and the UTC instants it starts and ends."""

    date: date
    start: datetime
    end: datetime


def local_day(moment: datetime, timezone: str, starts_at: int) -> date:
    """Return the date of the study day that moment falls in."""
    return (moment.astimezone(zone(timezone)) - timedelta(hours=starts_at)).date()


def study_day(now: datetime, timezone: str, starts_at: int) -> Day:
    """Return the study day that now falls in."""
    tz = zone(timezone)
    day = local_day(now, timezone, starts_at)
    return Day(day, start_of(day, tz, starts_at), start_of(day + timedelta(days=1), tz, starts_at))


def start_of(day: date, tz: ZoneInfo, starts_at: int) -> datetime:
    """Return when the study day of date day starts, in UTC."""
    # Wall-clock time on that date; across a DST change a day lasts 23 or 25 hours.
    return datetime.combine(day, time(starts_at), tzinfo=tz).astimezone(UTC)


def clock_time(moment: datetime, timezone: str) -> str:
    """Return moment as the time of day in a timezone, with the zone: '05:30 CET'.

    The zone's abbreviation when it has one of letters (CET, EST, UTC); else its IANA name
    ('Asia/Dubai' rather than '+04').
    """
    local = moment.astimezone(zone(timezone))
    abbreviation = local.tzname() or ""
    label = abbreviation if abbreviation.isalpha() else timezone
    return f"{local:%H:%M} {label}"
