"""The dropout demo: drop rate p, inverted scaling, identity at test time, mean over masks = h."""

import math
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import example, given
from matplotlib.colors import to_rgba
from matplotlib.image import AxesImage
from pydantic import ValidationError

from app.demos import dropout_mask as subject
from app.demos.dropout_mask import DEMO, Params, compute
from app.figures.cache import draw
from app.figures.style import DARK, LIGHT, Palette
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


def relative_gap(output: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Return output/h - 1 over the units that are active (h > 0)."""
    active = h > 0.0
    return np.asarray(output[active] / h[active] - 1.0)


def root_mean_square(values: np.ndarray) -> float:
    return float(np.sqrt(np.mean(values**2)))


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_mean_over_masks_converges_to_the_activations(p: float) -> None:
    data = compute(Params(p=p, units=64, batch=32, seed=4))
    assert data.checkpoints == (1, 10, 100, 1000)
    spreads = []
    for k, means in zip(data.checkpoints, data.checkpoint_means, strict=True):
        error = math.sqrt(p / (1.0 - p) / k)  # standard error of mean/h - 1 for one unit
        gap = relative_gap(means, data.activations)
        assert gap.size > 1000
        # Over the layer the gap spreads as one standard error; past 100 masks no unit strays
        # beyond five (a single Bernoulli mask, or ten, is too lumpy for that bound).
        assert root_mean_square(gap) == pytest.approx(error, rel=0.15)
        if k >= 100:
            assert float(np.max(np.abs(gap))) <= 5.0 * error
        spreads.append(root_mean_square(gap))
    # Ten times the masks, a third of the gap (1/sqrt(10) = 0.32).
    for fewer, more in pairwise(spreads):
        assert more < 0.45 * fewer


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_checkpoint_means_count_kept_masks(p: float) -> None:
    data = compute(Params(p=p, units=64, batch=32, seed=12))
    np.testing.assert_array_equal(data.checkpoint_means[0], data.train_output)
    np.testing.assert_array_equal(data.mean_output, data.checkpoint_means[-1])
    active = data.activations > 0.0
    k = np.asarray(data.checkpoints)[:, None]
    # mean over k masks = h * (times kept) / (k (1-p)): the count is a whole number that grows
    # by at most the number of masks added between checkpoints.
    kept = data.checkpoint_means[:, active] / data.activations[active] * k * (1.0 - p)
    np.testing.assert_allclose(kept, np.round(kept), atol=1e-6)
    steps = np.diff(np.round(kept), axis=0)
    assert np.all(steps >= 0)
    assert np.all(steps <= np.diff(k, axis=0))


def test_mean_over_masks_stays_at_zero_where_relu_gave_zero() -> None:
    data = compute(Params(p=0.5, units=64, batch=32, seed=6))
    silent = data.activations == 0.0
    assert silent.any()
    assert np.all(data.checkpoint_means[:, silent] == 0.0)
    assert np.all(data.train_output[silent] == 0.0)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_running_means_average_scaled_masks_and_close_in_on_h(p: float) -> None:
    data = compute(Params(p=p, units=64, batch=32, seed=8))
    masks = data.checkpoints[-1]
    assert data.running_mean.shape == (len(data.traced), masks)
    assert len(data.traced) == 3
    k = np.arange(1, masks + 1)
    for trace, (row, col) in zip(data.running_mean, data.traced, strict=True):
        h = data.activations[row, col]
        assert h > 0.0
        # Mask 1 is the one drawn; at each checkpoint the trace is the layer's mean.
        np.testing.assert_allclose(
            trace[np.asarray(data.checkpoints) - 1], data.checkpoint_means[:, row, col]
        )
        # Each new mask adds 0 (dropped) or h/(1-p) (kept) to the running sum.
        added = np.diff(np.concatenate([[0.0], trace * k]))
        kept = np.isclose(added, h / (1.0 - p))
        assert np.all(kept | np.isclose(added, 0.0))
        assert abs(float(kept.mean()) - (1.0 - p)) <= sampling_tolerance(p, masks)
        # From 100 masks on, the running mean stays within five standard errors of h.
        error = math.sqrt(p / (1.0 - p)) * h / np.sqrt(k)
        assert np.all(np.abs(trace[99:] - h) <= 5.0 * error[99:])


def test_traced_units_span_the_active_activations() -> None:
    data = compute(Params(p=0.5, units=64, batch=32, seed=1))
    active = data.activations[data.activations > 0.0]
    traced = [data.activations[row, col] for row, col in data.traced]
    assert traced[0] == active.max()
    assert traced == sorted(traced, reverse=True)


def test_p_zero_gives_h_exactly_under_every_mask() -> None:
    data = compute(Params(p=0.0, units=64, batch=32, seed=9))
    for means in data.checkpoint_means:
        np.testing.assert_array_equal(means, data.activations)
    for trace, (row, col) in zip(data.running_mean, data.traced, strict=True):
        np.testing.assert_array_equal(trace, np.full(trace.size, data.activations[row, col]))


def marked_cells(image: AxesImage) -> np.ndarray:
    """Return which cells of the drawn heatmap are masked (drawn in the dropped colour)."""
    values = image.get_array()
    assert values is not None
    return np.ma.getmaskarray(values)


@pytest.mark.parametrize("palette", [LIGHT, DARK])
@pytest.mark.parametrize("p", [0.0, 0.3, 0.9])
def test_marked_units_are_exactly_the_masks_zeros(p: float, palette: Palette) -> None:
    data = compute(Params(p=p, units=64, batch=32, seed=5))
    image = DEMO.figure(data, palette).axes[0].images[0]
    np.testing.assert_array_equal(marked_cells(image), data.scaled_mask == 0.0)
    # Dropped units take a colour of their own, which no activation, 0 included, is drawn in.
    bad = image.cmap.get_bad()
    assert tuple(bad) == to_rgba(palette.warn)
    ramp = image.cmap(np.linspace(0.0, 1.0, 256))
    assert float(np.min(np.abs(ramp - bad).sum(axis=1))) > 0.3


def test_relu_zeros_that_the_mask_keeps_are_not_marked() -> None:
    data = compute(Params(p=0.5, units=64, batch=32, seed=5))
    image = DEMO.figure(data, LIGHT).axes[0].images[0]
    kept_zero = (data.activations == 0.0) & (data.scaled_mask > 0.0)
    assert kept_zero.any()
    assert not marked_cells(image)[kept_zero].any()


def test_links_made_before_still_open() -> None:
    for values in ({"p": 0.0, "units": 4, "batch": 1}, {"p": 0.9, "units": 64, "batch": 32}):
        params = Params.model_validate({**values, "seed": 9999})
        assert compute(params).activations.shape == (params.batch, params.units)


@summary_settings
@given(params=params_for(subject.Params))
@example(params=subject.Params(p=0.9, units=4, batch=1, seed=0))
@example(params=subject.Params(p=0.5, units=4, batch=1, seed=22))  # every activation is 0
@example(params=subject.Params(p=0.0, units=64, batch=32, seed=3))
@example(params=subject.Params(p=5e-324, units=4, batch=1, seed=0))
@example(params=subject.Params(p=1e-10, units=64, batch=32, seed=0))
def test_summary_agrees_with_the_data(params: subject.Params) -> None:
    data = subject.compute(params)
    text = subject.summary(data)
    h = data.activations
    says(
        text,
        r"p = (N), this mask drops (N) of the (N) activations",
        params.p,
        float(np.mean(data.scaled_mask == 0)),
        params.batch * params.units,
    )
    relu = float(np.mean(h == 0.0))
    if relu > 0:
        says(text, r"apart from the (N) that ReLU had already set to 0", relu)
    else:
        assert "none of which ReLU had set to 0" in text, text
    says(text, r"scales the kept ones by 1/\(1-p\) = (N)", 1.0 / (1.0 - params.p))
    assert text.endswith("At test time the layer passes h unchanged."), text
    np.testing.assert_array_equal(data.test_output, data.activations)
    if not np.any(h > 0.0):
        assert "every activation is already 0 here, so every output is 0" in text, text
        assert np.all(data.train_output == 0.0)
        assert np.all(data.checkpoint_means == 0.0)
        return
    masks = data.checkpoints[-1]
    if params.p == 0.0 or "both equal h exactly" in text:
        says(text, r"its mean over (N) masks both equal h exactly", masks)
        np.testing.assert_array_equal(data.train_output, h)
        np.testing.assert_array_equal(data.mean_output, h)
        return
    stated = []
    for k, means in zip(data.checkpoints, data.checkpoint_means, strict=True):
        stated += [root_mean_square(relative_gap(means, h)), k]
    says(
        text,
        r"gap from h is (N) after (N) mask, (N) after (N), (N) after (N) and (N) after (N)",
        *stated,
    )
    error = math.sqrt(params.p / (1.0 - params.p) / masks)
    if error == 0.0:
        assert "standard error" not in text, text
        return
    says(text, r"a standard error sqrt\(p/\(1-p\)/k\) of (N) at k = (N)", error, masks)
    farthest = float(np.max(np.abs(relative_gap(data.mean_output, h)))) / error
    says(text, r"the farthest unit ends (N) standard errors from h", farthest)
