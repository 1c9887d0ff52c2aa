"""Too much regularization underfits: train and test error over a λ sweep for ridge on RBFs.

The model is 25 Gaussian bumps (RBF features) plus an unpenalized intercept, fit by ridge
with scikit-learn's objective ‖y - b - Φw‖² + λ‖w‖². Small λ overfits (train error far below
test error); large λ pushes w to 0, so the model predicts the mean: train and test error are
both high and close together. One training set of a few points has a luck of its own (its
variance alone can sit 30% off the population's), so the errors are averaged over many
training sets drawn alike, scored on one shared test set: the expected errors.
"""

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels
from app.figures.questions import Question, QuestionKind, choice, lowest_of_sweep, sample
from app.figures.style import Palette, finish, light_log_ticks
from app.figures.wording import caption, num, short

CENTRES = np.linspace(-1.0, 1.0, 25)
WIDTH = 0.12
SWEEP = np.logspace(-4.0, 4.0, 25)
N_TEST = 1000
GRID = np.linspace(-1.0, 1.0, 200)
ZONE = 1.5  # a zone is where test error exceeds the best by this factor
REPEATS = 30  # training sets averaged over
CLOSE = 0.25  # train and test error are "close together" when they differ by at most this


class Params(DemoParams):
    """Penalty, data size and noise."""

    lam: float = param(100.0, ge=1e-4, le=1e4, step=0.1, label="Penalty λ", log=True)
    n: int = param(20, ge=10, le=60, step=5, label="Training points")
    noise: float = param(0.3, ge=0.05, le=0.8, step=0.05, label="Noise std σ")


@dataclass(frozen=True)
class Data:
    """Errors and weight norms over the sweep, the zones, the fit at the chosen λ."""

    lam: float
    noise: float
    lambdas: np.ndarray
    train_mse: np.ndarray
    test_mse: np.ndarray
    weight_norm: np.ndarray
    train_at: float
    test_at: float
    best_lambda: float
    best_test: float
    mean_train_mse: float
    mean_test_mse: float
    overfit_below: float
    underfit_above: float
    x_train: np.ndarray  # the first training set, drawn with its fit
    y_train: np.ndarray
    x_grid: np.ndarray
    true_grid: np.ndarray
    fit_grid: np.ndarray


def target(x: np.ndarray) -> np.ndarray:
    """The function the data comes from."""
    return 1.5 * np.sin(2.0 * np.pi * x) + 0.5 * x


def features(x: np.ndarray) -> np.ndarray:
    """Gaussian bumps of width 0.12 centred on 25 points of [-1, 1]."""
    result: np.ndarray = np.exp(-0.5 * ((x[:, None] - CENTRES) / WIDTH) ** 2)
    return result


