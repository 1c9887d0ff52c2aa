"""The lambda-sweep demo: a huge λ drives w to 0 and both errors up to predicting the mean."""

import dataclasses
import re

import numpy as np
import pytest
from hypothesis import given
from pydantic import ValidationError

from app.demos import lambda_sweep
from app.demos.lambda_sweep import (
    CLOSE,
    QUESTIONS,
    REPEATS,
    SWEEP,
    ZONE,
    Data,
    Params,
    compute,
    summary,
)
from app.figures.cache import draw
from app.figures.questions import Question
from app.figures.registry import demos
from app.figures.wording import split_lead
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


@pytest.mark.parametrize("params", [*CASES, *(Params(seed=seed) for seed in range(10))])
def test_largest_lambda_train_and_test_are_close_together(params: Params) -> None:
    data = compute(params)
    train, test = data.train_mse[-1], data.test_mse[-1]
    assert abs(test - train) <= CLOSE * test  # as the card says: both high and close together
    assert min(train, test) > ZONE * data.best_test


def test_default_errors_at_the_largest_lambda_differ_by_under_ten_percent() -> None:
    data = compute(Params())
    assert abs(data.test_mse[-1] - data.train_mse[-1]) < 0.1 * data.test_mse[-1]
    assert data.test_mse[0] > 100 * data.train_mse[0]  # the smallest λ: far apart


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


def test_errors_match_a_direct_fit_of_every_training_set() -> None:
    params = Params(n=15, noise=0.4, lam=2.0, seed=7)
    data = compute(params)
    rng = np.random.default_rng(params.seed)
    x_train = rng.uniform(-1.0, 1.0, (REPEATS, params.n))
    y_train = lambda_sweep.target(x_train) + params.noise * rng.standard_normal(x_train.shape)
    x_test = rng.uniform(-1.0, 1.0, lambda_sweep.N_TEST)
    y_test = lambda_sweep.target(x_test) + params.noise * rng.standard_normal(len(x_test))
    train, test = np.zeros(len(data.lambdas) + 1), np.zeros(len(data.lambdas) + 1)
    for x, y in zip(x_train, y_train, strict=True):
        for k, lam in enumerate([*data.lambdas, params.lam]):
            # ridge with an unpenalized intercept: append a column of ones, penalize the rest
            design = np.column_stack([lambda_sweep.features(x), np.ones(len(x))])
            penalty = lam * np.diag([1.0] * 25 + [0.0])
            w = np.linalg.solve(design.T @ design + penalty, design.T @ y)
            test_design = np.column_stack([lambda_sweep.features(x_test), np.ones(len(x_test))])
            train[k] += np.mean((design @ w - y) ** 2) / REPEATS
            test[k] += np.mean((test_design @ w - y_test) ** 2) / REPEATS
    np.testing.assert_allclose(data.train_mse, train[:-1], rtol=1e-6)
    np.testing.assert_allclose(data.test_mse, test[:-1], rtol=1e-6)
    assert data.train_at == pytest.approx(train[-1], rel=1e-6)
    assert data.test_at == pytest.approx(test[-1], rel=1e-6)


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


PARAMS = params_for(Params)  # the whole allowed space, as every demo's summary test


def _ratio(ratio: float) -> str:
    return f"{ratio:.2g}" if ratio < 100 else f"{ratio:,.0f}"


def _apart(train: float, test: float) -> str:
    gap = abs(test - train) / max(test, train)
    if gap <= CLOSE:
        return f"close together ({100 * gap:.0f}% apart)"
    if test > train:
        return f"far apart (test {_ratio(test / train)}× train)"
    return f"far apart (train {_ratio(train / test)}× test)"


@summary_settings
@given(params=PARAMS)
def test_summary_states_what_the_data_show(params: Params) -> None:
    data = compute(params)
    text = summary(data)
    _lead, details = split_lead(text)
    assert details.startswith(f"Averaged over {REPEATS} training sets of {params.n} points")
    assert f"train MSE {data.train_at:.3f} and test MSE {data.test_at:.3f}" in text
    assert data.best_test == data.test_mse.min()
    assert f"best test MSE is {data.best_test:.3f}" in text
    low_train, low_test = data.train_mse[0], data.test_mse[0]
    high_train, high_test = data.train_mse[-1], data.test_mse[-1]
    limit = ZONE * data.best_test
    overfits = low_test > limit and low_train < low_test
    assert ("model overfits" in text) == overfits
    assert ("model does not overfit" in text) == (not overfits)
    assert f"train {low_train:.3f} and test {low_test:.3f}, {_apart(low_train, low_test)}" in text
    assert ("model underfits" in text) == (high_test > limit)
    assert ("model does not underfit" in text) == (high_test <= limit)
    assert f"({_ratio(high_test / data.best_test)}× the best test MSE), " in text
    assert f"{_apart(high_train, high_test)}, " in text
    mean_like = abs(high_test - data.mean_test_mse) <= 0.03 * data.mean_test_mse
    assert ("as bad as predicting the mean" in text) == mean_like
    assert f"‖w‖ = {data.weight_norm[-1]:.4f}" in text
    # every "N% apart" is a gap no larger than CLOSE
    assert all(int(pct) <= 100 * CLOSE for pct in re.findall(r"(\d+)% apart", text))


