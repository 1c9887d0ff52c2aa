"""Reviews: recording, idempotency, conflicts, undo, bury, suspend, limits, the queue order."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.content.models import Difficulty, Library
from app.models import CardState, ReviewLog, User
from app.study.queue import StudyFilter, build_queue, practice_card
from app.study.reviews import (
    Conflict,
    UnknownCard,
    record_review,
    replay_mismatches,
    set_flag,
    undo_last_review,
)
from app.study.scheduling import Memory
from tests.helpers import add_user

NOON = datetime(2026, 6, 10, 12, tzinfo=UTC)
ALL = StudyFilter()


def review(
    session: Session,
    user: User,
    library: Library,
    card_id: str,
    rating: int = 3,
    now: datetime = NOON,
    **kwargs: object,
) -> tuple[object, bool]:
    """Record a review with a fresh review_id unless one is given."""
    kwargs.setdefault("review_id", str(uuid.uuid4()))
    return record_review(
        session=session,
        user=user,
        library=library,
        card_id=card_id,
        rating=rating,
        now=now,
        **kwargs,  # type: ignore[arg-type]
    )


def queue_ids(session: Session, user: User, library: Library, now: datetime = NOON) -> list[str]:
    """Return the ids of the queue's cards, in order."""
    queue = build_queue(session=session, user=user, library=library, study_filter=ALL, now=now)
    return [item.card.id for item in queue.items]


def log_count(session: Session) -> int:
    """Return how many review-log rows there are."""
    return session.scalar(select(func.count()).select_from(ReviewLog)) or 0


def test_new_cards_come_in_deck_order_up_to_the_daily_limit(db: Session, library: Library) -> None:
    user = add_user(db, new_per_day=5)
    queue = build_queue(session=db, user=user, library=library, study_filter=ALL, now=NOON)
    assert [item.card.number for item in queue.items] == [1, 2, 3, 4, 5]
    assert (queue.counts.new, queue.counts.learning, queue.counts.review) == (5, 0, 0)


def test_the_new_card_limit_counts_today(db: Session, library: Library) -> None:
    user = add_user(db, new_per_day=2)
    review(db, user, library, "what-is-regularization", rating=4)
    review(db, user, library, "l2-weight-decay", rating=4)
    assert queue_ids(db, user, library) == []
    tomorrow = NOON + timedelta(days=1)
    assert queue_ids(db, user, library, tomorrow) == ["l1-vs-l2", "dropout"]


def test_the_limit_resets_at_the_users_day_start_not_at_utc_midnight(
    db: Session, library: Library
) -> None:
    # Tokyo, day starts 4 AM JST = 19:00 UTC. A review at 18:00 UTC is "yesterday" from 19:00.
    user = add_user(db, new_per_day=1, timezone="Asia/Tokyo", day_starts_at=4)
    review(
        db,
        user,
        library,
        "what-is-regularization",
        rating=4,
        now=datetime(2026, 6, 10, 18, tzinfo=UTC),
    )
    assert queue_ids(db, user, library, datetime(2026, 6, 10, 18, 59, tzinfo=UTC)) == []
    assert queue_ids(db, user, library, datetime(2026, 6, 10, 19, 0, tzinfo=UTC)) == [
        "l2-weight-decay"
    ]


def test_due_reviews_come_before_new_cards_and_respect_their_limit(
    db: Session, library: Library
) -> None:
    user = add_user(db, new_per_day=20, reviews_per_day=1)
    for card_id in ("what-is-regularization", "l2-weight-decay"):
        review(db, user, library, card_id, rating=4, now=NOON - timedelta(days=60))
    ids = queue_ids(db, user, library)
    assert ids[0] == "what-is-regularization"  # the one review allowed today, most overdue first
    assert "l2-weight-decay" not in ids
    assert ids[1] == "l1-vs-l2"  # then the new cards


