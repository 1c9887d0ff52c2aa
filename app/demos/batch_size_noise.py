"""Minibatch gradient noise: its size against batch size, and SGD paths for a small and large batch.

Linear regression with two weights on n = 2000 noisy examples, loss
L(w) = (1/2n) ||y - Xw||^2 (features scaled so its largest curvature is 1). A minibatch of B
examples drawn with replacement gives an unbiased gradient whose covariance is Sigma / B,
where Sigma is the covariance of the per-example gradients: its spread shrinks like 1/sqrt(B).
SGD with a small batch therefore jitters around the full-batch gradient-descent path and keeps
bouncing around the minimum; a large batch follows gradient descent closely.
"""

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FixedLocator, FormatStrFormatter, LogLocator, NullFormatter

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels
from app.figures.style import Palette, finish, themed_legend
from app.figures.wording import about, num

NEAR_SLOPE = 0.1  # a fitted slope within this of -1 is said to follow 1/B

N = 2000
SAMPLES = 256  # at least this many minibatches per batch size to measure the spread
DRAWN_EXAMPLES = 8192  # ... and at least this many examples in all
W_TRUE = np.array([1.0, -0.5])
W_START = np.array([-1.5, 1.5])
LABEL_NOISE = 1.0
_ANGLE = np.pi / 6
# Feature covariance with curvatures 1 and 0.25 along axes turned by 30 degrees: tilted ellipses.
MIXING = np.diag([1.0, 0.5]) @ np.array(
    [[np.cos(_ANGLE), np.sin(_ANGLE)], [-np.sin(_ANGLE), np.cos(_ANGLE)]]
)


class Params(DemoParams):
    """The two batch sizes, the learning rate and the number of SGD steps."""

    small_batch: int = param(4, ge=1, le=32, step=1, label="Small batch B")
    large_batch: int = param(256, ge=64, le=512, step=32, label="Large batch B")
    lr: float = param(0.3, ge=0.02, le=0.5, step=0.02, label="Learning rate η")
    steps: int = param(100, ge=10, le=200, step=10, label="SGD steps")


@dataclass(frozen=True)
class Data:
    """The measured and predicted gradient spread per batch size, and the three paths."""

    batch_sizes: np.ndarray
    spread: np.ndarray  # RMS of ||g_B - g|| over sampled minibatches, at W_START
    spread_theory: np.ndarray  # sqrt(trace(Sigma) / B)
    slope: float  # fitted slope of log variance against log B
    small_batch: int
    large_batch: int
    path_gd: np.ndarray  # (steps + 1, 2)
    path_small: np.ndarray
    path_large: np.ndarray
    distance_small: float  # mean distance from the GD path over the steps
    distance_large: float
    w_star: np.ndarray
    hessian: np.ndarray
    loss_star: float


def sgd_path(
    x: np.ndarray, y: np.ndarray, batches: np.ndarray, lr: float, start: np.ndarray
) -> np.ndarray:
    """Run SGD from start, one row of example indices per step; return every iterate."""
    path = np.empty((len(batches) + 1, 2))
    w = start.copy()
    path[0] = w
    for t, rows in enumerate(batches, start=1):
        xb = x[rows]
        w = w - lr * (xb.T @ (xb @ w - y[rows])) / len(rows)
        path[t] = w
    return path


