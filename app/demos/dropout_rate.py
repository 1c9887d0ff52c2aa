"""Choosing dropout p per layer: a wide hidden layer wants a higher p than a narrow one.

Two networks with one hidden ReLU layer, a narrow one and a wide one, learn the same noisy
task. Their first layer is random and fixed (a random-feature network), and the output layer
is trained with (inverted) dropout on the hidden units, h_j -> h_j m_j / (1-p). The expected
training loss is then exactly the plain loss plus an adaptive L2 penalty (Wager et al. 2013;
Srivastava et al. 2014, section 9.1):

    E (1/n)||y - b - H~ w||^2 = (1/n)||y - b - H w||^2 + p/(1-p) * sum_j w_j^2 mean_i(h_ij^2),

so the weights dropout training converges to are computed in closed form for every p at once
from one eigendecomposition per layer. A wide layer spreads the output over many units, so the
same p regularizes it far less: its best p is higher, while a narrow layer loses capacity
quickly.
"""

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels, legend_columns
from app.figures.questions import Question, QuestionKind, choice, sample
from app.figures.style import Palette, finish
from app.figures.wording import caption, num

P_GRID = np.round(np.linspace(0.0, 0.9, 91), 10)
N_TEST = 1000
DIRECTIONS = 3  # the target is a sum of sines along this many random directions
CLIP = 2.5  # the error axis ends at this multiple of the worst best error


class Params(DemoParams):
    """Data size, inputs and noise; the two hidden widths; the drop probability to mark."""

    samples: int = param(100, ge=20, le=200, step=10, label="Training examples n")
    features: int = param(5, ge=1, le=60, step=1, label="Input features d")
    noise: float = param(0.5, ge=0.1, le=3.0, step=0.1, label="Label noise σ")
    narrow: int = param(10, ge=2, le=40, step=1, label="Narrow layer: hidden units")
    wide: int = param(100, ge=50, le=400, step=10, label="Wide layer: hidden units")
    p: float = param(0.5, ge=0.0, le=0.9, step=0.05, label="Drop probability p (marked)")


@dataclass(frozen=True)
class Data:
    """Errors against p for both layers (row 0 narrow, row 1 wide); best and marked p."""

    p_grid: np.ndarray  # (P,)
    widths: tuple[int, int]
    train_error: np.ndarray  # (2, P) mean squared error on the training set (no dropout)
    held_out_error: np.ndarray  # (2, P) on fresh examples
    best_p: tuple[float, float]
    best_error: tuple[float, float]
    marked_p: float
    marked_train: tuple[float, float]
    marked_held_out: tuple[float, float]
    noise_floor: float  # sigma^2, the held-out error of the true function


