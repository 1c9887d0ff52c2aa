"""HTML pages: log in, sign up, log out (here or everywhere), change the password."""

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app import urls
from app.accounts.service import AccountError, Throttled, change_password
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
from app.study.settings import StudySettings
from app.web.settings import settings_page
from app.web.templating import PageDep

router = APIRouter(include_in_schema=False)

Username = Annotated[str, Form(max_length=64)]
Password = Annotated[str, Form(max_length=1024)]
Next = Annotated[str, Form(max_length=2000)]


def safe_next(target: str | None) -> str:
    """Return target if it is a path on this site, else the study page (no open redirect)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return urls.study()


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


@router.post("/settings/logout-all", dependencies=[CsrfProtected])
def submit_logout_everywhere(
    user: CurrentUser, session: SessionDep, cookies: CookiesDep
) -> Response:
    """End every session and API token of the user, this one included."""
    log_out_everywhere(session=session, user=user)
    response = RedirectResponse(urls.home(), status_code=303)
    cookies.end_session(response)
    return response


@router.post("/settings/password", dependencies=[CsrfProtected])
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
    values = StudySettings.of(user).model_dump()
    if new_password != new_password_again:
        return settings_page(
            page,
            values,
            session=session,
            user=user,
            errors=["The two new passwords differ."],
            status_code=422,
        )
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
        response = settings_page(
            page, values, session=session, user=user, errors=[str(exc)], status_code=429
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except AccountError as exc:
        return settings_page(
            page, values, session=session, user=user, errors=[str(exc)], status_code=exc.status
        )
    return RedirectResponse(urls.settings({"password_changed": "true"}, "account"), status_code=303)
