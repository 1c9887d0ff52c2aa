"""Early stopping: train and validation loss of an over-parameterized model, patience, restore.

A linear model on 31 Fourier features is fitted to 28 noisy points by full-batch gradient
descent from w = 0. The target lies in the span of the five smooth features, which are large;
the 26 wiggly ones are small. Gradient descent fits the large-curvature directions (the signal)
first and the small-curvature ones, which only the noise needs, later: the validation loss
falls towards the noise variance σ², then rises as the fit bends through the noise.
Early stopping as in Keras' ``EarlyStopping(patience=..., restore_best_weights=True)``: after
each epoch, if the validation loss is below the best so far, remember the epoch and its
weights; after ``patience`` epochs without improvement, stop and restore the best weights.
"""

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels
from app.figures.questions import Question, QuestionKind, choice, sample
from app.figures.style import Palette, finish, themed_legend
from app.figures.wording import caption, change, num, sig

N_TRAIN = 28
N_VAL = 200
MAX_FREQUENCY = 15
N_FEATURES = 1 + 2 * MAX_FREQUENCY  # 31 > 28 training points: the model can interpolate them
SMOOTH_FREQUENCY = 2  # frequencies 0 .. 2 carry the signal
# Small enough that the wiggly directions are fitted well after the smooth ones, large enough
# that gradient descent fits much of the noise along them within the default epochs.
WIGGLY_SCALE = 0.3
N_GRID = 200


class Params(DemoParams):
    """Patience, training length, step size and label noise."""

    patience: int = param(20, ge=1, le=50, step=1, label="Patience (epochs)")
    epochs: int = param(300, ge=50, le=600, step=10, label="Epochs")
    lr: float = param(0.2, ge=0.02, le=1.5, step=0.02, label="Learning rate η")
    noise: float = param(0.3, ge=0.05, le=1.0, step=0.05, label="Label noise σ")


@dataclass(frozen=True)
class Data:
    """Loss curves, every epoch's weights, the early-stopping decision and the fits."""

    patience: int
    noise: float
    epochs: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    weights: np.ndarray  # (epochs + 1, features): row e holds the weights after e epochs
    best_epoch: int
    stop_epoch: int
    stopped_early: bool
    restored_weights: np.ndarray
    restored_val_loss: float
    x_train: np.ndarray
    y_train: np.ndarray
    x_grid: np.ndarray
    y_true: np.ndarray
    fit_restored: np.ndarray
    fit_end: np.ndarray


def target(x: np.ndarray) -> np.ndarray:
    """The noiseless function the data come from."""
    return np.sin(2 * np.pi * x)


def features(x: np.ndarray) -> np.ndarray:
    """Fourier features 1/√2, cos(2πkx), sin(2πkx), k = 1 .. 15: the smooth ones (k <= 2) large.

    Each smooth feature has mean square 1/2, so the loss curves about equally along them. The
    small scale of the wiggly features makes their curvature small, so gradient descent fits
    them (and with them the noise) only after the smooth ones.
    """
    k = np.arange(1, MAX_FREQUENCY + 1)
    scale = np.where(k <= SMOOTH_FREQUENCY, 1.0, WIGGLY_SCALE)
    angle = 2 * np.pi * k * x[:, None]
    constant = np.full((len(x), 1), np.sqrt(0.5))
    out: np.ndarray = np.hstack([constant, np.cos(angle) * scale, np.sin(angle) * scale])
    return out


def early_stopping(
    val_loss: np.ndarray, weights: np.ndarray, patience: int
) -> tuple[int, int, np.ndarray]:
    """Return (best epoch, stop epoch, restored weights) as Keras' EarlyStopping does.

    After each epoch 1, 2, ...: if its validation loss is strictly below the best so far, keep
    a copy of its weights; stop at the first epoch that ends ``patience`` epochs without
    improvement (or at the last epoch) and restore the copy.
    """
    best_epoch, best_loss, wait = 0, np.inf, 0
    restored = weights[0].copy()
    last = len(val_loss) - 1
    for epoch in range(1, last + 1):
        if val_loss[epoch] < best_loss:
            best_epoch, best_loss, wait = epoch, float(val_loss[epoch]), 0
            restored = weights[epoch].copy()
        else:
            wait += 1
            if wait >= patience:
                return best_epoch, epoch, restored
    return best_epoch, last, restored


