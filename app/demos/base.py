"""What a demo is: bounded parameters, a pure numpy computation, a figure, a summary.

A demo module defines ``DEMO = Demo(...)``; the registry finds it. ``compute`` is pure numpy
(no matplotlib, no I/O) and returns plain data; ``plot`` draws that data on a new
``matplotlib.figure.Figure`` (OO API, never pyplot); ``summary`` states the key numbers in one
sentence, which is also the image's alt text.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from matplotlib.figure import Figure
from pydantic import BaseModel, ConfigDict, Field

from app.demos.style import Palette


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
    """One demo: its id, title, parameters, and the three functions."""

    id: str
    title: str
    params: type[P]
    compute: Callable[[P], D]
    plot: Callable[[D, Palette], Figure]
    summary: Callable[[D], str]
    figsize: tuple[float, float] = field(default=(8.0, 4.2))
