"""PNGs of opaque figures are RGB with the pixels Agg drew; transparent ones keep their alpha."""

import io

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from app.figures.encode import DPI, encode
from app.figures.registry import demos
from app.figures.style import DARK, LIGHT, Palette


def drawn_pixels(figure: Figure, dpi: float) -> np.ndarray:
    """Return the RGBA pixels matplotlib's own PNG writer gives for the figure at this dpi."""
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_figure(buffer, format="png", dpi=dpi)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())))


@pytest.mark.parametrize("palette", [LIGHT, DARK], ids=["light", "dark"])
@pytest.mark.parametrize("scale", [1, 2])
def test_an_opaque_figure_is_an_rgb_png_of_its_pixels(palette: Palette, scale: int) -> None:
    demo = demos()["dropout-mask"]
    figure = demo.figure(demo.compute(demo.params()), palette)
    image = Image.open(io.BytesIO(encode(figure, dpi=DPI * scale)))
    assert image.format == "PNG"
    assert image.mode == "RGB"
    width, height = demo.figsize
    assert image.size == (round(width * DPI * scale), round(height * DPI * scale))
    assert image.info["dpi"] == pytest.approx((DPI * scale, DPI * scale), rel=1e-4)
    expected = drawn_pixels(figure, DPI * scale)
    assert np.all(expected[..., 3] == 255)
    np.testing.assert_array_equal(np.asarray(image), expected[..., :3])


def test_a_transparent_figure_keeps_its_alpha() -> None:
    figure = Figure(figsize=(2, 1), facecolor="none")
    figure.add_subplot().plot([0, 1])
    image = Image.open(io.BytesIO(encode(figure, transparent=True)))
    assert image.mode == "RGBA"
    assert np.asarray(image)[0, 0, 3] == 0
