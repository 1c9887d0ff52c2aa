"""Early stopping: stop = best + patience, the restored weights are the best epoch's."""

import dataclasses
import re

import numpy as np
import pytest
from hypothesis import example, given
from pydantic import ValidationError

from app.demos import early_stopping as subject
from app.demos.early_stopping import DEMO, Data, Params, compute, early_stopping
from app.figures.cache import draw
from app.figures.questions import Question
from tests.demos.claims import says, says_change, stated
from tests.demos.strategies import params_for, summary_settings


def same(left: Data, right: Data) -> bool:
    """Return whether two Data objects hold equal values."""
    for field in dataclasses.fields(left):
        a, b = getattr(left, field.name), getattr(right, field.name)
        if isinstance(a, np.ndarray):
            if not np.array_equal(a, b):
                return False
        elif a != b:
            return False
    return True


CASES = [
    Params(),
    Params(patience=1, seed=3),
    Params(patience=5, lr=1.0, noise=0.6, seed=7),
    Params(patience=50, epochs=600, lr=0.1, seed=12),
    Params(patience=3, epochs=50, lr=1.5, noise=1.0, seed=21),
]


@pytest.mark.parametrize("params", CASES)
def test_stop_is_best_plus_patience_and_best_is_the_lowest_so_far(params: Params) -> None:
    data = compute(params)
    best, stop = data.best_epoch, data.stop_epoch
    seen = data.val_loss[1 : stop + 1]  # what the callback saw, epochs 1 .. stop
    assert best == 1 + int(np.argmin(seen))
    if data.stopped_early:
        assert stop == best + params.patience
        # none of the patience epochs after the best improved on it
        assert np.all(data.val_loss[best + 1 : stop + 1] >= data.val_loss[best])
    else:
        assert stop == params.epochs
        assert stop - best < params.patience


@pytest.mark.parametrize("params", CASES)
def test_restored_weights_are_exactly_the_best_epochs(params: Params) -> None:
    data = compute(params)
    np.testing.assert_array_equal(data.restored_weights, data.weights[data.best_epoch])
    assert not np.shares_memory(data.restored_weights, data.weights)
    seen = data.val_loss[1 : data.stop_epoch + 1]
    assert data.restored_val_loss == pytest.approx(float(seen.min()), rel=1e-12)


def test_default_stops_early_and_training_on_overfits() -> None:
    data = compute(Params())
    assert data.stopped_early
    assert 5 <= data.best_epoch < 60
    # Full-batch GD with lr < 2 (curvature 1) lowers the training loss at every epoch...
    assert np.all(np.diff(data.train_loss) < 0)
    # ...while the validation loss at the end is clearly above its minimum: noise was fitted.
    assert data.val_loss[-1] > 1.3 * data.val_loss[data.best_epoch]
    assert data.train_loss[-1] < 0.5 * data.train_loss[data.best_epoch]


def test_at_the_defaults_most_seeds_overfit_late_and_the_restore_finds_the_minimum() -> None:
    runs = [compute(Params(seed=seed)) for seed in range(100)]
    last = Params().epochs
    lowest = [int(np.argmin(data.val_loss)) for data in runs]
    ratios = [float(data.val_loss[-1] / data.val_loss.min()) for data in runs]
    # The end of training is at least 1.3 times the minimum on at least 90 of the 100 seeds...
    assert sum(ratio >= 1.3 for ratio in ratios) >= 90, sorted(ratios)[:15]
    # ...and never below 1.1 times: the rise is no accident of the seed.
    assert min(ratios) >= 1.1, min(ratios)
    # The minimum comes in the first fifth of training, and training loss never rises.
    assert max(lowest) <= last // 5, max(lowest)
    assert all(np.all(np.diff(data.train_loss) <= 0) for data in runs)
    # Early stopping restores an epoch whose validation loss is the minimum of the whole run
    # (within 2 %) on every seed: patience 20 outlasts the flat bottom of the curve.
    restored = [data.restored_val_loss / float(data.val_loss.min()) for data in runs]
    assert max(restored) <= 1.02, max(restored)
    assert all(data.stopped_early and data.best_epoch <= data.stop_epoch for data in runs)


