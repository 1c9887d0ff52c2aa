"""Progress figures: cards by state, retention, streak, mastery, forecast, calendar, charts."""

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from app.content.models import Library
from app.study.charts import LEVELS, calendar, forecast, level, scale
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


def test_the_calendar_scale_runs_from_no_reviews_to_the_busiest_day() -> None:
    assert [level(count, 12) for count in (0, 1, 3, 4, 6, 7, 9, 10, 12)] == [
        0, 1, 1, 2, 2, 3, 3, 4, 4,
    ]  # fmt: skip
    assert level(1, 1) == LEVELS
    assert level(0, 0) == 0


def test_the_calendar_lays_out_weeks_from_monday() -> None:
    today = date(2026, 6, 10)  # a Wednesday
    chart = calendar({today: 3, today - timedelta(days=5): 12, date(2025, 1, 1): 99}, today)
    assert chart.weeks == 26
    assert len(chart.months) == 26
    assert [label for label, _days in chart.rows] == ["Mon", "", "Wed", "", "Fri", "", ""]
    assert all(len(days) == 26 for _label, days in chart.rows)
    # The last column is this week: Thursday to Sunday are still to come.
    last_week = [days[-1] for _label, days in chart.rows]
    assert [day.day for day in last_week[:3]] == [today - timedelta(days=2 - n) for n in range(3)]
    assert all(day.day is None for day in last_week[3:])
    # A day outside the 26 weeks counts for nothing; the busiest day takes the top step.
    assert (chart.busiest, chart.reviews, chart.active_days) == (12, 15, 2)
    assert last_week[2].level == 1
    assert last_week[2].title == "Wed 10 Jun 2026: 3 reviews"
    busiest = chart.rows[4][1][-2]  # Friday last week
    assert (busiest.day, busiest.level) == (today - timedelta(days=5), LEVELS)
    assert chart.summary == "15 reviews on 2 days in the last 26 weeks; the busiest day had 12."
    assert chart.levels == (0, 1, 2, 3, 4)


def test_the_calendar_names_months_where_they_start_but_not_at_the_right_edge() -> None:
    chart = calendar({}, date(2026, 6, 3))
    named = [(column, month) for column, month in enumerate(chart.months) if month]
    assert [month for _column, month in named] == ["Jan", "Feb", "Mar", "Apr", "May"]
    assert named[-1][0] < chart.weeks - 2  # June starts in the last week: not named
    assert chart.summary == "No reviews in the last 26 weeks."


def test_the_forecast_scale_is_round_and_reaches_the_largest_count() -> None:
    assert scale(0) == (1, (1, 0))
    assert scale(3) == (3, (3, 2, 1, 0))
    assert scale(7) == (8, (8, 6, 4, 2, 0))
    assert scale(19) == (20, (20, 15, 10, 5, 0))
    assert scale(101) == (150, (150, 100, 50, 0))
    for largest in range(1, 3000, 7):
        top, ticks = scale(largest)
        assert top >= largest
        assert ticks[0] == top
        assert ticks[-1] == 0
        assert len({a - b for a, b in itertools.pairwise(ticks)}) == 1
        assert len(ticks) <= 5


def test_the_forecast_bars_are_scaled_to_the_top() -> None:
    today = date(2026, 6, 10)
    chart = forecast([(today + timedelta(days=n), n % 4) for n in range(30)])
    assert chart.top == 3
    assert chart.total == sum(n % 4 for n in range(30))
    assert [bar.height for bar in chart.bars[:4]] == [0.0, 33.33, 66.67, 100.0]
    # A date every week, but none on the last bars, whose label would run off the edge.
    assert [index for index, bar in enumerate(chart.bars) if bar.label] == [0, 7, 14, 21]
    assert chart.bars[7].label == "17 Jun"
    assert chart.bars[1].title == "Thu 11 Jun: 1 card due"
    assert chart.summary.startswith("Cards due on each of the next 30 days: 11 Jun 1, 12 Jun 2,")
