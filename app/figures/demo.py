"""What a demo is: bounded parameters, a pure numpy computation, a plot, a summary.

A demo module defines ``DEMO = Demo(...)`` and is listed in app.demos. ``compute`` is pure
numpy (no matplotlib, no I/O) and returns plain data; ``plot`` draws that data on the axes it
is given, which the demo's ``panels`` declare and the layout builds (OO API, never pyplot);
``summary`` leads with one short sentence of what the figure shows, then states the key
numbers (wording.caption; the card page shows the lead first); it is also the image's alt text.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from pydantic import BaseModel, ConfigDict, Field

from app.figures.layout import Layout, Panels, fit_narrow
from app.figures.skeleton import SKELETONS
from app.figures.style import Palette

if TYPE_CHECKING:
    from app.figures.questions import QuestionKind


class DemoParams(BaseModel):
    """Parameters of a demo: every field bounded (ge/le) with a default; a seed for noise."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = Field(0, ge=0, le=9999, description="Random seed")


P = TypeVar("P", bound=DemoParams)
D = TypeVar("D")


def param(
    default: float,
    *,
    ge: float,
    le: float,
    step: float,
    label: str,
    log: bool = False,
) -> Any:
    """Declare a bounded parameter with a slider step and a label."""
    return Field(
        default,
        ge=ge,
        le=le,
        description=label,
        json_schema_extra={"step": step, "log": log},
    )


@dataclass(frozen=True)
class Demo(Generic[P, D]):
    """One demo: its id, title, parameters, the three functions, its panels, its questions."""

    id: str
    title: str
    params: type[P]
    compute: Callable[[P], D]
    plot: Callable[[D, Palette, list[Axes]], None]
    summary: Callable[[D], str]
    panels: Panels
    # The predictions this demo asks a learner to make (app.figures.questions).
    questions: "tuple[QuestionKind[P, D], ...]" = ()

    @property
    def figsize(self) -> tuple[float, float]:
        """Return the wide figure's size in inches (the card page's image box)."""
        return self.panels.size("wide")

    def figure(self, data: D, palette: Palette, layout: Layout = "wide") -> Figure:
        """Build the figure for a layout and plot the data on its panels."""
        figure, axes = self.panels.build(palette, layout)
        self._plot(figure, axes, data, palette, layout)
        return figure

    @contextmanager
    def drawn(self, data: D, palette: Palette, layout: Layout = "wide") -> Iterator[Figure]:
        """Lend the figure of Demo.figure, plotted on a reused skeleton, for one render."""
        with SKELETONS.lend(self.id, self.panels, palette, layout) as skeleton:
            self._plot(skeleton.figure, skeleton.axes, data, palette, layout)
            skeleton.settle()
            yield skeleton.figure

    def _plot(
        self, figure: Figure, axes: list[Axes], data: D, palette: Palette, layout: Layout
    ) -> None:
        self.plot(data, palette, axes)
        if layout == "narrow":
            fit_narrow(figure)
