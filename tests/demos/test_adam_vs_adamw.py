"""Adam + L2 against AdamW: the published update rules, and who decays how much."""

import dataclasses

import numpy as np
import pytest
from hypothesis import example, given
from pydantic import ValidationError

from app.demos import adam_vs_adamw as subject
from app.demos.adam_vs_adamw import (
    BETA1,
    BETA2,
    DEMO,
    EPS,
    Data,
    Params,
    adam_l2_step,
    adamw_step,
    compute,
)
from app.figures.cache import draw
from app.figures.questions import Question
from tests.demos.claims import agrees, says, stated
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


def reference_adam(
    w: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray, t: int, lr: float, wd: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """torch.optim.Adam's documented algorithm with weight_decay: g <- g + wd*w."""
    g = g + wd * w
    m = BETA1 * m + (1 - BETA1) * g
    v = BETA2 * v + (1 - BETA2) * g**2
    m_hat = m / (1 - BETA1**t)
    v_hat = v / (1 - BETA2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + EPS), m, v


def reference_adamw(
    w: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray, t: int, lr: float, wd: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """torch.optim.AdamW's documented algorithm: w <- w - lr*wd*w, then the Adam step on g."""
    w = w - lr * wd * w
    m = BETA1 * m + (1 - BETA1) * g
    v = BETA2 * v + (1 - BETA2) * g**2
    m_hat = m / (1 - BETA1**t)
    v_hat = v / (1 - BETA2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + EPS), m, v


@pytest.mark.parametrize("t", [1, 2, 7, 300])
def test_one_step_matches_the_published_rules(t: int) -> None:
    rng = np.random.default_rng(t)
    w, g = rng.normal(size=6), rng.normal(size=6) * np.logspace(-3, 1, 6)
    m, v = rng.normal(size=6) * 0.1, rng.uniform(0.0, 0.5, size=6)
    for ours, reference in ((adam_l2_step, reference_adam), (adamw_step, reference_adamw)):
        got = ours(w, g, m, v, t, 0.01, 0.3)
        want = reference(w, g, m, v, t, 0.01, 0.3)
        for a, b in zip(got, want, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_the_two_rules_differ_and_coincide_without_decay() -> None:
    w, g = np.array([1.0, -2.0]), np.array([0.5, 0.01])
    m, v = np.zeros(2), np.zeros(2)
    with_decay = adam_l2_step(w, g, m, v, 1, 0.01, 0.5)[0], adamw_step(w, g, m, v, 1, 0.01, 0.5)[0]
    assert not np.allclose(*with_decay)
    without = adam_l2_step(w, g, m, v, 1, 0.01, 0.0)[0], adamw_step(w, g, m, v, 1, 0.01, 0.0)[0]
    np.testing.assert_array_equal(*without)
    # First Adam step is lr * sign(g) (m_hat / sqrt(v_hat) = g / |g|).
    np.testing.assert_allclose(without[0], w - 0.01 * np.sign(g), rtol=1e-6)


@pytest.mark.parametrize(
    "params",
    [Params(), Params(lr=0.001, wd=1.0, steps=1000), Params(lr=0.05, wd=0.05, steps=200)],
)
def test_adamw_decays_every_weight_by_the_same_factor(params: Params) -> None:
    data = compute(params)
    assert data.scales[0] == 0.0
    # Zero loss gradient: exactly w_t = w_0 (1 - lr*wd)^t.
    expected = (1.0 - params.lr * params.wd) ** np.arange(params.steps + 1)
    np.testing.assert_allclose(data.w_adamw[:, 0], expected, rtol=1e-12)
    np.testing.assert_allclose(data.decay_only, expected, rtol=1e-12)
    # The weights with a loss gradient follow one and the same trajectory whatever its scale
    # (the adaptive step is scale-free) ...
    moving = data.w_adamw[:, 1:]
    np.testing.assert_allclose(moving, moving[:, [0]] * np.ones((1, moving.shape[1])), atol=1e-6)
    # ... which stays on the decay curve up to the adaptive steps' small offset (< 2 lr:
    # the first step is a full lr, later ones alternate and mostly cancel).
    gap = np.abs(moving - expected[:, None]).max()
    assert gap < 2.0 * params.lr, gap


@pytest.mark.parametrize("params", [Params(), Params(lr=0.005, wd=0.5, steps=800)])
def test_adam_l2_decays_by_gradient_scale(params: Params) -> None:
    data = compute(params)
    end = data.w_adam_l2[-1]
    expected = data.decay_only[-1]
    # Decay shrinks with gradient history: monotone in the scale s ...
    assert np.all(np.diff(end) > 0), end
    # ... the weight with s = 10 keeps far more than AdamW's (1 - lr*wd)^t (< 0.5 here), the
    # one with no loss gradient collapses to about 0.
    assert expected < 0.5
    assert end[-1] > max(0.75, 2 * expected)
    assert abs(end[0]) < 0.05
    # ... so the relative shrink spreads over > 0.7, against < 0.05 for AdamW.
    assert end[-1] - end[0] > 0.7
    assert np.ptp(data.w_adamw[-1]) < 0.05


def test_adam_l2_without_loss_gradient_steps_about_lr_whatever_wd() -> None:
    lr = 0.01
    small = compute(Params(lr=lr, wd=0.05, steps=50)).w_adam_l2[:, 0]
    large = compute(Params(lr=lr, wd=1.0, steps=50)).w_adam_l2[:, 0]
    # The normalized step (wd*w)/sqrt(v) is sign-like: early steps are ~lr, independent of wd.
    first_steps = -np.diff(small[:21])
    assert np.all(first_steps > 0.9 * lr), first_steps
    assert np.all(first_steps < 1.0001 * lr), first_steps
    np.testing.assert_allclose(small[:21], large[:21], atol=0.02 * lr * 20)
    # AdamW with these wd values would differ by a factor of ~20 in shrink.
    adamw_small = compute(Params(lr=lr, wd=0.05, steps=50)).w_adamw[20, 0]
    adamw_large = compute(Params(lr=lr, wd=1.0, steps=50)).w_adamw[20, 0]
    assert (1 - adamw_large) > 15 * (1 - adamw_small)


def test_deterministic_and_seed_is_unused() -> None:
    params = Params(lr=0.02, wd=0.3, steps=300, seed=4)
    assert same(compute(params), compute(params))
    assert same(compute(params), compute(Params(lr=0.02, wd=0.3, steps=300, seed=99)))


@pytest.mark.parametrize(
    "bad",
    [{"lr": 0.0}, {"lr": 0.06}, {"wd": 0.0}, {"wd": 1.1}, {"steps": 40}, {"steps": 1001}],
)
def test_bounds_reject_out_of_range(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Params(**bad)


def test_renders_with_summary() -> None:
    rendered = draw(DEMO, Params(), "png", "light")
    assert rendered.body.startswith(b"\x89PNG")
    assert "AdamW" in rendered.alt


@summary_settings
@given(params=params_for(subject.Params))
@example(params=subject.Params(lr=0.05, wd=0.01, steps=50))
def test_summary_agrees_with_the_data(params: subject.Params) -> None:
    data = subject.compute(params)
    text = subject.summary(data)
    decay = (1.0 - params.lr * params.wd) ** params.steps
    end = data.w_adamw[-1]
    says(text, r"After (N) steps with lr = (N) and wd = (N)", params.steps, params.lr, params.wd)
    says(text, r"\(1 − lr·wd\)\^t = (N)", decay)
    near = np.abs(end - decay) <= 0.01
    if "whatever its gradient scale" in text:
        assert near.all(), (end, decay, text)
        span = stated(text, r"every weight at ([-0-9.–]+) of its start")[0]
        low, _, high = span.partition("–")
        assert agrees(low, float(end.min()))
        assert agrees(high or low, float(end.max()))
    else:
        assert not near.all()
        moved = end[~near]
        if near.any():
            kept = stated(text, r"leaves the weights with gradient scale ([0-9., ]+);")[0]
            assert kept.split(", ") == [f"{scale:g}" for scale in data.scales[near]]
        span = stated(text, r"it at ([-0-9.–]+) of their start")[0]
        low, _, high = span.partition("–")
        assert agrees(low, float(moved.min()))
        assert agrees(high or low, float(moved.max()))
        others = stated(text, r"those with gradient scale ([0-9., ]+) end")[0]
        assert others.split(", ") == [f"{scale:g}" for scale in data.scales[~near]]
        side = stated(text, r"end (below|above|away from) it")[0]
        if side == "below":
            assert (moved < decay).all()
        elif side == "above":
            assert (moved > decay).all()
    says(
        text,
        r"gradient scale 10 at (N) and the one with gradient scale 0 at (N)",
        data.w_adam_l2[-1, 3],
        data.w_adam_l2[-1, 0],
    )


QUESTION_SEEDS = range(8)


def asked(kind_id: str, seed: int) -> tuple[Data, Question]:
    """Draw one kind's variant for a seed and ask it on a fresh compute()."""
    kind = next(kind for kind in subject.QUESTIONS if kind.id == kind_id)
    rng = np.random.default_rng(seed)
    params = kind.variant(rng)
    data = compute(params)
    return data, kind.ask(params, data, rng)


def scale_named(text: str) -> float | None:
    """Return the gradient size a choice names, or None for the "all alike" choice."""
    return float(text.rsplit("s = ", 1)[1]) if "s = " in text else None


@pytest.mark.parametrize("seed", QUESTION_SEEDS)
def test_least_shrunk_is_the_largest_gradient_under_l2_and_none_under_adamw(seed: int) -> None:
    data, question = asked("least-shrunk", seed)
    adamw = "steps of AdamW" in question.prompt
    assert adamw != ("steps of Adam with L2" in question.prompt)
    ends = data.w_adamw[-1] if adamw else data.w_adam_l2[-1]
    right = scale_named(question.choices[question.answer])
    if adamw:
        # Decoupled decay: every weight shrinks alike, whatever its gradient.
        assert right is None
        assert ends.max() - ends.min() <= 0.05
    else:
        # Coupled decay is divided by the gradient's size: the s = 10 weight barely shrinks.
        assert right == float(subject.SCALES.max())
        assert ends[-1] == ends.max()
    for index, text in enumerate(question.choices):
        if index == question.answer:
            continue
        scale = scale_named(text)
        if scale is None:
            assert ends.max() - ends.min() > 0.05
        else:
            assert ends[list(subject.SCALES).index(scale)] < ends.max()
            if not adamw:
                assert ends[list(subject.SCALES).index(scale)] < ends.max() - 0.05


def test_least_shrunk_asks_about_both_optimizers() -> None:
    prompts = [asked("least-shrunk", seed)[1].prompt for seed in QUESTION_SEEDS]
    assert any("steps of AdamW" in prompt for prompt in prompts)
    assert any("steps of Adam with L2" in prompt for prompt in prompts)


@pytest.mark.parametrize("seed", QUESTION_SEEDS)
def test_adamw_leaves_a_weight_without_gradient_at_the_pure_decay(seed: int) -> None:
    data, question = asked("adamw-left", seed)
    t = int(data.steps[-1])
    assert question.value == pytest.approx((1.0 - data.lr * data.wd) ** t, rel=1e-9)
    assert question.is_right((1.0 - data.lr * data.wd) ** t)
    # No decay at all, and Adam + L2's end for the same weight, are both refused.
    assert not question.is_right(1.0)
    assert not question.is_right(float(data.w_adam_l2[-1, 0]))
