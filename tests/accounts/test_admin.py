"""Administration of accounts: the list, disable and enable, admins, deletion, reset links."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.admin import (
    RESET_LIFETIME,
    Action,
    InvalidResetLink,
    UnknownUser,
    change_user,
    delete_user,
    issue_reset_link,
    list_users,
    reset_link_user,
    use_reset_link,
)
from app.accounts.service import (
    AccountDisabled,
    AccountError,
    LastAdmin,
    authenticate,
    create_user,
    issue_token,
    user_for_token,
)
from app.accounts.sessions import signup_allowed, start_session
from app.accounts.site import set_signup_open, signup_open, signup_setting
from app.models import (
    AuthToken,
    Base,
    CardState,
    ReviewLog,
    User,
    utcnow,
)
from tests.helpers import PASSWORD, add_user

NEW_PASSWORD = "purple elephant marmalade"


def add_admin(session: Session, username: str) -> User:
    """Add an admin quickly (a placeholder password hash)."""
    user = add_user(session, username)
    user.is_admin = True
    session.commit()
    return user


def review(session: Session, user: User, card_id: str, minutes_ago: int) -> None:
    """Add one review of user's (its row only: enough for counts and times)."""
    session.add(
        ReviewLog(
            user_id=user.id,
            review_id=str(uuid.uuid4()),
            card_id=card_id,
            deck_id="regularization",
            rating=3,
            kind=0,
            reviewed_at=utcnow() - timedelta(minutes=minutes_ago),
            desired_retention=0.9,
        )
    )
    session.commit()


def test_the_list_is_paged_with_review_counts_and_last_activity(db: Session) -> None:
    ada = add_admin(db, "ada")
    bob = add_user(db, "bob")
    for name in ("cy", "dee", "eve"):
        add_user(db, name)
    review(db, bob, "dropout", 30)
    review(db, bob, "l1-vs-l2", 10)
    start_session(db, ada)
    first = list_users(session=db, limit=2, offset=0)
    assert first.total == 5
    assert [row.username for row in first.rows] == ["ada", "bob"]
    ada_row, bob_row = first.rows
    assert (ada_row.reviews, ada_row.last_review_at) == (0, None)
    assert ada_row.last_active_at == ada_row.last_login_at is not None
    assert bob_row.reviews == 2
    assert bob_row.last_login_at is None
    assert bob_row.last_active_at == bob_row.last_review_at
    assert bob_row.last_review_at is not None
    assert utcnow() - timedelta(minutes=11) < bob_row.last_review_at < utcnow()
    assert [row.username for row in list_users(session=db, limit=2, offset=4).rows] == ["eve"]
    assert list_users(session=db, limit=2, offset=10).rows == []
    found = list_users(session=db, limit=50, offset=0, text=" E ")
    assert ([row.username for row in found.rows], found.total) == (["dee", "eve"], 2)
    # A LIKE wildcard is a plain character here.
    assert list_users(session=db, limit=50, offset=0, text="%").total == 0


def test_the_page_size_is_bounded(db: Session) -> None:
    add_user(db, "ada")
    assert list_users(session=db, limit=10_000, offset=-5).limit == 100
    assert list_users(session=db, limit=10_000, offset=-5).offset == 0


def test_disabling_ends_every_login_and_refuses_new_ones(db: Session) -> None:
    create_user(session=db, username="ada", password=PASSWORD)
    bob = create_user(session=db, username="bob", password=PASSWORD)
    session_token = issue_token(session=db, user=bob, kind="session")
    api_token = issue_token(session=db, user=bob, kind="api")
    change_user(session=db, user_id=bob.id, actions=["disable"])
    assert bob.disabled_at is not None
    assert user_for_token(db, session_token) is None
    assert user_for_token(db, api_token) is None
    assert db.scalar(select(func.count()).select_from(AuthToken)) == 0
    with pytest.raises(AccountDisabled, match="'bob' is disabled by an admin"):
        authenticate(session=db, username="bob", password=PASSWORD, client="1.2.3.4")
    # Disabled twice keeps the first time.
    first = bob.disabled_at
    assert change_user(session=db, user_id=bob.id, actions=["disable"]).disabled_at == first
    change_user(session=db, user_id=bob.id, actions=["enable"])
    assert bob.disabled_at is None
    user = authenticate(session=db, username="bob", password=PASSWORD, client="1.2.3.4")
    assert user.id == bob.id


def test_a_token_of_a_disabled_user_is_refused_even_if_left_in_place(db: Session) -> None:
    bob = add_user(db, "bob")
    token = issue_token(session=db, user=bob, kind="api")
    bob.disabled_at = utcnow()
    db.commit()
    assert user_for_token(db, token) is None


def test_wrong_password_of_a_disabled_user_says_nothing_of_the_state(db: Session) -> None:
    create_user(session=db, username="ada", password=PASSWORD)
    bob = create_user(session=db, username="bob", password=PASSWORD)
    change_user(session=db, user_id=bob.id, actions=["disable"])
    with pytest.raises(AccountError, match="Wrong username or password"):
        authenticate(session=db, username="bob", password="not it at all", client="1.2.3.4")