QUESTION_SEEDS = range(10)


def asked(kind_id: str, seed: int) -> tuple[Params, Data, Question]:
    """Draw a kind's variant for a seed and ask it, as the quiz does."""
    kind = next(kind for kind in QUESTIONS if kind.id == kind_id)
    rng = np.random.default_rng(seed)
    params = kind.variant(rng)
    data = compute(params)
    return params, data, kind.ask(params, data, rng)


def sweep_index(text: str) -> int:
    """Return the sweep point a two-digit λ names (each is within 3% of its point)."""
    index = int(np.argmin(np.abs(np.log(SWEEP / float(text)))))
    assert abs(SWEEP[index] / float(text) - 1) < 0.03, text
    return index


def test_question_variants_differ_between_seeds() -> None:
    for kind in QUESTIONS:
        drawn = {kind.variant(np.random.default_rng(seed)) for seed in QUESTION_SEEDS}
        assert len({params.model_dump_json() for params in drawn}) >= 8, kind.id


@pytest.mark.parametrize("seed", QUESTION_SEEDS)
def test_best_lambda_question_names_the_lowest_test_error(seed: int) -> None:
    _, data, question = asked("best-lambda", seed)
    named = [sweep_index(text) for text in question.choices]
    assert len(set(named)) == len(named)
    errors = data.test_mse[named]
    right = errors[question.answer]
    assert right == data.test_mse.min()
    assert all(error > right for i, error in enumerate(errors) if i != question.answer)


def direct_errors(params: Params, lam: float) -> tuple[float, float, float]:
    """Return the expected train and test MSE at λ, one ridge solve per training set, and the
    test MSE of predicting each training set's mean, from the draws compute() makes."""
    rng = np.random.default_rng(params.seed)
    x_train = rng.uniform(-1.0, 1.0, (REPEATS, params.n))
    y_train = lambda_sweep.target(x_train) + params.noise * rng.standard_normal(x_train.shape)
    x_test = rng.uniform(-1.0, 1.0, lambda_sweep.N_TEST)
    y_test = lambda_sweep.target(x_test) + params.noise * rng.standard_normal(len(x_test))
    train, test = [], []
    for points, labels in zip(x_train, y_train, strict=True):
        phi = lambda_sweep.features(points)
        centre, level = phi.mean(axis=0), labels.mean()
        system = (phi - centre).T @ (phi - centre) + lam * np.eye(phi.shape[1])
        w = np.linalg.solve(system, (phi - centre).T @ (labels - level))
        b = level - centre @ w
        train.append(np.mean((b + phi @ w - labels) ** 2))
        test.append(np.mean((b + lambda_sweep.features(x_test) @ w - y_test) ** 2))
    mean_only = float(np.mean((y_test[None, :] - y_train.mean(axis=1)[:, None]) ** 2))
    return float(np.mean(train)), float(np.mean(test)), mean_only


@pytest.mark.parametrize("seed", QUESTION_SEEDS)
def test_large_lambda_question_asks_the_test_error_from_the_train_error(seed: int) -> None:
    params, data, question = asked("large-lambda", seed)
    assert params.lam >= 1e3
    train, test, mean_only = direct_errors(params, params.lam)
    assert f"the expected training MSE is {train:.3f}." in question.prompt
    assert question.choices[question.answer] == f"{test:.3f}"
    # The card's point: a huge penalty leaves the intercept, as bad as predicting the mean.
    assert test == pytest.approx(mean_only, rel=0.05)
    assert f"predicting each training set's mean scores {mean_only:.3f}" in question.explanation
    best = int(np.argmin(data.test_mse))
    as_at_best = train * data.test_mse[best] / data.train_mse[best]
    offered = {f"{value:.3f}" for value in (params.noise**2, data.test_mse[best])}
    offered |= {f"{data.test_mse[0]:.3f}", f"{as_at_best:.3f}"}
    wrong = [text for i, text in enumerate(question.choices) if i != question.answer]
    assert len(wrong) >= 2
    assert set(wrong) <= offered
    assert all(abs(float(text) - test) > CLOSE * test for text in wrong)


def test_large_lambda_question_answers_differ_between_seeds() -> None:
    questions = [asked("large-lambda", seed)[2] for seed in QUESTION_SEEDS]
    assert len({question.choices[question.answer] for question in questions}) >= 5
