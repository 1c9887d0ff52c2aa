"""Count and time every request and its SQL statements, and log it as one JSON line."""

import json
import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.observability import Metrics, request_queries

access_log = logging.getLogger("prepdeck.access")


def _route(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    request_path: str = scope["path"]
    if request_path.startswith(("/static/", "/docs-assets/")):
        return "/" + request_path.split("/")[1] + "/{file}"
    return "unmatched"  # never the raw path: unbounded label values would grow forever


class ObservabilityMiddleware:
    """Count and time every request and its SQL statements, and log it as one JSON line."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        queries = [0]
        token = request_queries.set(queries)

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            elapsed = time.perf_counter() - started
            request_queries.reset(token)
            route, method = _route(scope), scope["method"]
            self.metrics.requests.labels(route, method, str(status)).inc()
            self.metrics.latency.labels(route, method).observe(elapsed)
            self.metrics.queries.labels(route, method).observe(queries[0])
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
                            "db_queries": queries[0],
                            "client": client[0] if client else None,
                        }
                    )
                )
