"""Figures built from a layout: a demo declares its grid of panels once, the layout sizes it.

"wide" is the figure of a card page on a desktop; "narrow" stacks the same panels in one
column for a phone, taller. Sizes, margins and gaps are in inches and fixed: a constrained
layout would place them by itself but costs about as much time as drawing the whole figure.
"""

from dataclasses import dataclass
from typing import Literal

from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.text import Text

from app.figures.style import Palette, style_axes

Layout = Literal["wide", "narrow"]
LAYOUTS: tuple[Layout, ...] = ("wide", "narrow")

# The figure sizes, for every demo that does not declare its own.
WIDE_WIDTH = 8.0
WIDE_HEIGHT = 4.2
NARROW_WIDTH = 4.0
NARROW_ROW = 2.8  # the height of one panel, stacked
NARROW_GAP = 0.85  # between stacked panels: tick labels, an axis label and the next title


@dataclass(frozen=True)
class Panels:
    """A demo's grid of axes in the wide layout; the narrow layout stacks the same panels.

    Panels fill the rows left to right, each spanning spans[i] columns (one each when spans is
    empty). Margins and the gap between axes are in inches. height is the wide figure's
    height; narrow_row the height of each panel when stacked, and narrow_top and
    narrow_bottom the margins there when a figure-wide title or legend needs more room once
    it wraps onto more lines; narrow_gap the gap between stacked panels when one has a legend
    below it to hold.
    """

    cols: int = 1
    rows: int = 1
    spans: tuple[int, ...] = ()
    height: float = WIDE_HEIGHT
    top: float = 0.42
    bottom: float = 0.6
    left: float = 0.7
    right: float = 0.2
    gap: float = 0.75
    narrow_row: float = NARROW_ROW
    narrow_top: float | None = None
    narrow_bottom: float | None = None
    narrow_gap: float | None = None

    def __post_init__(self) -> None:
        """Check that the spans fill the grid, row by row, without crossing a row's end."""
        filled = 0
        for span in self.spans:
            if span < 1 or filled % self.cols + span > self.cols:
                raise ValueError(f"span {span} at cell {filled} does not fit {self.cols} columns")
            filled += span
        if self.spans and filled != self.rows * self.cols:
            raise ValueError(f"spans fill {filled} cells of a {self.rows}x{self.cols} grid")

    @property
    def count(self) -> int:
        """Return how many axes the demo draws on."""
        return len(self.spans) if self.spans else self.rows * self.cols

    def size(self, layout: Layout) -> tuple[float, float]:
        """Return the figure's size in inches in this layout."""
        if layout == "wide":
            return (WIDE_WIDTH, self.height)
        stacked = self.count * self.narrow_row + (self.count - 1) * self._narrow_gap
        top, bottom = self._margins(layout)
        return (NARROW_WIDTH, top + bottom + stacked)

    @property
    def _narrow_gap(self) -> float:
        return self.narrow_gap if self.narrow_gap is not None else max(self.gap, NARROW_GAP)

    def _margins(self, layout: Layout) -> tuple[float, float]:
        """Return the top and bottom margins in this layout."""
        if layout == "wide":
            return self.top, self.bottom
        top = self.top if self.narrow_top is None else self.narrow_top
        bottom = self.bottom if self.narrow_bottom is None else self.narrow_bottom
        return top, bottom

    def _cells(self) -> list[tuple[int, int, int]]:
        """Return each panel's row and its first and last-plus-one column (wide layout)."""
        cells = []
        filled = 0
        for span in self.spans or (1,) * self.count:
            row, col = divmod(filled, self.cols)
            cells.append((row, col, col + span))
            filled += span
        return cells

    def build(self, palette: Palette, layout: Layout) -> tuple[Figure, list[Axes]]:
        """Return a figure in the theme's colours with the panels' styled axes, in order."""
        width, height = self.size(layout)
        if layout == "wide":
            rows, cols, gap, cells = self.rows, self.cols, self.gap, self._cells()
        else:
            rows, cols, gap = self.count, 1, self._narrow_gap
            cells = [(row, 0, 1) for row in range(rows)]
        top, bottom = self._margins(layout)
        figure = Figure(figsize=(width, height), facecolor=palette.background)
        axes_width = (width - self.left - self.right - self.gap * (cols - 1)) / cols
        axes_height = (height - top - bottom - gap * (rows - 1)) / rows
        grid = figure.add_gridspec(
            rows,
            cols,
            left=self.left / width,
            right=1 - self.right / width,
            bottom=bottom / height,
            top=1 - top / height,
            wspace=self.gap / axes_width,
            hspace=gap / axes_height,
        )
        axes = [figure.add_subplot(grid[row, start:stop]) for row, start, stop in cells]
        for ax in axes:
            style_axes(ax, palette)
        return figure, axes


def is_narrow(figure: Figure | SubFigure) -> bool:
    """Return whether a figure is a phone's: narrower than the wide layout."""
    root = figure.get_figure(root=True)
    return root is not None and bool(root.get_figwidth() < WIDE_WIDTH)


def legend_columns(figure: Figure | SubFigure, wide: int) -> int:
    """Return a figure legend's columns: as many as asked on a wide figure, two on a narrow."""
    return min(wide, 2) if is_narrow(figure) else wide


def fit_narrow(figure: Figure) -> None:
    """Keep a stacked figure's text within its narrow width, drawn as the wide one was.

    Titles, labels and notes break at the figure's edge (a legend on the figure asks
    legend_columns); an axes' right-hand title, which would run into its left-hand one, goes
    on a line of its own beneath it.
    """
    for text in figure.texts:
        text.set_wrap(True)
    for ax in figure.axes:
        ax.xaxis.label.set_wrap(True)
        ax.yaxis.label.set_wrap(True)
        # An axes' own Text children are its notes (ax.texts) and its three titles.
        titles = {}
        for child in ax.get_children():
            if isinstance(child, Text):
                child.set_wrap(True)
                if child not in ax.texts:
                    titles[child.get_horizontalalignment()] = child
        left, right = titles.get("left"), titles.get("right")
        if left is not None and right is not None and left.get_text() and right.get_text():
            left.set_text(f"{left.get_text()}\n{right.get_text()}")
            right.set_text("")
