"""Dropout rate per layer: the wide hidden layer's best p is higher than the narrow one's."""

from typing import cast

import numpy as np
import pytest
from hypothesis import given
from pydantic import ValidationError

from app.demos.dropout_rate import DEMO, Params, compute, dropout_weights, summary
from app.figures.cache import draw
from app.figures.questions import Question, ask
from tests.demos.strategies import params_for, summary_settings

SEEDS = range(20)


def test_default_wide_layer_wants_more_dropout_than_the_narrow_one() -> None:
    data = compute(Params())
    narrow, wide = data.best_p
    assert wide > narrow + 0.2
    assert 0.0 < wide < 0.9  # the wide layer's best p is inside the range: a U-curve
    # without dropout the wide layer overfits; at p = 0.9 it underfits
    assert data.held_out_error[1, 0] > 1.2 * data.best_error[1]
    assert data.held_out_error[1, -1] > 1.2 * data.best_error[1]


@pytest.mark.parametrize(
    "kwargs", [{}, {"samples": 50}, {"noise": 1.5}, {"narrow": 20, "wide": 200}]
)
def test_wide_layer_wants_more_dropout_for_most_seeds(kwargs: dict[str, float]) -> None:
    runs = [compute(Params(seed=seed, **kwargs)) for seed in SEEDS]
    higher = [run.best_p[1] > run.best_p[0] for run in runs]
    assert sum(higher) >= 0.85 * len(runs)
    assert np.median([run.best_p[1] for run in runs]) >= 0.3
    assert np.median([run.best_p[0] for run in runs]) <= 0.2


def test_p_one_half_costs_the_narrow_layer_more_for_most_seeds() -> None:
    runs = [compute(Params(seed=seed)) for seed in SEEDS]
    index = int(np.argmin(np.abs(runs[0].p_grid - 0.5)))
    worse = [
        run.held_out_error[0, index] / run.best_error[0]
        > run.held_out_error[1, index] / run.best_error[1]
        for run in runs
    ]
    assert sum(worse) >= 0.8 * len(runs)


@pytest.mark.parametrize("seed", SEEDS)
def test_without_dropout_the_wide_layer_overfits(seed: int) -> None:
    data = compute(Params(seed=seed))
    assert data.held_out_error[1, 0] > 1.2 * data.best_error[1]
    assert data.held_out_error[1, 0] - data.train_error[1, 0] > data.noise_floor


def test_training_error_rises_with_p() -> None:
    data = compute(Params())
    assert np.all(np.diff(data.train_error, axis=1) > 0)


def test_closed_form_is_the_minimizer_of_the_expected_dropout_loss() -> None:
    rng = np.random.default_rng(0)
    h = np.maximum(rng.standard_normal((40, 6)) * np.array([1.0, 2.0, 0.5, 1.0, 3.0, 1.0]), 0)
    y = h @ rng.standard_normal(6) + 0.5 + rng.standard_normal(40)
    p = 0.3
    (w,), (b,) = dropout_weights(h, y, np.array([p]))
    n = h.shape[0]
    penalty = p / (1 - p) * np.mean(h**2, axis=0)
    residual = y - b - h @ w
    # Normal equations of (1/n)||y - b - Hw||^2 + sum_j penalty_j w_j^2, bias not penalized.
    np.testing.assert_allclose(-2 / n * h.T @ residual + 2 * penalty * w, 0.0, atol=1e-10)
    assert residual.sum() == pytest.approx(0.0, abs=1e-10)
    # The penalty is what dropout on the hidden units adds in expectation.
    masks = rng.random((20_000, *h.shape)) >= p
    monte_carlo = float(np.mean((y - b - (h * masks / (1 - p)) @ w) ** 2))
    exact = float(np.mean(residual**2) + np.sum(penalty * w**2))
    assert monte_carlo == pytest.approx(exact, rel=0.01)


def test_p_zero_is_least_squares_with_a_bias_and_silent_units_get_zero() -> None:
    rng = np.random.default_rng(1)
    h = np.maximum(rng.standard_normal((30, 8)), 0)
    h[:, 3] = 0.0  # a unit that never fires
    y = rng.standard_normal(30)
    (w,), (b,) = dropout_weights(h, y, np.array([0.0]))
    design = np.column_stack([np.delete(h, 3, axis=1), np.ones(30)])
    expected = np.linalg.lstsq(design, y, rcond=None)[0]
    np.testing.assert_allclose(np.delete(w, 3), expected[:-1], atol=1e-10)
    assert b == pytest.approx(expected[-1])
    assert w[3] == 0.0


