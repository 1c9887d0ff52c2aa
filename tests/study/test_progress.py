"""Progress figures: cards by state, retention, streak, mastery, forecast, calendar, charts."""

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from app.content.models import Library
from app.study.charts import calendar_png, forecast_png
from app.study.progress import compute_progress
from app.study.reviews import record_review, set_flag
from tests.helpers import add_user

NOON = datetime(2026, 6, 10, 12, tzinfo=UTC)


def grade(
    session: Session, user: object, library: Library, card_id: str, rating: int, when: datetime
) -> None:
    """Record one review."""
    record_review(
        session=session,
        user=user,  # type: ignore[arg-type]
        library=library,
        card_id=card_id,
        rating=rating,
        review_id=str(uuid.uuid4()),
        now=when,
    )


def test_a_new_user_has_everything_new(db: Session, library: Library) -> None:
    user = add_user(db)
    progress = compute_progress(session=db, user=user, library=library, now=NOON)
    assert progress.by_state == {
        "new": 20, "learning": 0, "review": 0, "relearning": 0, "suspended": 0,
    }  # fmt: skip
    assert (progress.reviews_today, progress.streak, progress.total_reviews) == (0, 0, 0)
    assert progress.retention[0].rate is None
    assert all(topic.mastery == 0 for topic in progress.topics)
    assert [count for _day, count in progress.forecast] == [0] * 30


def test_progress_after_some_days_of_study(db: Session, library: Library) -> None:
    user = add_user(db)
    # Three days in a row: day 1 learn two cards; days later review them.
    for offset in (2, 1):
        day = NOON - timedelta(days=offset)
        grade(db, user, library, "dropout", 4, day)
        grade(db, user, library, "l1-vs-l2", 4, day)
    grade(db, user, library, "adamw", 3, NOON)
    set_flag(session=db, user=user, library=library, card_id="max-norm", action="suspend", now=NOON)
    progress = compute_progress(session=db, user=user, library=library, now=NOON)
    assert progress.by_state == {
        "new": 16, "learning": 1, "review": 2, "relearning": 0, "suspended": 1,
    }  # fmt: skip
    assert progress.reviews_today == 1
    assert progress.total_reviews == 5
    assert progress.streak == 3
    # Day 2's reviews were of review-state cards, both passed (Easy).
    assert (progress.retention[0].reviews, progress.retention[0].passed) == (2, 2)
    assert progress.retention[0].rate == 1.0
    assert progress.calendar == {
        date(2026, 6, 8): 2, date(2026, 6, 9): 2, date(2026, 6, 10): 1,
    }  # fmt: skip
    dropout_topic = next(topic for topic in progress.topics if topic.topic == "dropout")
    assert dropout_topic.studied == 1
    assert 0 < dropout_topic.mastery < 1
    assert sum(count for _day, count in progress.forecast) == 3


def test_a_failed_review_lowers_retention(db: Session, library: Library) -> None:
    user = add_user(db)
    grade(db, user, library, "dropout", 4, NOON - timedelta(days=20))
    grade(db, user, library, "dropout", 1, NOON)  # a lapse of a review card
    progress = compute_progress(session=db, user=user, library=library, now=NOON)
    assert (progress.retention[0].reviews, progress.retention[0].passed) == (1, 0)
    assert progress.retention[0].rate == 0.0
    assert progress.by_state["relearning"] == 1


def test_the_streak_survives_until_today_ends(db: Session, library: Library) -> None:
    user = add_user(db)
    grade(db, user, library, "dropout", 3, NOON - timedelta(days=1))
    assert compute_progress(session=db, user=user, library=library, now=NOON).streak == 1
    later = NOON + timedelta(days=2)
    assert compute_progress(session=db, user=user, library=library, now=later).streak == 0


def test_charts_are_png() -> None:
    today = date(2026, 6, 10)
    calendar = calendar_png({today: 3, today - timedelta(days=5): 12}, today)
    forecast = forecast_png([(today + timedelta(days=n), n % 4) for n in range(30)])
    for image in (calendar, forecast):
        assert image.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(image) > 2000
