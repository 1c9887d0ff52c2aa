"""Adam + L2 against AdamW: how much each weight shrinks when gradient scales differ.

Four weights start at 1. Their loss gradients alternate in sign from step to step (two kinds
of minibatch that disagree, so the weight feels no net pull) with sizes s = 0, 0.1, 1, 10:
the weights differ only in the size of their gradient history. Adam + L2
(``torch.optim.Adam(weight_decay=wd)``) adds wd·w to the gradient before the adaptive step,
so the decay is divided by sqrt(v): large-gradient weights barely decay, while a weight
without loss gradient first moves by about lr per step (the normalized step is sign-like),
whatever wd is. AdamW (``torch.optim.AdamW``, Loshchilov & Hutter
2019) multiplies w by (1 - lr·wd) apart from the adaptive step, so every weight decays alike.
Deterministic: the seed is not used.
"""

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels
from app.figures.questions import Question, QuestionKind, choice, number, sample
from app.figures.style import Palette, finish
from app.figures.wording import caption, num, sig

SCALES = np.array([0.0, 0.1, 1.0, 10.0])  # size of each weight's loss gradient
BETA1 = 0.9
BETA2 = 0.999
EPS = 1e-8  # torch.optim.Adam / AdamW defaults
NEAR_DECAY = 0.01  # AdamW weights within this of (1 - lr*wd)^t are said to sit on it


class Params(DemoParams):
    """Learning rate, weight decay and the number of steps."""

    lr: float = param(0.01, ge=0.001, le=0.05, step=0.001, label="Learning rate lr")
    wd: float = param(0.2, ge=0.01, le=1.0, step=0.01, label="Weight decay wd")
    steps: int = param(500, ge=50, le=1000, step=50, label="Steps")


@dataclass(frozen=True)
class Data:
    """Weight trajectories under both optimizers and the pure-decay reference."""

    lr: float
    wd: float
    scales: np.ndarray
    steps: np.ndarray
    w_adam_l2: np.ndarray  # (steps + 1, weights)
    w_adamw: np.ndarray
    decay_only: np.ndarray  # (1 - lr*wd)^t


