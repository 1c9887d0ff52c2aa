"""Who is asking: the session cookie or a Bearer token; CSRF on cookie-authenticated writes."""

import hashlib
import hmac
import secrets
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.accounts.service import user_for_token
from app.db import SessionDep
from app.exceptions import AppError
from app.models import User

SESSION_COOKIE = "prepdeck_session"
CSRF_COOKIE = "prepdeck_csrf"
# With secure cookies on, the names carry the __Host- prefix: browsers then accept the cookie
# only from this exact host over HTTPS, so a sibling subdomain cannot plant one.
HOST_PREFIX = "__Host-"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
CSRF_MAX_AGE = 60 * 60 * 24 * 365
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def cookie_name(name: str, *, secure: bool) -> str:
    """Return the name a cookie has on this server (with __Host- when cookies are secure)."""
    return HOST_PREFIX + name if secure else name


def session_cookie_name(request: Request) -> str:
    """Return the session cookie's name for this app's settings."""
    return cookie_name(SESSION_COOKIE, secure=request.app.state.settings.secure_cookies)


def csrf_cookie_name(request: Request) -> str:
    """Return the CSRF cookie's name for this app's settings."""
    return cookie_name(CSRF_COOKIE, secure=request.app.state.settings.secure_cookies)


def session_of(request: Request) -> str | None:
    """Return the session cookie's value (the login token), or None."""
    return request.cookies.get(session_cookie_name(request)) or None


def presented_token(request: Request) -> str | None:
    """Return the credential this request came with: its Bearer token, else its session."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return session_of(request)


class LoginRequired(AppError):
    """The page or endpoint needs a logged-in user (a page sends the browser to log in)."""

    status = 401

    def __init__(self) -> None:
        super().__init__(
            "Log in first: send Authorization: Bearer <token> from POST /api/v1/auth/login.",
            headers={"WWW-Authenticate": "Bearer"},
        )


class CsrfFailed(AppError):
    """A cookie-authenticated write came without the matching CSRF token, or from elsewhere."""

    status = 403

    def __init__(self, message: str | None = None) -> None:
        self.message = message
        super().__init__(message or "CSRF check failed")

    def json_detail(self) -> Any:
        """Return the message, or how an API client sends the token."""
        return self.message or (
            "CSRF check failed: with cookie login, send the header X-CSRF-Token with the "
            "csrf_token that POST /api/v1/auth/login returned (also in the prepdeck_csrf "
            "cookie), or use a Bearer token."
        )

    def page_lines(self) -> list[str]:
        """Return the message, or how a reader gets a fresh form."""
        return [
            self.message
            or "This form was sent from elsewhere or has expired. Reload the page and try again."
        ]


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
    cookie = session_of(request)
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


def _mac(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()[:32]


def _anonymous_token(secret: str, nonce: str) -> str:
    return f"{nonce}.{_mac(secret, 'anonymous:' + nonce)}"


def _valid_anonymous(secret: str, token: str) -> bool:
    nonce, _, signature = token.partition(".")
    return (
        bool(nonce)
        and nonce != "s"
        and secrets.compare_digest(signature, _mac(secret, "anonymous:" + nonce))
    )


def session_csrf_token(secret: str, session_token: str) -> str:
    """Return the CSRF token of a login session: only this session's pages can know it."""
    digest = hashlib.sha256(session_token.encode()).hexdigest()
    return "s." + _mac(secret, "session:" + digest)


def _expected_token(request: Request) -> str | None:
    """Return the one token a write from this browser must carry, or None when it has none.

    With a session cookie, the token is bound to that session (a token seen by a guest or by
    another user does not work with it). Without one, it is bound to the guest's own
    pre-session id: the random half of the CSRF cookie, signed with the secret key.
    """
    secret: str = request.app.state.secret
    session = session_of(request)
    if session:
        return session_csrf_token(secret, session)
    token = request.cookies.get(csrf_cookie_name(request), "")
    return token if _valid_anonymous(secret, token) else None


def csrf_token(request: Request) -> str:
    """Return the CSRF token for this browser's forms, setting the CSRF cookie on the way out.

    The cookie carries the same token for scripts; a guest without a valid one gets a new
    pre-session id.
    """
    new = getattr(request.state, "csrf_new", None)
    if new:
        return str(new)
    token = _expected_token(request)
    if token is None:
        token = _anonymous_token(request.app.state.secret, secrets.token_urlsafe(24))
    if request.cookies.get(csrf_cookie_name(request)) != token:
        request.state.csrf_new = token
    return token


def _origin(url: str) -> str | None:
    """Return scheme://host[:port] of url, without a default port, or None if it has none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    netloc = parts.hostname + (f":{port}" if port and port != DEFAULT_PORTS[parts.scheme] else "")
    return f"{parts.scheme}://{netloc}"


async def require_same_origin(request: Request) -> None:
    """Refuse an unsafe request that a browser sent from a page of another site.

    Browsers send Origin on every cross-site POST; when it is missing, a Referer from
    elsewhere also refuses. A request with neither (curl, scripts) passes this check.
    """
    if request.method not in UNSAFE_METHODS or request.headers.get("authorization"):
        return
    ours = _origin(str(request.base_url))
    origin = request.headers.get("origin")
    if origin is not None:
        source, header = origin, "Origin"
    else:
        referer = request.headers.get("referer")
        if referer is None:
            return
        source, header = referer, "Referer"
    if _origin(source) != ours:
        raise CsrfFailed(
            f"Cross-origin request refused: its {header} is {source[:200]!r}, not this site "
            f"({ours}). Send it from this site's pages, or use a Bearer token."
        )


async def require_csrf(request: Request, _user: OptionalUser) -> None:
    """Check the CSRF token of a write that a browser could be tricked into sending."""
    if getattr(request.state, "auth", None) == "bearer":
        return  # a Bearer token is never sent by a browser on its own
    await require_same_origin(request)
    expected = _expected_token(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not secrets.compare_digest(expected, sent):
        raise CsrfFailed


CsrfProtected = Depends(require_csrf)
SameOrigin = Depends(require_same_origin)


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
