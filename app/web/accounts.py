"""HTML pages: log in, sign up, log out (here or everywhere), change the password."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.deps import (
    CsrfProtected,
    CurrentUser,
    OptionalUser,
    session_cookie_name,
    session_of,
)
from app.accounts.service import (
    AccountError,
    Throttled,
    authenticate,
    change_password,
    issue_token,
    revoke_all,
    revoke_token,
)
from app.api.auth import (
    SettingsDep,
    client_address,
    create_account,
    set_session_cookie,
    signup_allowed,
)
from app.db import SessionDep
from app.models import User
from app.study.settings import StudySettings
from app.web.progress import settings_page
from app.web.templating import render

router = APIRouter(include_in_schema=False)

Username = Annotated[str, Form(max_length=64)]
Password = Annotated[str, Form(max_length=1024)]
Next = Annotated[str, Form(max_length=2000)]


def safe_next(target: str | None) -> str:
    """Return target if it is a path on this site, else the study page (no open redirect)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/study"


def _logged_in(
    request: Request, session: SessionDep, settings: SettingsDep, user: User, target: str
) -> Response:
    response = RedirectResponse(safe_next(target), status_code=303)
    token = issue_token(session=session, user=user, kind="session")
    set_session_cookie(response, token, settings, request)
    return response


@router.get("/login", response_class=HTMLResponse)
async def read_login(request: Request, user: OptionalUser, next: str = "/study") -> Response:
    """Show the login form (or go on, when already logged in)."""
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "username": ""})


@router.post("/login", dependencies=[CsrfProtected])
def submit_login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Username,
    password: Password,
    next: Next = "/study",
) -> Response:
    """Check the password and start a session."""
    try:
        user = authenticate(
            session=session, username=username, password=password, client=client_address(request)
        )
    except Throttled as exc:
        response = render(
            request,
            "login.html",
            {"next": safe_next(next), "username": username, "error": str(exc)},
            status_code=429,
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except AccountError as exc:
        return render(
            request,
            "login.html",
            {"next": safe_next(next), "username": username, "error": str(exc)},
            status_code=exc.status,
        )
    return _logged_in(request, session, settings, user, next)


@router.get("/signup", response_class=HTMLResponse)
def read_signup(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """Show the sign-up form, or say that sign-up is closed."""
    open_ = signup_allowed(session, settings)
    return render(
        request, "signup.html", {"open": open_, "username": ""}, status_code=200 if open_ else 403
    )


@router.post("/signup", dependencies=[CsrfProtected])
def submit_signup(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Username,
    password: Password,
    password_again: Password,
) -> Response:
    """Create an account and log in."""
    if not signup_allowed(session, settings):
        return render(request, "signup.html", {"open": False, "username": ""}, status_code=403)
    errors: dict[str, str] = {}
    if password != password_again:
        errors["password_again"] = "The two passwords differ."  # noqa: S105
    else:
        try:
            user = create_account(
                request=request,
                session=session,
                settings=settings,
                username=username,
                password=password,
            )
        except Throttled as exc:
            response = render(
                request,
                "signup.html",
                {"open": True, "username": username, "errors": {"username": str(exc)}},
                status_code=429,
            )
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except AccountError as exc:
            errors[exc.field] = str(exc)
    if errors:
        return render(
            request,
            "signup.html",
            {"open": True, "username": username, "errors": errors},
            status_code=422,
        )
    return _logged_in(request, session, settings, user, "/study")


@router.post("/logout", dependencies=[CsrfProtected])
def submit_logout(request: Request, session: SessionDep) -> Response:
    """End the session."""
    cookie = session_of(request)
    if cookie:
        revoke_token(session, cookie)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(session_cookie_name(request))
    return response


@router.post("/settings/logout-all", dependencies=[CsrfProtected])
def submit_logout_everywhere(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    """End every session and API token of the user, this one included."""
    revoke_all(session=session, user=user)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(session_cookie_name(request))
    return response


@router.post("/settings/password", dependencies=[CsrfProtected])
def submit_password(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    current_password: Password,
    new_password: Password,
    new_password_again: Password,
) -> Response:
    """Change the password; every other session and API token ends, this one stays."""
    values = StudySettings.of(user).model_dump()
    if new_password != new_password_again:
        return settings_page(
            request, values, errors=["The two new passwords differ."], status_code=422
        )
    try:
        change_password(
            session=session,
            user=user,
            current_password=current_password,
            new_password=new_password,
            client=client_address(request),
            keep_token=session_of(request),
        )
    except Throttled as exc:
        response = settings_page(request, values, errors=[str(exc)], status_code=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except AccountError as exc:
        return settings_page(request, values, errors=[str(exc)], status_code=exc.status)
    return RedirectResponse("/settings?password_changed=true#account", status_code=303)
