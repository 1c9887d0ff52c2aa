"""The augmentation demo: exact flips, in-bounds crops, identity at zero rotation and jitter."""

import dataclasses

import numpy as np
import pytest
from pydantic import ValidationError

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