def compute(params: Params) -> Data:
    """Train by full-batch gradient descent on the mean squared error and apply early stopping."""
    rng = np.random.default_rng(params.seed)
    x_train = (np.arange(N_TRAIN) + rng.uniform(0.0, 1.0, N_TRAIN)) / N_TRAIN  # jittered grid
    y_train = target(x_train) + params.noise * rng.normal(size=N_TRAIN)
    x_val = rng.uniform(0.0, 1.0, N_VAL)
    y_val = target(x_val) + params.noise * rng.normal(size=N_VAL)

    # Scale the features so the largest curvature of the loss is 1: GD is stable for lr < 2.
    raw = features(x_train)
    scale = float(np.sqrt(np.linalg.eigvalsh(2.0 / N_TRAIN * raw.T @ raw)[-1]))
    train_x = raw / scale
    val_x = features(x_val) / scale

    # The gradient of the training MSE is hessian @ w - pull; precomputed, each epoch is one
    # small matrix-vector product.
    hessian = 2.0 / N_TRAIN * train_x.T @ train_x
    pull = 2.0 / N_TRAIN * train_x.T @ y_train
    weights = np.zeros((params.epochs + 1, N_FEATURES))
    w = np.zeros(N_FEATURES)
    for epoch in range(1, params.epochs + 1):
        w = w - params.lr * (hessian @ w - pull)
        weights[epoch] = w
    train_loss = np.mean((weights @ train_x.T - y_train) ** 2, axis=1)
    val_loss = np.mean((weights @ val_x.T - y_val) ** 2, axis=1)

    best_epoch, stop_epoch, restored = early_stopping(val_loss, weights, params.patience)
    x_grid = np.linspace(0.0, 1.0, N_GRID)
    grid_x = features(x_grid) / scale
    return Data(
        patience=params.patience,
        noise=params.noise,
        epochs=np.arange(params.epochs + 1),
        train_loss=train_loss,
        val_loss=val_loss,
        weights=weights,
        best_epoch=best_epoch,
        stop_epoch=stop_epoch,
        stopped_early=stop_epoch < params.epochs,
        restored_weights=restored,
        restored_val_loss=float(np.mean((val_x @ restored - y_val) ** 2)),
        x_train=x_train,
        y_train=y_train,
        x_grid=x_grid,
        y_true=target(x_grid),
        fit_restored=grid_x @ restored,
        fit_end=grid_x @ weights[-1],
    )


