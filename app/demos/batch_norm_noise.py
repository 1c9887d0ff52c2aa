"""Batch norm's regularizing noise: a sample's normalized value depends on its batch-mates.

In training, BatchNorm normalizes with the mean and the biased variance of the current
mini-batch (x - mean) / sqrt(var + eps), as torch.nn.BatchNorm1d does. The same example,
put in a different batch, comes out different: that noise, which shrinks like 1/sqrt(B), is
the (mild) regularizing effect attributed to batch norm.
"""

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels
from app.figures.questions import Question, QuestionKind, choice, sample
from app.figures.style import Palette, finish, themed_legend
from app.figures.wording import about, caption, change, num, sig

MEANS = np.array([4.0, -2.0])  # the two features' population means
STDS = np.array([1.5, 0.6])  # and standard deviations
Z = 1.0  # the fixed sample sits one standard deviation above the mean of feature 1
RESAMPLES = 400  # batches drawn per batch size for the spread
SHOWN = 40  # of which this many are drawn as dots
SIZES = (2, 4, 8, 16, 32, 64, 128, 256)
NEAR_SLOPE = 0.1  # a fitted log-log slope within this of -1/2 is said to follow 1/sqrt(B)


class Params(DemoParams):
    """The batch size shown (and marked) and BatchNorm's eps."""

    batch: int = param(16, ge=2, le=256, step=1, label="Batch size B")
    eps: float = param(1e-5, ge=1e-5, le=0.1, step=1e-5, label="BatchNorm eps", log=True)


@dataclass(frozen=True)
class Data:
    """One batch before and after BN; the fixed sample's normalized value across batches."""

    batch: int
    eps: float
    before: np.ndarray  # (B, 2); row 0 is the fixed sample
    after: np.ndarray  # (B, 2)
    sizes: np.ndarray  # batch sizes of the sweep (powers of two and B)
    spread: np.ndarray  # std of the fixed sample's normalized value over resampled batches
    center: np.ndarray  # its mean over resampled batches
    shown: np.ndarray  # (len(sizes), SHOWN) some of those values, for dots
    batch_spread: float
    population_value: float  # the value with the population statistics (eval mode)


def batch_norm(x: np.ndarray, eps: float) -> np.ndarray:
    """Normalize over the batch axis (-2) with the biased variance, as BN in training."""
    mean = x.mean(axis=-2, keepdims=True)
    var = x.var(axis=-2, keepdims=True)
    normalized: np.ndarray = (x - mean) / np.sqrt(var + eps)
    return normalized


def compute(params: Params) -> Data:
    """Draw one batch to show, then resample the batch-mates of one fixed sample many times."""
    rng = np.random.default_rng(params.seed)
    fixed = MEANS + np.array([Z, 0.5]) * STDS
    others = MEANS + STDS * rng.standard_normal((params.batch - 1, 2))
    before = np.vstack([fixed, others])
    after = batch_norm(before, params.eps)

    sizes = np.array(sorted({*SIZES, params.batch}))
    spread = np.empty(len(sizes))
    center = np.empty(len(sizes))
    shown = np.empty((len(sizes), SHOWN))
    for index, size in enumerate(sizes):
        # Feature 1 only: RESAMPLES batches of the fixed sample plus size-1 fresh ones.
        mates = MEANS[0] + STDS[0] * rng.standard_normal((RESAMPLES, size - 1))
        batches = np.concatenate([np.full((RESAMPLES, 1), fixed[0]), mates], axis=1)
        values = batch_norm(batches[:, :, None], params.eps)[:, 0, 0]
        spread[index] = values.std()
        center[index] = values.mean()
        shown[index] = values[:SHOWN]
    marked = int(np.searchsorted(sizes, params.batch))
    return Data(
        batch=params.batch,
        eps=params.eps,
        before=before,
        after=after,
        sizes=sizes,
        spread=spread,
        center=center,
        shown=shown,
        batch_spread=float(spread[marked]),
        population_value=float(Z * STDS[0] / np.sqrt(STDS[0] ** 2 + params.eps)),
    )


