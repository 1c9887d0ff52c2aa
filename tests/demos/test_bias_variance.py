"""The bias-variance demo: λ raises bias², lowers variance, and they add up to the test error."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from pydantic import ValidationError

from app.demos import bias_variance
from app.demos import bias_variance as subject
from app.demos.bias_variance import Params, compute, features, ridge_predictions
from app.figures.cache import draw
from app.figures.registry import demos
from tests.demos.claims import says, says_change
from tests.demos.strategies import params_for, summary_settings

CASES = [
    Params(),
    Params(n=15, noise=0.6, sets=50, lam=0.01, seed=3),
    Params(n=60, noise=0.25, sets=200, lam=1e3, seed=7),
    Params(n=40, noise=0.5, sets=100, lam=10.0, seed=12),
]


def largest_drop(values: np.ndarray) -> float:
    """How far a sequence ever falls below its running maximum."""
    return float(np.max(np.maximum.accumulate(values) - values))


@pytest.mark.parametrize("params", CASES)
def test_bias_rises_with_lambda(params: Params) -> None:
    data = compute(params)
    assert data.bias2[-1] > 20 * data.bias2[0]
    assert data.bias2[-1] > 0.8  # λ = 1000 shrinks the fit to ~0: bias² ~ mean of f²
    assert largest_drop(data.bias2) < 0.02 * data.bias2.max()


@pytest.mark.parametrize("params", CASES)
def test_variance_falls_with_lambda(params: Params) -> None:
    data = compute(params)
    assert data.variance[0] > 20 * data.variance[-1]
    assert largest_drop(-data.variance) < 0.15 * data.variance.max()


@pytest.mark.parametrize("params", CASES)
def test_bias_plus_variance_plus_noise_is_the_test_error(params: Params) -> None:
    data = compute(params)
    total = data.bias2 + data.variance + params.noise**2
    np.testing.assert_allclose(total, data.test_mse, rtol=0.1)
    at = data.bias2_at + data.variance_at + params.noise**2
    assert at == pytest.approx(data.test_at, rel=0.1)


def test_default_test_error_is_u_shaped() -> None:
    data = compute(Params())
    best = int(np.argmin(data.test_mse))
    assert 0 < best < len(data.lambdas) - 1
    assert data.test_mse[0] > 3 * data.test_mse[best]  # variance dominates at small λ
    assert data.test_mse[-1] > 3 * data.test_mse[best]  # bias dominates at large λ
    assert data.variance[0] > 5 * data.bias2[0]
    assert data.bias2[-1] > 5 * data.variance[-1]


def test_chosen_lambda_matches_the_sweep() -> None:
    data = compute(Params(lam=1e3))
    assert data.bias2_at == pytest.approx(data.bias2[-1])
    assert data.variance_at == pytest.approx(data.variance[-1])
    assert data.test_at == pytest.approx(data.test_mse[-1])
    assert data.fits.shape == (20, len(data.x_grid))


def test_ridge_predictions_match_a_direct_solve() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (3, 12))
    labels = rng.standard_normal((3, 12, 2))
    lambdas = np.array([0.05, 2.0, 300.0])
    x_test = np.linspace(-1, 1, 7)
    predictions = ridge_predictions(x, labels, lambdas, x_test)
    assert predictions.shape == (3, 2, 7, 3)
    for s in range(3):
        phi = features(x[s])
        for c in range(2):
            for k, lam in enumerate(lambdas):
                # minimizer of ‖y - Φw‖² + λ‖w‖² (sklearn Ridge, fit_intercept=False)
                w = np.linalg.solve(
                    phi.T @ phi + lam * np.eye(phi.shape[1]), phi.T @ labels[s, :, c]
                )
                np.testing.assert_allclose(predictions[s, c, :, k], features(x_test) @ w, atol=1e-9)


def test_average_fit_over_noise_free_labels_agrees_with_the_plain_average() -> None:
    data = compute(Params(lam=10.0, sets=200))
    shown = data.fits.mean(axis=0)  # 20 noisy fits average near the noise-free average
    assert np.sqrt(np.mean((shown - data.mean_fit) ** 2)) < 0.1
    assert np.sqrt(np.mean((data.mean_fit - data.true_grid) ** 2)) == pytest.approx(
        np.sqrt(data.bias2_at)
    )


def test_deterministic() -> None:
    first, second = compute(Params(seed=5)), compute(Params(seed=5))
    for field in dataclasses.fields(first):
        np.testing.assert_array_equal(getattr(first, field.name), getattr(second, field.name))


def test_seed_changes_the_noise() -> None:
    first, second = compute(Params(seed=1)), compute(Params(seed=2))
    assert not np.allclose(first.fits, second.fits)
    assert first.variance[0] != second.variance[0]


@pytest.mark.parametrize(
    "bad",
    [
        {"lam": 0.001},
        {"lam": 2e3},
        {"sets": 40},
        {"sets": 210},
        {"n": 10},
        {"n": 65},
        {"noise": 0.2},
        {"noise": 0.7},
        {"seed": -1},
    ],
)
def test_bounds(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Params.model_validate(bad)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_renders(theme: str) -> None:
    demo = demos()["bias-variance"]
    assert demo is bias_variance.DEMO
    rendered = draw(demo, Params(), "png", "dark" if theme == "dark" else "light")
    assert rendered.body.startswith(b"\x89PNG")
    assert "bias² rises" in rendered.alt


@summary_settings
@given(params=params_for(subject.Params))
def test_summary_agrees_with_the_data(params: subject.Params) -> None:
    data = subject.compute(params)
    text = subject.summary(data)
    says(text, r"Over (N) training sets", params.sets)
    says(
        text,
        r"bias² (N), variance (N) and test MSE (N) \(noise σ² = (N)\)",
        data.bias2_at,
        data.variance_at,
        data.test_at,
        params.noise**2,
    )
    says(text, r"From λ = (N) to (N)", data.lambdas[0], data.lambdas[-1])
    says_change(text, "bias²", data.bias2[0], data.bias2[-1])
    says_change(text, "variance", data.variance[0], data.variance[-1])
