"""Input noise as ridge: least squares on noisy copies of X matches Ridge with alpha = n*sigma^2.

For a linear model, E over eps ~ N(0, sigma^2 I) of sum_i (y_i - w.(x_i + eps_i))^2 equals
||y - Xw||^2 + n*sigma^2*||w||^2, which is scikit-learn's Ridge objective (fit_intercept=False)
with alpha = n*sigma^2. Stacking many noisy copies of X approximates that expectation.
"""

import itertools
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels
from app.figures.questions import Question, QuestionKind, choice, number, sample
from app.figures.style import Palette, few_ticks, finish, move_legend, themed_legend
from app.figures.wording import caption, num, pct, sig

TRUE_WEIGHTS = np.array([2.0, -1.5, 1.0, 0.6, -0.4])
SIGMAS = np.linspace(0.0, 1.0, 11)  # the sweep's noisy-copy fits
SIGMAS_FINE = np.linspace(0.0, 1.0, 101)  # the sweep's ridge curves


class Params(DemoParams):
    """Noise level, number of noisy copies, and sample size."""

    sigma: float = param(0.5, ge=0.0, le=1.0, step=0.05, label="Input noise σ")
    copies: int = param(100, ge=10, le=400, step=10, label="Noisy copies of the data")
    samples: int = param(40, ge=10, le=200, step=10, label="Samples n")


@dataclass(frozen=True)
class Data:
    """Weights of the noisy-copy fit and of ridge, at sigma and along a sweep of sigma."""

    sigma: float
    copies: int
    samples: int
    alpha: float  # n * sigma^2
    x: np.ndarray  # (n, d) clean inputs
    y: np.ndarray  # (n,) targets
    plain: np.ndarray  # (d,) least squares, sigma = 0
    noisy: np.ndarray  # (d,) least squares on the stacked noisy copies
    ridge: np.ndarray  # (d,) ridge with alpha = n*sigma^2
    sweep_sigmas: np.ndarray
    sweep_noisy: np.ndarray  # (len(SIGMAS), d), same noise draws scaled by each sigma
    fine_sigmas: np.ndarray
    fine_ridge: np.ndarray  # (len(SIGMAS_FINE), d)


def ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    """Minimise ||y - Xw||^2 + alpha*||w||^2 (sklearn Ridge, no intercept)."""
    return np.linalg.solve(x.T @ x + alpha * np.eye(x.shape[1]), x.T @ y)


def compute(params: Params) -> Data:
    """Fit least squares on noisy copies of X and compare with the matching ridge."""
    rng = np.random.default_rng(params.seed)
    n, d = params.samples, TRUE_WEIGHTS.size
    mixing = np.eye(d) + 0.6 * np.eye(d, k=1)  # correlated features, so shrinkage is uneven
    x = rng.normal(size=(n, d)) @ mixing
    y = x @ TRUE_WEIGHTS + rng.normal(0.0, 0.5, size=n)
    unit_noise = rng.normal(size=(params.copies, n, d))

    stacked_x = (x[None] + params.sigma * unit_noise).reshape(-1, d)
    stacked_y = np.tile(y, params.copies)
    noisy = np.linalg.lstsq(stacked_x, stacked_y)[0]

    # The sweep reuses the same unit noise: the normal equations of the stacked data are
    # C X'X + s (X'S + S'X) + s^2 E'E and C X'y + s S'y, with S the sum of the copies' noise.
    flat = unit_noise.reshape(-1, d)
    noise_sum = unit_noise.sum(axis=0)
    cross = x.T @ noise_sum
    gram = np.stack(
        [params.copies * (x.T @ x) + s * (cross + cross.T) + s**2 * (flat.T @ flat) for s in SIGMAS]
    )
    moment = params.copies * (x.T @ y) + SIGMAS[:, None] * (noise_sum.T @ y)[None]
    sweep_noisy = np.linalg.solve(gram, moment[..., None])[..., 0]

    alphas = n * SIGMAS_FINE**2
    eye = np.eye(d)
    fine_ridge = np.linalg.solve(
        (x.T @ x)[None] + alphas[:, None, None] * eye,
        np.broadcast_to(x.T @ y, (alphas.size, d))[..., None],
    )[..., 0]
    alpha = n * params.sigma**2
    return Data(
        sigma=params.sigma,
        copies=params.copies,
        samples=n,
        alpha=alpha,
        x=x,
        y=y,
        plain=ridge(x, y, 0.0),
        noisy=noisy,
        ridge=ridge(x, y, alpha),
        sweep_sigmas=SIGMAS.copy(),
        sweep_noisy=sweep_noisy,
        fine_sigmas=SIGMAS_FINE.copy(),
        fine_ridge=fine_ridge,
    )


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """Draw the three weight vectors as bars, and the weights against sigma."""
    bars, sweep = axes
    d = data.plain.size
    index = np.arange(d)
    width = 0.27
    bars.bar(index - width, data.plain, width, color=palette.muted, label="least squares, σ = 0")
    bars.bar(
        index,
        data.noisy,
        width,
        color=palette.series[0],
        label=f"LS on {data.copies} noisy copies",
    )
    bars.bar(
        index + width,
        data.ridge,
        width,
        color=palette.series[2],
        label=f"ridge, α = nσ² = {data.alpha:.1f}",
    )
    bars.axhline(0, color=palette.muted, lw=0.8)
    bars.set_xticks(index, [f"w{k + 1}" for k in index])
    low, high = bars.get_ylim()
    bars.set_ylim(low, high + 0.45 * (high - low))
    bars.yaxis.set_major_locator(MaxNLocator(nbins=5))
    finish(bars, palette, title=f"Weights at σ = {data.sigma:.2f}", xlabel="weight", ylabel="value")
    move_legend(bars, "upper right")

    for k in range(d):
        color = palette.series[k % len(palette.series)]
        sweep.plot(data.fine_sigmas, data.fine_ridge[:, k], color=color, lw=1.6)
        sweep.plot(data.sweep_sigmas, data.sweep_noisy[:, k], "o", color=color, ms=4.5, mfc="none")
    ends = data.fine_ridge[-1]
    span = float(data.fine_ridge.max() - data.fine_ridge.min()) or 1.0
    placed = ends.copy()
    order = np.argsort(ends)
    for below, above in itertools.pairwise(order):  # push labels apart upwards
        placed[above] = max(placed[above], placed[below] + 0.075 * span)
    for k in range(d):
        sweep.text(
            1.03,
            placed[k],
            f"w{k + 1}",
            color=palette.series[k % len(palette.series)],
            fontsize=9,
            va="center",
        )
    sweep.set_xlim(-0.03, 1.12)
    few_ticks(sweep)
    sweep.axvline(data.sigma, color=palette.muted, lw=1, ls="--")
    sweep.axhline(0, color=palette.muted, lw=0.8)
    handles = [
        Line2D([], [], color=palette.muted, lw=1.6, label="ridge, α = nσ²"),
        Line2D(
            [], [], color=palette.muted, ls="none", marker="o", mfc="none", label="noisy copies"
        ),
    ]
    finish(
        sweep,
        palette,
        title=f"Shrinkage along σ (n = {data.samples})",
        xlabel="input noise σ",
        ylabel="weight value",
        legend=False,
    )
    themed_legend(sweep, palette, "upper right", handles)


