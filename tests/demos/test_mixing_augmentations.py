"""The Cutout/Mixup/CutMix demo: the mixes and their labels follow the definitions exactly."""

import dataclasses
import re

import numpy as np
import pytest
from hypothesis import given
from pydantic import ValidationError

from app.demos import mixing_augmentations as subject
from app.demos.mixing_augmentations import SIZE, Data, Params, beta_density, compute
from app.figures.questions import Question
from tests.demos.claims import agrees, says, stated
from tests.demos.strategies import params_for, summary_settings

CASES = [
    Params(),
    Params(alpha=0.2, cutout=8, seed=3),
    Params(alpha=2.0, cutout=40, seed=77),
]


def _arrays(data: Data) -> dict[str, np.ndarray]:
    return {f.name: np.asarray(getattr(data, f.name)) for f in dataclasses.fields(data)}


def test_inputs_have_different_classes_and_no_shared_pixel() -> None:
    data = compute(Params())
    assert np.array_equal(data.label_a, [1.0, 0.0])
    assert np.array_equal(data.label_b, [0.0, 1.0])
    same = np.all(data.image_a == data.image_b, axis=-1)
    assert not same.any()  # so "pixels equal to A" identifies A's share exactly


@pytest.mark.parametrize("params", CASES)
def test_mixup_is_the_convex_combination(params: Params) -> None:
    data = compute(params)
    lam = data.mixup_lam
    assert 0.0 <= lam <= 1.0
    np.testing.assert_allclose(data.mixup, lam * data.image_a + (1 - lam) * data.image_b)
    assert data.mixup_label[0] == pytest.approx(lam)
    assert data.mixup_label[1] == pytest.approx(1 - lam)


@pytest.mark.parametrize("params", CASES)
def test_cutmix_label_is_the_share_of_pixels_kept_from_a(params: Params) -> None:
    for seed in range(30):
        data = compute(params.model_copy(update={"seed": seed}))
        top, bottom, left, right = (int(v) for v in data.cutmix_box)
        assert 0 <= top <= bottom <= SIZE
        assert 0 <= left <= right <= SIZE
        area = (bottom - top) * (right - left)
        assert data.cutmix_label[0] == pytest.approx(1 - area / SIZE**2)
        assert data.cutmix_label.sum() == pytest.approx(1.0)
        from_a = np.all(data.cutmix == data.image_a, axis=-1)
        assert from_a.mean() == pytest.approx(data.cutmix_label[0])
        inside = np.zeros((SIZE, SIZE), dtype=bool)
        inside[top:bottom, left:right] = True
        assert np.array_equal(data.cutmix[inside], data.image_b[inside])
        assert np.array_equal(data.cutmix[~inside], data.image_a[~inside])


def test_cutmix_label_uses_the_box_after_clipping() -> None:
    clipped = 0
    for seed in range(100):
        data = compute(Params(seed=seed))
        side = int(SIZE * np.sqrt(1 - data.cutmix_lam_sampled))
        top, bottom, left, right = (int(v) for v in data.cutmix_box)
        area = (bottom - top) * (right - left)
        assert area <= side * side
        if area < side * side:
            clipped += 1
            # the label differs from the sampled lambda's nominal share, and follows the area
            assert data.cutmix_label[0] == pytest.approx(1 - area / SIZE**2)
            assert data.cutmix_label[0] > 1 - side * side / SIZE**2
    assert clipped > 20  # most boxes near an edge are clipped; the test covers that case


@pytest.mark.parametrize("params", CASES)
def test_cutout_erases_only_its_square_and_keeps_the_label(params: Params) -> None:
    for seed in range(20):
        data = compute(params.model_copy(update={"seed": seed}))
        top, bottom, left, right = (int(v) for v in data.cutout_box)
        assert bottom - top <= params.cutout
        assert right - left <= params.cutout
        inside = np.zeros((SIZE, SIZE), dtype=bool)
        inside[top:bottom, left:right] = True
        assert np.array_equal(data.cutout[~inside], data.image_a[~inside])
        assert np.all(data.cutout[inside] == 0.0)
        assert np.array_equal(data.cutout_label, data.label_a)


