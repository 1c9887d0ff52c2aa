"""BN in training: per-feature mean 0, variance 1; batch-mate noise shrinks like 1/sqrt(B)."""

import re

import numpy as np
import pytest
from hypothesis import given
from pydantic import ValidationError

from app.demos import batch_norm_noise as subject
from app.demos.batch_norm_noise import DEMO, Params, batch_norm, compute
from app.figures.cache import draw
from app.figures.questions import Question
from tests.demos.claims import says, says_change
from tests.demos.strategies import params_for, summary_settings


@pytest.mark.parametrize(
    "params", [Params(), Params(batch=2, seed=3), Params(batch=77, seed=1), Params(batch=256)]
)
def test_after_bn_each_feature_has_mean_0_and_variance_1(params: Params) -> None:
    data = compute(params)
    assert data.before.shape == data.after.shape == (params.batch, 2)
    np.testing.assert_allclose(data.after.mean(axis=0), 0.0, atol=1e-12)
    # Biased variance: var / (var + eps), so 1 up to eps / var.
    raw_var = data.before.var(axis=0)
    np.testing.assert_allclose(data.after.var(axis=0), raw_var / (raw_var + params.eps))
    np.testing.assert_allclose(data.after.var(axis=0), 1.0, atol=1e-3)


def test_uses_biased_variance_and_eps_like_torch() -> None:
    x = np.array([[1.0, 0.0], [3.0, 4.0], [5.0, 8.0]])
    out = batch_norm(x, 1e-5)
    # Biased variances are 8/3 and 32/3.
    expected_first = (x[:, 0] - 3.0) / np.sqrt(8.0 / 3.0 + 1e-5)
    np.testing.assert_allclose(out[:, 0], expected_first)
    big_eps = batch_norm(x, 0.1)
    np.testing.assert_allclose(
        big_eps.var(axis=0), [(8 / 3) / (8 / 3 + 0.1), (32 / 3) / (32 / 3 + 0.1)]
    )


def test_batch_of_two_normalizes_to_plus_minus_one() -> None:
    data = compute(Params(batch=2))
    var = data.before.var(axis=0)
    np.testing.assert_allclose(np.abs(data.after), np.tile(np.sqrt(var / (var + 1e-5)), (2, 1)))
    np.testing.assert_allclose(np.abs(data.after), 1.0, atol=1e-3)
    assert np.all(np.sign(data.after[0]) == -np.sign(data.after[1]))


@pytest.mark.parametrize("params", [Params(), Params(seed=5), Params(batch=100, eps=0.1, seed=2)])
def test_noise_shrinks_like_one_over_sqrt_batch(params: Params) -> None:
    data = compute(params)
    powers = np.isin(data.sizes, [2, 4, 8, 16, 32, 64, 128, 256])
    sizes, spread = data.sizes[powers], data.spread[powers]
    assert sizes.tolist() == [2, 4, 8, 16, 32, 64, 128, 256]
    # Decreasing at every doubling, and by about sqrt(256 / 2) = 11 overall.
    assert np.all(np.diff(spread) < 0)
    assert 6.0 < spread[0] / spread[-1] < 16.0
    # From B = 8 on, std * sqrt(B) is nearly constant: about sqrt(1 + z^2/2) = 1.22.
    scaled = spread[sizes >= 8] * np.sqrt(sizes[sizes >= 8])
    assert np.all((scaled > 0.95) & (scaled < 1.55))
    # The value scatters around the population (eval-mode) value, not somewhere else.
    assert abs(data.center[-1] - data.population_value) < 0.03
    assert data.population_value == pytest.approx(1.5 / np.sqrt(1.5**2 + params.eps))


def test_marked_batch_size_is_in_the_sweep() -> None:
    data = compute(Params(batch=100))
    assert 100 in data.sizes.tolist()
    assert data.batch_spread == data.spread[data.sizes.tolist().index(100)]
    assert data.spread[data.sizes.tolist().index(64)] > data.batch_spread
    assert data.batch_spread > data.spread[data.sizes.tolist().index(128)]


def test_deterministic_for_the_same_params() -> None:
    first, second = compute(Params(seed=8)), compute(Params(seed=8))
    np.testing.assert_array_equal(first.before, second.before)
    np.testing.assert_array_equal(first.spread, second.spread)
    np.testing.assert_array_equal(first.shown, second.shown)


