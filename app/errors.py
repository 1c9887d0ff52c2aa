"""Error responses: JSON under /api, an HTML page everywhere else; never a traceback."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app.content.queries import BadFilter
from app.web.templating import render

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    422: "Invalid parameter",
    500: "Something went wrong",
}


def wants_json(request: Request) -> bool:
    """Return whether the request is for the JSON API."""
    return request.url.path.startswith("/api/")


def _readable(errors: list[dict[str, Any]]) -> list[str]:
    lines = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body")]
        name = ".".join(loc) or "request"
        lines.append(f"{name}: {error.get('msg', 'invalid')}")
    return lines


def error_page(request: Request, status: int, messages: list[str]) -> Response:
    """Render the HTML error page."""
    return render(
        request,
        "error.html",
        {"status": status, "title": TITLES.get(status, "Error"), "messages": messages},
        status_code=status,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if wants_json(request):
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )
    detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"There is no page at {request.url.path}."
    return error_page(request, exc.status_code, [detail])


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [dict(error) for error in exc.errors()]
    for error in errors:
        error.pop("ctx", None)  # may hold exception objects, which JSON cannot carry
        error.pop("url", None)
    if wants_json(request):
        return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)
    return error_page(request, 422, _readable(errors))


async def _bad_filter(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BadFilter)
    error = {"loc": ["query", exc.parameter], "msg": str(exc), "type": "value_error"}
    if wants_json(request):
        return JSONResponse({"detail": [error]}, status_code=422)
    return error_page(request, 422, [f"{exc.parameter}: {exc}"])


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    message = "The server failed to answer; the error is in its log."
    if wants_json(request):
        return JSONResponse({"detail": message}, status_code=500)
    return error_page(request, 500, [message])


def install(app: FastAPI) -> None:
    """Register the error handlers on app."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(BadFilter, _bad_filter)
    app.add_exception_handler(Exception, _server_error)
