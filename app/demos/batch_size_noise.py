"""Small batches end in the flat minimum more often: minibatch SGD on a sharp and a flat basin.

A dataset of N = 1024 examples sits at 8 points x_k (128 examples each, spread like a normal
with standard deviation 0.3). Example i has the loss l(w; x_i) = f(w - x_i), a copy of one
template f shifted to its point; the training loss is their mean, L(w) = mean_i f(w - x_i).
The template has a narrow deep well and a wide shallow one, so L has a sharp minimum
(curvature about 2.5) and a flat minimum (about 0.35) at nearly the same training loss. The
test data are the training data shifted by δ, so the test loss is L(w - δ): near a minimum it
exceeds the training loss by about curvature · δ² / 2, far more at the sharp minimum.

Each SGD step draws a minibatch of B examples uniformly with replacement and steps along the
mean of their gradients, an unbiased estimate of L'(w) whose variance is σ²(w) / B, where σ²(w)
is the variance of the per-example gradients. The examples disagree most where the template is
steep, so σ is about twenty times larger at the sharp minimum than at the flat one: a small
batch is kicked out of the sharp basin and settles in the flat one; a large batch stays in the
basin it started in, like full-batch gradient descent. Runs start at evenly spaced points
across both basins, so gradient descent splits them about half and half.
"""

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FixedLocator, FormatStrFormatter, PercentFormatter

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels
from app.figures.questions import Question, QuestionKind, choice, number, sample
from app.figures.style import Palette, finish, light_log_ticks, themed_legend
from app.figures.wording import about, caption, change, num, pct, sig

NEAR_SLOPE = 0.1  # a fitted slope within this of -1 is said to follow 1/B

N = 1024
SPREAD = 0.3
POINTS = np.array([NormalDist(0.0, SPREAD).inv_cdf((k + 0.5) / 8) for k in range(8)])
# The template: a gentle bowl, a narrow deep well at -1 and a wide shallow one at +1; the
# offset keeps the losses positive so they read as losses.
BOWL, OFFSET = 0.05, 0.5
SHARP_CENTRE, SHARP_WIDTH, SHARP_DEPTH = -1.0, 0.13, 0.72
FLAT_CENTRE, FLAT_WIDTH, FLAT_DEPTH = 1.0, 1.0, 0.35
RUNS = 128
START_LOW, START_HIGH = -1.0, 0.43  # half in each basin; none within 0.003 of the barrier (-0.283)
GRID = np.linspace(-2.0, 2.6, 369)
DRAWS = 1024  # minibatches per batch size to measure the gradient noise
SIZES = 2 ** np.arange(10)  # 1 to 512


class Params(DemoParams):
    """The two batch sizes, the learning rate, the number of SGD steps and the test shift."""

    small_batch: int = param(4, ge=1, le=32, step=1, label="Small batch B")
    large_batch: int = param(256, ge=64, le=512, step=32, label="Large batch B")
    lr: float = param(0.3, ge=0.02, le=0.5, step=0.02, label="Learning rate η")
    steps: int = param(100, ge=10, le=200, step=10, label="SGD steps")
    shift: float = param(0.2, ge=0.05, le=0.4, step=0.05, label="Test data shift δ")


@dataclass(frozen=True)
class Data:
    """The landscape, where the runs end for each batch size, and the gradient noise per B."""

    small_batch: int
    large_batch: int
    shift: float
    grid: np.ndarray
    train_curve: np.ndarray  # L(w) on the grid
    test_curve: np.ndarray  # L(w - shift)
    sharp: float  # the two minima of the training loss and the barrier between them
    flat: float
    barrier: float
    sharp_curvature: float
    flat_curvature: float
    sharp_train: float
    sharp_test: float
    flat_train: float
    flat_test: float
    starts: np.ndarray  # (RUNS,)
    end_small: np.ndarray  # where each run ends
    end_large: np.ndarray
    end_gd: np.ndarray
    flat_small: float  # fraction of runs that end in the flat basin
    flat_large: float
    flat_gd: float
    test_small: float  # mean test loss at the end, over the runs
    test_large: float
    test_gd: float
    batch_sizes: np.ndarray
    spread: np.ndarray  # RMS of ||g_B - g|| over sampled minibatches, at the sharp minimum
    spread_theory: np.ndarray  # sigma / sqrt(B) there
    spread_flat: np.ndarray  # the same at the flat minimum
    spread_flat_theory: np.ndarray
    slope: float  # fitted slope of log variance against log B, at the sharp minimum


