"""Choosing the dropout probability: training and held-out error of a model trained with dropout.

The model is linear regression with (inverted) dropout on its inputs, x_j -> x_j m_j / (1-p).
Its expected training loss is exactly the plain loss plus an adaptive L2 penalty (Wager et al.
2013; Srivastava et al. 2014, section 9.1):

    E (1/n)||y - X~ w||^2 = (1/n)||y - X w||^2 + p/(1-p) * sum_j w_j^2 mean_i(x_ij^2),

so the model dropout training converges to is computed in closed form for every p at once
from one SVD. Small p overfits the noise, large p shrinks the weights until it underfits.
"""

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from app.demos.base import Demo, DemoParams, param
from app.demos.style import Palette, finish, new_figure
from app.demos.wording import num

P_GRID = np.round(np.linspace(0.0, 0.9, 91), 10)


class Params(DemoParams):
    """Data size and noise, and the drop probability to mark."""

    samples: int = param(50, ge=20, le=200, step=10, label="Training examples n")
    features: int = param(30, ge=5, le=60, step=1, label="Features d")
    noise: float = param(1.0, ge=0.1, le=3.0, step=0.1, label="Label noise σ")
    p: float = param(0.5, ge=0.0, le=0.9, step=0.05, label="Drop probability p (marked)")


@dataclass(frozen=True)
class Data:
    """Errors and weights against p; the best p and the marked one."""

    p_grid: np.ndarray  # (P,)
    train_error: np.ndarray  # (P,) mean squared error on the training set (no dropout)
    held_out_error: np.ndarray  # (P,) expected on fresh examples
    weights: np.ndarray  # (P, d) the learned weights
    true_weights: np.ndarray  # (d,)
    best_p: float
    best_error: float
    marked_p: float
    marked_train: float
    marked_held_out: float
    noise_floor: float  # sigma^2, the held-out error of the true weights


def dropout_weights(x: np.ndarray, y: np.ndarray, ps: np.ndarray) -> np.ndarray:
    """Minimize the expected input-dropout loss for each p: (X'X + n p/(1-p) D) w = X'y.

    D = diag(mean_i x_ij^2). With v = D^(1/2) w and Z = X D^(-1/2) this is ridge regression
    on Z with penalty n*lambda, solved for every lambda from one SVD (minimum norm at p = 0).
    """
    n = x.shape[0]
    scale = np.sqrt(np.mean(x**2, axis=0))
    u, s, vt = np.linalg.svd(x / scale, full_matrices=False)
    lam = ps / (1.0 - ps)
    kept = s > 1e-10 * s[0]
    safe = np.where(kept, s, 1.0)
    factors = np.where(kept, safe / (safe**2 + n * lam[:, None]), 0.0)  # (P, rank)
    weights: np.ndarray = ((factors * (u.T @ y)) @ vt) / scale
    return weights


def compute(params: Params) -> Data:
    """Draw a noisy linear task; fit with dropout for each p; score on new data exactly."""
    rng = np.random.default_rng(params.seed)
    d = params.features
    true_weights = rng.standard_normal(d)
    true_weights /= np.linalg.norm(true_weights)  # signal variance 1
    x = rng.standard_normal((params.samples, d))
    y = x @ true_weights + params.noise * rng.standard_normal(params.samples)

    ps = np.append(P_GRID, params.p)
    weights = dropout_weights(x, y, ps)
    train_error = np.mean((x @ weights.T - y[:, None]) ** 2, axis=0)
    # Expected squared error on a fresh example (x ~ N(0, I)): noise plus ||w - w*||^2.
    held_out_error = params.noise**2 + np.sum((weights - true_weights) ** 2, axis=1)
    best = int(np.argmin(held_out_error[:-1]))
    return Data(
        p_grid=P_GRID.copy(),
        train_error=train_error[:-1],
        held_out_error=held_out_error[:-1],
        weights=weights[:-1],
        true_weights=true_weights,
        best_p=float(P_GRID[best]),
        best_error=float(held_out_error[best]),
        marked_p=params.p,
        marked_train=float(train_error[-1]),
        marked_held_out=float(held_out_error[-1]),
        noise_floor=params.noise**2,
    )


