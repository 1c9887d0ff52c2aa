"""Every demo by id, from the list in app.demos."""

from functools import cache
from typing import Any

from app.demos import DEMOS
from app.figures.demo import Demo


@cache
def demos() -> dict[str, Demo[Any, Any]]:
    """Return the demos by id."""
    found: dict[str, Demo[Any, Any]] = {}
    for demo in DEMOS:
        if demo.id in found:
            raise RuntimeError(f"two demos with id {demo.id!r}")
        found[demo.id] = demo
    return found


def demo_ids() -> frozenset[str]:
    """Return the ids of every demo."""
    return frozenset(demos())


def asking_demo(demo_id: str | None) -> Demo[Any, Any] | None:
    """Return the demo of this id if it asks questions, else None."""
    demo = demos().get(demo_id) if demo_id else None
    return demo if demo is not None and demo.questions else None
