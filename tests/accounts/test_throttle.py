"""Login throttling: per username and address with back-off, looser per address."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.service import (
    MAX_FAILURES_PER_CLIENT,
    MAX_FAILURES_PER_USERNAME,
    InvalidCredentials,
    Throttled,
    authenticate,
    create_user,
)
from app.models import Throttle, utcnow
from tests.helpers import PASSWORD


def fail(db: Session, username: str, client: str, when: datetime) -> None:
    """Try a wrong password and expect it to be checked (401), not refused (429)."""
    with pytest.raises(InvalidCredentials):
        authenticate(session=db, username=username, password="wrong", client=client, now=when)


def test_the_lock_doubles_with_each_failure_after_the_limit(db: Session) -> None:
    create_user(session=db, username="ada", password=PASSWORD)
    now = utcnow()
    for _ in range(MAX_FAILURES_PER_USERNAME):
        fail(db, "ada", "1.2.3.4", now)
    for delay in (60, 120, 240, 480):
        with pytest.raises(Throttled) as caught:
            authenticate(session=db, username="ada", password="wrong", client="1.2.3.4", now=now)
        assert caught.value.retry_after == delay
        assert str(caught.value) == f"Too many failed logins. Try again in {delay} seconds."
        now += timedelta(seconds=delay)
        fail(db, "ada", "1.2.3.4", now)  # one attempt once the lock is over
    # A success clears the pair: five attempts again before the next lock.
    now += timedelta(seconds=960)
    authenticate(session=db, username="ada", password=PASSWORD, client="1.2.3.4", now=now)
    for _ in range(MAX_FAILURES_PER_USERNAME):
        fail(db, "ada", "1.2.3.4", now)


def test_the_lock_stops_growing_at_an_hour(db: Session) -> None:
    create_user(session=db, username="ada", password=PASSWORD)
    now = utcnow()
    for _ in range(MAX_FAILURES_PER_USERNAME + 8):
        now += timedelta(hours=1)
        fail(db, "ada", "1.2.3.4", now)
    with pytest.raises(Throttled) as caught:
        authenticate(session=db, username="ada", password="wrong", client="1.2.3.4", now=now)
    assert caught.value.retry_after == 3600


def test_failures_from_one_address_do_not_lock_another(db: Session) -> None:
    create_user(session=db, username="ada", password=PASSWORD)
    now = utcnow()
    for _ in range(MAX_FAILURES_PER_USERNAME):
        fail(db, "ada", "6.6.6.6", now)
    with pytest.raises(Throttled):
        authenticate(session=db, username="ada", password=PASSWORD, client="6.6.6.6", now=now)
    user = authenticate(session=db, username="ada", password=PASSWORD, client="1.2.3.4", now=now)
    assert user.username == "ada"


def test_an_address_spraying_many_usernames_is_locked(db: Session) -> None:
    create_user(session=db, username="ada", password=PASSWORD)
    now = utcnow()
    # Successful logins from the address do not count towards its limit.
    for _ in range(10):
        authenticate(session=db, username="ada", password=PASSWORD, client="6.6.6.6", now=now)
    for index in range(MAX_FAILURES_PER_CLIENT):
        fail(db, f"user{index}", "6.6.6.6", now)
    with pytest.raises(Throttled) as caught:
        authenticate(session=db, username="ada", password=PASSWORD, client="6.6.6.6", now=now)
    assert caught.value.retry_after == 15 * 60
    # The refused attempt counted nothing: no row for its username and address.
    keys = set(db.scalars(select(Throttle.key)))
    assert "login:ada|6.6.6.6" not in keys
    later = now + timedelta(minutes=15, seconds=1)
    authenticate(session=db, username="ada", password=PASSWORD, client="6.6.6.6", now=later)


def test_stale_counters_are_deleted(db: Session) -> None:
    create_user(session=db, username="ada", password=PASSWORD)
    old = utcnow() - timedelta(days=3)
    for index in range(3):
        fail(db, f"user{index}", f"10.0.0.{index}", old)
    assert len(db.scalars(select(Throttle.key)).all()) == 6
    fail(db, "ada", "1.2.3.4", utcnow())
    assert set(db.scalars(select(Throttle.key))) == {"login:ada|1.2.3.4", "address:1.2.3.4"}
