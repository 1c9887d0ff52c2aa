"""Error responses: JSON under /api, an HTML page everywhere else; never a traceback."""

import logging
import math
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from app.accounts.deps import CsrfFailed, LoginRequired
from app.accounts.service import AccountError, Throttled
from app.content.queries import BadFilter
from app.figures.cache import RenderBusy
from app.figures.params import BadParams
from app.input_checks import is_form
from app.security import add_security_headers
from app.study.reviews import StudyError
from app.web.templating import render

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    401: "Log in first",
    403: "Forbidden",
    409: "Conflict",
    413: "Request too large",
    429: "Too many attempts",
    404: "Not found",
    405: "Method not allowed",
    422: "Invalid parameter",
    500: "Something went wrong",
    503: "Busy",
}


MAX_DEPTH = 16  # an error echoes input back; a deeply nested one is cut short


def _text(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: show it escaped, as \\ud800
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def encodable(value: Any, depth: int = 0) -> Any:
    """Return value as plain JSON data that any encoder can carry: no NaN, no lone surrogates."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if depth >= MAX_DEPTH:
        return "..."
    if isinstance(value, dict):
        return {_text(str(key)): encodable(item, depth + 1) for key, item in value.items()}
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


def _readable(errors: list[dict[str, Any]]) -> list[str]:
    lines = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body")]
        name = ".".join(loc) or "request"
        lines.append(_text(f"{name}: {error.get('msg', 'invalid')}"))
    return lines


def error_page(request: Request, status: int, messages: list[str]) -> Response:
    """Render the HTML error page."""
    return render(
        request,
        "error.html",
        {"status": status, "title": TITLES.get(status, "Error"), "messages": messages},
        status_code=status,
    )


def error_response(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    """Answer an error: {"detail": message} under /api, the error page elsewhere."""
    if wants_json(request):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    response = error_page(request, status, [message])
    response.headers.update(headers or {})
    return response


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
        detail = TITLES.get(exc.status_code, "Error")
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"There is no page at {request.url.path}."
    response = error_page(request, exc.status_code, [_text(detail)])
    response.headers.update(headers)
    return response


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
    return error_page(request, 422, _readable(errors))


async def _bad_filter(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BadFilter)
    error = {"loc": ["query", exc.parameter], "msg": str(exc), "type": "value_error"}
    if wants_json(request):
        return JSONResponse({"detail": [error]}, status_code=422)
    return error_page(request, 422, [f"{exc.parameter}: {exc}"])


async def _bad_demo_params(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BadParams)
    if wants_json(request):
        return JSONResponse({"detail": encodable(exc.errors)}, status_code=422)
    return error_page(request, 422, [_text(str(error["msg"])) for error in exc.errors])


async def _login_required(request: Request, exc: Exception) -> Response:
    if wants_json(request):
        message = "Log in first: send Authorization: Bearer <token> from POST /api/v1/auth/login."
        return JSONResponse(
            {"detail": message},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)


async def _csrf_failed(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CsrfFailed)
    if wants_json(request):
        message = exc.message or (
            "CSRF check failed: with cookie login, send the header X-CSRF-Token with the "
            "csrf_token that POST /api/v1/auth/login returned (also in the prepdeck_csrf "
            "cookie), or use a Bearer token."
        )
        return JSONResponse({"detail": message}, status_code=403)
    message = exc.message or (
        "This form was sent from elsewhere or has expired. Reload the page and try again."
    )
    return error_page(request, 403, [message])


async def _study_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StudyError)
    if wants_json(request):
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)
    return error_page(request, exc.status, [str(exc)])


async def _account_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AccountError)
    if exc.status == 422:
        error = {"loc": ["body", exc.field], "msg": str(exc), "type": "value_error"}
        return JSONResponse({"detail": [error]}, status_code=422)
    return JSONResponse({"detail": str(exc)}, status_code=exc.status)


async def _throttled(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Throttled)
    headers = {"Retry-After": str(exc.retry_after)}
    if wants_json(request):
        return JSONResponse({"detail": str(exc)}, status_code=429, headers=headers)
    response = error_page(request, 429, [str(exc)])
    response.headers.update(headers)
    return response


async def _render_busy(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RenderBusy)
    return error_response(
        request, exc.status, str(exc), headers={"Retry-After": str(exc.retry_after)}
    )


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
    app.add_exception_handler(BadFilter, _bad_filter)
    app.add_exception_handler(BadParams, _bad_demo_params)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(CsrfFailed, _csrf_failed)
    app.add_exception_handler(StudyError, _study_error)
    app.add_exception_handler(AccountError, _account_error)
    app.add_exception_handler(Throttled, _throttled)
    app.add_exception_handler(RenderBusy, _render_busy)
    app.add_exception_handler(Exception, _server_error)
