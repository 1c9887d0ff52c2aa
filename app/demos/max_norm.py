"""Max-norm: after every SGD step, project each neuron's incoming weights back into ||w|| <= c.

A linear layer of 6 neurons with 30 inputs is fit by minibatch SGD (squared error) to only 30
noisy examples of a teacher whose rows have norms 0.5 to 2.5. Fitting the label noise needs
ever larger weights, so the row norms keep creeping up and held-out error grows. Max-norm
(Srivastava et al. 2014) projects after each step, w_i <- w_i * min(1, c / ||w_i||): no row
leaves the ball of radius c, and rows inside it train exactly as without the constraint.
"""

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels
from app.figures.questions import Question, QuestionKind, number, sample
from app.figures.style import Palette, finish
from app.figures.wording import caption, num

NEURONS = 6
INPUTS = 30
EXAMPLES = 30  # as many training examples as inputs: easy to overfit
BATCH = 10
TEACHER_NORMS = np.linspace(0.5, 2.5, NEURONS)
LABEL_NOISE = 1.0
HELD_OUT = 1000


class Params(DemoParams):
    """The cap, the learning rate and how long to train."""

    c: float = param(2.0, ge=0.5, le=5.0, step=0.25, label="Max norm c")
    lr: float = param(0.05, ge=0.01, le=0.1, step=0.01, label="Learning rate η")
    steps: int = param(600, ge=100, le=800, step=50, label="SGD steps")


@dataclass(frozen=True)
class Data:
    """Row norms after every step, without and with the cap."""

    c: float
    lr: float
    teacher_norms: np.ndarray  # (NEURONS,)
    free_norms: np.ndarray  # (steps + 1, NEURONS), step 0 is the initialization
    capped_norms: np.ndarray  # (steps + 1, NEURONS)
    free_loss: float  # held-out mean squared error after training, without the cap
    capped_loss: float  # and with it


def compute(params: Params) -> Data:
    """Train the same layer on the same minibatches twice: plain SGD and SGD + max-norm."""
    rng = np.random.default_rng(params.seed)
    directions = rng.standard_normal((NEURONS, INPUTS))
    teacher = directions / np.linalg.norm(directions, axis=1, keepdims=True)
    teacher *= TEACHER_NORMS[:, None]
    start = rng.normal(0.0, 0.05, size=(NEURONS, INPUTS))
    train_x = rng.standard_normal((EXAMPLES, INPUTS))
    train_y = train_x @ teacher.T + LABEL_NOISE * rng.standard_normal((EXAMPLES, NEURONS))
    batches = rng.integers(0, EXAMPLES, size=(params.steps, BATCH))

    weights = np.stack([start, start])  # (2, NEURONS, INPUTS): free, capped
    norms = np.empty((params.steps + 1, 2, NEURONS))
    norms[0] = np.linalg.norm(weights, axis=2)
    for step in range(params.steps):
        x, y = train_x[batches[step]], train_y[batches[step]]
        errors = weights @ x.T - y.T  # (2, NEURONS, BATCH)
        weights -= (params.lr / BATCH) * (errors @ x)  # gradient of ½·mean squared error
        row_norms = np.sqrt(np.sum(weights * weights, axis=2))
        shrink = np.minimum(1.0, params.c / np.maximum(row_norms[1], 1e-300))
        weights[1] *= shrink[:, None]
        norms[step + 1, 0] = row_norms[0]
        norms[step + 1, 1] = np.sqrt(np.sum(weights[1] * weights[1], axis=1))  # measured

    test_x = rng.standard_normal((HELD_OUT, INPUTS))
    test_y = test_x @ teacher.T + LABEL_NOISE * rng.standard_normal((HELD_OUT, NEURONS))
    losses = [float(np.mean((test_x @ w.T - test_y) ** 2)) for w in weights]
    return Data(
        c=params.c,
        lr=params.lr,
        teacher_norms=TEACHER_NORMS.copy(),
        free_norms=norms[:, 0],
        capped_norms=norms[:, 1],
        free_loss=losses[0],
        capped_loss=losses[1],
    )


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """Row norms against steps: left without the cap, right with it; the cap as a line."""
    figure = axes[0].figure
    steps = np.arange(data.free_norms.shape[0])
    top = max(float(data.free_norms.max()), data.c) * 1.12
    panels = (
        (data.free_norms, "Plain SGD", f"c = {data.c:g} (not enforced)", data.free_loss),
        (data.capped_norms, "SGD + max-norm", f"cap c = {data.c:g}", data.capped_loss),
    )
    for index, (ax, (norms, title, cap_label, loss)) in enumerate(zip(axes, panels, strict=True)):
        ax.set_prop_cycle(color=list(palette.series[:NEURONS]))
        ax.plot(steps, norms, lw=1.4)
        ax.axhspan(data.c, top, color=palette.bad, alpha=0.07, lw=0)
        ax.axhline(data.c, color=palette.text, lw=1.4, ls="--", label=cap_label, zorder=3)
        over = int(np.sum(norms[-1] > data.c + 1e-9))
        ax.text(
            0.98,
            0.03,
            f"{over} of {NEURONS} rows above c · held-out MSE {loss:.2f}",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            color=palette.muted,
            fontsize=8.5,
        )
        ax.set_ylim(0.0, top)
        ax.yaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
        ax.xaxis.set_major_locator(MaxNLocator(4, steps=[1, 2, 2.5, 5, 10]))
        ax.set_xlim(0, steps[-1])
        finish(
            ax,
            palette,
            title=title,
            xlabel="SGD step",
            ylabel="row norm ‖wᵢ‖ (one line per neuron)" if index == 0 else "",
            legend=False,
        )
        ax.legend(
            loc="upper left",
            fontsize=8.5,
            facecolor=palette.surface,
            edgecolor=palette.grid,
            labelcolor=palette.text,
            framealpha=0.9,
        )
    figure.suptitle(
        f"{NEURONS} neurons × {INPUTS} inputs fit to {EXAMPLES} noisy examples "
        f"(teacher row norms 0.5…2.5), η = {data.lr:g}",
        color=palette.muted,
        fontsize=9.5,
    )


