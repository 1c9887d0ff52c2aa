"""Dropout vs DropConnect on one weight matrix: drop whole input units or single weights.

A layer y = W x with W of shape (outputs, inputs). Dropout on the inputs zeroes x_j, which is
the same as zeroing column j of W: every weight leaving a dropped unit goes at once. DropConnect
(Wan et al. 2013) draws an independent Bernoulli mask for every single weight instead. Both
drop with probability p; the figure shows the masked matrix W ⊙ M (before any 1/(1-p) scaling).
"""

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Normalize

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels
from app.figures.questions import Question, QuestionKind, number, sample
from app.figures.style import Palette, finish
from app.figures.wording import caption, num, pct


class Params(DemoParams):
    """Drop probability and the shape of W."""

    p: float = param(0.5, ge=0.0, le=0.9, step=0.05, label="Drop probability p")
    inputs: int = param(12, ge=4, le=24, step=1, label="Input units (columns of W)")
    outputs: int = param(8, ge=4, le=16, step=1, label="Output units (rows of W)")


@dataclass(frozen=True)
class Data:
    """The weights, both masks (1 = kept) and the masked weights."""

    p: float
    weights: np.ndarray
    dropout_mask: np.ndarray
    dropconnect_mask: np.ndarray
    dropout_weights: np.ndarray
    dropconnect_weights: np.ndarray
    dropout_zero_rate: float
    dropconnect_zero_rate: float
    dropped_units: int
    mixed_columns: int


def compute(params: Params) -> Data:
    """Draw W, a per-input-unit dropout mask and a per-weight DropConnect mask."""
    rng = np.random.default_rng(params.seed)
    shape = (params.outputs, params.inputs)
    weights = rng.normal(0.0, 1.0 / np.sqrt(params.inputs), size=shape)
    unit_kept = rng.random(params.inputs) >= params.p
    dropout_mask = np.broadcast_to(unit_kept, shape).astype(float)
    dropconnect_mask = (rng.random(shape) >= params.p).astype(float)
    column_kept = dropconnect_mask.sum(axis=0)
    return Data(
        p=params.p,
        weights=weights,
        dropout_mask=dropout_mask,
        dropconnect_mask=dropconnect_mask,
        dropout_weights=weights * dropout_mask,
        dropconnect_weights=weights * dropconnect_mask,
        dropout_zero_rate=float(1.0 - dropout_mask.mean()),
        dropconnect_zero_rate=float(1.0 - dropconnect_mask.mean()),
        dropped_units=int(np.sum(~unit_kept)),
        mixed_columns=int(np.sum((column_kept > 0) & (column_kept < params.outputs))),
    )


