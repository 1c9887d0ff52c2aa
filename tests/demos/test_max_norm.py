"""Max-norm: with the cap every row norm stays <= c after every step; without it some exceed c."""

import numpy as np
import pytest
from hypothesis import given
from pydantic import ValidationError

from app.demos import max_norm as subject
from app.demos.max_norm import DEMO, NEURONS, Params, compute
from app.figures.cache import draw
from app.figures.questions import Question
from tests.demos.claims import says
from tests.demos.strategies import params_for, summary_settings

CASES = [Params(), Params(c=1.0, lr=0.1, steps=300, seed=3), Params(c=1.5, lr=0.02, seed=8)]


@pytest.mark.parametrize("params", CASES)
def test_capped_rows_never_exceed_c(params: Params) -> None:
    data = compute(params)
    assert data.capped_norms.shape == data.free_norms.shape == (params.steps + 1, NEURONS)
    assert np.all(data.capped_norms <= params.c + 1e-12)
    # The cap is active: some row is held exactly at c.
    assert np.isclose(data.capped_norms[-1], params.c, rtol=1e-12).any()


@pytest.mark.parametrize("params", CASES)
def test_without_the_cap_some_rows_exceed_c(params: Params) -> None:
    data = compute(params)
    assert data.free_norms[-1].max() > params.c + 0.1
    assert np.sum(data.free_norms[-1] > params.c) >= 1
    # The norms grow while SGD fits the noise: final norms above the early ones.
    assert data.free_norms[-1].mean() > data.free_norms[params.steps // 4].mean()


def test_rows_inside_the_ball_train_exactly_as_without_the_cap() -> None:
    data = compute(Params(c=2.0))
    never_capped = np.all(data.free_norms <= 2.0, axis=0)
    assert 1 <= never_capped.sum() < NEURONS
    np.testing.assert_allclose(
        data.capped_norms[:, never_capped], data.free_norms[:, never_capped], rtol=1e-12
    )


def test_a_large_cap_changes_nothing() -> None:
    data = compute(Params(c=5.0, seed=1))
    assert data.free_norms.max() < 5.0
    np.testing.assert_allclose(data.capped_norms, data.free_norms, rtol=1e-12)
    assert data.capped_loss == pytest.approx(data.free_loss)


def test_the_cap_helps_held_out_error_here() -> None:
    for seed in range(3):
        data = compute(Params(c=2.0, seed=seed))
        assert data.capped_loss < data.free_loss - 0.2


def test_deterministic_for_the_same_params() -> None:
    first, second = compute(Params(seed=4)), compute(Params(seed=4))
    np.testing.assert_array_equal(first.free_norms, second.free_norms)
    np.testing.assert_array_equal(first.capped_norms, second.capped_norms)
    assert first.free_loss == second.free_loss


def test_seed_changes_the_run() -> None:
    first, second = compute(Params(seed=1)), compute(Params(seed=2))
    assert not np.array_equal(first.free_norms, second.free_norms)


@pytest.mark.parametrize(
    "bad",
    [
        {"c": 0.4},
        {"c": 5.5},
        {"lr": 0.0},
        {"lr": 0.11},
        {"steps": 99},
        {"steps": 801},
        {"seed": 10_000},
    ],
)
def test_out_of_range_params_are_rejected(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Params.model_validate(bad)


@pytest.mark.parametrize("params", [Params(), Params(c=0.5, lr=0.1, steps=800)])
def test_renders_with_summary(params: Params) -> None:
    rendered = draw(DEMO, params, "png", "dark")
    assert rendered.body.startswith(b"\x89PNG")
    assert f"c = {params.c:g}" in rendered.alt


@summary_settings
@given(params=params_for(subject.Params))
def test_summary_agrees_with_the_data(params: subject.Params) -> None:
    data = subject.compute(params)
    text = subject.summary(data)
    says(text, r"largest row norm ends at (N)", float(data.free_norms[-1].max()))
    says(text, r"c = (N)", params.c)
    assert data.capped_norms.max() <= params.c * (1 + 1e-12)  # "every row stays at or below c"
    says(text, r"\(largest (N)\)", float(data.capped_norms.max()))
    says(text, r"held-out error (N) without and (N) with", data.free_loss, data.capped_loss)


QUESTION_SEEDS = range(8)


def asked(kind_id: str, seed: int) -> tuple[Params, Question]:
    """Draw one kind's variant for a seed and ask it on a fresh compute()."""
    kind = next(kind for kind in subject.QUESTIONS if kind.id == kind_id)
    rng = np.random.default_rng(seed)
    params = kind.variant(rng)
    return params, kind.ask(params, compute(params), rng)


@pytest.mark.parametrize("seed", QUESTION_SEEDS)
def test_largest_norm_under_a_tight_cap_is_the_cap(seed: int) -> None:
    params, question = asked("largest-norm", seed)
    data = compute(params)
    assert question.value == pytest.approx(params.c, abs=1e-9)
    # Plain SGD's largest row and the teacher's largest row both lie beyond the tolerance.
    assert not question.is_right(float(data.free_norms[-1].max()))
    assert not question.is_right(float(subject.TEACHER_NORMS.max()))


@pytest.mark.parametrize("seed", QUESTION_SEEDS)
def test_a_row_inside_the_ball_trains_as_without_the_cap(seed: int) -> None:
    params, question = asked("untouched-row", seed)
    data = compute(params)
    row = int(np.argmin(data.free_norms.max(axis=0)))
    assert data.free_norms[:, row].max() < params.c
    np.testing.assert_allclose(data.capped_norms[:, row], data.free_norms[:, row], rtol=1e-12)
    assert question.is_right(float(data.free_norms[-1, row]))
    # A row pushed out to the cap is refused.
    assert not question.is_right(params.c)
