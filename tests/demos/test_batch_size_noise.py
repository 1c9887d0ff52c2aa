"""Small batches end in the flat minimum more often, so their test loss is lower; noise ~ 1/B."""

import dataclasses
import re

import numpy as np
import pytest
from hypothesis import example, given
from pydantic import ValidationError

from app.demos import batch_size_noise as subject
from app.demos.batch_size_noise import (
    DEMO,
    POINTS,
    RUNS,
    Data,
    N,
    Params,
    compute,
    draw_counts,
    minibatch_gradient,
    per_example_gradients,
    template,
    training_loss,
)
from app.figures.cache import draw
from app.figures.questions import Question
from app.figures.wording import sig
from tests.demos.claims import says, says_change
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


def full_gradient(w: np.ndarray) -> np.ndarray:
    """L'(w) by central differences of the training loss, independent of the demo's slopes."""
    h = 1e-5
    result: np.ndarray = (training_loss(w + h) - training_loss(w - h)) / (2 * h)
    return result


# Example i of the N sits at point i // (N / 8): the dataset the demo describes.
EXAMPLE_POINTS = np.repeat(POINTS, N // len(POINTS))

CASES = [
    Params(),
    Params(small_batch=1, large_batch=512, lr=0.1, steps=200, seed=3),
    Params(small_batch=16, large_batch=128, lr=0.5, steps=50, seed=8),
]


def test_training_loss_is_the_mean_of_the_per_example_losses() -> None:
    w = np.linspace(-2.0, 2.5, 7)
    per_example = template(w[:, None] - EXAMPLE_POINTS[None, :])
    np.testing.assert_allclose(training_loss(w), per_example.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(
        per_example_gradients(w).mean(axis=1), full_gradient(w), rtol=1e-6, atol=1e-8
    )


def test_a_minibatch_of_drawn_indices_gives_the_counted_gradient() -> None:
    rng = np.random.default_rng(1)
    w = np.array([-0.9, 0.3, 1.1])
    per_example = per_example_gradients(w)  # (3 runs, 8 points)
    for size in (1, 5, 64, 300):
        rows = rng.integers(0, N, size=(3, size))  # B example indices per run
        point_of = rows // (N // len(POINTS))
        literal = np.take_along_axis(per_example, point_of, axis=1).mean(axis=1)
        counts = np.stack([np.bincount(row, minlength=len(POINTS)) for row in point_of])
        np.testing.assert_allclose(minibatch_gradient(w, counts), literal, rtol=1e-12)
        np.testing.assert_array_equal(EXAMPLE_POINTS[rows], POINTS[point_of])


def test_counts_are_a_multinomial_draw_of_the_batch() -> None:
    rng = np.random.default_rng(2)
    size, draws = 40, 40_000
    counts = draw_counts(rng, np.array(size), (draws,))
    assert np.all(counts.sum(axis=1) == size)
    assert np.all(counts >= 0)
    p = 1 / len(POINTS)
    np.testing.assert_allclose(counts.mean(axis=0), size * p, rtol=0.03)
    covariance = np.cov(counts.T)
    np.testing.assert_allclose(np.diag(covariance), size * p * (1 - p), rtol=0.06)
    off = covariance[~np.eye(len(POINTS), dtype=bool)]
    np.testing.assert_allclose(off, -size * p * p, rtol=0.25)


def test_minibatch_gradient_is_unbiased() -> None:
    rng = np.random.default_rng(3)
    w = np.array([-1.2, -0.9, -0.3, 0.5, 0.86, 2.0])
    counts = draw_counts(rng, np.array(4), (20_000, len(w)))
    estimates = minibatch_gradient(np.broadcast_to(w, (20_000, len(w))), counts)
    standard_error = estimates.std(axis=0) / np.sqrt(len(estimates))
    assert np.all(np.abs(estimates.mean(axis=0) - full_gradient(w)) < 4 * standard_error)
    # A batch that holds every point equally often is the full batch.
    even = np.full((len(w), len(POINTS)), 16)
    np.testing.assert_allclose(minibatch_gradient(w, even), full_gradient(w), atol=1e-8)


def test_two_minima_alike_in_training_loss_but_not_in_sharpness() -> None:
    data = compute(Params())
    for w in (data.sharp, data.flat):
        assert abs(full_gradient(np.array(w))) < 1e-8
    assert data.sharp < data.barrier < data.flat
    assert data.sharp_curvature > 5 * data.flat_curvature > 0
    assert abs(data.sharp_train - data.flat_train) < 0.01
    # The test loss is the training loss with the data shifted: near a minimum it rises by
    # about curvature * shift^2 / 2, so the sharp minimum pays several times more.
    small = compute(Params(shift=0.05))
    for excess, curvature in (
        (small.sharp_test - small.sharp_train, small.sharp_curvature),
        (small.flat_test - small.flat_train, small.flat_curvature),
    ):
        assert excess == pytest.approx(curvature * 0.05**2 / 2, rel=0.25)
    assert data.sharp_test - data.sharp_train > 3 * (data.flat_test - data.flat_train)


def test_gradient_descent_keeps_each_run_in_the_basin_it_starts_in() -> None:
    data = compute(Params(lr=0.5, steps=200))
    np.testing.assert_array_equal(data.end_gd > data.barrier, data.starts > data.barrier)
    assert 0.4 < data.flat_gd < 0.6  # the starts straddle the barrier about evenly
    near = np.where(data.end_gd > data.barrier, data.flat, data.sharp)
    np.testing.assert_allclose(data.end_gd, near, atol=1e-3)


def test_small_batch_ends_flat_far_more_often_over_seeds() -> None:
    wins = 0
    for seed in range(10):
        data = compute(Params(seed=seed))
        assert len(data.end_small) == RUNS
        wins += data.flat_small > data.flat_large + 0.3
        assert abs(data.flat_large - data.flat_gd) <= 0.05  # a large batch acts like GD
    assert wins >= 9


def test_small_batch_has_the_lower_test_loss_over_seeds() -> None:
    lower = 0
    for seed in range(10):
        data = compute(Params(seed=seed))
        lower += data.test_small < data.test_large - 0.005
    assert lower >= 9


def test_noise_at_the_sharp_minimum_is_what_lets_the_small_batch_out() -> None:
    data = compute(Params())
    # Spread of per-example gradients: far wider at the sharp minimum.
    assert data.spread_theory[0] > 10 * data.spread_flat_theory[0]
    # Runs that start in the flat basin, clear of the barrier, stay there whatever the batch.
    started_flat = data.starts > data.barrier
    clear = data.starts > data.barrier + 0.1
    assert np.all(data.end_small[clear] > data.barrier)
    assert np.all(data.end_large[clear] > data.barrier)
    # Runs that start in the sharp basin leave it mostly with the small batch only.
    assert np.mean(data.end_small[~started_flat] > data.barrier) > 0.8
    assert np.mean(data.end_large[~started_flat] > data.barrier) < 0.05


@pytest.mark.parametrize("params", CASES)
def test_variance_falls_like_one_over_b(params: Params) -> None:
    data = compute(params)
    assert params.small_batch in data.batch_sizes
    assert params.large_batch in data.batch_sizes
    assert data.batch_sizes[0] == 1
    assert data.batch_sizes[-1] >= 512
    assert data.slope == pytest.approx(-1.0, abs=0.1)
    # Against the exact law E|g_B - g|^2 = sigma^2 / B for sampling with replacement.
    np.testing.assert_allclose(data.spread**2, data.spread_theory**2, rtol=0.3)
    np.testing.assert_allclose(data.spread_flat**2, data.spread_flat_theory**2, rtol=0.3)
    variance = data.spread**2
    for b in (16, 256):
        ratio = variance[0] / variance[list(data.batch_sizes).index(b)]
        assert ratio == pytest.approx(b, rel=0.35)


def test_slope_is_minus_one_on_many_seeds() -> None:
    slopes = [compute(Params(seed=seed, steps=10)).slope for seed in range(10)]
    assert max(abs(slope + 1.0) for slope in slopes) < 0.1, slopes


def test_deterministic_and_seed_changes_the_noise() -> None:
    params = Params(seed=5)
    assert same(compute(params), compute(params))
    other = compute(Params(seed=6))
    assert not np.array_equal(compute(params).end_small, other.end_small)
    assert not np.array_equal(compute(params).spread, other.spread)


def test_every_value_allowed_before_is_allowed() -> None:
    for values in (
        {"small_batch": 1, "large_batch": 64, "lr": 0.02, "steps": 10},
        {"small_batch": 32, "large_batch": 512, "lr": 0.5, "steps": 200},
        {"small_batch": 17, "large_batch": 96, "lr": 0.26, "steps": 70, "seed": 9999},
    ):
        compute(Params(**values))


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
        {"shift": 0.0},
        {"shift": 0.45},
    ],
)
def test_bounds_reject_out_of_range(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Params(**bad)


def test_renders_with_summary() -> None:
    rendered = draw(DEMO, Params(), "png", "light")
    assert rendered.body.startswith(b"\x89PNG")
    assert "1/B" in rendered.alt
    assert "more often than" in rendered.alt


@summary_settings
@given(params=params_for(subject.Params))
@example(params=subject.Params(seed=7289, small_batch=30, large_batch=128, lr=0.06, steps=30))
@example(params=subject.Params(lr=0.02, steps=10, shift=0.05))
@example(params=subject.Params(small_batch=32, large_batch=64, lr=0.5, steps=200, shift=0.4))
def test_summary_agrees_with_the_data(params: subject.Params) -> None:
    data = subject.compute(params)
    text = subject.summary(data)
    flat_small = float(np.mean(data.end_small > data.barrier))
    flat_large = float(np.mean(data.end_large > data.barrier))
    flat_gd = float(np.mean(data.end_gd > data.barrier))
    says(
        text,
        r"Of (N) runs, SGD with B = (N) ends in the flat basin",
        len(data.end_small),
        params.small_batch,
    )
    says(
        text,
        r"(?:more often than|less often than|as often as) with B = (N): (N) against (N) "
        r"\(full batch (N)\)",
        params.large_batch,
        flat_small,
        flat_large,
        flat_gd,
    )
    small, large = re.findall(r"(\d+)% against (\d+)%", text)[0]
    if "as often as" in text:
        assert small == large
    elif "more often than" in text:
        assert small != large
        assert flat_small > flat_large
    else:
        assert "less often than" in text
        assert small != large
        assert flat_small < flat_large

    def excess(w: float) -> float:
        return float(training_loss(np.array(w - params.shift)) - training_loss(np.array(w)))

    says(
        text,
        r"shifted by (N), test minus training loss is (N) at the sharp minimum and (N) at "
        r"the flat one",
        params.shift,
        excess(data.sharp),
        excess(data.flat),
    )
    says(
        text,
        r"from B = (N) to B = (N) the mean final test loss",
        params.large_batch,
        params.small_batch,
    )
    test_small = float(np.mean(training_loss(data.end_small - params.shift)))
    test_large = float(np.mean(training_loss(data.end_large - params.shift)))
    says_change(text, "mean final test loss", test_large, test_small)

    slope = float(np.polyfit(np.log(data.batch_sizes), 2 * np.log(data.spread), 1)[0])
    says(text, r"slope (?:of )?(N)", slope)
    assert ("falls like 1/B" in text) == (abs(slope + 1.0) <= 0.1), (slope, text)
    ratio = float(
        np.std(per_example_gradients(np.array(data.sharp)))
        / np.std(per_example_gradients(np.array(data.flat)))
    )
    says(text, r"spread (N) times wider at the sharp minimum than at the flat one", ratio)


QUESTION_SEEDS = range(6)


def asked(kind_id: str, seed: int) -> tuple[Data, Question]:
    """Draw one kind's variant for a seed and ask it on a fresh compute()."""
    kind = next(kind for kind in subject.QUESTIONS if kind.id == kind_id)
    rng = np.random.default_rng(seed)
    params = kind.variant(rng)
    data = compute(params)
    return data, kind.ask(params, data, rng)


@pytest.mark.parametrize("seed", QUESTION_SEEDS)
def test_the_small_batch_ends_in_the_flat_basin_most_often(seed: int) -> None:
    data, question = asked("flat-basin", seed)
    # Count the runs past the barrier afresh rather than trusting the stored shares.
    shares = {
        f"B = {data.small_batch}": float(np.mean(data.end_small > data.barrier)),
        f"B = {data.large_batch}": float(np.mean(data.end_large > data.barrier)),
        "full batch (gradient descent)": float(np.mean(data.end_gd > data.barrier)),
    }
    assert question.choices[question.answer] == f"B = {data.small_batch}"
    top = shares[f"B = {data.small_batch}"]
    for index, text in enumerate(question.choices):
        if index == question.answer:
            continue
        if text in shares:
            assert shares[text] < top - subject.CLEAR
        else:
            assert text.startswith("all about equally")
            assert top - min(shares.values()) > subject.CLEAR


@pytest.mark.parametrize("seed", QUESTION_SEEDS)
def test_batch_noise_answer_is_sigma_over_root_b(seed: int) -> None:
    data, question = asked("batch-noise", seed)
    # The per-example gradients at the sharp minimum, one per point, equally weighted.
    sigma = float(np.std(subject.per_example_gradients(np.array(data.sharp))))
    assert f"σ = {sig(sigma)}" in question.prompt
    b = data.large_batch
    assert question.is_right(sigma / np.sqrt(b))
    # Neither the unaveraged spread nor a 1/B fall is accepted.
    assert not question.is_right(sigma)
    assert not question.is_right(sigma / b)
