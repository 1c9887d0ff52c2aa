"""Early stopping against L2: GD stopped at step tau lands near ridge with alpha = 1/(tau eta).

Linear regression with two weights, L(w) = (1/2n) ||y - Xw||^2 with Hessian H = X^T X / n
(curvatures 1 and 1/kappa). Gradient descent from w = 0 with step eta gives, along each
eigenvector of H with curvature lambda, the fraction 1 - (1 - eta lambda)^tau of the
least-squares weight. Ridge, here with the objective (1/2n) ||y - Xw||^2 + (alpha/2) ||w||^2 so
that w_ridge = (X^T X / n + alpha I)^-1 X^T y / n (sklearn's Ridge alpha is n times this
alpha), gives the fraction lambda / (lambda + alpha). For a small step the two agree when
alpha = 1 / (tau eta) (Goodfellow et al., Deep Learning, 7.8); per direction the gap is at most
about 23 %, largest where tau eta lambda is near 2. With a large step the GD path zigzags.
"""

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FormatStrFormatter, NullFormatter

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels
from app.figures.questions import Question, QuestionKind, choice, number, sample
from app.figures.style import Palette, finish, themed_legend
from app.figures.wording import caption, num, pct, sig

N = 200
W_EIGEN = np.array([0.8, 1.6])  # the true weights along the large- and small-curvature axes
NOISE = 0.3
PATH_POINTS = 300
SMALL_STEP = 0.05  # η times the largest curvature up to this is a small step: the gap stays < 24%


class Params(DemoParams):
    """Steps, step size and the conditioning of the problem."""

    tau: int = param(20, ge=1, le=5000, step=1, label="Stop at step τ", log=True)
    eta: float = param(0.05, ge=0.005, le=1.5, step=0.005, label="Step size η", log=True)
    kappa: float = param(10.0, ge=1.0, le=50.0, step=1.0, label="Condition number κ")


@dataclass(frozen=True)
class Data:
    """Both paths, the two marked points and the coordinates against tau."""

    tau: int
    eta: float
    alpha: float  # 1 / (tau * eta)
    hessian: np.ndarray
    w_ls: np.ndarray
    w_gd: np.ndarray  # GD after tau steps
    w_ridge: np.ndarray  # ridge at alpha = 1 / (tau * eta)
    relative_distance: float  # |w_gd - w_ridge| / |w_gd|
    gd_steps: np.ndarray  # step counts on the GD path, from 0
    gd_path: np.ndarray  # (len(gd_steps), 2)
    ridge_path: np.ndarray  # ridge solutions from alpha = inf (w = 0) down to alpha = 0 (w_ls)
    ridge_at_steps: np.ndarray  # ridge at alpha = 1 / (step * eta) for each gd step > 0


