"""Data augmentation: a synthetic picture and label-preserving copies (crop, flip, rotate, jitter).

Crop, flip, rotation and colour jitter follow torchvision's RandomResizedCrop (nearest
resize), RandomHorizontalFlip, RandomRotation (counter-clockwise, fill 0) and ColorJitter
(brightness, contrast and saturation factors drawn from [1-s, 1+s], clamped to [0, 1]).
"""

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.patches import Rectangle

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels
from app.figures.style import Palette
from app.figures.wording import num, pct

SIZE = 48
SAMPLES = 4
GRAY = np.array([0.299, 0.587, 0.114])  # torchvision's rgb_to_grayscale weights
ENOUGH = 0.25  # a copy showing at least this share of the house still shows a house


class Params(DemoParams):
    """Crop size, rotation range and jitter strength."""

    crop: float = param(0.7, ge=0.5, le=1.0, step=0.05, label="Crop side (fraction of image)")
    max_degrees: int = param(25, ge=0, le=90, step=5, label="Max rotation (degrees)")
    jitter: float = param(0.4, ge=0.0, le=0.8, step=0.05, label="Colour jitter strength")


@dataclass(frozen=True)
class Data:
    """The original, one copy per transform, and random pipeline samples."""

    image: np.ndarray  # (H, W, 3) in [0, 1]
    crop_box: np.ndarray  # (top, left, side) of the crop in the original
    crop: np.ndarray  # the cropped window, (side, side, 3)
    crop_resized: np.ndarray  # the window resized back to (H, W, 3), nearest neighbour
    flipped: np.ndarray
    angle: float
    rotated: np.ndarray
    factors: np.ndarray  # brightness, contrast, saturation factors of the jitter copy
    jittered: np.ndarray
    samples: np.ndarray  # (SAMPLES, H, W, 3): crop -> flip? -> rotate -> jitter
    sample_boxes: np.ndarray  # (SAMPLES, 3)
    sample_flips: np.ndarray  # (SAMPLES,) bool
    sample_angles: np.ndarray  # (SAMPLES,)
    sample_factors: np.ndarray  # (SAMPLES, 3)
    max_degrees: float
    jitter: float
    house_shown: np.ndarray  # (4 + SAMPLES,) share of the house's pixels each copy shows


def house() -> np.ndarray:
    """Return the house's pixels in the scene (walls, roof, door, window) as a mask."""
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(float)
    walls = (y >= 25) & (y <= 40) & (x >= 25) & (x <= 41)
    roof = (y >= 14) & (y < 25) & (np.abs(x - 33) <= (y - 14) * 0.9 + 1)
    mask: np.ndarray = walls | roof
    return mask


def shown(sources: np.ndarray) -> float:
    """Share of the house's pixels that appear in a copy, given each copy pixel's source."""
    ids = np.flatnonzero(house())
    return float(np.isin(ids, sources[sources >= 0]).mean())


def scene() -> np.ndarray:
    """Draw a small asymmetric scene: sky, hill, a sun at the top left, a house on the right."""
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(float)
    t = (y / SIZE)[..., None]
    image = (1 - t) * np.array([0.45, 0.68, 0.95]) + t * np.array([0.82, 0.9, 1.0])
    ground = y >= 36 - 5 * np.exp(-(((x - 8) / 12) ** 2))
    image[ground] = [0.3, 0.62, 0.28]
    image[(y - 9) ** 2 + (x - 10) ** 2 <= 36] = [1.0, 0.84, 0.2]
    image[(y >= 25) & (y <= 40) & (x >= 25) & (x <= 41)] = [0.86, 0.3, 0.25]
    roof = (y >= 14) & (y < 25) & (np.abs(x - 33) <= (y - 14) * 0.9 + 1)
    image[roof] = [0.42, 0.2, 0.16]
    image[(y >= 32) & (y <= 40) & (x >= 35) & (x <= 38)] = [0.35, 0.2, 0.1]
    image[(y >= 28) & (y <= 31) & (x >= 28) & (x <= 31)] = [0.98, 0.95, 0.6]
    clipped: np.ndarray = np.clip(image, 0.0, 1.0)
    return clipped


