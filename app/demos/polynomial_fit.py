"""Ridge on a high-degree polynomial: a penalty λ‖w‖² tames the wiggles of an overfit.

Features are Legendre polynomials P_1..P_d on [-1, 1], scaled to unit mean square; the ridge
objective is scikit-learn's ‖y - b - Φw‖² + λ‖w‖² with the intercept b not penalized.
"""

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from numpy.polynomial import legendre

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels
from app.figures.questions import Question, QuestionKind, choice, lowest_of_sweep, sample
from app.figures.style import Palette, finish, light_log_ticks
from app.figures.wording import caption, num, short, sig

SWEEP = np.logspace(-6.0, 2.0, 25)
N_TEST = 200
GRID = np.linspace(-1.0, 1.0, 200)


class Params(DemoParams):
    """Penalty, data size and noise, polynomial degree."""

    lam: float = param(1e-3, ge=1e-6, le=1e2, step=0.1, label="Penalty λ", log=True)
    n: int = param(15, ge=8, le=40, step=1, label="Training points")
    noise: float = param(0.3, ge=0.0, le=0.5, step=0.05, label="Noise std σ")
    degree: int = param(12, ge=3, le=15, step=1, label="Polynomial degree")


@dataclass(frozen=True)
class Data:
    """Training data, the true function and the fit on a grid, errors over the λ sweep."""

    lam: float
    degree: int
    noise: float
    x_train: np.ndarray
    y_train: np.ndarray
    x_grid: np.ndarray
    true_grid: np.ndarray
    fit_grid: np.ndarray
    lambdas: np.ndarray
    train_mse: np.ndarray
    test_mse: np.ndarray
    train_at: float
    test_at: float
    weight_norm: float
    best_lambda: float
    best_test: float


def target(x: np.ndarray) -> np.ndarray:
    """The smooth function the data comes from."""
    return np.sin(np.pi * x) + 0.5 * np.cos(2.5 * np.pi * x)


def features(x: np.ndarray, degree: int) -> np.ndarray:
    """Legendre polynomials P_1..P_degree of x, each scaled to mean square 1 on [-1, 1]."""
    scale = np.sqrt(2.0 * np.arange(1, degree + 1) + 1.0)
    scaled: np.ndarray = legendre.legvander(x, degree)[:, 1:] * scale
    return scaled


