"""Stochastic depth: block l survives with p_l = 1 - (l/L)(1 - p_L) (Huang et al. 2016).

Each training iteration keeps block l with probability p_l (a dropped residual block is the
identity); the expected number of active blocks is the sum of the p_l. At test time every
block runs, its residual branch scaled by p_l.
"""

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.ticker import MaxNLocator

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels
from app.figures.questions import Question, QuestionKind, number, sample
from app.figures.style import Palette, few_ticks, finish, move_legend
from app.figures.wording import caption, num


class Params(DemoParams):
    """Depth, last block's survival probability, and iterations to sample."""

    blocks: int = param(24, ge=4, le=64, step=1, label="Residual blocks L")
    p_last: float = param(0.5, ge=0.1, le=1.0, step=0.05, label="Survival of the last block p_L")
    iterations: int = param(200, ge=50, le=400, step=10, label="Training iterations")


@dataclass(frozen=True)
class Data:
    """Survival probabilities, the sampled masks, and depths."""

    p_last: float
    survival: np.ndarray  # (L,) p_l for l = 1..L
    active: np.ndarray  # (L, T) bool: block l ran in iteration t
    empirical: np.ndarray  # (L,) fraction of iterations each block ran
    depth: np.ndarray  # (T,) active blocks per iteration
    expected_depth: float  # sum of p_l


def survival(blocks: int, p_last: float) -> np.ndarray:
    """Linear decay from p_0 = 1 (the input) to p_L at the last block."""
    layers = np.arange(1, blocks + 1)
    return 1.0 - layers / blocks * (1.0 - p_last)


def compute(params: Params) -> Data:
    """Sample which blocks run in each iteration."""
    rng = np.random.default_rng(params.seed)
    p = survival(params.blocks, params.p_last)
    active = rng.random((params.blocks, params.iterations)) < p[:, None]
    return Data(
        p_last=params.p_last,
        survival=p,
        active=active,
        empirical=active.mean(axis=1),
        depth=active.sum(axis=0),
        expected_depth=float(p.sum()),
    )


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """Draw the masks over iterations, the survival curve, and the depth histogram."""
    masks, curve, hist = axes
    blocks, iterations = data.active.shape
    layers = np.arange(1, blocks + 1)

    masks.imshow(
        data.active,
        cmap=ListedColormap([palette.grid, palette.series[0]]),
        vmin=0,
        vmax=1,
        aspect="auto",
        interpolation="nearest",
        origin="lower",
        extent=(0.5, iterations + 0.5, 0.5, blocks + 0.5),
    )
    masks.grid(False)
    masks.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    masks.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    finish(
        masks,
        palette,
        title="Blocks run (colour) or skipped",
        xlabel="training iteration",
        ylabel="block l (input at bottom)",
    )

    curve.plot(layers, data.survival, color=palette.series[0], lw=2, label="p_l (linear)")
    curve.plot(
        layers,
        data.empirical,
        "o",
        color=palette.series[2],
        ms=3.5,
        label=f"sampled, {iterations} it.",
    )
    curve.set_ylim(0, 1.05)
    curve.set_xlim(0, blocks + 1)
    few_ticks(curve, integer_x=True)
    finish(
        curve,
        palette,
        title=f"Survival, p_L = {data.p_last:.2f}",
        xlabel="block l",
        ylabel="probability of running",
    )
    move_legend(curve, "lower left")

    # One filled outline over the counts of 0 .. L active blocks, not a bar patch per count.
    counts = np.bincount(data.depth, minlength=blocks + 1)
    edges = np.arange(blocks + 2) - 0.5
    hist.stairs(
        counts, edges, fill=True, color=palette.series[1], alpha=0.85, label="sampled depths"
    )
    hist.axvline(
        data.expected_depth,
        ymax=0.62,
        color=palette.bad,
        lw=2,
        label=f"Σp_l = {data.expected_depth:.1f}",
    )
    hist.axvline(blocks, ymax=0.62, color=palette.muted, lw=1.5, ls="--", label=f"L = {blocks}")
    low = max(0.0, float(data.depth.min()) - 3.0)
    hist.set_xlim(low, blocks + 1.5)
    few_ticks(hist, x=4, y=4, integer_x=True)
    hist.set_ylim(0, hist.get_ylim()[1] * 1.75)
    finish(hist, palette, title="Depth per iteration", xlabel="blocks run", ylabel="iterations")
    move_legend(hist, "upper left")


