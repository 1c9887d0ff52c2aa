"""L2 regularization as weight decay: gradient descent on mean loss + (λ/2)‖w‖².

Linear regression with 20 features of which 4 matter, 30 noisy training examples. Each step
of full-batch gradient descent is w ← (1 - ηλ)w - η∇L(w): the weights shrink by the factor
(1 - ηλ) before the data gradient acts. The bias is not penalized. Three runs side by side:
no decay, the chosen λ, and a strong λ = 1.
"""

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels
from app.figures.questions import Question, QuestionKind, choice, number, sample
from app.figures.style import Palette, finish, light_log_ticks, themed_legend
from app.figures.wording import caption, num

N_TRAIN = 30
N_VAL = 200
FEATURES = 20
TRUE_WEIGHTS = np.array([2.0, -1.5, 1.0, 0.5] + [0.0] * (FEATURES - 4))
TRUE_BIAS = 0.5
NOISE = 1.0
STRONG = 1.0


class Params(DemoParams):
    """Decay strength, learning rate and number of steps."""

    lam: float = param(0.1, ge=1e-3, le=0.5, step=0.01, label="Weight decay λ", log=True)
    eta: float = param(0.1, ge=0.01, le=0.2, step=0.01, label="Learning rate η")
    steps: int = param(300, ge=50, le=500, step=10, label="Gradient steps")


@dataclass(frozen=True)
class Data:
    """Per run (λ = 0, chosen, strong): weight norm, train and val loss after t = 0.. steps."""

    lambdas: np.ndarray
    eta: float
    steps: np.ndarray
    weight_norm: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    ridge_norm: np.ndarray
    final_weights: np.ndarray
    noise_floor: float


def loss(
    weights: np.ndarray, bias: np.ndarray, x: np.ndarray, y: np.ndarray, lambdas: np.ndarray
) -> np.ndarray:
    """Return mean squared error / 2 + (λ/2)‖w‖² for each row of weights (one λ per row)."""
    residual = x @ weights.T + bias - y[:, None]
    result: np.ndarray = 0.5 * (residual**2).mean(axis=0) + 0.5 * lambdas * (weights**2).sum(axis=1)
    return result