def template(u: np.ndarray) -> np.ndarray:
    """The loss of one example whose point is at 0, as a function of u = w - x."""
    sharp = SHARP_DEPTH * np.exp(-0.5 * ((u - SHARP_CENTRE) / SHARP_WIDTH) ** 2)
    flat = FLAT_DEPTH * np.exp(-0.5 * ((u - FLAT_CENTRE) / FLAT_WIDTH) ** 2)
    result: np.ndarray = OFFSET + 0.5 * BOWL * u**2 - sharp - flat
    return result


def slope_of(u: np.ndarray) -> np.ndarray:
    """The template's derivative: one example's gradient."""
    a, b = (u - SHARP_CENTRE) / SHARP_WIDTH, (u - FLAT_CENTRE) / FLAT_WIDTH
    result: np.ndarray = (
        BOWL * u
        + SHARP_DEPTH * a / SHARP_WIDTH * np.exp(-0.5 * a**2)
        + FLAT_DEPTH * b / FLAT_WIDTH * np.exp(-0.5 * b**2)
    )
    return result


def bend_of(u: np.ndarray) -> np.ndarray:
    """The template's second derivative."""
    a, b = (u - SHARP_CENTRE) / SHARP_WIDTH, (u - FLAT_CENTRE) / FLAT_WIDTH
    result: np.ndarray = (
        BOWL
        + SHARP_DEPTH * (1 - a**2) / SHARP_WIDTH**2 * np.exp(-0.5 * a**2)
        + FLAT_DEPTH * (1 - b**2) / FLAT_WIDTH**2 * np.exp(-0.5 * b**2)
    )
    return result


def training_loss(w: np.ndarray) -> np.ndarray:
    """The mean of the per-example losses (each point holds the same number of examples)."""
    result: np.ndarray = template(np.asarray(w)[..., None] - POINTS).mean(axis=-1)
    return result


def per_example_gradients(w: np.ndarray) -> np.ndarray:
    """Each point's example gradient at w: shape (..., 8)."""
    return slope_of(np.asarray(w)[..., None] - POINTS)


