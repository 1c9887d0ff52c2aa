"""The augmentation demo: flips, rotations and jitter keep the house; small crops can lose it."""

import dataclasses
import itertools

import numpy as np
import pytest
from hypothesis import example, given
from pydantic import ValidationError

from app.demos import augmentation as subject
from app.demos.augmentation import (
    SIZE,
    Data,
    Params,
    color_jitter,
    compute,
    crop,
    resize_nearest,
    rotate,
    scene,
)
from app.figures.questions import Question
from tests.demos.claims import says, stated, value_of
from tests.demos.strategies import params_for, summary_settings

OTHER = [
    Params(),
    Params(crop=0.3, max_degrees=90, jitter=0.8, seed=7),
    Params(crop=0.5, max_degrees=90, jitter=0.8, seed=7),
    Params(crop=1.0, max_degrees=5, jitter=0.1, seed=123),
]
THRESHOLD = 0.25  # a copy showing less of the house than this no longer shows a house
HOUSE_COLOURS = ([0.86, 0.3, 0.25], [0.42, 0.2, 0.16], [0.35, 0.2, 0.1], [0.98, 0.95, 0.6])


def _arrays(data: Data) -> dict[str, np.ndarray]:
    return {f.name: np.asarray(getattr(data, f.name)) for f in dataclasses.fields(data)}


def house_by_colour(image: np.ndarray) -> np.ndarray:
    """Find the house's pixels (walls, roof, door, window) by their colours."""
    house = np.zeros(image.shape[:2], dtype=bool)
    for colour in HOUSE_COLOURS:
        house |= np.all(np.isclose(image, colour), axis=2)
    return house


def house_share(sources: np.ndarray, image: np.ndarray) -> float:
    """Share of the house's pixels among the original pixels a copy shows."""
    ids = np.flatnonzero(house_by_colour(image))
    return float(np.isin(ids, sources[sources >= 0]).mean())


def crop_share(image: np.ndarray, box: np.ndarray) -> float:
    """Share of the house's pixels that the resized crop (top, left, side) shows."""
    index = np.arange(image.shape[0] * image.shape[1]).reshape(image.shape[:2])
    return house_share(resize_nearest(crop(index, box)), image)


def positions_lost(image: np.ndarray, side: int) -> tuple[int, int]:
    """Count every place a side x side crop can sit, and those showing too little house."""
    house = house_by_colour(image)
    places = [
        house[top : top + side, left : left + side].sum() / house.sum()
        for top in range(image.shape[0] - side + 1)
        for left in range(image.shape[1] - side + 1)
    ]
    return len(places), int(np.sum(np.array(places) < THRESHOLD))


@pytest.mark.parametrize("params", OTHER)
def test_flip_is_an_exact_mirror(params: Params) -> None:
    data = compute(params)
    assert np.array_equal(data.flipped, data.image[:, ::-1])
    assert not np.array_equal(data.flipped, data.image)  # the scene is asymmetric


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.7, 0.85, 1.0])
def test_crops_stay_in_bounds_and_show_the_slice(fraction: float) -> None:
    for seed in range(40):
        data = compute(Params(crop=fraction, seed=seed))
        side = round(fraction * SIZE)
        assert data.side == side
        for box, copy in zip(data.crop_boxes, data.crops, strict=True):
            top, left, box_side = (int(v) for v in box)
            assert box_side == side
            assert 0 <= top <= SIZE - side
            assert 0 <= left <= SIZE - side
            window = data.image[top : top + side, left : left + side]
            assert np.array_equal(copy, resize_nearest(window))


def test_nearest_resize_repeats_each_crop_pixel() -> None:
    window = np.arange(24 * 24 * 3, dtype=float).reshape(24, 24, 3)
    resized = resize_nearest(window)
    assert np.array_equal(resized[::2, ::2], window)
    assert np.array_equal(resized[1::2, 1::2], window)
    assert np.array_equal(resize_nearest(scene()), scene())


def test_rotation_by_zero_is_identity_and_quarter_turns_are_exact() -> None:
    image = scene()
    assert np.array_equal(rotate(image, 0.0), image)
    assert np.array_equal(rotate(image, 90.0), np.rot90(image))  # counter-clockwise
    assert np.array_equal(rotate(image, 180.0), image[::-1, ::-1])
    data = compute(Params(max_degrees=0, seed=3))
    assert data.angle == 0.0
    assert np.array_equal(data.rotated, data.image)
    assert data.rotated_shown == 1.0