def summary(data: Data) -> str:
    """Lead with one short sentence of what the figure shows, then the numbers."""
    if bool(np.all(data.survival >= 1.0)):
        lead = "With every block's survival at 1, no block is skipped, in training or at test time."
    else:
        lead = "Stochastic depth skips residual blocks at random in training; at test time all run."
    return caption(lead, details(data))


def details(data: Data) -> str:
    """State the survival range and the expected depth."""
    blocks = data.survival.size
    first, last = num(float(data.survival[0])), num(data.p_last)
    if first == last:
        survival = f"Every block survives with probability {last}"
    else:
        survival = f"Survival falls linearly from {first} at block 1 to {last} at block {blocks}"
    return (
        f"{survival}; a training pass runs on average Σp_l = {num(data.expected_depth, 1)} of "
        f"{blocks} blocks (sampled mean {num(float(data.depth.mean()), 1)}), while at test "
        "time all run."
    )


# Deep enough and decaying far enough that p_L·L and L are both more than a tolerance off.
QUESTION_RANGES = {"blocks": (8, 64), "p_last": (0.1, 0.8)}
SURVIVAL_TOLERANCE = 0.01
DEPTH_TOLERANCE = 0.5  # blocks


def _decay_variant(rng: np.random.Generator) -> Params:
    return sample(Params, rng, ranges=QUESTION_RANGES)


def _asked_block(params: Params) -> int:
    """Return the block a survival question asks about, 1..L-1 (block L's p_L is given)."""
    # The seed only moves the sampled masks, so it can pick the block without a second draw.
    return 1 + params.seed % (params.blocks - 1)


def _ask_block_survival(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask how likely one block is to run under the linear decay rule."""
    blocks, block = data.survival.size, _asked_block(params)
    value = float(data.survival[block - 1])
    return number(
        f"Stochastic depth over {blocks} residual blocks: survival decays linearly from 1 at "
        f"the input to p_L = {num(data.p_last)} at the last block, block {blocks}. With what "
        f"probability does block {block} run in a training iteration?",
        value,
        SURVIVAL_TOLERANCE,
        f"p_{block} = 1 - ({block}/{blocks})(1 - {num(data.p_last)}) = {num(value, 3)}; "
        f"block {block} ran in {num(float(data.empirical[block - 1]), 3)} of the sampled "
        "iterations (its dot on the survival curve).",
    )


def _ask_expected_depth(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask how many blocks run on average in a training pass: the sum of the p_l."""
    blocks = data.survival.size
    return number(
        f"Stochastic depth over {blocks} residual blocks: survival decays linearly from 1 at "
        f"the input to p_L = {num(data.p_last)} at block {blocks}. On average, how many blocks "
        "run in one training iteration?",
        data.expected_depth,
        DEPTH_TOLERANCE,
        f"The expected depth is Σp_l = {num(data.expected_depth, 2)} of {blocks} blocks (the "
        "Σp_l line of the histogram); the sampled iterations ran "
        f"{num(float(data.depth.mean()), 1)} on average.",
        unit="blocks",
    )


QUESTIONS: tuple[QuestionKind[Params, Data], ...] = (
    QuestionKind("block-survival", _decay_variant, _ask_block_survival),
    QuestionKind("expected-depth", _decay_variant, _ask_expected_depth),
)


DEMO = Demo(
    id="stochastic-depth",
    title="Stochastic depth: linearly decaying survival",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    panels=Panels(cols=3),
    questions=QUESTIONS,
)