def test_learning_cards_come_first_when_due(db: Session, library: Library) -> None:
    user = add_user(db)
    review(db, user, library, "dropout", rating=1)  # again: due in a minute
    ids = queue_ids(db, user, library, NOON)
    assert ids[0] == "what-is-regularization"  # new cards first while it is not yet due
    assert ids[-1] == "dropout"  # and it is there when nothing else is left
    assert queue_ids(db, user, library, NOON + timedelta(minutes=2))[0] == "dropout"


def test_a_review_stores_state_and_log(db: Session, library: Library) -> None:
    user = add_user(db)
    (_result, created) = review(db, user, library, "dropout", rating=3, duration_ms=4200)
    assert created
    row = db.get(CardState, (user.id, "dropout"))
    assert row is not None
    assert (row.state, row.reps, row.version, row.deck_id) == (1, 1, 1, "regularization")
    log = db.scalars(select(ReviewLog)).one()
    assert (log.rating, log.duration_ms, log.kind, log.state_before) == (3, 4200, 0, None)
    assert log.reviewed_at == NOON
    assert replay_mismatches(db, user) == []


def test_the_same_review_id_records_one_review(db: Session, library: Library) -> None:
    user = add_user(db)
    review_id = str(uuid.uuid4())
    first, created = review(db, user, library, "dropout", review_id=review_id)
    again, created_again = review(db, user, library, "dropout", review_id=review_id)
    assert created
    assert not created_again
    assert log_count(db) == 1
    assert again.log.id == first.log.id  # type: ignore[attr-defined]
    with pytest.raises(Conflict, match="already used for another review"):
        review(db, user, library, "dropout", rating=1, review_id=review_id)


def test_a_stale_version_is_a_conflict(db: Session, library: Library) -> None:
    user = add_user(db)
    review(db, user, library, "dropout", expected_version=0)  # tab one
    with pytest.raises(Conflict, match="graded in another tab"):
        review(db, user, library, "dropout", expected_version=0)  # tab two, same card
    assert log_count(db) == 1


def test_unknown_card(db: Session, library: Library) -> None:
    user = add_user(db)
    with pytest.raises(UnknownCard, match="no card 'nope'"):
        review(db, user, library, "nope")


def test_undo_restores_the_state_exactly(db: Session, library: Library) -> None:
    user = add_user(db)
    for day in range(3):
        review(db, user, library, "dropout", rating=3, now=NOON + timedelta(days=day * 5))
    row = db.get(CardState, (user.id, "dropout"))
    assert row is not None
    before = Memory.of(row)
    review(db, user, library, "dropout", rating=1, now=NOON + timedelta(days=30))
    undone = undo_last_review(session=db, user=user)
    assert undone.rating == 1
    db.expire_all()
    row = db.get(CardState, (user.id, "dropout"))
    assert row is not None
    assert Memory.of(row) == before
    assert log_count(db) == 3
    assert replay_mismatches(db, user) == []


def test_undo_of_a_first_review_makes_the_card_new_again(db: Session, library: Library) -> None:
    user = add_user(db)
    review(db, user, library, "dropout")
    undo_last_review(session=db, user=user)
    assert db.get(CardState, (user.id, "dropout")) is None
    assert queue_ids(db, user, library)[0] == "what-is-regularization"
    with pytest.raises(Conflict, match="no review to undo"):
        undo_last_review(session=db, user=user)


def test_bury_hides_a_card_until_the_next_day(db: Session, library: Library) -> None:
    user = add_user(db)
    set_flag(
        session=db,
        user=user,
        library=library,
        card_id="what-is-regularization",
        action="bury",
        now=NOON,
    )
    assert "what-is-regularization" not in queue_ids(db, user, library)
    assert queue_ids(db, user, library, NOON + timedelta(days=1))[0] == "what-is-regularization"


