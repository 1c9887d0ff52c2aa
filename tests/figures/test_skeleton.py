"""A reused figure skeleton draws exactly the image of a freshly built figure."""

import threading
from typing import Any

import matplotlib as mpl
import pytest
from pydantic import ValidationError

from app.figures import demo as demo_module
from app.figures.demo import Demo, DemoParams
from app.figures.encode import Format, encode
from app.figures.layout import LAYOUTS, Layout
from app.figures.params import describe
from app.figures.registry import demos
from app.figures.skeleton import Skeletons
from app.figures.style import DARK, LIGHT, Palette

DEMOS = demos()


def extreme(demo: Demo[Any, Any], end: str) -> DemoParams:
    """Return the demo's parameters, each at its minimum (or maximum) where the others allow."""
    values: dict[str, Any] = {}
    for info in describe(demo.params):
        value = info.minimum if end == "minimum" else info.maximum
        try:
            demo.params(**values, **{info.name: value})
        except ValidationError:  # a demo may tie parameters together
            continue
        values[info.name] = int(value) if info.kind == "int" else value
    params: DemoParams = demo.params(**values)
    return params


def fresh(demo: Demo[Any, Any], params: DemoParams, palette: Palette, layout: Layout) -> bytes:
    return encode(demo.figure(demo.compute(params), palette, layout), FORMATS[palette, layout])


def reused(demo: Demo[Any, Any], params: DemoParams, palette: Palette, layout: Layout) -> bytes:
    with demo.drawn(demo.compute(params), palette, layout) as figure:
        return encode(figure, FORMATS[palette, layout])


# A PNG for one combination; SVG, which names every coordinate and is cheaper, for the others.
FORMATS: dict[tuple[Palette, Layout], Format] = {
    (palette, layout): "png" if (palette, layout) == (LIGHT, "wide") else "svg"
    for palette in (LIGHT, DARK)
    for layout in LAYOUTS
}


@pytest.fixture(autouse=True)
def _same_svg_ids() -> Any:
    """Name an SVG's clip paths and markers by a fixed salt, so that equal figures compare equal."""
    with mpl.rc_context({"svg.hashsalt": "skeleton"}):
        yield


@pytest.mark.parametrize("key", sorted(DEMOS))
def test_reused_skeleton_draws_a_fresh_figure(key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_module, "SKELETONS", Skeletons())
    demo = DEMOS[key]
    low, high = extreme(demo, "minimum"), extreme(demo, "maximum")
    assert low != high
    for palette, layout in FORMATS:
        first = reused(demo, low, palette, layout)  # on a skeleton built for it
        assert first == fresh(demo, low, palette, layout)
        assert reused(demo, high, palette, layout) == fresh(demo, high, palette, layout)
        assert reused(demo, low, palette, layout) == first


def test_a_failed_plot_drops_its_skeleton() -> None:
    skeletons = Skeletons()
    demo = DEMOS["dropout-mask"]
    with pytest.raises(RuntimeError), skeletons.lend(demo.id, demo.panels, LIGHT, "wide"):
        raise RuntimeError
    with skeletons.lend(demo.id, demo.panels, LIGHT, "wide") as first:
        pass
    with skeletons.lend(demo.id, demo.panels, LIGHT, "wide") as second:
        assert second is first


def test_a_skeleton_is_lent_to_one_render_at_a_time() -> None:
    skeletons = Skeletons()
    demo = DEMOS["dropout-mask"]
    inside, release = threading.Event(), threading.Event()
    lent = []

    def hold() -> None:
        with skeletons.lend(demo.id, demo.panels, LIGHT, "wide") as skeleton:
            lent.append(skeleton)
            inside.set()
            release.wait()

    with skeletons.lend(demo.id, demo.panels, LIGHT, "wide"):
        pass
    holder = threading.Thread(target=hold)
    holder.start()
    inside.wait()
    with skeletons.lend(demo.id, demo.panels, LIGHT, "wide") as other:
        assert other is not lent[0]
    release.set()
    holder.join()


def test_the_least_recently_used_skeletons_are_dropped() -> None:
    skeletons = Skeletons(spare=1)
    first, second = DEMOS["dropout-mask"], DEMOS["max-norm"]
    with skeletons.lend(first.id, first.panels, LIGHT, "wide") as kept:
        pass
    with skeletons.lend(second.id, second.panels, LIGHT, "wide"):
        pass
    with skeletons.lend(first.id, first.panels, LIGHT, "wide") as again:
        assert again is not kept
