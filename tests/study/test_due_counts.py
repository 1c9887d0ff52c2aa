"""Each deck's cards left today for one learner (the home and deck pages' counts)."""

import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from app.content.models import Library
from app.study.card_status import change_flag
from app.study.due_counts import DueCounts, due_counts
from app.study.reviews import record_review
from tests.helpers import add_user

NOON = datetime(2026, 6, 10, 12, tzinfo=UTC)
DECK = "regularization"


def test_a_new_user_has_the_days_new_cards_and_nothing_due(db: Session, library: Library) -> None:
    user = add_user(db, new_per_day=7)
    found = due_counts(session=db, user=user, library=library, now=NOON, deck_ids=[DECK])
    assert found == {DECK: DueCounts(due=0, new=7)}
    assert found[DECK].any


def test_learning_cards_count_as_due_and_new_ones_leave_the_limit(
    db: Session, library: Library
) -> None:
    user = add_user(db, new_per_day=7)
    for card_id in ("dropout", "l1-vs-l2"):
        record_review(
            session=db,
            user=user,
            library=library,
            card_id=card_id,
            rating=1,
            review_id=str(uuid.uuid4()),
            now=NOON,
        )
    found = due_counts(session=db, user=user, library=library, now=NOON, deck_ids=[DECK])
    assert found[DECK] == DueCounts(due=2, new=5)


def test_suspended_cards_are_not_counted_and_nothing_left_is_not_any(
    db: Session, library: Library
) -> None:
    user = add_user(db, new_per_day=1)
    change_flag(
        session=db, user=user, library=library, card_id="dropout", action="suspend", now=NOON
    )
    deck = library.deck(DECK)
    assert deck is not None
    for card in deck.cards:
        if card.id != "dropout":
            change_flag(
                session=db, user=user, library=library, card_id=card.id, action="bury", now=NOON
            )
    found = due_counts(session=db, user=user, library=library, now=NOON, deck_ids=[DECK])
    assert found[DECK] == DueCounts(due=0, new=0)
    assert not found[DECK].any
