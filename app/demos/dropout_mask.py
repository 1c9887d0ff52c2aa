"""Dropout: a layer's activations, a mask with drop probability p, inverted scaling 1/(1-p)."""

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels
from app.figures.style import Palette
from app.figures.wording import about, num, pct

NEAR_ONE = 0.15  # the scaled mask's mean is said to be "about 1" within this


class Params(DemoParams):
    """Drop probability and layer size."""

    p: float = param(0.5, ge=0.0, le=0.9, step=0.05, label="Drop probability p")
    units: int = param(32, ge=4, le=64, step=4, label="Units in the layer")
    batch: int = param(8, ge=1, le=32, step=1, label="Examples in the batch")


@dataclass(frozen=True)
class Data:
    """Activations, the scaled mask, the outputs in training and at test time."""

    p: float
    activations: np.ndarray
    scaled_mask: np.ndarray
    train_output: np.ndarray
    test_output: np.ndarray
    zero_fraction: float
    mask_mean: float


def compute(params: Params) -> Data:
    """Sample an inverted-dropout mask as torch.nn.Dropout does: keep with 1-p, scale by 1/(1-p)."""
    rng = np.random.default_rng(params.seed)
    activations = np.maximum(rng.normal(0.5, 1.0, size=(params.batch, params.units)), 0.0)
    keep = rng.random(activations.shape) >= params.p
    scaled_mask = keep / (1.0 - params.p)
    return Data(
        p=params.p,
        activations=activations,
        scaled_mask=scaled_mask,
        train_output=activations * scaled_mask,
        test_output=activations.copy(),  # inverted dropout does nothing at test time
        zero_fraction=float(1.0 - keep.mean()),
        mask_mean=float(scaled_mask.mean()),
    )


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """Draw activations, the scaled mask and the training output side by side."""
    figure = axes[0].figure
    top = max(float(data.train_output.max()), 1e-9)
    panels = [
        (data.activations, "Activations h", top),
        (data.scaled_mask, f"Mask m/(1-p), p = {data.p:.2f}", max(1.0 / (1.0 - data.p), 1.0)),
        (data.train_output, "Training output h·m/(1-p)", top),
    ]
    for ax, (values, title, vmax) in zip(axes, panels, strict=True):
        # One colour scale per panel, stated in the title: colour bars would triple the axes.
        ax.imshow(values, cmap=palette.colormap, vmin=0.0, vmax=vmax, aspect="auto")
        ax.set_title(
            f"{title}\n(dark 0 … bright {vmax:.1f})", color=palette.text, fontsize=9.5, loc="left"
        )
        ax.set_xlabel("unit", fontsize=9)
        ax.grid(False)
    axes[0].set_ylabel("example", fontsize=9)
    figure.suptitle(
        f"zeroed {data.zero_fraction:.0%} of units (p = {data.p:.0%}); "
        f"mean of scaled mask {data.mask_mean:.2f}",
        color=palette.muted,
        fontsize=9.5,
    )


def summary(data: Data) -> str:
    """Say how many units were dropped and what the scaled mask averages here."""
    if about(data.mask_mean, 1.0, NEAR_ONE):
        mean = f"averages {num(data.mask_mean)} (about 1, its expected value)"
    else:
        mean = (
            f"averages {num(data.mask_mean)} over these {data.scaled_mask.size} units, not "
            "about 1: 1 is only its expected value"
        )
    return (
        f"With drop probability p = {num(data.p)}, {pct(data.zero_fraction)} of the units are "
        f"zeroed and the kept ones are scaled by 1/(1-p) = {num(1 / (1 - data.p))}, so the "
        f"scaled mask {mean}; at test time the layer passes its input unchanged."
    )


DEMO = Demo(
    id="dropout-mask",
    title="Inverted dropout mask",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    panels=Panels(cols=3, top=0.95, left=0.6, gap=0.35),
)
