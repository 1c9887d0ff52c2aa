"""Undo of the latest study action of any kind: a grade, a bury, a suspend or an unsuspend."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.content.models import Library
from app.models import CardState, ReviewLog, StudyAction, User
from app.study.reviews import (
    Conflict,
    NothingInSession,
    replay_mismatches,
    set_flag,
    undo_last_action,
    undo_message,
)
from app.study.scheduling import Memory
from tests.helpers import add_user
from tests.study.test_reviews import review

NOON = datetime(2026, 6, 10, 12, tzinfo=UTC)


def flag(
    session: Session,
    user: User,
    library: Library,
    card_id: str,
    action: str,
    now: datetime,
    undoable: bool = True,
) -> CardState:
    """Bury, suspend or unsuspend a card as the study does (undoable)."""
    return set_flag(
        session=session,
        user=user,
        library=library,
        card_id=card_id,
        action=action,
        now=now,
        undoable=undoable,
    )


def count(session: Session, model: type[StudyAction] | type[ReviewLog]) -> int:
    """Return how many rows a table has."""
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_undo_after_bury_unburies_and_keeps_the_grade_before(db: Session, library: Library) -> None:
    user = add_user(db)
    review(db, user, library, "dropout", rating=3, now=NOON)
    flag(db, user, library, "l1-vs-l2", "bury", NOON + timedelta(minutes=1))
    undone = undo_last_action(session=db, user=user)
    assert (undone.action, undone.card_id, undone.name, undone.log) == (
        "bury",
        "l1-vs-l2",
        "bury",
        None,
    )
    # The bury made the card's row; the undo leaves none, as before it.
    assert db.get(CardState, (user.id, "l1-vs-l2")) is None
    assert count(db, ReviewLog) == 1
    undone = undo_last_action(session=db, user=user)
    assert (undone.action, undone.card_id, undone.name) == ("review", "dropout", "good")
    assert count(db, ReviewLog) == 0
    with pytest.raises(Conflict, match="There is nothing to undo"):
        undo_last_action(session=db, user=user)


def test_undo_of_a_suspend_restores_the_flags_and_the_schedule(
    db: Session, library: Library
) -> None:
    user = add_user(db)
    review(db, user, library, "dropout", rating=4, now=NOON)  # Easy: a review card
    flag(db, user, library, "dropout", "bury", NOON + timedelta(hours=1))
    buried_until = db.get(CardState, (user.id, "dropout")).buried_until  # type: ignore[union-attr]
    before = Memory.of(db.get(CardState, (user.id, "dropout")))  # type: ignore[arg-type]
    flag(db, user, library, "dropout", "suspend", NOON + timedelta(hours=2))
    undone = undo_last_action(session=db, user=user)
    assert undone.name == "suspend"
    db.expire_all()
    row = db.get(CardState, (user.id, "dropout"))
    assert row is not None
    # Suspending unburied it; the undo buries it again, its schedule untouched.
    assert (row.suspended, row.buried_until) == (False, buried_until)
    assert Memory.of(row) == before
    assert replay_mismatches(db, user) == []


def test_undo_of_an_unsuspend_suspends_again(db: Session, library: Library) -> None:
    user = add_user(db)
    flag(db, user, library, "dropout", "suspend", NOON)
    flag(db, user, library, "dropout", "unsuspend", NOON + timedelta(minutes=1))
    assert undo_last_action(session=db, user=user).name == "unsuspend"
    db.expire_all()
    assert db.get(CardState, (user.id, "dropout")).suspended is True  # type: ignore[union-attr]
    assert undo_last_action(session=db, user=user).name == "suspend"
    assert db.get(CardState, (user.id, "dropout")) is None


def test_an_action_that_changes_nothing_is_not_kept(db: Session, library: Library) -> None:
    user = add_user(db)
    flag(db, user, library, "dropout", "suspend", NOON)
    flag(db, user, library, "dropout", "suspend", NOON + timedelta(minutes=1))
    flag(db, user, library, "l1-vs-l2", "unsuspend", NOON + timedelta(minutes=2))
    assert count(db, StudyAction) == 1
    # Flags changed outside the study (the card browser) are not the study's to undo.
    flag(db, user, library, "dropout", "unsuspend", NOON + timedelta(minutes=3), undoable=False)
    assert count(db, StudyAction) == 1


def test_undo_stops_at_the_start_of_the_session(db: Session, library: Library) -> None:
    user = add_user(db)
    review(db, user, library, "dropout", rating=4, now=NOON)
    flag(db, user, library, "l1-vs-l2", "suspend", NOON + timedelta(minutes=1))
    since = NOON + timedelta(minutes=2)
    for _twice in range(2):
        with pytest.raises(NothingInSession, match="Nothing to undo in this session"):
            undo_last_action(session=db, user=user, since=since)
    assert count(db, StudyAction) == 1
    assert count(db, ReviewLog) == 1
    # An action in the session is undone; an earlier one only when asked without since.
    review(db, user, library, "max-norm", rating=1, now=since)
    assert undo_last_action(session=db, user=user, since=since).name == "again"
    with pytest.raises(NothingInSession):
        undo_last_action(session=db, user=user, since=since)
    assert undo_last_action(session=db, user=user).name == "suspend"
    assert undo_last_action(session=db, user=user).name == "easy"


def test_review_id_guards_against_undoing_a_flag_instead(db: Session, library: Library) -> None:
    user = add_user(db)
    result, _new = review(db, user, library, "dropout", now=NOON)
    review_id = result.log.review_id  # type: ignore[attr-defined]
    flag(db, user, library, "l1-vs-l2", "bury", NOON + timedelta(minutes=1))
    with pytest.raises(Conflict, match="is not the latest action"):
        undo_last_action(session=db, user=user, review_id=review_id)
    assert count(db, StudyAction) == 1
    undo_last_action(session=db, user=user)
    assert undo_last_action(session=db, user=user, review_id=review_id).log is not None


def test_flag_actions_stay_out_of_the_review_log(db: Session, library: Library) -> None:
    user = add_user(db)
    review(db, user, library, "dropout", now=NOON)
    flag(db, user, library, "dropout", "suspend", NOON + timedelta(minutes=1))
    flag(db, user, library, "l1-vs-l2", "bury", NOON + timedelta(minutes=2))
    assert count(db, ReviewLog) == 1
    assert replay_mismatches(db, user) == []


def test_a_reset_card_is_left_as_it_is(db: Session, library: Library) -> None:
    """A card whose row went away since (its progress reset) stays new and unflagged."""
    user = add_user(db)
    flag(db, user, library, "dropout", "bury", NOON)
    db.delete(db.get(CardState, (user.id, "dropout")))
    db.commit()
    assert undo_last_action(session=db, user=user).name == "bury"
    assert db.get(CardState, (user.id, "dropout")) is None
    assert count(db, StudyAction) == 0


@pytest.mark.parametrize(
    ("name", "sentence"),
    [
        ("again", "Undid your “Again” on “Why?”"),
        ("easy", "Undid your “Easy” on “Why?”"),
        ("bury", "Unburied “Why?”"),
        ("suspend", "Unsuspended “Why?”"),
        ("unsuspend", "Suspended “Why?” again"),
    ],
)
def test_undo_messages(name: str, sentence: str) -> None:
    assert undo_message(name, "Why?") == sentence