def test_marked_p_matches_the_grid() -> None:
    data = compute(Params(p=0.45))
    index = int(np.argmin(np.abs(data.p_grid - 0.45)))
    np.testing.assert_allclose(data.marked_held_out, data.held_out_error[:, index])
    np.testing.assert_allclose(data.marked_train, data.train_error[:, index])


def test_deterministic_for_the_same_params() -> None:
    first, second = compute(Params(seed=3)), compute(Params(seed=3))
    np.testing.assert_array_equal(first.held_out_error, second.held_out_error)
    np.testing.assert_array_equal(first.train_error, second.train_error)


def test_seed_changes_the_data() -> None:
    first, second = compute(Params(seed=1)), compute(Params(seed=2))
    assert not np.array_equal(first.held_out_error, second.held_out_error)


@pytest.mark.parametrize(
    "bad",
    [
        {"samples": 10},
        {"samples": 210},
        {"features": 0},
        {"features": 61},
        {"noise": 0.0},
        {"noise": 3.5},
        {"narrow": 1},
        {"narrow": 41},
        {"wide": 40},
        {"wide": 410},
        {"p": -0.1},
        {"p": 0.95},
    ],
)
def test_out_of_range_params_are_rejected(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Params.model_validate(bad)


@pytest.mark.parametrize(
    "params", [Params(), Params(samples=20, features=60, noise=3.0, narrow=2, wide=400, p=0.9)]
)
def test_renders_with_summary(params: Params) -> None:
    rendered = draw(DEMO, params, "png", "light")
    assert rendered.body.startswith(b"\x89PNG")
    assert "held-out error is lowest" in rendered.alt


PARAMS = params_for(Params)  # the whole allowed space, as every demo's summary test


@summary_settings
@given(params=PARAMS)
def test_summary_states_what_the_data_show(params: Params) -> None:
    data = compute(params)
    text = summary(data)
    (narrow_p, wide_p), (narrow_best, wide_best) = data.best_p, data.best_error
    assert data.best_error == (data.held_out_error[0].min(), data.held_out_error[1].min())
    assert f"lowest at p = {wide_p:.2f} for the wide layer of {params.wide} units" in text
    assert f"({wide_best:.3f})" in text
    assert f"({narrow_best:.3f})" in text
    assert f"p = {narrow_p:.2f} for the narrow layer of {params.narrow} units" in text
    word = "the same as"
    if wide_p != narrow_p:
        word = "higher than" if wide_p > narrow_p else "lower than"
    assert f", {word} p = " in text
    narrow_at_wide = data.held_out_error[0, np.flatnonzero(data.p_grid == wide_p)[0]]
    wide_at_narrow = data.held_out_error[1, np.flatnonzero(data.p_grid == narrow_p)[0]]
    if wide_p != narrow_p:
        assert f"gives the narrow one {narrow_at_wide:.3f}" in text
        assert f"gives the wide one {wide_at_narrow:.3f}" in text
    else:
        assert "gives the" not in text
    assert f"At your p = {params.p:.2f} held-out error is {data.marked_held_out[0]:.3f}" in text
    assert f"and {data.marked_held_out[1]:.3f} (wide)" in text


def asked_kind(kind_id: str) -> list[tuple[Params, Question]]:
    """Return the questions of one kind among the first seeds, with their variants."""
    found = [ask(DEMO, seed) for seed in range(16)]
    picked = [(cast(Params, a.params), a.question) for a in found if a.kind_id == kind_id]
    assert picked, f"no seed drew {kind_id}"
    return picked


def test_higher_p_names_the_layer_whose_curve_bottoms_out_later() -> None:
    for params, question in asked_kind("higher-p"):
        data = compute(params)
        narrow_p, wide_p = (float(data.p_grid[np.argmin(row)]) for row in data.held_out_error)
        right = question.choices[question.answer]
        if wide_p > narrow_p:
            assert right == f"The wide layer ({params.wide} units)"
        elif narrow_p > wide_p:
            assert right == f"The narrow layer ({params.narrow} units)"
        else:
            assert right == "Both are lowest at the same p"
        assert len(question.choices) == 3


def test_best_p_range_holds_the_wide_layers_lowest_error() -> None:
    for params, question in asked_kind("best-p"):
        data = compute(params)
        best = float(data.p_grid[np.argmin(data.held_out_error[1])])
        for index, text in enumerate(question.choices):
            low, high = (float(bound) for bound in text.split(" to "))
            assert (low <= best <= high) == (index == question.answer), (text, best)
