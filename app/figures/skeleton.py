"""Reuse a demo's built figure for its next render, put back as it was built.

Building the axes and their ticks, and laying out text on a new renderer, cost about as much
as the plot itself; a skeleton keeps the figure, its axes, their ticks and its Agg renderer
(whose text metrics matplotlib caches). Before each plot, reset undoes what the last plot
did (artists, limits, scales, locators, shared axes, titles, labels, tick settings, figure
texts and legends), so the image is the one a fresh build would give (tests/figures compare
them for every demo). A Figure may be used by one thread at a time: a skeleton is checked
out for one render and checked back in after it.
"""

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.axis import Axis, Ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from app.figures.layout import Layout, Panels
from app.figures.style import Palette

# Values an attribute may hold that setting it again restores: numbers, strings, None, tuples.
_SCALARS = (bool, int, float, str, tuple, type(None))
SPARE = 16  # skeletons kept in all, about 3 MB each (the figure and its renderer's pixels)


def _scalars(owner: object) -> dict[str, Any]:
    """Return an object's attributes that hold plain values."""
    return {name: value for name, value in vars(owner).items() if isinstance(value, _SCALARS)}


@dataclass
class _TextState:
    """A text as built: all its attributes, and its font (which setters change in place)."""

    text: Text
    attributes: dict[str, Any]
    font: FontProperties

    @classmethod
    def of(cls, text: Text) -> "_TextState":
        return cls(text, dict(vars(text)), text.get_fontproperties().copy())

    def restore(self) -> None:
        attributes = vars(self.text)
        attributes.clear()
        attributes.update(self.attributes)
        self.text._fontproperties = self.font.copy()  # type: ignore[attr-defined]


@dataclass
class _AxisState:
    """An axis as built: plain attributes, tick settings and its own tickers.

    made_for is the tick settings its ticks were made with: a plot that asks for the same
    settings as the last one keeps them, the costly part of an axis.
    """

    axis: Axis
    scalars: dict[str, Any]
    tick_kw: tuple[dict[str, Any], dict[str, Any]]
    major: Ticker
    minor: Ticker
    made_for: tuple[dict[str, Any], dict[str, Any]]

    @classmethod
    def of(cls, axis: Axis) -> "_AxisState":
        kw = _tick_kw(axis)
        return cls(axis, _scalars(axis), kw, axis.major, axis.minor, kw)

    def restore(self) -> None:
        axis = self.axis
        vars(axis).update(self.scalars)
        axis.major, axis.minor = self.major, self.minor
        axis._major_tick_kw, axis._minor_tick_kw = (dict(kw) for kw in self.tick_kw)  # type: ignore[attr-defined]
        axis._set_scale("linear")  # type: ignore[attr-defined]  # new default locators too

    def settle(self) -> None:
        """Make the ticks anew, as a fresh axes would, when the plot changed their settings."""
        kw = _tick_kw(self.axis)
        if kw != self.made_for:
            self.axis.reset_ticks()
            self.made_for = kw


def _tick_kw(axis: Axis) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return copies of an axis's major and minor tick settings."""
    return dict(axis._major_tick_kw), dict(axis._minor_tick_kw)  # type: ignore[attr-defined]


