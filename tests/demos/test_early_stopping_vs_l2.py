"""Early stopping against L2: GD stopped at tau is close to ridge at alpha = 1/(tau eta)."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from pydantic import ValidationError

from app.demos import early_stopping_vs_l2 as subject
from app.demos.early_stopping_vs_l2 import DEMO, Data, N, Params, compute, make_problem
from app.figures.cache import draw
from app.figures.questions import Question
from tests.demos.claims import says
from tests.demos.strategies import params_for, summary_settings


def same(left: Data, right: Data) -> bool:
    """Return whether two Data objects hold equal values."""
    for field in dataclasses.fields(left):
        a, b = getattr(left, field.name), getattr(right, field.name)
        if isinstance(a, np.ndarray):
            if not np.array_equal(a, b):
                return False
        elif a != b:
            return False
    return True


def iterate_gd(x: np.ndarray, y: np.ndarray, eta: float, tau: int) -> np.ndarray:
    """Plain gradient descent on (1/2n)||y - Xw||^2 from w = 0, by hand."""
    w = np.zeros(2)
    for _ in range(tau):
        w = w - eta * x.T @ (x @ w - y) / len(y)
    return w


@pytest.mark.parametrize(
    "params",
    [Params(), Params(tau=300, eta=0.01, kappa=30, seed=4), Params(tau=3, eta=1.5, kappa=2)],
)
def test_points_are_gradient_descent_and_ridge_as_defined(params: Params) -> None:
    data = compute(params)
    x, y = make_problem(params.kappa, params.seed)
    np.testing.assert_allclose(data.w_gd, iterate_gd(x, y, params.eta, params.tau), rtol=1e-9)
    # Ridge (1/2n)||y - Xw||^2 + (alpha/2)||w||^2: its gradient vanishes at w_ridge, i.e.
    # (X^T X + n alpha I) w = X^T y (sklearn's Ridge with alpha_sklearn = n * alpha).
    assert data.alpha == pytest.approx(1.0 / (params.tau * params.eta))
    lhs = (x.T @ x + N * data.alpha * np.eye(2)) @ data.w_ridge
    np.testing.assert_allclose(lhs, x.T @ y, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(data.w_ls, np.linalg.lstsq(x, y, rcond=None)[0], rtol=1e-9)


@pytest.mark.parametrize(
    "params",
    [
        Params(tau=1),
        Params(tau=2),
        Params(tau=5),  # tau * eta * lambda_max <= 0.25: both are in the linear regime
        Params(tau=20, eta=0.005, kappa=30, seed=2),
        Params(tau=5000, eta=0.1, kappa=10, seed=1),  # tau * eta * lambda_min >= 50
        Params(tau=5000, eta=0.05, kappa=5, seed=6),
    ],
)
def test_gd_at_tau_and_ridge_at_one_over_tau_eta_nearly_coincide(params: Params) -> None:
    data = compute(params)
    assert data.relative_distance < 0.15, data.relative_distance
    assert np.linalg.norm(data.w_gd - data.w_ridge) < 0.15 * np.linalg.norm(data.w_gd)


def test_gap_never_exceeds_the_first_order_bound_for_a_small_step() -> None:
    # Per eigen-direction the kept fractions are 1 - (1 - eta lam)^tau ~ 1 - exp(-x) and
    # x / (1 + x), x = tau eta lam; their relative gap is at most 0.23 (at x ~ 1.8).
    worst = 0.0
    for kappa in (1.0, 10.0, 50.0):
        for tau in (1, 3, 10, 30, 100, 300, 1000, 3000, 5000):
            data = compute(Params(tau=tau, eta=0.01, kappa=kappa, seed=3))
            worst = max(worst, data.relative_distance)
    assert 0.15 < worst < 0.24, worst


def test_large_step_breaks_the_equivalence() -> None:
    # eta * lambda = 1.5 overshoots past least squares in one step; ridge never does.
    data = compute(Params(tau=1, eta=1.5, kappa=1.0))
    assert np.linalg.norm(data.w_gd) > 1.4 * np.linalg.norm(data.w_ls)
    assert np.linalg.norm(data.w_ridge) < np.linalg.norm(data.w_ls)
    assert data.relative_distance > 0.5


@pytest.mark.parametrize(
    "params", [Params(), Params(eta=0.005, kappa=50, seed=7), Params(eta=1.0, kappa=3)]
)
def test_both_paths_run_from_zero_to_least_squares(params: Params) -> None:
    data = compute(params)
    assert data.gd_steps[0] == 0
    np.testing.assert_array_equal(data.gd_path[0], [0.0, 0.0])
    np.testing.assert_array_equal(data.ridge_path[0], [0.0, 0.0])
    scale = float(np.linalg.norm(data.w_ls))
    np.testing.assert_allclose(data.gd_path[-1], data.w_ls, atol=1e-3 * scale)
    np.testing.assert_allclose(data.ridge_path[-1], data.w_ls, rtol=1e-12)
    # The ridge path moves monotonically outward in norm as alpha decreases.
    norms = np.linalg.norm(data.ridge_path, axis=1)
    assert np.all(np.diff(norms) >= -1e-12)


def test_problem_has_the_requested_conditioning() -> None:
    data = compute(Params(kappa=25.0, seed=5))
    np.testing.assert_allclose(np.linalg.eigvalsh(data.hessian), [1.0 / 25.0, 1.0], rtol=1e-9)


def test_deterministic_and_seed_changes_the_problem() -> None:
    params = Params(seed=5)
    assert same(compute(params), compute(params))
    assert not np.array_equal(compute(params).w_ls, compute(Params(seed=6)).w_ls)


@pytest.mark.parametrize(
    "bad",
    [{"tau": 0}, {"tau": 5001}, {"eta": 0.001}, {"eta": 1.6}, {"kappa": 0.5}, {"kappa": 51}],
)
def test_bounds_reject_out_of_range(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Params(**bad)


def test_renders_with_summary() -> None:
    rendered = draw(DEMO, Params(), "png", "dark")
    assert rendered.body.startswith(b"\x89PNG")
    assert "α = 1/(τη)" in rendered.alt


@summary_settings
@given(params=params_for(subject.Params))
def test_summary_agrees_with_the_data(params: subject.Params) -> None:
    data = subject.compute(params)
    text = subject.summary(data)
    h, w_ls = data.hessian, data.w_ls
    w = np.zeros(2)
    for _ in range(params.tau):  # gradient descent on the quadratic, step by step
        w = w - params.eta * (h @ (w - w_ls))
    alpha = 1.0 / (params.tau * params.eta)
    ridge = np.linalg.solve(h + alpha * np.eye(2), h @ w_ls)
    says(text, r"τ = (N) gradient-descent steps of size η = (N)", params.tau, params.eta)
    says(text, r"the weights are \((N), (N)\)", w[0], w[1])
    says(text, r"1/\(τη\) = (N) gives \((N), (N)\)", alpha, ridge[0], ridge[1])
    gap = float(np.linalg.norm(w - ridge) / np.linalg.norm(w))
    says(text, r"relative gap of (N)", gap)
    says(text, r"least-squares weights \((N), (N)\)", w_ls[0], w_ls[1])
    step = params.eta * float(np.linalg.eigvalsh(h).max())
    says(text, r"ηλ_max = (N)", step)
    if "the gap stays under 24%" in text:
        assert gap < 0.24
        assert step <= 0.05
    if "zigzags" in text:
        assert step > 1


QUESTION_SEEDS = range(8)


def asked(kind_id: str, seed: int) -> tuple[Params, Data, Question]:
    """Draw one kind's variant for a seed and ask it on a fresh compute()."""
    kind = next(kind for kind in subject.QUESTIONS if kind.id == kind_id)
    rng = np.random.default_rng(seed)
    params = kind.variant(rng)
    data = compute(params)
    return params, data, kind.ask(params, data, rng)


