"""One learner's state of one card (the card page's panel) and its flag actions."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from app.content.models import Card, Library
from app.models import CardState
from app.study.card_status import card_status, change_flag
from app.study.reviews import Conflict, record_review
from tests.helpers import add_user

NOON = datetime(2026, 6, 10, 12, tzinfo=UTC)


def card_of(library: Library, card_id: str) -> Card:
    """Return the card of an id."""
    return next(card for deck in library.decks for card in deck.cards if card.id == card_id)


def test_a_card_never_studied_is_new_with_no_flags(db: Session, library: Library) -> None:
    user = add_user(db)
    status = card_status(session=db, user=user, card=card_of(library, "dropout"), now=NOON)
    assert (status.state, status.label, status.flags, status.due) == ("new", "New", [], None)
    assert status.actions == ["bury", "suspend"]
    assert status.studiable


def test_a_reviewed_card_is_due_in_the_users_time_zone(db: Session, library: Library) -> None:
    user = add_user(db, timezone="Asia/Tokyo")
    for rating in (3, 3):
        record_review(
            session=db,
            user=user,
            library=library,
            card_id="dropout",
            rating=rating,
            review_id=str(uuid.uuid4()),
            now=NOON,
        )
    status = card_status(session=db, user=user, card=card_of(library, "dropout"), now=NOON)
    assert status.state == "review"
    assert status.due is not None
    assert status.due.utcoffset() == timedelta(hours=9)
    assert status.due > NOON
    assert not status.due_now
    assert not status.studiable
    assert status.reviews == 2


def test_a_card_in_learning_can_be_suspended_not_buried(db: Session, library: Library) -> None:
    user = add_user(db)
    record_review(
        session=db,
        user=user,
        library=library,
        card_id="dropout",
        rating=1,
        review_id=str(uuid.uuid4()),
        now=NOON,
    )
    status = card_status(session=db, user=user, card=card_of(library, "dropout"), now=NOON)
    assert status.state == "learning"
    assert status.due_now
    assert status.actions == ["suspend"]
    with pytest.raises(Conflict, match="is in learning"):
        change_flag(
            session=db, user=user, library=library, card_id="dropout", action="bury", now=NOON
        )


@pytest.mark.parametrize(
    ("actions", "flags", "offered"),
    [
        (["bury"], ["buried"], ["unbury", "suspend"]),
        (["bury", "unbury"], [], ["bury", "suspend"]),
        (["suspend"], ["suspended"], ["unsuspend"]),
        (["bury", "suspend"], ["suspended"], ["unsuspend"]),  # suspending unburies
        (["suspend", "unsuspend"], [], ["bury", "suspend"]),
    ],
)
def test_flag_actions_and_what_they_leave(
    db: Session, library: Library, actions: list[str], flags: list[str], offered: list[str]
) -> None:
    user = add_user(db)
    card = card_of(library, "l1-vs-l2")
    for action in actions:
        change_flag(
            session=db,
            user=user,
            library=library,
            card_id=card.id,
            action=action,  # type: ignore[arg-type]
            now=NOON,
        )
    status = card_status(session=db, user=user, card=card, now=NOON)
    assert status.flags == flags
    assert status.actions == offered
    assert status.studiable == (not flags)


def test_a_burial_ends_with_the_users_day(db: Session, library: Library) -> None:
    user = add_user(db)
    card = card_of(library, "l1-vs-l2")
    change_flag(session=db, user=user, library=library, card_id=card.id, action="bury", now=NOON)
    status = card_status(session=db, user=user, card=card, now=NOON)
    assert status.buried_until is not None
    assert status.buried_until > NOON
    tomorrow = card_status(session=db, user=user, card=card, now=NOON + timedelta(days=1))
    assert tomorrow.flags == []


def test_a_leech_is_flagged(db: Session, library: Library) -> None:
    user = add_user(db)
    card = card_of(library, "l1-vs-l2")
    change_flag(session=db, user=user, library=library, card_id=card.id, action="suspend", now=NOON)
    row = db.get(CardState, (user.id, card.id))
    assert row is not None
    row.leech = True
    db.commit()
    assert card_status(session=db, user=user, card=card, now=NOON).flags == ["suspended", "leech"]


def test_each_user_sees_only_their_own_state(db: Session, library: Library) -> None:
    ada, bob = add_user(db, "ada"), add_user(db, "bob")
    card = card_of(library, "l1-vs-l2")
    change_flag(session=db, user=ada, library=library, card_id=card.id, action="suspend", now=NOON)
    assert card_status(session=db, user=bob, card=card, now=NOON).flags == []