def plot(data: Data, palette: Palette) -> Figure:
    """Left: training and held-out error against p. Right: the weights shrinking with p."""
    figure, (left, right) = new_figure(palette, (8.0, 4.2), ncols=2)
    top = float(max(data.held_out_error.max(), data.train_error.max())) * 1.55
    if data.best_p > 0.04:
        left.axvspan(0.0, data.best_p, color=palette.warn, alpha=0.09, lw=0)
        left.text(
            data.best_p / 2,
            top * 0.02,
            "overfit",
            ha="center",
            va="bottom",
            color=palette.warn,
            fontsize=9,
        )
    if data.best_p < 0.86:
        left.axvspan(data.best_p, 0.9, color=palette.series[4], alpha=0.09, lw=0)
        left.text(
            (data.best_p + 0.9) / 2,
            top * 0.02,
            "underfit",
            ha="center",
            va="bottom",
            color=palette.series[4],
            fontsize=9,
        )
    left.plot(
        data.p_grid, data.held_out_error, color=palette.series[0], lw=2.0, label="held-out error"
    )
    left.plot(
        data.p_grid,
        data.train_error,
        color=palette.series[1],
        lw=1.6,
        ls="--",
        label="training error",
    )
    left.axhline(data.noise_floor, color=palette.muted, lw=1.0, ls=":", label="noise σ²")
    left.plot(
        data.best_p,
        data.best_error,
        "*",
        ms=14,
        color=palette.accent,
        mec=palette.text,
        mew=0.6,
        label=f"best p = {data.best_p:.2f}",
    )
    left.plot(
        [data.marked_p] * 2,
        [data.marked_held_out, data.marked_train],
        "o",
        ms=6,
        color=palette.bad,
        label=f"your p = {data.marked_p:.2f}",
    )
    left.set_xlim(0.0, 0.9)
    left.set_ylim(0.0, top)
    finish(
        left,
        palette,
        title="Error against dropout rate",
        xlabel="drop probability p",
        ylabel="mean squared error",
        legend=False,
    )
    left.legend(
        loc="upper right",
        ncols=2,
        fontsize=8.5,
        facecolor=palette.surface,
        edgecolor=palette.grid,
        labelcolor=palette.text,
        framealpha=0.9,
    )

    right.plot(data.p_grid, data.weights, color=palette.muted, lw=0.8, alpha=0.55)
    right.axvline(data.best_p, color=palette.accent, lw=1.2, ls="--", label="best p")
    lam = data.marked_p / (1.0 - data.marked_p)
    right.axvline(data.marked_p, color=palette.bad, lw=1.2, ls=":", label=f"your p: λ = {lam:.2f}")
    right.axhline(0.0, color=palette.grid, lw=1.0)
    right.set_xlim(0.0, 0.9)
    for ax in (left, right):
        ax.xaxis.set_major_locator(MaxNLocator(4, steps=[1, 2, 2.5, 5, 10]))
        ax.yaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
    finish(
        right,
        palette,
        title="Weights shrink: L2 with λ = p/(1-p)",
        xlabel="drop probability p",
        ylabel="learned weight wⱼ (one line each)",
        legend=False,
    )
    right.legend(
        loc="upper right",
        fontsize=8.5,
        facecolor=palette.surface,
        edgecolor=palette.grid,
        labelcolor=palette.text,
        framealpha=0.9,
    )
    return figure


def summary(data: Data) -> str:
    """Give the best p and the errors at both ends and at the marked p."""
    start, end = float(data.held_out_error[0]), float(data.held_out_error[-1])
    overfit = " (overfitting)" if start > 1.02 * data.best_error else ""
    underfit = " (underfitting)" if end > 1.02 * data.best_error else ""
    return (
        f"Held-out error is lowest at p = {num(data.best_p)} ({num(data.best_error)}); it is "
        f"{num(start)} without dropout{overfit} and {num(end)} at "
        f"p = {num(float(data.p_grid[-1]), 1)}{underfit}. At p = {num(data.marked_p)} the "
        f"training error is {num(data.marked_train)} and the held-out error "
        f"{num(data.marked_held_out)}."
    )


DEMO = Demo(
    id="dropout-rate",
    title="Choosing the dropout probability",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
)
