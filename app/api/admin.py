"""JSON API for admins: list, change and delete users, make reset links, open or close sign-up."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from app import urls
from app.accounts.admin import (
    DEFAULT_LIMIT,
    MAX_FILTER,
    MAX_LIMIT,
    MAX_OFFSET,
    MAX_USER_ID,
    Action,
    change_user,
    delete_user,
    find_user,
    issue_reset_link,
    list_users,
    user_row,
)
from app.accounts.site import set_signup_open, signup_setting
from app.api.schemas import (
    AUTHENTICATED,
    CSRF_FAILED,
    LOGIN_REQUIRED,
    AdminSettingsIn,
    AdminSettingsOut,
    AdminUserIn,
    AdminUserOut,
    AdminUsersOut,
    ErrorOut,
    ResetLinkOut,
)
from app.deps import AdminUser, CsrfProtected, SessionDep, SettingsDep

NOT_ADMIN: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorOut, "description": "Not an admin (or, with cookie login, no CSRF header)"}
}
UNKNOWN_USER: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No user has this id"}
}
LAST_ADMIN: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorOut, "description": "The change would leave no enabled admin"}
}

router = APIRouter(
    prefix=f"{urls.API}/admin",
    tags=["admin"],
    dependencies=AUTHENTICATED,
    responses={**LOGIN_REQUIRED, **NOT_ADMIN},
)

UserId = Annotated[int, Path(ge=1, le=MAX_USER_ID, description="a user's id, as listed")]


@router.get("/users")
def read_users(
    _admin: AdminUser,
    session: SessionDep,
    q: Annotated[str, Query(max_length=MAX_FILTER, description="part of a username")] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> AdminUsersOut:
    """List users in username order with their flags, activity and review count."""
    found = list_users(session=session, limit=limit, offset=offset, text=q)
    return AdminUsersOut(
        users=[AdminUserOut.of(row) for row in found.rows],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
        q=found.text,
    )


@router.get("/users/{user_id}", responses=UNKNOWN_USER)
def read_user(_admin: AdminUser, session: SessionDep, user_id: UserId) -> AdminUserOut:
    """Return one user with their flags, activity and review count."""
    return AdminUserOut.of(user_row(session, find_user(session, user_id)))


@router.patch(
    "/users/{user_id}",
    dependencies=[CsrfProtected],
    responses={**UNKNOWN_USER, **LAST_ADMIN, **CSRF_FAILED, **NOT_ADMIN},
)
def update_user(
    body: AdminUserIn, _admin: AdminUser, session: SessionDep, user_id: UserId
) -> AdminUserOut:
    """Disable or enable a user, make or unmake an admin; disabling ends their logins at once."""
    actions: list[Action] = []
    if body.disabled is not None:
        actions.append("disable" if body.disabled else "enable")
    if body.is_admin is not None:
        actions.append("promote" if body.is_admin else "demote")
    user = change_user(session=session, user_id=user_id, actions=actions)
    return AdminUserOut.of(user_row(session, user))


@router.delete(
    "/users/{user_id}",
    status_code=204,
    dependencies=[CsrfProtected],
    responses={**UNKNOWN_USER, **LAST_ADMIN, **CSRF_FAILED, **NOT_ADMIN},
)
def remove_user(_admin: AdminUser, session: SessionDep, user_id: UserId) -> None:
    """Delete a user and all their data; this cannot be undone."""
    delete_user(session=session, user_id=user_id)


@router.post(
    "/users/{user_id}/reset-link",
    status_code=201,
    dependencies=[CsrfProtected],
    responses={**UNKNOWN_USER, **CSRF_FAILED, **NOT_ADMIN},
)
def create_reset_link(
    request: Request, _admin: AdminUser, session: SessionDep, user_id: UserId
) -> ResetLinkOut:
    """Make a one-time password-reset link (replacing an earlier one); it is shown only now."""
    link = issue_reset_link(session=session, user_id=user_id)
    base = str(request.base_url).rstrip("/")
    return ResetLinkOut(
        username=link.username,
        url=base + urls.password_reset(link.token),
        expires_at=link.expires_at,
    )


def _settings_out(session: SessionDep, default: bool) -> AdminSettingsOut:
    setting = signup_setting(session, default=default)
    return AdminSettingsOut(
        allow_signup=setting.open,
        allow_signup_default=setting.default,
        allow_signup_set_by=setting.updated_by if setting.stored else None,
        allow_signup_set_at=setting.updated_at,
    )


@router.get("/settings")
def read_admin_settings(
    _admin: AdminUser, session: SessionDep, settings: SettingsDep
) -> AdminSettingsOut:
    """Return whether sign-up is open, and whether an admin set it or the config did."""
    return _settings_out(session, settings.allow_signup)


@router.put("/settings", dependencies=[CsrfProtected], responses={**CSRF_FAILED, **NOT_ADMIN})
def update_admin_settings(
    body: AdminSettingsIn, admin: AdminUser, session: SessionDep, settings: SettingsDep
) -> AdminSettingsOut:
    """Open or close sign-up for every app process at once."""
    set_signup_open(session=session, admin=admin, open_=body.allow_signup)
    return _settings_out(session, settings.allow_signup)
