"""Figures read cleanly at every parameter value, in both themes and both layouts: labels do not
run into each other, a note stays off the line it names, and a heatmap is not drawn near black.
"""

import itertools

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from app.demos import batch_norm_noise, dropout_mask, mixing_augmentations
from app.figures.layout import LAYOUTS, Layout
from app.figures.registry import demos
from app.figures.style import DARK, LIGHT, Palette
from tests.figures.test_skeleton import extreme

PALETTES = [pytest.param(LIGHT, id="light"), pytest.param(DARK, id="dark")]


def named(values: dict[str, float]) -> str:
    """Name a parametrize case by its parameter values."""
    return "-".join(f"{key}{value}" for key, value in values.items()) or "defaults"


def drawn(figure: Figure) -> Figure:
    """Lay the figure out as it is saved, so texts have their final extents."""
    FigureCanvasAgg(figure)
    figure.draw_without_rendering()
    return figure


def luminance(colour: np.ndarray) -> np.ndarray:
    """Return WCAG relative luminance of RGB rows in 0-1."""
    linear = np.where(colour <= 0.03928, colour / 12.92, ((colour + 0.055) / 1.055) ** 2.4)
    weighted: np.ndarray = linear @ np.array([0.2126, 0.7152, 0.0722])
    return weighted


def contrast(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Return WCAG contrast ratios between colours."""
    a, b = luminance(first), luminance(second)
    ratio: np.ndarray = (np.maximum(a, b) + 0.05) / (np.minimum(a, b) + 0.05)
    return ratio


MIXUP_PARAMS = [
    {},
    {"alpha": 0.1, "seed": 3},
    {"alpha": 2.0, "seed": 7},
    {"alpha": 1.0, "seed": 11, "cutout": 40},
    {"alpha": 0.4, "seed": 9999, "cutout": 4},
]


@pytest.mark.parametrize("palette", PALETTES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("values", MIXUP_PARAMS, ids=named)
def test_mixup_labels_do_not_overlap(
    values: dict[str, float], layout: Layout, palette: Palette
) -> None:
    demo = mixing_augmentations.DEMO
    data = demo.compute(demo.params(**values))
    figure = drawn(demo.figure(data, palette, layout))
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    tiles = figure.axes[0]
    texts = [text for text in tiles.texts if text.get_text()]
    labels = [text for text in texts if "cat" in text.get_text() or "dog" in text.get_text()]
    assert len(labels) == 5
    assert any("\n" in text.get_text() for text in labels)  # a mixed label is on two lines
    boxes = [text.get_window_extent(renderer) for text in texts]
    for (first, a), (second, b) in itertools.combinations(zip(texts, boxes, strict=True), 2):
        assert not a.overlaps(b), (first.get_text(), second.get_text())


BN_BATCHES = [2, 3, 16, 45, 64, 65, 181, 256]


def note_of(figure: Figure) -> Text:
    """Return the note that names the batch size on the right-hand panel."""
    notes = [text for text in figure.axes[1].texts if text.get_gid() == "batch-note"]
    assert len(notes) == 1
    return notes[0]


@pytest.mark.parametrize("palette", PALETTES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("batch", BN_BATCHES)
def test_batch_norm_note_stays_off_the_dotted_line(
    batch: int, layout: Layout, palette: Palette
) -> None:
    demo = batch_norm_noise.DEMO
    data = demo.compute(demo.params(batch=batch))
    figure = drawn(demo.figure(data, palette, layout))
    right = figure.axes[1]
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    note = note_of(figure)
    assert note.get_text() == f"B = {batch}: std {data.batch_spread:.2f}"
    patch = note.get_bbox_patch()
    assert patch is not None
    box = Bbox.union([note.get_window_extent(renderer), patch.get_window_extent(renderer)])
    dotted = [line for line in right.get_lines() if line.get_linestyle() == ":"]
    assert len(dotted) == 1
    x = right.transData.transform((np.log2(batch), 0.0))[0]
    # At least five pixels of air between the line and the note's box, which is in the axes.
    assert x < box.x0 - 5 or x > box.x1 + 5, (x, box)
    axes_box = right.get_window_extent(renderer)
    assert axes_box.x0 <= box.x0
    assert box.x1 <= axes_box.x1


DROPOUT_PARAMS = [
    {},
    {"p": 0.0, "units": 4, "batch": 1},
    {"p": 0.9, "units": 64, "batch": 32},
    {"p": 0.3, "units": 16, "batch": 4, "seed": 42},
]


@pytest.mark.parametrize("palette", PALETTES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("values", DROPOUT_PARAMS, ids=named)
def test_dropout_activations_stand_out_from_the_background(
    values: dict[str, float], layout: Layout, palette: Palette
) -> None:
    demo = dropout_mask.DEMO
    data = demo.compute(demo.params(**values))
    image = demo.figure(data, palette, layout).axes[0].images[0]
    cells = image.get_array()
    assert cells is not None
    colours = image.to_rgba(cells)[..., :3]
    lit = (data.activations > 0.0) & (data.scaled_mask > 0.0)
    assert lit.any()
    background = np.array(to_rgb(palette.background))
    ratios = contrast(colours[lit], background)
    # The activations stand apart from the background, and on the dark theme they are, on
    # average, far from black.
    assert float(np.median(ratios)) >= 2.0, ratios
    if palette is DARK:
        assert float(np.mean(luminance(colours[lit]))) >= 0.12


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("key", sorted(demos()))
def test_titles_have_nothing_above_the_axes_to_clear(key: str, layout: Layout) -> None:
    """Titles sit at a fixed height: no axes has x tick labels, a label or a y offset above it."""
    demo = demos()[key]
    for params in (demo.params(), extreme(demo, "minimum"), extreme(demo, "maximum")):
        figure = drawn(demo.figure(demo.compute(params), LIGHT, layout))
        renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
        for ax in figure.axes:
            x_axis = ax.xaxis.get_tightbbox(renderer)
            assert x_axis is None or x_axis.ymax <= ax.bbox.ymax, key
            offset = ax.yaxis.offsetText
            assert not (offset.get_visible() and offset.get_text()), (key, offset.get_text())


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("key", sorted(demos()))
def test_a_legend_stays_off_the_other_axes_and_their_titles(key: str, layout: Layout) -> None:
    """A legend placed outside its own axes (below it, say) does not run into the next panel,
    its title included: when panels stack on a phone, the gap between them has to hold it."""
    demo = demos()[key]
    for params in (demo.params(), extreme(demo, "minimum"), extreme(demo, "maximum")):
        figure = drawn(demo.figure(demo.compute(params), LIGHT, layout))
        renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
        for ax in figure.axes:
            legend = ax.get_legend()
            if legend is None:
                continue
            box = legend.get_window_extent(renderer)
            for other in figure.axes:
                if other is ax:
                    continue
                # An axes' own Text children are its notes (ax.texts) and its three titles.
                titles = [
                    child
                    for child in other.get_children()
                    if isinstance(child, Text) and child not in other.texts
                ]
                taken = [other.bbox] + [
                    title.get_window_extent(renderer) for title in titles if title.get_text()
                ]
                assert not any(box.overlaps(area) for area in taken), (key, layout, params)
