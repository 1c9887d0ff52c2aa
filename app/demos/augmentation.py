"""Data augmentation: copies that keep the label (flip, rotate, jitter) and crops that may not.

Crop, flip, rotation and colour jitter follow torchvision's RandomResizedCrop (square, at a
fixed side, nearest resize), RandomHorizontalFlip, RandomRotation (counter-clockwise, fill 0)
and ColorJitter (brightness, contrast and saturation factors drawn from [1-s, 1+s], clamped to
[0, 1]). A crop that shows less than ENOUGH of the house no longer shows what its label names.
"""

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.patches import Rectangle

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels
from app.figures.params import describe
from app.figures.questions import Question, QuestionKind, choice, grid_values, sample
from app.figures.style import Palette
from app.figures.wording import caption, num, pct

SIZE = 48
CROPS = 8  # random crops drawn at the reader's crop size
COLUMNS = 4
FIGSIZE = (8.0, 4.3)
GRAY = np.array([0.299, 0.587, 0.114])  # torchvision's rgb_to_grayscale weights
ENOUGH = 0.25  # a copy showing at least this share of the house still shows a house


class Params(DemoParams):
    """Crop size, rotation range and jitter strength."""

    # Down to 0.3: RandomResizedCrop's default scale (0.08, 1) reaches a side of 0.28.
    crop: float = param(0.5, ge=0.3, le=1.0, step=0.05, label="Crop side (fraction of image)")
    max_degrees: int = param(25, ge=0, le=90, step=5, label="Max rotation (degrees)")
    jitter: float = param(0.4, ge=0.0, le=0.8, step=0.05, label="Colour jitter strength")


@dataclass(frozen=True)
class Data:
    """The original, one copy per label-preserving transform, and a batch of random crops."""

    image: np.ndarray  # (H, W, 3) in [0, 1]
    flipped: np.ndarray
    angle: float
    rotated: np.ndarray
    rotated_shown: float  # share of the house's pixels the rotated copy shows
    factors: np.ndarray  # brightness, contrast, saturation factors of the jitter copy
    jittered: np.ndarray
    combined: np.ndarray  # flip, then the same rotation and jitter
    max_degrees: float
    jitter: float
    side: int  # crop side in pixels
    crop_boxes: np.ndarray  # (CROPS, 3): top, left, side of each crop in the original
    crops: np.ndarray  # (CROPS, H, W, 3): each window resized back, nearest neighbour
    house_shown: np.ndarray  # (CROPS,) share of the house's pixels each crop shows
    lost: np.ndarray  # (CROPS,) bool: the crop shows less than ENOUGH of the house
    positions: int  # every place a crop of this side can sit
    positions_lost: int  # of those, the places whose crop shows less than ENOUGH


def house() -> np.ndarray:
    """Return the house's pixels in the scene (walls, roof, door, window) as a mask."""
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(float)
    walls = (y >= 25) & (y <= 40) & (x >= 25) & (x <= 41)
    roof = (y >= 14) & (y < 25) & (np.abs(x - 33) <= (y - 14) * 0.9 + 1)
    mask: np.ndarray = walls | roof
    return mask


def shown(sources: np.ndarray) -> float:
    """Return the share of the house's pixels a copy shows, given each copy pixel's source."""
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


def turn(degrees: float) -> str:
    """Format an angle in whole degrees with its sign (never -0)."""
    text = num(degrees, 0)
    return f"{text}°" if text.startswith("-") else f"+{text}°"


def share(fraction: float) -> str:
    """Format a share of the house as a percent that never rounds onto 0, ENOUGH or 1."""
    for digits in range(3):
        text = pct(fraction, digits)
        printed = float(text[:-1]) / 100.0
        if all((printed == edge) == (fraction == edge) for edge in (0.0, 1.0)) and (
            printed < ENOUGH
        ) == (fraction < ENOUGH):
            return text
    return pct(fraction, 3)


