"""Administration of accounts: list users with their activity, disable and enable them, make
or unmake admins, delete them with all their data, and issue one-time password-reset links.

Every change keeps at least one enabled admin: the rows of the enabled admins are locked
before the change and counted after it, so two admins demoting each other at once cannot
both succeed.
"""

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.accounts.service import LastAdmin, check_password, hash_password, revoke_all
from app.exceptions import AppError
from app.models import AuthToken, ReviewLog, User, utcnow

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_OFFSET = 1_000_000
MAX_USER_ID = 2**31 - 1  # the largest id an INTEGER column holds on every database
MAX_FILTER = 64
RESET_KIND = "reset"
RESET_LIFETIME = timedelta(hours=24)
MAX_RESET_TOKEN = 100

Action = Literal["disable", "enable", "promote", "demote"]
ACTIONS: tuple[Action, ...] = ("disable", "enable", "promote", "demote")


class UnknownUser(AppError):
    """No user has the id asked for."""

    status = 404


class InvalidResetLink(AppError):
    """A password-reset link that was used already, has expired, or was never issued."""

    status = 404
    title = "Link not valid"


INVALID_LINK = (
    "This password-reset link has been used, has expired or was never issued: ask an admin "
    "of this server for a new one."
)


@dataclass(frozen=True)
class UserRow:
    """One user as the admin page lists them."""

    id: int
    username: str
    is_admin: bool
    disabled_at: datetime | None
    created_at: datetime
    last_login_at: datetime | None
    last_review_at: datetime | None
    reviews: int

    @property
    def disabled(self) -> bool:
        """Return whether the account is disabled."""
        return self.disabled_at is not None

    @property
    def last_active_at(self) -> datetime | None:
        """Return the later of the last login and the last review, or None for neither."""
        times = [time for time in (self.last_login_at, self.last_review_at) if time]
        return max(times) if times else None


@dataclass(frozen=True)
class UserPage:
    """One page of users, and how many match in all."""

    rows: list[UserRow]
    total: int
    limit: int
    offset: int
    text: str


def _rows(session: Session, users: list[User]) -> list[UserRow]:
    """Return the rows of users, with their review counts in one grouped query."""
    stats: dict[int, tuple[int, datetime | None]] = {}
    if users:
        found = session.execute(
            select(ReviewLog.user_id, func.count(), func.max(ReviewLog.reviewed_at))
            .where(ReviewLog.user_id.in_([user.id for user in users]))
            .group_by(ReviewLog.user_id)
        )
        stats = {user_id: (count, last) for user_id, count, last in found}
    return [
        UserRow(
            id=user.id,
            username=user.username,
            is_admin=user.is_admin,
            disabled_at=user.disabled_at,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
            last_review_at=stats.get(user.id, (0, None))[1],
            reviews=stats.get(user.id, (0, None))[0],
        )
        for user in users
    ]


def list_users(*, session: Session, limit: int, offset: int, text: str = "") -> UserPage:
    """Return a page of users in username order, those whose name contains text if given."""
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, min(offset, MAX_OFFSET))
    text = text.strip().lower()[:MAX_FILTER]
    query = select(User)
    if text:
        query = query.where(User.username.contains(text, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    users = list(session.scalars(query.order_by(User.username).limit(limit).offset(offset)))
    return UserPage(_rows(session, users), total, limit, offset, text)


def find_user(session: Session, user_id: int) -> User:
    """Return the user with this id, or raise UnknownUser."""
    user = session.get(User, user_id) if 0 < user_id <= MAX_USER_ID else None
    if user is None:
        raise UnknownUser(
            f"There is no user with id {user_id}: the admin page and "
            "GET /api/v1/admin/users list them."
        )
    return user


def user_row(session: Session, user: User) -> UserRow:
    """Return one user's row."""
    return _rows(session, [user])[0]


def enabled_admins(session: Session) -> int:
    """Return how many admins can log in."""
    return (
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.is_admin.is_(True), User.disabled_at.is_(None))
        )
        or 0
    )


def _lock_admins(session: Session) -> None:
    # PostgreSQL: a second admin change waits here until the first commits, then counts anew.
    # SQLite has one writer at a time, so the count after a write sees every earlier one.
    session.execute(
        select(User.id)
        .where(User.is_admin.is_(True), User.disabled_at.is_(None))
        .order_by(User.id)
        .with_for_update()
    )


