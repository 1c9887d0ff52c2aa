"""HTML pages: the admin page (users, sign-up), a deletion's confirmation, and reset links."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app import urls
from app.accounts.admin import (
    DEFAULT_LIMIT,
    MAX_FILTER,
    MAX_LIMIT,
    MAX_OFFSET,
    MAX_RESET_TOKEN,
    MAX_USER_ID,
    RESET_LIFETIME,
    Action,
    change_user,
    delete_user,
    find_user,
    issue_reset_link,
    list_users,
    reset_link_user,
    use_reset_link,
    user_row,
)
from app.accounts.service import AccountError, LastAdmin
from app.accounts.sessions import start_session
from app.accounts.site import set_signup_open, signup_setting
from app.config import Settings
from app.deps import AdminUser, CookiesDep, CsrfProtected, SessionDep, SettingsDep
from app.models import User
from app.web.templating import Page, PageDep

router = APIRouter(include_in_schema=False)

UserId = Annotated[int, Path(ge=1, le=MAX_USER_ID)]
ResetToken = Annotated[str, Path(min_length=1, max_length=MAX_RESET_TOKEN)]
FilterParam = Annotated[str, Query(max_length=MAX_FILTER)]
FilterForm = Annotated[str, Form(max_length=MAX_FILTER)]
Password = Annotated[str, Form(max_length=1024)]
Done = Literal["disable", "enable", "promote", "demote", "delete", "signup-open", "signup-closed"]
NOTICES = {
    "disable": "{who} is disabled: their sessions and API tokens no longer work.",
    "enable": "{who} is enabled again and can log in.",
    "promote": "{who} is now an admin.",
    "demote": "{who} is no longer an admin.",
    "delete": "{who} and all their data are deleted.",
    "signup-open": "Sign-up is open: anyone who reaches this server can make an account.",
    "signup-closed": "Sign-up is closed: new accounts are made with `prepdeck user create`.",
}


def admin_page(
    page: Page,
    *,
    session: Session,
    settings: Settings,
    admin: User,
    text: str = "",
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render the admin page: a page of users, and the sign-up switch."""
    found = list_users(session=session, limit=limit, offset=offset, text=text)
    query: dict[str, Any] = {"q": found.text, "limit": limit if limit != DEFAULT_LIMIT else None}
    previous_offset = max(found.offset - found.limit, 0)
    next_offset = found.offset + found.limit
    return page(
        "admin/admin.html",
        {
            "found": found,
            "me": admin,
            "signup": signup_setting(session, default=settings.allow_signup),
            "max_limit": MAX_LIMIT,
            "previous_url": urls.admin({**query, "offset": previous_offset or None})
            if found.offset
            else None,
            "next_url": urls.admin({**query, "offset": next_offset})
            if next_offset < found.total
            else None,
            "notice": notice,
            "error": error,
            "json_url": urls.api_admin_users({**query, "offset": found.offset or None}),
        },
        status_code=status_code,
    )


def _back(done: str, who: str = "", text: str = "") -> RedirectResponse:
    return RedirectResponse(urls.admin({"q": text, "done": done, "who": who}), status_code=303)


@router.get("/admin", response_class=HTMLResponse)
def read_admin(
    page: PageDep,
    admin: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
    q: FilterParam = "",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    done: Annotated[Done | None, Query()] = None,
    who: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    """List the users with their activity, and whether sign-up is open."""
    notice = NOTICES[done].format(who=who or "The user") if done else None
    return admin_page(
        page,
        session=session,
        settings=settings,
        admin=admin,
        text=q,
        limit=limit,
        offset=offset,
        notice=notice,
    )


@router.post("/admin/signup", dependencies=[CsrfProtected])
def submit_signup_setting(
    admin: AdminUser,
    session: SessionDep,
    allow_signup: Annotated[bool, Form()],
) -> Response:
    """Open or close sign-up for every app process at once."""
    set_signup_open(session=session, admin=admin, open_=allow_signup)
    return _back("signup-open" if allow_signup else "signup-closed")


@router.post("/admin/users/{user_id}/actions", dependencies=[CsrfProtected])
def submit_user_action(
    page: PageDep,
    admin: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
    user_id: UserId,
    action: Annotated[Action, Form()],
    q: FilterForm = "",
) -> Response:
    """Disable, enable, promote or demote a user, keeping at least one enabled admin."""
    try:
        user = change_user(session=session, user_id=user_id, actions=[action])
    except LastAdmin as exc:
        return admin_page(
            page,
            session=session,
            settings=settings,
            admin=admin,
            text=q,
            error=str(exc),
            status_code=409,
        )
    return _back(action, user.username, q)


@router.post("/admin/users/{user_id}/reset-link", dependencies=[CsrfProtected])
def submit_reset_link(
    page: PageDep, admin: AdminUser, session: SessionDep, user_id: UserId
) -> HTMLResponse:
    """Make a one-time password-reset link for a user and show it, this once."""
    link = issue_reset_link(session=session, user_id=user_id)
    base = str(page.request.base_url).rstrip("/")
    response = page(
        "admin/reset_link.html",
        {
            "link": link,
            "url": base + urls.password_reset(link.token),
            "hours": int(RESET_LIFETIME.total_seconds() // 3600),
        },
    )
    response.headers["Cache-Control"] = "no-store"  # the link must not stay in a cache
    return response


@router.get("/admin/users/{user_id}/delete", response_class=HTMLResponse)
def read_delete(page: PageDep, admin: AdminUser, session: SessionDep, user_id: UserId) -> Response:
    """Ask for confirmation before deleting a user and all their data."""
    user = find_user(session, user_id)
    return page("admin/delete.html", {"row": user_row(session, user), "me": admin})


@router.post("/admin/users/{user_id}/delete", dependencies=[CsrfProtected])
def submit_delete(
    page: PageDep,
    admin: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
    user_id: UserId,
) -> Response:
    """Delete a user and all their data, keeping at least one enabled admin."""
    own = admin.id == user_id
    try:
        name = delete_user(session=session, user_id=user_id)
    except LastAdmin as exc:
        return admin_page(
            page, session=session, settings=settings, admin=admin, error=str(exc), status_code=409
        )
    if own:  # their own sessions went with the account
        return RedirectResponse(urls.home(), status_code=303)
    return _back("delete", name)


@router.get("/reset/{token}", response_class=HTMLResponse)
def read_reset(page: PageDep, session: SessionDep, token: ResetToken) -> HTMLResponse:
    """Show the form that sets a new password with a one-time link."""
    user = reset_link_user(session, token)
    response = page("admin/reset.html", {"username": user.username, "token": token})
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/reset/{token}", dependencies=[CsrfProtected])
def submit_reset(
    page: PageDep,
    session: SessionDep,
    cookies: CookiesDep,
    token: ResetToken,
    password: Password,
    password_again: Password,
) -> Response:
    """Set the new password, spend the link, end every login, and log in (if enabled)."""
    user = reset_link_user(session, token)
    context = {"username": user.username, "token": token}
    if password != password_again:
        errors = {"password_again": "The two passwords differ."}
        return page("admin/reset.html", {**context, "errors": errors}, status_code=422)
    try:
        user = use_reset_link(session=session, token=token, password=password)
    except AccountError as exc:
        return page(
            "admin/reset.html", {**context, "errors": {exc.field: str(exc)}}, status_code=422
        )
    if user.disabled_at is not None:
        return page("admin/reset.html", {**context, "done_disabled": True})
    response = RedirectResponse(urls.study(), status_code=303)
    cookies.start_session(response, start_session(session, user))
    return response