def draw_counts(rng: np.random.Generator, batch: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Draw minibatches of `batch` examples with replacement; count the examples at each point.

    Each of the N examples is drawn with chance 1/N and each point holds N/8 of them, so the
    counts are multinomial(B, 1/8 each): drawn point by point, each count binomial in what
    is left of the batch. That is the same minibatch as drawing B indices, at a cost per batch
    that does not grow with B.
    """
    counts = np.empty((*shape, len(POINTS)), dtype=np.int64)
    left = np.broadcast_to(batch, shape).astype(np.int64)
    for k in range(len(POINTS) - 1):
        counts[..., k] = rng.binomial(left, 1.0 / (len(POINTS) - k))
        left = left - counts[..., k]
    counts[..., -1] = left
    return counts


def minibatch_gradient(w: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The mean gradient of a minibatch given its counts per point, for every run at once."""
    result: np.ndarray = np.sum(counts * per_example_gradients(w), axis=-1) / counts.sum(axis=-1)
    return result


def run_sgd(rng: np.random.Generator, batch: int, lr: float, steps: int) -> np.ndarray:
    """Run minibatch SGD from every start at once; return where each run ends."""
    counts = draw_counts(rng, np.array(batch), (steps, RUNS))
    w = np.linspace(START_LOW, START_HIGH, RUNS)
    for t in range(steps):
        w = w - lr * minibatch_gradient(w, counts[t])
    return w


def stationary_near(w: float) -> float:
    """Refine a grid minimum or maximum of the training loss by Newton steps on its gradient."""
    for _ in range(6):
        u = w - POINTS
        w = w - float(np.mean(slope_of(u)) / np.mean(bend_of(u)))
    return w


def compute(params: Params) -> Data:
    """Find the two minima, run SGD with both batch sizes and GD, and measure gradient noise."""
    rng = np.random.default_rng(params.seed)
    grid = GRID.copy()
    train_curve = training_loss(grid)
    lows = np.flatnonzero(
        (train_curve[1:-1] < train_curve[:-2]) & (train_curve[1:-1] < train_curve[2:])
    )
    sharp, flat = (stationary_near(float(grid[i + 1])) for i in lows[:2])
    between = (grid > sharp) & (grid < flat)
    barrier = stationary_near(float(grid[between][np.argmax(train_curve[between])]))

    def curvature(w: float) -> float:
        return float(np.mean(bend_of(w - POINTS)))

    def test_loss(w: np.ndarray) -> np.ndarray:
        return training_loss(np.asarray(w) - params.shift)

    ends = {
        "small": run_sgd(rng, params.small_batch, params.lr, params.steps),
        "large": run_sgd(rng, params.large_batch, params.lr, params.steps),
    }
    gd = np.linspace(START_LOW, START_HIGH, RUNS)
    for _ in range(params.steps):
        gd = gd - params.lr * np.mean(per_example_gradients(gd), axis=-1)
    ends["gd"] = gd

    # Gradient noise at both minima for many batch sizes (the full gradient there is 0).
    sizes = np.unique(np.concatenate([SIZES, [params.small_batch, params.large_batch]]))
    counts = draw_counts(rng, sizes[:, None], (len(sizes), DRAWS))
    spreads, theories = [], []
    for w in (sharp, flat):
        per_example = per_example_gradients(np.array(w))
        full = float(per_example.mean())
        estimates = counts @ per_example / sizes[:, None]
        spreads.append(np.sqrt(np.mean((estimates - full) ** 2, axis=1)))
        theories.append(np.sqrt(np.var(per_example) / sizes))
    slope = float(np.polyfit(np.log(sizes), 2 * np.log(spreads[0]), 1)[0])

    return Data(
        small_batch=params.small_batch,
        large_batch=params.large_batch,
        shift=params.shift,
        grid=grid,
        train_curve=train_curve,
        test_curve=test_loss(grid),
        sharp=sharp,
        flat=flat,
        barrier=barrier,
        sharp_curvature=curvature(sharp),
        flat_curvature=curvature(flat),
        sharp_train=float(training_loss(np.array(sharp))),
        sharp_test=float(test_loss(np.array(sharp))),
        flat_train=float(training_loss(np.array(flat))),
        flat_test=float(test_loss(np.array(flat))),
        starts=np.linspace(START_LOW, START_HIGH, RUNS),
        end_small=ends["small"],
        end_large=ends["large"],
        end_gd=ends["gd"],
        flat_small=float(np.mean(ends["small"] > barrier)),
        flat_large=float(np.mean(ends["large"] > barrier)),
        flat_gd=float(np.mean(ends["gd"] > barrier)),
        test_small=float(np.mean(test_loss(ends["small"]))),
        test_large=float(np.mean(test_loss(ends["large"]))),
        test_gd=float(np.mean(test_loss(ends["gd"]))),
        batch_sizes=sizes,
        spread=spreads[0],
        spread_theory=theories[0],
        spread_flat=spreads[1],
        spread_flat_theory=theories[1],
        slope=slope,
    )


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """Draw the losses with the two minima, where the runs end, and the noise against B."""
    loss_ax, end_ax, noise_ax = axes
    small_colour, large_colour = palette.series[3], palette.series[0]

    test_colour = palette.series[4]
    loss_ax.plot(data.grid, data.train_curve, color=palette.text, lw=1.6, label="training")
    loss_ax.plot(
        data.grid,
        data.test_curve,
        color=test_colour,
        lw=1.4,
        ls="--",
        label=f"test (data + {data.shift:g})",
    )
    loss_ax.axvline(data.barrier, color=palette.muted, lw=0.9, ls=":")
    for name, w, train, test in (
        ("sharp", data.sharp, data.sharp_train, data.sharp_test),
        ("flat", data.flat, data.flat_train, data.flat_test),
    ):
        loss_ax.plot([w, w], [train, test], color=test_colour, lw=2.4, solid_capstyle="butt")
        loss_ax.plot([w], [train], "o", color=palette.text, ms=5)
        loss_ax.annotate(
            f"{name}\ntest +{num(test - train, 3)}",
            (w, train),
            xytext=(0, -9),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=8.5,
            color=palette.text,
        )
    low = float(data.train_curve.min())
    loss_ax.set_ylim(low - 0.1, low + 0.3)
    loss_ax.set_xlim(float(data.grid[0]), float(data.grid[-1]))
    finish(loss_ax, palette, title="Two minima", xlabel="weight w", ylabel="loss", legend=False)
    themed_legend(loss_ax, palette, "upper center")

    labels = [f"B = {data.small_batch}", f"B = {data.large_batch}", "full\nbatch"]
    fractions = [data.flat_small, data.flat_large, data.flat_gd]
    tests = [data.test_small, data.test_large, data.test_gd]
    colours = [small_colour, large_colour, palette.muted]
    end_ax.bar(range(3), fractions, color=colours, width=0.62)
    for i, (fraction, test) in enumerate(zip(fractions, tests, strict=True)):
        end_ax.text(
            i,
            fraction + 0.02,
            f"{pct(fraction)}\ntest {num(test, 3)}",
            ha="center",
            va="bottom",
            fontsize=8,
            color=palette.text,
        )
    end_ax.set_xticks(range(3), labels)
    end_ax.set_ylim(0, 1.25)
    end_ax.yaxis.set_major_locator(FixedLocator([0, 0.25, 0.5, 0.75, 1.0]))
    end_ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    finish(
        end_ax,
        palette,
        title=f"Where {len(data.starts)} runs end",
        xlabel="above each bar: mean test loss",
        ylabel="runs that end in the flat basin",
        legend=False,
    )

    for spread, theory, colour, name in (
        (data.spread, data.spread_theory, palette.warn, "sharp minimum"),
        (data.spread_flat, data.spread_flat_theory, palette.good, "flat minimum"),
    ):
        noise_ax.loglog(data.batch_sizes, theory, color=colour, ls="--", lw=1.1)
        noise_ax.loglog(data.batch_sizes, spread, "o", color=colour, ms=4, label=name)
    noise_ax.plot([], [], color=palette.muted, ls="--", lw=1.1, label="σ / √B")
    for size, colour, offset, align in (
        (data.small_batch, small_colour, (8, 3), "left"),
        (data.large_batch, large_colour, (-8, -13), "right"),
    ):
        index = int(np.searchsorted(data.batch_sizes, size))
        noise_ax.loglog([size], [data.spread[index]], "o", ms=10, mfc="none", mec=colour, mew=1.8)
        noise_ax.annotate(
            f"B = {size}",
            (size, data.spread[index]),
            xytext=offset,
            textcoords="offset points",
            ha=align,
            fontsize=8.5,
            color=colour,
        )
    low = float(min(data.spread.min(), data.spread_flat.min()))
    high = float(max(data.spread.max(), data.spread_flat.max()))
    noise_ax.set_ylim(low / 6, high * 1.6)  # room below the flat-minimum points for the legend
    finish(
        noise_ax,
        palette,
        title="Gradient noise",
        xlabel="batch size B",
        ylabel="RMS ‖ĝ − g‖",
        legend=False,
    )
    themed_legend(noise_ax, palette, "lower left")
    light_log_ticks(noise_ax)
    noise_ax.xaxis.set_major_locator(FixedLocator([1, 8, 64, 512]))
    noise_ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))