def _draw_matrix(
    ax: Axes, weights: np.ndarray, mask: np.ndarray, norm: Normalize, palette: Palette
) -> None:
    """Draw kept weights in the colormap, dropped ones as empty cells with a cross."""
    rows, cols = weights.shape
    image = np.ma.masked_where(mask == 0.0, weights)
    ax.imshow(
        image,
        cmap=palette.colormap,
        norm=norm,
        aspect="auto",
        interpolation="nearest",
        extent=(-0.5, cols - 0.5, rows - 0.5, -0.5),
    )
    ax.set_facecolor(palette.surface)
    dropped_rows, dropped_cols = np.nonzero(mask == 0.0)
    ax.scatter(
        dropped_cols,
        dropped_rows,
        marker="x",
        s=22.0 * min(1.0, 12.0 / cols, 8.0 / rows) ** 0.7,
        linewidths=1.2,
        color=palette.bad,
        label="dropped weight",
    )
    # Thin cell borders in the background colour make the matrix read as a grid.
    ax.grid(False)
    ax.vlines(np.arange(cols + 1) - 0.5, -0.5, rows - 0.5, color=palette.background, lw=1.0)
    ax.hlines(np.arange(rows + 1) - 0.5, -0.5, cols - 0.5, color=palette.background, lw=1.0)
    ax.set_xlim(-0.5, cols - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    step = 1 if cols <= 12 else 2
    ax.set_xticks(np.arange(0, cols, step))
    ax.set_yticks(np.arange(0, rows, 1 if rows <= 8 else 2))


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """Draw the masked W for dropout (left) and DropConnect (right) side by side."""
    figure = axes[0].figure
    top = float(np.abs(data.weights).max())
    # Start the colormap a third of the way in so no kept weight looks like an empty cell.
    norm = Normalize(vmin=-2.0 * top, vmax=top)
    rows, cols = data.weights.shape
    _draw_matrix(axes[0], data.dropout_weights, data.dropout_mask, norm, palette)
    finish(
        axes[0],
        palette,
        title=f"Dropout: {data.dropped_units}/{cols} units → {data.dropout_zero_rate:.0%} zeroed",
        xlabel="input unit j (column)",
        ylabel="output unit i (row)",
        legend=False,
    )
    _draw_matrix(axes[1], data.dropconnect_weights, data.dropconnect_mask, norm, palette)
    finish(
        axes[1],
        palette,
        title=f"DropConnect: {data.dropconnect_zero_rate:.0%} of weights zeroed",
        xlabel="input unit j (column)",
        ylabel="",
        legend=False,
    )
    figure.suptitle(
        f"W ⊙ M for the same W ({rows}×{cols}), p = {data.p:.2f}; colour = weight, × = dropped",
        color=palette.muted,
        fontsize=9.5,
    )


def summary(data: Data) -> str:
    """Lead with one short sentence of what the figure shows, then the numbers."""
    return caption(
        "Dropout zeroes whole input units, columns of W; DropConnect zeroes single weights.",
        details(data),
    )


def details(data: Data) -> str:
    """Say how many weights each scheme zeroed and how."""
    cols = data.weights.shape[1]
    if data.dropped_units:
        dropout = (
            f"dropout dropped {data.dropped_units} of {cols} input units, zeroing whole columns "
            f"of W ({pct(data.dropout_zero_rate)} of weights)"
        )
    else:
        dropout = f"dropout dropped none of the {cols} input units (0% of weights)"
    return (
        f"With p = {num(data.p)}, {dropout}; DropConnect zeroed "
        f"{pct(data.dropconnect_zero_rate)} of the weights one by one, leaving "
        f"{data.mixed_columns} of {cols} columns partly kept."
    )


def _zeros_variant(rng: np.random.Generator) -> Params:
    # Redraw until dropout drops some units but not all: with none (or every one) dropped the
    # count asks nothing about how dropout lays its zeros out.
    while True:
        params = sample(Params, rng, ranges={"p": (0.2, 0.8)})
        if 0 < compute(params).dropped_units < params.inputs:
            return params


def _ask_dropout_zeros(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask how many weights dropout zeroes: a whole column of W for each dropped input unit."""
    rows, cols = data.weights.shape
    zeros = int(np.sum(data.dropout_mask == 0.0))
    return number(
        f"W has {rows} output rows and {cols} input columns. Dropout on the layer's inputs "
        f"drops {data.dropped_units} of the {cols} input units. How many entries of W ⊙ M are "
        "zeroed?",
        zeros,
        0,
        f"Each dropped input unit takes its whole column of {rows} weights with it, so "
        f"{data.dropped_units} × {rows} = {zeros} weights are zeroed: the crossed columns of the "
        "dropout panel.",
        unit="weights",
    )


SHARE_TOLERANCE = 10.0  # percentage points: about 3 standard errors of the share at 192 weights


def _share_variant(rng: np.random.Generator) -> Params:
    # p away from 0.5 so that the keep rate 1-p is a wrong answer; a large W so that this
    # draw's share lies close to p.
    p = (0.1, 0.3) if rng.random() < 0.5 else (0.7, 0.9)
    return sample(Params, rng, ranges={"p": p, "inputs": (16, 24), "outputs": (12, 16)})


def _ask_dropconnect_share(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask what share of the weights DropConnect zeroes: each one on its own with probability p."""
    rows, cols = data.weights.shape
    share = 100.0 * data.dropconnect_zero_rate
    return number(
        f"DropConnect with drop probability p = {num(data.p)} masks each of the {rows} × {cols} "
        f"= {rows * cols} weights of W on its own. What percentage of the weights does one "
        "mask zero?",
        share,
        SHARE_TOLERANCE,
        f"This mask zeroes {pct(data.dropconnect_zero_rate)} of the weights, each dropped on "
        f"its own with probability p = {num(data.p)}, so the share scatters around "
        f"{pct(data.p)}: the crosses spread over the DropConnect panel.",
        unit="%",
    )


QUESTIONS: tuple[QuestionKind[Params, Data], ...] = (
    QuestionKind("dropout-zeros", _zeros_variant, _ask_dropout_zeros),
    QuestionKind("dropconnect-share", _share_variant, _ask_dropconnect_share),
)


DEMO = Demo(
    id="dropconnect",
    title="Dropout vs DropConnect",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    panels=Panels(cols=2, top=0.7, narrow_top=0.95),
    questions=QUESTIONS,
)
