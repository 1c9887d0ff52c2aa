"""Label smoothing: targets (1-e)*onehot + e/K, and the finite optimal logit margin they imply.

With the true logit m above K-1 equal others, softmax gives the true class
p = e^m / (e^m + K - 1) and the cross-entropy is -y_true*m + log(e^m + K - 1). Its derivative
p - y_true vanishes where p = y_true = 1 - e + e/K, that is at
m* = log((1 - e + e/K) / (e/K)). Without smoothing y_true = 1 and the loss falls forever."""

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels
from app.figures.questions import Question, QuestionKind, choice, number, sample
from app.figures.style import Palette, few_ticks, finish, move_legend
from app.figures.wording import caption, num

MARGIN_MIN, MARGIN_MAX, POINTS = -2.0, 12.0, 1401  # grid step 0.01


class Params(DemoParams):
    """Smoothing strength and number of classes."""

    epsilon: float = param(0.1, ge=0.0, le=0.5, step=0.01, label="Smoothing ε")
    classes: int = param(10, ge=2, le=20, step=1, label="Classes K")


@dataclass(frozen=True)
class Data:
    """Targets, the loss against the margin with and without smoothing, and the optimum."""

    epsilon: float
    classes: int
    onehot: np.ndarray  # (K,), true class 0
    smoothed: np.ndarray  # (K,)
    margins: np.ndarray
    loss_plain: np.ndarray
    loss_smooth: np.ndarray
    best_margin: float  # closed form; inf without smoothing
    best_margin_grid: float  # argmin of loss_smooth on the grid
    best_loss: float  # min of loss_smooth on the grid (the targets' entropy at the optimum)


def cross_entropy(margins: np.ndarray, true_target: float, classes: int) -> np.ndarray:
    """Cross-entropy of softmax(m, 0, ..., 0) against targets with true_target on class 0.

    The other K-1 targets share 1 - true_target equally and their logits are equal, so the
    loss is -true_target*m + logsumexp(m, 0, ..., 0).
    """
    loss: np.ndarray = -true_target * margins + np.logaddexp(margins, np.log(classes - 1))
    return loss


def compute(params: Params) -> Data:
    """Build the targets and sweep the margin."""
    e, k = params.epsilon, params.classes
    onehot = np.zeros(k)
    onehot[0] = 1.0
    smoothed = (1.0 - e) * onehot + e / k
    margins = np.linspace(MARGIN_MIN, MARGIN_MAX, POINTS)
    loss_plain = cross_entropy(margins, 1.0, k)
    loss_smooth = cross_entropy(margins, float(smoothed[0]), k)
    # log(K(1 - e) + e) - log(e) = log((1 - e + e/K) / (e/K)), finite for the tiniest e > 0.
    best = float(np.log(k * (1.0 - e) + e) - np.log(e)) if e > 0 else float("inf")
    index = int(np.argmin(loss_smooth))
    return Data(
        epsilon=e,
        classes=k,
        onehot=onehot,
        smoothed=smoothed,
        margins=margins,
        loss_plain=loss_plain,
        loss_smooth=loss_smooth,
        best_margin=best,
        best_margin_grid=float(margins[index]),
        best_loss=float(loss_smooth[index]),
    )


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """Draw the target bars and the two loss curves with the optimum marked."""
    bars, curve = axes
    k = data.classes
    index = np.arange(k)
    width = 0.4
    bars.bar(index - width / 2, data.onehot, width, color=palette.muted, label="one-hot")
    bars.bar(
        index + width / 2,
        data.smoothed,
        width,
        color=palette.series[0],
        label=f"smoothed, ε = {data.epsilon:.2f}",
    )
    true_value, other_value = data.smoothed[0], data.smoothed[-1]
    bars.annotate(
        f"1-ε+ε/K = {true_value:.3f}",
        (width, true_value),
        xytext=(4, -4),
        textcoords="offset points",
        color=palette.series[0],
        fontsize=9,
        va="top",
    )
    if data.epsilon > 0:
        bars.annotate(
            f"ε/K = {other_value:.3f} each",
            (k - 1 + width / 2, other_value),
            xytext=(0, 14),
            textcoords="offset points",
            ha="right",
            color=palette.series[0],
            fontsize=9,
        )
    bars.set_ylim(0, 1.18)
    few_ticks(bars, x=6, integer_x=True)
    bars.set_xlim(-0.7, k - 0.3)
    finish(
        bars,
        palette,
        title=f"Targets, K = {k} (true class 0)",
        xlabel="class",
        ylabel="target probability",
    )
    move_legend(bars, "upper right")

    curve.plot(
        data.margins,
        data.loss_plain,
        color=palette.muted,
        lw=2,
        label="one-hot: falls forever, m* = ∞",
    )
    if data.epsilon > 0:
        curve.plot(
            data.margins,
            data.loss_smooth,
            color=palette.series[0],
            lw=2,
            label=f"smoothed, ε = {data.epsilon:.2f}",
        )
        curve.vlines(data.best_margin, 0, data.best_loss, color=palette.bad, lw=1.2, ls="--")
        curve.plot(
            [data.best_margin_grid],
            [data.best_loss],
            "o",
            color=palette.bad,
            ms=7,
            label=f"minimum at m* = {data.best_margin:.2f}",
        )
    curve.set_xlim(data.margins[0], data.margins[-1])
    few_ticks(curve, x=7)
    curve.set_ylim(0, 1.05 * max(float(data.loss_plain.max()), float(data.loss_smooth.max())))
    finish(
        curve,
        palette,
        title="Cross-entropy vs logit margin",
        xlabel="margin m = z_true − z_other",
        ylabel="loss (nats)",
    )


