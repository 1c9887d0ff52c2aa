"""Accounts: create users, check passwords, issue and resolve tokens, throttle guessing."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pwdlib import PasswordHash
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import AuthToken, LoginFailure, User, utcnow

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,31}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 256  # bounds the hashing work a request can ask for
SESSION_LIFETIME = timedelta(days=30)
API_TOKEN_LIFETIME = timedelta(days=365)
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USERNAME = 5
MAX_FAILURES_PER_CLIENT = 20

_hasher = PasswordHash.recommended()
# Checked when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A request about an account that cannot be done; the message says why."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        self.field = field
        self.status = status
        super().__init__(message)


class InvalidCredentials(AccountError):
    """Wrong username or password (never says which)."""

    def __init__(self) -> None:
        super().__init__("password", "Wrong username or password.", status=401)


@dataclass
class Throttled(Exception):
    """Too many failed logins; try again after retry_after seconds."""

    retry_after: int

    def __str__(self) -> str:
        return f"Too many failed logins. Try again in {self.retry_after} seconds."


def normalize_username(username: str) -> str:
    """Return the username as stored: trimmed and lowercase."""
    return username.strip().lower()


def check_username(username: str) -> str:
    """Return the normalized username, or raise AccountError saying what is wrong."""
    name = normalize_username(username)
    if not USERNAME.match(name):
        raise AccountError(
            "username",
            "A username has 3 to 32 characters: letters, digits, '_', '.' or '-', "
            "starting with a letter or digit.",
        )
    return name


def check_password(password: str) -> None:
    """Raise AccountError unless the password is long enough and not absurdly long."""
    if len(password) < MIN_PASSWORD:
        raise AccountError("password", f"A password has at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise AccountError("password", f"A password has at most {MAX_PASSWORD} characters.")


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def user_count(session: Session) -> int:
    """Return how many users there are."""
    return session.scalar(select(func.count()).select_from(User)) or 0


def create_user(
    *, session: Session, username: str, password: str, is_admin: bool | None = None
) -> User:
    """Create and commit a user; the first user is an admin unless told otherwise."""
    name = check_username(username)
    check_password(password)
    if is_admin is None:
        is_admin = user_count(session) == 0
    user = User(username=name, password_hash=hash_password(password), is_admin=is_admin)
    session.add(user)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise AccountError("username", f"The username '{name}' is taken.", status=409) from exc
    return user


def set_password(*, session: Session, user: User, password: str) -> None:
    """Change a user's password and end all of their sessions and tokens."""
    check_password(password)
    user.password_hash = hash_password(password)
    session.execute(delete(AuthToken).where(AuthToken.user_id == user.id))
    session.commit()


def get_user(session: Session, username: str) -> User | None:
    """Return the user with this name, or None."""
    return session.scalar(select(User).where(User.username == normalize_username(username)))


def _failure_keys(username: str, client: str) -> list[tuple[str, int]]:
    return [
        (f"user:{normalize_username(username)}", MAX_FAILURES_PER_USERNAME),
        (f"client:{client}", MAX_FAILURES_PER_CLIENT),
    ]


def _check_throttle(session: Session, username: str, client: str, now: datetime) -> None:
    since = now - THROTTLE_WINDOW
    for key, limit in _failure_keys(username, client):
        failures = session.scalars(
            select(LoginFailure.failed_at)
            .where(LoginFailure.key == key, LoginFailure.failed_at > since)
            .order_by(LoginFailure.failed_at.desc())
            .limit(limit)
        ).all()
        if len(failures) >= limit:
            oldest = failures[-1]
            retry = oldest + THROTTLE_WINDOW - now
            raise Throttled(retry_after=max(1, int(retry.total_seconds()) + 1))


def authenticate(
    *, session: Session, username: str, password: str, client: str, now: datetime | None = None
) -> User:
    """Return the user whose password this is; count failures and throttle guessing."""
    now = now or utcnow()
    _check_throttle(session, username, client, now)
    user = get_user(session, username) if len(password) <= MAX_PASSWORD else None
    if user is None:
        _hasher.verify(password[:MAX_PASSWORD], _DUMMY_HASH)
        valid = False
    else:
        valid, new_hash = _hasher.verify_and_update(password, user.password_hash)
        if valid and new_hash:
            user.password_hash = new_hash
    if not valid or user is None:
        for key, _limit in _failure_keys(username, client):
            session.add(LoginFailure(key=key, failed_at=now))
        session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= now - THROTTLE_WINDOW))
        session.commit()
        raise InvalidCredentials
    session.execute(
        delete(LoginFailure).where(LoginFailure.key == _failure_keys(username, client)[0][0])
    )
    session.commit()
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(*, session: Session, user: User, kind: str) -> str:
    """Create a session ("session") or API ("api") token for user; return it (stored hashed)."""
    token = secrets.token_urlsafe(32)
    lifetime = SESSION_LIFETIME if kind == "session" else API_TOKEN_LIFETIME
    session.add(
        AuthToken(
            user_id=user.id, token_hash=_digest(token), kind=kind, expires_at=utcnow() + lifetime
        )
    )
    session.commit()
    return token


# Built once: every request that is logged in runs it, and building it costs more than
# running it.
_USER_OF_TOKEN = (
    select(User)
    .join(AuthToken, AuthToken.user_id == User.id)
    .where(AuthToken.token_hash == bindparam("digest"), AuthToken.expires_at > bindparam("now"))
)


def user_for_token(session: Session, token: str) -> User | None:
    """Return the user of a valid, unexpired token, or None."""
    if not token or len(token) > 200:
        return None
    return session.scalar(_USER_OF_TOKEN, {"digest": _digest(token), "now": utcnow()})


def revoke_token(session: Session, token: str) -> None:
    """End a session or API token."""
    session.execute(delete(AuthToken).where(AuthToken.token_hash == _digest(token)))
    session.commit()