def summary(data: Data) -> str:
    """Lead with one short sentence of what the figure shows, then the numbers."""
    return caption(
        "Small batches give noisy gradients, which can "
        "shake SGD out of a sharp minimum into a flat one.",
        details(data),
    )


def details(data: Data) -> str:
    """State where each batch size ends, the test loss that follows, and the 1/B noise law."""
    small, large = pct(data.flat_small), pct(data.flat_large)
    if small == large:
        often = "as often as"
    elif data.flat_small > data.flat_large:
        often = "more often than"
    else:
        often = "less often than"
    slope = num(data.slope)
    law = (
        f"falls like 1/B (fitted log-log slope {slope})"
        if about(data.slope, -1.0, NEAR_SLOPE)
        else f"falls with B, with a fitted log-log slope of {slope} rather than -1"
    )
    ratio = num(data.spread_theory[0] / data.spread_flat_theory[0], 0)
    return (
        f"Of {len(data.starts)} runs, SGD with B = {data.small_batch} ends in the flat basin "
        f"{often} with B = {data.large_batch}: {small} against {large} "
        f"(full batch {pct(data.flat_gd)}). "
        f"With the test data shifted by {num(data.shift)}, test minus training loss is "
        f"{num(data.sharp_test - data.sharp_train, 3)} at the sharp minimum and "
        f"{num(data.flat_test - data.flat_train, 3)} at the flat one; from B = {data.large_batch} "
        f"to B = {data.small_batch} the mean final test loss "
        f"{change(data.test_large, data.test_small, lambda v: num(v, 3))}. "
        f"The minibatch gradient's variance {law}; the per-example gradients it averages "
        f"spread {ratio} times wider at the sharp minimum than at the flat one."
    )