def test_rotation_fills_the_corners_with_zero() -> None:
    rotated = rotate(np.ones((SIZE, SIZE, 3)), 45.0)
    assert np.all(rotated[0, 0] == 0.0)
    assert np.all(rotated[SIZE // 2, SIZE // 2] == 1.0)
    # a square overlaps its 45° turn on 2(sqrt 2 - 1) ≈ 0.83 of its area
    assert rotated[..., 0].mean() == pytest.approx(2 * (np.sqrt(2) - 1), abs=0.02)


def test_every_allowed_rotation_keeps_the_house() -> None:
    image = scene()
    index = np.arange(SIZE * SIZE).reshape(SIZE, SIZE)
    kept = [house_share(rotate(index, float(a), -1), image) for a in np.arange(-90, 90.5, 0.5)]
    assert min(kept) >= THRESHOLD
    for seed in range(10):
        data = compute(Params(max_degrees=90, seed=seed))
        assert data.rotated_shown == house_share(rotate(index, data.angle, -1), image)


def test_jitter_of_strength_zero_is_identity() -> None:
    data = compute(Params(jitter=0.0, seed=5))
    assert np.array_equal(data.factors, np.ones(3))
    assert np.array_equal(data.jittered, data.image)
    assert np.array_equal(color_jitter(data.image, np.ones(3)), data.image)


def test_jitter_changes_brightness_as_its_factor_says() -> None:
    image = scene()
    darker = color_jitter(image, np.array([0.5, 1.0, 1.0]))
    np.testing.assert_allclose(darker, image * 0.5)
    gray = color_jitter(image, np.array([1.0, 1.0, 0.0]))
    np.testing.assert_allclose(gray[..., 0], gray[..., 1])  # saturation 0 is grayscale


def test_all_three_is_the_flip_rotated_and_jittered() -> None:
    data = compute(Params(max_degrees=0, jitter=0.0, seed=2))
    assert np.array_equal(data.combined, data.image[:, ::-1])
    data = compute(Params(max_degrees=40, jitter=0.5, seed=2))
    expected = color_jitter(rotate(data.image[:, ::-1], data.angle), data.factors)
    assert np.array_equal(data.combined, expected)


@pytest.mark.parametrize("params", OTHER)
def test_flagged_crops_are_exactly_those_that_show_too_little_house(params: Params) -> None:
    for seed in range(15):
        data = compute(params.model_copy(update={"seed": seed}))
        shares = np.array([crop_share(data.image, box) for box in data.crop_boxes])
        np.testing.assert_allclose(data.house_shown, shares, rtol=0, atol=1e-12)
        assert np.array_equal(data.lost, shares < THRESHOLD)


@pytest.mark.parametrize("fraction", [0.3, 0.45, 0.6, 0.65, 1.0])
def test_every_place_a_crop_can_sit_is_counted(fraction: float) -> None:
    data = compute(Params(crop=fraction))
    assert (data.positions, data.positions_lost) == positions_lost(data.image, data.side)


def test_small_crops_lose_the_house_more_often_than_large_ones() -> None:
    fractions = [0.3, 0.4, 0.5, 0.6, 0.7]
    lost = [
        np.mean([compute(Params(crop=fraction, seed=seed)).lost.mean() for seed in range(50)])
        for fraction in fractions
    ]
    assert all(a > b for a, b in itertools.pairwise(lost)), dict(zip(fractions, lost, strict=True))
    assert lost[0] > 0.5  # most crops of 0.3 of the side miss the house


def test_a_crop_of_the_whole_image_never_loses_the_house() -> None:
    for seed in range(30):
        data = compute(Params(crop=1.0, seed=seed))
        assert np.array_equal(data.crop_boxes, np.tile([0, 0, SIZE], (len(data.crop_boxes), 1)))
        assert np.all(data.house_shown == 1.0)
        assert not data.lost.any()
        assert (data.positions, data.positions_lost) == (1, 0)


@pytest.mark.parametrize("params", OTHER)
def test_pixel_values_stay_in_unit_range(params: Params) -> None:
    for seed in range(10):
        data = compute(params.model_copy(update={"seed": seed}))
        for name in ("image", "rotated", "jittered", "combined", "crops"):
            values = getattr(data, name)
            assert values.min() >= 0.0, name
            assert values.max() <= 1.0, name


def test_same_parameters_give_identical_data() -> None:
    first, second = _arrays(compute(Params(seed=42))), _arrays(compute(Params(seed=42)))
    for name, values in first.items():
        assert np.array_equal(values, second[name]), name


def test_seed_changes_the_random_choices() -> None:
    a, b = compute(Params(seed=1)), compute(Params(seed=2))
    assert a.angle != b.angle
    assert not np.array_equal(a.factors, b.factors)
    assert not np.array_equal(a.crop_boxes, b.crop_boxes)


@pytest.mark.parametrize(
    "bad",
    [{"crop": 0.25}, {"crop": 1.1}, {"max_degrees": -5}, {"max_degrees": 95}, {"jitter": 0.9}],
)
def test_parameter_bounds(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Params(**bad)


def test_values_accepted_before_are_still_accepted() -> None:
    for k in range(11):  # crop took 0.5 to 1.0 in steps of 0.05
        Params(crop=0.5 + 0.05 * k, max_degrees=90, jitter=0.8)
    Params(crop=0.5, max_degrees=0, jitter=0.0, seed=9999)


@pytest.mark.parametrize(
    ("fraction", "text"),
    [(0.0, "0%"), (0.003, "0.3%"), (0.2481, "24.8%"), (0.25, "25%"), (0.996, "99.6%")],
)
def test_shares_never_print_as_an_edge_they_miss(fraction: float, text: str) -> None:
    assert subject.share(fraction) == text


@summary_settings
@given(params=params_for(subject.Params))
@example(params=subject.Params(crop=0.3, max_degrees=90, seed=3))
@example(params=subject.Params(crop=1.0, seed=3))
@example(params=subject.Params(crop=0.7, seed=3))
def test_summary_agrees_with_the_data(params: subject.Params) -> None:
    data = subject.compute(params)
    text = subject.summary(data)
    image = data.image
    size = image.shape[0]
    index = np.arange(size * size).reshape(size, size)
    side = max(1, min(size, round(params.crop * size)))
    shares = np.array([crop_share(image, box) for box in data.crop_boxes])
    lost = int(np.sum(shares < THRESHOLD))
    places, places_lost = positions_lost(image, side)
    says(text, r"A (N)x(N) scene labelled house", size, size)
    says(text, r"colour jitter of strength (N) keep every pixel", params.jitter)
    assert house_share(index[:, ::-1], image) == 1.0  # the mirror moves pixels, drops none
    rotated = house_share(rotate(index, data.angle, -1), image)
    says(
        text,
        r"a rotation by (N)° \(range ±(N)°\) keeps (N);",
        data.angle,
        params.max_degrees,
        rotated,
    )
    if lost:
        pattern = (
            r"but (N) of (N) random (N)x(N) crops \(resized back\) show less than (N) of the "
            r"house \(the worst (N)\)"
        )
        says(text, pattern, lost, len(shares), side, side, THRESHOLD, float(shares.min()))
        assert value_of(stated(text, pattern)[-1]) < THRESHOLD  # not rounded up to it
    else:
        pattern = (
            r"none of (N) random (N)x(N) crops \(resized back\) shows less than (N) of the "
            r"house \(each at least (N)\)"
        )
        says(text, pattern, len(shares), side, side, THRESHOLD, float(shares.min()))
    if places_lost:
        says(
            text, r"at this size (N) of the (N) places a crop can sit lose it", places_lost, places
        )
    else:
        assert "at this size no place a crop can sit loses it" in text, text


def _asked(kind_id: str, seed: int) -> tuple[Params, Data, Question]:
    kind = next(kind for kind in subject.QUESTIONS if kind.id == kind_id)
    rng = np.random.default_rng(seed)
    params = kind.variant(rng)
    data = compute(params)
    return params, data, kind.ask(params, data, rng)


@pytest.mark.parametrize("seed", range(6))
def test_crop_places_question_answers_the_share_of_places_that_lose_the_house(seed: int) -> None:
    params, data, question = _asked("crop-places", seed)
    side = round(params.crop * SIZE)
    places, lost = positions_lost(data.image, side)
    answer = float(question.choices[question.answer].rstrip("%")) / 100
    assert answer == pytest.approx(lost / places, abs=0.005 + 1e-9)
    assert lost > 0
    for index, text in enumerate(question.choices):
        if index != question.answer:
            assert abs(float(text.rstrip("%")) / 100 - lost / places) > 0.005, text


@pytest.mark.parametrize("seed", range(6))
def test_label_breaker_question_answers_the_small_crop(seed: int) -> None:
    params, data, question = _asked("label-breaker", seed)
    image = data.image
    index = np.arange(SIZE * SIZE).reshape(SIZE, SIZE)
    side = round(params.crop * SIZE)
    _, lost = positions_lost(image, side)
    # Only the small crop can show less than a quarter of the house; flip, jitter, rotation and
    # the larger crop on offer keep it.
    assert lost > 0
    assert house_share(index[:, ::-1], image) == 1.0
    assert house_share(rotate(index, data.angle, -1), image) >= THRESHOLD
    right = question.choices[question.answer]
    assert right == f"a random {side}x{side} crop"
    wrong = [text for text in question.choices if text != right]
    larger = [int(text.split()[2].split("x")[0]) for text in wrong if text.endswith("crop")]
    assert len(larger) == 1
    assert side < larger[0] < SIZE
    assert positions_lost(image, larger[0])[1] == 0
    assert f"every place of a {larger[0]} px crop shows" in question.explanation


def test_label_breaker_question_offers_crops_of_many_sizes() -> None:
    rights, larger = set(), set()
    for seed in range(12):
        _, _, question = _asked("label-breaker", seed)
        right = question.choices[question.answer]
        rights.add(right)
        larger |= {text for text in question.choices if text.endswith("crop") and text != right}
    assert len(rights) >= 3
    assert len(larger) >= 3