def ridge(
    phi: np.ndarray, y: np.ndarray, lambdas: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve min ‖y - b - Φw‖² + λ‖w‖² for every λ: return b, w (one row per λ), Φ's mean."""
    mean = phi.mean(axis=0)
    centred = phi - mean
    gram = centred.T @ centred
    rhs = centred.T @ (y - y.mean())
    systems = gram[None] + lambdas[:, None, None] * np.eye(phi.shape[1])[None]
    weights = np.linalg.solve(systems, np.broadcast_to(rhs, (len(lambdas), len(rhs)))[..., None])
    weights = weights[..., 0]
    intercepts = y.mean() - weights @ mean
    return intercepts, weights, mean


def compute(params: Params) -> Data:
    """Fit ridge at the chosen λ and over a sweep; measure train and held-out MSE."""
    rng = np.random.default_rng(params.seed)
    x_train = rng.uniform(-1.0, 1.0, params.n)
    y_train = target(x_train) + params.noise * rng.standard_normal(params.n)
    x_test = rng.uniform(-1.0, 1.0, N_TEST)
    y_test = target(x_test) + params.noise * rng.standard_normal(N_TEST)
    lambdas = np.append(SWEEP, params.lam)
    intercepts, weights, _ = ridge(features(x_train, params.degree), y_train, lambdas)

    def mse(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        predictions = intercepts + features(x, params.degree) @ weights.T
        result: np.ndarray = ((predictions - y[:, None]) ** 2).mean(axis=0)
        return result

    train_mse, test_mse = mse(x_train, y_train), mse(x_test, y_test)
    best = int(np.argmin(test_mse[:-1]))
    return Data(
        lam=params.lam,
        degree=params.degree,
        noise=params.noise,
        x_train=x_train,
        y_train=y_train,
        x_grid=GRID.copy(),
        true_grid=target(GRID),
        fit_grid=intercepts[-1] + features(GRID, params.degree) @ weights[-1],
        lambdas=SWEEP.copy(),
        train_mse=train_mse[:-1],
        test_mse=test_mse[:-1],
        train_at=float(train_mse[-1]),
        test_at=float(test_mse[-1]),
        weight_norm=float(np.linalg.norm(weights[-1])),
        best_lambda=float(SWEEP[best]),
        best_test=float(test_mse[best]),
    )


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """Draw the fit at the chosen λ, and train/test error over the λ sweep."""
    fit_ax, error_ax = axes
    low = min(float(data.y_train.min()), float(data.true_grid.min()))
    high = max(float(data.y_train.max()), float(data.true_grid.max()))
    span = high - low
    fit_ax.plot(data.x_grid, data.true_grid, color=palette.muted, lw=1.5, ls="--", label="true f")
    fit_ax.plot(data.x_grid, data.fit_grid, color=palette.accent, lw=2.2, label="ridge fit")
    fit_ax.plot(
        data.x_train,
        data.y_train,
        "o",
        ms=5.5,
        color=palette.series[2],
        mec=palette.background,
        mew=0.8,
        label="training data",
    )
    fit_ax.set_xlim(-1.0, 1.0)
    fit_ax.set_ylim(low - 0.2 * span, high + 0.45 * span)  # headroom for the legend
    finish(
        fit_ax,
        palette,
        title=f"Degree {data.degree}, λ = {data.lam:g}: test MSE {data.test_at:.3g}",
        xlabel="x",
        ylabel="y",
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
        handlelength=1.5,
        columnspacing=1.0,
    )

    error_ax.loglog(data.lambdas, data.train_mse, color=palette.series[0], lw=2, label="train")
    error_ax.loglog(data.lambdas, data.test_mse, color=palette.bad, lw=2, label="test")
    if data.noise > 0:
        error_ax.axhline(
            data.noise**2, color=palette.muted, lw=1, ls=":", label="noise σ² (best possible)"
        )
    error_ax.axvline(data.lam, color=palette.text, lw=1, ls="--", alpha=0.7, label="chosen λ")
    error_ax.plot([data.lam, data.lam], [data.train_at, data.test_at], "o", color=palette.text)
    error_ax.plot(
        data.best_lambda, data.best_test, "*", ms=13, color=palette.good, label="best test"
    )
    finish(error_ax, palette, title="Error vs λ", xlabel="penalty λ (log)", ylabel="MSE (log)")
    light_log_ticks(error_ax)


def summary(data: Data) -> str:
    """Lead with one short sentence of what the figure shows, then the numbers."""
    return caption(
        f"Ridge tames a degree-{data.degree} polynomial: a larger λ gives a smoother fit.",
        details(data),
    )


def details(data: Data) -> str:
    """State train and test error at the chosen λ and where test error is lowest."""
    train = data.train_mse
    # Ridge's training error cannot fall as λ grows; allow for rounding in the solves only.
    rises = bool(np.all(np.diff(train) >= -1e-9 * float(train.max())))
    train_text = (
        "train error only rises with λ"
        if rises
        else f"train error goes from {sig(train[0])} to {sig(train[-1])}"
    )
    first, best = sig(float(data.test_mse[0])), sig(data.best_test)
    smallest = f"λ = {data.lambdas[0]:g}"
    if data.best_lambda == data.lambdas[0]:
        test_text = f"test error is lowest at the smallest {smallest} ({best})"
    elif first == best:
        test_text = (
            f"test error stays at {first} from {smallest} to its minimum at "
            f"λ ≈ {data.best_lambda:.2g}"
        )
    else:
        test_text = (
            f"test error falls from {first} at {smallest} to its minimum {best} at "
            f"λ ≈ {data.best_lambda:.2g}"
        )
    return (
        f"A degree-{data.degree} polynomial fit by ridge with λ = {data.lam:g} has train MSE "
        f"{num(data.train_at, 3)} and test MSE {num(data.test_at, 3)}. Over the sweep, "
        f"{train_text}, while {test_text}."
    )


def _describe_fit(params: Params) -> str:
    """Name the model and data every question of this demo is about."""
    return (
        f"A degree-{params.degree} polynomial (Legendre features, unpenalized intercept) is "
        f"fit by ridge to n = {params.n} points with noise σ = {params.noise:g}"
    )


# Enough degree for few, noisy points to overfit: where the penalty is worth asking about.
OVERFIT_RANGES = {"degree": (8.0, 15.0), "noise": (0.1, 0.5), "n": (8.0, 25.0)}


def _best_lambda_variant(rng: np.random.Generator) -> Params:
    return sample(Params, rng, ranges=OVERFIT_RANGES)


def _ask_best_lambda(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask which λ of the sweep has the lowest test error; others are decades away."""
    right, wrong = lowest_of_sweep(data.lambdas, data.test_mse, per_decade=3)
    return choice(
        f"{_describe_fit(params)}. Which λ of the sweep from {short(float(data.lambdas[0]))} "
        f"to {short(float(data.lambdas[-1]))} gives the lowest test error?",
        right,
        wrong,
        rng,
        f"Test MSE is lowest, {sig(data.best_test)}, at λ ≈ {short(data.best_lambda)}, the "
        "bottom of the test curve in the error panel.",
    )


def _compare_variant(rng: np.random.Generator) -> Params:
    return sample(Params, rng, ranges={**OVERFIT_RANGES, "lam": (1e-3, 1e2)})


SAME = "the same to 3 significant figures"


def _ask_compare(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask whether test error at λ lies above or below that of the barely penalized fit."""
    at, least = data.test_at, float(data.test_mse[0])
    smallest = f"{data.lambdas[0]:g}"
    # Values that print alike are "the same": the learner sees them printed.
    right = SAME if sig(at) == sig(least) else "above" if at > least else "below"
    return choice(
        f"{_describe_fit(params)}. Does its test MSE at λ = {data.lam:g} lie above or below "
        f"its test MSE at λ = {smallest}, the sweep's smallest penalty?",
        right,
        ["above", "below", SAME],
        rng,
        f"Test MSE is {sig(at)} at λ = {data.lam:g} and {sig(least)} at λ = {smallest}, the "
        "test curve at the marked λ and at the left end of the error panel.",
    )


QUESTIONS: tuple[QuestionKind[Params, Data], ...] = (
    QuestionKind("best-lambda", _best_lambda_variant, _ask_best_lambda),
    QuestionKind("compare", _compare_variant, _ask_compare),
)


DEMO = Demo(
    id="polynomial-fit",
    title="Ridge tames an overfit polynomial",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    panels=Panels(cols=2),
    questions=QUESTIONS,
)