def test_seed_changes_the_draw() -> None:
    first, second = compute(Params(seed=1)), compute(Params(seed=2))
    assert not np.array_equal(first.before, second.before)
    assert not np.array_equal(first.spread, second.spread)
    np.testing.assert_array_equal(first.before[0], second.before[0])  # the fixed sample


@pytest.mark.parametrize(
    "bad", [{"batch": 1}, {"batch": 257}, {"eps": 0.0}, {"eps": 0.2}, {"seed": -1}]
)
def test_out_of_range_params_are_rejected(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Params.model_validate(bad)


@pytest.mark.parametrize("params", [Params(), Params(batch=256, eps=0.1)])
def test_renders_with_summary(params: Params) -> None:
    rendered = draw(DEMO, params, "png", "dark")
    assert rendered.body.startswith(b"\x89PNG")
    assert f"B = {params.batch}" in rendered.alt


@summary_settings
@given(params=params_for(subject.Params))
def test_summary_agrees_with_the_data(params: subject.Params) -> None:
    data = subject.compute(params)
    text = subject.summary(data)
    mean, var = data.after.mean(axis=0), data.after.var(axis=0)
    says(text, r"mean (N) and (N) and variance (N) and (N)", mean[0], mean[1], var[0], var[1])
    at = int(np.flatnonzero(data.sizes == params.batch)[0])
    says(text, r"std (N) at B = (N)", data.spread[at], params.batch)
    says_change(text, "that std", data.spread[0], data.spread[-1])
    says(text, r"as B goes from (N) to (N)", data.sizes[0], data.sizes[-1])
    slope = float(np.polyfit(np.log(data.sizes), np.log(data.spread), 1)[0])
    says(text, r"slope (N)", slope)
    assert ("about 1/sqrt(B)" in text) == (abs(slope + 0.5) <= 0.1), (slope, text)


def _asked(kind_id: str, seed: int) -> tuple[Params, Question]:
    kind = next(kind for kind in subject.QUESTIONS if kind.id == kind_id)
    rng = np.random.default_rng(seed)
    params = kind.variant(rng)
    return params, kind.ask(params, compute(params), rng)


def _outputs(batch: int, eps: float, seed: int, batches: int = 4000) -> np.ndarray:
    """Return feature 1's BN output for the value 5.5 among fresh N(4, 1.5^2) batch-mates."""
    mates = np.random.default_rng([seed, batch]).normal(4.0, 1.5, size=(batches, batch - 1))
    x = np.concatenate([np.full((batches, 1), 5.5), mates], axis=1)
    result: np.ndarray = (x[:, 0] - x.mean(axis=1)) / np.sqrt(x.var(axis=1) + eps)
    return result


@pytest.mark.parametrize("seed", range(6))
def test_quadruple_batch_question_answers_about_half_the_std(seed: int) -> None:
    params, question = _asked("quadruple-batch", seed)
    match = re.search(r"its std is (\d+\.\d\d)", question.prompt)
    assert match, question.prompt
    stated = float(match.group(1))
    now = float(_outputs(params.batch, params.eps, seed).std())
    later = float(_outputs(4 * params.batch, params.eps, seed).std())
    assert stated == pytest.approx(now, rel=0.15)
    assert later / now == pytest.approx(0.5, abs=0.1)
    assert float(question.choices[question.answer]) == pytest.approx(later, rel=0.15)
    for index, text in enumerate(question.choices):
        if index != question.answer:
            assert abs(float(text) / later - 1) > 0.3, text


@pytest.mark.parametrize("seed", range(6))
def test_average_output_question_answers_the_population_value(seed: int) -> None:
    params, question = _asked("average-output", seed)
    population = 1.5 / np.sqrt(1.5**2 + params.eps)
    average = float(_outputs(params.batch, params.eps, seed).mean())
    answer = float(question.choices[question.answer])
    assert answer == pytest.approx(population, abs=0.005 + 1e-9)
    assert abs(average - answer) < 0.1
    for index, text in enumerate(question.choices):
        if index != question.answer:
            assert abs(average - float(text)) > abs(average - answer), text
