"""Cutout, Mixup and CutMix on two synthetic pictures, a cat (A) and a dog (B), with soft labels.

Cutout (DeVries & Taylor 2017) erases a square centred anywhere, clipped at the border, and
keeps the label. Mixup (Zhang et al. 2018) blends x = lam*A + (1-lam)*B, y likewise, with
lam ~ Beta(a, a). CutMix (Yun et al. 2019) pastes a box of B, of side ratio sqrt(1-lam), into
A and sets A's label share to the fraction of A's pixels left after clipping the box.
"""

from dataclasses import dataclass
from math import lgamma

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb

from app.figures.demo import Demo, DemoParams, param
from app.figures.layout import Panels
from app.figures.questions import Question, QuestionKind, choice, sample
from app.figures.style import Palette, few_ticks, finish, move_legend
from app.figures.wording import caption, num, pct

SIZE = 48
CLASSES = ("cat", "dog")


class Params(DemoParams):
    """Beta parameter and Cutout size."""

    alpha: float = param(1.0, ge=0.1, le=2.0, step=0.1, label="Beta(a, a) parameter a")
    cutout: int = param(20, ge=4, le=40, step=2, label="Cutout side (pixels)")


@dataclass(frozen=True)
class Data:
    """Both inputs, their one-hot labels, the three mixed images and their labels."""

    alpha: float
    image_a: np.ndarray  # (H, W, 3), class 0
    image_b: np.ndarray  # (H, W, 3), class 1
    label_a: np.ndarray  # one-hot (2,)
    label_b: np.ndarray
    cutout_box: np.ndarray  # (top, bottom, left, right), clipped, half-open
    cutout: np.ndarray
    cutout_label: np.ndarray
    mixup_lam: float
    mixup: np.ndarray
    mixup_label: np.ndarray
    cutmix_lam_sampled: float  # lam ~ Beta(a, a) that set the box size
    cutmix_box: np.ndarray  # (top, bottom, left, right), clipped, half-open
    cutmix: np.ndarray
    cutmix_label: np.ndarray  # A's share = 1 - box area / image area


def _disk(y: np.ndarray, x: np.ndarray, cy: float, cx: float, ry: float, rx: float) -> np.ndarray:
    return ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 <= 1.0


def draw_cat() -> np.ndarray:
    """An orange cat face with pointed ears, green eyes and whiskers on light blue."""
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(float)
    image = np.empty((SIZE, SIZE, 3))
    image[:] = [0.72, 0.85, 0.97]
    for side in (-1, 1):
        ear = (y >= 6) & (y <= 22) & (np.abs(x - (24 + side * 11)) <= (y - 6) * 0.45)
        image[ear] = [0.93, 0.55, 0.18]
    image[_disk(y, x, 28, 24, 15, 17)] = [0.95, 0.6, 0.2]
    for side in (-1, 1):
        image[_disk(y, x, 25, 24 + side * 7, 3.2, 2.6)] = [0.3, 0.7, 0.25]
        image[_disk(y, x, 25, 24 + side * 7, 2.6, 0.8)] = [0.05, 0.05, 0.05]
    whiskers = (np.abs(y - 33) < 0.6) & (np.abs(x - 24) > 5) & (np.abs(x - 24) < 16)
    image[whiskers] = [0.25, 0.15, 0.1]
    image[_disk(y, x, 31, 24, 1.6, 2.2)] = [0.95, 0.45, 0.55]
    return image


def draw_dog() -> np.ndarray:
    """A brown dog face with floppy ears, a black nose and a tongue on pale yellow."""
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(float)
    image = np.empty((SIZE, SIZE, 3))
    image[:] = [0.99, 0.94, 0.7]
    image[_disk(y, x, 25, 24, 16, 13)] = [0.62, 0.42, 0.25]
    image[_disk(y, x, 34, 24, 8, 9)] = [0.85, 0.72, 0.55]
    for side in (-1, 1):
        image[_disk(y, x, 24, 24 + side * 14, 12, 4.5)] = [0.32, 0.2, 0.12]
        image[_disk(y, x, 21, 24 + side * 6, 2.2, 2.2)] = [0.08, 0.06, 0.05]
    image[_disk(y, x, 30, 24, 2.2, 3.4)] = [0.08, 0.06, 0.05]
    image[_disk(y, x, 39, 24, 3.0, 2.6) & (y >= 37)] = [0.9, 0.35, 0.45]
    return image