@pytest.mark.parametrize("seed", QUESTION_SEEDS)
def test_ridge_alpha_is_one_over_tau_eta(seed: int) -> None:
    params, data, question = asked("ridge-alpha", seed)
    assert question.value * data.tau * data.eta == pytest.approx(1.0)
    # Ridge at the answer's alpha is the ridge point the figure marks.
    x, y = make_problem(params.kappa, params.seed)
    ridge = np.linalg.solve(x.T @ x / N + question.value * np.eye(2), x.T @ y / N)
    np.testing.assert_allclose(ridge, data.w_ridge, rtol=1e-9, atol=1e-12)
    for wrong in (data.tau * data.eta, 1.0 / data.tau, 1.0 / data.eta):
        assert not question.is_right(wrong)


@pytest.mark.parametrize("seed", QUESTION_SEEDS)
def test_gradient_descent_falls_shortest_along_the_flat_direction_closest_along_the_steep(
    seed: int,
) -> None:
    _, data, question = asked("shrunk-direction", seed)
    low, high = np.linalg.eigvalsh(data.hessian)
    # Per direction GD holds 1 - (1 - eta lambda)^tau of the least-squares weight.
    kept_low, kept_high = (1.0 - (1.0 - data.eta * lam) ** data.tau for lam in (low, high))
    assert kept_low < kept_high - 0.05
    shortest = "fall shortest of the least-squares weight?" in question.prompt
    assert shortest != ("come closest to the least-squares weight?" in question.prompt)
    side = "low" if shortest else "high"
    assert question.choices[question.answer].startswith(f"the {side}-curvature direction")
    assert sum(text.startswith(f"the {side}-curvature") for text in question.choices) == 1


def test_shrunk_direction_asks_both_ways_round() -> None:
    prompts = [asked("shrunk-direction", seed)[2].prompt for seed in QUESTION_SEEDS]
    assert any("fall shortest of" in prompt for prompt in prompts)
    assert any("come closest to" in prompt for prompt in prompts)