def make_problem(kappa: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (X, y) with X^T X / n having eigenvalues 1 and 1/kappa along a random rotation."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(N, 2)))  # orthonormal columns
    angle = rng.uniform(0.0, np.pi)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    curvatures = np.array([1.0, 1.0 / kappa])
    x = np.sqrt(N) * q @ np.diag(np.sqrt(curvatures)) @ rotation.T
    y = x @ (rotation @ W_EIGEN) + NOISE * rng.normal(size=N)
    return x, y


def gd_weights(
    steps: np.ndarray, eta: float, eigenvalues: np.ndarray, vectors: np.ndarray, w_ls: np.ndarray
) -> np.ndarray:
    """Gradient descent from 0 after each number of steps, in closed form (one row per count)."""
    kept = 1.0 - (1.0 - eta * eigenvalues[None, :]) ** steps[:, None]
    weights: np.ndarray = (kept * (w_ls @ vectors)[None, :]) @ vectors.T
    return weights


def ridge_weights(
    alphas: np.ndarray, eigenvalues: np.ndarray, vectors: np.ndarray, w_ls: np.ndarray
) -> np.ndarray:
    """Ridge solutions (H + alpha I)^-1 H w_ls for each alpha (alpha = inf gives 0)."""
    kept = eigenvalues[None, :] / (eigenvalues[None, :] + alphas[:, None])  # 0 at alpha = inf
    weights: np.ndarray = (kept * (w_ls @ vectors)[None, :]) @ vectors.T
    return weights


def compute(params: Params) -> Data:
    """Compute the GD and ridge paths and compare GD at tau with ridge at 1/(tau eta)."""
    x, y = make_problem(params.kappa, params.seed)
    hessian = x.T @ x / N
    moment = x.T @ y / N
    w_ls = np.linalg.solve(hessian, moment)
    eigenvalues, vectors = np.linalg.eigh(hessian)

    alpha = 1.0 / (params.tau * params.eta)
    w_gd = gd_weights(np.array([params.tau]), params.eta, eigenvalues, vectors, w_ls)[0]
    w_ridge = np.linalg.solve(hessian + alpha * np.eye(2), moment)

    # Run the path until GD has converged (or to tau, if later).
    converged = int(np.ceil(8.0 / (params.eta * eigenvalues.min())))
    end = max(params.tau, converged)
    steps = np.unique(np.geomspace(1, end, PATH_POINTS).astype(int))
    steps = np.concatenate([[0], steps])
    gd_path = gd_weights(steps, params.eta, eigenvalues, vectors, w_ls)
    alphas = np.concatenate(
        [[np.inf], np.geomspace(1e3 * eigenvalues.max(), 1e-4 * eigenvalues.min(), PATH_POINTS)]
    )
    alphas = np.concatenate([alphas, [0.0]])
    ridge_path = ridge_weights(alphas, eigenvalues, vectors, w_ls)
    ridge_at_steps = ridge_weights(1.0 / (steps[1:] * params.eta), eigenvalues, vectors, w_ls)
    return Data(
        tau=params.tau,
        eta=params.eta,
        alpha=alpha,
        hessian=hessian,
        w_ls=w_ls,
        w_gd=w_gd,
        w_ridge=w_ridge,
        relative_distance=float(np.linalg.norm(w_gd - w_ridge) / np.linalg.norm(w_gd)),
        gd_steps=steps,
        gd_path=gd_path,
        ridge_path=ridge_path,
        ridge_at_steps=ridge_at_steps,
    )


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """Draw both paths on the loss contours, and each weight against the number of steps."""
    path_ax, steps_ax = axes
    gd_colour, ridge_colour = palette.series[0], palette.series[2]

    points = np.concatenate([data.gd_path, data.ridge_path, [[0.0, 0.0]]])
    low, high = points.min(axis=0), points.max(axis=0)
    margin = 0.15 * float((high - low).max())
    g1, g2 = np.meshgrid(
        np.linspace(low[0] - margin, high[0] + margin, 80),
        np.linspace(low[1] - margin, high[1] + margin, 80),
    )
    d1, d2 = g1 - data.w_ls[0], g2 - data.w_ls[1]
    h = data.hessian
    excess = 0.5 * (h[0, 0] * d1 * d1 + 2 * h[0, 1] * d1 * d2 + h[1, 1] * d2 * d2)
    top = float(excess.max())
    path_ax.contour(
        g1,
        g2,
        excess,
        levels=np.geomspace(top * 1e-3, top, 9),
        colors=palette.muted,
        linewidths=0.8,
        alpha=0.35,
    )
    path_ax.plot(
        *data.ridge_path.T, color=ridge_colour, lw=3.5, alpha=0.55, label="ridge path, α ↓"
    )
    path_ax.plot(*data.gd_path.T, color=gd_colour, lw=1.4, label="GD path from 0")
    path_ax.plot(
        *data.w_ridge,
        "o",
        ms=11,
        mfc="none",
        mec=ridge_colour,
        mew=2.2,
        label=f"ridge, α = 1/(τη) = {data.alpha:.3g}",
    )
    path_ax.plot(*data.w_gd, "o", ms=5.5, color=gd_colour, label=f"GD at τ = {data.tau}")
    path_ax.plot(*data.w_ls, "*", ms=13, color=palette.good, label="least squares")
    path_ax.plot(0.0, 0.0, "o", ms=5, color=palette.text)
    path_ax.annotate(
        "w = 0",
        (0.0, 0.0),
        xytext=(6, -12),
        textcoords="offset points",
        color=palette.text,
        fontsize=9,
    )
    path_ax.set_aspect("equal", adjustable="datalim")
    finish(
        path_ax,
        palette,
        title=f"GD and ridge paths: gap {data.relative_distance:.0%}",
        xlabel="w₁",
        ylabel="w₂",
        legend=False,
    )
    # The path runs from 0 to w_ls: put the legend in a corner it does not cross.
    themed_legend(
        path_ax, palette, "upper right" if data.w_ls[0] * data.w_ls[1] < 0 else "upper left"
    )

    taus = data.gd_steps[1:]
    for j, name in enumerate(("w₁", "w₂")):
        colour = palette.series[4 + j]
        steps_ax.plot(taus, data.gd_path[1:, j], color=colour, lw=2, label=f"{name}, GD at τ")
        steps_ax.plot(
            taus,
            data.ridge_at_steps[:, j],
            color=colour,
            lw=2.2,
            ls=":",
            label=f"{name}, ridge at α = 1/(τη)",
        )
        steps_ax.plot([data.tau], [data.w_gd[j]], "o", ms=5.5, color=colour)
        steps_ax.plot([data.tau], [data.w_ridge[j]], "o", ms=10, mfc="none", mec=colour, mew=1.8)
    steps_ax.axvline(data.tau, color=palette.muted, lw=1.2, ls="--")
    steps_ax.set_xscale("log")
    steps_ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    steps_ax.xaxis.set_minor_formatter(NullFormatter())
    finish(
        steps_ax,
        palette,
        title="Weights against τ",
        xlabel="steps τ (log)",
        ylabel="weight",
        legend=False,
    )
    rising = float(data.gd_path.max()) > 0.05 * float(np.ptp(data.gd_path))
    themed_legend(steps_ax, palette, "upper left" if rising else "lower left")


def _pair(w: np.ndarray) -> str:
    return f"({num(float(w[0]))}, {num(float(w[1]))})"


def summary(data: Data) -> str:
    """Lead with one short sentence of what the figure shows, then the numbers."""
    return caption(
        "Stopping gradient descent after τ steps acts like ridge with α = 1/(τη) when steps "
        "are small.",
        details(data),
    )


def details(data: Data) -> str:
    """Give both points and their relative gap, and what the step size implies for it."""
    step = data.eta * float(np.linalg.eigvalsh(data.hessian).max())
    if step <= SMALL_STEP:
        context = f"with a step this small, ηλ_max = {step:.2g}, the gap stays under 24%"
    elif step > 1:
        context = f"with ηλ_max = {step:.2g} above 1 the GD path zigzags"
    else:
        context = f"ηλ_max = {step:.2g}: the 24% bound holds for small steps only"
    return (
        f"After τ = {data.tau} gradient-descent steps of size η = {data.eta:g} from w = 0 the "
        f"weights are {_pair(data.w_gd)}; ridge with α = 1/(τη) = {data.alpha:.3g} gives "
        f"{_pair(data.w_ridge)}, a relative gap of {pct(data.relative_distance)} ({context}). "
        f"Both paths run from 0 to the least-squares weights {_pair(data.w_ls)}."
    )


ALPHA_TOLERANCE = 0.05  # a number answer within 5% of alpha = 1/(tau eta) counts
SAME_SHRINK = 0.05  # fractions of the least-squares weight this close count as alike


def _alpha_variant(rng: np.random.Generator) -> Params:
    # tau * eta from 2 to 100: alpha lies far from the uninverted tau * eta and from 1 / tau.
    first = sample(Params, rng, ranges={"eta": (0.01, 0.5)})
    return sample(
        Params,
        rng,
        fixed={"eta": first.eta, "kappa": first.kappa, "seed": first.seed},
        ranges={"tau": (2.0 / first.eta, 100.0 / first.eta)},
    )


def _ask_ridge_alpha(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask which ridge alpha gradient descent stopped at step tau matches: 1/(tau eta)."""
    return number(
        f"Gradient descent from w = 0 with step size η = {data.eta:g} is stopped after "
        f"τ = {data.tau} steps. Which ridge penalty α (objective (1/2n)‖y − Xw‖² + (α/2)‖w‖²) "
        "gives about the same weights?",
        data.alpha,
        ALPHA_TOLERANCE * data.alpha,
        f"α = 1/(τη) = {sig(data.alpha)}; in the path panel the ridge circle at that α lies "
        f"{pct(data.relative_distance)} of the GD weights' length from the GD point.",
    )


def _shrink_variant(rng: np.random.Generator) -> Params:
    # tau * eta from 0.5 to 10 and kappa >= 5: GD has clearly fitted the high-curvature
    # direction further than the low-curvature one, without reaching least squares in both.
    first = sample(Params, rng, ranges={"eta": (0.01, 0.5), "kappa": (5.0, 50.0)})
    return sample(
        Params,
        rng,
        fixed={"eta": first.eta, "kappa": first.kappa, "seed": first.seed},
        ranges={"tau": (0.5 / first.eta, 10.0 / first.eta)},
    )


def fractions_kept(data: Data) -> tuple[np.ndarray, np.ndarray]:
    """Return the curvatures of H, ascending, and the fraction of w_ls that GD holds along each."""
    eigenvalues, vectors = np.linalg.eigh(data.hessian)
    kept: np.ndarray = (data.w_gd @ vectors) / (data.w_ls @ vectors)
    return eigenvalues, kept


def _ask_shrunk_direction(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask along which curvature direction early stopping shrinks most (the flat one) or least
    (the steep one), the way round drawn here."""
    shortest = bool(rng.integers(2))
    (low, high), (kept_low, kept_high) = fractions_kept(data)
    directions = {
        "low": f"the low-curvature direction (curvature {num(low, 3)})",
        "high": f"the high-curvature direction (curvature {num(high, 3)})",
        "same": f"both alike (by fractions within {pct(SAME_SHRINK)} of each other)",
    }
    if abs(kept_low - kept_high) <= SAME_SHRINK:
        right = "same"
    else:
        right = "low" if (kept_low < kept_high) == shortest else "high"
    return choice(
        f"Least squares in two weights has curvatures {num(high, 3)} and {num(low, 3)} along "
        f"two orthogonal directions. Gradient descent from w = 0 with step η = {data.eta:g} "
        f"stops after τ = {data.tau} steps. Along which direction does it "
        f"{'fall shortest of' if shortest else 'come closest to'} the least-squares weight?",
        directions[right],
        [text for key, text in directions.items() if key != right],
        rng,
        f"After τ = {data.tau} steps GD holds {pct(float(kept_high))} of the least-squares "
        f"weight along curvature {num(high, 3)} and {pct(float(kept_low))} along curvature "
        f"{num(low, 3)}; ridge with α = 1/(τη) = {sig(data.alpha)} keeps λ/(λ + α), "
        f"{pct(high / (high + data.alpha))} and {pct(low / (low + data.alpha))}.",
    )


QUESTIONS: tuple[QuestionKind[Params, Data], ...] = (
    QuestionKind("ridge-alpha", _alpha_variant, _ask_ridge_alpha),
    QuestionKind("shrunk-direction", _shrink_variant, _ask_shrunk_direction),
)


DEMO = Demo(
    id="early-stopping-vs-l2",
    title="Early stopping against L2",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    panels=Panels(cols=2),
    questions=QUESTIONS,
)
