"""The polynomial-fit demo: ridge trades train error for test error over λ."""

import dataclasses

import numpy as np
import pytest
from hypothesis import example, given
from pydantic import ValidationError

from app.demos import polynomial_fit
from app.demos import polynomial_fit as subject
from app.demos.polynomial_fit import (
    N_TEST,
    QUESTIONS,
    SAME,
    SWEEP,
    Data,
    Params,
    compute,
    features,
    ridge,
    target,
)
from app.figures.cache import draw
from app.figures.questions import Question
from app.figures.registry import demos
from app.figures.wording import sig
from tests.demos.claims import agrees, says, stated
from tests.demos.strategies import params_for, summary_settings

CASES = [
    Params(),
    Params(noise=0.05, seed=4),
    Params(n=40, degree=15, noise=0.5, seed=7),
    Params(n=30, degree=15, noise=0.4, lam=1.0, seed=3),
    Params(n=10, degree=8, noise=0.1, lam=10.0, seed=2),
]


@pytest.mark.parametrize("params", CASES)
def test_train_error_rises_with_lambda(params: Params) -> None:
    data = compute(params)
    steps = np.diff(data.train_mse)
    assert np.all(steps >= -1e-9 * data.train_mse[:-1])
    assert data.train_mse[-1] > 2 * data.train_mse[0]


@pytest.mark.parametrize("params", CASES)
def test_test_error_is_lowest_at_an_interior_lambda(params: Params) -> None:
    data = compute(params)
    best = int(np.argmin(data.test_mse))
    assert 0 < best < len(data.lambdas) - 1
    assert data.best_test == pytest.approx(data.test_mse[best])
    assert data.best_lambda == pytest.approx(data.lambdas[best])
    assert data.best_test < 0.95 * data.test_mse[0]
    assert data.best_test < 0.95 * data.test_mse[-1]


def test_default_overfits_badly_without_penalty() -> None:
    data = compute(Params())
    assert data.train_mse[0] < 0.1 * Params().noise ** 2  # nearly interpolates the noise
    assert data.test_mse[0] > 50 * data.best_test


def test_ridge_minimizes_the_sklearn_objective() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, 12)
    y = np.sin(3 * x) + 0.1 * rng.standard_normal(12)
    phi = features(x, 9)
    lambdas = np.array([1e-3, 0.5, 30.0])
    intercepts, weights, _ = ridge(phi, y, lambdas)
    for lam, b, w in zip(lambdas, intercepts, weights, strict=True):
        residual = y - b - phi @ w
        assert residual.sum() == pytest.approx(0.0, abs=1e-9)  # the intercept is optimal
        gradient = -2 * phi.T @ residual + 2 * lam * w
        assert np.max(np.abs(gradient)) < 1e-8
    norms = np.linalg.norm(weights, axis=1)
    assert norms[0] > norms[1] > norms[2]


def test_features_are_scaled_legendre_polynomials() -> None:
    x = np.linspace(-1, 1, 20001)
    phi = features(x, 5)
    assert phi[:, 0] == pytest.approx(np.sqrt(3) * x)
    assert np.mean(phi**2, axis=0) == pytest.approx(np.ones(5), rel=1e-3)


def test_chosen_lambda_matches_its_fit() -> None:
    data = compute(Params(lam=1e-6))
    assert data.train_at == pytest.approx(data.train_mse[0])
    assert data.test_at == pytest.approx(data.test_mse[0])
    smooth = compute(Params(lam=1.0))
    assert smooth.weight_norm < data.weight_norm


def test_deterministic() -> None:
    first, second = compute(Params(seed=5)), compute(Params(seed=5))
    for field in dataclasses.fields(first):
        np.testing.assert_array_equal(getattr(first, field.name), getattr(second, field.name))


def test_seed_changes_the_noise() -> None:
    first, second = compute(Params(seed=1)), compute(Params(seed=2))
    assert not np.allclose(first.y_train, second.y_train)
    assert first.test_mse[0] != second.test_mse[0]


