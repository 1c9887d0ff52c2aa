"""JSON API: sign up, log in (token and session cookie), log out here or everywhere."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from app.accounts.deps import (
    CsrfProtected,
    CurrentUser,
    SameOrigin,
    session_cookie_name,
    session_csrf_token,
    session_of,
)
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
from app.api.schemas import AUTHENTICATED, CSRF_FAILED, LOGIN_REQUIRED
from app.config import Settings
from app.db import SessionDep
from app.models import User

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Credentials(BaseModel):
    """A username and password."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class UserOut(BaseModel):
    """A user as the API shows them."""

    id: int
    username: str
    is_admin: bool

    @classmethod
    def of(cls, user: User) -> "UserOut":
        """Describe a user."""
        return cls(id=user.id, username=user.username, is_admin=user.is_admin)


class LoginOut(BaseModel):
    """A personal API token (send it as Authorization: Bearer) and who it belongs to."""

    token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth token type, not a secret)
    user: UserOut
    csrf_token: str


async def get_settings_of(request: Request) -> Settings:
    """Return the app's settings."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_of)]


def signup_allowed(session: SessionDep, settings: Settings) -> bool:
    """Return whether a new account may be made now (the first one always may)."""
    return settings.allow_signup or user_count(session) == 0


def client_address(request: Request) -> str:
    """Return the client's address: the peer's, or X-Forwarded-For's from a trusted proxy.

    The server (uvicorn with PREPDECK_TRUSTED_PROXIES) has already put the forwarded
    address in place; behind a proxy that is not trusted, every client has its address.
    """
    return request.client.host if request.client else "unknown"


def set_session_cookie(response: Response, token: str, settings: Settings, request: Request) -> str:
    """Attach the session cookie (Secure when configured or over TLS); return its CSRF token.

    The browser's CSRF token is bound to the session, so a new session gets a new one.
    """
    response.set_cookie(
        session_cookie_name(request),
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies or request.url.scheme == "https",
    )
    csrf = session_csrf_token(request.app.state.secret, token)
    request.state.csrf_new = csrf
    return csrf


def create_account(
    *, request: Request, session: SessionDep, settings: Settings, username: str, password: str
) -> User:
    """Create an account, counting it against the sign-ups allowed from the client's address."""
    client = client_address(request)
    count_signup(session=session, client=client, per_hour=settings.signups_per_hour)
    try:
        return create_user(session=session, username=username, password=password)
    except AccountError:
        forget_signup(session=session, client=client)
        raise


@router.post(
    "/register",
    status_code=201,
    responses={
        403: {"description": "Sign-up is closed"},
        422: {"description": "Bad input, or a password too easy to guess"},
        429: {"description": "Too many sign-ups from this address"},
    },
    dependencies=[SameOrigin],
)
def register(
    credentials: Credentials, request: Request, session: SessionDep, settings: SettingsDep
) -> UserOut:
    """Create an account; the first account is an admin."""
    if not signup_allowed(session, settings):
        raise AccountError("username", "Sign-up is closed on this server; ask its admin.", 403)
    user = create_account(
        request=request,
        session=session,
        settings=settings,
        username=credentials.username,
        password=credentials.password,
    )
    return UserOut.of(user)


@router.post(
    "/login",
    responses={401: {"description": "Wrong credentials"}, 429: {"description": "Throttled"}},
    dependencies=[SameOrigin],
)
def login(
    credentials: Credentials,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
) -> LoginOut:
    """Check the password; return an API token and set the session cookie."""
    user = authenticate(
        session=session,
        username=credentials.username,
        password=credentials.password,
        client=client_address(request),
    )
    token = issue_token(session=session, user=user, kind="api")
    token_for_cookie = issue_token(session=session, user=user, kind="session")
    csrf = set_session_cookie(response, token_for_cookie, settings, request)
    return LoginOut(token=token, user=UserOut.of(user), csrf_token=csrf)


@router.post("/logout", status_code=204, dependencies=[CsrfProtected])
def logout(request: Request, response: Response, session: SessionDep) -> None:
    """End the session (cookie) or API token (Bearer) this request came with."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        revoke_token(session, header[7:].strip())
    cookie = session_of(request)
    if cookie:
        revoke_token(session, cookie)
    response.delete_cookie(session_cookie_name(request))


@router.post(
    "/logout-all",
    status_code=204,
    dependencies=[CsrfProtected, *AUTHENTICATED],
    responses={**LOGIN_REQUIRED, **CSRF_FAILED},
)
def logout_everywhere(
    request: Request, response: Response, user: CurrentUser, session: SessionDep
) -> None:
    """End every session and API token of the user, this one included."""
    revoke_all(session=session, user=user)
    response.delete_cookie(session_cookie_name(request))