def compute(params: Params) -> Data:
    """Fit ridge over the sweep and at the chosen λ on each training set; average the errors."""
    rng = np.random.default_rng(params.seed)
    x_train = rng.uniform(-1.0, 1.0, (REPEATS, params.n))
    y_train = target(x_train) + params.noise * rng.standard_normal((REPEATS, params.n))
    x_test = rng.uniform(-1.0, 1.0, N_TEST)
    y_test = target(x_test) + params.noise * rng.standard_normal(N_TEST)

    lambdas = np.append(SWEEP, params.lam)
    size = len(CENTRES)
    phi = features(x_train.ravel()).reshape(REPEATS, params.n, size)
    mean = phi.mean(axis=1)  # (R, 25)
    centred = phi - mean[:, None, :]
    y_mean = y_train.mean(axis=1)  # (R,)
    gram = centred.transpose(0, 2, 1) @ centred  # (R, 25, 25)
    moment = np.einsum("rnk,rn->rk", centred, y_train - y_mean[:, None])
    # (G + λI)⁻¹b for every λ from one eigendecomposition of each training set's G
    values, vectors = np.linalg.eigh(gram)
    rotated = np.einsum("rkj,rk->rj", vectors, moment)
    scaled = rotated[:, None, :] / (values[:, None, :] + lambdas[None, :, None])
    weights = np.einsum("rkj,rlj->rlk", vectors, scaled)  # (R, L, 25)
    intercepts = y_mean[:, None] - np.einsum("rlk,rk->rl", weights, mean)  # (R, L)

    fitted = intercepts[:, None, :] + phi @ weights.transpose(0, 2, 1)  # (R, n, L)
    train_mse = np.mean((fitted - y_train[..., None]) ** 2, axis=(0, 1))
    # Test error of b + φ·w from the test set's moments, for all (set, λ) pairs at once:
    # mean (b + φ·w - y)² = wᵀMw + 2b m·w - 2 w·c + b² - 2b ȳ + mean y²
    test_phi = features(x_test)
    second = test_phi.T @ test_phi / N_TEST
    test_mean, cross = test_phi.mean(axis=0), test_phi.T @ y_test / N_TEST
    flat, b = weights.reshape(-1, size), intercepts.ravel()
    per_pair = (
        np.einsum("pk,pk->p", flat @ second, flat)
        + 2 * b * (flat @ test_mean)
        - 2 * flat @ cross
        + b**2
        - 2 * b * y_test.mean()
        + np.mean(y_test**2)
    )
    test_mse = per_pair.reshape(REPEATS, -1).mean(axis=0)
    sweep_test = test_mse[:-1]
    best = int(np.argmin(sweep_test))
    bad = sweep_test > ZONE * sweep_test[best]
    # a zone's edge is halfway (on the log axis) between its last point and the next one
    edges = np.sqrt(SWEEP[1:] * SWEEP[:-1])
    over = np.flatnonzero(bad[:best])
    under = np.flatnonzero(bad[best:]) + best
    return Data(
        lam=params.lam,
        noise=params.noise,
        lambdas=SWEEP.copy(),
        train_mse=train_mse[:-1],
        test_mse=sweep_test,
        weight_norm=np.linalg.norm(weights[:, :-1], axis=2).mean(axis=0),
        train_at=float(train_mse[-1]),
        test_at=float(test_mse[-1]),
        best_lambda=float(SWEEP[best]),
        best_test=float(sweep_test[best]),
        mean_train_mse=float(np.mean((y_train - y_mean[:, None]) ** 2)),
        mean_test_mse=float(np.mean((y_test[None, :] - y_mean[:, None]) ** 2)),
        overfit_below=float(edges[over[-1]]) if len(over) else float(SWEEP[0]),
        underfit_above=float(edges[under[0] - 1]) if len(under) else float(SWEEP[-1]),
        x_train=x_train[0],
        y_train=y_train[0],
        x_grid=GRID.copy(),
        true_grid=target(GRID),
        fit_grid=intercepts[0, -1] + features(GRID) @ weights[0, -1],
    )


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """Draw train/test error over λ with the zones shaded, and the fit at the chosen λ."""
    error_ax, fit_ax = axes
    low, high = float(data.lambdas[0]), float(data.lambdas[-1])
    zones = [
        (low, data.overfit_below, palette.bad, "overfitting"),
        (data.underfit_above, high, palette.warn, "underfitting"),
    ]
    for start, stop, colour, name in zones:
        if stop > start:
            error_ax.axvspan(start, stop, color=colour, alpha=0.13, lw=0)
            error_ax.text(
                np.sqrt(start * stop),
                0.97,
                name,
                transform=error_ax.get_xaxis_transform(),
                ha="center",
                va="top",
                fontsize=9,
                color=colour,
                fontweight="bold",
            )
    error_ax.loglog(data.lambdas, data.train_mse, color=palette.series[0], lw=2, label="train")
    error_ax.loglog(data.lambdas, data.test_mse, color=palette.bad, lw=2, label="test")
    error_ax.axhline(
        data.mean_test_mse, color=palette.muted, lw=1.2, ls="-.", label="predict the mean"
    )
    error_ax.axhline(data.noise**2, color=palette.muted, lw=1, ls=":", label="noise σ²")
    error_ax.axvline(data.lam, color=palette.text, lw=1, ls="--", alpha=0.7)
    error_ax.plot([data.lam, data.lam], [data.train_at, data.test_at], "o", color=palette.text)
    error_ax.set_xlim(low, high)
    top = max(float(data.test_mse.max()), data.mean_test_mse)
    bottom = min(float(data.train_mse.min()), data.noise**2)
    error_ax.set_ylim(bottom / 1.6, top * 3.0)  # headroom for the zone names
    finish(
        error_ax,
        palette,
        title=f"Error vs λ, mean of {REPEATS} training sets",
        xlabel="penalty λ (log)",
        ylabel="MSE (log)",
    )
    error_ax.legend(
        fontsize=8.5,
        facecolor=palette.surface,
        edgecolor=palette.grid,
        labelcolor=palette.text,
        framealpha=0.9,
        loc="lower right",
    )
    light_log_ticks(error_ax)

    fit_ax.plot(data.x_grid, data.true_grid, color=palette.muted, lw=1.4, ls="--", label="true f")
    fit_ax.plot(data.x_grid, data.fit_grid, color=palette.accent, lw=2.2, label="fit")
    fit_ax.plot(
        data.x_train,
        data.y_train,
        "o",
        ms=4.5,
        color=palette.series[2],
        mec=palette.background,
        mew=0.6,
        label="data",
    )
    low_y = min(float(data.y_train.min()), float(data.true_grid.min()))
    high_y = max(float(data.y_train.max()), float(data.true_grid.max()))
    fit_ax.set_ylim(low_y - 0.1 * (high_y - low_y), high_y + 0.4 * (high_y - low_y))
    fit_ax.set_xlim(-1.0, 1.0)
    finish(
        fit_ax,
        palette,
        title=f"Fit at λ = {data.lam:g}, one training set",
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
        handlelength=1.2,
        handletextpad=0.4,
        columnspacing=0.8,
    )


def _times(ratio: float) -> str:
    """Write a ratio with two significant digits, or whole above 100."""
    return f"{ratio:.2g}" if ratio < 100 else f"{ratio:,.0f}"


