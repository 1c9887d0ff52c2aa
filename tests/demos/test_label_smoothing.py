"""The label smoothing demo: the targets, and the finite optimal margin they imply."""

import dataclasses
from typing import cast

import numpy as np
import pytest
from hypothesis import example, given
from pydantic import ValidationError

from app.demos import label_smoothing as subject
from app.demos.label_smoothing import MARGIN_MAX, Data, Params, compute, cross_entropy
from app.figures.questions import Question, ask
from tests.demos.claims import says
from tests.demos.strategies import params_for, summary_settings

CASES = [(0.1, 10), (0.01, 20), (0.5, 2), (0.3, 3), (0.05, 5)]
GRID_STEP = 0.01


def _arrays(data: Data) -> dict[str, np.ndarray]:
    return {f.name: np.asarray(getattr(data, f.name)) for f in dataclasses.fields(data)}


@pytest.mark.parametrize(("epsilon", "classes"), [*CASES, (0.0, 4)])
def test_targets_are_the_smoothed_one_hot(epsilon: float, classes: int) -> None:
    data = compute(Params(epsilon=epsilon, classes=classes))
    assert data.smoothed.shape == (classes,)
    assert data.smoothed.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(data.smoothed, (1 - epsilon) * data.onehot + epsilon / classes)
    assert data.smoothed[0] == pytest.approx(1 - epsilon + epsilon / classes)
    np.testing.assert_allclose(data.smoothed[1:], epsilon / classes)


def test_default_targets_in_numbers() -> None:
    data = compute(Params())  # epsilon 0.1, K = 10
    assert data.smoothed[0] == pytest.approx(0.91)
    assert data.smoothed[1] == pytest.approx(0.01)


@pytest.mark.parametrize(("epsilon", "classes"), CASES)
def test_smoothed_loss_has_the_closed_form_finite_minimum(epsilon: float, classes: int) -> None:
    data = compute(Params(epsilon=epsilon, classes=classes))
    closed = np.log((1 - epsilon + epsilon / classes) / (epsilon / classes))
    assert data.best_margin == pytest.approx(closed)
    assert data.best_margin < MARGIN_MAX - 1  # the minimum lies inside the plotted range
    assert abs(data.best_margin_grid - closed) <= GRID_STEP
    # at the optimum the softmax reproduces the target: p_true = 1 - e + e/K
    p_true = np.exp(closed) / (np.exp(closed) + classes - 1)
    assert p_true == pytest.approx(data.smoothed[0])
    # the curve falls before the minimum and rises after it
    index = int(np.argmin(data.loss_smooth))
    assert np.all(np.diff(data.loss_smooth[: index + 1]) < 0)
    assert np.all(np.diff(data.loss_smooth[index:]) > 0)


def test_closed_form_values() -> None:
    assert compute(Params(epsilon=0.5, classes=2)).best_margin == pytest.approx(np.log(3.0))
    assert compute(Params(epsilon=0.1, classes=10)).best_margin == pytest.approx(np.log(91.0))


@pytest.mark.parametrize("classes", [2, 10, 20])
def test_without_smoothing_the_loss_keeps_falling(classes: int) -> None:
    data = compute(Params(epsilon=0.0, classes=classes))
    assert np.all(np.diff(data.loss_plain) < 0)
    assert data.loss_plain[-1] > 0  # positive everywhere, approaching 0 only as m -> inf
    assert data.best_margin == np.inf
    np.testing.assert_array_equal(data.loss_smooth, data.loss_plain)


def test_cross_entropy_matches_the_softmax_definition() -> None:
    margins = np.array([-1.0, 0.0, 2.5])
    targets = np.array([0.8, 0.05, 0.05, 0.05, 0.05])
    for m, loss in zip(margins, cross_entropy(margins, 0.8, 5), strict=True):
        logits = np.array([m, 0.0, 0.0, 0.0, 0.0])
        log_p = logits - np.log(np.exp(logits).sum())
        assert loss == pytest.approx(-(targets * log_p).sum())


def test_same_parameters_give_identical_data_and_the_seed_does_not_matter() -> None:
    first = _arrays(compute(Params(epsilon=0.2, classes=7)))
    second = _arrays(compute(Params(epsilon=0.2, classes=7, seed=5)))
    for name, values in first.items():
        assert np.array_equal(values, second[name]), name


@pytest.mark.parametrize(
    "bad", [{"epsilon": -0.01}, {"epsilon": 0.51}, {"classes": 1}, {"classes": 21}]
)
def test_parameter_bounds(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Params(**bad)


@summary_settings
@given(params=params_for(subject.Params))
@example(params=subject.Params(epsilon=5e-324, classes=2))
def test_summary_agrees_with_the_data(params: subject.Params) -> None:
    data = subject.compute(params)
    text = subject.summary(data)
    e, k = params.epsilon, params.classes
    says(text, r"ε = (N) and K = (N)", e, k)
    says(text, r"target is (N) and each other class gets (N)", 1 - e + e / k, e / k)
    if e == 0:
        assert "keeps falling" in text
        assert "m*" not in text
    else:
        # The loss's derivative p - target vanishes where softmax gives the true class 1 - e + e/K.
        best = float(np.log(k * (1 - e) + e) - np.log(e))
        says(text, r"m\* = (N)", best)
        target = 1 - e + e / k
        assert 1 / (1 + (k - 1) * np.exp(-best)) == pytest.approx(target, rel=1e-9)


def asked_kind(kind_id: str) -> list[tuple[Params, Question]]:
    """Return the questions of one kind among the first seeds, with their variants."""
    found = [ask(subject.DEMO, seed) for seed in range(24)]
    picked = [(cast(Params, a.params), a.question) for a in found if a.kind_id == kind_id]
    assert picked, f"no seed drew {kind_id}"
    return picked


def test_other_target_is_epsilon_over_k() -> None:
    for params, question in asked_kind("other-target"):
        e, k = params.epsilon, params.classes
        targets = (1.0 - e) * np.eye(k)[0] + e / k
        assert targets.sum() == pytest.approx(1.0)
        right = question.choices[question.answer]
        assert float(right) == pytest.approx(float(targets[1]), abs=5e-5)
        wrong = [text for i, text in enumerate(question.choices) if i != question.answer]
        for text in wrong:
            assert abs(float(text) - targets[1]) > 5e-5, text
        # The one-hot target and the (1-ε, ε/(K-1)) convention's share are among them.
        assert "0.0000" in wrong
        if k > 2:
            assert f"{e / (k - 1):.4f}" in wrong


def test_best_margin_puts_the_true_target_on_softmax() -> None:
    for params, question in asked_kind("best-margin"):
        e, k = params.epsilon, params.classes
        target = 1.0 - e + e / k
        # Softmax of (m, 0, ..., 0) gives the true class e^m/(e^m + K-1); solve it for the target.
        by_hand = float(np.log(target * (k - 1) / (1.0 - target)))
        assert question.value == pytest.approx(by_hand)
        data = compute(params)
        assert abs(data.margins[np.argmin(data.loss_smooth)] - by_hand) <= 0.01
        assert question.is_right(round(by_hand, 2))
        # The (1-ε, ε/(K-1)) convention, and forgetting the K-1 other logits, miss it.
        assert not question.is_right(float(np.log((1.0 - e) * (k - 1) / e)))
        assert not question.is_right(float(np.log((1.0 - e) / e)))
