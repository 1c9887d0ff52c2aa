"""Dropout: one mask with drop probability p, and the mean over many masks returning to h.

A layer's ReLU activations h (examples x units) are multiplied by an inverted-dropout mask
m/(1-p), as torch.nn.Dropout does in training: each unit is kept with probability 1-p and then
scaled by 1/(1-p), so E[h m/(1-p)] = h and nothing changes at test time. The figure marks the
units the mask drops apart from those ReLU had already set to 0, and follows the running mean
of h m/(1-p) over k = 1..1000 independent masks as it closes in on h; its relative gap has
standard error sqrt(p/(1-p)/k) for every active unit, so it shrinks like 1/sqrt(k).
"""

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels
from app.figures.questions import Question, QuestionKind, choice, number, sample
from app.figures.style import Palette
from app.figures.wording import caption, num, pct

CHECKPOINTS = (1, 10, 100, 1000)  # the whole layer's mean is kept after this many masks
MASKS = CHECKPOINTS[-1]
TRACED = (1.0, 0.5, 0.15)  # the quantiles of the active activations whose running mean is drawn
# Series colours for the traced units: the third series is the warning colour that marks drops.
TRACE_COLOURS = (0, 1, 3)
SPREAD = 2.0  # the band around h spans this many standard errors either side


class Params(DemoParams):
    """Drop probability and layer size."""

    p: float = param(0.5, ge=0.0, le=0.9, step=0.05, label="Drop probability p")
    units: int = param(32, ge=4, le=64, step=4, label="Units in the layer")
    batch: int = param(8, ge=1, le=32, step=1, label="Examples in the batch")


@dataclass(frozen=True)
class Data:
    """One mask's training output, and the means of h·m/(1-p) over k masks."""

    p: float
    activations: np.ndarray  # (batch, units) ReLU outputs h, some exactly 0
    scaled_mask: np.ndarray  # (batch, units) the first mask m/(1-p): 0 or 1/(1-p)
    train_output: np.ndarray  # h·m/(1-p) under that mask
    test_output: np.ndarray  # h: inverted dropout is the identity at test time
    zero_fraction: float  # share of the activations the first mask drops
    mask_mean: float
    relu_zero_fraction: float  # share of h that is 0 before any mask
    checkpoints: tuple[int, ...]  # k = 1, 10, ..., K: mask 1 is the one drawn
    checkpoint_means: np.ndarray  # (len(checkpoints), batch, units) mean of h·m/(1-p) over k masks
    mean_output: np.ndarray  # (batch, units) the mean over all K masks
    traced: tuple[tuple[int, int], ...]  # (example, unit) of the units whose running mean is drawn
    running_mean: np.ndarray  # (len(traced), K) mean over masks 1..k for k = 1..K


def compute(params: Params) -> Data:
    """Sample K inverted-dropout masks as torch.nn.Dropout does: keep with 1-p, scale by 1/(1-p)."""
    rng = np.random.default_rng(params.seed)
    p = params.p
    activations = np.maximum(rng.normal(0.5, 1.0, size=(params.batch, params.units)), 0.0)
    keep = rng.random(activations.shape) >= p
    scaled_mask = keep / (1.0 - p)
    # Later masks only matter through how often each unit is kept: a binomial count between
    # checkpoints has the same law as summing the Bernoulli draws, at a fraction of the cost.
    kept = [keep.astype(np.int64)]
    for done, upto in pairwise(CHECKPOINTS):
        kept.append(kept[-1] + rng.binomial(upto - done, 1.0 - p, size=activations.shape))
    counts = np.stack(kept)

    active = np.flatnonzero(activations > 0.0)
    if active.size:
        ranked = active[np.argsort(activations.flat[active], kind="stable")]
        picks = np.round(np.asarray(TRACED) * (ranked.size - 1)).astype(int)
        cells = list(dict.fromkeys(int(ranked[i]) for i in picks))
    else:
        cells = [0]
    # The drawn units follow mask by mask; their counts replace the binomial ones to agree.
    rows, cols = np.unravel_index(np.asarray(cells), activations.shape)
    later = rng.random((MASKS - 1, len(cells))) >= p
    running_kept = np.cumsum(np.vstack([keep[rows, cols][None, :], later]), axis=0)
    counts[:, rows, cols] = running_kept[np.asarray(CHECKPOINTS) - 1]
    k = np.arange(1, MASKS + 1)[:, None]
    running = (running_kept / (k * (1.0 - p)) * activations[rows, cols]).T
    # Dividing the count by k(1-p) first gives exactly 1, so exactly h, when p = 0.
    ks = np.asarray(CHECKPOINTS)[:, None, None]
    means = activations * (counts / (ks * (1.0 - p)))

    return Data(
        p=p,
        activations=activations,
        scaled_mask=scaled_mask,
        train_output=activations * scaled_mask,
        test_output=activations.copy(),  # inverted dropout does nothing at test time
        zero_fraction=float(1.0 - keep.mean()),
        mask_mean=float(scaled_mask.mean()),
        relu_zero_fraction=float(np.mean(activations == 0.0)),
        checkpoints=CHECKPOINTS,
        checkpoint_means=means,
        mean_output=means[-1],
        traced=tuple((int(r), int(c)) for r, c in zip(rows, cols, strict=True)),
        running_mean=running,
    )


