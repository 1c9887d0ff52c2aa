"""The augmentation demo: exact flips, in-bounds crops, identity at zero rotation and jitter."""

import dataclasses

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
from tests.demos.claims import says
from tests.demos.strategies import params_for, summary_settings

OTHER = [
    Params(),
    Params(crop=0.5, max_degrees=90, jitter=0.8, seed=7),
    Params(crop=1.0, max_degrees=5, jitter=0.1, seed=123),
]


def _arrays(data: Data) -> dict[str, np.ndarray]:
    return {f.name: np.asarray(getattr(data, f.name)) for f in dataclasses.fields(data)}


@pytest.mark.parametrize("params", OTHER)
def test_flip_is_an_exact_mirror(params: Params) -> None:
    data = compute(params)
    assert np.array_equal(data.flipped, data.image[:, ::-1])
    assert not np.array_equal(data.flipped, data.image)  # the scene is asymmetric


@pytest.mark.parametrize("fraction", [0.5, 0.7, 0.85, 1.0])
def test_crops_stay_in_bounds_and_equal_the_slice(fraction: float) -> None:
    for seed in range(40):
        data = compute(Params(crop=fraction, seed=seed))
        side = round(fraction * SIZE)
        for box in [data.crop_box, *data.sample_boxes]:
            top, left, box_side = (int(v) for v in box)
            assert box_side == side
            assert top >= 0
            assert top + side <= SIZE
            assert left >= 0
            assert left + side <= SIZE
        top, left, _ = (int(v) for v in data.crop_box)
        assert np.array_equal(data.crop, data.image[top : top + side, left : left + side])
        assert data.crop_resized.shape == (SIZE, SIZE, 3)


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


def test_rotation_fills_the_corners_with_zero() -> None:
    rotated = rotate(np.ones((SIZE, SIZE, 3)), 45.0)
    assert np.all(rotated[0, 0] == 0.0)
    assert np.all(rotated[SIZE // 2, SIZE // 2] == 1.0)
    # a square overlaps its 45° turn on 2(sqrt 2 - 1) ≈ 0.83 of its area
    assert rotated[..., 0].mean() == pytest.approx(2 * (np.sqrt(2) - 1), abs=0.02)


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


def test_pipeline_without_rotation_or_jitter_is_crop_then_flip() -> None:
    data = compute(Params(max_degrees=0, jitter=0.0, crop=0.6, seed=11))
    assert data.sample_flips.any()
    assert not data.sample_flips.all()
    for k in range(len(data.samples)):
        expected = resize_nearest(crop(data.image, data.sample_boxes[k]))
        if data.sample_flips[k]:
            expected = expected[:, ::-1]
        assert np.array_equal(data.samples[k], expected)


@pytest.mark.parametrize("params", OTHER)
def test_pixel_values_stay_in_unit_range(params: Params) -> None:
    for seed in range(10):
        data = compute(params.model_copy(update={"seed": seed}))
        for name in ("image", "crop_resized", "rotated", "jittered", "samples"):
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
    assert not np.array_equal(a.samples, b.samples)


@pytest.mark.parametrize(
    "bad",
    [{"crop": 0.4}, {"crop": 1.1}, {"max_degrees": -5}, {"max_degrees": 95}, {"jitter": 0.9}],
)
def test_parameter_bounds(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Params(**bad)


HOUSE_COLOURS = ([0.86, 0.3, 0.25], [0.42, 0.2, 0.16], [0.35, 0.2, 0.1], [0.98, 0.95, 0.6])


def house_share(sources: np.ndarray, image: np.ndarray) -> float:
    """Share of the house's pixels (found by colour) among the original pixels a copy shows."""
    house = np.zeros(image.shape[:2], dtype=bool)
    for colour in HOUSE_COLOURS:
        house |= np.all(np.isclose(image, colour), axis=2)
    ids = np.flatnonzero(house)
    return float(np.isin(ids, sources[sources >= 0]).mean())


@summary_settings
@given(params=params_for(subject.Params))
@example(params=subject.Params(crop=0.5, max_degrees=90, seed=3))
def test_summary_agrees_with_the_data(params: subject.Params) -> None:
    data = subject.compute(params)
    text = subject.summary(data)
    size = data.image.shape[0]
    index = np.arange(size * size).reshape(size, size)
    copies = [
        subject.resize_nearest(subject.crop(index, data.crop_box)),
        index[:, ::-1],
        subject.rotate(index, data.angle, -1),
        index,
    ]
    for box, flip, angle in zip(
        data.sample_boxes, data.sample_flips, data.sample_angles, strict=True
    ):
        copy = subject.resize_nearest(subject.crop(index, box))
        copies.append(subject.rotate(copy[:, ::-1] if flip else copy, float(angle), -1))
    shares = np.array([house_share(copy, data.image) for copy in copies])
    says(text, r"a (N)x(N) random crop", int(data.crop_box[2]), int(data.crop_box[2]))
    says(text, r"rotation by (N)° \(range ±(N)°\)", data.angle, params.max_degrees)
    says(text, r"jitter of strength (N)", params.jitter)
    if "every copy still shows" in text:
        says(text, r"at least (N) of the house", float(shares.min()))
        assert shares.min() >= 0.25, (shares, text)
    else:
        says(
            text,
            r"but (N) of the (N) copies show less than (N) of the house \(the worst (N)\)",
            int(np.sum(shares < 0.25)),
            len(shares),
            0.25,
            float(shares.min()),
        )
        assert shares.min() < 0.25