def test_a_centred_cutout_is_a_full_square() -> None:
    for seed in range(50):
        data = compute(Params(cutout=10, seed=seed))
        top, bottom, left, right = (int(v) for v in data.cutout_box)
        if min(top, left) > 0 and max(bottom, right) < SIZE:  # not clipped by a border
            assert (bottom - top, right - left) == (10, 10)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_beta_density_integrates_to_one(alpha: float) -> None:
    grid = np.linspace(1e-6, 1 - 1e-6, 200_001)
    pdf = beta_density(alpha, grid)
    assert np.trapezoid(pdf, grid) == pytest.approx(1.0, abs=0.01)
    if alpha == 1.0:
        np.testing.assert_allclose(pdf, 1.0)


def test_small_alpha_pushes_lambda_to_the_ends() -> None:
    small = [compute(Params(alpha=0.1, seed=s)).mixup_lam for s in range(200)]
    large = [compute(Params(alpha=2.0, seed=s)).mixup_lam for s in range(200)]
    assert np.mean(np.abs(np.array(small) - 0.5)) > 0.4
    # E|lam - 1/2| is 0.1875 for Beta(2, 2), 0.25 for the uniform Beta(1, 1)
    assert np.mean(np.abs(np.array(large) - 0.5)) == pytest.approx(0.1875, abs=0.03)


def test_same_parameters_give_identical_data() -> None:
    first, second = _arrays(compute(Params(seed=9))), _arrays(compute(Params(seed=9)))
    for name, values in first.items():
        assert np.array_equal(values, second[name]), name


def test_seed_changes_the_samples() -> None:
    a, b = compute(Params(seed=1)), compute(Params(seed=2))
    assert a.mixup_lam != b.mixup_lam
    assert not np.array_equal(a.cutmix_box, b.cutmix_box)
    assert not np.array_equal(a.cutout_box, b.cutout_box)