def _mse(value: float) -> str:
    # Significant digits: the losses span decades over the noise levels and epochs allowed.
    return sig(value, 3)


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """Draw the loss curves with the best and stop epochs, and the restored fit beside the end."""
    loss_ax, fit_ax = axes
    last = int(data.epochs[-1])
    stop = data.stop_epoch
    run = slice(0, stop + 1)
    after = slice(stop, last + 1)
    train_colour, val_colour = palette.series[0], palette.series[2]
    loss_ax.plot(data.epochs[run], data.train_loss[run], color=train_colour, lw=2, label="train")
    loss_ax.plot(data.epochs[run], data.val_loss[run], color=val_colour, lw=2, label="validation")
    if stop < last:
        loss_ax.plot(data.epochs[after], data.train_loss[after], color=train_colour, lw=1.2, ls=":")
        loss_ax.plot(
            data.epochs[after],
            data.val_loss[after],
            color=val_colour,
            lw=1.2,
            ls=":",
            label="if not stopped",
        )
        loss_ax.axvspan(stop, last, color=palette.grid, alpha=0.45, lw=0)
    loss_ax.axvline(data.best_epoch, color=palette.good, lw=1.6, label=f"best {data.best_epoch}")
    if data.stopped_early:
        stop_label = f"stop {stop} = best + {data.patience}"
        loss_ax.axvspan(data.best_epoch, stop, color=palette.accent, alpha=0.12, lw=0)
    else:
        stop_label = f"end {stop}: no stop"
    loss_ax.axvline(stop, color=palette.bad, lw=1.6, ls="--", label=stop_label)
    # No function predicts noisy labels better, on average, than the noise variance.
    floor = data.noise**2
    loss_ax.axhline(floor, color=palette.muted, lw=1.0, ls="-.", label=f"noise σ² = {_mse(floor)}")
    best_val = float(data.val_loss[data.best_epoch])
    top = max(float(data.val_loss[data.best_epoch :].max()), best_val, floor) * 1.9
    loss_ax.set_ylim(0.0, top)
    loss_ax.set_xlim(0, last)
    finish(
        loss_ax,
        palette,
        title="Loss per epoch (full-batch GD)",
        xlabel="epoch",
        ylabel="mean squared error",
        legend=False,
    )
    themed_legend(loss_ax, palette, "upper right")

    fit_ax.plot(data.x_grid, data.y_true, color=palette.muted, lw=1.2, ls="--", label="true f(x)")
    fit_ax.plot(
        data.x_grid,
        data.fit_end,
        color=palette.bad,
        lw=1.3,
        label=f"end, epoch {last}: val {_mse(float(data.val_loss[-1]))}",
    )
    fit_ax.plot(
        data.x_grid,
        data.fit_restored,
        color=palette.good,
        lw=2.2,
        label=f"restored, epoch {data.best_epoch}: val {_mse(data.restored_val_loss)}",
    )
    fit_ax.plot(data.x_train, data.y_train, "o", color=palette.text, ms=4, label="training points")
    spread = float(np.ptp(data.y_train))
    low, high = float(data.y_train.min()), float(data.y_train.max())
    fit_ax.set_ylim(low - 0.1 * spread, high + 0.45 * spread)  # room for the legend on top
    finish(fit_ax, palette, title="Fitted function", xlabel="x", ylabel="y", legend=False)
    themed_legend(fit_ax, palette, "upper right")


def summary(data: Data) -> str:
    """Lead with one short sentence of what the figure shows, then the numbers."""
    return caption(
        "Early stopping watches the validation loss and keeps the "
        f"weights of its best epoch, here epoch {data.best_epoch}.",
        details(data),
    )


def details(data: Data) -> str:
    """State the best and stop epochs and what training on would have done to both losses."""
    last = int(data.epochs[-1])
    best = data.best_epoch
    best_val = float(data.val_loss[best])
    lower = np.flatnonzero(data.val_loss < best_val)  # epochs the best does not beat
    if lower.size == 0:
        lowest = "lowest"
    elif lower.min() > data.stop_epoch:
        lowest = "lowest before the stop"
    else:  # only the untrained start (epoch 0) can be lower than the best trained epoch
        lowest = f"lowest among epochs 1–{data.stop_epoch}"
    start = (
        f"Validation loss is {lowest} at epoch {best} (MSE {_mse(best_val)}); "
        if data.stopped_early
        else f"Validation loss is {lowest} at epoch {best} (MSE {_mse(best_val)}), and it "
    )
    if not data.stopped_early:
        # The patience can run out exactly at the last epoch, where training ends anyway.
        stalls = (
            f"has stalled for {data.patience} epochs only by the last epoch, {last}, where "
            "training ends anyway"
            if last - best >= data.patience
            else f"never stalls for {data.patience} epochs, so training runs to epoch {last}"
        )
        restored = _mse(data.restored_val_loss)
        return (
            f"{start}{stalls}, and restores epoch {best}'s weights (validation MSE {restored}, "
            f"against {_mse(float(data.val_loss[-1]))} at epoch {last})."
        )
    end_val = float(data.val_loss[-1])
    val = change(best_val, end_val, _mse)
    if _mse(end_val) == _mse(best_val):
        verdict = f"while the validation MSE {val}"
    elif end_val > best_val:
        factor = num(end_val / best_val)
        times = f" ({factor} times the restored epoch's)" if factor != num(1.0) else ""
        verdict = f"but the validation MSE {val}{times}"
    else:
        verdict = f"and the validation MSE {val}: here the patience ran out too soon"
    return (
        f"{start}training stops at epoch {data.stop_epoch} (best + patience {data.patience}) "
        f"and restores epoch {best}'s weights. Had training gone on to epoch {last}: the "
        f"training MSE {change(float(data.train_loss[best]), float(data.train_loss[-1]), _mse)} "
        f"{verdict}."
    )