@pytest.mark.parametrize("seed", [0, 5])
def test_training_loss_never_rises_at_the_largest_learning_rate(seed: int) -> None:
    data = compute(Params(lr=1.5, epochs=600, noise=1.0, seed=seed))
    assert np.all(np.diff(data.train_loss) <= 0)
    assert data.train_loss[-1] < 0.01 * data.train_loss[0]


def test_rule_on_a_hand_made_curve_small_patience_stops_too_soon() -> None:
    val = np.array([9.0, 4.0, 3.0, 3.5, 3.2, 2.9, 3.0, 3.1, 3.2, 3.3])
    weights = np.arange(len(val), dtype=float)[:, None] * np.ones((1, 3))
    best, stop, restored = early_stopping(val, weights, patience=2)
    assert (best, stop) == (2, 4)
    np.testing.assert_array_equal(restored, [2.0, 2.0, 2.0])
    best, stop, restored = early_stopping(val, weights, patience=3)
    assert (best, stop) == (5, 8)  # patience 3 waits past the bump and finds the lower minimum
    np.testing.assert_array_equal(restored, [5.0, 5.0, 5.0])
    best, stop, _ = early_stopping(val, weights, patience=10)
    assert (best, stop) == (5, 9)  # never stalls long enough: runs to the last epoch


def test_weights_start_at_zero_and_follow_gradient_descent() -> None:
    data = compute(Params(seed=4))
    assert np.all(data.weights[0] == 0.0)
    assert data.weights.shape == (301, 31)
    assert data.epochs[-1] == 300


def test_deterministic_and_seed_changes_the_noise() -> None:
    params = Params(seed=5)
    assert same(compute(params), compute(params))
    other = compute(Params(seed=6))
    assert not np.array_equal(compute(params).y_train, other.y_train)


