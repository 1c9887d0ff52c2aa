"""Server-wide settings an admin changes while the app runs, stored in the app_settings table.

A stored value overrides the configured default (PREPDECK_ALLOW_SIGNUP); being in the
database, it holds at once for every app process that shares it.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import AppSetting, User, utcnow

SIGNUP_KEY = "allow_signup"
TRUE, FALSE = "true", "false"


@dataclass(frozen=True)
class SignupSetting:
    """Whether sign-up is open, where that comes from, and who last changed it."""

    open: bool
    default: bool
    stored: bool
    updated_at: datetime | None
    updated_by: str | None


def signup_open(session: Session, *, default: bool) -> bool:
    """Return whether anyone may sign up: the stored choice, else the configured default."""
    value = session.scalar(select(AppSetting.value).where(AppSetting.key == SIGNUP_KEY))
    return default if value is None else value == TRUE


def signup_setting(session: Session, *, default: bool) -> SignupSetting:
    """Return the sign-up setting with its origin, for the admin page."""
    row = session.get(AppSetting, SIGNUP_KEY)
    if row is None:
        return SignupSetting(default, default, stored=False, updated_at=None, updated_by=None)
    return SignupSetting(row.value == TRUE, default, True, row.updated_at, row.updated_by)


def set_signup_open(*, session: Session, admin: User, open_: bool) -> None:
    """Open or close sign-up for every process, and commit."""
    row = session.get(AppSetting, SIGNUP_KEY, with_for_update=True)
    if row is None:
        row = AppSetting(key=SIGNUP_KEY)
        session.add(row)
    row.value = TRUE if open_ else FALSE
    row.updated_at = utcnow()
    row.updated_by = admin.username
    try:
        session.commit()
    except IntegrityError:  # another admin stored the first value meanwhile: overwrite it
        session.rollback()
        session.execute(
            update(AppSetting)
            .where(AppSetting.key == SIGNUP_KEY)
            .values(value=TRUE if open_ else FALSE, updated_at=utcnow(), updated_by=admin.username)
        )
        session.commit()