def dropout_weights(h: np.ndarray, y: np.ndarray, ps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minimize the expected hidden-dropout loss for each p; return the weights and biases.

    The bias is not dropped, so centring leaves ||yc - Hc w||^2/n + p/(1-p) w' D w with
    D = diag(mean_i h_ij^2): ridge regression on Z = Hc D^(-1/2), solved for every p from one
    eigendecomposition of the smaller of Z'Z and ZZ' (minimum norm at p = 0). Units that are
    silent on every example get weight 0.
    """
    n, width = h.shape
    second = np.mean(h**2, axis=0)
    alive = second > 0.0
    scale = np.sqrt(np.where(alive, second, 1.0))
    mean = h.mean(axis=0)
    z = np.where(alive, h - mean, 0.0) / scale
    yc = y - y.mean()
    shrink = n * ps / (1.0 - ps)  # n·λ with λ = p/(1-p)
    tall = width <= n
    values, vectors = np.linalg.eigh(z.T @ z if tall else z @ z.T)
    kept = values > 1e-12 * values[-1]
    inverse = np.where(kept, 1.0 / (np.where(kept, values, 1.0) + shrink[:, None]), 0.0)
    if tall:  # w = V diag(1/(s² + nλ)) V' Z'y
        scaled = (inverse * (vectors.T @ (z.T @ yc))) @ vectors.T
    else:  # w = Z' U diag(1/(s² + nλ)) U' y
        scaled = (inverse * (vectors.T @ yc)) @ vectors.T @ z
    weights: np.ndarray = np.where(alive, scaled / scale, 0.0)
    biases: np.ndarray = y.mean() - weights @ mean
    return weights, biases


def compute(params: Params) -> Data:
    """Draw a noisy nonlinear task; fit both layers with dropout for each p; score on new data."""
    rng = np.random.default_rng(params.seed)
    d = params.features
    directions = rng.standard_normal((d, DIRECTIONS)) / np.sqrt(d)
    x = rng.standard_normal((params.samples, d))
    x_test = rng.standard_normal((N_TEST, d))
    y = np.sin(x @ directions).sum(axis=1) + params.noise * rng.standard_normal(params.samples)
    y_test = np.sin(x_test @ directions).sum(axis=1)  # noise-free: add sigma^2 exactly below

    ps = np.append(P_GRID, params.p)
    train, held_out = [], []
    for width in (params.narrow, params.wide):
        first = rng.standard_normal((d, width)) / np.sqrt(d)
        offsets = rng.standard_normal(width)
        weights, biases = dropout_weights(np.maximum(x @ first + offsets, 0.0), y, ps)
        fitted = np.maximum(x @ first + offsets, 0.0) @ weights.T + biases
        predicted = np.maximum(x_test @ first + offsets, 0.0) @ weights.T + biases
        train.append(np.mean((fitted - y[:, None]) ** 2, axis=0))
        held_out.append(np.mean((predicted - y_test[:, None]) ** 2, axis=0) + params.noise**2)
    train_error, held_out_error = np.array(train), np.array(held_out)
    best = np.argmin(held_out_error[:, :-1], axis=1)
    return Data(
        p_grid=P_GRID.copy(),
        widths=(params.narrow, params.wide),
        train_error=train_error[:, :-1],
        held_out_error=held_out_error[:, :-1],
        best_p=(float(P_GRID[best[0]]), float(P_GRID[best[1]])),
        best_error=(float(held_out_error[0, best[0]]), float(held_out_error[1, best[1]])),
        marked_p=params.p,
        marked_train=(float(train_error[0, -1]), float(train_error[1, -1])),
        marked_held_out=(float(held_out_error[0, -1]), float(held_out_error[1, -1])),
        noise_floor=params.noise**2,
    )


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """One panel per layer: training and held-out error against p, the best p starred."""
    figure = axes[0].figure
    top = CLIP * max(data.best_error)
    names = ("Narrow", "Wide")
    for k, ax in enumerate(axes):
        held_out, train = data.held_out_error[k], data.train_error[k]
        ax.plot(data.p_grid, held_out, color=palette.series[0], lw=2.0, label="held-out error")
        ax.plot(
            data.p_grid, train, color=palette.series[1], lw=1.6, ls="--", label="training error"
        )
        ax.axhline(data.noise_floor, color=palette.muted, lw=1.0, ls=":", label="noise σ²")
        ax.axvline(data.marked_p, color=palette.bad, lw=1.0, ls=":")
        ax.plot(
            [data.marked_p] * 2,
            [data.marked_held_out[k], data.marked_train[k]],
            "o",
            ms=6,
            color=palette.bad,
            clip_on=False,
            label=f"your p = {data.marked_p:.2f}",
        )
        ax.plot(
            data.best_p[k],
            data.best_error[k],
            "*",
            ms=15,
            color=palette.accent,
            mec=palette.text,
            mew=0.6,
            clip_on=False,
            label="lowest held-out error",
        )
        if held_out[0] > top:
            ax.annotate(
                f"↑ {held_out[0]:.3g} at p = 0",
                (0.0, top),
                xytext=(6, -4),
                textcoords="offset points",
                ha="left",
                va="top",
                fontsize=8.5,
                color=palette.series[0],
            )
        ax.set_xlim(0.0, 0.9)
        ax.set_ylim(0.0, top)
        ax.xaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
        ax.yaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
        finish(
            ax,
            palette,
            title=f"{names[k]} layer, {data.widths[k]} units: best p = {data.best_p[k]:.2f}",
            xlabel="drop probability p on the hidden units",
            ylabel="mean squared error" if k == 0 else "",
            legend=False,
        )
    axes[1].sharey(axes[0])
    figure.legend(
        *axes[0].get_legend_handles_labels(),
        loc="outside lower center",
        ncol=legend_columns(figure, 5),
        fontsize=8.5,
        facecolor=palette.surface,
        edgecolor=palette.grid,
        labelcolor=palette.text,
        handlelength=1.8,
        columnspacing=1.2,
    )


def summary(data: Data) -> str:
    """Lead with one short sentence of what the figure shows, then the numbers."""
    return caption(
        "Held-out error against the drop rate p, for a layer of "
        f"{data.widths[0]} units and one of {data.widths[1]}.",
        details(data),
    )


def details(data: Data) -> str:
    """Compare the two layers' best p and what the other layer's best p costs each."""
    (narrow_p, wide_p), (narrow_best, wide_best) = data.best_p, data.best_error
    if wide_p > narrow_p:
        comparison = "higher than"
    elif wide_p < narrow_p:
        comparison = "lower than"
    else:
        comparison = "the same as"
    index = {p: int(np.argmin(np.abs(data.p_grid - p))) for p in data.best_p}
    narrow_at_wide = float(data.held_out_error[0, index[wide_p]])
    wide_at_narrow = float(data.held_out_error[1, index[narrow_p]])
    swapped = (
        f"The wide layer's p gives the narrow one {narrow_at_wide:.3f}; the narrow layer's p "
        f"gives the wide one {wide_at_narrow:.3f}. "
        if wide_p != narrow_p
        else ""
    )
    return (
        f"With dropout on the hidden units, held-out error is lowest at p = {wide_p:.2f} for "
        f"the wide layer of {data.widths[1]} units ({wide_best:.3f}), {comparison} p = "
        f"{narrow_p:.2f} for the narrow layer of {data.widths[0]} units ({narrow_best:.3f}). "
        f"{swapped}At your p = {data.marked_p:.2f} held-out error is "
        f"{data.marked_held_out[0]:.3f} (narrow) and {data.marked_held_out[1]:.3f} (wide)."
    )


QUESTION_RANGES = {
    # Layers far apart in width, on data where dropout has something to regularize: enough
    # examples and moderate noise that neither curve is flat.
    "narrow": (4, 16),
    "wide": (150, 400),
    "noise": (0.2, 1.0),
    "samples": (80, 200),
    "features": (2, 20),
}
# The ranges of p a question offers, on the 0.01 grid of p: every best p lies in exactly one.
P_RANGES = ((0.0, 0.19), (0.2, 0.44), (0.45, 0.69), (0.7, 0.9))


def _layers_variant(rng: np.random.Generator) -> Params:
    return sample(Params, rng, ranges=QUESTION_RANGES)


def _ask_higher_p(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask which layer's held-out error is lowest at the higher drop probability."""
    (narrow_p, wide_p), (narrow, wide) = data.best_p, data.widths
    options = {
        "wide": f"The wide layer ({wide} units)",
        "narrow": f"The narrow layer ({narrow} units)",
        "same": "Both are lowest at the same p",
    }
    if wide_p > narrow_p:
        right = "wide"
        why = "the same p shrinks a layer that spreads its output over many units far less"
    elif narrow_p > wide_p:
        right = "narrow"
        why = "in this draw the narrow layer takes the higher p"
    else:
        right, why = "same", "in this draw both layers take the same p"
    return choice(
        f"Two random-feature layers, {narrow} and {wide} hidden units wide, fit the same "
        f"{params.samples} noisy examples with dropout on the hidden units. Which layer's "
        "held-out error is lowest at the higher drop probability p?",
        options[right],
        [text for key, text in options.items() if key != right],
        rng,
        f"Held-out error is lowest at p = {num(wide_p)} for the wide layer and at "
        f"p = {num(narrow_p)} for the narrow one (the stars): {why}.",
    )


def _ask_best_p(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask in which range of p the wide layer's held-out error is lowest."""
    error, ps = data.held_out_error[1], data.p_grid
    best = int(np.argmin(error))
    labels = [f"{num(low)} to {num(high)}" for low, high in P_RANGES]
    inside = [i for i, (low, high) in enumerate(P_RANGES) if low <= ps[best] <= high + 1e-9]
    others = [
        f"{error[index]:.3f} at p = {num(float(ps[index]))}"
        for index in dict.fromkeys((0, ps.size - 1))
        if index != best
    ]
    return choice(
        f"A layer of {data.widths[1]} hidden units fits {params.samples} noisy examples with "
        "dropout on the hidden units. In which range of the drop probability p is its "
        "held-out error lowest?",
        labels[inside[0]],
        [label for i, label in enumerate(labels) if i != inside[0]],
        rng,
        f"The wide layer's held-out error is lowest, {error[best]:.3f}, at "
        f"p = {num(float(ps[best]))} (its star), against {' and '.join(others)}.",
    )


QUESTIONS: tuple[QuestionKind[Params, Data], ...] = (
    QuestionKind("higher-p", _layers_variant, _ask_higher_p),
    QuestionKind("best-p", _layers_variant, _ask_best_p),
)


DEMO = Demo(
    id="dropout-rate",
    title="Choosing the dropout probability per layer",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    panels=Panels(cols=2, bottom=1.0, narrow_bottom=1.35),
    questions=QUESTIONS,
)
