"""Turn a model's validation errors into problems an author can act on, each at its line."""

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from app.content.yaml_source import Loc, Problem, Source

M = typing.TypeVar("M", bound=BaseModel)


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """Return the model class that validates the mapping at loc, if any."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _unwrap(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Strip Optional[...] and tuple[X, ...] down to X."""
    while True:
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        origin = typing.get_origin(annotation)
        if origin in (tuple, typing.Union, types.UnionType) and args:
            annotation = args[0]
        else:
            return annotation


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(error: ErrorDetails, model: type[BaseModel]) -> tuple[Loc, str]:
    """Return where one validation error is and what to write instead."""
    loc: Loc = tuple(error["loc"])
    name = ".".join(str(part) for part in loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        allowed = sorted(owner.model_fields) if owner else []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f"; allowed: {', '.join(allowed)}"
        return loc, f"unknown field '{name}'{hint}"
    if kind == "missing":
        return loc, f"missing field '{name}'"
    if kind == "string_pattern_mismatch":
        return loc, (
            f"{name}: {_short(error['input'])} is not a slug; "
            "use lowercase letters, digits and single hyphens, such as 'l1-vs-l2'"
        )
    if kind == "enum" and loc == ("difficulty",):
        return loc, f"bad difficulty {_short(error['input'])}: use easy, medium or hard"
    return loc, f"{name}: {error['msg']} (got {_short(error['input'])})"


def validate(source: Source, model: type[M]) -> tuple[M | None, list[Problem]]:
    """Return source's data as a model, or every problem with it placed at its line."""
    try:
        return model.model_validate(source.data), []
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        described = [_describe(error, model) for error in errors]
        # A misspelt field is both unknown and missing: report it once, as the misspelling.
        suggested = {
            (*loc[:-1], message.rsplit("'", 2)[-2])
            for (loc, message), error in zip(described, errors, strict=True)
            if error["type"] == "extra_forbidden" and "did you mean" in message
        }
        problems = [
            source.problem(loc, message)
            for (loc, message), error in zip(described, errors, strict=True)
            if not (error["type"] == "missing" and loc in suggested)
        ]
        return None, problems
