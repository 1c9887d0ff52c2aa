"""L1 vs L2 regularization paths: the Lasso sets weights exactly to zero, Ridge only shrinks.

Ten features, three of which matter. Objectives as scikit-learn defines them (with an
unpenalized intercept, so on centred data): Lasso (1/(2n))‖y - Xw‖² + α‖w‖₁, solved by
coordinate descent whose update is the proximal step (soft-thresholding); Ridge
‖y - Xw‖² + α‖w‖², solved in closed form. Below the paths, the same Lasso objective is run
for a few dozen steps two ways from w = 0, with the same step size 1/L: proximal gradient
(ISTA), whose soft-threshold lands weights exactly on 0, and plain subgradient descent with
α·sign(w), which overshoots and swings around 0 without landing on it.
"""

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FixedFormatter, FixedLocator, MaxNLocator

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels, is_narrow, legend_columns
from app.figures.questions import Question, QuestionKind, choice, sample
from app.figures.style import Palette, finish, light_log_ticks
from app.figures.wording import caption

TRUE_WEIGHTS = np.array([3.0, -2.0, 1.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
SWEEP = np.logspace(-2.0, 3.0, 26)
SWEEPS_PER_ROUND = 5
MAX_ROUNDS = 200
STEPS = 50  # iterations of the two descent methods drawn
TAIL = 10  # the last steps, over which the step-to-step movement is measured
GAP = 8  # steps of empty axis between the two runs


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
    step_size: float
    proximal_steps: np.ndarray  # (STEPS + 1, features) iterates of proximal gradient
    subgradient_steps: np.ndarray  # (STEPS + 1, features) iterates of subgradient descent
    proximal_zeros: int  # weights exactly 0 after the last step
    subgradient_zeros: int
    proximal_jump: float  # largest move of a noise weight in one of the last TAIL steps
    subgradient_jump: float


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


def descend(
    x: np.ndarray, y: np.ndarray, alpha: float, steps: int
) -> tuple[float, np.ndarray, np.ndarray]:
    """Run proximal gradient and subgradient descent on the Lasso from w = 0, step 1/L.

    L is the largest eigenvalue of XᵀX/n, the gradient's Lipschitz constant.
    """
    n, features = x.shape
    gram = x.T @ x / n
    moment = x.T @ y / n
    step = 1.0 / float(np.linalg.eigvalsh(gram)[-1])
    proximal = np.zeros((steps + 1, features))
    subgradient = np.zeros((steps + 1, features))
    for t in range(steps):
        w = proximal[t]
        proximal[t + 1] = soft_threshold(w - step * (gram @ w - moment), step * alpha)
        w = subgradient[t]
        subgradient[t + 1] = w - step * (gram @ w - moment + alpha * np.sign(w))
    return step, proximal, subgradient


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
    step, proximal, subgradient = descend(x, y, params.alpha, STEPS)
    noise = TRUE_WEIGHTS == 0.0
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
        step_size=step,
        proximal_steps=proximal,
        subgradient_steps=subgradient,
        proximal_zeros=int(np.sum(proximal[-1] == 0.0)),
        subgradient_zeros=int(np.sum(subgradient[-1] == 0.0)),
        proximal_jump=float(np.abs(np.diff(proximal[-TAIL - 1 :, noise], axis=0)).max()),
        subgradient_jump=float(np.abs(np.diff(subgradient[-TAIL - 1 :, noise], axis=0)).max()),
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


def _draw_descent(ax: Axes, data: Data, palette: Palette) -> None:
    """Draw the noise weights step by step, proximal then subgradient, on one wide axes."""
    noise = data.true_weights == 0.0
    steps = np.arange(STEPS + 1)
    offset = STEPS + GAP
    ax.axhline(0.0, color=palette.muted, lw=0.8)
    ax.axvline(STEPS + GAP / 2, color=palette.grid, lw=1.5)
    runs = [
        (data.proximal_steps, 0, palette.accent, "Proximal (ISTA)"),
        (data.subgradient_steps, offset, palette.bad, "Subgradient, α·sign(w)"),
    ]
    # On a phone each half of the axes is too narrow for its name on one line.
    line_break = "\n" if is_narrow(ax.figure) else ""
    for path, start, colour, name in runs:
        ax.plot(start + steps, path[:, noise], color=colour, lw=1.0, alpha=0.85, marker=".", ms=3)
        zeros = int(np.sum(path[-1, noise] == 0.0))
        ax.text(
            start + STEPS / 2,
            0.96,
            f"{name}:{line_break} {zeros} of {int(np.sum(noise))} exactly 0",
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="top",
            fontsize=9.5,
            color=colour,
            fontweight="bold",
        )
    both = np.concatenate([data.proximal_steps, data.subgradient_steps])
    reach = max(float(np.abs(both[:, noise]).max()), 1e-12)  # never an empty range
    ax.set_ylim(-1.15 * reach, 1.5 * reach)  # headroom for the two names
    ax.set_xlim(-1, offset + STEPS + 1)
    ticks = [0, STEPS // 2, STEPS]
    ax.xaxis.set_major_locator(FixedLocator([*ticks, *(offset + t for t in ticks)]))
    ax.xaxis.set_major_formatter(FixedFormatter([str(t) for t in ticks * 2]))
    ax.yaxis.set_major_locator(MaxNLocator(5))
    finish(
        ax,
        palette,
        title=f"The {int(np.sum(noise))} noise weights, step by step at α = {data.alpha:g}",
        xlabel=f"step (size 1/L = {data.step_size:.2f}, from w = 0)",
        ylabel="weight (true 0)",
        legend=False,
    )


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """Draw the Lasso and Ridge paths with the chosen α; below, the two descent methods."""
    lasso_ax, ridge_ax, descent_ax = axes
    figure = axes[0].figure
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
        loc="upper center",
        ncol=legend_columns(figure, 5),
        fontsize=8.5,
        facecolor=palette.surface,
        edgecolor=palette.grid,
        labelcolor=palette.text,
        handlelength=1.5,
        columnspacing=1.2,
        borderaxespad=0.3,
    )

    _draw_descent(descent_ax, data, palette)


def summary(data: Data) -> str:
    """Lead with one short sentence of what the figure shows, then the numbers."""
    return caption(
        "The Lasso (L1) can set weights exactly to 0; Ridge (L2) only shrinks them.", details(data)
    )


def details(data: Data) -> str:
    """State how many weights each method sets exactly to zero at the chosen α."""
    features = len(data.lasso)
    smallest = float(np.min(np.abs(data.ridge)))
    ridge_end = "shrunk but not zero" if smallest > 0.0 else "exactly zero"
    noise = int(np.sum(data.true_weights == 0.0))
    moves = "still move" if data.subgradient_jump > data.proximal_jump else "move"
    return (
        f"At α = {data.alpha:g}, the Lasso sets {data.lasso_zeros} of {features} weights "
        f"exactly to 0 (soft-thresholding), while Ridge sets {data.ridge_zeros}: its smallest "
        f"weight is {smallest:.2g}, {ridge_end}. After {STEPS} steps of size "
        f"{data.step_size:.2f} from w = 0, proximal gradient has {data.proximal_zeros} of "
        f"{features} weights exactly 0 and plain subgradient descent {data.subgradient_zeros}; "
        f"in the last {TAIL} steps the {noise} noise weights (true 0) {moves} by up to "
        f"{data.subgradient_jump:.2g} per step under subgradient descent and by up to "
        f"{data.proximal_jump:.2g} under the proximal step."
    )


def _describe_problem(params: Params, data: Data) -> str:
    """Name the data every question of this demo is about."""
    signal = int(np.sum(data.true_weights != 0.0))
    return (
        f"Linear data with n = {params.n} examples and {len(data.true_weights)} features, of "
        f"which {signal} carry signal, with noise σ = {params.noise:g}"
    )


def _lasso_zeros_variant(rng: np.random.Generator) -> Params:
    # From α = 5 up every weight is 0 at every n and σ: keep to where the count varies.
    return sample(Params, rng, ranges={"alpha": (0.05, 2.0)})


def _ask_lasso_zeros(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask how many Lasso weights are exactly 0 at α, against Ridge's count and off-by-ones."""
    features = len(data.lasso)
    zeros = data.lasso_zeros
    noise = int(np.sum(data.true_weights == 0.0))
    wrong = [data.ridge_zeros, noise, features - zeros, zeros + 1, zeros - 1]
    return choice(
        f"{_describe_problem(params, data)}. The Lasso (1/(2n))‖y − Xw‖² + α‖w‖₁ is fit at "
        f"α = {data.alpha:g}. How many of its {features} weights are exactly 0?",
        str(zeros),
        [str(count) for count in wrong if 0 <= count <= features],
        rng,
        f"At α = {data.alpha:g} the Lasso panel shows {zeros} of {features} weights exactly at "
        f"0 and the Ridge panel {data.ridge_zeros}: soft-thresholding zeroes every weight whose "
        "correlation with the residual stays within α.",
    )


def _descent_variant(rng: np.random.Generator) -> Params:
    # From α = 0.2 up the proximal run zeroes some weight at every n and σ within 50 steps.
    return sample(Params, rng, ranges={"alpha": (0.2, 5.0)})


def _descent_counts(proximal: int, subgradient: int) -> str:
    return f"{proximal} by proximal gradient, {subgradient} by subgradient descent"


def _ask_descent_zeros(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask how many weights each descent method leaves exactly at 0 after STEPS steps."""
    features = len(data.lasso)
    prox, sub = data.proximal_zeros, data.subgradient_zeros
    wrong = [
        (sub, prox),
        (prox, prox),
        (0, 0),
        (features - prox, sub),
        (features, features),
        (features - prox, features - sub),
    ]
    return choice(
        f"{_describe_problem(params, data)}. The Lasso objective at α = {data.alpha:g} is "
        f"minimized from w = 0 for {STEPS} steps of size 1/L two ways: proximal gradient "
        "(a gradient step, then soft-thresholding) and subgradient descent (a gradient step "
        f"with α·sign(w) added). How many of the {features} weights does each leave exactly 0?",
        _descent_counts(prox, sub),
        [_descent_counts(p, s) for p, s in wrong],
        rng,
        f"After {STEPS} steps proximal gradient has {prox} of {features} weights exactly 0 and "
        f"subgradient descent {sub}: the lower panel follows the noise weights step by step, "
        "the soft-threshold setting a small weight to 0 where α·sign(w) steps across it.",
    )


QUESTIONS: tuple[QuestionKind[Params, Data], ...] = (
    QuestionKind("lasso-zeros", _lasso_zeros_variant, _ask_lasso_zeros),
    QuestionKind("descent-zeros", _descent_variant, _ask_descent_zeros),
)


DEMO = Demo(
    id="l1-vs-l2",
    title="L1 vs L2: sparse vs shrunk weights",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    # One wide axes below, not two: each axes costs about as much to draw as a small figure.
    panels=Panels(cols=2, rows=2, spans=(1, 1, 2), height=7.0, top=0.75, gap=0.95, narrow_top=1.2),
    questions=QUESTIONS,
)