@pytest.mark.parametrize(
    "bad",
    [
        {"lam": 0.0},
        {"lam": 1e3},
        {"n": 7},
        {"n": 41},
        {"noise": -0.1},
        {"noise": 0.6},
        {"degree": 2},
        {"degree": 16},
        {"seed": -1},
    ],
)
def test_bounds(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Params.model_validate(bad)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_renders(theme: str) -> None:
    demo = demos()["polynomial-fit"]
    assert demo is polynomial_fit.DEMO
    rendered = draw(demo, Params(), "png", "dark" if theme == "dark" else "light")
    assert rendered.body.startswith(b"\x89PNG")
    assert "test MSE" in rendered.alt


@summary_settings
@given(params=params_for(subject.Params))
@example(params=subject.Params(seed=0, noise=0.0, degree=15, n=40, lam=1e-6))
def test_summary_agrees_with_the_data(params: subject.Params) -> None:
    data = subject.compute(params)
    text = subject.summary(data)
    says(text, r"degree-(N) polynomial", params.degree)
    says(text, r"train MSE (N) and test MSE (N)", data.train_at, data.test_at)
    if "train error only rises" in text:
        assert np.all(np.diff(data.train_mse) >= -1e-9 * data.train_mse.max()), text
    best = int(np.argmin(data.test_mse))
    if "lowest at the smallest" in text:
        assert best == 0
        says(text, r"smallest λ = (N) \((N)\)", data.lambdas[0], data.test_mse[0])
    elif "test error stays at" in text:
        says(
            text,
            r"stays at (N) from λ = (N) to its minimum at λ ≈ (N)",
            data.test_mse[0],
            data.lambdas[0],
            data.lambdas[best],
        )
        assert best > 0
        assert agrees(stated(text, r"stays at (N)")[0], data.test_mse[best])
    else:
        first, _, least, _ = stated(
            text, r"test error falls from (N) at λ = (N) to its minimum (N) at λ ≈ (N)"
        )
        says(
            text,
            r"test error falls from (N) at λ = (N) to its minimum (N) at λ ≈ (N)",
            data.test_mse[0],
            data.lambdas[0],
            data.test_mse[best],
            data.lambdas[best],
        )
        assert best > 0
        assert first != least, text


QUESTION_SEEDS = range(10)


def asked(kind_id: str, seed: int) -> tuple[Params, Data, Question]:
    """Draw a kind's variant for a seed and ask it, as the quiz does."""
    kind = next(kind for kind in QUESTIONS if kind.id == kind_id)
    rng = np.random.default_rng(seed)
    params = kind.variant(rng)
    data = compute(params)
    return params, data, kind.ask(params, data, rng)


def direct_test_mse(params: Params, lam: float) -> float:
    """Fit ridge with an intercept column left out of the penalty; score it on the test draws."""
    rng = np.random.default_rng(params.seed)
    x = rng.uniform(-1.0, 1.0, params.n)
    y = target(x) + params.noise * rng.standard_normal(params.n)
    x_test = rng.uniform(-1.0, 1.0, N_TEST)
    y_test = target(x_test) + params.noise * rng.standard_normal(N_TEST)
    design = np.column_stack([np.ones(params.n), features(x, params.degree)])
    penalty = lam * np.diag([0.0] + [1.0] * params.degree)
    w = np.linalg.solve(design.T @ design + penalty, design.T @ y)
    test_design = np.column_stack([np.ones(N_TEST), features(x_test, params.degree)])
    return float(np.mean((test_design @ w - y_test) ** 2))


def test_question_variants_differ_between_seeds() -> None:
    for kind in QUESTIONS:
        drawn = {kind.variant(np.random.default_rng(seed)) for seed in QUESTION_SEEDS}
        assert len({params.model_dump_json() for params in drawn}) >= 8, kind.id


@pytest.mark.parametrize("seed", QUESTION_SEEDS)
def test_best_lambda_question_names_the_lowest_test_error(seed: int) -> None:
    params, _, question = asked("best-lambda", seed)
    named = [int(np.argmin(np.abs(np.log(SWEEP / float(text))))) for text in question.choices]
    assert len(set(named)) == len(named)
    errors = [direct_test_mse(params, float(SWEEP[i])) for i in named]
    right = errors[question.answer]
    assert right == pytest.approx(min(direct_test_mse(params, lam) for lam in SWEEP), rel=1e-6)
    assert all(error > right for i, error in enumerate(errors) if i != question.answer)


@pytest.mark.parametrize("seed", QUESTION_SEEDS)
def test_compare_question_reads_test_error_at_both_penalties(seed: int) -> None:
    params, _, question = asked("compare", seed)
    at, least = direct_test_mse(params, params.lam), direct_test_mse(params, float(SWEEP[0]))
    holds = {
        "above": at > least and sig(at) != sig(least),
        "below": at < least and sig(at) != sig(least),
        SAME: sig(at) == sig(least),
    }
    assert sorted(question.choices) == sorted(holds)
    assert holds[question.choices[question.answer]]
    assert not any(holds[t] for i, t in enumerate(question.choices) if i != question.answer)


def test_compare_question_says_a_penalty_helps_a_degree_fifteen_fit_on_few_points() -> None:
    params = Params(degree=15, n=12, noise=0.3, lam=0.1, seed=4)
    data = compute(params)
    kind = next(kind for kind in QUESTIONS if kind.id == "compare")
    question = kind.ask(params, data, np.random.default_rng(0))
    assert direct_test_mse(params, 0.1) < direct_test_mse(params, float(SWEEP[0]))
    assert question.choices[question.answer] == "below"
