"""JSON API: sign up, log in (token and cookie), log out here or everywhere, password, delete."""

from fastapi import APIRouter, Response

from app import urls
from app.accounts.service import AccountError, change_password, delete_account
from app.accounts.sessions import log_in, log_out, log_out_everywhere, sign_up, signup_allowed
from app.api.schemas import (
    AUTHENTICATED,
    CSRF_FAILED,
    LOGIN_REQUIRED,
    AccountDeleteIn,
    CredentialsIn,
    LoginOut,
    PasswordChangeIn,
    UserOut,
)
from app.deps import (
    ClientDep,
    CookiesDep,
    CsrfProtected,
    CurrentUser,
    SameOrigin,
    SessionDep,
    SettingsDep,
)

router = APIRouter(prefix=urls.API, tags=["auth"])


@router.post(
    "/auth/register",
    status_code=201,
    responses={
        403: {"description": "Sign-up is closed"},
        422: {"description": "Bad input, or a password too easy to guess"},
        429: {"description": "Too many sign-ups from this address"},
    },
    dependencies=[SameOrigin],
)
def register(
    credentials: CredentialsIn, client: ClientDep, session: SessionDep, settings: SettingsDep
) -> UserOut:
    """Create an account; the first account is an admin."""
    if not signup_allowed(session, allow_signup=settings.allow_signup):
        raise AccountError("username", "Sign-up is closed on this server; ask its admin.", 403)
    user = sign_up(
        session=session,
        username=credentials.username,
        password=credentials.password,
        client=client,
        per_hour=settings.signups_per_hour,
    )
    return UserOut.of(user)


@router.post(
    "/auth/login",
    responses={401: {"description": "Wrong credentials"}, 429: {"description": "Throttled"}},
    dependencies=[SameOrigin],
)
def login(
    credentials: CredentialsIn,
    client: ClientDep,
    response: Response,
    session: SessionDep,
    cookies: CookiesDep,
) -> LoginOut:
    """Check the password; return an API token and set the session cookie."""
    done = log_in(
        session=session,
        username=credentials.username,
        password=credentials.password,
        client=client,
        api_token=True,
    )
    csrf = cookies.start_session(response, done.session_token)
    assert done.api_token is not None  # asked for with api_token=True
    return LoginOut(token=done.api_token, user=UserOut.of(done.user), csrf_token=csrf)


@router.post("/auth/logout", status_code=204, dependencies=[CsrfProtected])
def logout(response: Response, session: SessionDep, cookies: CookiesDep) -> None:
    """End the session (cookie) or API token (Bearer) this request came with."""
    log_out(session, (cookies.bearer_token, cookies.session_token))
    cookies.end_session(response)


@router.post(
    "/auth/logout-all",
    status_code=204,
    dependencies=[CsrfProtected, *AUTHENTICATED],
    responses={**LOGIN_REQUIRED, **CSRF_FAILED},
)
def logout_everywhere(
    response: Response, user: CurrentUser, session: SessionDep, cookies: CookiesDep
) -> None:
    """End every session and API token of the user, this one included."""
    log_out_everywhere(session=session, user=user)
    cookies.end_session(response)


@router.post(
    "/me/password",
    status_code=204,
    dependencies=[CsrfProtected, *AUTHENTICATED],
    responses={
        **LOGIN_REQUIRED,
        403: {"description": "The current password is wrong"},
        422: {"description": "The new password is too short, too long or too easy to guess"},
        429: {"description": "Too many wrong current passwords"},
    },
)
def update_password(
    body: PasswordChangeIn,
    client: ClientDep,
    user: CurrentUser,
    session: SessionDep,
    cookies: CookiesDep,
) -> None:
    """Change the password; every other session and API token ends, this one stays."""
    change_password(
        session=session,
        user=user,
        current_password=body.current_password,
        new_password=body.new_password,
        client=client,
        keep_token=cookies.presented_token,
    )


@router.delete(
    "/me",
    status_code=204,
    dependencies=[CsrfProtected, *AUTHENTICATED],
    responses={
        **LOGIN_REQUIRED,
        403: {"description": "The password is wrong"},
        409: {"description": "The only admin of a server with other users cannot go"},
        429: {"description": "Too many wrong passwords"},
    },
)
def delete_me(
    body: AccountDeleteIn,
    client: ClientDep,
    response: Response,
    user: CurrentUser,
    session: SessionDep,
    cookies: CookiesDep,
) -> None:
    """Delete the account and all its data; every session and API token ends."""
    delete_account(
        session=session, user=user, current_password=body.current_password, client=client
    )
    cookies.end_session(response)
