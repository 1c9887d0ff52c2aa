"""Batch, Layer, Instance and Group Norm: which elements of an (N, C, H·W) tensor share statistics.

As in Wu & He (2018), Figure 2: every method computes (x - mean) / sqrt(var + eps) with the
biased variance, but over different sets of elements. BatchNorm: per channel, over (N, H·W);
LayerNorm: per sample, over (C, H·W); InstanceNorm: per (sample, channel), over H·W;
GroupNorm: per (sample, group of C/G channels), over (C/G, H·W). The tensor is unrolled as N
rows by C blocks of H·W cells; the set that one element (the dot) is normalized with is lit up.
"""

from dataclasses import dataclass

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import Normalize, to_rgb
from matplotlib.patches import Rectangle

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels
from app.figures.questions import Question, QuestionKind, choice, sample
from app.figures.style import Palette
from app.figures.wording import caption, num

EPS = 1e-5
METHODS = ("Batch Norm", "Layer Norm", "Instance Norm", "Group Norm")
OVER = ("per channel: over N, H·W", "per sample: over C, H·W", "per sample & channel: over H·W")


class Params(DemoParams):
    """Tensor shape (C = groups × channels per group) and GroupNorm's number of groups."""

    samples: int = param(4, ge=2, le=8, step=1, label="Samples N")
    groups: int = param(2, ge=1, le=4, step=1, label="Groups G (Group Norm)")
    channels_per_group: int = param(3, ge=1, le=3, step=1, label="Channels per group C/G")
    positions: int = param(4, ge=2, le=6, step=1, label="Spatial positions H·W")


@dataclass(frozen=True)
class Data:
    """The tensor, its four normalizations, and the set each one uses for one element."""

    x: np.ndarray  # (N, C, HW)
    normalized: np.ndarray  # (4, N, C, HW): BN, LN, IN, GN
    members: np.ndarray  # (4, N, C, HW) bool: elements sharing statistics with the element
    element: np.ndarray  # (n, c, hw) of the highlighted element
    groups: int
    means: np.ndarray  # (4,) the mean each method subtracts from the element
    stds: np.ndarray  # (4,) sqrt(var + eps) it divides by
    counts: np.ndarray  # (4,) how many elements share those statistics
    values: np.ndarray  # (4,) the element's normalized value