def random_box(rng: np.random.Generator, fraction: float, size: int = SIZE) -> np.ndarray:
    """Pick a square crop window of side round(fraction * size) inside the image."""
    side = max(1, min(size, round(fraction * size)))
    top, left = rng.integers(0, size - side + 1, size=2)
    return np.array([top, left, side])


def crop(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Cut the window (top, left, side) out of the image."""
    top, left, side = (int(v) for v in box)
    return image[top : top + side, left : left + side]


def resize_nearest(window: np.ndarray, size: int = SIZE) -> np.ndarray:
    """Resize a square window back to size x size by nearest neighbour."""
    index = (np.arange(size) * window.shape[0]) // size
    resized: np.ndarray = window[index][:, index]
    return resized


def rotate(image: np.ndarray, degrees: float, fill: float = 0.0) -> np.ndarray:
    """Rotate counter-clockwise about the centre by nearest neighbour; outside is fill."""
    height, width = image.shape[:2]
    theta = np.deg2rad(degrees)
    cy, cx = (height - 1) / 2, (width - 1) / 2
    y, x = np.mgrid[0:height, 0:width]
    dy, dx = y - cy, x - cx
    source_y = np.rint(cy + np.sin(theta) * dx + np.cos(theta) * dy).astype(int)
    source_x = np.rint(cx + np.cos(theta) * dx - np.sin(theta) * dy).astype(int)
    inside = (source_y >= 0) & (source_y < height) & (source_x >= 0) & (source_x < width)
    out = np.full_like(image, fill)
    out[inside] = image[source_y[inside], source_x[inside]]
    return out


def color_jitter(image: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Apply brightness, contrast and saturation factors as torchvision does, clamping each."""
    brightness, contrast, saturation = (float(f) for f in factors)
    out = np.clip(image * brightness, 0.0, 1.0)
    mean = float((out @ GRAY).mean())
    out = np.clip(contrast * out + (1.0 - contrast) * mean, 0.0, 1.0)
    gray = (out @ GRAY)[..., None]
    jittered: np.ndarray = np.clip(saturation * out + (1.0 - saturation) * gray, 0.0, 1.0)
    return jittered


def compute(params: Params) -> Data:
    """Apply each transform once, then the whole random pipeline to a few copies."""
    rng = np.random.default_rng(params.seed)
    image = scene()
    box = random_box(rng, params.crop)
    window = crop(image, box)
    angle = float(rng.uniform(-params.max_degrees, params.max_degrees))
    factors = 1.0 + params.jitter * rng.uniform(-1.0, 1.0, size=3)

    boxes = np.stack([random_box(rng, params.crop) for _ in range(SAMPLES)])
    flips = rng.random(SAMPLES) < 0.5
    angles = rng.uniform(-params.max_degrees, params.max_degrees, size=SAMPLES)
    sample_factors = 1.0 + params.jitter * rng.uniform(-1.0, 1.0, size=(SAMPLES, 3))
    # Each pixel's index in the original, carried through the same geometric transforms.
    sources = np.arange(SIZE * SIZE).reshape(SIZE, SIZE)
    house_shown = [
        shown(resize_nearest(crop(sources, box))),
        1.0,
        shown(rotate(sources, angle, -1)),
    ]
    house_shown.append(1.0)  # jitter changes colours only
    samples = []
    for k in range(SAMPLES):
        copy = resize_nearest(crop(image, boxes[k]))
        moved = resize_nearest(crop(sources, boxes[k]))
        if flips[k]:
            copy, moved = copy[:, ::-1], moved[:, ::-1]
        samples.append(color_jitter(rotate(copy, float(angles[k])), sample_factors[k]))
        house_shown.append(shown(rotate(moved, float(angles[k]), -1)))

    return Data(
        image=image,
        crop_box=box,
        crop=window.copy(),
        crop_resized=resize_nearest(window),
        flipped=image[:, ::-1].copy(),
        angle=angle,
        rotated=rotate(image, angle),
        factors=factors,
        jittered=color_jitter(image, factors),
        samples=np.stack(samples),
        sample_boxes=boxes,
        sample_flips=flips,
        sample_angles=angles,
        sample_factors=sample_factors,
        max_degrees=float(params.max_degrees),
        jitter=params.jitter,
        house_shown=np.array(house_shown),
    )


def _mosaic(
    tiles: list[np.ndarray], columns: int, gap: int, top: int, background: str
) -> np.ndarray:
    """Lay tiles out on a grid with room above each for its caption."""
    rows = -(-len(tiles) // columns)
    height = rows * (SIZE + top) + (rows - 1) * gap
    width = columns * SIZE + (columns - 1) * gap
    canvas = np.empty((height, width, 3))
    canvas[:] = to_rgb(background)
    for k, tile in enumerate(tiles):
        row, col = divmod(k, columns)
        y0 = row * (SIZE + top + gap) + top
        x0 = col * (SIZE + gap)
        canvas[y0 : y0 + SIZE, x0 : x0 + SIZE] = tile
    return canvas


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """Draw the original with the crop window, and a grid of augmented copies."""
    for ax in axes:
        ax.grid(False)
        ax.set_anchor("N")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)

    left = axes[0]
    left.imshow(data.image, interpolation="nearest")
    top, x0, side = (int(v) for v in data.crop_box)
    left.add_patch(
        Rectangle((x0 - 0.5, top - 0.5), side, side, fill=False, ec=palette.text, lw=1.6, ls="--")
    )
    left.text(
        x0 + 0.5,
        top + side - 1.5,
        "crop",
        color=palette.text,
        fontsize=8.5,
        va="bottom",
        bbox={"facecolor": palette.background, "edgecolor": "none", "pad": 1.0, "alpha": 0.8},
    )
    left.set_title("Original (label: house)", color=palette.text, fontsize=11, loc="left")

    gap, caption = 8, 9
    tiles = [data.crop_resized, data.flipped, data.rotated, data.jittered, *data.samples]
    captions = [f"crop {side} px", "flip", f"rotate {data.angle:+.0f}°", "colour jitter"]
    for flip, angle in zip(data.sample_flips, data.sample_angles, strict=True):
        captions.append(f"{'flip' if flip else 'no flip'} · {angle:+.0f}°")
    right = axes[1]
    right.imshow(_mosaic(tiles, 4, gap, caption, palette.background), interpolation="nearest")
    for k, text in enumerate(captions):
        row, col = divmod(k, 4)
        right.text(
            col * (SIZE + gap),
            row * (SIZE + caption + gap) + caption - 1.5,
            text,
            color=palette.text if row == 0 else palette.muted,
            fontsize=8.5,
            va="bottom",
        )
    right.set_title(
        "Copies, same label: one transform each (top),\ncrop+flip+rotate+jitter (bottom)",
        color=palette.text,
        fontsize=11,
        loc="left",
    )


def summary(data: Data) -> str:
    """Name the transforms, their sampled values, and how much of the house each copy keeps."""
    side = int(data.crop_box[2])
    least = float(data.house_shown.min())
    if least >= ENOUGH:
        label = (
            f"every copy still shows at least {pct(least)} of the house, so the label is "
            "unchanged and the model sees new training inputs."
        )
    else:
        few = int(np.sum(data.house_shown < ENOUGH))
        label = (
            f"but {few} of the {data.house_shown.size} copies show less than {pct(ENOUGH)} of "
            f"the house (the worst {pct(least)}): a crop or rotation can cut out what the label "
            "names."
        )
    return (
        f"A {SIZE}x{SIZE} scene and augmented copies: a {side}x{side} random crop resized back, "
        f"an exact horizontal mirror, a rotation by {data.angle:+.0f}° (range "
        f"±{data.max_degrees:.0f}°) and colour jitter of strength {num(data.jitter)}; {label}"
    )


DEMO = Demo(
    id="augmentation",
    title="Data augmentation: label-preserving copies",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    panels=Panels(cols=2, height=3.7, top=0.7, left=0.25, gap=0.35),
)