@pytest.mark.parametrize(
    ("actions", "message"),
    [
        (["disable"], "Disabling 'ada' would leave no enabled admin"),
        (["demote"], "Removing admin rights from 'ada' would leave no enabled admin"),
        (
            ["disable", "demote"],
            "Disabling 'ada' and removing admin rights from 'ada' would leave no enabled admin",
        ),
    ],
)
def test_the_last_enabled_admin_stays(db: Session, actions: list[Action], message: str) -> None:
    ada = add_admin(db, "ada")
    bob = add_user(db, "bob")
    with pytest.raises(LastAdmin, match=message):
        change_user(session=db, user_id=ada.id, actions=actions)
    with pytest.raises(LastAdmin, match="Deleting 'ada' would leave no enabled admin"):
        delete_user(session=db, user_id=ada.id)
    db.expire_all()
    assert (ada.is_admin, ada.disabled_at) == (True, None)
    # A disabled admin does not count: bob made an admin but disabled leaves ada the only one.
    change_user(session=db, user_id=bob.id, actions=["promote", "disable"])
    with pytest.raises(LastAdmin):
        change_user(session=db, user_id=ada.id, actions=["demote"])
    change_user(session=db, user_id=bob.id, actions=["enable"])
    assert not change_user(session=db, user_id=ada.id, actions=["demote"]).is_admin


def test_deleting_removes_the_user_and_all_their_data(db: Session) -> None:
    add_admin(db, "ada")
    bob = add_user(db, "bob")
    keep = add_user(db, "cy")
    for user in (bob, keep):
        review(db, user, "dropout", 5)
        issue_token(session=db, user=user, kind="api")
        db.add(
            CardState(
                user_id=user.id,
                card_id="dropout",
                deck_id="regularization",
                state=0,
                due=utcnow(),
                suspended=True,
            )
        )
    db.commit()
    bob_id = bob.id
    assert delete_user(session=db, user_id=bob_id) == "bob"
    assert db.get(User, bob_id) is None
    for table in Base.metadata.sorted_tables:
        if "user_id" in table.c:
            rows = db.execute(select(table.c.user_id).where(table.c.user_id == bob_id)).all()
            assert rows == [], table.name
    assert db.scalar(select(func.count()).select_from(ReviewLog)) == 1
    with pytest.raises(UnknownUser, match="There is no user with id"):
        delete_user(session=db, user_id=bob_id)


@pytest.mark.parametrize("user_id", [0, -1, 2**31, 10**30, 999])
def test_an_unknown_id_is_unknown(db: Session, user_id: int) -> None:
    add_admin(db, "ada")
    with pytest.raises(UnknownUser, match=f"There is no user with id {user_id}"):
        change_user(session=db, user_id=user_id, actions=["disable"])
    with pytest.raises(UnknownUser):
        issue_reset_link(session=db, user_id=user_id)


def test_a_reset_link_works_once_and_ends_every_other_login(db: Session) -> None:
    bob = create_user(session=db, username="bob", password=PASSWORD)
    old_session = issue_token(session=db, user=bob, kind="session")
    link = issue_reset_link(session=db, user_id=bob.id)
    assert link.expires_at - utcnow() <= RESET_LIFETIME
    # The link is not a login.
    assert user_for_token(db, link.token) is None
    assert reset_link_user(db, link.token).id == bob.id
    # A weak password leaves the link usable.
    with pytest.raises(AccountError, match="at least 8 characters"):
        use_reset_link(session=db, token=link.token, password="short")
    assert use_reset_link(session=db, token=link.token, password=NEW_PASSWORD).id == bob.id
    assert user_for_token(db, old_session) is None
    with pytest.raises(InvalidResetLink, match="has been used, has expired or was never issued"):
        use_reset_link(session=db, token=link.token, password=NEW_PASSWORD + "x")
    user = authenticate(session=db, username="bob", password=NEW_PASSWORD, client="1.2.3.4")
    assert user.id == bob.id


def test_a_new_link_replaces_the_old_and_links_expire(db: Session) -> None:
    bob = add_user(db, "bob")
    old = issue_reset_link(session=db, user_id=bob.id)
    new = issue_reset_link(session=db, user_id=bob.id)
    with pytest.raises(InvalidResetLink):
        reset_link_user(db, old.token)
    assert reset_link_user(db, new.token).id == bob.id
    with pytest.raises(InvalidResetLink):
        reset_link_user(db, new.token, now=utcnow() + RESET_LIFETIME + timedelta(seconds=1))
    for token in ("", "x" * 101, "nope"):
        with pytest.raises(InvalidResetLink):
            reset_link_user(db, token)


def test_signup_setting_is_stored_and_overrides_the_default(db: Session) -> None:
    ada = add_admin(db, "ada")
    assert signup_open(db, default=True) is True
    assert signup_open(db, default=False) is False
    assert signup_setting(db, default=True).stored is False
    set_signup_open(session=db, admin=ada, open_=False)
    assert signup_open(db, default=True) is False
    assert signup_allowed(db, allow_signup=True) is False
    setting = signup_setting(db, default=True)
    assert (setting.open, setting.default, setting.stored, setting.updated_by) == (
        False,
        True,
        True,
        "ada",
    )
    set_signup_open(session=db, admin=ada, open_=True)
    assert signup_allowed(db, allow_signup=False) is True
