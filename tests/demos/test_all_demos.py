"""What every demo must do: bounded parameters, deterministic pure compute, a labelled
figure in both themes and both layouts drawn on the axes it is given, a summary with numbers;
and every card's demo exists."""

import dataclasses
import pkgutil
import re
from typing import Any

import numpy as np
import pytest
from matplotlib.figure import Figure
from pydantic import ValidationError

import app.demos
from app.content.models import Library
from app.figures.cache import draw
from app.figures.demo import Demo
from app.figures.encode import DPI
from app.figures.layout import LAYOUTS, Layout
from app.figures.params import describe
from app.figures.registry import demos
from app.figures.style import DARK, LIGHT
from app.figures.wording import split_lead

DEMOS = list(demos().values())
ids = [demo.id for demo in DEMOS]


def same(left: Any, right: Any) -> bool:
    """Return whether two Data objects hold equal values, arrays included."""
    for field in dataclasses.fields(left):
        a, b = getattr(left, field.name), getattr(right, field.name)
        if isinstance(a, np.ndarray):
            if not np.array_equal(a, b, equal_nan=True):
                return False
        elif a != b and not (a != a and b != b):  # NaN equals NaN here
            return False
    return True


def test_every_card_has_a_registered_demo(library: Library) -> None:
    wanted = {card.demo for deck in library.decks for card in deck.cards if card.demo}
    assert wanted <= set(demos()), sorted(wanted - set(demos()))
    assert len(demos()) >= 20


def test_every_demo_module_is_listed() -> None:
    modules = {module.name for module in pkgutil.iter_modules(app.demos.__path__)}
    listed = {demo.plot.__module__.removeprefix("app.demos.") for demo in DEMOS}
    assert listed == modules


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("demo", DEMOS, ids=ids)
def test_plot_draws_only_on_the_axes_it_is_given(demo: Demo[Any, Any], layout: Layout) -> None:
    data = demo.compute(demo.params())
    for palette in (LIGHT, DARK):
        figure, axes = demo.panels.build(palette, layout)
        given = list(axes)
        demo.plot(data, palette, axes)
        drawn = [ax for ax in figure.axes if ax.get_label() != "<colorbar>"]
        assert drawn == given
        assert len(given) == demo.panels.count
        assert tuple(figure.get_size_inches()) == demo.panels.size(layout)


@pytest.mark.parametrize("demo", DEMOS, ids=ids)
def test_narrow_figures_stack_the_panels_in_one_column(demo: Demo[Any, Any]) -> None:
    wide_width, wide_height = demo.panels.size("wide")
    width, height = demo.panels.size("narrow")
    assert width < wide_width
    assert height > wide_height
    figure = demo.figure(demo.compute(demo.params()), LIGHT, "narrow")
    rows = []
    for ax in figure.axes:
        spec = ax.get_subplotspec()
        assert spec is not None
        assert spec.get_gridspec().ncols == 1
        rows.append(spec.rowspan.start)
    assert rows == list(range(demo.panels.count))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("demo", DEMOS, ids=ids)
def test_renders_in_both_themes_at_the_layouts_size(demo: Demo[Any, Any], layout: Layout) -> None:
    width, height = demo.panels.size(layout)
    for theme in ("light", "dark"):
        body = draw(demo, demo.params(), "png", theme, layout).body
        assert body.startswith(b"\x89PNG")
        pixels = int.from_bytes(body[16:20], "big"), int.from_bytes(body[20:24], "big")
        assert pixels == (round(width * DPI), round(height * DPI))


@pytest.mark.parametrize("demo", DEMOS, ids=ids)
def test_parameters_are_bounded_with_valid_defaults(demo: Demo[Any, Any]) -> None:
    infos = describe(demo.params)
    assert infos[-1].name == "seed"
    for info in infos:
        assert info.minimum <= info.default <= info.maximum, info
        assert info.step > 0
        assert info.label
        above = info.maximum + max(info.step, 1)
        with pytest.raises(ValidationError):
            demo.params(**{info.name: above})


@pytest.mark.parametrize("demo", DEMOS, ids=ids)
def test_compute_is_deterministic_for_a_seed(demo: Demo[Any, Any]) -> None:
    params = demo.params(seed=11)
    assert same(demo.compute(params), demo.compute(params))


@pytest.mark.parametrize("demo", DEMOS, ids=ids)
def test_figures_are_labelled_in_both_themes(demo: Demo[Any, Any]) -> None:
    data = demo.compute(demo.params())
    for palette in (LIGHT, DARK):
        figure = demo.figure(data, palette)
        assert isinstance(figure, Figure)
        assert figure.get_facecolor()[:3] != (1.0, 1.0, 1.0) or palette is LIGHT
        plots = [ax for ax in figure.axes if ax.get_label() != "<colorbar>"]
        assert plots
        for ax in plots:
            title = ax.get_title() or ax.get_title(loc="left")
            assert title, f"{demo.id}: an axes without a title"


@pytest.mark.parametrize("demo", DEMOS, ids=ids)
def test_summary_states_numbers(demo: Demo[Any, Any]) -> None:
    _lead, details = split_lead(demo.summary(demo.compute(demo.params())))
    assert 20 < len(details) < 600
    assert re.search(r"\d", details)


LEAD_WORDS = 20  # a caption's first sentence, read before the figure


def corners(demo: Demo[Any, Any]) -> list[Any]:
    """Return the demo's parameters at their defaults, all minimums and all maximums."""
    found = [demo.params()]
    for corner in ("minimum", "maximum"):
        values = {
            info.name: int(getattr(info, corner)) if info.kind == "int" else getattr(info, corner)
            for info in describe(demo.params)
        }
        try:
            found.append(demo.params(**values))
        except ValidationError:
            continue  # a demo may tie parameters together
    return found


@pytest.mark.parametrize("demo", DEMOS, ids=ids)
def test_summary_leads_with_one_short_sentence(demo: Demo[Any, Any]) -> None:
    for params in corners(demo):
        text = demo.summary(demo.compute(params))
        lead, details = split_lead(text)
        assert lead.endswith("."), (demo.id, lead)
        assert len(lead.split()) <= LEAD_WORDS, (demo.id, params, lead)
        assert details, (demo.id, params)
        assert re.search(r"\d", details), (demo.id, params, details)


@pytest.mark.parametrize("demo", DEMOS, ids=ids)
def test_renders_at_the_extremes_of_every_parameter(demo: Demo[Any, Any]) -> None:
    infos = describe(demo.params)
    for corner in ("minimum", "maximum"):
        values: dict[str, Any] = {}
        for info in infos:
            value = getattr(info, corner)
            values[info.name] = int(value) if info.kind == "int" else value
        try:
            params = demo.params(**values)
        except ValidationError:
            continue  # a demo may tie parameters together (then each is checked alone below)
        rendered = draw(demo, params, "png", "light")
        assert rendered.body.startswith(b"\x89PNG")
    for info in infos:
        for value in (info.minimum, info.maximum):
            try:
                params = demo.params(**{info.name: int(value) if info.kind == "int" else value})
            except ValidationError:
                continue
            data = demo.compute(params)
            for field in dataclasses.fields(data):
                item = getattr(data, field.name)
                if isinstance(item, np.ndarray) and item.dtype.kind == "f":
                    assert not np.isnan(item).all(), (
                        f"{demo.id}.{field.name} all NaN at {info.name}={value}"
                    )
