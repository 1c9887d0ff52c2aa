"""BN, LN, IN and GN each give mean 0 and variance 1 over exactly their own axes."""

import re

import numpy as np
import pytest
from hypothesis import example, given
from pydantic import ValidationError

from app.demos import norm_layers as subject
from app.demos.norm_layers import DEMO, EPS, Params, compute
from app.figures.cache import draw
from app.figures.questions import Question
from tests.demos.claims import agrees, says
from tests.demos.strategies import params_for, summary_settings

CASES = [
    Params(),
    Params(samples=2, groups=1, channels_per_group=3, positions=2, seed=4),
    Params(samples=8, groups=4, channels_per_group=3, positions=6, seed=7),
    Params(samples=5, groups=3, channels_per_group=2, positions=3, seed=1),
]


def reference(x: np.ndarray, groups: int) -> np.ndarray:
    """The four normalizations by explicit loops over the sets their definitions name."""
    n, c, hw = x.shape
    size = c // groups
    out = np.empty((4, n, c, hw))

    def norm(block: np.ndarray) -> np.ndarray:
        result: np.ndarray = (block - block.mean()) / np.sqrt(block.var() + EPS)
        return result

    for j in range(c):
        out[0, :, j, :] = norm(x[:, j, :])  # BN: one channel, all samples and positions
    for i in range(n):
        out[1, i] = norm(x[i])  # LN: one sample, all channels and positions
        for j in range(c):
            out[2, i, j] = norm(x[i, j])  # IN: one sample and channel
        for g in range(groups):
            block = slice(g * size, (g + 1) * size)
            out[3, i, block] = norm(x[i, block])  # GN: one sample, one group of channels
    return out


@pytest.mark.parametrize("params", CASES)
def test_each_method_matches_its_definition(params: Params) -> None:
    data = compute(params)
    c = params.groups * params.channels_per_group
    assert data.x.shape == (params.samples, c, params.positions)
    np.testing.assert_allclose(data.normalized, reference(data.x, params.groups), atol=1e-12)


@pytest.mark.parametrize("params", CASES)
def test_mean_0_and_variance_1_over_exactly_the_right_axes(params: Params) -> None:
    data = compute(params)
    bn, ln, inorm, gn = data.normalized
    n, _, hw = data.x.shape
    grouped = gn.reshape(n, params.groups, params.channels_per_group, hw)
    raw = data.x.reshape(n, params.groups, params.channels_per_group, hw)
    for out, source, axes in (
        (bn, data.x, (0, 2)),
        (ln, data.x, (1, 2)),
        (inorm, data.x, (2,)),
        (grouped, raw, (2, 3)),
    ):
        np.testing.assert_allclose(out.mean(axis=axes), 0.0, atol=1e-12)
        # Biased variance with eps: v / (v + eps), which is 1 up to eps / v.
        raw_var = source.var(axis=axes)
        np.testing.assert_allclose(out.var(axis=axes), raw_var / (raw_var + EPS), rtol=1e-9)
        np.testing.assert_allclose(out.var(axis=axes), 1.0, atol=1.01 * EPS / raw_var.min())
        assert np.all(out.var(axis=axes) <= 1.0 + 1e-12)
    # Over other axes the means are not 0: the sets really differ.
    assert np.abs(bn.mean(axis=(1, 2))).max() > 0.05  # BN does not centre each sample
    assert np.abs(ln.mean(axis=(0, 2))).max() > 0.05  # LN does not centre each channel


def test_group_norm_with_one_group_is_layer_norm_and_with_c_groups_is_instance_norm() -> None:
    one_group = compute(Params(groups=1, channels_per_group=3, seed=2))
    np.testing.assert_allclose(one_group.normalized[3], one_group.normalized[1], atol=1e-12)
    per_channel = compute(Params(groups=4, channels_per_group=1, seed=2))
    np.testing.assert_allclose(per_channel.normalized[3], per_channel.normalized[2], atol=1e-12)
    # With 2 groups of 3 it is neither.
    mixed = compute(Params(groups=2, channels_per_group=3, seed=2))
    assert np.abs(mixed.normalized[3] - mixed.normalized[1]).max() > 0.1
    assert np.abs(mixed.normalized[3] - mixed.normalized[2]).max() > 0.1


