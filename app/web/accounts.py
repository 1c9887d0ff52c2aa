"""HTML pages: log in, sign up, log out; the account page (password, log out everywhere, delete)."""

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app import urls
from app.accounts.service import (
    AccountError,
    LastAdmin,
    Throttled,
    change_password,
    data_counts,
    delete_account,
    is_last_admin,
)
from app.accounts.sessions import (
    log_in,
    log_out,
    log_out_everywhere,
    sign_up,
    signup_allowed,
    start_session,
)
from app.deps import (
    ClientDep,
    Cookies,
    CookiesDep,
    CsrfProtected,
    CurrentUser,
    OptionalUser,
    SessionDep,
    SettingsDep,
)
from app.models import User
from app.web.templating import Page, PageDep

router = APIRouter(include_in_schema=False)

Username = Annotated[str, Form(max_length=64)]
Password = Annotated[str, Form(max_length=1024)]
Next = Annotated[str, Form(max_length=2000)]


def safe_next(target: str | None) -> str:
    """Return target if it is a path on this site, else the study page (no open redirect)."""
    return urls.same_site_path(target or "", urls.study())


def _logged_in(cookies: Cookies, session_token: str, target: str) -> Response:
    response = RedirectResponse(safe_next(target), status_code=303)
    cookies.start_session(response, session_token)
    return response


@router.get("/login", response_class=HTMLResponse)
async def read_login(page: PageDep, user: OptionalUser, next: str = urls.study()) -> Response:
    """Show the login form (or go on, when already logged in)."""
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return page("accounts/login.html", {"next": safe_next(next), "username": ""})