def clipped_box(cy: int, cx: int, height: int, width: int) -> np.ndarray:
    """A box of this size centred at (cy, cx), clipped to the image: (top, bottom, left, right)."""
    top = int(np.clip(cy - height // 2, 0, SIZE))
    bottom = int(np.clip(cy + height - height // 2, 0, SIZE))
    left = int(np.clip(cx - width // 2, 0, SIZE))
    right = int(np.clip(cx + width - width // 2, 0, SIZE))
    return np.array([top, bottom, left, right])


def compute(params: Params) -> Data:
    """Sample a Cutout square, a Mixup lambda and a CutMix box, and mix images and labels."""
    rng = np.random.default_rng(params.seed)
    image_a, image_b = draw_cat(), draw_dog()
    label_a, label_b = np.array([1.0, 0.0]), np.array([0.0, 1.0])

    cy, cx = rng.integers(0, SIZE, size=2)
    cutout_box = clipped_box(int(cy), int(cx), params.cutout, params.cutout)
    top, bottom, left, right = cutout_box
    cutout = image_a.copy()
    cutout[top:bottom, left:right] = 0.0

    mixup_lam = float(rng.beta(params.alpha, params.alpha))
    mixup = mixup_lam * image_a + (1.0 - mixup_lam) * image_b
    mixup_label = mixup_lam * label_a + (1.0 - mixup_lam) * label_b

    lam = float(rng.beta(params.alpha, params.alpha))
    side = int(SIZE * np.sqrt(1.0 - lam))
    cy, cx = rng.integers(0, SIZE, size=2)
    cutmix_box = clipped_box(int(cy), int(cx), side, side)
    top, bottom, left, right = cutmix_box
    cutmix = image_a.copy()
    cutmix[top:bottom, left:right] = image_b[top:bottom, left:right]
    kept = 1.0 - (bottom - top) * (right - left) / SIZE**2
    cutmix_label = kept * label_a + (1.0 - kept) * label_b

    return Data(
        alpha=params.alpha,
        image_a=image_a,
        image_b=image_b,
        label_a=label_a,
        label_b=label_b,
        cutout_box=cutout_box,
        cutout=cutout,
        cutout_label=label_a.copy(),
        mixup_lam=mixup_lam,
        mixup=mixup,
        mixup_label=mixup_label,
        cutmix_lam_sampled=lam,
        cutmix_box=cutmix_box,
        cutmix=cutmix,
        cutmix_label=cutmix_label,
    )


def beta_density(alpha: float, grid: np.ndarray) -> np.ndarray:
    """The Beta(a, a) density on (0, 1), via the log-gamma of the normaliser."""
    log_norm = lgamma(2 * alpha) - 2 * lgamma(alpha)
    pdf: np.ndarray = np.exp(log_norm + (alpha - 1) * (np.log(grid) + np.log1p(-grid)))
    return pdf


def _label_text(label: np.ndarray) -> str:
    if label[1] == 0.0:
        return f"{CLASSES[0]} 1.00"
    if label[0] == 0.0:
        return f"{CLASSES[1]} 1.00"
    return f"{CLASSES[0]} {num(label[0])} / {CLASSES[1]} {num(label[1])}"


def plot(data: Data, palette: Palette, axes: list[Axes]) -> None:
    """Draw the inputs and the three mixes with label bars, and the Beta density of lambda."""
    ax, density = axes

    # Below each bar its label, a mixed one on two lines: on one line it runs into the next.
    gap, above, bar, below = 8, 10, 4, 19
    row_height = above + SIZE + 2 + bar + below
    width = 3 * SIZE + 2 * gap
    canvas = np.empty((2 * row_height, width, 3))
    canvas[:] = to_rgb(palette.background)
    colors = np.array([to_rgb(palette.series[0]), to_rgb(palette.series[1])])
    half = (SIZE + gap) // 2
    tiles = [
        (0, half, data.image_a, data.label_a, "A"),
        (0, half + SIZE + gap, data.image_b, data.label_b, "B"),
        (1, 0, data.cutout, data.cutout_label, "Cutout"),
        (1, SIZE + gap, data.mixup, data.mixup_label, f"Mixup λ={data.mixup_lam:.2f}"),
        (1, 2 * (SIZE + gap), data.cutmix, data.cutmix_label, "CutMix"),
    ]
    for row, x0, image, label, name in tiles:
        y0 = row * row_height + above
        canvas[y0 : y0 + SIZE, x0 : x0 + SIZE] = image
        split = x0 + round(float(label[0]) * SIZE)
        canvas[y0 + SIZE + 2 : y0 + SIZE + 2 + bar, x0:split] = colors[0]
        canvas[y0 + SIZE + 2 : y0 + SIZE + 2 + bar, split : x0 + SIZE] = colors[1]
        ax.text(x0, y0 - 1.5, name, color=palette.text, fontsize=9, va="bottom")
        ax.text(
            x0,
            y0 + SIZE + 2 + bar + 1,
            _label_text(label).replace(" / ", "\n"),
            color=palette.muted,
            fontsize=8.5,
            va="top",
        )
    ax.imshow(canvas, interpolation="nearest")
    ax.grid(False)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(
        "Inputs and mixes; bars show the soft label",
        color=palette.text,
        fontsize=10.5,
        loc="left",
    )

    lam = np.linspace(0.002, 0.998, 400)
    pdf = beta_density(data.alpha, lam)
    density.plot(lam, pdf, color=palette.muted, lw=1.8)
    density.fill_between(lam, pdf, color=palette.muted, alpha=0.15, lw=0)
    marks = [
        (data.mixup_lam, palette.series[0], "-", f"Mixup λ {data.mixup_lam:.2f}"),
        (
            data.cutmix_lam_sampled,
            palette.series[2],
            ":",
            f"CutMix draw {data.cutmix_lam_sampled:.2f}",
        ),
        (
            float(data.cutmix_label[0]),
            palette.series[2],
            "-",
            f"CutMix λ {data.cutmix_label[0]:.2f}",
        ),
    ]
    for value, color, style, text in marks:
        density.axvline(value, ymax=0.68, color=color, lw=2, ls=style, label=text)
    density.set_xlim(0, 1)
    few_ticks(density)
    density.set_ylim(0, 1.5 * min(float(pdf.max()), 3.0))
    finish(
        density,
        palette,
        title=f"λ ~ Beta(a, a), a = {data.alpha:.1f}",
        xlabel="λ (share of A, the cat)",
        ylabel="density",
    )
    move_legend(density, "upper center")


def summary(data: Data) -> str:
    """Lead with one short sentence of what the figure shows, then the numbers."""
    return caption(
        "Mixup and CutMix mix two images and their labels "
        "in the same proportion; Cutout keeps the label.",
        details(data),
    )


def details(data: Data) -> str:
    """State the erased patch, the sampled lambdas and the resulting soft labels."""
    top, bottom, left, right = (int(v) for v in data.cutout_box)
    height, width = bottom - top, right - left
    shape = "a square" if height == width else "clipped at the edge"
    patch = f"{height}x{width} pixels ({shape})"
    lam = num(data.mixup_lam)
    if lam in (num(0.0), num(1.0)):
        mostly = CLASSES[0] if data.mixup_lam > 0.5 else CLASSES[1]
        blend = f"leaves almost only the {mostly}, with labels"
    else:
        blend = "blends the images and labels to"
    top, bottom, left, right = (int(v) for v in data.cutmix_box)
    if (bottom - top) * (right - left) == 0:
        cutmix = (
            f"CutMix's box is empty, so it keeps the cat, giving {_label_text(data.cutmix_label)}"
        )
    else:
        cutmix = (
            f"CutMix pastes a dog box over {pct(1 - data.cutmix_label[0])} of the cat, giving "
            f"{_label_text(data.cutmix_label)}"
        )
    return (
        f"Cutout erases {patch} of the cat and keeps the label cat 1.00; Mixup with "
        f"λ = {lam} from Beta({num(data.alpha, 1)}, {num(data.alpha, 1)}) {blend} "
        f"{_label_text(data.mixup_label)}; {cutmix}."
    )


def _label_variant(rng: np.random.Generator) -> Params:
    return sample(Params, rng)


def _ask_mixup_label(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask for Mixup's soft label: the images' blend weight lambda, applied to the labels."""
    lam = data.mixup_lam
    right = _label_text(data.mixup_label)
    wrong = [_label_text(np.array([1.0 - lam, lam])), f"{CLASSES[0]} 0.50 / {CLASSES[1]} 0.50"]
    # The hard label of the larger share is wrong only when lambda does not print as 0 or 1.
    if num(lam) not in (num(0.0), num(1.0)):
        wrong.append(_label_text(data.label_a if lam > 0.5 else data.label_b))
    wrong.append(_label_text(np.array([lam**2, 1.0 - lam**2])))
    return choice(
        f"Mixup draws λ = {num(lam)} from Beta({num(data.alpha, 1)}, {num(data.alpha, 1)}) and "
        f"blends x = λ·cat + (1-λ)·dog. Which soft label does the mixed image train with?",
        right,
        wrong,
        rng,
        f"Mixup blends the labels with the same λ as the pixels, so the Mixup tile's bar reads "
        f"{right}.",
    )


def _cutmix_variant(rng: np.random.Generator) -> Params:
    # A small a draws lambda near 1 often enough that the box shrinks to nothing.
    return sample(Params, rng, ranges={"alpha": (0.5, 2.0)})


def _ask_cutmix_label(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask for CutMix's cat share: the fraction of pixels still the cat's after clipping."""
    top, bottom, left, right = (int(v) for v in data.cutmix_box)
    height, width = bottom - top, right - left
    cat = float(data.cutmix_label[0])
    side = int(SIZE * np.sqrt(1.0 - data.cutmix_lam_sampled))
    wrong = [
        num(1.0 - cat),  # the dog's share
        num(data.cutmix_lam_sampled),  # the draw that sized the box, before clipping
        num(1.0 - side * side / SIZE**2),  # the box as drawn, before clipping at the border
        num(0.5),
        num(1.0 - max(height, width) / SIZE),  # a side ratio taken for an area ratio
    ]
    pasted = f"a {height}x{width} box of the dog" if height * width else "an empty box"
    drawn = f"sized by a λ draw of {num(data.cutmix_lam_sampled)}"
    if (height, width) != (side, side):
        drawn += f" as {side}x{side}, then clipped at the border"
    return choice(
        f"CutMix pastes {pasted} into the {SIZE}x{SIZE} cat image ({drawn}). What share of "
        "the label goes to the cat?",
        num(cat),
        wrong,
        rng,
        f"The cat keeps {SIZE * SIZE - height * width} of {SIZE * SIZE} pixels, so its share is "
        f"{num(cat)}, as the CutMix tile's bar shows; the λ draw only sized the box.",
    )


def _cutout_variant(rng: np.random.Generator) -> Params:
    # A patch of at least 12 pixels a side erases a share that prints above 0; a of 0.5 or more
    # draws a CutMix box that pastes some of the dog, as in the CutMix question.
    return sample(Params, rng, ranges={"cutout": (12, 40), "alpha": (0.5, 2.0)})


def _box_area(box: np.ndarray) -> tuple[int, int]:
    """Return a clipped box's height and width."""
    top, bottom, left, right = (int(v) for v in box)
    return bottom - top, right - left


def _ask_cutout_label(params: Params, data: Data, rng: np.random.Generator) -> Question:
    """Ask which labels Cutout and CutMix train with: Cutout keeps the cat's, whatever it
    erased; CutMix gives the dog the share of pixels it pasted."""
    height, width = _box_area(data.cutout_box)
    erased = height * width / SIZE**2
    kept = 1.0 - erased
    box_height, box_width = _box_area(data.cutmix_box)
    pasted = box_height * box_width / SIZE**2
    cutout, cutmix = _label_text(data.cutout_label), _label_text(data.cutmix_label)
    as_cutmix = f"{CLASSES[0]} {num(kept)} / {CLASSES[1]} {num(erased)}"
    scaled = f"{CLASSES[0]} {num(kept)}"  # scaled down by what is left
    unchanged = _label_text(data.label_a)

    def pair(first: str, second: str) -> str:
        return f"Cutout: {first}; CutMix: {second}"

    box = f"a box of {box_height}x{box_width} pixels" if pasted else "an empty box"
    return choice(
        f"Cutout erases a patch of {height}x{width} pixels ({pct(erased)} of the image) from the "
        f"{SIZE}x{SIZE} cat image; CutMix pastes {box} of the dog ({pct(pasted)} of the "
        "image) into another copy of it. Which labels do the two images train with?",
        pair(cutout, cutmix),
        [
            pair(scaled, cutmix),
            pair(as_cutmix, cutmix),
            pair(unchanged, unchanged),
            pair(as_cutmix, unchanged),
        ],
        rng,
        f"Cutout keeps the label, so its tile's bar reads {cutout} although {pct(erased)} of "
        f"the image is black, while CutMix gives the dog the {pct(pasted)} of the pixels it "
        f"pasted: {cutmix}.",
    )


QUESTIONS: tuple[QuestionKind[Params, Data], ...] = (
    QuestionKind("mixup-label", _label_variant, _ask_mixup_label),
    QuestionKind("cutmix-label", _cutmix_variant, _ask_cutmix_label),
    QuestionKind("cutout-label", _cutout_variant, _ask_cutout_label),
)


DEMO = Demo(
    id="mixing-augmentations",
    title="Cutout, Mixup and CutMix",
    params=Params,
    compute=compute,
    plot=plot,
    summary=summary,
    panels=Panels(cols=2, left=0.3),
    questions=QUESTIONS,
)