def compute(params: Params) -> Data:
    """Measure the minibatch gradient spread at the start and run GD and SGD from there."""
    rng = np.random.default_rng(params.seed)
    x = rng.normal(size=(N, 2)) @ MIXING
    x /= np.sqrt(np.linalg.eigvalsh(x.T @ x / N)[-1])  # largest curvature 1
    y = x @ W_TRUE + LABEL_NOISE * rng.normal(size=N)
    hessian = x.T @ x / N
    w_star = np.linalg.solve(hessian, x.T @ y / N)
    loss_star = float(np.mean((y - x @ w_star) ** 2) / 2)

    # Per-example gradients at the start, and minibatch means for many batch sizes.
    per_example = x * (x @ W_START - y)[:, None]
    full = per_example.mean(axis=0)
    powers = 2 ** np.arange(10)
    sizes = np.unique(np.concatenate([powers, [params.small_batch, params.large_batch]]))
    draws = np.maximum(SAMPLES, DRAWN_EXAMPLES // sizes)  # more minibatches when B is small
    counts = np.repeat(sizes, draws)
    rows = rng.integers(0, N, size=int(counts.sum()))  # with replacement
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    means = np.add.reduceat(per_example[rows], starts, axis=0) / counts[:, None]
    squared = np.sum((means - full) ** 2, axis=1)
    firsts = np.concatenate([[0], np.cumsum(draws)[:-1]])
    variance = np.add.reduceat(squared, firsts) / draws
    centred = per_example - full
    trace_sigma = float(np.sum(centred**2) / N)
    slope = float(np.polyfit(np.log(sizes), np.log(variance), 1)[0])

    gd = np.empty((params.steps + 1, 2))
    gd[0] = W_START
    for t in range(1, params.steps + 1):
        gd[t] = gd[t - 1] - params.lr * (hessian @ (gd[t - 1] - w_star))
    small = sgd_path(
        x, y, rng.integers(0, N, size=(params.steps, params.small_batch)), params.lr, W_START
    )
    large = sgd_path(
        x, y, rng.integers(0, N, size=(params.steps, params.large_batch)), params.lr, W_START
    )
    return Data(
        batch_sizes=sizes,
        spread=np.sqrt(variance),
        spread_theory=np.sqrt(trace_sigma / sizes),
        slope=slope,
        small_batch=params.small_batch,
        large_batch=params.large_batch,
        path_gd=gd,
        path_small=small,
        path_large=large,
        distance_small=float(np.linalg.norm(small - gd, axis=1)[1:].mean()),
        distance_large=float(np.linalg.norm(large - gd, axis=1)[1:].mean()),
        w_star=w_star,
        hessian=hessian,
        loss_star=loss_star,
    )


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """Draw the spread against B on log-log axes, and the three paths on the loss contours."""
    noise_ax, path_ax = axes
    small_colour, large_colour = palette.series[3], palette.series[0]

    noise_ax.loglog(
        data.batch_sizes,
        data.spread_theory,
        color=palette.muted,
        ls="--",
        lw=1.3,
        label="√(tr Σ / B)",
    )
    noise_ax.loglog(
        data.batch_sizes,
        data.spread,
        "o",
        color=palette.accent,
        ms=5,
        label=f"measured (var slope {data.slope:.2f})".replace("-", "−"),
    )
    for size, colour in ((data.small_batch, small_colour), (data.large_batch, large_colour)):
        index = int(np.searchsorted(data.batch_sizes, size))
        noise_ax.loglog(
            [size],
            [data.spread[index]],
            "o",
            ms=11,
            mfc="none",
            mec=colour,
            mew=2,
            label=f"B = {size}",
        )
    finish(
        noise_ax,
        palette,
        title="Minibatch gradient noise",
        xlabel="batch size B",
        ylabel="RMS ‖ĝ − g‖",
        legend=False,
    )
    themed_legend(noise_ax, palette, "upper right")
    noise_ax.xaxis.set_major_locator(FixedLocator([1, 4, 16, 64, 256]))
    noise_ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    noise_ax.xaxis.set_minor_formatter(NullFormatter())
    noise_ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    noise_ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    noise_ax.yaxis.set_minor_formatter(NullFormatter())

    # View: the GD and large-batch paths and the minimum, widened for the small-batch path by
    # at most the core's size (a wild small-batch path at a large lr runs out of view).
    core = np.concatenate([data.path_gd, data.path_large, data.w_star[None, :]])
    core_low, core_high = core.min(axis=0), core.max(axis=0)
    reach = max(float((core_high - core_low).max()), 0.5)
    low = np.maximum(np.minimum(core_low, data.path_small.min(axis=0)), core_low - reach)
    high = np.minimum(np.maximum(core_high, data.path_small.max(axis=0)), core_high + reach)
    escaped = bool(
        np.any(data.path_small < core_low - reach) or np.any(data.path_small > core_high + reach)
    )
    half = 0.56 * float((high - low).max())  # a square view around the centre, with margin
    centre = (low + high) / 2
    w1 = np.linspace(centre[0] - half, centre[0] + half, 80)
    w2 = np.linspace(centre[1] - half, centre[1] + half, 80)
    g1, g2 = np.meshgrid(w1, w2)
    d1, d2 = g1 - data.w_star[0], g2 - data.w_star[1]
    h = data.hessian
    excess = 0.5 * (h[0, 0] * d1 * d1 + 2 * h[0, 1] * d1 * d2 + h[1, 1] * d2 * d2)
    levels = np.geomspace(max(float(excess.max()), 1e-6) * 1e-3, float(excess.max()), 9)
    path_ax.contour(g1, g2, excess, levels=levels, colors=palette.muted, linewidths=0.8, alpha=0.35)
    path_ax.plot(
        *data.path_small.T, color=small_colour, lw=1.3, label=f"SGD, B = {data.small_batch}"
    )
    path_ax.plot(
        *data.path_large.T, color=large_colour, lw=1.8, label=f"SGD, B = {data.large_batch}"
    )
    path_ax.plot(*data.path_gd.T, color=palette.text, lw=1.2, ls="--", label="full-batch GD")
    path_ax.plot(*data.path_gd[0], "o", color=palette.text, ms=6)
    path_ax.plot(*data.w_star, "*", color=palette.good, ms=14, label="minimum")
    path_ax.set_xlim(centre[0] - half, centre[0] + half)
    path_ax.set_ylim(centre[1] - half, centre[1] + half)
    path_ax.set_aspect("equal", adjustable="box")
    if escaped:
        path_ax.text(
            0.03,
            0.03,
            f"B = {data.small_batch} runs out of view: lr too large for it",
            transform=path_ax.transAxes,
            color=small_colour,
            fontsize=8.5,
            bbox={"facecolor": palette.surface, "edgecolor": palette.grid, "alpha": 0.9},
        )
    finish(
        path_ax,
        palette,
        title="SGD paths on the loss contours",
        xlabel="w₁",
        ylabel="w₂",
        legend=False,
    )
    themed_legend(path_ax, palette, "lower left")


def summary(data: Data) -> str:
    """State the fitted 1/B law and how far each path strays from gradient descent."""
    slope = num(data.slope)
    law = (
        f"falls like 1/B (fitted log-log slope {slope})"
        if about(data.slope, -1.0, NEAR_SLOPE)
        else f"falls with B, with a fitted log-log slope of {slope} rather than -1"
    )
    small, large = num(data.distance_small, 3), num(data.distance_large, 3)
    if small == large:
        than = f"with B = {data.large_batch} as far, {large}"
    elif data.distance_large < data.distance_small:
        than = f"with B = {data.large_batch} only {large}"
    else:
        than = f"with B = {data.large_batch} in this run even more, {large}"
    return (
        f"The minibatch gradient's variance {law}; SGD with B = {data.small_batch} strays on "
        f"average {small} from the full-batch path, {than}."
    )


DEMO = Demo(
    id="batch-size-noise",
    title="Minibatch gradient noise and batch size",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    panels=Panels(cols=2),
)
