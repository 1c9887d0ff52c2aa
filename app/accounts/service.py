"""Accounts: create users, check passwords, issue and resolve tokens, throttle guessing."""

import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pwdlib import PasswordHash
from sqlalchemy import bindparam, case, delete, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from app.exceptions import AppError
from app.models import (
    AuthToken,
    CardState,
    Interview,
    QuizAttempt,
    ReviewLog,
    Throttle,
    User,
    UTCDateTime,
    utcnow,
)

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,31}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 256  # bounds the hashing work a request can ask for
SESSION_LIFETIME = timedelta(days=30)
API_TOKEN_LIFETIME = timedelta(days=365)
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USERNAME = 5  # per username and address, then back-off
MAX_FAILURES_PER_CLIENT = 50  # per address, whatever the usernames
MIN_STRENGTH = 3  # zxcvbn's score, 0-4: 3 is "safely unguessable" for an online attack
STRENGTH_CHECKED = 72  # zxcvbn refuses longer input (its time grows fast with length)
LOGIN_THROTTLED = "Too many failed logins. Try again in {seconds} seconds."
SIGNUP_THROTTLED = "Too many sign-ups from your address. Try again in {seconds} seconds."

_hasher = PasswordHash.recommended()
# Checked when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(AppError, ValueError):
    """A request about an account that cannot be done; the message says why."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        self.field = field
        super().__init__(message, status=status)

    def json_detail(self) -> Any:
        """Return a 422 as FastAPI lists an invalid field; any other status as its message."""
        if self.status == 422:
            return [{"loc": ["body", self.field], "msg": str(self), "type": "value_error"}]
        return str(self)


class InvalidCredentials(AccountError):
    """Wrong username or password (never says which)."""

    def __init__(self) -> None:
        super().__init__("password", "Wrong username or password.", status=401)


class LastAdmin(AppError):
    """A change that would leave the server with no enabled admin; the message says which."""

    status = 409


class AccountDisabled(AccountError):
    """The password is right but an admin has disabled the account."""

    def __init__(self, username: str) -> None:
        super().__init__(
            "username",
            f"The account '{username}' is disabled by an admin of this server: ask them to "
            "enable it again.",
            status=403,
        )


class Throttled(AppError):
    """Too many attempts; try again after retry_after seconds."""

    status = 429

    def __init__(self, retry_after: int, message: str = LOGIN_THROTTLED) -> None:
        self.retry_after = retry_after
        self.message = message
        super().__init__(
            message.format(seconds=retry_after), headers={"Retry-After": str(retry_after)}
        )


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


def check_password(password: str, username: str = "") -> None:
    """Raise AccountError unless the password is long enough, not too long, and hard to guess.

    Guessability is zxcvbn's estimate, which knows common passwords, words, names, keyboard
    patterns and dates, and here also the username.
    """
    if len(password) < MIN_PASSWORD:
        raise AccountError("password", f"A password has at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise AccountError("password", f"A password has at most {MAX_PASSWORD} characters.")
    inputs = [part for part in (username, normalize_username(username)) if part]
    result = zxcvbn(password[:STRENGTH_CHECKED], user_inputs=inputs)
    if result["score"] < MIN_STRENGTH:
        feedback = result["feedback"]
        hints = [feedback["warning"], *feedback["suggestions"]]
        if username and normalize_username(username) in password.lower():
            hints.insert(0, "It contains the username.")
        advice = " ".join(hint if hint.endswith(".") else f"{hint}." for hint in hints if hint)
        raise AccountError(
            "password",
            "This password is too easy to guess"
            + (f": {advice}" if advice else ".")
            + " Try a few unrelated words, or a password manager's suggestion.",
        )


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
    check_password(password, name)
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


def set_password(
    *, session: Session, user: User, password: str, keep_token: str | None = None
) -> None:
    """Change a user's password and end all of their sessions and tokens but keep_token."""
    check_password(password, user.username)
    user.password_hash = hash_password(password)
    revoke_all(session=session, user=user, keep_token=keep_token)


def get_user(session: Session, username: str) -> User | None:
    """Return the user with this name, or None."""
    return session.scalar(select(User).where(User.username == normalize_username(username)))


@dataclass(frozen=True)
class Rule:
    """How many attempts a key gets in its window, and how long it is locked after that.

    The attempt that reaches the limit locks the key for base_delay; with backoff, each later
    attempt in the same window (allowed once the lock ends) doubles it, up to max_delay.
    Without backoff the key stays locked until its window ends.
    """

    prefix: str
    limit: int
    window: timedelta
    base_delay: timedelta = timedelta(0)
    max_delay: timedelta = timedelta(0)
    backoff: bool = False

    def lock(self, attempts: int, window_start: datetime, now: datetime) -> datetime | None:
        """Return until when the key is locked after its attempts-th attempt, or None."""
        if attempts < self.limit:
            return None
        if not self.backoff:
            return window_start + self.window
        doublings = min(attempts - self.limit, 20)
        return now + min(self.base_delay * (1 << doublings), self.max_delay)