NOTE_GAP = 7  # points between the dotted line at B and its note


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """Left: one batch before and after BN. Right: the fixed sample's value against B."""
    left, right = axes
    size = 14 if data.batch <= 64 else 7
    left.scatter(
        data.before[1:, 0],
        data.before[1:, 1],
        s=size,
        color=palette.series[2],
        alpha=0.8,
        label="before BN",
    )
    left.scatter(
        data.after[1:, 0],
        data.after[1:, 1],
        s=size,
        color=palette.series[0],
        alpha=0.8,
        label="after BN",
    )
    left.plot(*data.before[0], "*", ms=13, color=palette.accent, mec=palette.text, mew=0.6)
    left.plot(
        *data.after[0],
        "*",
        ms=13,
        color=palette.accent,
        mec=palette.text,
        mew=0.6,
    )
    left.annotate(
        "",
        xy=tuple(data.after[0]),
        xytext=tuple(data.before[0]),
        arrowprops={"arrowstyle": "->", "color": palette.muted, "lw": 1.0},
    )
    left.xaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
    left.yaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
    right.yaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
    mean, var = data.after.mean(axis=0), data.after.var(axis=0)
    finish(
        left,
        palette,
        title=f"One batch of B = {data.batch} (★ = fixed sample)",
        xlabel=f"feature 1   (after: mean {num(mean[0])}, {num(mean[1])}; "
        f"var {num(var[0])}, {num(var[1])})",
        ylabel="feature 2",
        legend=False,
    )
    themed_legend(left, palette, "upper right")

    x = np.repeat(np.log2(data.sizes), data.shown.shape[1])
    jitter = np.tile(np.linspace(-0.18, 0.18, data.shown.shape[1]), len(data.sizes))
    right.scatter(x + jitter, data.shown.ravel(), s=5, color=palette.muted, alpha=0.5, lw=0)
    log_sizes = np.log2(data.sizes)
    right.fill_between(
        log_sizes,
        data.center - data.spread,
        data.center + data.spread,
        color=palette.series[0],
        alpha=0.22,
        lw=0,
        label=f"mean ± std, {RESAMPLES} batches",
    )
    right.axhline(
        data.population_value, color=palette.good, lw=1.2, ls="--", label="population value"
    )
    # Asymptotically std = sqrt((1 + z^2/2) / B) for a sample z standard deviations out.
    grid = np.linspace(1.0, 8.0, 50)
    shrink = data.population_value / Z  # sigma / sqrt(sigma^2 + eps), about 1
    theory = shrink * np.sqrt((1.0 + Z**2 / 2.0) / 2.0**grid)
    right.plot(
        np.concatenate([grid, [np.nan], grid]),
        data.population_value + np.concatenate([theory, [np.nan], -theory]),
        color=palette.series[0],
        lw=1.0,
        ls="--",
        label=f"± √({1 + Z**2 / 2:g}/B)",
    )
    marked = np.log2(data.batch)
    right.axvline(marked, color=palette.accent, lw=1.0, ls=":")
    # The note stands beside the dotted line, a fixed distance off it in points (in data units
    # the gap would shrink with the figure), on a box of the background over the dots.
    right.annotate(
        f"B = {data.batch}: std {data.batch_spread:.2f}",
        xy=(marked, 0.97),
        xycoords=("data", "axes fraction"),
        xytext=(NOTE_GAP if marked < 6 else -NOTE_GAP, 0),
        textcoords="offset points",
        ha="left" if marked < 6 else "right",
        va="top",
        color=palette.accent,
        fontsize=9,
        bbox={"boxstyle": "round,pad=0.2", "fc": palette.background, "ec": "none", "alpha": 0.9},
        gid="batch-note",
    )
    ticks = np.log2(np.array([2, 8, 32, 128]))
    right.set_xticks(ticks, [str(int(2**t)) for t in ticks])
    right.set_ylim(-1.5, 2.6)
    finish(
        right,
        palette,
        title="Same sample, new batch-mates",
        xlabel="batch size B (log scale)",
        ylabel="its BN output (feature 1)",
        legend=False,
    )
    themed_legend(right, palette, "lower right")