@pytest.mark.parametrize(
    "bad",
    [
        {"patience": 0},
        {"patience": 51},
        {"epochs": 49},
        {"epochs": 601},
        {"lr": 0.0},
        {"lr": 1.6},
        {"noise": 1.1},
        {"seed": -1},
    ],
)
def test_bounds_reject_out_of_range(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Params(**bad)


def test_renders_with_summary() -> None:
    rendered = draw(DEMO, Params(), "png", "dark")
    assert rendered.body.startswith(b"\x89PNG")
    assert "epoch" in rendered.alt


@summary_settings
@given(params=params_for(subject.Params))
@example(params=subject.Params(patience=1, seed=161))
@example(params=subject.Params(epochs=50, patience=30, seed=0))  # runs out at the last epoch
@example(params=subject.Params(patience=1, epochs=100, lr=1.5, noise=0.05, seed=165))  # too soon
@example(params=subject.Params(patience=1, epochs=50, lr=0.1, noise=0.1, seed=124))  # stays
@example(params=subject.Params(patience=2, lr=0.02, noise=0.1, seed=205))  # rises by < 0.5 %
@example(params=subject.Params(epochs=600, lr=1.5, noise=1.0, seed=251))  # epoch 0 is lower
@example(params=subject.Params(epochs=50, lr=0.02, seed=245))  # never stalls
def test_summary_agrees_with_the_data(params: subject.Params) -> None:
    data = subject.compute(params)
    text = subject.summary(data)
    val, train = data.val_loss, data.train_loss
    # Keras' rule, redone here: stop after `patience` epochs without a strictly lower loss.
    best, stop, wait = 1, len(val) - 1, 0
    for epoch in range(2, len(val)):
        if val[epoch] < val[best]:
            best, wait = epoch, 0
        else:
            wait += 1
            if wait >= params.patience:
                stop = epoch
                break
    says(text, r"at epoch (N) \(MSE (N)\)", best, val[best])
    # "lowest" alone claims the whole run; otherwise the text names where it is lowest.
    lower = np.flatnonzero(val < val[best])
    if lower.size == 0:
        assert "Validation loss is lowest at epoch" in text
    elif lower.min() > stop:
        assert "Validation loss is lowest before the stop at epoch" in text
    else:
        assert f"Validation loss is lowest among epochs 1–{stop} at epoch" in text
    last = params.epochs
    if stop < last:
        says(text, r"training stops at epoch (N) \(best \+ patience (N)\)", stop, params.patience)
        assert stop == best + params.patience
        says(text, r"and restores epoch (N)'s weights\. Had", best)
        says(text, r"gone on to epoch (N)", last)
        says_change(text, "the training MSE", train[best], train[-1])
        says_change(text, "the validation MSE", val[best], val[-1])
        # A rise is put as a factor when it prints above 1.00; a fall means stopping too soon.
        rises = "the validation MSE rises" in text
        if "times the restored epoch's" in text:
            assert rises, text
            says(text, r"\((N) times the restored epoch's\)", float(val[-1] / val[best]))
            assert float(stated(text, r"\((N) times")[0]) > 1.0, text
        else:
            assert not rises or val[-1] / val[best] < 1.005, text
        too_soon = "here the patience ran out too soon" in text
        assert too_soon == ("the validation MSE falls" in text), text
    else:
        # The patience may run out exactly at the last epoch; otherwise it never ran out.
        if last - best >= params.patience:
            says(
                text,
                r"has stalled for (N) epochs only by the last epoch, (N),",
                params.patience,
                last,
            )
        else:
            says(
                text,
                r"never stalls for (N) epochs, so training runs to epoch (N)",
                params.patience,
                last,
            )
        says(text, r"and restores epoch (N)'s weights \(", best)
        says(
            text,
            r"\(validation MSE (N), against (N) at epoch (N)\)\.$",
            val[best],
            val[-1],
            last,
        )


QUESTION_SEEDS = range(8)


def asked(kind_id: str, seed: int) -> tuple[Data, Question]:
    """Draw one kind's variant for a seed and ask it on a fresh compute()."""
    kind = next(kind for kind in subject.QUESTIONS if kind.id == kind_id)
    rng = np.random.default_rng(seed)
    params = kind.variant(rng)
    data = compute(params)
    return data, kind.ask(params, data, rng)


@pytest.mark.parametrize("seed", QUESTION_SEEDS)
def test_restored_epoch_is_the_stop_minus_the_patience(seed: int) -> None:
    data, question = asked("restored-epoch", seed)
    assert data.stopped_early
    assert f"stops at epoch {data.stop_epoch}" in question.prompt
    # The first epoch with the lowest validation loss among those run before the stop.
    seen = data.val_loss[1 : data.stop_epoch + 1]
    best = int(np.argmin(seen)) + 1
    assert best == data.stop_epoch - data.patience
    np.testing.assert_array_equal(data.restored_weights, data.weights[best])
    epochs = [int(text.removeprefix("epoch ")) for text in question.choices]
    assert epochs[question.answer] == best
    assert all(epoch != best for i, epoch in enumerate(epochs) if i != question.answer)


@pytest.mark.parametrize("seed", QUESTION_SEEDS)
def test_training_on_follows_both_losses_before_or_after_the_restored_epoch(seed: int) -> None:
    data, question = asked("training-on", seed)
    best, last = data.best_epoch, int(data.epochs[-1])
    found = re.search(r"Between epoch (\d+) and epoch (\d+),", question.prompt)
    if found:
        start, end = int(found[1]), int(found[2])
        assert 1 <= start < end == best
        # Up to the best epoch both fall: the fit takes in the signal.
        assert data.train_loss[end] < data.train_loss[start]
        assert data.val_loss[end] < data.val_loss[start]
        right = "training loss falls, validation loss falls"
    else:
        assert f"between epoch {best} and epoch {last}?" in question.prompt
        # Past it the fit bends through the noise: training loss falls, validation loss rises.
        assert data.train_loss[-1] < data.train_loss[best]
        assert data.val_loss[-1] > data.val_loss[best]
        right = "training loss falls, validation loss rises"
    assert question.choices[question.answer] == right
    assert question.choices.count(right) == 1


def test_training_on_asks_before_and_after_the_restored_epoch() -> None:
    prompts = [asked("training-on", seed)[1].prompt for seed in QUESTION_SEEDS]
    assert any(prompt.endswith("what did the two losses do?") for prompt in prompts)
    assert any("Had training gone on" in prompt for prompt in prompts)