@pytest.mark.parametrize(
    "bad", [{"alpha": 0.05}, {"alpha": 2.5}, {"cutout": 2}, {"cutout": 48}, {"seed": -1}]
)
def test_parameter_bounds(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Params(**bad)


@summary_settings
@given(params=params_for(subject.Params))
def test_summary_agrees_with_the_data(params: subject.Params) -> None:
    data = subject.compute(params)
    text = subject.summary(data)
    erased = np.all(data.cutout == 0.0, axis=2) & ~np.all(data.image_a == 0.0, axis=2)
    rows, cols = np.flatnonzero(erased.any(axis=1)), np.flatnonzero(erased.any(axis=0))
    height, width = rows.size, cols.size
    says(text, r"Cutout erases (N)x(N) pixels", height, width)
    assert ("(a square)" in text) == (height == width)
    says(text, r"keeps the label cat (N)", data.cutout_label[0])
    lam = data.mixup_lam
    says(text, r"Mixup with λ = (N) from Beta\((N), (N)\)", lam, params.alpha, params.alpha)
    np.testing.assert_allclose(data.mixup, lam * data.image_a + (1 - lam) * data.image_b)
    if "blends" in text:
        assert 0.005 <= lam < 0.995
        says(text, r"blends the images and labels to cat (N) / dog (N)", lam, 1 - lam)
    else:
        mostly = stated(text, r"leaves almost only the (cat|dog)")[0]
        assert (mostly == "cat") == (lam > 0.5)
        assert agrees(f"{round(lam)}.00", lam)
    pasted = np.all(data.cutmix == data.image_b, axis=2) & ~np.all(
        data.cutmix == data.image_a, axis=2
    )
    top, bottom, left, right = (int(v) for v in data.cutmix_box)
    area = (bottom - top) * (right - left) / data.image_a.shape[0] ** 2
    assert pasted.mean() <= area  # where the dog shows, it was pasted
    if area == 0:
        assert "box is empty" in text
        assert data.cutmix_label[0] == 1.0
    else:
        says(
            text,
            r"pastes a dog box over (N) of the cat, giving cat (N) / dog (N)",
            area,
            1 - area,
            area,
        )


def _asked(kind_id: str, seed: int) -> tuple[Params, Data, Question]:
    kind = next(kind for kind in subject.QUESTIONS if kind.id == kind_id)
    rng = np.random.default_rng(seed)
    params = kind.variant(rng)
    data = compute(params)
    return params, data, kind.ask(params, data, rng)


def _shares(text: str) -> tuple[float, float]:
    """Read (cat, dog) shares off a label choice such as "cat 0.25 / dog 0.75" or "dog 1.00"."""
    found = dict(re.findall(r"(cat|dog) (\d\.\d\d)", text))
    return float(found.get("cat", 0.0)), float(found.get("dog", 0.0))


@pytest.mark.parametrize("seed", range(8))
def test_mixup_question_answers_the_blend_weight_of_the_pixels(seed: int) -> None:
    _, data, question = _asked("mixup-label", seed)
    # Lambda recovered from one pixel where the cat and the dog differ.
    where = np.unravel_index(np.argmax(np.abs(data.image_a - data.image_b)), data.image_a.shape)
    lam = float(
        (data.mixup[where] - data.image_b[where]) / (data.image_a[where] - data.image_b[where])
    )
    cat, dog = _shares(question.choices[question.answer])
    assert cat == pytest.approx(lam, abs=0.005 + 1e-9)
    assert dog == pytest.approx(1 - lam, abs=0.005 + 1e-9)
    for index, text in enumerate(question.choices):
        if index != question.answer:
            wrong_cat, wrong_dog = _shares(text)
            assert abs(wrong_cat - lam) > 0.005 or abs(wrong_dog - (1 - lam)) > 0.005, text


@pytest.mark.parametrize("seed", range(8))
def test_cutmix_question_answers_the_share_of_cat_pixels(seed: int) -> None:
    _, data, question = _asked("cutmix-label", seed)
    cat = float(np.mean(np.all(data.cutmix == data.image_a, axis=-1)))
    assert float(question.choices[question.answer]) == pytest.approx(cat, abs=0.005 + 1e-9)
    for index, text in enumerate(question.choices):
        if index != question.answer:
            assert abs(float(text) - cat) > 0.005, text


@pytest.mark.parametrize("seed", range(8))
def test_cutout_question_answers_the_unchanged_label_beside_cutmix_mixed_one(seed: int) -> None:
    _, data, question = _asked("cutout-label", seed)
    erased = float(np.mean(np.any(data.cutout != data.image_a, axis=-1)))
    assert erased > 0.005  # an erased share that prints as 0 would make two labels alike
    # CutMix's cat share: the share of pixels still the cat's, counted on its image.
    cat = float(np.mean(np.all(data.cutmix == data.image_a, axis=-1)))
    cutout, cutmix = question.choices[question.answer].split("; ")
    assert _shares(cutout.removeprefix("Cutout: ")) == (1.0, 0.0)
    cutmix_cat, cutmix_dog = _shares(cutmix.removeprefix("CutMix: "))
    assert cutmix_cat == pytest.approx(cat, abs=0.005 + 1e-9)
    assert cutmix_cat + cutmix_dog == pytest.approx(1.0, abs=0.011)
    for index, text in enumerate(question.choices):
        if index != question.answer:
            first, second = text.split("; ")
            assert (_shares(first), _shares(second)) != (_shares(cutout), _shares(cutmix)), text


def test_cutout_question_answers_differ_between_seeds() -> None:
    questions = [_asked("cutout-label", seed)[2] for seed in range(8)]
    assert len({question.choices[question.answer] for question in questions}) >= 4
