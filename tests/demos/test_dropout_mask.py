"""The reference dropout demo: drop rate p, inverted scaling, identity at test time."""

import math

import numpy as np
import pytest
from hypothesis import example, given
from pydantic import ValidationError

from app.demos import dropout_mask as subject
from app.demos.dropout_mask import DEMO, Params, compute
from app.figures.cache import draw
from tests.demos.claims import says
from tests.demos.strategies import params_for, summary_settings


def sampling_tolerance(p: float, n: int) -> float:
    """Five standard deviations of a Bernoulli(p) fraction over n draws (0 when p is 0)."""
    return 5.0 * math.sqrt(p * (1.0 - p) / n)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_zero_fraction_is_close_to_p(p: float) -> None:
    params = Params(p=p, units=64, batch=32, seed=3)
    data = compute(params)
    n = params.units * params.batch
    assert data.scaled_mask.shape == (32, 64)
    assert abs(data.zero_fraction - p) <= sampling_tolerance(p, n)
    assert data.zero_fraction == pytest.approx(float(np.mean(data.scaled_mask == 0.0)))


def test_zero_fraction_averages_to_p_over_seeds() -> None:
    fractions = [
        compute(Params(p=0.3, units=64, batch=32, seed=s)).zero_fraction for s in range(40)
    ]
    assert abs(float(np.mean(fractions)) - 0.3) <= sampling_tolerance(0.3, 40 * 64 * 32)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_scaled_mask_keeps_the_mean(p: float) -> None:
    data = compute(Params(p=p, units=64, batch=32, seed=11))
    n = 64 * 32
    # The scaled mask is 0 or 1/(1-p); its mean is (fraction kept)/(1-p).
    assert set(np.unique(data.scaled_mask).tolist()) == {0.0, 1.0 / (1.0 - p)}
    assert data.mask_mean == pytest.approx((1.0 - data.zero_fraction) / (1.0 - p))
    assert abs(data.mask_mean - 1.0) <= sampling_tolerance(p, n) / (1.0 - p)


def test_training_output_is_activations_times_scaled_mask() -> None:
    data = compute(Params(p=0.4, units=64, batch=32, seed=5))
    np.testing.assert_array_equal(data.train_output, data.activations * data.scaled_mask)
    # Where kept, outputs are scaled up by exactly 1/(1-p).
    kept = data.scaled_mask > 0
    np.testing.assert_allclose(data.train_output[kept], data.activations[kept] / 0.6)
    assert np.all(data.train_output[~kept] == 0.0)


@pytest.mark.parametrize("p", [0.0, 0.5, 0.9])
def test_test_output_is_the_activations(p: float) -> None:
    data = compute(Params(p=p, seed=2))
    np.testing.assert_array_equal(data.test_output, data.activations)
    assert not np.shares_memory(data.test_output, data.activations)


def test_p_zero_keeps_everything() -> None:
    data = compute(Params(p=0.0, units=64, batch=32, seed=9))
    assert data.zero_fraction == 0.0
    assert data.mask_mean == 1.0
    assert np.all(data.scaled_mask == 1.0)
    np.testing.assert_array_equal(data.train_output, data.activations)


def test_deterministic_for_the_same_params() -> None:
    first, second = compute(Params(seed=7)), compute(Params(seed=7))
    np.testing.assert_array_equal(first.activations, second.activations)
    np.testing.assert_array_equal(first.scaled_mask, second.scaled_mask)
    np.testing.assert_array_equal(first.train_output, second.train_output)


def test_seed_changes_the_draw() -> None:
    first, second = compute(Params(seed=1)), compute(Params(seed=2))
    assert not np.array_equal(first.activations, second.activations)
    assert not np.array_equal(first.scaled_mask, second.scaled_mask)


@pytest.mark.parametrize(
    "bad",
    [
        {"p": -0.05},
        {"p": 0.95},
        {"units": 3},
        {"units": 65},
        {"batch": 0},
        {"batch": 33},
        {"seed": -1},
        {"seed": 10_000},
    ],
)
def test_out_of_range_params_are_rejected(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Params.model_validate(bad)


def test_renders_with_summary() -> None:
    rendered = draw(DEMO, Params(), "png", "dark")
    assert rendered.body.startswith(b"\x89PNG")
    assert "p = 0.50" in rendered.alt


@summary_settings
@given(params=params_for(subject.Params))
@example(params=subject.Params(p=0.9, units=4, batch=1, seed=0))
def test_summary_agrees_with_the_data(params: subject.Params) -> None:
    data = subject.compute(params)
    text = subject.summary(data)
    mean = float(data.scaled_mask.mean())
    says(
        text,
        r"p = (N), (N) of the units are zeroed",
        params.p,
        float(np.mean(data.scaled_mask == 0)),
    )
    says(text, r"scaled by 1/\(1-p\) = (N)", 1.0 / (1.0 - params.p))
    says(text, r"scaled mask averages (N)", mean)
    # "about 1" means within 0.15 of it; otherwise the text must say it is not.
    assert ("(about 1, its expected value)" in text) == (abs(mean - 1.0) <= 0.15), text
    np.testing.assert_array_equal(data.test_output, data.activations)
