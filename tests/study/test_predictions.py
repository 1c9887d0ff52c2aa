"""Prediction accuracy: by week in the learner's time zone, by topic, by card, and the misses."""

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from app.content.models import Library
from app.models import QuizAttempt, User
from app.study.day import study_day
from app.study.predictions import RECENT_ANSWERS, REVISIT, WEEKS, Predictions, Tally
from app.study.progress import compute_progress
from app.study.reviews import record_review
from tests.helpers import add_user

# A Wednesday.
NOON = datetime(2026, 6, 10, 12, tzinfo=UTC)


def attempt(db: Session, user: User, card_id: str, right: bool, when: datetime) -> None:
    """Store one answer as the quiz routes do (the verdict is given, not recomputed here)."""
    db.add(
        QuizAttempt(
            user_id=user.id,
            attempt_id=str(uuid.uuid4()),
            card_id=card_id,
            demo_id="a-demo",
            kind_id="a-kind",
            seed=1,
            answer="a",
            correct=right,
            duration_ms=None,
            answered_at=when,
        )
    )
    db.commit()


def predictions(db: Session, user: User, library: Library, now: datetime = NOON) -> Predictions:
    return compute_progress(session=db, user=user, library=library, now=now).predictions


def test_no_answers_yet(db: Session, library: Library) -> None:
    result = predictions(db, add_user(db), library)
    assert result.total == Tally(0, 0)
    assert result.total.rate is None
    assert result.recent == Tally(0, 0)
    assert [week.start for week in result.weeks] == [
        date(2026, 6, 8) - timedelta(weeks=WEEKS - 1 - k) for k in range(WEEKS)
    ]
    assert all(week.tally == Tally(0, 0) for week in result.weeks)
    assert result.cards == []
    assert result.revisit == []
    assert len(result.topics) == 6
    assert all(topic.total == Tally(0, 0) for topic in result.topics)


def test_weeks_start_on_monday_in_the_learners_time_zone(db: Session, library: Library) -> None:
    # In Auckland (UTC+12 in June) Sunday 7 June 13:00 UTC is already Monday 8 June, 01:00.
    kiwi = add_user(db, "kiwi", timezone="Pacific/Auckland", day_starts_at=0)
    utc = add_user(db, "utc", timezone="UTC", day_starts_at=0)
    sunday_late = datetime(2026, 6, 7, 13, tzinfo=UTC)
    for user in (kiwi, utc):
        attempt(db, user, "dropout", True, sunday_late)
    now = datetime(2026, 6, 10, 0, 30, tzinfo=UTC)
    kiwi_weeks = {w.start: w.tally for w in predictions(db, kiwi, library, now).weeks}
    utc_weeks = {w.start: w.tally for w in predictions(db, utc, library, now).weeks}
    assert kiwi_weeks[date(2026, 6, 8)] == Tally(1, 1)
    assert kiwi_weeks[date(2026, 6, 1)] == Tally(0, 0)
    assert utc_weeks[date(2026, 6, 1)] == Tally(1, 1)
    assert utc_weeks[date(2026, 6, 8)] == Tally(0, 0)


def test_the_day_start_hour_moves_an_answer_to_the_day_before(
    db: Session, library: Library
) -> None:
    # With days starting at 04:00, Monday 03:00 still belongs to Sunday: the week before.
    user = add_user(db, timezone="UTC", day_starts_at=4)
    attempt(db, user, "dropout", False, datetime(2026, 6, 8, 3, tzinfo=UTC))
    weeks = {w.start: w.tally for w in predictions(db, user, library).weeks}
    assert weeks[date(2026, 6, 1)] == Tally(1, 0)
    assert weeks[date(2026, 6, 8)] == Tally(0, 0)


def test_weeks_older_than_the_window_count_in_all_but_not_by_week(
    db: Session, library: Library
) -> None:
    user = add_user(db, timezone="UTC", day_starts_at=0)
    attempt(db, user, "dropout", True, NOON - timedelta(weeks=WEEKS + 2))
    attempt(db, user, "dropout", False, NOON - timedelta(days=1))
    result = predictions(db, user, library)
    assert result.total == Tally(2, 1)
    assert sum((w.tally for w in result.weeks), Tally()) == Tally(1, 0)
    assert result.weeks[-1].tally == Tally(1, 0)