@dataclass
class _AxesState:
    """An axes as built, and the parts of it a plot may change."""

    ax: Axes
    scalars: dict[str, Any]
    axes: list[_AxisState]
    texts: list[_TextState]
    parts: list[tuple[Artist, dict[str, Any]]]
    position: tuple[Bbox, Bbox]

    @classmethod
    def of(cls, ax: Axes) -> "_AxesState":
        texts = [ax.title, ax._left_title, ax._right_title]  # type: ignore[attr-defined]
        for axis in (ax.xaxis, ax.yaxis):
            texts += [axis.label, axis.offsetText]
        parts: list[Artist] = [ax.patch, *ax.spines.values()]
        return cls(
            ax,
            _scalars(ax),
            [_AxisState.of(ax.xaxis), _AxisState.of(ax.yaxis)],
            [_TextState.of(text) for text in texts],
            [(part, dict(vars(part))) for part in parts],
            (ax.get_position(original=True).frozen(), ax.get_position().frozen()),
        )

    def restore(self) -> None:
        ax = self.ax
        self._clear_children()
        for name in ("x", "y"):
            ax._shared_axes[name].remove(ax)  # type: ignore[attr-defined]
        vars(ax).update(self.scalars)
        for part, attributes in self.parts:
            vars(part).clear()
            vars(part).update(attributes)
        for text in self.texts:
            text.restore()
        for state in self.axes:
            state.restore()
        ax.set_prop_cycle(None)
        ax.dataLim.set_points(Bbox.null().get_points())
        original, active = self.position
        ax._set_position(original, "original")  # type: ignore[attr-defined]
        ax._set_position(active, "active")  # type: ignore[attr-defined]
        for axis in (ax.xaxis, ax.yaxis):
            axis._set_lim(0, 1, auto=True)  # type: ignore[union-attr]
        ax._update_transScale()  # type: ignore[attr-defined]
        ax.stale = True

    def _clear_children(self) -> None:
        """Drop what was drawn on the axes, as Axes.clear does."""
        ax = self.ax
        children, ax._children = ax._children, []  # type: ignore[attr-defined]
        for child in children:
            child._remove_method = None
            child.axes = None
        ax.child_axes = []
        ax.legend_ = None
        ax.containers = []
        ax._mouseover_set.clear()  # type: ignore[attr-defined]


# The figure's lists of its own artists: empty when built, filled by suptitle, legend, text.
_FIGURE_LISTS = ("artists", "images", "legends", "lines", "patches", "texts")


@dataclass
class Skeleton:
    """A built figure with its styled axes, and what to restore before each plot."""

    figure: Figure
    axes: list[Axes]
    _scalars: dict[str, Any] = field(repr=False)
    _states: list[_AxesState] = field(repr=False)

    @classmethod
    def build(cls, panels: Panels, palette: Palette, layout: Layout) -> "Skeleton":
        """Build a figure for a layout, on an Agg canvas, and remember it as built."""
        figure, axes = panels.build(palette, layout)
        FigureCanvasAgg(figure)
        return cls(figure, axes, _scalars(figure), [_AxesState.of(ax) for ax in axes])

    def reset(self) -> None:
        """Put the figure back as it was built."""
        figure = self.figure
        for extra in [ax for ax in figure.axes if ax not in self.axes]:
            figure.delaxes(extra)
        for name in _FIGURE_LISTS:
            getattr(figure, name).clear()
        vars(figure).update(self._scalars)
        for state in self._states:
            state.restore()
        figure.stale = True

    def settle(self) -> None:
        """Finish a plot on the skeleton: remake the ticks whose settings it changed."""
        for state in self._states:
            for axis in state.axes:
                axis.settle()


class Skeletons:
    """Spare skeletons by (demo, theme, layout), lent to one render at a time.

    At most `spare` are kept, the least recently used dropped first: each holds its figure
    and an Agg renderer's pixels (SPARE says how much).
    """

    def __init__(self, spare: int = SPARE) -> None:
        self._spare = spare
        self._free: OrderedDict[tuple[str, str, Layout], list[Skeleton]] = OrderedDict()
        self._kept = 0
        self._lock = threading.Lock()

    @contextmanager
    def lend(
        self, demo: str, panels: Panels, palette: Palette, layout: Layout
    ) -> Iterator[Skeleton]:
        """Lend a skeleton ready to plot on; it is kept only when the render succeeds."""
        key = (demo, palette.name, layout)
        with self._lock:
            skeleton = self._take(key)
        if skeleton is None:
            skeleton = Skeleton.build(panels, palette, layout)
        else:
            skeleton.reset()
        yield skeleton  # a plot that raises leaves it half drawn: it is dropped
        with self._lock:
            self._give(key, skeleton)

    def _take(self, key: tuple[str, str, Layout]) -> Skeleton | None:
        free = self._free.get(key)
        if not free:
            return None
        self._kept -= 1
        skeleton = free.pop()
        if not free:
            del self._free[key]
        return skeleton

    def _give(self, key: tuple[str, str, Layout], skeleton: Skeleton) -> None:
        self._free.setdefault(key, []).append(skeleton)
        self._free.move_to_end(key)
        self._kept += 1
        while self._kept > self._spare:
            oldest = next(iter(self._free))
            free = self._free[oldest]
            free.pop(0)
            self._kept -= 1
            if not free:
                del self._free[oldest]


SKELETONS = Skeletons()
