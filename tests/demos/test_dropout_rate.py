"""Dropout rate: p = 0 overfits, p = 0.9 underfits, the best p lies strictly between."""

import numpy as np
import pytest
from hypothesis import given
from pydantic import ValidationError

from app.demos import dropout_rate as subject
from app.demos.dropout_rate import DEMO, Params, compute, dropout_weights
from app.demos.render import draw
from tests.demos.claims import says
from tests.demos.strategies import params_for, summary_settings

CASES = [
    Params(),
    Params(samples=40, features=30, noise=1.5, seed=2),
    Params(samples=100, features=40, noise=1.0, seed=5),
    Params(samples=30, features=60, noise=0.8, seed=1),
]


@pytest.mark.parametrize("params", CASES)
def test_best_p_is_strictly_inside_with_overfit_and_underfit_ends(params: Params) -> None:
    data = compute(params)
    assert data.p_grid[0] == 0.0
    assert data.p_grid[-1] == pytest.approx(0.9)
    assert 0.0 < data.best_p < 0.9
    assert data.best_error == pytest.approx(data.held_out_error.min())
    # p = 0 overfits: held-out error clearly above the best, and far above training error.
    assert data.held_out_error[0] > data.best_error * 1.05
    assert data.held_out_error[0] - data.train_error[0] > 0.5 * params.noise**2
    # p = 0.9 underfits: held-out error above the best as well.
    assert data.held_out_error[-1] > data.best_error * 1.02


@pytest.mark.parametrize("params", CASES)
def test_training_error_rises_with_p(params: Params) -> None:
    data = compute(params)
    assert np.all(np.diff(data.train_error) > 0)
    # Stronger dropout shrinks the weights.
    norms = np.linalg.norm(data.weights, axis=1)
    assert np.all(np.diff(norms) < 0)


def test_more_data_or_less_noise_needs_less_dropout() -> None:
    def mean_best(**kwargs: float) -> float:
        return float(np.mean([compute(Params(seed=s, **kwargs)).best_p for s in range(6)]))

    assert mean_best(samples=200) < mean_best(samples=50) < mean_best(samples=30)
    assert mean_best(noise=0.3) < mean_best(noise=1.0) < mean_best(noise=2.5)


def test_closed_form_is_the_minimizer_of_the_expected_dropout_loss() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 6)) * np.array([1.0, 2.0, 0.5, 1.0, 3.0, 1.0])
    y = x @ rng.standard_normal(6) + rng.standard_normal(40)
    p = 0.3
    (w,) = dropout_weights(x, y, np.array([p]))
    n = x.shape[0]
    penalty = p / (1 - p) * np.mean(x**2, axis=0)
    # Normal equations of (1/n)||y - Xw||^2 + sum_j penalty_j w_j^2.
    gradient = -2 / n * x.T @ (y - x @ w) + 2 * penalty * w
    np.testing.assert_allclose(gradient, 0.0, atol=1e-10)
    # The penalty is what dropout adds in expectation: average the loss over many masks.
    masks = rng.random((20_000, *x.shape)) >= p
    dropped = x * masks / (1 - p)
    monte_carlo = float(np.mean((y - dropped @ w) ** 2))
    exact = float(np.mean((y - x @ w) ** 2) + np.sum(penalty * w**2))
    assert monte_carlo == pytest.approx(exact, rel=0.01)


def test_p_zero_is_least_squares() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((30, 8))
    y = rng.standard_normal(30)
    (w,) = dropout_weights(x, y, np.array([0.0]))
    np.testing.assert_allclose(w, np.linalg.lstsq(x, y, rcond=None)[0], atol=1e-10)


def test_marked_p_matches_the_grid() -> None:
    data = compute(Params(p=0.45))
    index = int(np.argmin(np.abs(data.p_grid - 0.45)))
    assert data.marked_held_out == pytest.approx(data.held_out_error[index])
    assert data.marked_train == pytest.approx(data.train_error[index])


def test_deterministic_for_the_same_params() -> None:
    first, second = compute(Params(seed=3)), compute(Params(seed=3))
    np.testing.assert_array_equal(first.held_out_error, second.held_out_error)
    np.testing.assert_array_equal(first.weights, second.weights)


def test_seed_changes_the_data() -> None:
    first, second = compute(Params(seed=1)), compute(Params(seed=2))
    assert not np.array_equal(first.true_weights, second.true_weights)
    assert not np.array_equal(first.held_out_error, second.held_out_error)


@pytest.mark.parametrize(
    "bad",
    [
        {"samples": 10},
        {"samples": 210},
        {"features": 4},
        {"features": 61},
        {"noise": 0.0},
        {"noise": 3.5},
        {"p": -0.1},
        {"p": 0.95},
    ],
)
def test_out_of_range_params_are_rejected(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Params.model_validate(bad)


@pytest.mark.parametrize("params", [Params(), Params(samples=200, features=5, noise=0.1)])
def test_renders_with_summary(params: Params) -> None:
    rendered = draw(DEMO, params, "png", "light")
    assert rendered.body.startswith(b"\x89PNG")
    assert "Held-out error is lowest" in rendered.alt


@summary_settings
@given(params=params_for(subject.Params))
def test_summary_agrees_with_the_data(params: subject.Params) -> None:
    data = subject.compute(params)
    text = subject.summary(data)
    errors = data.held_out_error
    best = int(np.argmin(errors))
    says(text, r"lowest at p = (N) \((N)\)", data.p_grid[best], errors[best])
    says(text, r"it is (N) without dropout", errors[0])
    says(text, r"and (N) at p = (N)", errors[-1], data.p_grid[-1])
    assert data.p_grid[0] == 0.0
    assert ("(overfitting)" in text) == (errors[0] > 1.02 * errors[best])
    assert ("(underfitting)" in text) == (errors[-1] > 1.02 * errors[best])
    says(
        text,
        r"At p = (N) the training error is (N) and the held-out error (N)",
        params.p,
        data.marked_train,
        data.marked_held_out,
    )
