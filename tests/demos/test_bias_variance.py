"""The bias-variance demo: λ raises bias², lowers variance, and they add up to the test error."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from pydantic import ValidationError

from app.demos import bias_variance
from app.demos import bias_variance as subject
from app.demos.bias_variance import (
    GRID,
    QUESTIONS,
    Data,
    Params,
    compute,
    features,
    ridge_predictions,
    target,
)
from app.figures.cache import draw
from app.figures.questions import Question
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


QUESTION_SEEDS = range(8)


def asked(kind_id: str, seed: int) -> tuple[Params, Data, Question]:
    """Draw a kind's variant for a seed and ask it, as the quiz does."""
    kind = next(kind for kind in QUESTIONS if kind.id == kind_id)
    rng = np.random.default_rng(seed)
    params = kind.variant(rng)
    data = compute(params)
    return params, data, kind.ask(params, data, rng)


def direct_decomposition(params: Params, lam: float) -> tuple[float, float, float]:
    """Return bias², variance and test MSE at λ from one direct ridge solve per training set."""
    rng = np.random.default_rng(params.seed)
    x = rng.uniform(-1.0, 1.0, (params.sets, params.n))
    clean = target(x)
    y = clean + params.noise * rng.standard_normal(x.shape)
    truth = target(GRID)
    y_test = truth + params.noise * rng.standard_normal((params.sets, len(GRID)))
    grid_phi = features(GRID)
    noisy, expected = [], []
    for points, labels, free in zip(x, y, clean, strict=True):
        phi = features(points)
        system = phi.T @ phi + lam * np.eye(phi.shape[1])
        noisy.append(grid_phi @ np.linalg.solve(system, phi.T @ labels))
        expected.append(grid_phi @ np.linalg.solve(system, phi.T @ free))
    fits = np.array(noisy)
    bias2 = float(np.mean((np.mean(expected, axis=0) - truth) ** 2))
    variance = float(np.mean(np.var(fits, axis=0, ddof=1)))
    return bias2, variance, float(np.mean((fits - y_test) ** 2))


def test_question_variants_differ_between_seeds() -> None:
    for kind in QUESTIONS:
        drawn = {kind.variant(np.random.default_rng(seed)) for seed in QUESTION_SEEDS}
        assert len({params.model_dump_json() for params in drawn}) >= 7, kind.id


@pytest.mark.parametrize("seed", QUESTION_SEEDS)
def test_trend_question_follows_bias_and_variance_to_an_end_of_the_sweep(seed: int) -> None:
    params, data, question = asked("trend", seed)
    upward = "grows" in question.prompt
    assert upward != ("shrinks" in question.prompt)
    end = float(data.lambdas[-1] if upward else data.lambdas[0])
    assert f"to λ = {end:g}," in question.prompt
    assert (end / params.lam >= 100) if upward else (params.lam / end >= 100)
    bias_at, variance_at, _ = direct_decomposition(params, params.lam)
    bias_end, variance_end, _ = direct_decomposition(params, end)
    right = (
        f"bias² {'rises' if bias_end > bias_at else 'falls'}, "
        f"variance {'rises' if variance_end > variance_at else 'falls'}"
    )
    assert question.choices[question.answer] == right
    # The trade the card teaches, at every variant: a stronger penalty, more bias, less variance.
    assert right == ("bias² rises, variance falls" if upward else "bias² falls, variance rises")
    assert len(question.choices) == 4
    assert right not in [t for i, t in enumerate(question.choices) if i != question.answer]


def test_trend_question_asks_both_ways_round() -> None:
    prompts = [asked("trend", seed)[2].prompt for seed in QUESTION_SEEDS]
    assert any("grows" in prompt for prompt in prompts)
    assert any("shrinks" in prompt for prompt in prompts)


@pytest.mark.parametrize("seed", QUESTION_SEEDS)
def test_decomposition_question_offers_the_full_sum_as_nearest(seed: int) -> None:
    params, data, question = asked("decomposition", seed)
    bias2, variance, test = direct_decomposition(params, params.lam)
    np.testing.assert_allclose(
        [bias2, variance, test], [data.bias2_at, data.variance_at, data.test_at], rtol=1e-6
    )
    total = bias2 + variance + params.noise**2
    assert question.choices[question.answer] == f"{total:.3f}"
    offered = [float(text) for text in question.choices]
    right_gap = abs(test - offered[question.answer])
    for i, value in enumerate(offered):
        if i != question.answer:
            assert abs(test - value) > right_gap
    # Dropping the noise term is offered, and is wrong: σ² is part of the test error.
    assert f"{bias2 + variance:.3f}" in question.choices
