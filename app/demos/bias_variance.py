"""Bias and variance of ridge over many resampled training sets, across a λ sweep.

Each training set draws n new points x ~ U[-1, 1] with noisy labels y = f(x) + ε. Ridge on
the Legendre polynomials P_0..P_8 (scikit-learn's ‖y - Φw‖² + λ‖w‖² with fit_intercept=False,
so a huge λ shrinks every prediction to 0) is fit to every set for every λ. On a grid of test
points: bias² = mean over x of (average fit - f)², variance = mean over x of the variance of
the fits across sets, and the measured test error uses fresh noisy labels, so it comes out
near bias² + variance + σ².

The average fit averages each set's fit to its noise-free labels f(x): ridge is linear in
the labels, so that is the set's fit averaged over the label noise, and the average carries
no noise of its own (the plain average of the noisy fits inflates bias² by variance / sets).
"""

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from numpy.polynomial import legendre

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels
from app.figures.questions import Question, QuestionKind, choice, sample
from app.figures.style import Palette, finish, light_log_ticks
from app.figures.wording import caption, change, num, sig

DEGREE = 8
SWEEP = np.logspace(-2.0, 3.0, 22)
GRID = np.linspace(-1.0, 1.0, 100)
SHOWN_FITS = 20


class Params(DemoParams):
    """Penalty (the marked point), number of training sets, their size, noise."""

    lam: float = param(1.0, ge=1e-2, le=1e3, step=0.1, label="Penalty λ", log=True)
    sets: int = param(100, ge=50, le=200, step=10, label="Training sets")
    n: int = param(20, ge=15, le=60, step=5, label="Points per set")
    noise: float = param(0.4, ge=0.25, le=0.6, step=0.05, label="Noise std σ")


@dataclass(frozen=True)
class Data:
    """Bias², variance and test error over the sweep and at λ; some fits at λ on the grid."""

    lam: float
    sets: int
    noise: float
    lambdas: np.ndarray
    bias2: np.ndarray
    variance: np.ndarray
    test_mse: np.ndarray
    bias2_at: float
    variance_at: float
    test_at: float
    x_grid: np.ndarray
    true_grid: np.ndarray
    fits: np.ndarray
    mean_fit: np.ndarray


def target(x: np.ndarray) -> np.ndarray:
    """The function every training set comes from."""
    return 1.5 * np.sin(np.pi * x) + 0.5 * np.cos(2.5 * np.pi * x)


def features(x: np.ndarray) -> np.ndarray:
    """Legendre polynomials P_0..P_8 of x (any shape), scaled to mean square 1 on [-1, 1]."""
    scale = np.sqrt(2.0 * np.arange(DEGREE + 1) + 1.0)
    result: np.ndarray = legendre.legvander(x, DEGREE) * scale
    return result


def ridge_predictions(
    x: np.ndarray, labels: np.ndarray, lambdas: np.ndarray, x_test: np.ndarray
) -> np.ndarray:
    """Fit ridge to every training set for every λ and every label column; predict at x_test.

    x is (sets, n), labels (sets, n, columns). One eigendecomposition of each set's Gram matrix
    ΦᵀΦ = V diag(s) Vᵀ serves every λ: w(λ) = V diag(1/(s + λ)) Vᵀ Φᵀy.
    Returns predictions of shape (sets, columns, len(x_test), len(lambdas)).
    """
    phi = features(x)  # (sets, n, features)
    spectrum, basis = np.linalg.eigh(np.swapaxes(phi, 1, 2) @ phi)
    rotated = np.einsum("snd,snc,sdk->sck", phi, labels, basis, optimize=True)
    shrink = 1.0 / (np.maximum(spectrum, 0.0)[:, None, :, None] + lambdas)
    test_phi = features(x_test)[None] @ basis  # (sets, tests, features)
    result: np.ndarray = test_phi[:, None] @ (rotated[..., None] * shrink)
    return result