def _keep_an_admin(session: Session, doing: str) -> None:
    """Roll back and raise LastAdmin when no enabled admin is left after the change."""
    session.flush()
    if enabled_admins(session) == 0:
        session.rollback()
        raise LastAdmin(
            f"{doing} would leave no enabled admin: make another account an admin first."
        )


WORDS = {
    "disable": "disabling '{name}'",
    "enable": "enabling '{name}'",
    "promote": "making '{name}' an admin",
    "demote": "removing admin rights from '{name}'",
}


def change_user(*, session: Session, user_id: int, actions: Sequence[Action]) -> User:
    """Disable, enable, promote or demote a user in one commit; a disabled user's logins end.

    Nothing changes when the result would leave no enabled admin (LastAdmin).
    """
    user = find_user(session, user_id)
    if not actions:
        return user
    _lock_admins(session)
    changes: dict[Action, tuple[str, Any]] = {
        "disable": ("disabled_at", user.disabled_at or utcnow()),
        "enable": ("disabled_at", None),
        "promote": ("is_admin", True),
        "demote": ("is_admin", False),
    }
    values = dict(changes[action] for action in actions)
    session.execute(update(User).where(User.id == user.id).values(**values))
    doing = " and ".join(WORDS[action] for action in actions).format(name=user.username)
    _keep_an_admin(session, doing[0].upper() + doing[1:])
    if values.get("disabled_at") is not None:
        # Ends every session, API token and reset link at once (the lookup of a token also
        # refuses a disabled user, so a login racing this one gets nowhere either).
        session.execute(delete(AuthToken).where(AuthToken.user_id == user.id))
    session.commit()
    session.refresh(user)
    return user


def delete_user(*, session: Session, user_id: int) -> str:
    """Delete a user and all their data (the database cascades); return their name."""
    user = find_user(session, user_id)
    name = user.username
    _lock_admins(session)
    session.execute(delete(User).where(User.id == user.id))
    _keep_an_admin(session, f"Deleting '{name}'")
    session.commit()
    session.expunge(user)
    return name


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ResetLink:
    """A new password-reset token (shown once, stored hashed) and when it expires."""

    token: str
    username: str
    expires_at: datetime


def issue_reset_link(*, session: Session, user_id: int, now: datetime | None = None) -> ResetLink:
    """Create a one-time password-reset token for a user, replacing any earlier one."""
    user = find_user(session, user_id)
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    expires_at = now + RESET_LIFETIME
    session.execute(
        delete(AuthToken).where(AuthToken.user_id == user.id, AuthToken.kind == RESET_KIND)
    )
    session.add(
        AuthToken(
            user_id=user.id,
            token_hash=_digest(token),
            kind=RESET_KIND,
            created_at=now,
            expires_at=expires_at,
        )
    )
    session.commit()
    return ResetLink(token, user.username, expires_at)


def reset_link_user(session: Session, token: str, now: datetime | None = None) -> User:
    """Return the user a valid reset token is for, or raise InvalidResetLink."""
    user = None
    if token and len(token) <= MAX_RESET_TOKEN:
        user = session.scalar(
            select(User)
            .join(AuthToken, AuthToken.user_id == User.id)
            .where(
                AuthToken.token_hash == _digest(token),
                AuthToken.kind == RESET_KIND,
                AuthToken.expires_at > (now or utcnow()),
            )
        )
    if user is None:
        raise InvalidResetLink(INVALID_LINK)
    return user


def use_reset_link(
    *, session: Session, token: str, password: str, now: datetime | None = None
) -> User:
    """Set a new password with a reset token, which then stops working; end every login.

    The password is checked before the token is spent, so a weak one leaves the link usable.
    The token is spent by one DELETE, so two uses at once cannot both succeed.
    """
    now = now or utcnow()
    user = reset_link_user(session, token, now)
    check_password(password, user.username)
    password_hash = hash_password(password)  # slow: before the write, not while holding it
    spent = session.execute(
        delete(AuthToken)
        .where(
            AuthToken.token_hash == _digest(token),
            AuthToken.kind == RESET_KIND,
            AuthToken.expires_at > now,
        )
        .returning(AuthToken.user_id)
    ).first()
    if spent is None:
        session.rollback()
        raise InvalidResetLink(INVALID_LINK)
    user.password_hash = password_hash
    revoke_all(session=session, user=user)  # commits the new password too
    return user
