"""The l1-vs-l2 demo: the Lasso gives exact zeros, Ridge only shrinks; both are optimal."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from pydantic import ValidationError

from app.demos import l1_vs_l2
from app.demos.l1_vs_l2 import (
    QUESTIONS,
    STEPS,
    TAIL,
    Data,
    Params,
    compute,
    descend,
    soft_threshold,
    summary,
)
from app.figures.cache import draw
from app.figures.questions import LETTERS, Question
from app.figures.registry import demos
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


@pytest.mark.parametrize("params", [*CASES, *(Params(seed=seed) for seed in range(1, 11))])
def test_proximal_steps_land_on_zero_and_subgradient_steps_swing_around_it(
    params: Params,
) -> None:
    data = compute(params)
    assert data.proximal_steps.shape == data.subgradient_steps.shape == (STEPS + 1, 10)
    # the proximal step reaches the Lasso's exact zeros; subgradient descent never lands on 0
    assert data.proximal_zeros == data.lasso_zeros
    np.testing.assert_array_equal(data.proximal_steps[-1] == 0.0, data.lasso == 0.0)
    assert data.subgradient_zeros == 0
    # where the Lasso weight is 0, the subgradient iterate keeps changing sign: it oscillates
    tail = data.subgradient_steps[-TAIL - 1 :, data.lasso == 0.0]
    assert np.all(np.any(np.diff(np.sign(tail), axis=0) != 0, axis=0))
    assert np.all(data.proximal_steps[-TAIL - 1 :, data.lasso == 0.0] == 0.0)
    assert data.subgradient_jump > 0.1 * data.step_size * params.alpha
    assert data.proximal_jump < 1e-3 * data.subgradient_jump


def test_default_proximal_steps_reach_the_lasso_solution() -> None:
    data = compute(Params())
    np.testing.assert_allclose(data.proximal_steps[-1], data.lasso, atol=1e-6)
    assert data.proximal_jump == 0.0  # the noise weights sit exactly on 0


def test_descent_steps_follow_their_rules() -> None:
    data = compute(Params(seed=2))
    step, proximal, subgradient = descend(data.x, data.y, data.alpha, 5)
    n = len(data.y)
    assert step == pytest.approx(1 / np.linalg.eigvalsh(data.x.T @ data.x / n)[-1])
    rng = np.random.default_rng(0)
    for t in range(5):
        gradient = data.x.T @ (data.x @ proximal[t] - data.y) / n
        u = proximal[t] - step * gradient

        # the proximal step minimizes ‖w - u‖²/(2·step) + α‖w‖₁
        def model(w: np.ndarray, u: np.ndarray = u) -> float:
            return float((w - u) @ (w - u) / (2 * step) + data.alpha * np.abs(w).sum())

        best = model(proximal[t + 1])
        for _ in range(50):
            assert best <= model(proximal[t + 1] + 1e-3 * rng.standard_normal(10))
        w = subgradient[t]
        expected = w - step * (data.x.T @ (data.x @ w - data.y) / n + data.alpha * np.sign(w))
        np.testing.assert_allclose(subgradient[t + 1], expected, atol=1e-12)


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


PARAMS = params_for(Params)  # the whole allowed space, as every demo's summary test


@summary_settings
@given(params=PARAMS)
def test_summary_states_what_the_data_show(params: Params) -> None:
    data = compute(params)
    text = summary(data)
    assert data.lasso_zeros == int(np.sum(data.lasso == 0.0))
    assert data.ridge_zeros == int(np.sum(data.ridge == 0.0))
    assert f"the Lasso sets {data.lasso_zeros} of 10 weights exactly to 0" in text
    assert f"while Ridge sets {data.ridge_zeros}:" in text
    smallest = float(np.min(np.abs(data.ridge)))
    ending = "shrunk but not zero" if smallest > 0 else "exactly zero"
    assert f"smallest weight is {smallest:.2g}, {ending}." in text
    assert data.proximal_zeros == int(np.sum(data.proximal_steps[-1] == 0.0))
    assert data.subgradient_zeros == int(np.sum(data.subgradient_steps[-1] == 0.0))
    assert f"proximal gradient has {data.proximal_zeros} of 10 weights exactly 0" in text
    assert f"plain subgradient descent {data.subgradient_zeros};" in text
    noise = data.true_weights == 0.0
    jumps = [
        float(np.abs(np.diff(steps[-TAIL - 1 :, noise], axis=0)).max())
        for steps in (data.subgradient_steps, data.proximal_steps)
    ]
    assert (data.subgradient_jump, data.proximal_jump) == tuple(jumps)
    moves = "still move" if jumps[0] > jumps[1] else "move"
    assert f"weights (true 0) {moves} by up to {jumps[0]:.2g} per step" in text
    assert f"by up to {jumps[1]:.2g} under the proximal step" in text


QUESTION_SEEDS = range(12)


def asked(kind_id: str, seed: int) -> tuple[Params, Data, Question]:
    """Draw a kind's variant for a seed and ask it, as the quiz does."""
    kind = next(kind for kind in QUESTIONS if kind.id == kind_id)
    rng = np.random.default_rng(seed)
    params = kind.variant(rng)
    data = compute(params)
    return params, data, kind.ask(params, data, rng)


def test_question_variants_differ_between_seeds() -> None:
    for kind in QUESTIONS:
        drawn = {kind.variant(np.random.default_rng(seed)) for seed in QUESTION_SEEDS}
        assert len({params.model_dump_json() for params in drawn}) >= 8, kind.id


@pytest.mark.parametrize("seed", QUESTION_SEEDS)
def test_lasso_zeros_question_counts_the_zero_weights(seed: int) -> None:
    params, data, question = asked("lasso-zeros", seed)
    assert 0.05 <= params.alpha <= 2.0
    assert f"α = {params.alpha:g}" in question.prompt
    # The count comes from an optimal Lasso solution, checked by its optimality conditions.
    assert_lasso_optimal(data, data.lasso, params.alpha)
    zeros = int(np.count_nonzero(np.abs(data.lasso) == 0.0))
    assert question.choices[question.answer] == str(zeros)
    assert question.is_right(LETTERS[question.answer])
    wrong = [int(text) for i, text in enumerate(question.choices) if i != question.answer]
    assert zeros not in wrong
    assert all(0 <= count <= len(data.lasso) for count in wrong)
    # Ridge's count is offered when it differs, and it does: Ridge zeroes nothing.
    assert int(np.count_nonzero(data.ridge == 0.0)) in wrong


@pytest.mark.parametrize("seed", QUESTION_SEEDS)
def test_descent_zeros_question_counts_each_methods_zeros(seed: int) -> None:
    params, data, question = asked("descent-zeros", seed)
    _, proximal, subgradient = descend(data.x, data.y, params.alpha, STEPS)
    counts = (
        int(np.count_nonzero(proximal[-1] == 0.0)),
        int(np.count_nonzero(subgradient[-1] == 0.0)),
    )
    said = [
        tuple(int(part.split(" by ")[0]) for part in text.split(", ")) for text in question.choices
    ]
    assert said[question.answer] == counts
    assert counts[0] > 0  # the variants keep to α where the soft-threshold zeroes a weight
    assert all(pair != counts for i, pair in enumerate(said) if i != question.answer)
    assert f"exactly 0 and subgradient descent {counts[1]}" in question.explanation