def compute(params: Params) -> Data:
    """Resample training sets, fit ridge for every λ, and decompose the test error."""
    rng = np.random.default_rng(params.seed)
    shape = (params.sets, params.n)
    x = rng.uniform(-1.0, 1.0, shape)
    clean = target(x)
    y = clean + params.noise * rng.standard_normal(shape)
    truth = target(GRID)
    y_test = truth + params.noise * rng.standard_normal((params.sets, len(GRID)))
    lambdas = np.append(SWEEP, params.lam)
    both = ridge_predictions(x, np.stack([y, clean], axis=2), lambdas, GRID)
    predictions, expected = both[:, 0], both[:, 1]  # (sets, grid, λs) each
    mean_fit = expected.mean(axis=0)
    bias2 = ((mean_fit - truth[:, None]) ** 2).mean(axis=0)
    variance = predictions.var(axis=0, ddof=1).mean(axis=0)
    test_mse = ((predictions - y_test[:, :, None]) ** 2).mean(axis=(0, 1))
    return Data(
        lam=params.lam,
        sets=params.sets,
        noise=params.noise,
        lambdas=SWEEP.copy(),
        bias2=bias2[:-1],
        variance=variance[:-1],
        test_mse=test_mse[:-1],
        bias2_at=float(bias2[-1]),
        variance_at=float(variance[-1]),
        test_at=float(test_mse[-1]),
        x_grid=GRID.copy(),
        true_grid=truth,
        fits=predictions[:SHOWN_FITS, :, -1],
        mean_fit=mean_fit[:, -1],
    )


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """Draw some fits at the chosen λ, and the decomposition of the test error over λ."""
    fit_ax, error_ax = axes
    fit_ax.plot(data.x_grid, data.fits.T, color=palette.accent, lw=0.8, alpha=0.35)
    fit_ax.lines[0].set_label(f"{len(data.fits)} fits")
    fit_ax.plot(data.x_grid, data.mean_fit, color=palette.warn, lw=2.4, label="average fit")
    fit_ax.plot(data.x_grid, data.true_grid, color=palette.text, lw=1.5, ls="--", label="true f")
    low, high = float(data.true_grid.min()), float(data.true_grid.max())
    fit_ax.set_ylim(low - 0.35 * (high - low), high + 0.55 * (high - low))
    fit_ax.set_xlim(-1.0, 1.0)
    finish(
        fit_ax,
        palette,
        title=f"{len(data.fits)} of {data.sets} fits at λ = {data.lam:g}",
        xlabel="x",
        ylabel="prediction",
        legend=False,
    )
    fit_ax.legend(
        fontsize=8.5,
        facecolor=palette.surface,
        edgecolor=palette.grid,
        labelcolor=palette.text,
        framealpha=0.9,
        loc="upper center",
        ncol=3,
        handlelength=1.2,
        handletextpad=0.4,
        columnspacing=0.8,
    )

    noise2 = data.noise**2
    total = data.bias2 + data.variance + noise2
    error_ax.semilogx(data.lambdas, data.bias2, color=palette.warn, lw=2.2, label="bias²")
    error_ax.semilogx(data.lambdas, data.variance, color=palette.accent, lw=2.2, label="variance")
    error_ax.axhline(noise2, color=palette.muted, lw=1.2, ls=":", label="noise σ²")
    error_ax.semilogx(
        data.lambdas, total, color=palette.text, lw=1.4, ls="--", label="bias² + var + σ²"
    )
    error_ax.semilogx(
        data.lambdas, data.test_mse, "o", ms=4, color=palette.bad, label="measured test MSE"
    )
    error_ax.axvline(data.lam, color=palette.text, lw=1, ls="--", alpha=0.5)
    error_ax.plot(
        [data.lam] * 3,
        [data.bias2_at, data.variance_at, data.test_at],
        "o",
        ms=6,
        mfc="none",
        mew=1.5,
        color=palette.text,
    )
    top = 1.3 * max(float(total[-1]), float(data.bias2.max()) + noise2)
    error_ax.set_ylim(0.0, top)  # variance at small λ runs off the top
    error_ax.set_xlim(data.lambdas[0], data.lambdas[-1])
    finish(
        error_ax,
        palette,
        title="Test error = bias² + variance + σ²",
        xlabel="penalty λ (log)",
        ylabel="squared error",
        legend=False,
    )
    error_ax.legend(
        fontsize=8.5,
        facecolor=palette.surface,
        edgecolor=palette.grid,
        labelcolor=palette.text,
        framealpha=0.9,
        loc="upper center",  # the total error is U-shaped: its top middle is free
    )
    light_log_ticks(error_ax)


def summary(data: Data) -> str:
    """Lead with one short sentence of what the figure shows, then the numbers."""
    return caption(
        "Raising ridge's λ trades variance for bias; test error is about bias² + variance + noise.",
        details(data),
    )