@router.post("/login", dependencies=[CsrfProtected])
def submit_login(
    page: PageDep,
    client: ClientDep,
    session: SessionDep,
    cookies: CookiesDep,
    username: Username,
    password: Password,
    next: Next = urls.study(),
) -> Response:
    """Check the password and start a session."""
    context = {"next": safe_next(next), "username": username}
    try:
        done = log_in(session=session, username=username, password=password, client=client)
    except Throttled as exc:
        response = page("accounts/login.html", {**context, "error": str(exc)}, status_code=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except AccountError as exc:
        return page("accounts/login.html", {**context, "error": str(exc)}, status_code=exc.status)
    return _logged_in(cookies, done.session_token, next)


@router.get("/signup", response_class=HTMLResponse)
def read_signup(page: PageDep, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """Show the sign-up form, or say that sign-up is closed."""
    open_ = signup_allowed(session, allow_signup=settings.allow_signup)
    return page(
        "accounts/signup.html", {"open": open_, "username": ""}, status_code=200 if open_ else 403
    )


@router.post("/signup", dependencies=[CsrfProtected])
def submit_signup(
    page: PageDep,
    client: ClientDep,
    session: SessionDep,
    settings: SettingsDep,
    cookies: CookiesDep,
    username: Username,
    password: Password,
    password_again: Password,
) -> Response:
    """Create an account and log in."""
    if not signup_allowed(session, allow_signup=settings.allow_signup):
        return page("accounts/signup.html", {"open": False, "username": ""}, status_code=403)
    errors: dict[str, str] = {}
    if password != password_again:
        errors["password_again"] = "The two passwords differ."  # noqa: S105
    else:
        try:
            user = sign_up(
                session=session,
                username=username,
                password=password,
                client=client,
                per_hour=settings.signups_per_hour,
            )
        except Throttled as exc:
            response = page(
                "accounts/signup.html",
                {"open": True, "username": username, "errors": {"username": str(exc)}},
                status_code=429,
            )
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except AccountError as exc:
            errors[exc.field] = str(exc)
    if errors:
        return page(
            "accounts/signup.html",
            {"open": True, "username": username, "errors": errors},
            status_code=422,
        )
    return _logged_in(cookies, start_session(session, user), urls.study())


@router.post("/logout", dependencies=[CsrfProtected])
def submit_logout(session: SessionDep, cookies: CookiesDep) -> Response:
    """End the session."""
    log_out(session, (cookies.session_token,))
    response = RedirectResponse(urls.home(), status_code=303)
    cookies.end_session(response)
    return response


def account_page(
    page: Page,
    session: Session,
    user: User,
    *,
    errors: dict[str, list[str]] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render the account page: change the password, log out everywhere, delete the account."""
    return page(
        "accounts/account.html",
        {
            "errors": errors or {},
            "notice": notice,
            "last_admin": is_last_admin(session, user),
        },
        status_code=status_code,
    )


@router.get("/account", response_class=HTMLResponse)
def read_account(
    page: PageDep, user: CurrentUser, session: SessionDep, password_changed: bool = False
) -> HTMLResponse:
    """Show the account page."""
    notice = "Password changed. Every other session and API token has ended."
    return account_page(page, session, user, notice=notice if password_changed else None)


@router.post("/account/logout-all", dependencies=[CsrfProtected])
def submit_logout_everywhere(
    user: CurrentUser, session: SessionDep, cookies: CookiesDep
) -> Response:
    """End every session and API token of the user, this one included."""
    log_out_everywhere(session=session, user=user)
    response = RedirectResponse(urls.home(), status_code=303)
    cookies.end_session(response)
    return response


@router.post("/account/password", dependencies=[CsrfProtected])
def submit_password(
    page: PageDep,
    client: ClientDep,
    user: CurrentUser,
    session: SessionDep,
    cookies: CookiesDep,
    current_password: Password,
    new_password: Password,
    new_password_again: Password,
) -> Response:
    """Change the password; every other session and API token ends, this one stays."""
    if new_password != new_password_again:
        errors = {"new_password_again": ["The two new passwords differ: type the same one twice."]}
        return account_page(page, session, user, errors=errors, status_code=422)
    try:
        change_password(
            session=session,
            user=user,
            current_password=current_password,
            new_password=new_password,
            client=client,
            keep_token=cookies.session_token,
        )
    except Throttled as exc:
        errors = {"current_password": [str(exc)]}
        response = account_page(page, session, user, errors=errors, status_code=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except AccountError as exc:
        field = "new_password" if exc.field == "password" else exc.field
        return account_page(page, session, user, errors={field: [str(exc)]}, status_code=exc.status)
    return RedirectResponse(urls.account({"password_changed": "true"}), status_code=303)


def delete_page(
    page: Page,
    session: Session,
    user: User,
    *,
    errors: dict[str, list[str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render the page that asks before deleting the account, with what it deletes."""
    return page(
        "accounts/delete.html",
        {
            "errors": errors or {},
            "data": data_counts(session, user),
            "last_admin": is_last_admin(session, user),
        },
        status_code=status_code,
    )


@router.get("/account/delete", response_class=HTMLResponse)
def read_delete(page: PageDep, user: CurrentUser, session: SessionDep) -> HTMLResponse:
    """Ask before deleting the account: what goes, the export first, and the password."""
    return delete_page(page, session, user)


@router.post("/account/delete", dependencies=[CsrfProtected])
def submit_delete(
    page: PageDep,
    client: ClientDep,
    user: CurrentUser,
    session: SessionDep,
    cookies: CookiesDep,
    current_password: Password,
) -> Response:
    """Delete the account and all its data, end the session and say goodbye."""
    try:
        delete_account(session=session, user=user, current_password=current_password, client=client)
    except Throttled as exc:
        errors = {"current_password": [str(exc)]}
        response = delete_page(page, session, user, errors=errors, status_code=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except LastAdmin as exc:  # the page says why, in place of its form
        return delete_page(page, session, user, status_code=exc.status)
    except AccountError as exc:
        errors = {"current_password": [str(exc)]}
        return delete_page(page, session, user, errors=errors, status_code=exc.status)
    goodbye = RedirectResponse(urls.goodbye(), status_code=303)
    cookies.end_session(goodbye)
    return goodbye


@router.get("/goodbye", response_class=HTMLResponse)
def read_goodbye(page: PageDep) -> HTMLResponse:
    """Say that the account is deleted."""
    return page("accounts/goodbye.html", {})
