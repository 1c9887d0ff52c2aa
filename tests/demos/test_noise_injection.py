"""The noise injection demo: least squares on noisy copies agrees with ridge, alpha = n*sigma^2."""

import dataclasses
import re
from typing import cast

import numpy as np
import pytest
from hypothesis import given
from pydantic import ValidationError

from app.demos import noise_injection as subject
from app.demos.noise_injection import SIGMAS, SIGMAS_FINE, Data, Params, compute
from app.figures.questions import Question, ask
from tests.demos.claims import says
from tests.demos.strategies import params_for, summary_settings


def _arrays(data: Data) -> dict[str, np.ndarray]:
    return {f.name: np.asarray(getattr(data, f.name)) for f in dataclasses.fields(data)}


def _gap(data: Data) -> float:
    return float(np.max(np.abs(data.noisy - data.ridge)))


@pytest.mark.parametrize("sigma", [0.25, 0.5, 1.0])
def test_noisy_copies_agree_with_ridge_alpha_n_sigma_squared(sigma: float) -> None:
    data = compute(Params(sigma=sigma, copies=400, samples=200, seed=4))
    assert data.alpha == pytest.approx(200 * sigma**2)
    assert _gap(data) < 0.03
    # and the shrinkage is real, far larger than the gap
    assert np.linalg.norm(data.plain) - np.linalg.norm(data.ridge) > 0.2


def test_the_gap_shrinks_with_more_copies() -> None:
    few = np.mean([_gap(compute(Params(copies=10, samples=40, seed=s))) for s in range(10)])
    many = np.mean([_gap(compute(Params(copies=400, samples=40, seed=s))) for s in range(10)])
    assert many < few / 3  # about sqrt(40) in theory


def test_ridge_solves_the_sklearn_objective() -> None:
    data = compute(Params(sigma=0.7, samples=30))
    # gradient of ||y - Xw||^2 + alpha ||w||^2 vanishes at the ridge weights
    gradient = -2 * data.x.T @ (data.y - data.x @ data.ridge) + 2 * data.alpha * data.ridge
    np.testing.assert_allclose(gradient, 0.0, atol=1e-9)
    assert data.alpha == pytest.approx(30 * 0.49)


@pytest.mark.parametrize("seed", [0, 8])
def test_sigma_zero_is_plain_least_squares(seed: int) -> None:
    data = compute(Params(sigma=0.0, copies=50, seed=seed))
    least_squares = np.linalg.lstsq(data.x, data.y)[0]
    np.testing.assert_allclose(data.plain, least_squares, atol=1e-10)
    np.testing.assert_allclose(data.noisy, least_squares, atol=1e-10)
    np.testing.assert_allclose(data.ridge, least_squares, atol=1e-10)
    np.testing.assert_allclose(data.sweep_noisy[0], least_squares, atol=1e-10)
    np.testing.assert_allclose(data.fine_ridge[0], least_squares, atol=1e-10)
    assert data.alpha == 0.0


def test_sweep_reuses_the_same_noise_and_the_ridge_curve() -> None:
    data = compute(Params(sigma=0.5, copies=60))
    index = int(np.argmin(np.abs(SIGMAS - 0.5)))
    np.testing.assert_allclose(data.sweep_noisy[index], data.noisy, atol=1e-9)
    fine = int(np.argmin(np.abs(SIGMAS_FINE - 0.5)))
    np.testing.assert_allclose(data.fine_ridge[fine], data.ridge, atol=1e-12)
    # the whole sweep tracks the ridge path
    on_grid = data.fine_ridge[np.searchsorted(SIGMAS_FINE, SIGMAS - 1e-9)]
    assert np.max(np.abs(data.sweep_noisy - on_grid)) < 0.1


def test_same_parameters_give_identical_data() -> None:
    first, second = _arrays(compute(Params(seed=6))), _arrays(compute(Params(seed=6)))
    for name, values in first.items():
        assert np.array_equal(values, second[name]), name


def test_seed_changes_the_data_and_the_noise() -> None:
    a, b = compute(Params(seed=1)), compute(Params(seed=2))
    assert not np.array_equal(a.x, b.x)
    assert not np.array_equal(a.noisy, b.noisy)


@pytest.mark.parametrize(
    "bad",
    [
        {"sigma": -0.1},
        {"sigma": 1.05},
        {"copies": 5},
        {"copies": 401},
        {"samples": 9},
        {"samples": 201},
    ],
)
def test_parameter_bounds(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Params(**bad)


@summary_settings
@given(params=params_for(subject.Params))
def test_summary_agrees_with_the_data(params: subject.Params) -> None:
    data = subject.compute(params)
    text = subject.summary(data)
    alpha = params.samples * params.sigma**2
    ridge = np.linalg.solve(data.x.T @ data.x + alpha * np.eye(data.x.shape[1]), data.x.T @ data.y)
    plain = np.linalg.lstsq(data.x, data.y)[0]
    says(
        text,
        r"on (N) copies of the (N) inputs with noise σ = (N)",
        params.copies,
        params.samples,
        params.sigma,
    )
    says(
        text,
        r"within (N) of ridge with α = nσ² = (N)",
        float(np.max(np.abs(data.noisy - ridge))),
        alpha,
    )
    says(text, r"weight norm is (N) of plain", float(np.linalg.norm(ridge) / np.linalg.norm(plain)))


def asked_kind(kind_id: str) -> list[tuple[Params, Question]]:
    """Return the questions of one kind among the first seeds, with their variants."""
    found = [ask(subject.DEMO, seed) for seed in range(24)]
    picked = [(cast(Params, a.params), a.question) for a in found if a.kind_id == kind_id]
    assert picked, f"no seed drew {kind_id}"
    return picked


def augmented_ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    """Solve ridge as least squares on X stacked over sqrt(alpha)·I, with y over zeros."""
    d = x.shape[1]
    rows = np.vstack([x, np.sqrt(alpha) * np.eye(d)])
    weights: np.ndarray = np.linalg.lstsq(rows, np.concatenate([y, np.zeros(d)]))[0]
    return weights


def test_ridge_alpha_is_n_sigma_squared() -> None:
    for params, question in asked_kind("ridge-alpha"):
        by_hand = params.samples * params.sigma**2
        assert question.value == pytest.approx(by_hand)
        assert question.is_right(by_hand)
        # Per-sample noise variance, or n·σ, is the wrong strength.
        assert not question.is_right(params.sigma**2)
        assert not question.is_right(params.samples * params.sigma)


def test_closest_fit_is_ridge_at_n_sigma_squared() -> None:
    for params, question in asked_kind("closest-fit"):
        data = compute(params)
        away = []
        for text in question.choices:
            match = re.fullmatch(r"Ridge with α = ([0-9.e+]+)", text)
            assert match is not None or text == "Plain least squares (α = 0)", text
            alpha = 0.0 if match is None else float(match.group(1))
            away.append(float(np.linalg.norm(data.noisy - augmented_ridge(data.x, data.y, alpha))))
        right = question.choices[question.answer]
        # α as a number only: the learner works nσ² out, no formula names the right one.
        assert right.startswith("Ridge with α = ")
        assert float(right.rsplit(" ", 1)[1]) == pytest.approx(params.samples * params.sigma**2)
        assert "σ" not in "".join(question.choices)
        assert int(np.argmin(away)) == question.answer
        assert sorted(away)[1] > 2 * away[question.answer]
