"""Login sessions: log in and out, the session cookie, and the CSRF tokens bound to a session.

No web framework here: the cookie is set on anything with set_cookie and delete_cookie (a
response), and the request's parts come in as plain values from app/deps.py.
"""

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from app.accounts.service import (
    SESSION_LIFETIME,
    AccountError,
    authenticate,
    count_signup,
    create_user,
    forget_signup,
    issue_token,
    revoke_all,
    revoke_token,
    user_count,
)
from app.accounts.site import signup_open
from app.exceptions import AppError
from app.models import User, utcnow

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


class CookieJar(Protocol):
    """Where cookies are set: a response."""

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: int | None = None,
        *,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax"] = "lax",
    ) -> None:
        """Set a cookie."""

    def delete_cookie(self, key: str) -> None:
        """Remove a cookie."""


def cookie_name(name: str, *, secure: bool) -> str:
    """Return the name a cookie has on this server (with __Host- when cookies are secure)."""
    return HOST_PREFIX + name if secure else name


def bearer_token(authorization: str | None) -> str | None:
    """Return the token of an `Authorization: Bearer` header, or None."""
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return None


def _mac(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()[:32]


def anonymous_csrf_token(secret: str) -> str:
    """Return a new guest CSRF token: a random pre-session id, signed with the secret key."""
    nonce = secrets.token_urlsafe(24)
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


def expected_csrf_token(secret: str, session_token: str | None, csrf_cookie: str) -> str | None:
    """Return the one token a write from this browser must carry, or None when it has none.

    With a session cookie, the token is bound to that session (a token seen by a guest or by
    another user does not work with it). Without one, it is bound to the guest's own
    pre-session id: the random half of the CSRF cookie, signed with the secret key.
    """
    if session_token:
        return session_csrf_token(secret, session_token)
    return csrf_cookie if _valid_anonymous(secret, csrf_cookie) else None


def origin_of(url: str) -> str | None:
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


def check_same_origin(base_url: str, origin: str | None, referer: str | None) -> None:
    """Refuse (CsrfFailed) a request whose Origin, else Referer, is another site's.

    Browsers send Origin on every cross-site POST; when it is missing, a Referer from
    elsewhere also refuses. A request with neither (curl, scripts) passes.
    """
    ours = origin_of(base_url)
    if origin is not None:
        source, header = origin, "Origin"
    elif referer is not None:
        source, header = referer, "Referer"
    else:
        return
    if origin_of(source) != ours:
        raise CsrfFailed(
            f"Cross-origin request refused: its {header} is {source[:200]!r}, not this site "
            f"({ours}). Send it from this site's pages, or use a Bearer token."
        )


def set_session_cookie(jar: CookieJar, token: str, *, secure_names: bool, https: bool) -> None:
    """Set the session cookie (Secure when configured or over TLS)."""
    jar.set_cookie(
        cookie_name(SESSION_COOKIE, secure=secure_names),
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure_names or https,
    )


def delete_session_cookie(jar: CookieJar, *, secure_names: bool) -> None:
    """Remove the session cookie."""
    jar.delete_cookie(cookie_name(SESSION_COOKIE, secure=secure_names))


@dataclass(frozen=True)
class Login:
    """A successful login: the user, their new session token and, if asked, an API token."""

    user: User
    session_token: str
    api_token: str | None


def start_session(session: Session, user: User) -> str:
    """Return a new session token for user (the session cookie's value); note the login time."""
    user.last_login_at = utcnow()  # committed with the token
    return issue_token(session=session, user=user, kind="session")


def log_in(
    *, session: Session, username: str, password: str, client: str, api_token: bool = False
) -> Login:
    """Check the password (throttled per username and client) and start a session."""
    user = authenticate(session=session, username=username, password=password, client=client)
    token = issue_token(session=session, user=user, kind="api") if api_token else None
    return Login(user, start_session(session, user), token)


def log_out(session: Session, tokens: Iterable[str | None]) -> None:
    """End the sessions and API tokens given (the ones a request came with)."""
    for token in tokens:
        if token:
            revoke_token(session, token)


def log_out_everywhere(*, session: Session, user: User) -> None:
    """End every session and API token of the user."""
    revoke_all(session=session, user=user)


def signup_allowed(session: Session, *, allow_signup: bool) -> bool:
    """Return whether a new account may be made now (the first one always may).

    allow_signup is the configured default; an admin's choice stored in the database wins.
    """
    return signup_open(session, default=allow_signup) or user_count(session) == 0


def sign_up(*, session: Session, username: str, password: str, client: str, per_hour: int) -> User:
    """Create an account, counting it against the sign-ups allowed from the client's address."""
    count_signup(session=session, client=client, per_hour=per_hour)
    try:
        return create_user(session=session, username=username, password=password)
    except AccountError:
        forget_signup(session=session, client=client)
        raise
