"""Encode a matplotlib figure as PNG or SVG bytes with Agg (never pyplot's global state)."""

import io
from typing import Any, Literal

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from PIL import Image

Format = Literal["png", "svg"]
DPI = 100
# zlib's level for PNGs: at 3 a figure compresses in about half the time of the default (6)
# and is about 8% larger; at 1 it is no faster.
PNG_LEVEL = 3


def encode(
    figure: Figure,
    fmt: Format = "png",
    *,
    dpi: float = DPI,
    transparent: bool = False,
    tight: bool = False,
) -> bytes:
    """Return the figure's bytes: on its own background, or none when transparent.

    tight: crop to what is drawn, for a figure without fixed margins.
    """
    # A figure drawn before keeps its Agg canvas, and the renderer with its text metrics.
    if fmt == "png" and not isinstance(figure.canvas, FigureCanvasAgg):
        FigureCanvasAgg(figure)
    if fmt == "png" and not transparent and not tight and _opaque(figure):
        return _rgb_png(figure, dpi)
    # An SVG without its date is the same bytes for the same figure, so its ETag holds.
    extra: dict[str, Any] = (
        {"metadata": {"Date": None}}
        if fmt == "svg"
        else {"pil_kwargs": {"compress_level": PNG_LEVEL}}
    )
    buffer = io.BytesIO()
    figure.savefig(
        buffer,
        format=fmt,
        dpi=dpi,
        transparent=transparent,
        bbox_inches="tight" if tight else None,
        **extra,
    )
    return buffer.getvalue()


def _opaque(figure: Figure) -> bool:
    """Return whether the figure's background is opaque, so that every pixel drawn is."""
    return to_rgba(figure.get_facecolor())[3] == 1.0


def _rgb_png(figure: Figure, dpi: float) -> bytes:
    """Return an opaque figure as an RGB PNG: its alpha, 255 throughout, is not compressed."""
    figure.savefig(io.BytesIO(), format="raw", dpi=dpi)  # draws on the canvas at this dpi
    pixels = figure.canvas.buffer_rgba()  # type: ignore[attr-defined]  # (height, width, 4)
    height, width = pixels.shape[:2]
    image = Image.frombuffer("RGBA", (width, height), pixels, "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="png", compress_level=PNG_LEVEL, dpi=(dpi, dpi))
    return buffer.getvalue()
