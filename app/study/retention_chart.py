"""The retention simulator's chart: reviews and minutes a day against desired retention.

Transparent, with mid-grey text, like the progress charts: one image suits both themes.
"""

from functools import lru_cache

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from app.figures.encode import encode
from app.figures.style import EITHER
from app.study.simulator import RetentionCurve

ACCENT = EITHER.accent
MARK = EITHER.series[2]
TEXT = EITHER.text


def plot_retention(curve: RetentionCurve, reviews: Axes, minutes: Axes) -> None:
    """Draw reviews a day on one axes and minutes a day on the other, the current marked."""
    retentions = [point.retention for point in curve.points]
    current = curve.current
    panels = (
        (reviews, [point.reviews_per_day for point in curve.points], current.reviews_per_day),
        (minutes, [point.minutes_per_day for point in curve.points], current.minutes_per_day),
    )
    titles = ("Reviews a day", "Minutes a day")
    for (axes, values, mark), title in zip(panels, titles, strict=True):
        axes.plot(retentions, values, color=ACCENT, linewidth=1.8, marker="o", markersize=3)
        axes.axvline(current.retention, color=TEXT, linewidth=0.8, linestyle="--")
        axes.plot([current.retention], [mark], marker="o", markersize=7, color=MARK, zorder=3)
        axes.annotate(
            f"{mark:.2f} at {current.retention:.2f}",
            (current.retention, mark),
            xytext=(-6, 8),
            textcoords="offset points",
            ha="right",
            color=TEXT,
            fontsize=8,
        )
        axes.set_xlim(0.69, 0.98)
        axes.set_ylim(bottom=0)
        axes.set_xlabel("desired retention", color=TEXT, fontsize=8)
        axes.set_title(title, color=TEXT, fontsize=9, loc="left")
        axes.grid(color=TEXT, alpha=0.25, linewidth=0.6)
        axes.set_axisbelow(True)
        axes.tick_params(colors=TEXT, labelsize=8, length=0)
        for spine in axes.spines.values():
            spine.set_visible(False)


@lru_cache(maxsize=64)
def retention_png(curve: RetentionCurve) -> bytes:
    """Return the chart as a PNG with a transparent background (kept for the same curve)."""
    figure = Figure(figsize=(7.2, 2.6))
    reviews, minutes = figure.subplots(1, 2)
    plot_retention(curve, reviews, minutes)
    figure.tight_layout()
    return encode(figure, dpi=120, transparent=True)
