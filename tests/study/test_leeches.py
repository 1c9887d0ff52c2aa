"""Leeches: tagged (and suspended) at the threshold of lapses, then every half-threshold."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from app.content.models import Library
from app.models import CardState, User
from app.study.leeches import is_leech_point
from app.study.progress import compute_progress
from app.study.reviews import ReviewResult, record_review, replay_mismatches, undo_last_review
from tests.helpers import add_user

START = datetime(2026, 6, 10, 12, tzinfo=UTC)
CARD = "dropout"


@pytest.mark.parametrize(
    ("threshold", "leech_at"),
    [
        (8, {8, 12, 16, 20}),
        (4, {4, 6, 8, 10, 12, 14, 16, 18, 20}),
        (3, set(range(3, 21))),
        (1, set(range(1, 21))),
    ],
    ids=["eight", "four", "three", "one"],
)
def test_leech_points_follow_the_anki_manual(threshold: int, leech_at: set[int]) -> None:
    """The Anki manual, "Leeches" (https://docs.ankiweb.net/leeches.html): "When this counter
    reaches 8, Anki tags the note as a leech and suspends the card", and later warnings come
    "at half the initial leech threshold ... every 4 lapses (at 12, 16, and so on)".
    """
    assert {lapses for lapses in range(21) if is_leech_point(lapses, threshold)} == leech_at


def grade(
    session: Session, user: User, library: Library, rating: int, when: datetime
) -> ReviewResult:
    """Grade the card at when."""
    result, _created = record_review(
        session=session,
        user=user,
        library=library,
        card_id=CARD,
        rating=rating,
        review_id=str(uuid.uuid4()),
        now=when,
    )
    return result


def lapse(session: Session, user: User, library: Library, times: int) -> list[ReviewResult]:
    """Make the card a review card, then forget it (Again when due, Good after) times times.

    Return the results of the lapsing reviews.
    """
    result = grade(session, user, library, 4, START)  # Easy: straight to review
    lapses = []
    for _ in range(times):
        when = result.memory.due + timedelta(hours=1)
        lapses.append(grade(session, user, library, 1, when))
        row = session.get(CardState, (user.id, CARD))
        assert row is not None
        if row.suspended:
            break
        result = grade(session, user, library, 3, when + timedelta(hours=1))
        assert result.memory.state == 2  # relearned: back in review
    return lapses


def state(session: Session, user: User) -> CardState:
    """Return the card's state row, fresh from the database."""
    session.expire_all()
    row = session.get(CardState, (user.id, CARD))
    assert row is not None
    return row


def test_reaching_the_threshold_makes_a_leech_and_suspends_it(
    db: Session, library: Library
) -> None:
    user = add_user(db, leech_threshold=3, leech_action="suspend")
    results = lapse(db, user, library, 3)
    assert [result.leech for result in results] == [False, False, True]
    row = state(db, user)
    assert (row.lapses, row.leech, row.suspended) == (3, True, True)
    assert replay_mismatches(db, user) == []


def test_the_tag_action_only_tags(db: Session, library: Library) -> None:
    user = add_user(db, leech_threshold=4, leech_action="tag")
    results = lapse(db, user, library, 7)
    # At 4, then every half-threshold (2): at 6; not at 5 or 7.
    assert [result.leech for result in results] == [False] * 3 + [True, False, True, False]
    row = state(db, user)
    assert (row.lapses, row.leech, row.suspended) == (7, True, False)


def test_undo_of_the_leech_making_review_untags_and_unsuspends(
    db: Session, library: Library
) -> None:
    user = add_user(db, leech_threshold=2, leech_action="suspend")
    lapse(db, user, library, 2)
    assert (state(db, user).leech, state(db, user).suspended) == (True, True)
    undo_last_review(session=db, user=user)
    row = state(db, user)
    assert (row.lapses, row.leech, row.suspended) == (1, False, False)
    assert replay_mismatches(db, user) == []


def test_undo_of_a_later_leech_review_keeps_the_tag(db: Session, library: Library) -> None:
    user = add_user(db, leech_threshold=2, leech_action="tag")
    lapse(db, user, library, 3)  # leech at 2 and again at 3 (half of 2 is 1)
    undo_last_review(session=db, user=user)  # the Good after the third lapse
    undo_last_review(session=db, user=user)  # the third lapse
    row = state(db, user)
    assert (row.lapses, row.leech, row.suspended) == (2, True, False)


def test_undo_of_another_review_leaves_the_flags(db: Session, library: Library) -> None:
    user = add_user(db, leech_threshold=1, leech_action="tag")
    lapse(db, user, library, 1)
    undo_last_review(session=db, user=user)  # the Good after the lapse
    row = state(db, user)
    assert (row.leech, row.suspended) == (True, False)


def test_progress_lists_leeches(db: Session, library: Library) -> None:
    user = add_user(db, leech_threshold=2, leech_action="suspend")
    lapse(db, user, library, 2)
    progress = compute_progress(session=db, user=user, library=library, now=START)
    assert [(leech.card.id, leech.lapses, leech.suspended) for leech in progress.leeches] == [
        (CARD, 2, True)
    ]


def test_undo_is_exact_after_the_settings_change(db: Session, library: Library) -> None:
    """The log row keeps whether the card was a leech before: a threshold changed between the
    review and its undo does not change what undo puts back."""
    user = add_user(db, leech_threshold=2, leech_action="suspend")
    lapse(db, user, library, 2)
    user.leech_threshold = 5
    user.leech_action = "tag"
    db.commit()
    undo_last_review(session=db, user=user)
    row = state(db, user)
    assert (row.lapses, row.leech, row.suspended) == (1, False, False)
    assert replay_mismatches(db, user) == []
