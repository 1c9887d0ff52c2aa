"""Refuse a request whose query, path, form or JSON body holds NUL, a surrogate, NaN or Inf.

One dependency on every route checks them before any route sees them, so each route need
not; the answer is a 422 that names the field. The rules are in app/input_checks.py.
"""

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from app import urls
from app.input_checks import MAX_ERRORS, json_errors, text_error

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _is_json(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    # FastAPI may read a body without a content type as JSON, so it is checked as JSON too.
    return content_type in ("", "application/json") or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


def is_form(request: Request) -> bool:
    """Return whether the request's body is a form (urlencoded or multipart)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type in ("application/x-www-form-urlencoded", "multipart/form-data")


async def reject_unsafe_input(request: Request) -> None:
    """Answer 422 when the query, path, form or JSON body holds NUL, a surrogate, NaN or Inf."""
    errors: list[dict[str, Any]] = []
    scope = request.scope
    if scope["query_string"]:  # most requests have none: parse nothing then
        for name, value in request.query_params.multi_items():
            for text in (name, value):
                error = text_error(text, ("query", name))
                if error:
                    errors.append(error)
                    break
    for name, value in scope.get("path_params", {}).items():
        if isinstance(value, str):
            error = text_error(value, ("path", name))
            if error:
                errors.append(error)
    if scope["method"] in BODY_METHODS:
        errors.extend(await _body_errors(request))
    if errors:
        raise RequestValidationError(errors[:MAX_ERRORS])


# Routes that parse and check their (large) body themselves, off the event loop, with the
# same rules: parsing it here would hold up every other request for the length of the file.
SELF_CHECKED_BODIES = frozenset({urls.api_import()})


async def _body_errors(request: Request) -> list[dict[str, Any]]:
    if is_form(request):
        if getattr(request.scope.get("route"), "body_field", None) is None:
            return []  # the route reads no form; parsing one here would only add failures
        form = await request.form()  # parsed already by the route's own reading: cached
        errors = []
        for name, value in form.multi_items():
            for text in (name, value) if isinstance(value, str) else (name,):
                error = text_error(text, ("body", name))
                if error:
                    errors.append(error)
                    break
        return errors
    if not _is_json(request) or request.scope["path"] in SELF_CHECKED_BODIES:
        return []
    if not await request.body():
        return []
    try:
        data = await request.json()  # parsed already when the route takes a body: cached
    except (ValueError, RecursionError):
        return []  # not JSON: the route's own parsing says so, or it ignores the body
    return json_errors(data, ("body",))