def relative_gaps(data: Data) -> np.ndarray:
    """Return (mean over k masks)/h - 1 for each checkpoint k (rows) and active unit (columns)."""
    active = data.activations > 0.0
    return np.asarray(data.checkpoint_means[:, active] / data.activations[active] - 1.0)


def standard_error(p: float, k: int) -> float:
    """Return the standard deviation of (mean over k masks)/h - 1 for an active unit."""
    return float(np.sqrt(p / (1.0 - p) / k))


# The activations' ramp after 0 in each theme: from a colour well off the background (so small
# activations do not read as black on the dark theme) to the far end of the accent's hue.
RAMPS = {"light": ("#c7c9fb", "#2e2799"), "dark": ("#4e4ab8", "#e2e0ff")}


def activation_ramp(palette: Palette) -> LinearSegmentedColormap:
    """Return h's colour ramp: 0 in the grid's colour, then lit from the first positive values."""
    low, high = RAMPS.get(palette.name, (palette.grid, palette.accent))
    return LinearSegmentedColormap.from_list("h", [(0.0, palette.grid), (0.02, low), (1.0, high)])


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """Draw h with this mask's dropped units marked, and running means over k masks closing on h."""
    left, right = axes
    top = max(float(data.activations.max()), 1e-9)

    # A ramp of one hue for h, and the warning colour (absent from it) for dropped units, so a
    # dropout zero never looks like a ReLU zero.
    ramp = activation_ramp(palette)
    dropped = np.ma.masked_array(data.activations, mask=data.scaled_mask == 0.0)
    left.imshow(
        dropped,
        cmap=ramp.with_extremes(bad=palette.warn),
        vmin=0.0,
        vmax=top,
        aspect="auto",
        interpolation="nearest",
    )
    low, high = ("dark", "bright") if palette.name == "dark" else ("pale", "deep")
    left.set_title(
        f"Activations h ({low} 0 … {high} {top:.1f})\nand one mask with p = {data.p:.2f}",
        color=palette.text,
        fontsize=9.5,
        loc="left",
    )
    left.set_xlabel("unit", fontsize=9)
    left.set_ylabel("example", fontsize=9)
    left.grid(False)
    left.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True, min_n_ticks=1))
    left.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True, min_n_ticks=1))
    left.legend(
        handles=[
            Patch(color=palette.warn, label=f"dropped ({data.zero_fraction:.0%})"),
            Patch(
                facecolor=palette.grid,
                edgecolor=palette.muted,
                label=f"0 before dropout ({data.relu_zero_fraction:.0%})",
            ),
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncol=2,
        fontsize=8.5,
        facecolor=palette.surface,
        edgecolor=palette.grid,
        labelcolor=palette.text,
        handlelength=1.0,
        columnspacing=1.0,
    )

    k = np.arange(1, data.running_mean.shape[1] + 1)
    spread = SPREAD * standard_error(data.p, 1) / np.sqrt(k)
    highest = 0.0
    for index, (row, col) in enumerate(data.traced):
        h = float(data.activations[row, col])
        highest = max(highest, h)
        colour = palette.series[TRACE_COLOURS[index]]
        right.fill_between(k, h * (1 - spread), h * (1 + spread), color=colour, alpha=0.13, lw=0)
        right.axhline(h, color=colour, lw=1.0, ls="--")
        right.plot(
            k, data.running_mean[index], color=colour, lw=1.4, label=f"{index + 1}: h = {h:.2f}"
        )
        left.plot(col, row, "o", ms=7, mfc="none", mec=palette.text, mew=1.3)
        left.annotate(
            str(index + 1),
            (col, row),
            xytext=(5, 4),
            textcoords="offset points",
            color=palette.text,
            fontsize=8.5,
        )
    right.set_xscale("log")
    right.set_xlim(1, data.checkpoints[-1])
    right.set_ylim(0.0, 2.0 * highest if highest > 0 else 1.0)
    right.xaxis.set_minor_locator(NullLocator())
    right.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    right.set_title(
        f"Mean of h·m/(1-p) over k masks → h\n(band: h ± {SPREAD:g} standard errors)",
        color=palette.text,
        fontsize=9.5,
        loc="left",
    )
    right.set_xlabel("masks averaged k", fontsize=9)
    right.set_ylabel("output of the marked units", fontsize=9)
    right.legend(
        loc="upper right",
        fontsize=8.5,
        facecolor=palette.surface,
        edgecolor=palette.grid,
        labelcolor=palette.text,
    )


def summary(data: Data) -> str:
    """Lead with one short sentence of what the figure shows, then the numbers."""
    return caption(
        "Dropout zeroes each activation with probability p "
        "and scales the rest by 1/(1-p), so its expected value is unchanged.",
        details(data),
    )


def details(data: Data) -> str:
    """Say what this mask drops, and how close the mean over k masks comes to h."""
    n = data.activations.size
    relu = (
        f"apart from the {pct(data.relu_zero_fraction)} that ReLU had already set to 0"
        if data.relu_zero_fraction > 0
        else "none of which ReLU had set to 0"
    )
    first = (
        f"With drop probability p = {num(data.p)}, this mask drops {pct(data.zero_fraction)} "
        f"of the {n} activations (marked), {relu}, and scales the kept ones by 1/(1-p) = "
        f"{num(1 / (1 - data.p))}"
    )
    after = "At test time the layer passes h unchanged."
    gaps = relative_gaps(data)
    if gaps.shape[1] == 0:
        return f"{first}; every activation is already 0 here, so every output is 0. {after}"
    h, masks = data.activations, data.checkpoints[-1]
    if np.array_equal(data.train_output, h) and np.array_equal(data.mean_output, h):
        # Always so at p = 0; also when p is so small that 1/(1-p) rounds to 1 and nothing drops.
        return (
            f"{first}, so this mask's output and its mean over {masks} masks both equal h "
            f"exactly. {after}"
        )
    rms = [pct(float(np.sqrt(np.mean(row**2))), 1) for row in gaps]
    after_k = [f"{value} after {k}" for value, k in zip(rms, data.checkpoints, strict=True)]
    listed = f"{', '.join(after_k[:-1])} and {after_k[-1]}".replace(" after 1,", " after 1 mask,")
    error = standard_error(data.p, masks)
    # A p near the smallest float leaves a standard error that underflows to 0: no ratio then.
    spread = (
        f", against a standard error sqrt(p/(1-p)/k) of {pct(error, 1)} at k = {masks}; the "
        f"farthest unit ends {num(float(np.max(np.abs(gaps[-1]))) / error, 1)} standard "
        "errors from h"
        if error > 0.0
        else ""
    )
    return (
        f"{first}. Averaged over k masks the output tends to h, its expected value: over the "
        f"active units the root-mean-square gap from h is {listed}{spread}. {after}"
    )


def _kept_scale_variant(rng: np.random.Generator) -> Params:
    return sample(Params, rng, ranges={"p": (0.1, 0.9)})


def _ask_kept_scale(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask what a kept activation is multiplied by in training: the mask's nonzero value."""
    scale = float(data.scaled_mask.max())
    return number(
        f"With drop probability p = {num(data.p)}, what is a kept activation multiplied by in "
        "training (inverted dropout)?",
        scale,
        0.01,
        f"Kept units are scaled by 1/(1-p) = {num(scale)} so that the expected output stays h; "
        "the mask panel shows that value wherever a unit is kept.",
        unit="times",
    )


def _mean_variant(rng: np.random.Generator) -> Params:
    return sample(Params, rng, ranges={"p": (0.2, 0.6)})


def _ask_mean_over_masks(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask where the mean over many masks of one unit's output ends: at h, its expectation."""
    row, col = data.traced[0]
    h = float(data.activations[row, col])
    mean = float(data.running_mean[0, -1])
    masks = data.checkpoints[-1]
    p = data.p
    return choice(
        f"A unit has activation h = {num(h)}. With p = {num(p)}, its training output "
        f"h·m/(1-p) is averaged over {masks} independent masks. Which value is the average "
        "closest to?",
        num(h),
        # Only values farther from the computed average than h itself: h is the closest.
        [
            num(value)
            for value in (h * (1 - p), h / (1 - p), h * p, 0.0)
            if abs(value - mean) > abs(h - mean)
        ],
        rng,
        f"The average over {masks} masks is {num(mean)}, close to h = {num(h)}: inverted "
        "dropout keeps the expected activation, which the running mean (unit 1) closes in on.",
    )


QUESTIONS: tuple[QuestionKind[Params, Data], ...] = (
    QuestionKind("kept-scale", _kept_scale_variant, _ask_kept_scale),
    QuestionKind("mean-over-masks", _mean_variant, _ask_mean_over_masks),
)


DEMO = Demo(
    id="dropout-mask",
    title="Inverted dropout mask",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    # Stacked, the next panel's title sits below the mask's legend.
    panels=Panels(cols=2, top=0.75, bottom=0.95, gap=0.75, narrow_gap=1.3),
    questions=QUESTIONS,
)