def summary(data: Data) -> str:
    """Lead with one short sentence of what the figure shows, then the numbers."""
    return caption(
        f"Max-norm caps the norm of each row of the weights at c = {data.c:g} after every step.",
        details(data),
    )


def details(data: Data) -> str:
    """Give the largest row norm with and without the cap, and both held-out errors."""
    return (
        f"Without the cap the largest row norm ends at {num(float(data.free_norms[-1].max()))}; "
        f"with max-norm c = {data.c:g} every row stays at or below c (largest "
        f"{num(float(data.capped_norms.max()))}); held-out error {num(data.free_loss)} without "
        f"and {num(data.capped_loss)} with the cap."
    )


NORM_TOLERANCE = 0.02  # a row norm answered within this counts


def _tight_variant(rng: np.random.Generator) -> Params:
    # A cap below the largest teacher norm, 2.5: plain SGD's largest row always passes it.
    return sample(Params, rng, ranges={"c": (0.75, 1.5)})


def _ask_largest_norm(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask for the largest row norm under max-norm: the cap c, whatever plain SGD reaches."""
    largest = float(data.capped_norms[-1].max())
    return number(
        f"A layer of {NEURONS} neurons is fit to noisy data by SGD for "
        f"{data.free_norms.shape[0] - 1} steps; its teacher's rows have norms "
        f"{num(float(TEACHER_NORMS.min()), 1)} to {num(float(TEACHER_NORMS.max()), 1)}. With "
        f"max-norm c = {data.c:g} applied after every step, what is the largest row norm at "
        "the end?",
        largest,
        NORM_TOLERANCE,
        f"The largest row ends at {num(largest)} with the cap, against "
        f"{num(float(data.free_norms[-1].max()))} without it: each step projects a row that "
        "leaves the ball back onto ‖w‖ = c.",
    )


def _loose_variant(rng: np.random.Generator) -> Params:
    # A cap above most rows' norms: the smallest row's norm stays below it in plain SGD.
    return sample(Params, rng, ranges={"c": (2.5, 5.0)})


def _ask_untouched_row(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask where max-norm leaves a row whose norm never reaches c: where plain SGD leaves it."""
    peaks = data.free_norms.max(axis=0)
    row = int(np.argmin(peaks))
    free, capped = float(data.free_norms[-1, row]), float(data.capped_norms[-1, row])
    inside = peaks[row] < data.c
    return number(
        f"In plain SGD one row's norm peaks at {num(float(peaks[row]))} and ends at "
        f"{num(free)}, and the largest row norm ends at {num(float(data.free_norms[-1].max()))}. "
        f"Trained on the same minibatches with max-norm c = {data.c:g}, where does that row's "
        "norm end?",
        capped,
        NORM_TOLERANCE,
        f"It ends at {num(capped)} with the cap and {num(free)} without: "
        + (
            "a row inside the ball is never projected, so it trains exactly as in plain SGD."
            if inside
            else "its norm passed c, so the projection changed its path."
        ),
    )


QUESTIONS: tuple[QuestionKind[Params, Data], ...] = (
    QuestionKind("largest-norm", _tight_variant, _ask_largest_norm),
    QuestionKind("untouched-row", _loose_variant, _ask_untouched_row),
)


DEMO = Demo(
    id="max-norm",
    title="Max-norm regularization",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    panels=Panels(cols=2, top=0.7, narrow_top=0.95),
    questions=QUESTIONS,
)