def details(data: Data) -> str:
    """State bias², variance and test error at the chosen λ and at both ends of the sweep."""
    bias = change(float(data.bias2[0]), float(data.bias2[-1]), lambda v: num(v, 3))
    variance = change(float(data.variance[0]), float(data.variance[-1]), sig)
    return (
        f"Over {data.sets} training sets, ridge with λ = {data.lam:g} has bias² "
        f"{num(data.bias2_at, 3)}, variance {num(data.variance_at, 3)} and test MSE "
        f"{num(data.test_at, 3)} (noise σ² = {num(data.noise**2, 3)}). From "
        f"λ = {data.lambdas[0]:g} to {data.lambdas[-1]:g}, bias² {bias} while variance "
        f"{variance}."
    )


def _describe_sets(data: Data, n: int) -> str:
    """Name the resampling every question of this demo is about."""
    return (
        f"Ridge on Legendre polynomials up to degree {DEGREE} is fit to {data.sets} training "
        f"sets of n = {n} points with noise σ = {data.noise:g}"
    )


# The marked λ of a trend question: weak, to be strengthened to the sweep's strongest, or strong,
# to be weakened to its weakest. Each is at least a hundredfold from its end, where both curves
# move clearly (just above λ = 1 bias² can still dip below its value at the weakest penalty).
TREND_UP = (1e-2, 10.0)
TREND_DOWN = (20.0, 1e3)


def _trend_variant(rng: np.random.Generator) -> Params:
    # Either way round, so that either answer of the trade is the right one.
    upward = bool(rng.integers(2))
    return sample(Params, rng, ranges={"lam": TREND_UP if upward else TREND_DOWN})


def _trend_text(bias_rises: bool, variance_rises: bool) -> str:
    bias = "bias² rises" if bias_rises else "bias² falls"
    return f"{bias}, variance {'rises' if variance_rises else 'falls'}"


def _ask_trend(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask which way bias² and variance move from the chosen λ to an end of the sweep.

    From a weak penalty to the strongest bias² rises and variance falls; from a strong one to
    the weakest, the other way round.
    """
    upward = params.lam <= TREND_UP[1]
    end = -1 if upward else 0
    end_lam, bias_end, variance_end = (
        float(data.lambdas[end]),
        float(data.bias2[end]),
        float(data.variance[end]),
    )
    bias_rises = bias_end > data.bias2_at
    variance_rises = variance_end > data.variance_at
    side = "right" if upward else "left"
    return choice(
        f"{_describe_sets(data, params.n)}. As the penalty {'grows' if upward else 'shrinks'} "
        f"from λ = {data.lam:g} to λ = {end_lam:g}, which way do bias² and variance move?",
        _trend_text(bias_rises, variance_rises),
        [
            _trend_text(bias, variance)
            for bias in (True, False)
            for variance in (True, False)
            if (bias, variance) != (bias_rises, variance_rises)
        ],
        rng,
        f"From λ = {data.lam:g} to {end_lam:g} bias² goes from {num(data.bias2_at, 4)} to "
        f"{num(bias_end, 4)} and variance from {num(data.variance_at, 4)} to "
        f"{num(variance_end, 4)}, the two curves at the marked λ and the {side} end.",
    )


def _decomposition_variant(rng: np.random.Generator) -> Params:
    return sample(Params, rng)


def _ask_decomposition(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask the test error from bias², variance and σ: their sum, not a sum that drops a term."""
    bias2, variance, noise = data.bias2_at, data.variance_at, data.noise
    total = bias2 + variance + noise**2
    gap = abs(data.test_at - total)
    return choice(
        f"{_describe_sets(data, params.n)}. At λ = {data.lam:g}, bias² = {num(bias2, 4)} and "
        f"variance = {num(variance, 4)}. Scored on fresh noisy labels, which value is the "
        "measured test MSE closest to?",
        num(total, 3),
        # Only sums farther from the measured error than the full one: that one is the closest.
        [
            num(value, 3)
            for value in (
                bias2 + variance,
                bias2 + variance + noise,
                bias2 + noise**2,
                variance + noise**2,
            )
            if abs(data.test_at - value) > gap
        ],
        rng,
        f"The measured test MSE is {num(data.test_at, 3)}, nearest to bias² + variance + σ² = "
        f"{num(total, 3)}: the noise σ² = {num(noise**2, 4)} is error no fit can remove.",
    )


QUESTIONS: tuple[QuestionKind[Params, Data], ...] = (
    QuestionKind("trend", _trend_variant, _ask_trend),
    QuestionKind("decomposition", _decomposition_variant, _ask_decomposition),
)


DEMO = Demo(
    id="bias-variance",
    title="Regularization trades variance for bias",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    panels=Panels(cols=2),
    questions=QUESTIONS,
)
