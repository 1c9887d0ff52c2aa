"""The site's palette for figures, light and dark, and helpers that apply it."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import matplotlib
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

# Glyphs are drawn from their outlines, unhinted: at 100 and 200 dpi they look the same to the
# eye, and a render spends about a tenth less time drawing text.
matplotlib.rcParams["text.hinting"] = "no_hinting"


@dataclass(frozen=True)
class Palette:
    """Colours of one theme, matching static/style.css."""

    name: str
    background: str
    surface: str
    text: str
    muted: str
    grid: str
    series: tuple[str, ...]
    accent: str
    good: str
    warn: str
    bad: str
    colormap: str


LIGHT = Palette(
    name="light",
    background="#ffffff",
    surface="#f9fafc",
    text="#151827",
    muted="#4a5068",
    grid="#e2e5ef",
    series=("#4f46e5", "#0f8a5f", "#b25e00", "#c42b4f", "#0e7490", "#7c3aed"),
    accent="#4f46e5",
    good="#0f8a5f",
    warn="#b25e00",
    bad="#c42b4f",
    colormap="viridis",
)

DARK = Palette(
    name="dark",
    background="#181b27",
    surface="#1d2130",
    text="#e8eaf3",
    muted="#b3b8cc",
    grid="#2a2f42",
    series=("#8b87ff", "#4fd1a1", "#f5b35c", "#ff7b98", "#67d4ef", "#c4a5ff"),
    accent="#8b87ff",
    good="#4fd1a1",
    warn="#f5b35c",
    bad="#ff7b98",
    colormap="magma",
)

THEMES = {"light": LIGHT, "dark": DARK}

# For an image shown on either theme (the progress charts): no background, a grey that reads
# on both, and an indigo ramp between the two themes' accents; the rest as the light theme.
EITHER = replace(
    LIGHT,
    name="either",
    background="none",
    surface="none",
    text="#8d93ab",
    muted="#8d93ab",
    grid="#8d93ab33",
    series=("#c7c9fb", "#6366f1", "#3730a3"),
    accent="#6366f1",
)


def style_axes(ax: Axes, palette: Palette) -> None:
    """Colour an axes' background, spines, ticks, labels and grid."""
    ax.set_facecolor(palette.background)
    for name, spine in ax.spines.items():
        spine.set_visible(name in ("left", "bottom"))
        spine.set_color(palette.grid)
    ax.tick_params(colors=palette.muted, labelsize=9)
    ax.xaxis.label.set_color(palette.muted)
    ax.yaxis.label.set_color(palette.muted)
    ax.title.set_color(palette.text)
    ax.grid(True, color=palette.grid, linewidth=0.7)
    ax.set_axisbelow(True)
    # Titles sit at a fixed height just above the axes. No figure has tick labels or an axis
    # offset above an axes for them to clear (tests/demos check it), and matplotlib's search
    # for those measures every tick label again on each draw.
    ax.set_title("", y=1.0)


def finish(
    ax: Axes,
    palette: Palette,
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    legend: bool = True,
) -> None:
    """Set an axes' title and labels, and a legend in the theme's colours."""
    ax.set_title(title, color=palette.text, fontsize=11, loc="left")
    ax.set_xlabel(xlabel, fontsize=9.5)
    ax.set_ylabel(ylabel, fontsize=9.5)
    if legend and ax.get_legend_handles_labels()[0]:
        themed_legend(ax, palette)


Corner = Literal["best", "upper right", "upper left", "upper center", "lower left", "lower right"]


def themed_legend(
    ax: Axes, palette: Palette, loc: Corner = "best", handles: Sequence[Artist] | None = None
) -> None:
    """Draw an axes' legend in the theme's colours (a fixed loc is cheaper than "best").

    handles: the entries to show, when not the axes' own labelled artists.
    """
    ax.legend(
        handles=handles,
        loc=loc,
        fontsize=8.5,
        facecolor=palette.surface,
        edgecolor=palette.grid,
        labelcolor=palette.text,
        framealpha=0.9,
    )


def move_legend(ax: Axes, loc: Corner) -> None:
    """Move the legend that finish() drew."""
    legend = ax.get_legend()
    if legend is not None:
        legend.set_loc(loc)


def few_ticks(ax: Axes, x: int = 5, y: int = 5, integer_x: bool = False) -> None:
    """Fewer tick labels: lighter to lay out and easier to read on a phone."""
    ax.xaxis.set_major_locator(MaxNLocator(nbins=x, integer=integer_x))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=y))


SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(value: float) -> str:
    """Write 10^k as 10 with a superscript exponent (plain text, no mathtext to parse)."""
    exponent = round(float(np.log10(value)))
    return "1" if exponent == 0 else "10" + str(exponent).translate(SUPERSCRIPT)


def light_log_ticks(ax: Axes) -> None:
    """Keep log axes cheap and legible: no minor ticks on x; on y plain labels, few minor ticks."""
    if ax.get_xscale() == "log":
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: power_of_ten(value)))
    if ax.get_yscale() != "log":
        return
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ax.yaxis.set_major_formatter(plain)
    low, high = ax.get_ylim()
    if high > 300 * low:
        ax.yaxis.set_minor_locator(NullLocator())
        return
    subs = [2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0] if high < 12 * low else [2.0, 5.0]
    ax.yaxis.set_minor_locator(LogLocator(subs=subs))
    ax.yaxis.set_minor_formatter(plain)
    ax.tick_params(axis="y", which="minor", labelsize=8.5)
