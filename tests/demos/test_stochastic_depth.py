"""The stochastic depth demo: linear survival p_l, sampled rates, expected depth."""

import dataclasses
import re
from typing import cast

import numpy as np
import pytest
from hypothesis import given
from matplotlib.patches import StepPatch
from pydantic import ValidationError

from app.demos import stochastic_depth as subject
from app.demos.stochastic_depth import Data, Params, compute, survival
from app.figures.questions import Question, ask
from app.figures.style import LIGHT
from tests.demos.claims import agrees, says, stated
from tests.demos.strategies import params_for, summary_settings


def _arrays(data: Data) -> dict[str, np.ndarray]:
    return {f.name: np.asarray(getattr(data, f.name)) for f in dataclasses.fields(data)}


@pytest.mark.parametrize(("blocks", "p_last"), [(24, 0.5), (4, 0.1), (64, 0.8), (10, 1.0)])
def test_survival_decays_linearly_to_p_last(blocks: int, p_last: float) -> None:
    p = compute(Params(blocks=blocks, p_last=p_last)).survival
    layers = np.arange(1, blocks + 1)
    np.testing.assert_allclose(p, 1 - layers / blocks * (1 - p_last))
    assert p[-1] == pytest.approx(p_last)
    assert p[0] == pytest.approx(1 - (1 - p_last) / blocks)
    assert np.all(np.diff(p) <= 0)


@pytest.mark.parametrize(("blocks", "p_last"), [(16, 0.5), (8, 0.1)])
def test_empirical_survival_matches_p_l(blocks: int, p_last: float) -> None:
    runs = [
        compute(Params(blocks=blocks, p_last=p_last, iterations=400, seed=s)) for s in range(50)
    ]
    active = np.concatenate([run.active for run in runs], axis=1)  # 20 000 iterations
    p = survival(blocks, p_last)
    rate = active.mean(axis=1)
    tolerance = 5 * np.sqrt(p * (1 - p) / active.shape[1])  # five standard errors
    assert np.all(np.abs(rate - p) <= tolerance)
    # and each run reports its own rates and depths consistently
    run = runs[0]
    np.testing.assert_array_equal(run.empirical, run.active.mean(axis=1))
    np.testing.assert_array_equal(run.depth, run.active.sum(axis=0))
    # the mean sampled depth is the expected depth, within five standard errors
    depth = active.sum(axis=0)
    spread = np.sqrt((p * (1 - p)).sum() / depth.size)
    assert abs(depth.mean() - p.sum()) <= 5 * spread


@pytest.mark.parametrize(("blocks", "p_last"), [(24, 0.5), (54, 0.5), (7, 0.3)])
def test_expected_depth_is_the_sum_of_survival_probabilities(blocks: int, p_last: float) -> None:
    data = compute(Params(blocks=blocks, p_last=p_last))
    assert data.expected_depth == pytest.approx(data.survival.sum())
    # the arithmetic series: L - (1 - p_L)(L + 1)/2
    assert data.expected_depth == pytest.approx(blocks - (1 - p_last) * (blocks + 1) / 2)


def test_resnet_110_numbers() -> None:
    # Huang et al.: 54 blocks, p_L = 0.5 -> about 40.25 expected blocks (vs 54)
    assert compute(Params(blocks=54, p_last=0.5)).expected_depth == pytest.approx(40.25)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_p_last_one_keeps_every_block(seed: int) -> None:
    data = compute(Params(blocks=64, p_last=1.0, iterations=400, seed=seed))
    assert data.active.all()
    assert np.all(data.depth == 64)
    assert data.expected_depth == 64.0


def test_same_parameters_give_identical_data() -> None:
    first, second = _arrays(compute(Params(seed=3))), _arrays(compute(Params(seed=3)))
    for name, values in first.items():
        assert np.array_equal(values, second[name]), name


def test_seed_changes_the_sampled_blocks() -> None:
    a, b = compute(Params(seed=1)), compute(Params(seed=2))
    assert not np.array_equal(a.active, b.active)
    np.testing.assert_array_equal(a.survival, b.survival)


@pytest.mark.parametrize(
    "bad",
    [
        {"blocks": 3},
        {"blocks": 65},
        {"p_last": 0.05},
        {"p_last": 1.01},
        {"iterations": 40},
        {"iterations": 401},
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
    blocks = params.blocks
    p = 1.0 - np.arange(1, blocks + 1) / blocks * (1.0 - params.p_last)
    if "falls linearly" in text:
        says(text, r"from (N) at block 1 to (N) at block (N)", p[0], params.p_last, blocks)
        assert round(p[0], 2) != round(params.p_last, 2)
    else:
        says(text, r"Every block survives with probability (N)", p[0])
        assert agrees(stated(text, r"probability (N)")[0], params.p_last)
    says(text, r"Σp_l = (N) of (N) blocks", float(p.sum()), blocks)
    says(text, r"sampled mean (N)", float(data.active.sum(axis=0).mean()))


def asked_kind(kind_id: str) -> list[tuple[Params, Question]]:
    """Return the questions of one kind among the first seeds, with their variants."""
    found = [ask(subject.DEMO, seed) for seed in range(40)]
    picked = [(cast(Params, a.params), a.question) for a in found if a.kind_id == kind_id]
    assert picked, f"no seed drew {kind_id}"
    return picked


def test_block_survival_follows_the_linear_rule() -> None:
    for params, question in asked_kind("block-survival"):
        match = re.search(r"does block (\d+) run", question.prompt)
        assert match is not None
        block = int(match.group(1))
        assert 1 <= block < params.blocks
        by_hand = 1.0 - block / params.blocks * (1.0 - params.p_last)
        assert question.value == pytest.approx(by_hand)
        assert question.is_right(round(by_hand, 2))
        # Every block at p_L, or the decay running the wrong way, is wrong for early blocks.
        if block <= params.blocks // 2:
            assert not question.is_right(params.p_last)
        if abs(2 * block - params.blocks) > 2:
            assert not question.is_right(1.0 - (1.0 - block / params.blocks) * (1 - params.p_last))


def test_expected_depth_is_the_sum_of_survivals() -> None:
    for params, question in asked_kind("expected-depth"):
        by_hand = sum(
            1.0 - k / params.blocks * (1.0 - params.p_last) for k in range(1, 1 + params.blocks)
        )
        assert question.value == pytest.approx(by_hand)
        assert question.is_right(by_hand)
        # Neither every block nor every block at the last block's survival.
        assert not question.is_right(float(params.blocks))
        assert not question.is_right(params.blocks * params.p_last)


def test_the_caption_leads_with_skipping_only_when_a_block_can_be_skipped() -> None:
    skipping = subject.summary(subject.compute(subject.Params()))
    assert skipping.startswith("Stochastic depth skips residual blocks at random in training")
    none = subject.summary(subject.compute(subject.Params(p_last=1.0)))
    assert none.startswith("With every block's survival at 1, no block is skipped")


@pytest.mark.parametrize("blocks", [4, 24, 64])
def test_histogram_counts_every_sampled_depth(blocks: int) -> None:
    data = compute(Params(blocks=blocks))
    figure = subject.DEMO.figure(data, LIGHT)
    (steps,) = [patch for patch in figure.axes[2].patches if isinstance(patch, StepPatch)]
    counts, edges, _ = steps.get_data()
    np.testing.assert_array_equal(counts, [np.sum(data.depth == k) for k in range(blocks + 1)])
    np.testing.assert_array_equal(edges, np.arange(blocks + 2) - 0.5)
