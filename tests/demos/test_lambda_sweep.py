"""The lambda-sweep demo: a huge λ drives w to 0 and both errors up to predicting the mean."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from pydantic import ValidationError

from app.demos import lambda_sweep
from app.demos import lambda_sweep as subject
from app.demos.lambda_sweep import Params, compute
from app.demos.registry import demos
from app.demos.render import draw
from tests.demos.claims import says
from tests.demos.strategies import params_for, summary_settings

CASES = [
    Params(),
    Params(n=60, noise=0.05, lam=0.01, seed=2),
    Params(n=10, noise=0.3, lam=1e4, seed=5),
    Params(n=30, noise=0.8, lam=3.0, seed=5),
    Params(n=40, noise=0.5, lam=1e-3, seed=13),
]


@pytest.mark.parametrize("params", CASES)
def test_largest_lambda_underfits_like_the_mean(params: Params) -> None:
    data = compute(params)
    assert data.weight_norm[-1] < 0.01  # weights ~ 0
    assert data.train_mse[-1] == pytest.approx(data.mean_train_mse, rel=0.03)
    assert data.test_mse[-1] == pytest.approx(data.mean_test_mse, rel=0.03)
    assert data.train_mse[-1] > 5 * data.train_mse.min()  # train error is high too
    assert data.test_mse[-1] > 1.5 * params.noise**2


@pytest.mark.parametrize("params", CASES)
def test_best_test_error_is_clearly_lower(params: Params) -> None:
    data = compute(params)
    assert data.best_test == pytest.approx(data.test_mse.min())
    assert data.best_test < 0.6 * data.test_mse[-1]
    assert data.best_lambda < data.lambdas[-1] / 100
    assert data.underfit_above < data.lambdas[-1]  # there is an underfitting zone
    assert data.best_lambda < data.underfit_above
    assert np.all(data.test_mse[data.lambdas > data.underfit_above] > 1.5 * data.best_test)


def test_default_has_both_zones() -> None:
    data = compute(Params())
    assert data.lambdas[0] < data.overfit_below < data.best_lambda < data.underfit_above
    overfit = data.lambdas < data.overfit_below
    assert np.all(data.test_mse[overfit] > 1.5 * data.best_test)
    assert np.all(data.train_mse[overfit] < 0.5 * data.test_mse[overfit])  # train ≪ test
    assert data.test_mse[0] > 3 * data.best_test


@pytest.mark.parametrize("params", CASES)
def test_weights_shrink_and_train_error_rises_with_lambda(params: Params) -> None:
    data = compute(params)
    assert np.all(np.diff(data.weight_norm) < 0)
    assert np.all(np.diff(data.train_mse) >= -1e-9 * data.train_mse[:-1])


def test_chosen_lambda_matches_the_sweep() -> None:
    data = compute(Params(lam=1e4))
    assert data.train_at == pytest.approx(data.train_mse[-1])
    assert data.test_at == pytest.approx(data.test_mse[-1])
    assert np.ptp(data.fit_grid) < 0.05  # a flat line at the mean
    assert np.mean(data.fit_grid) == pytest.approx(np.mean(data.y_train), abs=0.02)


def test_deterministic() -> None:
    first, second = compute(Params(seed=5)), compute(Params(seed=5))
    for field in dataclasses.fields(first):
        np.testing.assert_array_equal(getattr(first, field.name), getattr(second, field.name))


def test_seed_changes_the_noise() -> None:
    first, second = compute(Params(seed=1)), compute(Params(seed=2))
    assert not np.allclose(first.y_train, second.y_train)
    assert first.best_test != second.best_test


@pytest.mark.parametrize(
    "bad",
    [
        {"lam": 0.0},
        {"lam": 2e4},
        {"n": 9},
        {"n": 61},
        {"noise": 0.0},
        {"noise": 0.9},
        {"seed": 10_000},
    ],
)
def test_bounds(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Params.model_validate(bad)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_renders(theme: str) -> None:
    demo = demos()["lambda-sweep"]
    assert demo is lambda_sweep.DEMO
    rendered = draw(demo, Params(), "png", "dark" if theme == "dark" else "light")
    assert rendered.body.startswith(b"\x89PNG")
    assert "underfits" in rendered.alt


@summary_settings
@given(params=params_for(subject.Params))
def test_summary_agrees_with_the_data(params: subject.Params) -> None:
    data = subject.compute(params)
    text = subject.summary(data)
    best = int(np.argmin(data.test_mse))
    says(
        text,
        r"At λ = (N) ridge has train MSE (N) and test MSE (N)",
        params.lam,
        data.train_at,
        data.test_at,
    )
    says(text, r"best test MSE is (N) at λ ≈ (N)", data.test_mse[best], data.lambdas[best])
    train, test = float(data.train_mse[-1]), float(data.test_mse[-1])
    says(text, r"‖w‖ = (N)", float(data.weight_norm[-1]))
    says(text, r": train (N) and test (N)", train, test)
    assert ("underfits" in text) == (test > 1.5 * data.test_mse[best])
    mean_train = float(np.mean((data.y_train - data.y_train.mean()) ** 2))
    close = abs(train / mean_train - 1) <= 0.05 and abs(test / data.mean_test_mse - 1) <= 0.05
    assert ("as bad as predicting the mean" in text) == close
