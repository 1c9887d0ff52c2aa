"""Layouts: a grid of panels declared once, built wide as declared or narrow in one column."""

import pytest
from matplotlib.figure import Figure

from app.figures.layout import (
    NARROW_GAP,
    NARROW_WIDTH,
    WIDE_HEIGHT,
    WIDE_WIDTH,
    Panels,
    fit_narrow,
    is_narrow,
    legend_columns,
)
from app.figures.style import DARK, LIGHT


def test_wide_is_the_declared_grid_at_the_one_wide_size() -> None:
    panels = Panels(cols=3)
    figure, axes = panels.build(LIGHT, "wide")
    assert tuple(figure.get_size_inches()) == (WIDE_WIDTH, WIDE_HEIGHT)
    assert figure.get_facecolor()[:3] == (1.0, 1.0, 1.0)
    lefts = [ax.get_position().x0 for ax in axes]
    assert lefts == sorted(lefts)
    assert len({round(ax.get_position().y0, 9) for ax in axes}) == 1


def test_a_panel_may_span_columns() -> None:
    panels = Panels(cols=2, rows=2, spans=(1, 1, 2), height=7.0)
    figure, (first, second, below) = panels.build(DARK, "wide")
    assert panels.count == 3
    assert tuple(figure.get_size_inches()) == (WIDE_WIDTH, 7.0)
    assert below.get_position().x0 == pytest.approx(first.get_position().x0)
    assert below.get_position().x1 == pytest.approx(second.get_position().x1)
    assert below.get_position().y1 < first.get_position().y0


@pytest.mark.parametrize(
    ("cols", "rows", "spans"), [(2, 1, (1, 2)), (2, 2, (1, 2, 1)), (2, 2, (1, 1)), (2, 1, (0, 2))]
)
def test_spans_must_fill_the_grid_row_by_row(cols: int, rows: int, spans: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="span"):
        Panels(cols=cols, rows=rows, spans=spans)


def test_narrow_stacks_the_same_panels_in_one_column_taller() -> None:
    panels = Panels(cols=2, rows=2, spans=(1, 1, 2), height=7.0, top=0.75, narrow_top=1.2)
    width, height = panels.size("narrow")
    assert width == NARROW_WIDTH
    assert height == pytest.approx(1.2 + 0.6 + 3 * panels.narrow_row + 2 * NARROW_GAP)
    figure, axes = panels.build(LIGHT, "narrow")
    assert len(axes) == 3
    assert len({round(ax.get_position().x0, 9) for ax in axes}) == 1
    tops = [ax.get_position().y1 for ax in axes]
    assert tops == sorted(tops, reverse=True)
    assert is_narrow(figure)
    assert legend_columns(figure, 5) == 2
    wide, _ = Panels().build(LIGHT, "wide")
    assert not is_narrow(wide)
    assert legend_columns(wide, 5) == 5


def test_fit_narrow_wraps_text_and_puts_a_right_title_under_the_left() -> None:
    figure = Figure(figsize=(NARROW_WIDTH, 4.0))
    ax = figure.add_subplot()
    ax.set_title("Batch Norm", loc="left")
    ax.set_title("x 2.56 over 16", loc="right")
    ax.set_xlabel("a long label")
    note = ax.text(0.5, 0.5, "a note")
    title = figure.suptitle("a figure-wide title")
    fit_narrow(figure)
    assert ax.get_title(loc="left") == "Batch Norm\nx 2.56 over 16"
    assert ax.get_title(loc="right") == ""
    assert note.get_wrap()
    assert title.get_wrap()
    assert ax.xaxis.label.get_wrap()
