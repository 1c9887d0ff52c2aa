"""Every demo, found in the modules of app.demos that define DEMO."""

import importlib
import pkgutil
from functools import cache
from typing import Any

import app.demos
from app.demos.base import Demo

_FRAMEWORK = {"base", "registry", "render", "style", "params", "wording"}


@cache
def demos() -> dict[str, Demo[Any, Any]]:
    """Return the demos by id."""
    found: dict[str, Demo[Any, Any]] = {}
    for module_info in sorted(pkgutil.iter_modules(app.demos.__path__), key=lambda m: m.name):
        if module_info.name in _FRAMEWORK:
            continue
        module = importlib.import_module(f"app.demos.{module_info.name}")
        demo = getattr(module, "DEMO", None)
        if isinstance(demo, Demo):
            if demo.id in found:
                raise RuntimeError(f"two demos with id {demo.id!r}")
            found[demo.id] = demo
    return found


def demo_ids() -> frozenset[str]:
    """Return the ids of every demo."""
    return frozenset(demos())
