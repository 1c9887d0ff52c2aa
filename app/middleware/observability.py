"""One pass over every request: add the response headers, count and time it, log it.

The response headers are the security headers (app/security.py) and, when the request made a
new CSRF token, the CSRF cookie. The request is counted and timed with its SQL statements in
the Prometheus metrics, and logged as one JSON line when the access log is on.
"""

import json
import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.accounts.sessions import CSRF_COOKIE, CSRF_MAX_AGE, cookie_name
from app.observability import Metrics, request_queries
from app.security import CSP, DOCS_CSP, DOCS_PATHS, security_headers

access_log = logging.getLogger("prepdeck.access")

RawHeaders = tuple[tuple[bytes, bytes], ...]


def _route(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    request_path: str = scope["path"]
    if request_path.startswith(("/static/", "/docs-assets/")):
        return "/" + request_path.split("/")[1] + "/{file}"
    return "unmatched"  # never the raw path: unbounded label values would grow forever


def _encoded(policy: str, *, hsts: bool) -> RawHeaders:
    """Return the security headers as ASGI raw headers: lower-case names, latin-1 bytes."""
    return tuple(
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in security_headers(policy, hsts=hsts)
    )


class ObservabilityMiddleware:
    """Add the security headers and the CSRF cookie, count, time and log every request."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, secure: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.secure = secure
        self.csrf_name = cookie_name(CSRF_COOKIE, secure=secure)
        # Encoded once, by (docs page, HSTS): each response only appends them.
        self.headers = {
            (docs, hsts): _encoded(DOCS_CSP if docs else CSP, hsts=hsts)
            for docs in (False, True)
            for hsts in (False, True)
        }
        # The metric children of each (route, method, status): labels() takes a lock and
        # builds a key on every call, where a dict lookup will do. Bounded, as the labels are.
        self.children: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        queries = [0]
        token = request_queries.set(queries)
        https = scope.get("scheme") == "https"
        security = self.headers[scope["path"] in DOCS_PATHS, self.secure and https]

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = self._response_headers(
                    message.get("headers", ()), scope, security, https
                )
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            request_queries.reset(token)
            self._record(scope, status, elapsed, queries[0])

    def _response_headers(
        self, headers: Any, scope: Scope, security: RawHeaders, https: bool
    ) -> list[tuple[bytes, bytes]]:
        """Return headers with the CSRF cookie, if one is due, and the security headers it lacks."""
        out = list(headers)
        csrf = scope.get("state", {}).get("csrf_new")
        if csrf:
            secure = "; Secure" if self.secure or https else ""
            cookie = f"{self.csrf_name}={csrf}; Path=/; Max-Age={CSRF_MAX_AGE}; SameSite=Lax"
            out.append((b"set-cookie", (cookie + secure).encode()))
        present = {name for name, _ in out}
        out.extend(header for header in security if header[0] not in present)
        return out

    def _record(self, scope: Scope, status: int, elapsed: float, queries: int) -> None:
        """Count and time the request in the metrics, and log it when the access log is on."""
        route, method = _route(scope), scope["method"]
        key = (route, method, status)
        children = self.children.get(key)
        if children is None:
            metrics = self.metrics
            children = self.children[key] = (
                metrics.requests.labels(route, method, str(status)),
                metrics.latency.labels(route, method),
                metrics.queries.labels(route, method),
            )
        requests, latency, statements = children
        requests.inc()
        latency.observe(elapsed)
        statements.observe(queries)
        if access_log.isEnabledFor(logging.INFO):
            client = scope.get("client")
            access_log.info(
                json.dumps(
                    {
                        "event": "request",
                        "method": method,
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "ms": round(elapsed * 1000, 2),
                        "db_queries": queries,
                        "client": client[0] if client else None,
                    }
                )
            )
