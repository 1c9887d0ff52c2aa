"""Dropout drops whole input units (columns of W); DropConnect drops single weights."""

import math
from typing import cast

import numpy as np
import pytest
from hypothesis import given
from pydantic import ValidationError

from app.demos import dropconnect as subject
from app.demos.dropconnect import DEMO, Params, compute
from app.figures.cache import draw
from app.figures.questions import Question, ask
from tests.demos.claims import says
from tests.demos.strategies import params_for, summary_settings


def column_states(mask: np.ndarray) -> tuple[int, int, int]:
    """Count columns that are all kept, all dropped and mixed."""
    kept = mask.sum(axis=0)
    rows = mask.shape[0]
    return (
        int(np.sum(kept == rows)),
        int(np.sum(kept == 0)),
        int(np.sum((kept > 0) & (kept < rows))),
    )


@pytest.mark.parametrize(
    "params",
    [Params(), Params(p=0.2, seed=4), Params(p=0.8, inputs=24, outputs=16, seed=9)],
)
def test_dropout_drops_whole_columns_dropconnect_scatters(params: Params) -> None:
    data = compute(params)
    full, empty, mixed = column_states(data.dropout_mask)
    assert mixed == 0
    assert full + empty == params.inputs
    assert empty == data.dropped_units
    # Every column of the dropout mask is constant: all weights of a unit go together.
    assert np.all(data.dropout_mask == data.dropout_mask[:1, :])
    # DropConnect zeroes weights independently, so some columns are partly kept.
    _, _, scattered = column_states(data.dropconnect_mask)
    assert scattered >= 1
    assert scattered == data.mixed_columns
    # And its zeros are not whole columns: rows of the mask differ.
    assert not np.all(data.dropconnect_mask == data.dropconnect_mask[:1, :])


def test_masked_weights_are_w_times_mask() -> None:
    data = compute(Params(p=0.5, seed=1))
    np.testing.assert_array_equal(data.dropout_weights, data.weights * data.dropout_mask)
    np.testing.assert_array_equal(data.dropconnect_weights, data.weights * data.dropconnect_mask)
    assert set(np.unique(data.dropout_mask).tolist()) <= {0.0, 1.0}
    assert set(np.unique(data.dropconnect_mask).tolist()) <= {0.0, 1.0}
    assert data.dropout_zero_rate == pytest.approx(float(np.mean(data.dropout_weights == 0.0)))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_each_zero_rate_is_close_to_p(p: float) -> None:
    runs = [compute(Params(p=p, inputs=24, outputs=16, seed=seed)) for seed in range(60)]
    units = 60 * 24  # dropout draws one Bernoulli per input unit
    weights = units * 16  # DropConnect draws one per weight
    dropout_rate = float(np.mean([run.dropout_zero_rate for run in runs]))
    dropconnect_rate = float(np.mean([run.dropconnect_zero_rate for run in runs]))
    assert abs(dropout_rate - p) <= 5 * math.sqrt(p * (1 - p) / units)
    assert abs(dropconnect_rate - p) <= 5 * math.sqrt(p * (1 - p) / weights)
    # One large draw is already close for DropConnect.
    assert abs(runs[0].dropconnect_zero_rate - p) <= 5 * math.sqrt(p * (1 - p) / (24 * 16))


def test_p_zero_keeps_every_weight() -> None:
    data = compute(Params(p=0.0))
    np.testing.assert_array_equal(data.dropout_weights, data.weights)
    np.testing.assert_array_equal(data.dropconnect_weights, data.weights)
    assert data.dropped_units == 0
    assert data.mixed_columns == 0


def test_shapes_follow_params() -> None:
    data = compute(Params(inputs=5, outputs=13))
    assert data.weights.shape == data.dropout_mask.shape == data.dropconnect_mask.shape == (13, 5)


def test_deterministic_for_the_same_params() -> None:
    first, second = compute(Params(seed=5)), compute(Params(seed=5))
    np.testing.assert_array_equal(first.weights, second.weights)
    np.testing.assert_array_equal(first.dropout_mask, second.dropout_mask)
    np.testing.assert_array_equal(first.dropconnect_mask, second.dropconnect_mask)


def test_seed_changes_the_draw() -> None:
    first, second = compute(Params(seed=1)), compute(Params(seed=2))
    assert not np.array_equal(first.weights, second.weights)
    assert not np.array_equal(first.dropconnect_mask, second.dropconnect_mask)


@pytest.mark.parametrize(
    "bad",
    [
        {"p": -0.1},
        {"p": 0.91},
        {"inputs": 3},
        {"inputs": 25},
        {"outputs": 3},
        {"outputs": 17},
        {"seed": 10_000},
    ],
)
def test_out_of_range_params_are_rejected(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Params.model_validate(bad)


@pytest.mark.parametrize("params", [Params(), Params(p=0.9, inputs=24, outputs=16)])
def test_renders_with_summary(params: Params) -> None:
    rendered = draw(DEMO, params, "png", "light")
    assert rendered.body.startswith(b"\x89PNG")
    assert f"p = {params.p:.2f}" in rendered.alt


@summary_settings
@given(params=params_for(subject.Params))
def test_summary_agrees_with_the_data(params: subject.Params) -> None:
    data = subject.compute(params)
    text = subject.summary(data)
    rows, cols = data.weights.shape
    dropped = int(np.sum(np.all(data.dropout_mask == 0, axis=0)))
    kept = data.dropconnect_mask.sum(axis=0)
    says(text, r"p = (N)", params.p)
    if dropped:
        says(text, r"dropped (N) of (N) input units", dropped, cols)
        says(text, r"columns of W \((N) of weights\)", float(np.mean(data.dropout_mask == 0)))
    else:
        assert f"dropped none of the {cols} input units" in text
    says(text, r"DropConnect zeroed (N) of the weights", float(np.mean(data.dropconnect_mask == 0)))
    says(
        text,
        r"leaving (N) of (N) columns partly kept",
        int(np.sum((kept > 0) & (kept < rows))),
        cols,
    )


QUESTION_SEEDS = range(40)


def asked_kind(kind_id: str) -> list[tuple[Params, Question]]:
    """Return the questions of one kind among the first seeds, with their variants."""
    found = [ask(DEMO, seed) for seed in QUESTION_SEEDS]
    picked = [(a.params, a.question) for a in found if a.kind_id == kind_id]
    assert picked, f"no seed drew {kind_id}"
    return [(cast(Params, params), question) for params, question in picked]


def test_dropout_zeros_counts_whole_columns() -> None:
    for params, question in asked_kind("dropout-zeros"):
        data = compute(params)
        dead_columns = int(np.sum(np.all(data.dropout_weights == 0.0, axis=0)))
        assert 0 < dead_columns < params.inputs
        assert question.value == dead_columns * params.outputs
        assert f"drops {dead_columns} of the {params.inputs} input units" in question.prompt
        assert question.is_right(float(dead_columns * params.outputs))
        # One zero per dropped unit, or whole rows instead of columns, are wrong.
        assert not question.is_right(float(dead_columns))
        if params.inputs != params.outputs:
            assert not question.is_right(float(dead_columns * params.inputs))


def test_dropconnect_share_is_the_drawn_share_not_the_keep_rate() -> None:
    for params, question in asked_kind("dropconnect-share"):
        data = compute(params)
        share = 100.0 * float(np.mean(data.dropconnect_weights == 0.0))
        assert question.value == pytest.approx(share)
        assert question.is_right(share)
        assert not question.is_right(100.0 * (1.0 - params.p))
        assert abs(params.p - 0.5) >= 0.2
        assert params.inputs * params.outputs >= 192