def window_shares(mask: np.ndarray, side: int) -> np.ndarray:
    """Return the share of the mask's pixels inside each side x side window, by (top, left)."""
    table = np.zeros((mask.shape[0] + 1, mask.shape[1] + 1))
    table[1:, 1:] = mask.cumsum(axis=0).cumsum(axis=1)
    sums = table[side:, side:] - table[:-side, side:] - table[side:, :-side] + table[:-side, :-side]
    shares: np.ndarray = sums / mask.sum()
    return shares


def compute(params: Params) -> Data:
    """Apply each label-preserving transform once, then crop the scene at random places."""
    rng = np.random.default_rng(params.seed)
    image = scene()
    boxes = np.stack([random_box(rng, params.crop) for _ in range(CROPS)])
    angle = float(rng.uniform(-params.max_degrees, params.max_degrees))
    factors = 1.0 + params.jitter * rng.uniform(-1.0, 1.0, size=3)
    side = int(boxes[0, 2])
    shares = window_shares(house(), side)
    house_shown = shares[boxes[:, 0], boxes[:, 1]]
    # Each pixel's index in the original, carried through the rotation.
    sources = np.arange(SIZE * SIZE).reshape(SIZE, SIZE)
    flipped = image[:, ::-1].copy()
    return Data(
        image=image,
        flipped=flipped,
        angle=angle,
        rotated=rotate(image, angle),
        rotated_shown=shown(rotate(sources, angle, -1)),
        factors=factors,
        jittered=color_jitter(image, factors),
        combined=color_jitter(rotate(flipped, angle), factors),
        max_degrees=float(params.max_degrees),
        jitter=params.jitter,
        side=side,
        crop_boxes=boxes,
        crops=np.stack([resize_nearest(crop(image, box)) for box in boxes]),
        house_shown=house_shown,
        lost=house_shown < ENOUGH,
        positions=shares.size,
        positions_lost=int(np.sum(shares < ENOUGH)),
    )


FRAME = 2  # pixels of red around a crop that lost the house, drawn in the gap beside it
# Pixels between tiles across (room for a caption a little wider than its tile) and down,
# and above each tile for its caption.
ACROSS, DOWN, CAPTION = 12, 8, 9


def _corner(k: int) -> tuple[int, int]:
    """Return the top left pixel of tile k in the mosaic."""
    row, col = divmod(k, COLUMNS)
    return FRAME + row * (SIZE + CAPTION + DOWN) + CAPTION, FRAME + col * (SIZE + ACROSS)