def adam_l2_step(
    w: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    t: int,
    lr: float,
    wd: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step of torch.optim.Adam with weight_decay=wd: L2 enters the gradient."""
    g = grad + wd * w
    m = BETA1 * m + (1.0 - BETA1) * g
    v = BETA2 * v + (1.0 - BETA2) * g * g
    denom = np.sqrt(v) / np.sqrt(1.0 - BETA2**t) + EPS
    return w - lr / (1.0 - BETA1**t) * m / denom, m, v


def adamw_step(
    w: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    t: int,
    lr: float,
    wd: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step of torch.optim.AdamW: w <- w(1 - lr*wd), then the Adam step on the loss gradient."""
    w = w * (1.0 - lr * wd)
    m = BETA1 * m + (1.0 - BETA1) * grad
    v = BETA2 * v + (1.0 - BETA2) * grad * grad
    denom = np.sqrt(v) / np.sqrt(1.0 - BETA2**t) + EPS
    return w - lr / (1.0 - BETA1**t) * m / denom, m, v


def compute(params: Params) -> Data:
    """Run both optimizers from w = 1 on the alternating gradients."""
    k = len(SCALES)
    w_adam = np.ones((params.steps + 1, k))
    w_adamw = np.ones((params.steps + 1, k))
    wa, ma, va = np.ones(k), np.zeros(k), np.zeros(k)
    ww, mw, vw = np.ones(k), np.zeros(k), np.zeros(k)
    for t in range(1, params.steps + 1):
        grad = SCALES if t % 2 else -SCALES
        wa, ma, va = adam_l2_step(wa, grad, ma, va, t, params.lr, params.wd)
        ww, mw, vw = adamw_step(ww, grad, mw, vw, t, params.lr, params.wd)
        w_adam[t] = wa
        w_adamw[t] = ww
    steps = np.arange(params.steps + 1)
    return Data(
        lr=params.lr,
        wd=params.wd,
        scales=SCALES.copy(),
        steps=steps,
        w_adam_l2=w_adam,
        w_adamw=w_adamw,
        decay_only=(1.0 - params.lr * params.wd) ** steps,
    )


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """Draw w / w0 over steps for each gradient scale, Adam + L2 beside AdamW."""
    axes[1].sharey(axes[0])
    panels = [
        (axes[0], data.w_adam_l2, "Adam + L2 (wd·w in gradient)"),
        (axes[1], data.w_adamw, "AdamW (decoupled decay)"),
    ]
    for ax, weights, title in panels:
        for j, scale in enumerate(data.scales):
            ax.plot(
                data.steps,
                weights[:, j],
                color=palette.series[j % len(palette.series)],
                lw=3.2 - 0.5 * j,  # thick to thin, so overlapping lines stay visible
                label=f"s = {scale:g}",
            )
        ax.plot(
            data.steps,
            data.decay_only,
            color=palette.text,
            lw=1.2,
            ls="--",
            label="(1 − lr·wd)ᵗ",
        )
        ax.axhline(0.0, color=palette.muted, lw=0.8)
        finish(ax, palette, title=title, xlabel="step t", ylabel="w / w₀", legend=False)
    axes[0].set_ylim(-0.08, 1.08)
    # Where the decay curve ends low, the upper right is free; else the lower left is.
    decays = bool(data.decay_only[-1] < 0.5)
    below = np.flatnonzero(data.decay_only <= 0.6)
    target = int(below[0]) if below.size else len(data.steps) // 2
    axes[1].annotate(
        "every weight, every s",
        xy=(float(data.steps[target]), float(data.decay_only[target])),
        xytext=(0.3, 0.4) if decays else (0.55, 0.45),
        textcoords="axes fraction",
        color=palette.text,
        fontsize=9,
        arrowprops={"arrowstyle": "->", "color": palette.muted, "lw": 1},
    )
    legend = axes[1].legend(
        title="loss-gradient size",
        title_fontsize=8.5,
        fontsize=8.5,
        facecolor=palette.surface,
        edgecolor=palette.grid,
        labelcolor=palette.text,
        framealpha=0.9,
        loc="upper right" if decays else "lower left",
    )
    legend.get_title().set_color(palette.text)
    axes[1].set_ylabel("")


def _span(values: np.ndarray) -> str:
    low, high = num(float(values.min())), num(float(values.max()))
    return low if low == high else f"{low}–{high}"


def summary(data: Data) -> str:
    """Lead with one short sentence of what the figure shows, then the numbers."""
    return caption(
        "AdamW decays every weight by the same factor; Adam "
        "+ L2 decays each through its own gradient scaling.",
        details(data),
    )


def details(data: Data) -> str:
    """Compare each optimizer's final weights with the pure decay (1 - lr*wd)^t."""
    t = int(data.steps[-1])
    end_adam = data.w_adam_l2[-1]
    end_adamw = data.w_adamw[-1]
    decay = float(data.decay_only[-1])
    near = np.abs(end_adamw - decay) <= NEAR_DECAY
    if near.all():
        adamw = (
            f"AdamW leaves every weight at {_span(end_adamw)} of its start, within "
            f"{NEAR_DECAY:g} of (1 − lr·wd)^t = {num(decay)}, whatever its gradient scale"
        )
    else:
        kept = ", ".join(f"{s:g}" for s in data.scales[near])
        on = f", which is where it leaves the weights with gradient scale {kept}" if kept else ""
        moved = end_adamw[~near]
        side = (
            "below" if (moved < decay).all() else "above" if (moved > decay).all() else "away from"
        )
        adamw = (
            f"AdamW multiplies every weight by the same (1 − lr·wd)^t = {num(decay)}{on}; "
            f"those with gradient scale {', '.join(f'{s:g}' for s in data.scales[~near])} end "
            f"{side} it at {_span(moved)} of their start, moved by their own Adam steps"
        )
    largest, none = int(np.argmax(data.scales)), int(np.argmin(data.scales))
    return (
        f"After {t} steps with lr = {data.lr:g} and wd = {data.wd:g}, {adamw}; Adam + L2 leaves "
        f"the weight with gradient scale {data.scales[largest]:g} at {num(end_adam[largest])} "
        f"and the one with gradient scale {data.scales[none]:g} at {num(end_adam[none])}."
    )


LEFT_LOW, LEFT_HIGH = 0.15, 0.85  # a variant's pure decay (1 - lr*wd)^t ends between these
CLEAR = 0.05  # a weight at least this far below the largest is clearly shrunk more


def _decay_variant(rng: np.random.Generator) -> Params:
    # lr * steps >= 1, so some slider value of wd leaves (1 - lr*wd)^t inside the band: the
    # decay is then neither negligible nor complete, and the weights still differ visibly.
    first = sample(Params, rng, ranges={"lr": (0.005, 0.05), "steps": (200, 1000)})
    span = first.lr * first.steps
    return sample(
        Params,
        rng,
        fixed={"lr": first.lr, "steps": first.steps},
        ranges={"wd": (-math.log(LEFT_HIGH) / span, -math.log(LEFT_LOW) / span)},
    )


def _least_shrunk_variant(rng: np.random.Generator) -> Params:
    # lr up to 0.03: AdamW's own adaptive steps then move its weights apart by at most about
    # 1.5 lr, under CLEAR, so that all four decay alike.
    first = sample(Params, rng, ranges={"lr": (0.005, 0.03), "steps": (200, 1000)})
    span = first.lr * first.steps
    return sample(
        Params,
        rng,
        fixed={"lr": first.lr, "steps": first.steps},
        ranges={"wd": (-math.log(LEFT_HIGH) / span, -math.log(LEFT_LOW) / span)},
    )


def _weight(scale: float) -> str:
    return f"the weight with gradient size s = {scale:g}"


def _ask_least_shrunk(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask which weight one optimizer shrinks least, Adam + L2 or AdamW, drawn here.

    Adam + L2 divides the decay by the root-mean-square gradient: the large-gradient weight
    barely shrinks. AdamW decays every weight alike, so none stands out.
    """
    adamw = bool(rng.integers(2))
    t = int(data.steps[-1])
    ends = data.w_adamw[-1] if adamw else data.w_adam_l2[-1]
    best = int(np.argmax(ends))
    spread = float(ends.max() - ends.min())
    alike = f"all of them alike (within {CLEAR:g} of each other)"
    weights = [_weight(float(scale)) for scale in data.scales]
    if spread <= CLEAR:
        # None stands out; any single weight but the highest has shrunk more than another.
        right, wrong = alike, [text for index, text in enumerate(weights) if index != best]
    else:
        # Only weights clearly below the highest, so that no wrong choice is right too.
        right = weights[best]
        wrong = [text for text, end in zip(weights, ends, strict=True) if end < ends[best] - CLEAR]
        wrong.append(alike)
    if adamw:
        name = "AdamW"
        optimizer = (
            f"AdamW (weight_decay = {data.wd:g}, so every step also multiplies w by "
            f"1 − lr·wd = {num(1.0 - data.lr * data.wd, 4)}, apart from the adaptive step; "
            f"lr = {data.lr:g})"
        )
        why = "its decay multiplies every weight alike, as the right panel shows"
    else:
        name = "Adam + L2"
        optimizer = (
            f"Adam with L2 (weight_decay = {data.wd:g}, so {data.wd:g}·w joins the gradient; "
            f"lr = {data.lr:g})"
        )
        why = "it divides the decay wd·w by the root-mean-square gradient, as the left panel shows"
    if right == alike:
        left = f"the four weights at {_span(ends)}, within {sig(spread, 2)} of each other"
    else:
        low = int(np.argmin(ends))
        left = (
            f"{weights[best]} at {num(float(ends[best]))} and the one with "
            f"s = {data.scales[low]:g} at {num(float(ends[low]))}"
        )
    return choice(
        f"Four weights start at 1; their loss gradients alternate in sign with sizes s = "
        f"{', '.join(f'{s:g}' for s in data.scales)}. After {t} steps of {optimizer}, which "
        "weight has shrunk least?",
        right,
        wrong,
        rng,
        f"{name} leaves {left}: {why}.",
    )


def _ask_adamw_left(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask where AdamW leaves a weight without loss gradient: at the pure decay (1 - lr*wd)^t."""
    t = int(data.steps[-1])
    none = int(np.argmin(np.abs(data.scales)))
    left = float(data.w_adamw[-1, none])
    return number(
        f"A weight starts at 1 and its loss gradient is 0. What is it after {t} steps of AdamW "
        f"with lr = {data.lr:g} and weight_decay = {data.wd:g}?",
        left,
        0.02,
        f"AdamW multiplies the weight by 1 − lr·wd = {num(1.0 - data.lr * data.wd, 4)} every "
        f"step, so it ends at {num(left)} (the s = {data.scales[none]:g} line in the right "
        f"panel), where Adam + L2 leaves it at {num(float(data.w_adam_l2[-1, none]))}.",
    )


QUESTIONS: tuple[QuestionKind[Params, Data], ...] = (
    QuestionKind("least-shrunk", _least_shrunk_variant, _ask_least_shrunk),
    QuestionKind("adamw-left", _decay_variant, _ask_adamw_left),
)


DEMO = Demo(
    id="adam-vs-adamw",
    title="Adam + L2 against AdamW",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    panels=Panels(cols=2),
    questions=QUESTIONS,
)
