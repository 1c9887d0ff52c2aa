"""Answer 413 before a request body over its route's limit is read into memory."""

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import errors
from app.limits import BodyTooLarge, body_limit, too_large_message


class BodyLimitMiddleware:
    """Refuse bodies over their route's limit with 413, from Content-Length or as they stream.

    A declared Content-Length over the limit is answered at once, before any of the body is
    read. A chunked body (no length to go by) is counted as it arrives, and reading stops
    with 413 as soon as the count passes the limit. The 413 closes the connection, so the
    server does not go on reading the rest of a huge body.
    """

    def __init__(self, app: ASGIApp, *, max_import_bytes: int) -> None:
        self.app = app
        self.max_import_bytes = max_import_bytes

    def limit_of(self, path: str) -> int:
        """Return the largest body the route at path takes."""
        return body_limit(path, self.max_import_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, chunked = _framing(scope)
        # HTTP/1.1 delivers exactly Content-Length bytes (none without it, unless chunked);
        # only a chunked body, or an HTTP/2 one without a length, must be counted as it comes.
        counted = chunked or (declared is None and scope.get("http_version") == "2")
        if declared is None and not counted:
            await self.app(scope, receive, send)  # no body: no limit to look up
            return
        limit = self.limit_of(scope["path"])
        if declared is not None and declared > limit:
            response = errors.error_response(
                Request(scope),
                413,
                too_large_message(limit, scope["path"]),
                headers={"Connection": "close"},
            )
            await response(scope, receive, send)
            return
        if not counted:
            await self.app(scope, receive, send)
            return
        received = 0
        over = False

        async def counting_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    raise BodyTooLarge(limit, scope["path"])
            return message

        async def closing_send(message: Message) -> None:
            if over and message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Connection"] = "close"
            await send(message)

        await self.app(scope, counting_receive, closing_send)


def _framing(scope: Scope) -> tuple[int | None, bool]:
    """Return the request's Content-Length (None when absent) and whether it is chunked."""
    declared = None
    chunked = False
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                declared = int(value)
            except ValueError:  # the HTTP parser refuses these before the app sees them
                declared = None
        elif name == b"transfer-encoding":
            chunked = True
    return declared, chunked
