"""Deleting an account: every row of the user goes, nobody else's, and the last admin stays."""

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from app.accounts.service import (
    PER_USER_ADDRESS,
    AccountError,
    LastAdmin,
    count_attempts,
    create_user,
    data_counts,
    delete_account,
    is_last_admin,
    issue_token,
)
from app.models import (
    AuthToken,
    Base,
    CardReset,
    CardState,
    FsrsFit,
    Interview,
    InterviewAnswer,
    InterviewDate,
    ProgressImport,
    QuizAttempt,
    ReviewLog,
    StudyAction,
    Throttle,
    User,
    utcnow,
)
from tests.helpers import PASSWORD

NOW = utcnow()


def _rows(user: User) -> list[Base]:
    """One row of every table that holds a user's data."""
    interview = Interview(
        public_id=f"i-{user.id}",
        user_id=user.id,
        options="{}",
        seed=1,
        questions="[]",
        seconds_per_answer=60,
        created_at=NOW,
    )
    return [
        AuthToken(user_id=user.id, token_hash=f"h{user.id}", kind="api", expires_at=NOW),
        CardState(user_id=user.id, card_id="dropout", deck_id="d", state=2, due=NOW),
        ReviewLog(
            user_id=user.id,
            review_id=f"r-{user.id}",
            card_id="dropout",
            deck_id="d",
            rating=3,
            kind=0,
            reviewed_at=NOW,
            desired_retention=0.9,
        ),
        FsrsFit(user_id=user.id, trigger="user", status="queued", requested_at=NOW),
        InterviewDate(user_id=user.id, deck_id="", date=date(2027, 1, 1)),
        CardReset(user_id=user.id, reset_id=f"c-{user.id}", created_at=NOW, payload="{}"),
        ProgressImport(user_id=user.id, started_at=NOW, beat_at=NOW),
        StudyAction(
            user_id=user.id,
            card_id="dropout",
            action="bury",
            at=NOW,
            had_row=True,
            suspended_before=False,
            buried_until_before=None,
        ),
        QuizAttempt(
            user_id=user.id,
            attempt_id=f"a-{user.id}",
            card_id="dropout",
            demo_id="x",
            kind_id="y",
            seed=1,
            answer="1",
            correct=True,
            answered_at=NOW,
        ),
        interview,
    ]


def _user_tables() -> list[Table]:
    """Every table with a foreign key to users."""
    return [
        table
        for table in Base.metadata.sorted_tables
        if any(fk.column.table.name == "users" for fk in table.foreign_keys)
    ]


def _count(session: Session, table: Table, user_id: int) -> int:
    column = table.c.user_id
    return session.scalar(select(func.count()).select_from(table).where(column == user_id)) or 0


def _fill(session: Session, user: User) -> None:
    rows = _rows(user)
    session.add_all(rows)
    session.flush()
    interview = next(row for row in rows if isinstance(row, Interview))
    session.add(
        InterviewAnswer(
            interview_id=interview.id, position=0, part="question", card_id="x", shown_at=NOW
        )
    )
    session.commit()


def test_deleting_an_account_removes_every_row_of_it_and_keeps_the_others(db: Session) -> None:
    admin = create_user(session=db, username="ada", password=PASSWORD)
    bob = create_user(session=db, username="bob", password=PASSWORD)
    _fill(db, admin)
    _fill(db, bob)
    tables = _user_tables()
    # The rows above cover every table that holds a user's data: a new one must be added here.
    assert {table.name for table in tables} == {type(row).__tablename__ for row in _rows(bob)}
    assert data_counts(db, bob) == {"cards": 1, "reviews": 1, "quiz_attempts": 1, "interviews": 1}
    count_attempts(
        session=db, keys=[(PER_USER_ADDRESS, "bob|1.2.3.4")], now=NOW, message="{seconds}"
    )
    bob_id = bob.id
    delete_account(session=db, user=bob, current_password=PASSWORD, client="testclient")
    assert db.get(User, bob_id) is None
    for table in tables:
        assert _count(db, table, bob_id) == 0, table.name
        assert _count(db, table, admin.id) == 1, table.name
    assert db.scalar(select(func.count()).select_from(InterviewAnswer)) == 1  # ada's
    # The name's login throttle goes with it; the address's own count stays.
    assert db.scalars(select(Throttle.key)).all() == ["address:testclient"]


def test_every_user_table_cascades_on_delete() -> None:
    for table in _user_tables():
        for fk in table.foreign_keys:
            if fk.column.table.name == "users":
                assert fk.ondelete == "CASCADE", table.name


@pytest.mark.parametrize(
    ("password", "status"),
    [("not it at all", 403), ("", 403), ("x" * 10_000, 403), ("\x00" + PASSWORD, 403)],
    ids=["wrong", "empty", "huge", "nul"],
)
def test_a_wrong_password_deletes_nothing(db: Session, password: str, status: int) -> None:
    create_user(session=db, username="ada", password=PASSWORD)
    bob = create_user(session=db, username="bob", password=PASSWORD)
    issue_token(session=db, user=bob, kind="session")
    with pytest.raises(AccountError) as raised:
        delete_account(session=db, user=bob, current_password=password, client="testclient")
    assert raised.value.status == status
    assert str(raised.value) == "The current password is wrong."
    assert db.get(User, bob.id) is not None
    assert _count(db, AuthToken.__table__, bob.id) == 1  # type: ignore[arg-type]


LAST_ADMIN = (
    "You are the only admin of this server, and it has other users: make another user an "
    "admin first, then delete your account."
)


@pytest.mark.parametrize(
    ("others", "last"),
    [
        ([], False),  # alone: the server empties, and the next sign-up is its admin
        ([("bob", False)], True),
        ([("bob", False), ("cyd", True)], False),
    ],
    ids=["alone", "with-a-user", "with-another-admin"],
)
def test_the_only_admin_of_a_server_with_users_cannot_go(
    db: Session, others: list[tuple[str, bool]], last: bool
) -> None:
    admin = create_user(session=db, username="ada", password=PASSWORD, is_admin=True)
    for name, is_admin in others:
        create_user(session=db, username=name, password=PASSWORD, is_admin=is_admin)
    assert is_last_admin(db, admin) is last
    delete: Callable[[], None] = lambda: delete_account(  # noqa: E731
        session=db, user=admin, current_password=PASSWORD, client="testclient"
    )
    if last:
        with pytest.raises(LastAdmin) as raised:
            delete()
        assert (raised.value.status, str(raised.value)) == (409, LAST_ADMIN)
        assert db.get(User, admin.id) is not None
    else:
        admin_id = admin.id
        delete()
        assert db.get(User, admin_id) is None