def summary(data: Data) -> str:
    """Lead with one short sentence of what the figure shows, then the numbers."""
    return caption(
        "With BatchNorm one sample's output varies with its "
        f"batch-mates: std {num(data.batch_spread)} at B = {data.batch}.",
        details(data),
    )


def details(data: Data) -> str:
    """Say how noisy the fixed sample's normalized value is at B and across the sweep."""
    var = data.after.var(axis=0)
    mean = data.after.mean(axis=0)
    slope = float(np.polyfit(np.log(data.sizes), np.log(data.spread), 1)[0])
    law = (
        f"about 1/sqrt(B): fitted log-log slope {num(slope)}"
        if about(slope, -0.5, NEAR_SLOPE)
        else f"fitted log-log slope {num(slope)}, not the -0.50 of 1/sqrt(B)"
    )
    sweep = change(float(data.spread[0]), float(data.spread[-1]))
    return (
        f"After BN each feature of the batch has mean {num(mean[0])} and {num(mean[1])} and "
        f"variance {num(var[0])} and {num(var[1])}; the fixed sample's "
        f"normalized value varies with its batch-mates by std {num(data.batch_spread)} at "
        f"B = {data.batch}, and that std {sweep} as B goes from {data.sizes[0]} to "
        f"{data.sizes[-1]} ({law})."
    )


def _quadruple_variant(rng: np.random.Generator) -> Params:
    # B and 4B both in the sweep; from B = 8 on, the std follows its 1/sqrt(B) law closely.
    batch = int(rng.choice([8, 16, 32, 64]))
    return sample(Params, rng, fixed={"batch": batch})


def _ask_quadruple(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask how the batch-mate noise changes when the batch is four times larger: it halves."""
    sizes = data.sizes.tolist()
    now = float(data.spread[sizes.index(data.batch)])
    later = float(data.spread[sizes.index(4 * data.batch)])
    # Wrong laws: 1/B, no change, growth like sqrt(B) and like B; kept only when clearly off.
    wrong = [now / 4, now, 2 * now, 4 * now]
    return choice(
        f"In training, BatchNorm's output for one fixed sample varies with its batch-mates: "
        f"over {RESAMPLES} batches of B = {data.batch} its std is {num(now)}. Which std do "
        f"you expect with batches of B = {4 * data.batch}?",
        num(later),
        [num(value) for value in wrong if abs(np.log(value / later)) > np.log(1.5)],
        rng,
        f"From B = {data.batch} to B = {4 * data.batch} the std {change(now, later)}, a "
        f"factor of {num(later / now)} where 1/sqrt(B) predicts 0.50, as the band shows.",
    )


def _average_variant(rng: np.random.Generator) -> Params:
    return sample(Params, rng, ranges={"batch": (8, 256)})


def _ask_average(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask where the noisy training output centres: at the value population statistics give."""
    x = float(data.before[0, 0])
    center = float(data.center[data.sizes.tolist().index(data.batch)])
    target = data.population_value
    # The raw value, its offset, the batch mean's 0 and the flipped sign, when farther off.
    wrong = [x, x - MEANS[0], 0.0, -target]
    return choice(
        f"Feature 1 has mean {num(MEANS[0])} and std {num(STDS[0])}; one sample has the value "
        f"{num(x)}. BatchNorm (eps = {sig(data.eps, 1)}, no scale or shift) normalizes it in "
        f"training, in {RESAMPLES} batches of B = {data.batch}, each time with {data.batch - 1} "
        "fresh random batch-mates. Which value is its output's average over those batches "
        "closest to?",
        num(target),
        [num(value) for value in wrong if abs(value - center) > abs(target - center)],
        rng,
        f"Its output averages {num(center)} over the batches, next to the value "
        f"{num(target)} that the population's mean and variance give (the dashed line), "
        f"while each batch moves it by std {num(data.batch_spread)}.",
    )


QUESTIONS: tuple[QuestionKind[Params, Data], ...] = (
    QuestionKind("quadruple-batch", _quadruple_variant, _ask_quadruple),
    QuestionKind("average-output", _average_variant, _ask_average),
)


DEMO = Demo(
    id="batch-norm-noise",
    title="Does batch normalization regularize?",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    panels=Panels(cols=2),
    questions=QUESTIONS,
)