def test_topics_split_the_last_30_days_from_before(db: Session, library: Library) -> None:
    user = add_user(db, timezone="UTC", day_starts_at=0)
    long_ago = NOON - timedelta(days=40)
    # max-norm belongs to two topics (l1-l2 and dropout): it counts in both.
    for card_id, right, when in [
        ("dropout", False, long_ago),
        ("dropout", False, long_ago),
        ("dropout", True, NOON - timedelta(days=2)),
        ("max-norm", True, NOON - timedelta(days=1)),
        ("l1-vs-l2", False, NOON),
    ]:
        attempt(db, user, card_id, right, when)
    result = predictions(db, user, library)
    dropout = result.of_topic("regularization", "dropout")
    assert (dropout.recent, dropout.earlier, dropout.total) == (
        Tally(2, 2),
        Tally(2, 0),
        Tally(4, 2),
    )
    l1_l2 = result.of_topic("regularization", "l1-l2")
    assert (l1_l2.recent, l1_l2.earlier) == (Tally(2, 1), Tally(0, 0))
    assert result.of_topic("regularization", "batch-norm").total == Tally(0, 0)
    assert result.total == Tally(5, 2)
    assert result.recent == Tally(3, 2)


def test_a_recent_answer_is_counted_from_the_start_of_the_30th_day_back(
    db: Session, library: Library
) -> None:
    user = add_user(db, timezone="UTC", day_starts_at=0)
    first_day = study_day(NOON, "UTC", 0).start - timedelta(days=29)
    attempt(db, user, "dropout", True, first_day)
    attempt(db, user, "dropout", True, first_day - timedelta(seconds=1))
    result = predictions(db, user, library)
    assert result.recent == Tally(1, 1)
    assert result.of_topic("regularization", "dropout").earlier == Tally(1, 1)


def test_a_card_keeps_its_last_answers_oldest_first(db: Session, library: Library) -> None:
    user = add_user(db)
    pattern = [True, True, False, True, False, False, True]
    for k, right in enumerate(pattern):
        attempt(db, user, "dropout", right, NOON - timedelta(hours=len(pattern) - k))
    (card,) = predictions(db, user, library).cards
    assert card.card.id == "dropout"
    assert card.total == Tally(7, 4)
    assert [o.right for o in card.last] == pattern[-RECENT_ANSWERS:]
    assert [o.answered_at for o in card.last] == sorted(o.answered_at for o in card.last)
    assert card.last_tally == Tally(RECENT_ANSWERS, 2)
    assert card.recall is None  # answered, never reviewed


def test_recall_now_is_given_for_a_reviewed_card(db: Session, library: Library) -> None:
    user = add_user(db)
    record_review(
        session=db,
        user=user,
        library=library,
        card_id="dropout",
        rating=3,
        review_id=str(uuid.uuid4()),
        now=NOON - timedelta(days=1),
    )
    attempt(db, user, "dropout", True, NOON)
    (card,) = predictions(db, user, library).cards
    assert card.recall is not None
    assert 0 < card.recall < 1


def test_the_cards_to_revisit_are_the_most_missed_lately(db: Session, library: Library) -> None:
    user = add_user(db)
    hour = timedelta(hours=1)
    plan = {
        # missed 1 of its last 1: first.
        "adamw": [False],
        # missed 2 of the last 5, and 2 earlier on top: 4 in all.
        "dropout": [False, False, True, True, False, True, False],
        # missed 2 of the last 5 as well, but only 2 in all: after dropout.
        "max-norm": [True, False, True, False, True],
        # missed long ago, right the last five times: not to revisit.
        "l1-vs-l2": [False, False, True, True, True, True, True],
        # never missed.
        "early-stopping": [True, True],
    }
    for card_id, outcomes in plan.items():
        for k, right in enumerate(outcomes):
            attempt(db, user, card_id, right, NOON - (len(outcomes) - k) * hour)
    result = predictions(db, user, library)
    assert [c.card.id for c in result.revisit] == ["adamw", "dropout", "max-norm"]
    assert {c.card.id for c in result.cards} == set(plan)
    # Cards are listed in the deck's order.
    order = [card.id for card in library.decks[0].cards]
    assert [c.card.id for c in result.cards] == sorted(plan, key=order.index)


def test_at_most_a_few_cards_to_revisit(db: Session, library: Library) -> None:
    user = add_user(db)
    cards = [card.id for card in library.decks[0].cards]
    for index, card_id in enumerate(cards):
        attempt(db, user, card_id, False, NOON - timedelta(minutes=index))
    result = predictions(db, user, library)
    assert len(result.revisit) == REVISIT
    # All equal on misses: the latest answered first.
    assert [c.card.id for c in result.revisit] == cards[:REVISIT]


def test_answers_to_a_card_no_longer_in_the_content_count_only_in_all(
    db: Session, library: Library
) -> None:
    user = add_user(db)
    attempt(db, user, "a-retired-card", False, NOON)
    result = predictions(db, user, library)
    assert result.total == Tally(1, 0)
    assert result.cards == []
    assert result.revisit == []


def test_other_users_answers_are_not_counted(db: Session, library: Library) -> None:
    ada, bob = add_user(db, "ada"), add_user(db, "bob")
    attempt(db, bob, "dropout", False, NOON)
    result = predictions(db, ada, library)
    assert result.total == Tally(0, 0)
    assert result.cards == []