def test_suspend_hides_a_card_until_unsuspended(db: Session, library: Library) -> None:
    user = add_user(db)
    review(db, user, library, "dropout", rating=1)
    set_flag(session=db, user=user, library=library, card_id="dropout", action="suspend", now=NOON)
    later = NOON + timedelta(days=3)
    assert "dropout" not in queue_ids(db, user, library, later)
    with pytest.raises(Conflict, match="suspended"):
        review(db, user, library, "dropout", now=later)
    set_flag(
        session=db, user=user, library=library, card_id="dropout", action="unsuspend", now=later
    )
    assert queue_ids(db, user, library, later)[0] == "dropout"
    assert replay_mismatches(db, user) == []


def test_filters_narrow_the_queue(db: Session, library: Library) -> None:
    user = add_user(db)
    queue = build_queue(
        session=db,
        user=user,
        library=library,
        study_filter=StudyFilter(topic="batch-norm", difficulty=Difficulty.HARD),
        now=NOON,
    )
    assert [item.card.id for item in queue.items] == ["bn-ln-in"]


def test_practice_goes_round_without_touching_the_schedule(db: Session, library: Library) -> None:
    first = practice_card(library, ALL, None)
    assert first is not None
    assert first[1].id == "what-is-regularization"
    second = practice_card(library, ALL, "what-is-regularization")
    assert second is not None
    assert second[1].id == "l2-weight-decay"
    last = practice_card(library, ALL, "bias-variance")
    assert last is not None
    assert last[1].id == "what-is-regularization"
    assert log_count(db) == 0


def test_users_do_not_share_state(db: Session, library: Library) -> None:
    ada = add_user(db, "ada")
    bob = add_user(db, "bob")
    review_id = str(uuid.uuid4())
    review(db, ada, library, "dropout", review_id=review_id)
    # Bob sending Ada's review_id records Bob's own review; Ada's stays as it is.
    review(db, bob, library, "dropout", rating=1, review_id=review_id)
    assert db.get(CardState, (ada.id, "dropout")).reps == 1  # type: ignore[union-attr]
    assert log_count(db) == 2
    undo_last_review(session=db, user=bob)
    assert db.get(CardState, (ada.id, "dropout")) is not None
    assert db.get(CardState, (bob.id, "dropout")) is None


def test_a_card_removed_from_content_is_hidden_with_its_history(
    db: Session, library: Library, content_copy: object
) -> None:
    from pathlib import Path

    from app.content.loader import load_library

    assert isinstance(content_copy, Path)
    user = add_user(db)
    review(db, user, library, "dropout", rating=1)
    deck_file = content_copy / "regularization/deck.yaml"
    deck_text = deck_file.read_text(encoding="utf-8")
    deck_file.write_text(deck_text.replace("card: dropout\n", "\n"), encoding="utf-8")
    (content_copy / "regularization/cards/04-dropout.yaml").rename(content_copy / "dropout.bak")
    smaller = load_library(content_copy)
    later = NOON + timedelta(minutes=5)
    queue = build_queue(session=db, user=user, library=smaller, study_filter=ALL, now=later)
    assert "dropout" not in [item.card.id for item in queue.items]
    assert db.get(CardState, (user.id, "dropout")) is not None
    (content_copy / "dropout.bak").rename(content_copy / "regularization/cards/04-dropout.yaml")
    restored = load_library(content_copy)
    queue = build_queue(session=db, user=user, library=restored, study_filter=ALL, now=later)
    assert queue.items[0].card.id == "dropout"
    assert queue.items[0].memory.reps == 1


def test_a_review_that_commits_after_a_later_dated_one_is_not_dated_before_it(
    db: Session, library: Library
) -> None:
    # Two processes grade one card: the one whose clock read later commits first.
    user = add_user(db)
    review(db, user, library, "dropout", rating=3, now=NOON)
    later = NOON + timedelta(days=2, seconds=5)
    review(db, user, library, "dropout", rating=1, now=later)
    result, created = review(
        db, user, library, "dropout", rating=4, now=later - timedelta(seconds=1)
    )
    assert created
    assert result.log.reviewed_at == later  # type: ignore[attr-defined]
    assert replay_mismatches(db, user) == []
    undone = undo_last_review(session=db, user=user)
    assert undone.rating == 4
