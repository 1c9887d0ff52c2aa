"""Progress charts drawn on the server with matplotlib: review calendar and due forecast.

Both have a transparent background and mid-grey text, so one image suits the light and
the dark theme; the bars and cells use the site's accent colour.
"""

from datetime import date, timedelta

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PatchCollection
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from app.figures.encode import encode
from app.figures.style import EITHER

ACCENT = EITHER.accent
TEXT = EITHER.text
EMPTY = EITHER.grid
_CMAP = LinearSegmentedColormap.from_list("prepdeck", list(EITHER.series))


def _png(figure: Figure) -> bytes:
    return encode(figure, dpi=120, transparent=True, tight=True)


def _style(axes: Axes) -> None:
    axes.tick_params(colors=TEXT, labelsize=8, length=0)
    for spine in axes.spines.values():
        spine.set_visible(False)


def calendar_png(counts: dict[date, int], today: date, weeks: int = 26) -> bytes:
    """Draw reviews per day over the last weeks: one square per day, a column per week."""
    start = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    days = [start + timedelta(days=offset) for offset in range((today - start).days + 1)]
    values = np.array([counts.get(day, 0) for day in days], dtype=float)
    top = max(1.0, float(values.max()))
    colours = [_CMAP(value / top) if value else EMPTY for value in values]
    squares = [
        Rectangle((offset // 7 - 0.42, day.weekday() - 0.42), 0.84, 0.84)
        for offset, day in enumerate(days)
    ]
    figure = Figure(figsize=(7.2, 1.9))
    axes = figure.add_subplot()
    axes.add_collection(PatchCollection(squares, facecolors=colours, linewidths=0))
    axes.set_xlim(-0.6, weeks - 0.4)
    axes.set_ylim(6.6, -0.6)
    axes.set_aspect("equal")
    axes.set_yticks([0, 2, 4], ["Mon", "Wed", "Fri"])
    months = [
        (column, (start + timedelta(days=7 * column)).strftime("%b"))
        for column in range(weeks)
        if (start + timedelta(days=7 * column)).day <= 7
    ]
    axes.set_xticks([column for column, _ in months], [label for _, label in months])
    axes.xaxis.tick_top()
    _style(axes)
    axes.set_title(
        f"Reviews per day, last {weeks} weeks (darkest: {int(top)})",
        color=TEXT,
        fontsize=9,
        loc="left",
        pad=18,
    )
    return _png(figure)


def forecast_png(forecast: list[tuple[date, int]]) -> bytes:
    """Draw how many cards fall due on each of the next days."""
    figure = Figure(figsize=(7.2, 2.2))
    axes = figure.add_subplot()
    days = np.arange(len(forecast))
    values = np.array([count for _day, count in forecast])
    axes.bar(days, values, color=ACCENT, width=0.75)
    labels = [
        (index, day.strftime("%d %b")) for index, (day, _) in enumerate(forecast) if index % 7 == 0
    ]
    axes.set_xticks([index for index, _ in labels], [label for _, label in labels])
    axes.set_ylabel("cards due", color=TEXT, fontsize=8)
    axes.set_xlabel("day", color=TEXT, fontsize=8)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", color=TEXT, alpha=0.25, linewidth=0.6)
    axes.set_axisbelow(True)
    _style(axes)
    axes.set_title(f"Due in the next {len(forecast)} days", color=TEXT, fontsize=9, loc="left")
    return _png(figure)
