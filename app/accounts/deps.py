"""Who is asking: the session cookie or a Bearer token; CSRF on cookie-authenticated writes."""

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.accounts.service import user_for_token
from app.db import SessionDep
from app.models import User

SESSION_COOKIE = "prepdeck_session"
CSRF_COOKIE = "prepdeck_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
CSRF_MAX_AGE = 60 * 60 * 24 * 365


class LoginRequired(Exception):
    """The page or endpoint needs a logged-in user."""


class CsrfFailed(Exception):
    """A cookie-authenticated write came without the matching CSRF token."""


async def optional_user(request: Request, session: SessionDep) -> User | None:
    """Return the user of the Bearer token or session cookie, or None for a guest.

    Async although it queries the database: the query is one indexed lookup, cheaper than
    the hop to a worker thread that a sync dependency costs on every request.
    """
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        user = user_for_token(session, token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise HTTPException(
                401,
                "Invalid or expired token: log in again with POST /api/v1/auth/login.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        request.state.auth = "bearer"
        request.state.user = user
        return user
    cookie = request.cookies.get(SESSION_COOKIE)
    user = None
    if cookie:
        request.state.auth = "cookie"
        user = user_for_token(session, cookie)
    request.state.user = user
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]


async def current_user(user: OptionalUser) -> User:
    """Return the logged-in user, or stop with LoginRequired."""
    if user is None:
        raise LoginRequired
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def _sign(secret: str, nonce: str) -> str:
    return hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).hexdigest()[:32]


def _valid(secret: str, token: str) -> bool:
    nonce, _, signature = token.partition(".")
    return bool(nonce) and secrets.compare_digest(signature, _sign(secret, nonce))


def csrf_token(request: Request) -> str:
    """Return this browser's CSRF token, making one (set as a cookie on the way out).

    The token is signed with the secret key, so a cookie planted from elsewhere (another
    subdomain, say) is not accepted as a token.
    """
    secret: str = request.app.state.secret
    new = getattr(request.state, "csrf_new", None)
    if new:
        return str(new)
    token = request.cookies.get(CSRF_COOKIE, "")
    if not _valid(secret, token):
        nonce = secrets.token_urlsafe(24)
        token = f"{nonce}.{_sign(secret, nonce)}"
        request.state.csrf_new = token
    return token


async def require_csrf(request: Request, _user: OptionalUser) -> None:
    """Check the CSRF token of a write that a browser could be tricked into sending."""
    if getattr(request.state, "auth", None) == "bearer":
        return  # a Bearer token is never sent by a browser on its own
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not _valid(request.app.state.secret, expected):
        raise CsrfFailed
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not secrets.compare_digest(expected, sent):
        raise CsrfFailed


CsrfProtected = Depends(require_csrf)


class CsrfCookieMiddleware:
    """Set the CSRF cookie on responses of requests that made a new token."""

    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            token = scope.get("state", {}).get("csrf_new")
            if message["type"] == "http.response.start" and token:
                cookie = f"{CSRF_COOKIE}={token}; Path=/; Max-Age={CSRF_MAX_AGE}; SameSite=Lax" + (
                    "; Secure" if self.secure or scope.get("scheme") == "https" else ""
                )
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie.encode())]
            await send(message)

        await self.app(scope, receive, send_with_cookie)