# Long runs with much label noise: the patience runs out well before the last
# epoch and training on would clearly fit the noise.
OVERFIT = {"patience": (5, 30), "epochs": (300, 600), "lr": (0.1, 0.6), "noise": (0.3, 1.0)}


def _overfit_variant(rng: np.random.Generator) -> Params:
    return sample(Params, rng, ranges=OVERFIT)


def _ran(data: Data) -> str:
    if data.stopped_early:
        return f"training stops at epoch {data.stop_epoch}"
    return f"the patience never runs out and training ends at epoch {data.stop_epoch}"


def _epoch(epoch: int) -> str:
    return f"epoch {epoch}"


def _ask_restored_epoch(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask which epoch's weights restore_best_weights returns: the stop epoch minus patience."""
    last = int(data.epochs[-1])
    best, stop, patience = data.best_epoch, data.stop_epoch, data.patience
    ran = _ran(data)
    # The epoch with the lowest validation loss of the whole run, stop or not.
    lowest = int(np.argmin(data.val_loss[1:])) + 1
    return choice(
        f"Keras' EarlyStopping(patience={patience}, restore_best_weights=True) watches the "
        f"validation loss of a {last}-epoch run; {ran}. The weights of which epoch does it "
        "restore?",
        _epoch(best),
        [
            _epoch(epoch)
            for epoch in (stop, best + 1, best - 1, last, lowest)
            if 0 <= epoch <= last and epoch != best
        ],
        rng,
        f"The validation loss last improved at epoch {best}, {stop - best} epochs before "
        f"{'the stop' if data.stopped_early else 'training ended'} at {stop}, so those are the "
        "weights restored (the best line in the loss panel).",
    )


def _direction(before: float, after: float) -> str:
    # Losses that print alike are said to stay, as the summary words them.
    if _mse(before) == _mse(after):
        return "stays"
    return "rises" if after > before else "falls"


def _ask_training_on(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask what the two losses do before the restored epoch, or after it had training gone on.

    Before it both fall (the fit takes in the signal); after it the training loss falls on
    while the validation loss rises (the fit bends through the noise). Which stretch is drawn.
    """
    last = int(data.epochs[-1])
    best = data.best_epoch
    before = best >= 2 and bool(rng.integers(2))
    if before:
        start, end = int(rng.integers(1, best // 2 + 1)), best
        asked = f"Between epoch {start} and epoch {best}, what did the two losses do?"
        where = "before"
    else:
        start, end = best, last
        asked = (
            f"Had training gone on to epoch {last}, what would the two losses have done between "
            f"epoch {best} and epoch {last}?"
        )
        where = "past"
    train = (float(data.train_loss[start]), float(data.train_loss[end]))
    val = (float(data.val_loss[start]), float(data.val_loss[end]))
    right = f"training loss {_direction(*train)}, validation loss {_direction(*val)}"
    return choice(
        f"Gradient descent fits {N_FEATURES} features to {N_TRAIN} points with label noise "
        f"σ = {num(data.noise)}. Early stopping with patience {data.patience}: {_ran(data)} "
        f"and restores epoch {best}. {asked}",
        right,
        [
            f"training loss {t}, validation loss {v}"
            for t in ("falls", "rises")
            for v in ("rises", "falls")
        ],
        rng,
        f"From epoch {start} to {end} the training MSE goes from {_mse(train[0])} to "
        f"{_mse(train[1])} and the validation MSE from {_mse(val[0])} to {_mse(val[1])}, as the "
        f"curves {where} the best line show.",
    )


QUESTIONS: tuple[QuestionKind[Params, Data], ...] = (
    QuestionKind("restored-epoch", _overfit_variant, _ask_restored_epoch),
    QuestionKind("training-on", _overfit_variant, _ask_training_on),
)


DEMO = Demo(
    id="early-stopping",
    title="Early stopping with patience",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    panels=Panels(cols=2),
    questions=QUESTIONS,
)
