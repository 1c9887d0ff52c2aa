"""JSON API: sign up, log in (token and session cookie), log out."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from app.accounts.deps import (
    SESSION_COOKIE,
    CsrfProtected,
    csrf_token,
)
from app.accounts.service import (
    SESSION_LIFETIME,
    AccountError,
    authenticate,
    create_user,
    issue_token,
    revoke_token,
    user_count,
)
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
    """Return the client's address, as the server (and any trusted proxy) saw it."""
    return request.client.host if request.client else "unknown"


def set_session_cookie(
    response: Response, token: str, settings: Settings, request: Request
) -> None:
    """Attach the session cookie: Secure when configured or when the request came over TLS."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies or request.url.scheme == "https",
    )


@router.post(
    "/register",
    status_code=201,
    responses={403: {"description": "Sign-up is closed"}, 422: {"description": "Bad input"}},
)
def register(credentials: Credentials, session: SessionDep, settings: SettingsDep) -> UserOut:
    """Create an account; the first account is an admin."""
    if not signup_allowed(session, settings):
        raise AccountError("username", "Sign-up is closed on this server; ask its admin.", 403)
    user = create_user(
        session=session, username=credentials.username, password=credentials.password
    )
    return UserOut.of(user)


@router.post(
    "/login",
    responses={401: {"description": "Wrong credentials"}, 429: {"description": "Throttled"}},
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
    set_session_cookie(response, token_for_cookie, settings, request)
    return LoginOut(token=token, user=UserOut.of(user), csrf_token=csrf_token(request))


@router.post("/logout", status_code=204, dependencies=[CsrfProtected])
def logout(request: Request, response: Response, session: SessionDep) -> None:
    """End the session (cookie) or API token (Bearer) this request came with."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        revoke_token(session, header[7:].strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        revoke_token(session, cookie)
    response.delete_cookie(SESSION_COOKIE)
