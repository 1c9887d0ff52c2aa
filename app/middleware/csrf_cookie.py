"""Set the CSRF cookie on responses of requests that made a new CSRF token."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.accounts.sessions import CSRF_COOKIE, CSRF_MAX_AGE, cookie_name


class CsrfCookieMiddleware:
    """Set the CSRF cookie on responses of requests that made a new token."""

    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self.app = app
        self.secure = secure
        self.name = cookie_name(CSRF_COOKIE, secure=secure)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            token = scope.get("state", {}).get("csrf_new")
            if message["type"] == "http.response.start" and token:
                cookie = f"{self.name}={token}; Path=/; Max-Age={CSRF_MAX_AGE}; SameSite=Lax" + (
                    "; Secure" if self.secure or scope.get("scheme") == "https" else ""
                )
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie.encode())]
            await send(message)

        await self.app(scope, receive, send_with_cookie)
