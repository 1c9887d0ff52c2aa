"""Describe a demo's parameters (for sliders and the API) and read them from a query string."""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import annotated_types
from pydantic import ValidationError

from app.exceptions import AppError
from app.figures.demo import DemoParams

THEME = "theme"
LAYOUT = "layout"
SCALE = "scale"


@dataclass(frozen=True)
class ParamInfo:
    """One parameter: its name, label, type, range, slider step and default."""

    name: str
    label: str
    kind: str  # "int" or "float"
    minimum: float
    maximum: float
    step: float
    default: float
    log: bool

    def choices(self, current: float) -> list[float]:
        """Return the values a log-scale parameter offers (1, 2, 5 per decade, and current)."""
        values = {current}
        low, high = math.floor(math.log10(self.minimum)), math.ceil(math.log10(self.maximum))
        for exponent in range(low, high + 1):
            for mantissa in (1, 2, 5):
                value = float(f"{mantissa}e{exponent}")
                if self.minimum <= value <= self.maximum:
                    values.add(value)
        return sorted(values)


_described: dict[type[DemoParams], tuple[ParamInfo, ...]] = {}


def describe(params: type[DemoParams]) -> tuple[ParamInfo, ...]:
    """Return the parameters of a demo, seed last (read once per Params class)."""
    found = _described.get(params)
    if found is None:
        found = _described[params] = _describe(params)
    return found


def _describe(params: type[DemoParams]) -> tuple[ParamInfo, ...]:
    infos = []
    for name, field in params.model_fields.items():
        bounds = {type(item): item for item in field.metadata}
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        kind = "int" if field.annotation is int else "float"
        ge = bounds.get(annotated_types.Ge)
        le = bounds.get(annotated_types.Le)
        if ge is None or le is None:
            raise TypeError(f"{params.__name__}.{name} needs bounds: declare it with param()")
        step: Any = extra.get("step", 1)
        infos.append(
            ParamInfo(
                name=name,
                label=field.description or name,
                kind=kind,
                minimum=float(ge.ge),
                maximum=float(le.le),
                step=float(step),
                default=float(field.default),
                log=bool(extra.get("log", False)),
            )
        )
    return tuple(sorted(infos, key=lambda info: info.name == "seed"))


class BadParams(AppError, ValueError):
    """Query parameters a demo does not accept; ``errors`` name each one and its range."""

    status = 422

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(error["msg"]) for error in errors))

    def json_detail(self) -> Any:
        """Return the errors as FastAPI lists a request's invalid parameters."""
        return self.errors

    def page_lines(self) -> list[str]:
        """Return the message of each error."""
        return [str(error["msg"]) for error in self.errors]


def parse(
    params: type[DemoParams], items: Iterable[tuple[str, str]], ignore: Iterable[str] = ()
) -> DemoParams:
    """Validate query items into the demo's Params, naming any bad or unknown parameter."""
    infos = {info.name: info for info in describe(params)}
    skipped = set(ignore)
    values: dict[str, str] = {}
    errors: list[dict[str, Any]] = []
    for name, value in items:
        if name in skipped:
            continue
        if name not in infos:
            errors.append(
                {
                    "type": "extra_forbidden",
                    "loc": ["query", name],
                    "msg": f"unknown parameter '{name}': use {', '.join(infos)}",
                    "input": value,
                }
            )
        elif name in values:
            errors.append(
                {
                    "type": "duplicate",
                    "loc": ["query", name],
                    "msg": f"parameter '{name}' is given twice: give it once",
                    "input": value,
                }
            )
        else:
            values[name] = value
    if not errors:
        try:
            return params.model_validate(values)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                name = str(error["loc"][0])
                info = infos[name]
                allowed = _allowed(info)
                errors.append(
                    {
                        "type": error["type"],
                        "loc": ["query", name],
                        "msg": f"{name}: {error['msg']}; allowed {allowed}",
                        "input": error["input"],
                    }
                )
    raise BadParams(errors)


def _allowed(info: ParamInfo) -> str:
    low, high = (_number(info.minimum, info.kind), _number(info.maximum, info.kind))
    return f"{'an integer' if info.kind == 'int' else 'a number'} from {low} to {high}"


def _number(value: float, kind: str) -> str:
    return str(int(value)) if kind == "int" else f"{value:g}"


def query_of(params: DemoParams) -> dict[str, str]:
    """Return every parameter as a query item, so a URL names the whole figure."""
    return {name: _format(value) for name, value in params.model_dump().items()}


def _format(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
