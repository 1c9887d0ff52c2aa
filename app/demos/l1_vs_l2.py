"""L1 vs L2 regularization paths: the Lasso sets weights exactly to zero, Ridge only shrinks.

Ten features, three of which matter. Objectives as scikit-learn defines them (with an
unpenalized intercept, so on centred data): Lasso (1/(2n))‖y - Xw‖² + α‖w‖₁, solved by
coordinate descent whose update is the proximal step (soft-thresholding); Ridge
‖y - Xw‖² + α‖w‖², solved in closed form.
"""

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from app.demos.base import Demo, DemoParams, param
from app.demos.style import Palette, finish, light_log_ticks, new_figure
from app.demos.wording import sig

TRUE_WEIGHTS = np.array([3.0, -2.0, 1.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
SWEEP = np.logspace(-2.0, 3.0, 26)
SWEEPS_PER_ROUND = 5
MAX_ROUNDS = 200


class Params(DemoParams):
    """Penalty strength, data size and noise."""

    alpha: float = param(0.3, ge=1e-2, le=1e3, step=0.1, label="Penalty α", log=True)
    n: int = param(50, ge=20, le=200, step=10, label="Training examples")
    noise: float = param(1.0, ge=0.1, le=2.0, step=0.1, label="Noise std σ")


@dataclass(frozen=True)
class Data:
    """Both paths over the α sweep, both solutions at the chosen α, and the centred data."""

    alpha: float
    alphas: np.ndarray
    lasso_path: np.ndarray
    ridge_path: np.ndarray
    lasso: np.ndarray
    ridge: np.ndarray
    lasso_zeros: int
    ridge_zeros: int
    true_weights: np.ndarray
    x: np.ndarray
    y: np.ndarray


def soft_threshold(value: np.ndarray, threshold: np.ndarray | float) -> np.ndarray:
    """The proximal operator of threshold·|w|: shrink toward 0 by threshold, exactly 0 inside."""
    result: np.ndarray = np.sign(value) * np.maximum(np.abs(value) - threshold, 0.0)
    return result


def lasso(x: np.ndarray, y: np.ndarray, alphas: np.ndarray) -> np.ndarray:
    """Minimize (1/(2n))‖y - Xw‖² + α‖w‖₁ for every α at once by cyclic coordinate descent.

    Every few sweeps, each α's support and signs are tried as final: solving the optimality
    conditions on that support exactly gives the solution once they hold everywhere.
    """
    n, features = x.shape
    gram = x.T @ x / n
    moment = x.T @ y / n
    weights = np.zeros((len(alphas), features))
    for _ in range(MAX_ROUNDS):
        for _ in range(SWEEPS_PER_ROUND):
            for j in range(features):
                # correlation of feature j with the residual that leaves feature j out
                rho = moment[j] - weights @ gram[j] + gram[j, j] * weights[:, j]
                weights[:, j] = soft_threshold(rho, alphas) / gram[j, j]
        polished, optimal = _polish(gram, moment, alphas, weights)
        weights = np.where(optimal[:, None], polished, weights)
        if optimal.all():
            break
    return weights


def _polish(
    gram: np.ndarray, moment: np.ndarray, alphas: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Solve the Lasso optimality conditions on each row's support; say where they all hold."""
    polished = np.zeros_like(weights)
    optimal = np.zeros(len(alphas), dtype=bool)
    for k, alpha in enumerate(alphas):
        active = weights[k] != 0.0
        signs = np.sign(weights[k, active])
        if active.any():
            polished[k, active] = np.linalg.solve(
                gram[np.ix_(active, active)], moment[active] - alpha * signs
            )
        correlation = moment - gram @ polished[k]  # = -gradient of the smooth part
        optimal[k] = bool(
            np.array_equal(np.sign(polished[k, active]), signs)
            and np.all(np.abs(correlation[~active]) <= alpha * (1.0 + 1e-9))
        )
    return polished, optimal


def ridge(x: np.ndarray, y: np.ndarray, alphas: np.ndarray) -> np.ndarray:
    """Minimize ‖y - Xw‖² + α‖w‖² for every α: w = (XᵀX + αI)⁻¹Xᵀy."""
    features = x.shape[1]
    systems = x.T @ x + alphas[:, None, None] * np.eye(features)
    rhs = np.broadcast_to(x.T @ y, (len(alphas), features))[..., None]
    weights: np.ndarray = np.linalg.solve(systems, rhs)[..., 0]
    return weights


def compute(params: Params) -> Data:
    """Draw sparse linear data; fit Lasso and Ridge over the α sweep and at the chosen α."""
    rng = np.random.default_rng(params.seed)
    x = rng.standard_normal((params.n, len(TRUE_WEIGHTS)))
    y = x @ TRUE_WEIGHTS + 1.0 + params.noise * rng.standard_normal(params.n)
    x = x - x.mean(axis=0)  # what fit_intercept=True does: the intercept is not penalized
    y = y - y.mean()
    alphas = np.append(SWEEP, params.alpha)
    lasso_weights = lasso(x, y, alphas)
    ridge_weights = ridge(x, y, alphas)
    return Data(
        alpha=params.alpha,
        alphas=SWEEP.copy(),
        lasso_path=lasso_weights[:-1],
        ridge_path=ridge_weights[:-1],
        lasso=lasso_weights[-1],
        ridge=ridge_weights[-1],
        lasso_zeros=int(np.sum(lasso_weights[-1] == 0.0)),
        ridge_zeros=int(np.sum(ridge_weights[-1] == 0.0)),
        true_weights=TRUE_WEIGHTS.copy(),
        x=x,
        y=y,
    )


def _draw_path(
    ax: Axes, alphas: np.ndarray, path: np.ndarray, at: np.ndarray, alpha: float, palette: Palette
) -> None:
    signal = np.flatnonzero(TRUE_WEIGHTS)
    noise = np.flatnonzero(TRUE_WEIGHTS == 0)
    ax.axhline(0.0, color=palette.muted, lw=0.8)
    ax.semilogx(alphas, path[:, noise], color=palette.muted, lw=1.1, alpha=0.8)
    ax.lines[-1].set_label(f"{len(noise)} noise features (true 0)")
    for colour, j in zip(palette.series, signal, strict=False):
        ax.semilogx(
            alphas,
            path[:, j],
            color=colour,
            lw=2.2,
            label=f"w{j + 1} (true {TRUE_WEIGHTS[j]:g})".replace("-", "−"),
        )
    ax.axvline(alpha, color=palette.text, lw=1, ls="--", alpha=0.7, label=f"chosen α = {alpha:g}")
    zero = at == 0.0
    ax.plot(np.full(int(np.sum(~zero)), alpha), at[~zero], "o", ms=5, color=palette.text)
    if zero.any():
        ax.plot(
            np.full(int(np.sum(zero)), alpha), at[zero], "o", ms=7, mfc="none", color=palette.warn
        )
    ax.set_xlim(alphas[0], alphas[-1])
    light_log_ticks(ax)


def plot(data: Data, palette: Palette) -> Figure:
    """Draw the Lasso and Ridge paths side by side with the chosen α marked."""
    figure, (lasso_ax, ridge_ax) = new_figure(palette, (8.0, 4.2), ncols=2, bottom=1.0)
    features = len(data.true_weights)
    _draw_path(lasso_ax, data.alphas, data.lasso_path, data.lasso, data.alpha, palette)
    _draw_path(ridge_ax, data.alphas, data.ridge_path, data.ridge, data.alpha, palette)
    ridge_ax.sharey(lasso_ax)
    finish(
        lasso_ax,
        palette,
        title=f"Lasso (L1): {data.lasso_zeros} of {features} weights = 0",
        xlabel="α in (1/2n)‖y−Xw‖² + α‖w‖₁ (log)",
        ylabel="weight",
        legend=False,
    )
    finish(
        ridge_ax,
        palette,
        title=f"Ridge (L2): {data.ridge_zeros} of {features} weights = 0",
        xlabel="α in ‖y−Xw‖² + α‖w‖² (log)",
        ylabel="weight",
        legend=False,
    )
    figure.legend(
        *lasso_ax.get_legend_handles_labels(),
        loc="outside lower center",
        ncol=5,
        fontsize=8.5,
        facecolor=palette.surface,
        edgecolor=palette.grid,
        labelcolor=palette.text,
        handlelength=1.5,
        columnspacing=1.2,
    )
    return figure


def summary(data: Data) -> str:
    """State how many weights each method sets exactly to zero at the chosen α."""
    smallest = float(np.min(np.abs(data.ridge)))
    ridge = (
        f"its smallest weight is {sig(smallest, 2)}, shrunk but not zero"
        if data.ridge_zeros == 0
        else "the others are shrunk"
    )
    return (
        f"At α = {data.alpha:g}, the Lasso sets {data.lasso_zeros} of {len(data.lasso)} weights "
        f"exactly to 0 (soft-thresholding), while Ridge sets {data.ridge_zeros}: {ridge}."
    )


DEMO = Demo(
    id="l1-vs-l2",
    title="L1 vs L2: sparse vs shrunk weights",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
)
