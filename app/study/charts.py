"""Progress charts as data for HTML: the review calendar and the due forecast.

The page draws them with HTML and CSS (templates/progress/_charts.html), so they fill their
panel at every width, their text is the page's text, and their colours follow the theme. Here
is only the arithmetic: which level of the colour scale each day takes, how tall each bar is,
and which labels go where.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from math import ceil

# The calendar's colour scale: level 0 is a day without reviews, LEVELS the busiest.
LEVELS = 4
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
LABELLED_WEEKDAYS = frozenset({0, 2, 4})


def level(count: int, busiest: int) -> int:
    """Return a day's step on the colour scale: 0 with no reviews, LEVELS on the busiest day."""
    if count <= 0 or busiest <= 0:
        return 0
    return max(1, min(LEVELS, ceil(LEVELS * count / busiest)))


@dataclass(frozen=True)
class Day:
    """One square of the calendar; day is None for the days after today in this week."""

    day: date | None
    count: int
    level: int

    @property
    def title(self) -> str:
        """Return the square's tooltip: the date and its reviews."""
        if self.day is None:
            return ""
        noun = "review" if self.count == 1 else "reviews"
        return f"{self.day.strftime('%a %d %b %Y')}: {self.count} {noun}"


@dataclass(frozen=True)
class Calendar:
    """Reviews per day over the last weeks: rows are weekdays, columns weeks (oldest first)."""

    weeks: int
    months: tuple[str, ...]  # one per column: the month's name where a month starts, else ""
    rows: tuple[tuple[str, tuple[Day, ...]], ...]  # (weekday label or "", the row's days)
    busiest: int
    reviews: int
    active_days: int

    @property
    def levels(self) -> tuple[int, ...]:
        """Return the colour scale's steps, for the legend: fewest reviews first."""
        return tuple(range(LEVELS + 1))

    @property
    def summary(self) -> str:
        """Describe the calendar in words (the chart's text alternative)."""
        if not self.reviews:
            return f"No reviews in the last {self.weeks} weeks."
        days = "day" if self.active_days == 1 else "days"
        reviews = "review" if self.reviews == 1 else "reviews"
        return (
            f"{self.reviews} {reviews} on {self.active_days} {days} in the last {self.weeks} "
            f"weeks; the busiest day had {self.busiest}."
        )


def calendar(counts: dict[date, int], today: date, weeks: int = 26) -> Calendar:
    """Lay out reviews per day over the last weeks, a column a week from Monday."""
    start = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    shown = {day: count for day, count in counts.items() if start <= day <= today and count > 0}
    busiest = max(shown.values(), default=0)
    # A month is named over the week it starts in, but not in the last two columns, where
    # its name would run past the chart's right edge.
    months = tuple(
        (start + timedelta(days=7 * column)).strftime("%b")
        if (start + timedelta(days=7 * column)).day <= 7 and column < weeks - 2
        else ""
        for column in range(weeks)
    )
    rows = []
    for weekday in range(7):
        days = []
        for column in range(weeks):
            day = start + timedelta(days=7 * column + weekday)
            if day > today:
                days.append(Day(None, 0, 0))
            else:
                count = shown.get(day, 0)
                days.append(Day(day, count, level(count, busiest)))
        label = WEEKDAYS[weekday] if weekday in LABELLED_WEEKDAYS else ""
        rows.append((label, tuple(days)))
    return Calendar(
        weeks=weeks,
        months=months,
        rows=tuple(rows),
        busiest=busiest,
        reviews=sum(shown.values()),
        active_days=len(shown),
    )


@dataclass(frozen=True)
class Bar:
    """One day of the forecast: its date, its count and its height in the plot's SVG units."""

    day: date
    count: int
    height: float
    label: str  # the date under the bar every week, else ""

    @property
    def title(self) -> str:
        """Return the bar's tooltip."""
        noun = "card" if self.count == 1 else "cards"
        return f"{self.day.strftime('%a %d %b')}: {self.count} {noun} due"


@dataclass(frozen=True)
class Forecast:
    """Cards due on each of the next days, as bars on a scale from 0 to top."""

    bars: tuple[Bar, ...]
    top: int  # the scale's top: a round number at least the largest count
    ticks: tuple[int, ...]  # the scale's labels, top first, evenly spaced down to 0

    HEIGHT = 100.0  # the SVG plot's height in its own units; a bar of top reaches it

    @property
    def total(self) -> int:
        """Return how many cards fall due over the whole forecast."""
        return sum(bar.count for bar in self.bars)

    @property
    def summary(self) -> str:
        """Describe the forecast in words (the chart's text alternative)."""
        due = [f"{bar.day.strftime('%d %b')} {bar.count}" for bar in self.bars if bar.count]
        listed = ", ".join(due) if due else "none"
        return f"Cards due on each of the next {len(self.bars)} days: {listed}."


def scale(largest: int) -> tuple[int, tuple[int, ...]]:
    """Return a round top at least largest and its evenly spaced integer ticks, top first."""
    if largest <= 0:
        return 1, (1, 0)
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000):
        if ceil(largest / step) <= 4:
            top = step * ceil(largest / step)
            return top, tuple(range(top, -1, -step))
    top = 10 ** len(str(largest))
    return top, (top, top // 2, 0)


def forecast(days: list[tuple[date, int]], every: int = 7) -> Forecast:
    """Lay out how many cards fall due on each of the next days, a date label every week.

    A label starts at its bar and runs right, so none is put on the last few bars, where it
    would run past the chart's right edge.
    """
    last = len(days) - 5
    top, ticks = scale(max((count for _day, count in days), default=0))
    bars = tuple(
        Bar(
            day=day,
            count=count,
            height=round(Forecast.HEIGHT * count / top, 2),
            label=day.strftime("%d %b") if index % every == 0 and index <= last else "",
        )
        for index, (day, count) in enumerate(days)
    )
    return Forecast(bars=bars, top=top, ticks=ticks)