def step(
    weights: np.ndarray,
    bias: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    lambdas: np.ndarray,
    eta: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One full-batch gradient step for each row: w ← (1 - ηλ)w - η∂L/∂w, b ← b - η∂L/∂b."""
    residual = x @ weights.T + bias - y[:, None]  # (examples, runs)
    grad_weights = residual.T @ x / len(y)
    grad_bias = residual.mean(axis=0)
    decayed = (1.0 - eta * lambdas)[:, None] * weights
    return decayed - eta * grad_weights, bias - eta * grad_bias


def compute(params: Params) -> Data:
    """Run gradient descent with decay 0, λ and a strong λ from zero weights; record losses."""
    rng = np.random.default_rng(params.seed)
    x = rng.standard_normal((N_TRAIN + N_VAL, FEATURES))
    y = x @ TRUE_WEIGHTS + TRUE_BIAS + NOISE * rng.standard_normal(N_TRAIN + N_VAL)
    x = x - x[:N_TRAIN].mean(axis=0)  # centred on the training mean, so the bias decouples
    x_train, y_train, x_val, y_val = x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:]
    lambdas = np.array([0.0, params.lam, STRONG])
    weights = np.zeros((3, FEATURES))
    bias = np.zeros(3)
    history = np.zeros((params.steps + 1, 3, FEATURES))  # row t: after t steps
    biases = np.zeros((params.steps + 1, 3))
    for t in range(1, params.steps + 1):
        weights, bias = step(weights, bias, x_train, y_train, lambdas, params.eta)
        history[t], biases[t] = weights, bias

    def data_loss(x_part: np.ndarray, y_part: np.ndarray) -> np.ndarray:
        predictions = np.einsum("tkd,nd->ktn", history, x_part) + biases.T[:, :, None]
        result: np.ndarray = 0.5 * ((predictions - y_part) ** 2).mean(axis=2)
        return result

    gram = x_train.T @ x_train / N_TRAIN
    moment = x_train.T @ (y_train - y_train.mean()) / N_TRAIN
    ridge = np.linalg.solve(gram[None] + lambdas[:, None, None] * np.eye(FEATURES), moment)
    return Data(
        lambdas=lambdas,
        eta=params.eta,
        steps=np.arange(params.steps + 1),
        weight_norm=np.linalg.norm(history, axis=2).T,
        train_loss=data_loss(x_train, y_train),
        val_loss=data_loss(x_val, y_val),
        ridge_norm=np.linalg.norm(ridge, axis=1),
        final_weights=weights,
        noise_floor=NOISE**2 / 2,
    )


def _label(lam: float) -> str:
    return "λ = 0 (no decay)" if lam == 0 else f"λ = {lam:g}"


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """Draw the weight norm and the train/val loss over the steps for the three runs."""
    norm_ax, loss_ax = axes
    colours = (palette.bad, palette.accent, palette.good)
    for k, colour in enumerate(colours):
        norm_ax.plot(
            data.steps, data.weight_norm[k], color=colour, lw=2.2, label=_label(data.lambdas[k])
        )
        norm_ax.axhline(data.ridge_norm[k], color=colour, lw=1, ls=":", alpha=0.9)
        loss_ax.plot(data.steps, data.val_loss[k], color=colour, lw=2.2)
        loss_ax.plot(data.steps, data.train_loss[k], color=colour, lw=1.4, ls="--")
    norm_ax.plot([], [], color=palette.muted, lw=1, ls=":", label="ridge optimum")
    norm_ax.set_xlim(0, data.steps[-1])
    norm_ax.set_ylim(0, None)
    finish(
        norm_ax,
        palette,
        title="Weight norm ‖w‖",
        xlabel="gradient step",
        ylabel="‖w‖₂",
        legend=False,
    )
    themed_legend(norm_ax, palette, "best")
    loss_ax.plot([], [], color=palette.muted, lw=2.2, label="validation")
    loss_ax.plot([], [], color=palette.muted, lw=1.4, ls="--", label="train")
    loss_ax.axhline(data.noise_floor, color=palette.muted, lw=1, ls=":", label="noise floor σ²/2")
    loss_ax.set_yscale("log")
    loss_ax.set_xlim(0, data.steps[-1])
    low, high = loss_ax.get_ylim()
    loss_ax.set_ylim(low, high * 2.0)  # headroom for the legend
    finish(
        loss_ax,
        palette,
        title="Loss (MSE / 2)",
        xlabel="gradient step",
        ylabel="MSE / 2 (log)",
        legend=False,
    )
    themed_legend(loss_ax, palette, "upper right")
    light_log_ticks(loss_ax)


def summary(data: Data) -> str:
    """Lead with one short sentence of what the figure shows, then the numbers."""
    return caption(
        f"Gradient descent with {len(data.lambdas)} weight "
        "decays λ, compared by weight norm and validation loss.",
        details(data),
    )


def details(data: Data) -> str:
    """State the final weight norms and validation losses of the three runs."""
    final = data.weight_norm[:, -1]
    norms = ", ".join(
        f"{_label(lam)}: ‖w‖ = {num(norm)}, val loss {num(val)}"
        for lam, norm, val in zip(data.lambdas, final, data.val_loss[:, -1], strict=True)
    )
    order = np.argsort(data.lambdas)
    smaller = bool(np.all(np.diff(final[order]) < 0))
    verdict = (
        " Stronger decay keeps the weights smaller."
        if smaller
        else " Here stronger decay does not always keep the weights smaller."
    )
    return (
        f"After {data.steps[-1]} steps of gradient descent with η = {data.eta:g}, each "
        f"multiplying w by (1 - ηλ) before the gradient step: {norms}.{verdict}"
    )


def _describe_runs(data: Data) -> str:
    """Name the problem and the runs every question of this demo is about."""
    signal = int(np.count_nonzero(TRUE_WEIGHTS))
    return (
        f"Linear regression with {FEATURES} features ({signal} matter) and {N_TRAIN} training "
        f"examples is trained by full-batch gradient descent from w = 0 with η = {data.eta:g} "
        f"for {data.steps[-1]} steps"
    )


def _decay_factor_variant(rng: np.random.Generator) -> Params:
    # ηλ ≥ 0.0025 here, so 1 - ηλ stands apart from 1 and from 1 - ηλ/2 within the tolerance.
    return sample(Params, rng, ranges={"eta": (0.05, 0.2), "lam": (0.05, 0.5)})


FACTOR_TOLERANCE = 0.001


def _ask_decay_factor(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask the factor a decayed step multiplies w by before the data gradient: 1 - ηλ."""
    lam = float(data.lambdas[1])
    factor = 1.0 - data.eta * lam
    final = data.weight_norm[:, -1]
    return number(
        f"{_describe_runs(data)}, minimizing mean loss + (λ/2)‖w‖² with λ = {lam:g}. By what "
        "factor does each step multiply w before the data gradient acts?",
        factor,
        FACTOR_TOLERANCE,
        f"Each step multiplies w by 1 − ηλ = {num(factor, 4)}; the {_label(lam)} run ends at "
        f"‖w‖ = {num(float(final[1]))} against {num(float(final[0]))} with no decay.",
        unit="times",
    )


def _best_val_variant(rng: np.random.Generator) -> Params:
    # Below λ = 0.05 the chosen run all but retraces the undecayed one: no fair contest.
    return sample(Params, rng, ranges={"lam": (0.05, 0.5)})


def _ask_best_val(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask which of the three runs ends with the lowest validation loss."""
    final = data.val_loss[:, -1]
    labels = [_label(float(lam)) for lam in data.lambdas]
    best = int(np.argmin(final))
    losses = ", ".join(
        f"{num(float(loss), 3)} ({label})" for label, loss in zip(labels, final, strict=True)
    )
    return choice(
        f"{_describe_runs(data)}, three times: with no weight decay, with λ = "
        f"{data.lambdas[1]:g} and with λ = {data.lambdas[2]:g}. Which run ends with the lowest "
        "validation loss?",
        labels[best],
        [label for k, label in enumerate(labels) if final[k] > final[best]],
        rng,
        f"After {data.steps[-1]} steps the validation losses (MSE / 2) are {losses}: the loss "
        "panel's solid curves at the last step.",
    )


QUESTIONS: tuple[QuestionKind[Params, Data], ...] = (
    QuestionKind("decay-factor", _decay_factor_variant, _ask_decay_factor),
    QuestionKind("best-val", _best_val_variant, _ask_best_val),
)


DEMO = Demo(
    id="weight-decay",
    title="Weight decay shrinks the weights",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    panels=Panels(cols=2),
    questions=QUESTIONS,
)
