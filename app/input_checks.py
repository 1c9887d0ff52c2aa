"""Refuse input that no database or JSON encoder carries: NUL, lone surrogates, NaN, infinity.

The rules, and the validators that apply them to a model's fields; app/request_checks.py
applies them to every request before any route sees it.
"""

import json
import math
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationInfo
from pydantic_core import PydanticCustomError

MAX_ERRORS = 20
NUL = "must not contain the NUL character (\\u0000): remove it"
SURROGATE = "must be valid Unicode: a lone surrogate such as \\ud800 is not a character"
NOT_FINITE = "Input should be a finite number: JSON has no NaN or Infinity (nor 1e999)"


TEXT_FORM = "text_form"  # validation context of a form, whose fields are all text


def _number_not_text(value: Any, info: ValidationInfo) -> Any:
    text_allowed = isinstance(info.context, dict) and info.context.get(TEXT_FORM)
    if isinstance(value, bool) or (isinstance(value, str | bytes) and not text_allowed):
        raise PydanticCustomError(
            "int_type", "Input should be a valid integer: a JSON number, not text or true/false"
        )
    return value


# An integer as JSON writes one: 3 (or 3.0, which JSON Schema counts as an integer too), never
# "3" or true. A form's text is converted when validated with context {TEXT_FORM: True}.
NUMBER_NOT_TEXT = BeforeValidator(_number_not_text)
JsonInt = Annotated[int, NUMBER_NOT_TEXT]
# With bounds, write Annotated[int, Field(ge=...), NUMBER_NOT_TEXT]: bounds given after the
# validator (Annotated[JsonInt, Field(ge=...)]) land on the validator, and an optional
# field's schema then carries them as unknown keywords that clients ignore.


def text_error(value: str, loc: tuple[str | int, ...]) -> dict[str, Any] | None:
    """Return the validation error for text that contains NUL or a lone surrogate, else None."""
    if "\x00" in value:
        return {"type": "string_nul", "loc": loc, "msg": f"Text {NUL}", "input": value}
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return {"type": "string_unicode", "loc": loc, "msg": f"Text {SURROGATE}", "input": value}
    return None


def raw_json_errors(raw: bytes, loc: tuple[str | int, ...]) -> list[dict[str, Any]]:
    """Return json_errors of a JSON file (NUL, lone surrogates, NaN, Inf), none if it is not JSON.

    For routes that check their own large body off the event loop (SELF_CHECKED_BODIES).
    """
    try:
        data = json.loads(raw)  # the standard parser: it takes lone surrogates, so they are named
    except (ValueError, RecursionError):
        return []  # not JSON: the route's own parsing says so
    return json_errors(data, loc)


def json_errors(data: Any, loc: tuple[str | int, ...]) -> list[dict[str, Any]]:
    """Return the errors of every bad string, key or number in parsed JSON, at most MAX_ERRORS."""
    errors: list[dict[str, Any]] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, loc)]
    # A loop rather than recursion: the parser allows nesting deeper than our stack would.
    while stack and len(errors) < MAX_ERRORS:
        value, where = stack.pop()
        if isinstance(value, str):
            error = text_error(value, where)
            if error:
                errors.append(error)
        elif isinstance(value, float) and not math.isfinite(value):
            errors.append(
                {"type": "finite_number", "loc": where, "msg": NOT_FINITE, "input": value}
            )
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                error = text_error(key, (*where, key))
                if error:
                    error["msg"] = error["msg"].replace("Text", "A key", 1)
                    errors.append(error)
                stack.append((item, (*where, key)))
        elif isinstance(value, list):
            stack.extend(
                (item, (*where, index)) for index, item in reversed(list(enumerate(value)))
            )
    return errors[:MAX_ERRORS]


NO_NUL = "^[^\\u0000]*$"


ERROR_SCHEMAS = ("ErrorOut", "FieldError", "InvalidInput", "HTTPValidationError", "ValidationError")


def document_text_rule(openapi: dict[str, Any]) -> dict[str, Any]:
    """Give every free-text string in an OpenAPI document the pattern that refuses NUL."""
    schemas = openapi.get("components", {}).get("schemas", {})
    # Errors echo what was sent, NUL and all, so their text is left free.
    stack: list[Any] = [openapi.get("paths", {})]
    stack.extend(schema for name, schema in schemas.items() if name not in ERROR_SCHEMAS)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            free_text = not {"enum", "const", "pattern", "format"} & node.keys()
            if node.get("type") == "string" and free_text:
                node["pattern"] = NO_NUL
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return openapi
