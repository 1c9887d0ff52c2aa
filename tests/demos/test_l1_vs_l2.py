"""The l1-vs-l2 demo: the Lasso gives exact zeros, Ridge only shrinks; both are optimal."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from pydantic import ValidationError

from app.demos import l1_vs_l2
from app.demos import l1_vs_l2 as subject
from app.demos.l1_vs_l2 import Data, Params, compute, soft_threshold
from app.demos.registry import demos
from app.demos.render import draw
from tests.demos.claims import says
from tests.demos.strategies import params_for, summary_settings

CASES = [
    Params(),
    Params(alpha=0.2, n=100, noise=0.5, seed=3),
    Params(alpha=1.0, n=20, noise=2.0, seed=9),
    Params(alpha=0.05, n=200, noise=0.1, seed=17),
]


def lasso_objective(data: Data, w: np.ndarray, alpha: float) -> float:
    residual = data.y - data.x @ w
    return float(residual @ residual / (2 * len(data.y)) + alpha * np.abs(w).sum())


def assert_lasso_optimal(data: Data, w: np.ndarray, alpha: float) -> None:
    """Subgradient (KKT) conditions of (1/(2n))‖y - Xw‖² + α‖w‖₁."""
    correlation = data.x.T @ (data.y - data.x @ w) / len(data.y)
    active = w != 0.0
    np.testing.assert_allclose(correlation[active], alpha * np.sign(w[active]), atol=1e-9)
    assert np.all(np.abs(correlation[~active]) <= alpha + 1e-9)


def test_default_lasso_keeps_exactly_the_true_features() -> None:
    data = compute(Params())
    assert np.all(data.lasso[3:] == 0.0)
    assert np.all(data.lasso[:3] != 0.0)
    assert data.lasso_zeros == 7
    assert data.ridge_zeros == 0
    assert np.min(np.abs(data.ridge)) > 0


@pytest.mark.parametrize("params", CASES)
def test_lasso_reaches_exact_zeros_and_ridge_does_not(params: Params) -> None:
    data = compute(params)
    assert data.lasso_zeros >= 3
    assert data.lasso_zeros == int(np.sum(data.lasso == 0.0))
    assert data.ridge_zeros == 0
    assert not np.any(data.ridge_path == 0.0)
    assert np.all(data.lasso_path[-1] == 0.0)  # α = 1000: every Lasso weight is exactly 0
    assert np.all(np.abs(data.ridge_path[-1]) > 0)  # Ridge at α = 1000 still is not


@pytest.mark.parametrize("params", CASES)
def test_lasso_satisfies_the_optimality_conditions(params: Params) -> None:
    data = compute(params)
    assert_lasso_optimal(data, data.lasso, params.alpha)
    for alpha, w in zip(data.alphas, data.lasso_path, strict=True):
        assert_lasso_optimal(data, w, float(alpha))


@pytest.mark.parametrize("params", CASES[:2])
def test_lasso_objective_is_no_larger_than_nearby_points(params: Params) -> None:
    data = compute(params)
    best = lasso_objective(data, data.lasso, params.alpha)
    rng = np.random.default_rng(0)
    for scale in (1e-2, 1e-4):
        for _ in range(200):
            nearby = data.lasso + scale * rng.standard_normal(len(data.lasso))
            assert best <= lasso_objective(data, nearby, params.alpha) + 1e-12
    for j in range(len(data.lasso)):
        for delta in (1e-3, -1e-3):
            moved = data.lasso.copy()
            moved[j] += delta
            assert best < lasso_objective(data, moved, params.alpha)


def test_lasso_is_zero_exactly_from_alpha_max() -> None:
    data = compute(Params(alpha=1.0, seed=4))
    alpha_max = np.max(np.abs(data.x.T @ data.y)) / len(data.y)
    for alpha, w in zip(data.alphas, data.lasso_path, strict=True):
        assert np.all(w == 0.0) == (alpha >= alpha_max)


@pytest.mark.parametrize("params", CASES)
def test_ridge_is_the_closed_form_of_sklearns_objective(params: Params) -> None:
    data = compute(params)
    features = data.x.shape[1]
    for alpha, w in [(params.alpha, data.ridge), *zip(data.alphas, data.ridge_path, strict=True)]:
        stacked = np.vstack([data.x, np.sqrt(alpha) * np.eye(features)])
        target = np.concatenate([data.y, np.zeros(features)])
        expected = np.linalg.lstsq(stacked, target, rcond=None)[0]
        np.testing.assert_allclose(w, expected, rtol=1e-7, atol=1e-10)
        gradient = -2 * data.x.T @ (data.y - data.x @ w) + 2 * alpha * w
        assert np.max(np.abs(gradient)) < 1e-8 * max(1.0, float(alpha))


def test_ridge_shrinks_the_norm_and_lasso_the_l1_norm() -> None:
    data = compute(Params())
    assert np.all(np.diff(np.linalg.norm(data.ridge_path, axis=1)) < 0)
    assert np.all(np.diff(np.abs(data.lasso_path).sum(axis=1)) <= 1e-12)


def test_soft_threshold() -> None:
    values = np.array([-3.0, -0.5, 0.0, 0.2, 1.5])
    np.testing.assert_array_equal(soft_threshold(values, 1.0), [-2.0, 0.0, 0.0, 0.0, 0.5])


def test_deterministic() -> None:
    first, second = compute(Params(seed=5)), compute(Params(seed=5))
    for field in dataclasses.fields(first):
        np.testing.assert_array_equal(getattr(first, field.name), getattr(second, field.name))


def test_seed_changes_the_noise() -> None:
    first, second = compute(Params(seed=1)), compute(Params(seed=2))
    assert not np.allclose(first.y, second.y)
    assert not np.allclose(first.ridge, second.ridge)


@pytest.mark.parametrize(
    "bad",
    [
        {"alpha": 0.0},
        {"alpha": 2e3},
        {"n": 19},
        {"n": 201},
        {"noise": 0.0},
        {"noise": 2.1},
        {"seed": -1},
    ],
)
def test_bounds(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Params.model_validate(bad)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_renders(theme: str) -> None:
    demo = demos()["l1-vs-l2"]
    assert demo is l1_vs_l2.DEMO
    rendered = draw(demo, Params(), "png", "dark" if theme == "dark" else "light")
    assert rendered.body.startswith(b"\x89PNG")
    assert "sets 7 of 10 weights exactly to 0" in rendered.alt


@summary_settings
@given(params=params_for(subject.Params))
def test_summary_agrees_with_the_data(params: subject.Params) -> None:
    data = subject.compute(params)
    text = subject.summary(data)
    says(text, r"At α = (N)", params.alpha)
    says(text, r"the Lasso sets (N) of (N) weights", int(np.sum(data.lasso == 0)), data.lasso.size)
    says(text, r"while Ridge sets (N)", int(np.sum(data.ridge == 0)))
    if "shrunk but not zero" in text:
        assert np.all(data.ridge != 0)
        says(text, r"smallest weight is (N)", float(np.min(np.abs(data.ridge))))