@pytest.mark.parametrize("params", CASES)
def test_highlighted_sets_and_numbers(params: Params) -> None:
    data = compute(params)
    n, c, hw = data.x.shape
    size = params.channels_per_group
    assert data.counts.tolist() == [n * hw, c * hw, hw, size * hw]
    en, ec, ek = data.element
    for index in range(4):
        member = data.members[index]
        assert member[en, ec, ek]
        assert data.means[index] == pytest.approx(data.x[member].mean())
        assert data.stds[index] == pytest.approx(np.sqrt(data.x[member].var() + EPS))
        expected = (data.x[en, ec, ek] - data.means[index]) / data.stds[index]
        assert data.values[index] == pytest.approx(expected)
        assert data.values[index] == pytest.approx(data.normalized[index, en, ec, ek])
        # Normalizing the set on its own gives mean 0 there.
        assert abs(data.normalized[index][member].mean()) < 1e-12
    # The GN set is the element's sample and its group's channels.
    channels = np.nonzero(data.members[3][en].any(axis=1))[0]
    assert channels.tolist() == list(range((ec // size) * size, (ec // size + 1) * size))


def test_deterministic_for_the_same_params() -> None:
    first, second = compute(Params(seed=3)), compute(Params(seed=3))
    np.testing.assert_array_equal(first.x, second.x)
    np.testing.assert_array_equal(first.normalized, second.normalized)


def test_seed_changes_the_tensor() -> None:
    assert not np.array_equal(compute(Params(seed=1)).x, compute(Params(seed=2)).x)


@pytest.mark.parametrize(
    "bad",
    [
        {"samples": 1},
        {"samples": 9},
        {"groups": 0},
        {"groups": 5},
        {"channels_per_group": 0},
        {"channels_per_group": 4},
        {"positions": 1},
        {"positions": 7},
    ],
)
def test_out_of_range_params_are_rejected(bad: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        Params.model_validate(bad)


@pytest.mark.parametrize("params", [CASES[0], CASES[2]])
def test_renders_with_summary(params: Params) -> None:
    rendered = draw(DEMO, params, "png", "light")
    assert rendered.body.startswith(b"\x89PNG")
    assert "Group Norm" in rendered.alt


@summary_settings
@given(params=params_for(subject.Params))
@example(params=subject.Params(samples=2, groups=1, channels_per_group=1, positions=2, seed=10))
def test_summary_agrees_with_the_data(params: subject.Params) -> None:
    data = subject.compute(params)
    text = subject.summary(data)
    n, c, hw = (int(v) for v in data.element)
    says(text, r"\(sample (N), channel (N), position (N)\)", n, c, hw)
    variances = {}
    for k, name in enumerate(subject.METHODS):
        members = data.members[k]
        says(text, name + r" (N) \(over (N)\)", data.normalized[k, n, c, hw], int(members.sum()))
        raw = data.x[members].var()
        variances[name] = raw / (raw + subject.EPS)  # what (x - mean)/sqrt(var + eps) leaves
        assert abs(data.normalized[k][members].mean()) < 1e-9
    listed = re.search(r"variance 1\.00 except (.*?), where", text)
    if listed is None:
        assert "mean 0 and variance 1.00" in text
        assert all(round(v, 2) == 1.0 for v in variances.values()), (variances, text)
        return
    said = dict(part.rsplit(" ", 1) for part in listed.group(1).split(", "))
    for name, variance in variances.items():
        if name in said:
            assert agrees(said[name], variance), (name, text)
            assert round(variance, 2) != 1.0, (name, text)
        else:
            assert round(variance, 2) == 1.0, (name, variance, text)


def _asked(kind_id: str, seed: int) -> tuple[Params, subject.Data, Question]:
    kind = next(kind for kind in subject.QUESTIONS if kind.id == kind_id)
    rng = np.random.default_rng(seed)
    params = kind.variant(rng)
    data = compute(params)
    return params, data, kind.ask(params, data, rng)


@pytest.mark.parametrize("seed", range(8))
def test_group_size_question_answers_channels_per_group_times_positions(seed: int) -> None:
    params, data, question = _asked("group-size", seed)
    pooled = params.channels_per_group * params.positions
    # The statistics GN applies to the element are those of exactly that many elements.
    n, c, k = data.element
    first = (c // params.channels_per_group) * params.channels_per_group
    block = data.x[n, first : first + params.channels_per_group]
    assert block.size == pooled
    expected = (data.x[n, c, k] - block.mean()) / np.sqrt(block.var() + EPS)
    assert data.normalized[3, n, c, k] == pytest.approx(expected)
    assert int(question.choices[question.answer]) == pooled
    for index, text in enumerate(question.choices):
        if index != question.answer:
            assert int(text) != pooled, text


@pytest.mark.parametrize("seed", range(8))
def test_group_limit_question_answers_the_method_group_norm_equals(seed: int) -> None:
    params, data, question = _asked("group-limit", seed)
    methods = reference(data.x, params.groups)
    names = ("Batch Norm", "Layer Norm", "Instance Norm")
    equal = {name: bool(np.allclose(methods[k], methods[3])) for k, name in enumerate(names)}
    assert sum(equal.values()) == 1, equal
    answer = question.choices[question.answer]
    assert equal[answer]
    assert answer == ("Layer Norm" if params.groups == 1 else "Instance Norm")
    for index, text in enumerate(question.choices):
        if index != question.answer:
            assert text not in equal or not equal[text], text
