"""The weight-decay demo: each step is (1 - ηλ)w - η∇L, and stronger decay means smaller w."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from pydantic import ValidationError

from app.demos import weight_decay
from app.demos import weight_decay as subject
from app.demos.weight_decay import (
    FACTOR_TOLERANCE,
    QUESTIONS,
    Data,
    Params,
    compute,
    loss,
    step,
)
from app.figures.cache import draw
from app.figures.questions import Question
from app.figures.registry import demos
from tests.demos.claims import says
from tests.demos.strategies import params_for, summary_settings

CASES = [
    Params(),
    Params(lam=0.01, eta=0.2, steps=50, seed=3),
    Params(lam=0.5, eta=0.2, steps=500, seed=8),
    Params(lam=0.03, eta=0.01, steps=200, seed=21),
]


@pytest.mark.parametrize("params", CASES)
def test_final_weight_norm_falls_as_lambda_grows(params: Params) -> None:
    data = compute(params)
    assert list(data.lambdas) == [0.0, params.lam, 1.0]
    final = data.weight_norm[:, -1]
    assert final[0] > final[1] > final[2]
    assert data.weight_norm[:, 0] == pytest.approx(np.zeros(3))  # all start from w = 0


@pytest.mark.parametrize(("eta", "steps"), [(0.1, 300), (0.2, 50), (0.05, 500)])
def test_final_weight_norm_is_monotone_over_a_lambda_sweep(eta: float, steps: int) -> None:
    norms = [
        compute(Params(lam=lam, eta=eta, steps=steps, seed=2)).weight_norm[1, -1]
        for lam in (0.001, 0.01, 0.05, 0.1, 0.2, 0.5)
    ]
    assert np.all(np.diff(norms) < 0)
    assert norms[-1] < 0.8 * norms[0]


def test_one_step_is_decay_then_gradient() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 5))
    y = rng.standard_normal(7)
    weights = rng.standard_normal((3, 5))
    bias = rng.standard_normal(3)
    lambdas = np.array([0.0, 0.3, 2.0])
    eta = 0.07
    new_weights, new_bias = step(weights, bias, x, y, lambdas, eta)
    for k in range(3):
        grad = x.T @ (x @ weights[k] + bias[k] - y) / len(y)  # of the mean loss ‖r‖²/(2n)
        expected = (1 - eta * lambdas[k]) * weights[k] - eta * grad
        np.testing.assert_allclose(new_weights[k], expected, rtol=1e-12, atol=1e-12)
        grad_bias = np.mean(x @ weights[k] + bias[k] - y)  # the bias is not decayed
        assert new_bias[k] == pytest.approx(bias[k] - eta * grad_bias, abs=1e-12)


def test_step_is_gradient_descent_on_mean_loss_plus_half_lambda_norm() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((9, 4))
    y = rng.standard_normal(9)
    weights = rng.standard_normal((2, 4))
    bias = rng.standard_normal(2)
    lambdas = np.array([0.5, 3.0])
    eta = 0.1
    new_weights, new_bias = step(weights, bias, x, y, lambdas, eta)
    h = 1e-6
    for j in range(4):
        shift = np.zeros_like(weights)
        shift[:, j] = h
        numeric = (
            loss(weights + shift, bias, x, y, lambdas) - loss(weights - shift, bias, x, y, lambdas)
        ) / (2 * h)
        np.testing.assert_allclose(new_weights[:, j], weights[:, j] - eta * numeric, atol=1e-8)
    numeric_bias = (
        loss(weights, bias + h, x, y, lambdas) - loss(weights, bias - h, x, y, lambdas)
    ) / (2 * h)
    np.testing.assert_allclose(new_bias, bias - eta * numeric_bias, atol=1e-8)


def test_long_runs_reach_the_ridge_optimum() -> None:
    data = compute(Params(lam=0.5, eta=0.2, steps=500))
    assert data.weight_norm[1:, -1] == pytest.approx(data.ridge_norm[1:], rel=1e-6)
    assert np.all(np.diff(data.ridge_norm) < 0)


def test_no_decay_overfits_and_decay_helps_at_default() -> None:
    data = compute(Params())
    val = data.val_loss
    assert val[0, -1] > 1.2 * val[0].min()  # without decay, validation loss turns back up
    assert val[1, -1] < 0.8 * val[0, -1]  # λ = 0.1 ends lower
    assert val[2, -1] > val[1, -1]  # λ = 1 underfits
    assert data.train_loss[0, -1] < data.train_loss[1, -1] < data.train_loss[2, -1]


def test_deterministic() -> None:
    first, second = compute(Params(seed=5)), compute(Params(seed=5))
    for field in dataclasses.fields(first):
        np.testing.assert_array_equal(getattr(first, field.name), getattr(second, field.name))


def test_seed_changes_the_data() -> None:
    first, second = compute(Params(seed=1)), compute(Params(seed=2))
    assert not np.allclose(first.final_weights, second.final_weights)
    assert first.val_loss[1, -1] != second.val_loss[1, -1]


@pytest.mark.parametrize(
    "bad",
    [
        {"lam": 0.0},
        {"lam": 0.6},
        {"eta": 0.0},
        {"eta": 0.3},
        {"steps": 49},
        {"steps": 501},
        {"seed": 10_000},
    ],
)
def test_bounds(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Params.model_validate(bad)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_renders(theme: str) -> None:
    demo = demos()["weight-decay"]
    assert demo is weight_decay.DEMO
    rendered = draw(demo, Params(), "png", "dark" if theme == "dark" else "light")
    assert rendered.body.startswith(b"\x89PNG")
    assert "‖w‖ = " in rendered.alt


@summary_settings
@given(params=params_for(subject.Params))
def test_summary_agrees_with_the_data(params: subject.Params) -> None:
    data = subject.compute(params)
    text = subject.summary(data)
    norms = np.linalg.norm(data.final_weights, axis=1)
    says(text, r"After (N) steps of gradient descent with η = (N)", params.steps, params.eta)
    says(text, r"no decay\): ‖w‖ = (N), val loss (N)", norms[0], data.val_loss[0, -1])
    says(
        text, r"λ = (N): ‖w‖ = (N), val loss (N), λ = 1", params.lam, norms[1], data.val_loss[1, -1]
    )
    says(text, r"λ = 1: ‖w‖ = (N), val loss (N)\.", norms[2], data.val_loss[2, -1])
    # The three runs are in order of λ (0, λ, 1): stronger decay, smaller weights?
    assert ("Stronger decay keeps the weights smaller." in text) == bool(
        norms[0] > norms[1] > norms[2]
    )


QUESTION_SEEDS = range(10)


def asked(kind_id: str, seed: int) -> tuple[Params, Data, Question]:
    """Draw a kind's variant for a seed and ask it, as the quiz does."""
    kind = next(kind for kind in QUESTIONS if kind.id == kind_id)
    rng = np.random.default_rng(seed)
    params = kind.variant(rng)
    data = compute(params)
    return params, data, kind.ask(params, data, rng)


