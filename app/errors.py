"""Error responses: JSON under /api, an HTML page everywhere else; never a traceback."""

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from app.accounts.sessions import LoginRequired
from app.exceptions import AppError, dotted, error_lines, printable, title_of
from app.request_checks import is_form
from app.security import add_security_headers
from app.web.templating import render

log = logging.getLogger(__name__)

MAX_DEPTH = 16  # an error echoes input back; a deeply nested one is cut short


def encodable(value: Any, depth: int = 0) -> Any:
    """Return value as plain JSON data that any encoder can carry: no NaN, no lone surrogates."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if depth >= MAX_DEPTH:
        return "..."
    if isinstance(value, dict):
        return {printable(str(key)): encodable(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [encodable(item, depth + 1) for item in value]
    try:
        plain = jsonable_encoder(value)
    except Exception:  # an object no encoder knows: its text will do
        plain = str(value)
    return encodable(plain, depth + 1)


def wants_json(request: Request) -> bool:
    """Return whether the request is for the JSON API."""
    return request.url.path.startswith("/api/")


def _where(loc: Sequence[Any]) -> str:
    # Where a parameter came from is for the API; a reader knows the field by its name.
    return dotted(loc, hide=("query", "path", "body")) or "request"


def error_page(
    request: Request,
    status: int,
    messages: list[str],
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Render the error page of a status: templates/errors/<status>.html, else error.html."""
    templates: Jinja2Templates = request.app.state.templates
    page = templates.env.select_template([f"errors/{status}.html", "error.html"])
    context = {
        "status": status,
        "title": title or title_of(status),
        "messages": messages,
        "retry_after": (headers or {}).get("Retry-After"),
    }
    response = render(request, page.name or "error.html", context, status_code=status)
    response.headers.update(headers or {})
    return response


def error_response(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    """Answer an error: {"detail": message} under /api, the error page elsewhere."""
    if wants_json(request):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    return error_page(request, status, [message], headers=headers)


BODY_PARSE_FAILED = "There was an error parsing the body"  # FastAPI's words
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """Return every method some route answers at the request's path."""
    allowed = []
    for method in METHODS:
        scope = {
            "type": "http",
            "method": method,
            "path": request.scope["path"],
            "root_path": request.scope.get("root_path", ""),
            "headers": [],
            "query_string": b"",
        }
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    detail: Any = exc.detail
    if exc.status_code == 405:
        # Starlette names only the methods of the first route at this path; list them all.
        allowed = ", ".join(allowed_methods(request))
        headers["Allow"] = allowed
        if detail == "Method Not Allowed":
            detail = f"{request.method} is not allowed at {request.url.path}; use {allowed}."
    if exc.status_code == 400 and detail == BODY_PARSE_FAILED and exc.__cause__ is not None:
        # FastAPI says 400 when a body is not UTF-8 (or nests past the parser's limit, or is a
        # broken form), and 422 for other bodies that are not JSON: answer alike, with the reason.
        error = {
            "type": "json_invalid",
            "loc": ["body"],
            "msg": f"JSON decode error: {exc.__cause__}",
        }
        if is_form(request):
            error = {
                "type": "form_invalid",
                "loc": ["body"],
                "msg": f"Unreadable form: {exc.__cause__}",
            }
        return await _validation_error(request, RequestValidationError([error]))
    if wants_json(request):
        return JSONResponse(
            {"detail": encodable(detail)}, status_code=exc.status_code, headers=headers
        )
    if not isinstance(detail, str):
        detail = title_of(exc.status_code)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"There is no page at {request.url.path}."
    return error_page(request, exc.status_code, [printable(detail)], headers=headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [dict(error) for error in exc.errors()]
    for error in errors:
        error.pop("ctx", None)  # may hold exception objects, which JSON cannot carry
        error.pop("url", None)
    # The input is echoed back; it may hold NaN or a lone surrogate, which JSON cannot carry.
    errors = encodable(errors)
    if wants_json(request):
        return JSONResponse({"detail": errors}, status_code=422)
    return error_page(request, 422, error_lines(errors, where=_where))


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    if isinstance(exc, LoginRequired) and not wants_json(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
    if wants_json(request):
        return JSONResponse(
            {"detail": encodable(exc.json_detail())}, status_code=exc.status, headers=exc.headers
        )
    lines = [printable(line) for line in exc.page_lines()]
    return error_page(request, exc.status, lines, title=exc.page_title, headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    message = "The server failed to answer; the error is in its log."
    response: Response
    if wants_json(request):
        response = JSONResponse({"detail": message}, status_code=500)
    else:
        try:
            response = error_page(request, 500, [message])
        except Exception:  # the page itself failed (its database, say): answer in plain text
            log.exception("the error page failed too")
            response = PlainTextResponse(message, status_code=500)
    # This answer is made outside the middleware that adds these headers to all others.
    add_security_headers(
        response.headers,
        path=request.url.path,
        https=request.url.scheme == "https",
        hsts=request.app.state.settings.secure_cookies,
    )
    return response


def install(app: FastAPI) -> None:
    """Register the error handlers on app."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    # Starlette looks a handler up along the exception's classes: this one answers them all.
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(Exception, _server_error)