# Per username and address: an attacker elsewhere cannot lock the user out, and the back-off
# makes a long guessing run from one address slow.
PER_USER_ADDRESS = Rule(
    "login",
    limit=MAX_FAILURES_PER_USERNAME,
    window=timedelta(days=1),
    base_delay=timedelta(minutes=1),
    max_delay=timedelta(hours=1),
    backoff=True,
)
# Per address, looser: slows one address trying a few passwords on many usernames.
PER_ADDRESS = Rule("address", limit=MAX_FAILURES_PER_CLIENT, window=THROTTLE_WINDOW)
SIGNUP_PREFIX = "signup"
SIGNUP_WINDOW = timedelta(hours=1)


def _upsert(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql_insert(Throttle)
    return sqlite_insert(Throttle)


def _count_attempt(session: Session, rule: Rule, key: str, now: datetime) -> datetime | None:
    """Count one attempt under key unless it is locked; return the lock end when it is.

    One statement: the row lock (PostgreSQL) or write lock (SQLite) it takes lasts until
    the commit, so parallel attempts queue and each sees the count of the ones before it.
    """
    stale = now - rule.window
    now_value = literal(now, UTCDateTime())
    insert = _upsert(session).values(key=key, attempts=1, window_start=now, locked_until=None)
    restart = Throttle.window_start <= stale
    statement = insert.on_conflict_do_update(
        index_elements=[Throttle.key],
        set_={
            "attempts": case((restart, 1), else_=Throttle.attempts + 1),
            "window_start": case((restart, now_value), else_=Throttle.window_start),
        },
        where=or_(Throttle.locked_until.is_(None), Throttle.locked_until <= now),
    ).returning(Throttle.attempts, Throttle.window_start)
    counted = session.execute(statement).first()
    if counted is None:  # locked: the row was left as it was
        until: datetime | None = session.scalar(
            select(Throttle.locked_until).where(Throttle.key == key)
        )
        return until or now
    attempts, window_start = counted
    lock = rule.lock(attempts, window_start, now)
    session.execute(update(Throttle).where(Throttle.key == key).values(locked_until=lock))
    return None


def count_attempts(
    *, session: Session, keys: list[tuple[Rule, str]], now: datetime, message: str
) -> None:
    """Count an attempt under each key and commit, or raise Throttled and count none."""
    for rule, key in keys:
        until = _count_attempt(session, rule, _key(rule.prefix, key), now)
        if until is not None:
            session.rollback()
            retry = until - now
            raise Throttled(retry_after=max(1, math.ceil(retry.total_seconds())), message=message)
    session.commit()


def _key(prefix: str, key: str) -> str:
    return f"{prefix}:{key}"[:200]


def forget_attempt(*, session: Session, prefix: str, key: str, reset: bool = False) -> None:
    """Take back one counted attempt (it succeeded), or with reset all of them, and commit."""
    key = _key(prefix, key)
    if reset:
        session.execute(delete(Throttle).where(Throttle.key == key))
    else:
        session.execute(
            update(Throttle)
            .where(Throttle.key == key, Throttle.attempts > 0)
            .values(attempts=Throttle.attempts - 1)
        )
    session.commit()


def authenticate(
    *, session: Session, username: str, password: str, client: str, now: datetime | None = None
) -> User:
    """Return the user whose password this is; count attempts and throttle guessing.

    The attempt is counted before the (slow) password check, so at most the limit of
    checks run however many requests arrive at once.
    """
    now = now or utcnow()
    name = normalize_username(username)
    _count_login(session, name, client, now)
    user = get_user(session, name) if len(password) <= MAX_PASSWORD else None
    if user is None:
        _hasher.verify(password[:MAX_PASSWORD], _DUMMY_HASH)
        valid = False
    else:
        valid, new_hash = _hasher.verify_and_update(password, user.password_hash)
        if valid and new_hash:
            user.password_hash = new_hash
            session.commit()
    if not valid or user is None:
        _forget_stale(session, now)
        raise InvalidCredentials
    _login_succeeded(session, name, client)
    if user.disabled_at is not None:  # said only to whoever knows the password
        raise AccountDisabled(user.username)
    return user


def _count_login(session: Session, username: str, client: str, now: datetime) -> None:
    count_attempts(
        session=session,
        keys=[(PER_USER_ADDRESS, f"{username}|{client}"), (PER_ADDRESS, client)],
        now=now,
        message=LOGIN_THROTTLED,
    )


def _login_succeeded(session: Session, username: str, client: str) -> None:
    # The pair starts afresh; the address keeps only its failures.
    forget_attempt(
        session=session, prefix=PER_USER_ADDRESS.prefix, key=f"{username}|{client}", reset=True
    )
    forget_attempt(session=session, prefix=PER_ADDRESS.prefix, key=client)


def _forget_stale(session: Session, now: datetime) -> None:
    # Keys whose window and lock are long over (a day is the longest window), a bounded
    # batch at a time; rows another request holds are skipped, so this never waits on one.
    stale = (
        select(Throttle.key)
        .where(
            Throttle.window_start <= now - timedelta(days=2),
            or_(Throttle.locked_until.is_(None), Throttle.locked_until <= now),
        )
        .limit(100)
        .with_for_update(skip_locked=True)
    )
    session.execute(delete(Throttle).where(Throttle.key.in_(stale.scalar_subquery())))
    session.commit()


def count_signup(
    *, session: Session, client: str, per_hour: int, now: datetime | None = None
) -> None:
    """Count a sign-up from client, or raise Throttled when it made per_hour this hour."""
    if per_hour <= 0:
        return
    rule = Rule(SIGNUP_PREFIX, limit=per_hour, window=SIGNUP_WINDOW)
    count_attempts(
        session=session, keys=[(rule, client)], now=now or utcnow(), message=SIGNUP_THROTTLED
    )


def forget_signup(*, session: Session, client: str) -> None:
    """Take back a counted sign-up that did not make an account."""
    forget_attempt(session=session, prefix=SIGNUP_PREFIX, key=client)


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
# A reset link's token is not a login, and a disabled user's tokens stop working at once.
# The kinds are compared one by one, not with IN: an IN list is rendered anew on every run.
LOGIN_KINDS = ("session", "api")
_USER_OF_TOKEN = (
    select(User)
    .join(AuthToken, AuthToken.user_id == User.id)
    .where(
        AuthToken.token_hash == bindparam("digest"),
        AuthToken.expires_at > bindparam("now"),
        or_(*(AuthToken.kind == kind for kind in LOGIN_KINDS)),
        User.disabled_at.is_(None),
    )
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


def revoke_all(*, session: Session, user: User, keep_token: str | None = None) -> None:
    """End every session and API token of user but keep_token."""
    statement = delete(AuthToken).where(AuthToken.user_id == user.id)
    if keep_token:
        statement = statement.where(AuthToken.token_hash != _digest(keep_token))
    session.execute(statement)
    session.commit()


def check_current_password(*, session: Session, user: User, password: str, client: str) -> None:
    """Raise AccountError unless password is user's; counted and throttled like a login."""
    _count_login(session, user.username, client, utcnow())
    if len(password) > MAX_PASSWORD or not _hasher.verify(password, user.password_hash):
        raise AccountError("current_password", "The current password is wrong.", status=403)
    _login_succeeded(session, user.username, client)


def change_password(
    *,
    session: Session,
    user: User,
    current_password: str,
    new_password: str,
    client: str,
    keep_token: str | None,
) -> None:
    """Change user's password after checking the current one; end every other login."""
    check_password(new_password, user.username)
    check_current_password(session=session, user=user, password=current_password, client=client)
    set_password(session=session, user=user, password=new_password, keep_token=keep_token)


def is_last_admin(session: Session, user: User) -> bool:
    """Return whether user is the only admin while other users exist (they would have none)."""
    if not user.is_admin:
        return False
    others = select(User.id).where(User.id != user.id)
    other_admins = others.where(User.is_admin)
    return bool(
        session.scalar(select(others.exists()))
        and not session.scalar(select(other_admins.exists()))
    )


def delete_account(*, session: Session, user: User, current_password: str, client: str) -> None:
    """Delete user and all their data after checking their password; every login ends.

    Every table with a user's rows references users with ON DELETE CASCADE (SQLite runs with
    foreign keys on), so one DELETE removes progress, reviews, attempts, interviews, fits,
    dates, resets and tokens. The login throttle of the name goes too. The only admin of a
    server with other users is refused (LastAdmin): the server would have no admin.
    """
    if is_last_admin(session, user):
        raise LastAdmin(
            "You are the only admin of this server, and it has other users: make another user "
            "an admin first, then delete your account."
        )
    check_current_password(session=session, user=user, password=current_password, client=client)
    session.execute(delete(User).where(User.id == user.id))
    session.execute(
        delete(Throttle).where(
            Throttle.key.startswith(
                _key(PER_USER_ADDRESS.prefix, f"{user.username}|"), autoescape=True
            )
        )
    )
    session.commit()
    session.expunge(user)


def data_counts(session: Session, user: User) -> dict[str, int]:
    """Return how many of user's cards, reviews, quiz attempts and interviews there are."""
    counts = {}
    for name, table in (
        ("cards", CardState),
        ("reviews", ReviewLog),
        ("quiz_attempts", QuizAttempt),
        ("interviews", Interview),
    ):
        counted = select(func.count()).select_from(table).where(table.user_id == user.id)
        counts[name] = session.scalar(counted) or 0
    return counts
