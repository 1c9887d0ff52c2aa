"""Minibatch gradient noise: variance ~ 1/B, and the small-batch path strays further."""

import dataclasses

import numpy as np
import pytest
from hypothesis import example, given
from pydantic import ValidationError

from app.demos import batch_size_noise as subject
from app.demos.batch_size_noise import DEMO, W_START, Data, N, Params, compute, sgd_path
from app.figures.cache import draw
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


CASES = [
    Params(),
    Params(small_batch=1, large_batch=512, lr=0.1, steps=200, seed=3),
    Params(small_batch=16, large_batch=128, lr=0.5, steps=50, seed=8),
]


@pytest.mark.parametrize("params", CASES)
def test_variance_falls_like_one_over_b(params: Params) -> None:
    data = compute(params)
    assert params.small_batch in data.batch_sizes
    assert params.large_batch in data.batch_sizes
    assert data.batch_sizes[0] == 1
    assert data.batch_sizes[-1] >= 512
    assert data.slope == pytest.approx(-1.0, abs=0.1)
    # Against the exact law E|g_B - g|^2 = tr(Sigma)/B for sampling with replacement.
    np.testing.assert_allclose(data.spread**2, data.spread_theory**2, rtol=0.3)
    # Ratios between batch sizes: variance(1) / variance(B) ~ B.
    variance = data.spread**2
    for b in (16, 256):
        ratio = variance[0] / variance[list(data.batch_sizes).index(b)]
        assert ratio == pytest.approx(b, rel=0.35)


def test_slope_is_minus_one_on_many_seeds() -> None:
    slopes = [compute(Params(seed=seed, steps=10)).slope for seed in range(10)]
    assert max(abs(slope + 1.0) for slope in slopes) < 0.1, slopes


@pytest.mark.parametrize("params", CASES)
def test_small_batch_path_strays_further_from_gradient_descent(params: Params) -> None:
    data = compute(params)
    assert data.distance_small > 2.0 * data.distance_large
    # All paths start at the same point.
    np.testing.assert_array_equal(data.path_small[0], W_START)
    np.testing.assert_array_equal(data.path_large[0], W_START)
    np.testing.assert_array_equal(data.path_gd[0], W_START)


def test_small_batch_strays_further_on_most_seeds() -> None:
    wins = 0
    for seed in range(10):
        data = compute(Params(small_batch=4, large_batch=256, steps=60, seed=seed))
        wins += data.distance_small > data.distance_large
    assert wins == 10


def test_gradient_descent_path_reaches_the_minimum_and_sgd_is_unbiased() -> None:
    data = compute(Params(lr=0.5, steps=200, seed=2))
    np.testing.assert_allclose(data.path_gd[-1], data.w_star, atol=1e-6)
    # The full-batch gradient (mean of per-example gradients) is what SGD estimates: a batch
    # holding every example once reproduces the gradient-descent step exactly.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, 2))
    y = rng.normal(size=N)
    one_step = sgd_path(x, y, np.arange(N)[None, :], 0.1, W_START)[1]
    full_gradient = x.T @ (x @ W_START - y) / N
    np.testing.assert_allclose(one_step, W_START - 0.1 * full_gradient, rtol=1e-12)


def test_deterministic_and_seed_changes_the_noise() -> None:
    params = Params(seed=5)
    assert same(compute(params), compute(params))
    other = compute(Params(seed=6))
    assert not np.array_equal(compute(params).path_small, other.path_small)
    assert not np.array_equal(compute(params).spread, other.spread)


@pytest.mark.parametrize(
    "bad",
    [
        {"small_batch": 0},
        {"small_batch": 33},
        {"large_batch": 63},
        {"large_batch": 513},
        {"lr": 0.0},
        {"lr": 0.52},
        {"steps": 9},
        {"steps": 201},
    ],
)
def test_bounds_reject_out_of_range(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Params(**bad)


def test_renders_with_summary() -> None:
    rendered = draw(DEMO, Params(), "png", "light")
    assert rendered.body.startswith(b"\x89PNG")
    assert "1/B" in rendered.alt


@summary_settings
@given(params=params_for(subject.Params))
@example(params=subject.Params(seed=7289, small_batch=30, large_batch=128, lr=0.06, steps=30))
def test_summary_agrees_with_the_data(params: subject.Params) -> None:
    data = subject.compute(params)
    text = subject.summary(data)
    slope = float(np.polyfit(np.log(data.batch_sizes), 2 * np.log(data.spread), 1)[0])
    says(text, r"slope (?:of )?(N)", slope)
    assert ("falls like 1/B" in text) == (abs(slope + 1.0) <= 0.1), (slope, text)
    small = float(np.linalg.norm(data.path_small - data.path_gd, axis=1)[1:].mean())
    large = float(np.linalg.norm(data.path_large - data.path_gd, axis=1)[1:].mean())
    says(text, r"SGD with B = (N) strays on average (N)", params.small_batch, small)
    says(
        text,
        r"path, with B = (N)(?: only| as far,| in this run even more,) (N)",
        params.large_batch,
        large,
    )
    if " only " in text:
        assert large < small
    elif "even more" in text:
        assert large > small
    else:
        assert round(large, 3) == round(small, 3)