CLEAR = 0.1  # a share of runs at least this far below the largest is clearly smaller
NOISE_TOLERANCE = 0.15  # a relative error within this counts: the measured noise is sampled


def _flat_variant(rng: np.random.Generator) -> Params:
    # A step of at least 0.3 and a small batch of at most 4: its noise kicks most runs out of
    # the sharp basin within 60 steps, while the large batch stays where it started.
    return sample(Params, rng, ranges={"lr": (0.3, 0.5), "steps": (60, 200), "small_batch": (1, 4)})


def _ask_flat_basin(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask which batch size ends in the flat minimum most often: the small, noisy one."""
    shares = {
        f"B = {data.small_batch}": data.flat_small,
        f"B = {data.large_batch}": data.flat_large,
        "full batch (gradient descent)": data.flat_gd,
    }
    best = max(shares, key=lambda name: shares[name])
    top, spread = shares[best], max(shares.values()) - min(shares.values())
    alike = f"all about equally often (within {pct(CLEAR)} of the runs)"
    return choice(
        f"Runs start evenly across a sharp and a flat minimum of nearly equal training loss, "
        f"and take {params.steps} steps with learning rate {params.lr:g}. Which ends in the "
        "flat basin most often?",
        best,
        # Only batch sizes clearly behind the best, so that no wrong choice is right too.
        [name for name, share in shares.items() if share < top - CLEAR]
        + ([alike] if spread > CLEAR else []),
        rng,
        f"B = {data.small_batch} ends {pct(data.flat_small)} of the runs in the flat basin, "
        f"B = {data.large_batch} {pct(data.flat_large)} and full batch {pct(data.flat_gd)}: "
        "the noise of a small batch kicks runs out of the sharp minimum (middle panel).",
    )


def _noise_variant(rng: np.random.Generator) -> Params:
    return sample(Params, rng)


def _ask_batch_noise(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask for the minibatch gradient noise at batch size B: sigma / sqrt(B), measured."""
    sigma = float(data.spread_theory[0] * np.sqrt(data.batch_sizes[0]))
    index = int(np.searchsorted(data.batch_sizes, data.large_batch))
    measured = float(data.spread[index])
    return number(
        f"At the sharp minimum the full gradient is 0 and the per-example gradients have "
        f"standard deviation σ = {sig(sigma)}. What is the root-mean-square error of a "
        f"minibatch gradient over B = {data.large_batch} examples drawn with replacement?",
        measured,
        NOISE_TOLERANCE * measured,
        f"Over sampled minibatches it is {sig(measured)}, against σ/√B = "
        f"{sig(float(data.spread_theory[index]))}: averaging B independent examples divides "
        "the spread by √B (right panel).",
    )


QUESTIONS: tuple[QuestionKind[Params, Data], ...] = (
    QuestionKind("flat-basin", _flat_variant, _ask_flat_basin),
    QuestionKind("batch-noise", _noise_variant, _ask_batch_noise),
)


DEMO = Demo(
    id="batch-size-noise",
    title="Batch size, gradient noise and flat minima",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    panels=Panels(cols=3),
    questions=QUESTIONS,
)