def final_validation_losses(params: Params) -> list[float]:
    """Run plain gradient descent on the demo's draws for λ = 0, the chosen λ and 1."""
    rng = np.random.default_rng(params.seed)
    total = subject.N_TRAIN + subject.N_VAL
    x = rng.standard_normal((total, subject.FEATURES))
    y = x @ subject.TRUE_WEIGHTS + subject.TRUE_BIAS + subject.NOISE * rng.standard_normal(total)
    x = x - x[: subject.N_TRAIN].mean(axis=0)
    x_train, y_train = x[: subject.N_TRAIN], y[: subject.N_TRAIN]
    x_val, y_val = x[subject.N_TRAIN :], y[subject.N_TRAIN :]
    losses = []
    for lam in (0.0, params.lam, subject.STRONG):
        w, b = np.zeros(subject.FEATURES), 0.0
        for _ in range(params.steps):
            residual = x_train @ w + b - y_train
            w, b = (
                w - params.eta * (x_train.T @ residual / len(y_train) + lam * w),
                b - params.eta * residual.mean(),
            )
        losses.append(float(0.5 * np.mean((x_val @ w + b - y_val) ** 2)))
    return losses


def test_question_variants_differ_between_seeds() -> None:
    for kind in QUESTIONS:
        drawn = {kind.variant(np.random.default_rng(seed)) for seed in QUESTION_SEEDS}
        assert len({params.model_dump_json() for params in drawn}) >= 8, kind.id


@pytest.mark.parametrize("seed", QUESTION_SEEDS)
def test_decay_factor_question_is_the_shrink_of_one_step(seed: int) -> None:
    params, _, question = asked("decay-factor", seed)
    # With the data fitted exactly the gradient is 0, so a step is the decay alone.
    rng = np.random.default_rng(seed)
    x, weights = rng.standard_normal((6, 4)), rng.standard_normal((1, 4))
    after, _ = step(weights, np.zeros(1), x, x @ weights[0], np.array([params.lam]), params.eta)
    shrink = float(np.mean(after / weights))
    np.testing.assert_allclose(after, shrink * weights, rtol=1e-12)
    assert question.value == pytest.approx(shrink, abs=1e-12)
    assert question.tolerance == FACTOR_TOLERANCE
    eta, lam = params.eta, params.lam
    for wrong in (1.0, 1 - lam, 1 - eta, eta * lam, 1 - eta * lam / 2, 1 + eta * lam):
        assert not question.is_right(wrong), wrong


@pytest.mark.parametrize("seed", QUESTION_SEEDS)
def test_best_val_question_names_the_lowest_validation_loss(seed: int) -> None:
    params, _, question = asked("best-val", seed)
    losses = final_validation_losses(params)
    labels = ["λ = 0 (no decay)", f"λ = {params.lam:g}", f"λ = {subject.STRONG:g}"]
    assert sorted(question.choices) == sorted(labels)
    best = int(np.argmin(losses))
    assert question.choices[question.answer] == labels[best]
    for k, label in enumerate(labels):
        if k != best:
            assert losses[k] > losses[best]
            assert question.choices.index(label) != question.answer