def _compare(train: float, test: float) -> str:
    """Say how far apart a train and a test error are, in the words the numbers allow."""
    gap = abs(test - train) / max(test, train)
    if gap <= CLOSE:
        return f"close together ({100 * gap:.0f}% apart)"
    if test > train:
        return f"far apart (test {_times(test / train)}× train)"
    return f"far apart (train {_times(train / test)}× test)"


def summary(data: Data) -> str:
    """Lead with one short sentence of what the figure shows, then the numbers."""
    return caption(
        "Ridge's train and test error across λ, from a tiny penalty to a huge one.", details(data)
    )


def details(data: Data) -> str:
    """State the errors at the chosen λ, at the best λ, and at both ends of the sweep."""
    low_train, low_test = float(data.train_mse[0]), float(data.test_mse[0])
    high_train, high_test = float(data.train_mse[-1]), float(data.test_mse[-1])
    limit = ZONE * data.best_test
    low = "overfits" if low_test > limit and low_train < low_test else "does not overfit"
    high = "underfits" if high_test > limit else "does not underfit"
    mean_like = abs(high_test - data.mean_test_mse) <= 0.03 * data.mean_test_mse
    mean = "as bad as" if mean_like else "unlike"
    return (
        f"Averaged over {REPEATS} training sets of {len(data.x_train)} points: at λ = "
        f"{data.lam:g} ridge has train MSE {data.train_at:.3f} and test MSE {data.test_at:.3f}; "
        f"the best test MSE is {data.best_test:.3f} at λ ≈ {data.best_lambda:.2g}. "
        f"At λ = {data.lambdas[0]:g} the model {low}: train {low_train:.3f} and test "
        f"{low_test:.3f}, {_compare(low_train, low_test)}. At λ = {data.lambdas[-1]:g} the "
        f"weights shrink to ‖w‖ = {data.weight_norm[-1]:.4f} and the model {high}: train "
        f"{high_train:.3f} and test {high_test:.3f} ({_times(high_test / data.best_test)}× "
        f"the best test MSE), {_compare(high_train, high_test)}, {mean} predicting the mean "
        f"({data.mean_test_mse:.3f})."
    )


def _describe_fit(params: Params) -> str:
    """Name the model and data every question of this demo is about."""
    return (
        f"Ridge on {len(CENTRES)} Gaussian bumps with an unpenalized intercept is fit to "
        f"n = {params.n} points with noise σ = {params.noise:g}, and its errors are averaged "
        f"over {REPEATS} training sets"
    )


def _best_lambda_variant(rng: np.random.Generator) -> Params:
    return sample(Params, rng)


def _ask_best_lambda(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask which λ of the sweep has the lowest expected test error; others are a decade off."""
    right, wrong = lowest_of_sweep(data.lambdas, data.test_mse, per_decade=3)
    return choice(
        f"{_describe_fit(params)}. Which λ of the sweep from {short(float(data.lambdas[0]))} to "
        f"{short(float(data.lambdas[-1]))} gives the lowest expected test error?",
        right,
        wrong,
        rng,
        f"Test error bottoms out at {num(data.best_test, 3)} at λ ≈ {short(data.best_lambda)}: "
        "a smaller λ lets the fit chase the noise, a larger one flattens it toward the mean.",
    )


def _large_lambda_variant(rng: np.random.Generator) -> Params:
    return sample(Params, rng, ranges={"lam": (1e3, 1e4)})


def _ask_large_lambda(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask a huge penalty's test error from its train error: about as high, the mean's error.

    The wrong values are those of other readings of the figure: the noise floor σ², the
    sweep's lowest test error (regularization only helps), the test error at the weakest
    penalty (an extreme λ fares like the other extreme) and the train error scaled by the
    test/train ratio at the best λ (the gap stays as it was); only those clearly apart from it.
    """
    test = data.test_at
    best = int(np.argmin(data.test_mse))
    others = (
        data.noise**2,
        data.best_test,
        float(data.test_mse[0]),
        data.train_at * float(data.test_mse[best] / data.train_mse[best]),
    )
    return choice(
        f"{_describe_fit(params)}. At λ = {data.lam:g} the penalty dominates, and the expected "
        f"training MSE is {num(data.train_at, 3)}. Which is the expected test MSE?",
        num(test, 3),
        [num(value, 3) for value in others if abs(value - test) > CLOSE * test],
        rng,
        f"At λ = {data.lam:g} the expected train MSE {num(data.train_at, 3)} and test MSE "
        f"{num(test, 3)} are {_compare(data.train_at, test)}, and predicting each training "
        f"set's mean scores {num(data.mean_test_mse, 3)}: the penalty shrinks w toward 0 and "
        "leaves the intercept, the mean, as at the right end of the sweep.",
    )


QUESTIONS: tuple[QuestionKind[Params, Data], ...] = (
    QuestionKind("best-lambda", _best_lambda_variant, _ask_best_lambda),
    QuestionKind("large-lambda", _large_lambda_variant, _ask_large_lambda),
)


DEMO = Demo(
    id="lambda-sweep",
    title="Too much regularization underfits",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    panels=Panels(cols=2),
    questions=QUESTIONS,
)