def _mosaic(tiles: list[np.ndarray], framed: list[bool], background: str, frame: str) -> np.ndarray:
    """Lay tiles out on a grid with room above each for its caption, framing some."""
    rows = -(-len(tiles) // COLUMNS)
    height = rows * (SIZE + CAPTION) + (rows - 1) * DOWN + 2 * FRAME
    width = COLUMNS * SIZE + (COLUMNS - 1) * ACROSS + 2 * FRAME
    canvas = np.empty((height, width, 3))
    canvas[:] = to_rgb(background)
    for k, (tile, edge) in enumerate(zip(tiles, framed, strict=True)):
        y0, x0 = _corner(k)
        if edge:
            canvas[y0 - FRAME : y0 + SIZE + FRAME, x0 - FRAME : x0 + SIZE + FRAME] = to_rgb(frame)
        canvas[y0 : y0 + SIZE, x0 : x0 + SIZE] = tile
    return canvas


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """Draw the original with the crop windows, the kept copies, and the crops (lost in red)."""
    for ax in axes:
        ax.grid(False)
        ax.set_anchor("N")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
    axes[1].set_anchor("NW")  # the mosaic is narrower than its slot: leave room for its title

    left = axes[0]
    left.imshow(data.image, interpolation="nearest")
    for box, lost in zip(data.crop_boxes, data.lost, strict=True):
        top, x0, side = (int(v) for v in box)
        # add_artist, not add_patch: the image already sets the limits, and updating them
        # for each window costs more than drawing it.
        left.add_artist(
            Rectangle(
                (x0 - 0.5, top - 0.5),
                side,
                side,
                fill=False,
                ec=palette.bad if lost else palette.text,
                lw=2.0 if lost else 0.9,
                ls="-" if lost else "--",
                transform=left.transData,
            )
        )
    left.set_title(
        f"Original (label: house) and its\n{CROPS} crop windows, red: house lost",
        color=palette.text,
        fontsize=11,
        loc="left",
    )

    tiles = [data.flipped, data.rotated, data.jittered, data.combined, *data.crops]
    framed = [False] * 4 + [bool(lost) for lost in data.lost]
    captions = ["flip", f"rotate {turn(data.angle)}", "colour jitter", "all three"]
    # Percent only: each glyph costs render time, and the title says what is counted.
    captions += [share(fraction) for fraction in data.house_shown]
    right = axes[1]
    right.imshow(_mosaic(tiles, framed, palette.background, palette.bad), interpolation="nearest")
    for k, (text, lost) in enumerate(zip(captions, framed, strict=True)):
        y0, x0 = _corner(k)
        right.text(
            x0 - 0.5,
            y0 - FRAME - 1,
            text,
            color=palette.bad if lost else palette.text if k < 4 else palette.muted,
            fontsize=8.5,
            va="bottom",
        )
        if lost:
            right.text(
                x0 + SIZE / 2,
                y0 + SIZE - 3,
                "no house",
                color=palette.background,  # on the theme's red: legible in either theme
                fontsize=8,
                fontweight="bold",
                ha="center",
                va="bottom",
                bbox={"facecolor": palette.bad, "edgecolor": "none", "pad": 1.2},
            )
    right.set_title(
        "Same label: flip, rotate, jitter (top);\n"
        f"{CROPS} random {data.side} px crops: % of house shown",
        color=palette.text,
        fontsize=11,
        loc="left",
    )


def summary(data: Data) -> str:
    """Lead with one short sentence of what the figure shows, then the numbers."""
    return caption(
        "Mirrors and colour jitter keep the whole object; "
        "a random crop can cut it out of the picture.",
        details(data),
    )


def details(data: Data) -> str:
    """Say what the kept copies keep, and how many crops lose the house at this size."""
    side, worst, lost = data.side, float(data.house_shown.min()), int(data.lost.sum())
    crops = f"{CROPS} random {side}x{side} crops (resized back)"
    if lost:
        batch = (
            f"but {lost} of {crops} show less than {pct(ENOUGH)} of the house (the worst "
            f"{share(worst)}), so the label no longer names what they show"
        )
    else:
        batch = (
            f"none of {crops} shows less than {pct(ENOUGH)} of the house (each at least "
            f"{share(worst)})"
        )
    if data.positions_lost:
        places = (
            f"at this size {data.positions_lost} of the {data.positions} places a crop can sit "
            "lose it"
        )
    else:
        places = "at this size no place a crop can sit loses it"
    return (
        f"A {SIZE}x{SIZE} scene labelled house: a horizontal mirror and colour jitter of "
        f"strength {num(data.jitter)} keep every pixel of the house, a rotation by "
        f"{turn(data.angle)} (range ±{num(data.max_degrees, 0)}°) keeps "
        f"{share(data.rotated_shown)}; "
        f"{batch}; {places}."
    )


def _small_crop_variant(rng: np.random.Generator) -> Params:
    # Up to a side of 0.6 some places of the crop lose the house; from 0.7 on none do.
    return sample(Params, rng, ranges={"crop": (0.3, 0.6)})


def _lost_share(fraction: float) -> float:
    """Return the share of the places a crop of this side fraction can sit that lose the house."""
    side = max(1, min(SIZE, round(fraction * SIZE)))
    return float(np.mean(window_shares(house(), side) < ENOUGH))


def _drawn_lost(data: Data) -> str:
    """Say how many of the figure's random crops landed at a place that loses the house."""
    lost = int(data.lost.sum())
    if lost == 0:
        return f"none of the {CROPS} crops drawn here landed at such a place"
    return f"{lost} of the {CROPS} crops drawn here landed at such a place (in red)"


def _ask_crop_places(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask how often a random crop of this size loses the house: more often the smaller it is."""
    lost = data.positions_lost / data.positions
    crops = grid_values(next(info for info in describe(Params) if info.name == "crop"))
    index = crops.index(params.crop)
    # The answers of other crop sizes, nearest first, and that of a crop that never loses it.
    others = [crops[index + step] for step in (-2, 2, -4, 4, 6) if 0 <= index + step < len(crops)]
    shares = [pct(_lost_share(other)) for other in others]
    wrong = [text for text in dict.fromkeys(shares) if text not in (pct(lost), pct(0.0))]
    wrong = [*wrong[:3], pct(0.0)]
    return choice(
        f"A {data.side}x{data.side} crop (side {num(params.crop)} of the {SIZE}-pixel scene) "
        f"sits at a random place. At what share of the places it can sit does it show less "
        f"than {pct(ENOUGH)} of the house?",
        pct(lost),
        wrong,
        rng,
        f"{data.positions_lost} of the {data.positions} places show less than {pct(ENOUGH)} "
        f"of the house; {_drawn_lost(data)}.",
    )


def _keeping_crop(params: Params, rng: np.random.Generator) -> tuple[int, float]:
    """Draw a larger crop side that never loses the house (short of the whole image).

    Return its side in pixels and the least share of the house any of its places shows.
    """
    fractions = grid_values(next(info for info in describe(Params) if info.name == "crop"))
    sides = sorted({max(1, min(SIZE, round(f * SIZE))) for f in fractions if f > params.crop})
    worst = {side: float(window_shares(house(), side).min()) for side in sides if side < SIZE}
    keeping = [side for side, least in worst.items() if least >= ENOUGH]
    side = keeping[int(rng.integers(len(keeping)))]
    return side, worst[side]


def _ask_label_breaker(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask which transform can make the label wrong: the small crop, not flip, jitter,
    rotation or a crop large enough that every place of it keeps the house."""
    mirror = shown(np.arange(SIZE * SIZE).reshape(SIZE, SIZE)[:, ::-1])
    crop_worst = data.positions_lost / data.positions  # places that lose it, 0 if none
    large, large_least = _keeping_crop(params, rng)
    candidates = [
        (f"a random {large}x{large} crop", large_least < ENOUGH),
        (f"a rotation by {turn(data.angle)}", data.rotated_shown < ENOUGH),
        ("a horizontal flip", mirror < ENOUGH),
        (f"colour jitter of strength {num(data.jitter)}", False),  # moves no pixel
        (f"a random {data.side}x{data.side} crop", crop_worst > 0.0),
    ]
    losing = [text for text, loses in candidates if loses]
    right = losing[0] if losing else "none of them"
    wrong = [text for text, loses in candidates if not loses]
    if losing:
        wrong.append("none of them")
    return choice(
        f"The {SIZE}x{SIZE} scene is labelled house. Which of these augmentations can give a "
        f"copy showing less than {pct(ENOUGH)} of the house, so that the label no longer "
        "names what it shows?",
        right,
        wrong,
        rng,
        f"{data.positions_lost} of the {data.positions} places of a {data.side} px crop lose "
        f"the house and {_drawn_lost(data)}; every place of a {large} px crop shows "
        f"{'all' if large_least == 1.0 else f'at least {share(large_least)}'} of it, the flip "
        f"keeps {share(mirror)}, the jitter moves no pixel and the rotation by "
        f"{turn(data.angle)} keeps {share(data.rotated_shown)}.",
    )


QUESTIONS: tuple[QuestionKind[Params, Data], ...] = (
    QuestionKind("crop-places", _small_crop_variant, _ask_crop_places),
    QuestionKind("label-breaker", _small_crop_variant, _ask_label_breaker),
)


DEMO = Demo(
    id="augmentation",
    title="Data augmentation: copies that keep the label, crops that lose it",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    panels=Panels(cols=2, height=FIGSIZE[1], top=0.7, bottom=0.15, left=0.25, gap=0.35),
    questions=QUESTIONS,
)