def summary(data: Data) -> str:
    """Lead with one short sentence of what the figure shows, then the numbers."""
    return caption(
        "Training on noisy copies of the inputs acts like ridge regression with α = nσ².",
        details(data),
    )


def details(data: Data) -> str:
    """State the gap between the two fits and the shrinkage."""
    gap = float(np.max(np.abs(data.noisy - data.ridge)))
    shrink = float(np.linalg.norm(data.ridge) / np.linalg.norm(data.plain))
    return (
        f"Least squares on {data.copies} copies of the {data.samples} inputs with noise "
        f"σ = {num(data.sigma)} gives weights within {num(gap, 3)} of ridge with α = nσ² = "
        f"{sig(data.alpha)}, whose weight norm is {pct(shrink)} of plain least squares."
    )


# σ away from 0 and 1, where nσ², nσ and σ² would coincide or vanish, and enough copies that the
# noisy fit is close to its expectation.
QUESTION_RANGES = {"sigma": (0.2, 0.8), "copies": (50, 400)}
ALPHA_TOLERANCE = 0.05


def _noise_variant(rng: np.random.Generator) -> Params:
    return sample(Params, rng, ranges=QUESTION_RANGES)


def _ask_ridge_alpha(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask which ridge strength input noise of variance σ² amounts to on n samples."""
    return number(
        f"A linear model is fitted by least squares (summed squared errors, no intercept) to "
        f"{data.samples} samples whose inputs get Gaussian noise with σ = {num(data.sigma)}. In "
        "expectation this is ridge regression with which α?",
        data.alpha,
        ALPHA_TOLERANCE,
        f"The noise adds nσ²||w||² to the summed squared error, so α = {data.samples} × "
        f"{num(data.sigma)}² = {sig(data.alpha, 6)}, the ridge bars beside the noisy-copy fit.",
    )


def _ask_closest_fit(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask which fit least squares on noisy copies lands on: ridge with α = nσ².

    The choices give α as a number only, so the learner works nσ² out from n and σ; the wrong
    ones are σ², nσ, (nσ)² and plain least squares.
    """
    n, s = data.samples, data.sigma
    gap = float(np.linalg.norm(data.noisy - data.ridge))
    others = {
        f"Ridge with α = {sig(s**2, 6)}": s**2,
        f"Ridge with α = {sig(n * s, 6)}": n * s,
        "Plain least squares (α = 0)": 0.0,
        f"Ridge with α = {sig((n * s) ** 2, 6)}": (n * s) ** 2,
    }
    distance = {
        text: float(np.linalg.norm(data.noisy - ridge(data.x, data.y, alpha)))
        for text, alpha in others.items()
    }
    # Only fits farther from the noisy-copy weights than ridge with α = nσ², which is closest.
    wrong = [text for text, away in distance.items() if away > gap]
    nearest = min(wrong, key=distance.__getitem__)
    return choice(
        f"Least squares is fitted to {data.copies} copies of {n} samples, each copy's inputs "
        f"with fresh Gaussian noise of σ = {num(s)}. Which fit are its weights closest to?",
        f"Ridge with α = {sig(data.alpha, 6)}",
        wrong,
        rng,
        f"The noisy-copy weights lie {num(gap, 3)} (Euclidean distance) from ridge with "
        f"α = nσ² = {n} × {num(s)}² = {sig(data.alpha, 6)}, the bars beside them, against "
        f"{num(distance[nearest], 3)} from the next closest choice.",
    )


QUESTIONS: tuple[QuestionKind[Params, Data], ...] = (
    QuestionKind("ridge-alpha", _noise_variant, _ask_ridge_alpha),
    QuestionKind("closest-fit", _noise_variant, _ask_closest_fit),
)


DEMO = Demo(
    id="noise-injection",
    title="Input noise is ridge regression",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    panels=Panels(cols=2),
    questions=QUESTIONS,
)