def normalize(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """(x - mean) / sqrt(var + eps) over the given axes, with the biased variance."""
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    normalized: np.ndarray = (x - mean) / np.sqrt(var + EPS)
    return normalized


def group_norm(x: np.ndarray, groups: int) -> np.ndarray:
    """GroupNorm: split C into groups of C/G channels; normalize each (sample, group)."""
    n, c, hw = x.shape
    grouped = normalize(x.reshape(n, groups, c // groups, hw), (2, 3))
    return grouped.reshape(n, c, hw)


def compute(params: Params) -> Data:
    """Draw a tensor with per-sample and per-channel offsets and normalize it four ways."""
    rng = np.random.default_rng(params.seed)
    n, g, hw = params.samples, params.groups, params.positions
    c = g * params.channels_per_group
    sample_shift = rng.normal(0.0, 1.0, size=(n, 1, 1))
    channel_shift = rng.normal(0.0, 2.0, size=(1, c, 1))
    channel_scale = rng.uniform(0.5, 2.0, size=(1, c, 1))
    x = sample_shift + channel_shift + channel_scale * rng.standard_normal((n, c, hw))
    normalized = np.stack(
        [
            normalize(x, (0, 2)),  # BatchNorm
            normalize(x, (1, 2)),  # LayerNorm
            normalize(x, (2,)),  # InstanceNorm
            group_norm(x, g),  # GroupNorm
        ]
    )
    element = np.array([n // 2, c // 2, hw // 2])
    en, ec, _ = element
    sample = np.arange(n)[:, None, None]
    channel = np.arange(c)[None, :, None]
    full = np.ones((n, c, hw), dtype=bool)
    members = np.stack(
        [
            full & (channel == ec),
            full & (sample == en),
            full & (sample == en) & (channel == ec),
            full
            & (sample == en)
            & (channel // params.channels_per_group == ec // params.channels_per_group),
        ]
    )
    means = np.array([x[member].mean() for member in members])
    stds = np.sqrt(np.array([x[member].var() for member in members]) + EPS)
    return Data(
        x=x,
        normalized=normalized,
        members=members,
        element=element,
        groups=g,
        means=means,
        stds=stds,
        counts=members.reshape(4, -1).sum(axis=1),
        values=normalized[:, en, ec, element[2]],
    )


def _panel(ax: Axes, index: int, data: Data, palette: Palette, norm: Normalize, last: bool) -> None:
    n, c, hw = data.x.shape
    # Skip the darkest 15% of the colormap so no lit cell looks like the background.
    shade = 0.15 + 0.85 * norm(data.normalized[index].reshape(n, c * hw))
    rgba = colormaps[palette.colormap](shade)
    background = np.array(to_rgb(palette.background))
    outside = ~data.members[index].reshape(n, c * hw)
    rgba[outside, :3] = 0.25 * rgba[outside, :3] + 0.75 * background
    ax.imshow(rgba, aspect="auto", interpolation="nearest", extent=(0, c * hw, n, 0))
    ax.grid(False)
    ax.vlines(np.arange(1, c * hw), 0, n, color=palette.background, lw=0.6)
    ax.vlines(np.arange(hw, c * hw, hw), 0, n, color=palette.background, lw=2.5)
    ax.hlines(np.arange(1, n), 0, c * hw, color=palette.background, lw=1.5)
    rows, cols = np.nonzero(data.members[index].reshape(n, c * hw))
    ax.add_patch(
        Rectangle(
            (cols.min(), rows.min()),
            cols.max() - cols.min() + 1,
            rows.max() - rows.min() + 1,
            fill=False,
            edgecolor=palette.text,
            lw=2.0,
            zorder=3,
        )
    )
    en, ec, ek = data.element
    ax.plot(
        ec * hw + ek + 0.5,
        en + 0.5,
        "o",
        ms=7,
        mfc=palette.background,
        mec=palette.text,
        mew=1.5,
        zorder=4,
    )
    ax.set_xlim(0, c * hw)
    ax.set_ylim(n, 0)
    ax.set_xticks(np.arange(c) * hw + hw / 2, [f"c{j}" for j in range(c)])
    ax.set_yticks(np.arange(n) + 0.5, [f"n{i}" if n <= 4 or i % 2 == 0 else "" for i in range(n)])
    ax.tick_params(length=0)
    over = OVER[index] if index < 3 else _group_title(data.groups, c // data.groups)
    ax.set_title(f"{METHODS[index]} · {over}", fontsize=10, loc="left", color=palette.text)
    ax.set_title(
        f"x {data.x[en, ec, ek]:.2f} → x̂ {data.values[index]:+.2f} · "
        f"μ {data.means[index]:.2f}, σ {data.stds[index]:.2f} over {data.counts[index]}",
        fontsize=9,
        loc="right",
        color=palette.muted,
    )
    ax.set_ylabel("sample", fontsize=9)
    if last:
        ax.set_xlabel(
            f"channel c (each block: H·W = {hw} positions) · colour = normalized value x̂",
            fontsize=9.5,
        )
    else:
        ax.tick_params(labelbottom=False)


def _group_title(groups: int, size: int) -> str:
    """Describe GroupNorm's sets, and say when it coincides with LayerNorm or InstanceNorm."""
    title = f"G = {groups}: over C/G = {size} channel{'s' if size > 1 else ''}, H·W"
    same = [name for name, equal in (("LN", groups == 1), ("IN", size == 1)) if equal]
    return f"{title} (= {' = '.join(same)})" if same else title


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """Four stacked panels, one per method, each the unrolled tensor with the set lit up."""
    norm = Normalize(vmin=-2.5, vmax=2.5)
    for index, ax in enumerate(axes):
        _panel(ax, index, data, palette, norm, last=index == 3)


def summary(data: Data) -> str:
    """Lead with one short sentence of what the figure shows, then the numbers."""
    return caption(
        "Batch, Layer, Instance and Group Norm normalize "
        "the same element over different sets of elements.",
        details(data),
    )


def details(data: Data) -> str:
    """Give the highlighted element's normalized value and its set's variance under each method."""
    n, c, hw = data.element
    parts = ", ".join(
        f"{name} {value:+.2f} (over {count})"
        for name, value, count in zip(METHODS, data.values, data.counts, strict=True)
    )
    # The variance after normalizing is var / (var + eps): 1 unless eps rivals a set's spread.
    variances = [float(data.normalized[k][data.members[k]].var()) for k in range(len(METHODS))]
    below = [
        f"{name} {num(variance)}"
        for name, variance in zip(METHODS, variances, strict=True)
        if num(variance) != num(1.0)
    ]
    if below:
        spread = (
            f"each set has mean 0, and variance 1.00 except {', '.join(below)}, where "
            f"eps = {EPS:g} in sqrt(var + eps) is not small next to the set's variance"
        )
    else:
        spread = "each method gives its set mean 0 and variance 1.00"
    return (
        f"The same element (sample {n}, channel {c}, position {hw}) normalized four ways: "
        f"{parts}; over the elements it shares statistics with, {spread}."
    )


def _group_size_variant(rng: np.random.Generator) -> Params:
    # At least two groups of at least two channels: GroupNorm's set then differs from both
    # LayerNorm's and InstanceNorm's.
    return sample(Params, rng, ranges={"groups": (2, 4), "channels_per_group": (2, 3)})


def _ask_group_size(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask how many elements GroupNorm pools for one element: C/G channels times H·W."""
    n, c, hw = data.x.shape
    g = data.groups
    right = int(data.counts[3])
    wrong = [
        int(data.counts[0]),  # BatchNorm's set
        int(data.counts[1]),  # LayerNorm's set
        int(data.counts[2]),  # InstanceNorm's set
        g * hw,  # G taken for the channels per group
        n * right,  # pooled over the batch as well
    ]
    return choice(
        f"An (N, C, H·W) = ({n}, {c}, {hw}) tensor goes through Group Norm with G = {g} groups. "
        "Over how many elements are the mean and variance of one element computed?",
        str(right),
        [str(count) for count in wrong],
        rng,
        f"Group Norm pools one sample's C/G = {c // g} channels over H·W = {hw} positions, "
        f"the {right} lit cells of its panel.",
    )


def _limit_variant(rng: np.random.Generator) -> Params:
    # One group of all channels, or groups of one channel (not both: C = 1 makes LN = IN).
    if rng.integers(2):
        return sample(Params, rng, fixed={"groups": 1}, ranges={"channels_per_group": (2, 3)})
    return sample(Params, rng, fixed={"channels_per_group": 1}, ranges={"groups": (2, 4)})


def _ask_group_limit(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask which method GroupNorm reduces to with G = 1 (LayerNorm) or G = C (InstanceNorm)."""
    n, c, hw = data.x.shape
    g = data.groups
    same = [
        np.allclose(data.normalized[k], data.normalized[3])
        and np.array_equal(data.members[k], data.members[3])
        for k in range(3)
    ]
    right = METHODS[same.index(True)]
    none = "none of them: Group Norm always differs"
    return choice(
        f"Group Norm with G = {g} group{'s' if g > 1 else ''} on an (N, C, H·W) = "
        f"({n}, {c}, {hw}) tensor gives the same output as which other method?",
        right,
        [name for name, equal in zip(METHODS[:3], same, strict=True) if not equal] + [none],
        rng,
        f"With C/G = {c // g} channel{'s' if c // g > 1 else ''} per group, Group Norm's set "
        f"is {right}'s: the lit cells of the two panels match.",
    )


QUESTIONS: tuple[QuestionKind[Params, Data], ...] = (
    QuestionKind("group-size", _group_size_variant, _ask_group_size),
    QuestionKind("group-limit", _limit_variant, _ask_group_limit),
)


DEMO = Demo(
    id="norm-layers",
    title="Batch, Layer, Instance and Group Norm",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    panels=Panels(rows=4, height=6.6),
    questions=QUESTIONS,
)