def summary(data: Data) -> str:
    """Lead with one short sentence of what the figure shows, then the numbers."""
    return caption(
        "Label smoothing moves a share ε of the target from the true class to the other classes.",
        details(data),
    )


def details(data: Data) -> str:
    """State the targets and the optimal margin."""
    targets = (
        f"With ε = {num(data.epsilon)} and K = {data.classes} the true class's target is "
        f"{num(float(data.smoothed[0]), 3)} and each other class gets "
        f"{num(float(data.smoothed[-1]), 3)}"
    )
    if data.epsilon == 0:
        return targets + "; with one-hot targets the loss keeps falling as the margin grows."
    return (
        f"{targets}; the loss is minimised at a finite logit margin m* = "
        f"{num(data.best_margin)}, while with one-hot targets it keeps falling forever."
    )


# ε away from 0, so that no target rounds to 0; K small enough that the margin of the
# (1-ε, ε/(K-1)) convention lies beyond the margin question's tolerance.
QUESTION_RANGES = {"epsilon": (0.05, 0.5), "classes": (2, 12)}
MARGIN_TOLERANCE = 0.05


def _smoothing_variant(rng: np.random.Generator) -> Params:
    return sample(Params, rng, ranges=QUESTION_RANGES)


def _ask_other_target(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask what target each wrong class gets: ε/K, since the uniform part covers every class."""
    e, k = data.epsilon, data.classes
    return choice(
        f"Cross-entropy with label smoothing ε = {num(e)} over K = {k} classes, as PyTorch's "
        "label_smoothing applies it. What target does each wrong class get?",
        num(float(data.smoothed[-1]), 4),
        # Four decimals, so that ε/(K-1), the other convention's share, never prints as ε/K.
        [num(value, 4) for value in (e / (k - 1), e, 0.0, (1.0 - e) / k)],
        rng,
        f"Each wrong class gets ε/K = {num(float(data.smoothed[-1]), 4)} and the true class "
        f"1-ε+ε/K = {num(float(data.smoothed[0]), 3)}, the smoothed bars of the targets panel.",
    )


def _ask_best_margin(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask at which logit margin the smoothed cross-entropy is lowest."""
    return number(
        f"With label smoothing ε = {num(data.epsilon)} over K = {data.classes} classes, the true "
        "class's logit sits m above the K-1 equal others. At which margin m is the "
        "cross-entropy lowest?",
        data.best_margin,
        MARGIN_TOLERANCE,
        f"The loss is lowest where softmax gives the true class its target "
        f"{num(float(data.smoothed[0]), 3)}, at m* = log((1-ε+ε/K)/(ε/K)) = "
        f"{num(data.best_margin)} (the dot), while the one-hot loss keeps falling.",
    )


QUESTIONS: tuple[QuestionKind[Params, Data], ...] = (
    QuestionKind("other-target", _smoothing_variant, _ask_other_target),
    QuestionKind("best-margin", _smoothing_variant, _ask_best_margin),
)


DEMO = Demo(
    id="label-smoothing",
    title="Label smoothing caps the logit margin",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    panels=Panels(cols=2),
    questions=QUESTIONS,
)
