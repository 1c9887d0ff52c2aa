"""Anki's learning rules (the scheduler's rules 2), each checked against the Anki manual's words.

The manual quoted is docs.ankiweb.net (deck-options.md and studying.md of ankitects/anki-manual);
the code rules are those of Anki's rslib/src/scheduler/states (steps.rs, interval_kind.rs,
review.rs, fuzz.rs).
"""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.content.models import Library
from app.models import CardState, ReviewLog
from app.study.queue import StudyFilter, build_queue
from app.study.reviews import Conflict, record_review, replay_mismatches, set_flag
from app.study.scheduling import (
    ANKI_RULES,
    LEGACY,
    Memory,
    SchedulerConfig,
    learning_delay,
)
from tests.helpers import add_user

NOON = datetime(2026, 6, 10, 12, tzinfo=UTC)
DAY = timedelta(days=1)
ANKI = SchedulerConfig(
    parameters=None, maximum_interval=36500, timezone="UTC", day_starts_at=4, rules=ANKI_RULES
)


def after(
    memory: Memory,
    rating: int,
    when: datetime = NOON,
    config: SchedulerConfig = ANKI,
    card_id: str = "card",
) -> Memory:
    """Return the state after one review under config."""
    return memory.review(
        card_id=card_id, rating=rating, when=when, desired_retention=0.9, config=config
    )


def in_review(stability: float, days: int, last: datetime = NOON - 10 * DAY) -> Memory:
    """Return a review card last seen at last, due days after it."""
    return Memory(2, None, stability, 5.0, last + days * DAY, last, 5, 0)


# a. Hard on the first learning step


def test_hard_on_the_first_step_waits_the_average_of_the_first_two_steps() -> None:
    """Manual, Learning Steps: "When you're on the first step, the Hard button shows a delay of
    6m. The 6m delay is the average of first two steps: 1m and 10m." Other steps: "When you're on
    any other step, the Hard button repeats that step." """
    new = Memory.new(NOON)
    assert after(new, 2).due - NOON == timedelta(seconds=330)
    second = after(after(new, 3), 2, NOON + timedelta(minutes=1))
    assert second.step == 1
    assert second.due - (NOON + timedelta(minutes=1)) == timedelta(minutes=10)


def test_hard_on_a_single_step_is_half_as_long_again_but_at_most_a_day_more() -> None:
    """Manual, Learning Steps: "Exception: When there's only one learning step, the Hard button
    shows a delay 1.5 times that step. This delay is at most 1 day longer than the learning
    step." (steps.rs hard_delay_secs_for_first_step; the fsrs package lacks the cap)."""
    assert learning_delay((600,), 0, 2) == 900
    three_days = 3 * 86_400
    assert learning_delay((three_days,), 0, 2) == 4 * 86_400  # not 4.5 days
    config = SchedulerConfig(None, 36500, "UTC", 4, ANKI_RULES, learning_steps=(three_days,))
    # From noon, four days land on the day four days on; due at its start (04:00).
    assert after(Memory.new(NOON), 2, config=config).due == datetime(2026, 6, 14, 4, tzinfo=UTC)
    config = SchedulerConfig(None, 36500, "UTC", 4, ANKI_RULES, learning_steps=(600,))
    assert after(Memory.new(NOON), 2, config=config).due - NOON == timedelta(minutes=15)


def test_hard_on_the_first_relearning_step_follows_the_same_rule() -> None:
    """The relearning steps work as the learning steps (relearning.rs uses the same
    LearningSteps): with the single 10m relearning step, Again waits 10m, Hard 15m."""
    lapsed = after(in_review(20.0, 10), 1)
    assert (lapsed.state, lapsed.step, lapsed.due - NOON) == (3, 0, timedelta(minutes=10))
    later = NOON + timedelta(minutes=10)
    assert after(lapsed, 2, later).due - later == timedelta(minutes=15)


# b. Steps that cross the day boundary become days


def test_a_step_that_crosses_the_day_boundary_becomes_a_day() -> None:
    """Manual, Day Boundaries: "if the step crosses a day boundary, the delay is automatically
    converted to days. For example, if the next day starts after 5 hours and the delay is 6
    hours, Anki converts the delay to 1 day." interval_kind.rs: a step of secs at least the
    seconds left in the day becomes (secs - left) // 86400 + 1 days, due at that day's start."""
    six_hours = SchedulerConfig(
        None, 36500, "UTC", 4, ANKI_RULES, learning_steps=(6 * 3600, 12 * 3600)
    )
    eleven_pm = datetime(2026, 6, 10, 23, tzinfo=UTC)  # the next day starts at 04:00, in 5 h
    assert after(Memory.new(eleven_pm), 1, eleven_pm, six_hours).due == datetime(
        2026, 6, 11, 4, tzinfo=UTC
    )


def test_a_short_step_late_in_the_day_waits_for_the_next_day() -> None:
    """The same rule for minutes: at 03:55, five minutes before the day ends, the 10m step of
    Good lands past the boundary and is due when the next day starts; a 1m step stays 1m."""
    late = datetime(2026, 6, 11, 3, 55, tzinfo=UTC)
    new = Memory.new(late)
    assert after(new, 3, late).due == datetime(2026, 6, 11, 4, tzinfo=UTC)
    assert after(new, 1, late).due == late + timedelta(minutes=1)
    # The legacy rules (the fsrs package alone) keep the 10 minutes.
    assert after(new, 3, late, LEGACY).due == late + timedelta(minutes=10)
    # In relearning too: the 10m relearning step of a lapse.
    lapsed = after(in_review(20.0, 10, late - 10 * DAY), 1, late)
    assert (lapsed.state, lapsed.due) == (3, datetime(2026, 6, 11, 4, tzinfo=UTC))


def test_the_day_boundary_is_the_learners_own() -> None:
    """The day ends at the learner's "next day starts at" hour in their timezone: Berlin's
    04:00 in summer is 02:00 UTC."""
    berlin = SchedulerConfig(None, 36500, "Europe/Berlin", 4, ANKI_RULES)
    when = datetime(2026, 6, 11, 1, 55, tzinfo=UTC)  # 03:55 in Berlin
    assert after(Memory.new(when), 3, when, berlin).due == datetime(2026, 6, 11, 2, tzinfo=UTC)
    assert after(Memory.new(when), 3, when).due == when + timedelta(minutes=10)  # UTC: 01:55


def test_an_interday_learning_card_waits_for_its_day_in_the_queue(
    db: Session, library: Library
) -> None:
    """The queue shows a learning card once its day starts, not at the step's minute."""
    user = add_user(db, "ada")
    late = datetime(2026, 6, 11, 3, 55, tzinfo=UTC)
    review(db, user, library, "dropout", 3, late)
    row = db.get(CardState, (user.id, "dropout"))
    assert row is not None
    assert row.due == datetime(2026, 6, 11, 4, tzinfo=UTC)
    queue = build_queue(
        session=db, user=user, library=library, study_filter=StudyFilter(), now=late
    )
    assert "dropout" not in [item.card.id for item in queue.items]


# c. Hard <= Good <= Easy for review cards


@settings(max_examples=100, deadline=None)
@given(
    stability=st.floats(0.1, 3000),
    difficulty=st.floats(1, 10),
    scheduled=st.integers(1, 1000),
    elapsed=st.integers(0, 1200),
    maximum=st.integers(1, 36500),
    card=st.text("abcdefgh", min_size=1, max_size=8),
)
def test_review_intervals_are_ordered_hard_good_easy(
    stability: float, difficulty: float, scheduled: int, elapsed: int, maximum: int, card: str
) -> None:
    """review.rs passing_fsrs_review_intervals: hard is fuzzed first; good's minimum is
    hard + 1 and easy's good + 1 (constrain_passing_interval), all within the maximum
    interval. So hard <= good <= easy, strictly where the maximum leaves room; the previews
    show the very intervals the grades then give."""
    last = NOON - elapsed * DAY
    memory = Memory(2, None, stability, difficulty, last + scheduled * DAY, last, 4, 0)
    config = SchedulerConfig(None, maximum, "UTC", 4, ANKI_RULES)
    previews = memory.previews(card_id=card, when=NOON, desired_retention=0.9, config=config)
    hard, good, easy = (previews[name] / DAY for name in ("hard", "good", "easy"))
    assert all(float(days).is_integer() for days in (hard, good, easy))
    assert 1 <= hard <= good <= easy <= maximum
    assert good >= min(hard + 1, maximum)
    assert easy >= min(good + 1, maximum)
    for rating, name in ((2, "hard"), (3, "good"), (4, "easy")):
        assert after(memory, rating, config=config, card_id=card).due - NOON == previews[name]


def test_easy_from_learning_is_longer_than_good() -> None:
    """learning.rs answer_easy: Easy's minimum is Good's fuzzed interval plus one day."""
    for card in ("a", "b", "c", "d", "e"):
        previews = Memory.new(NOON).previews(
            card_id=card, when=NOON, desired_retention=0.9, config=ANKI
        )
        last_step = after(after(Memory.new(NOON), 3, card_id=card), 3, card_id=card).due - NOON
        assert previews["easy"] > last_step


# d. The maximum interval


def test_the_maximum_interval_caps_every_review_interval_after_fuzz() -> None:
    """Manual, Maximum Interval: "The maximum number of days a review card will wait before it's
    shown again. When reviews have reached the limit, Hard, Good and Easy will all give the same
    delay." """
    config = SchedulerConfig(None, 30, "UTC", 4, ANKI_RULES)
    for card in ("a", "b", "c", "d", "e", "f"):
        previews = in_review(500.0, 300, NOON - 300 * DAY).previews(
            card_id=card, when=NOON, desired_retention=0.9, config=config
        )
        assert [previews[name] for name in ("hard", "good", "easy")] == [30 * DAY] * 3
        easy = Memory.new(NOON).previews(
            card_id=card, when=NOON, desired_retention=0.7, config=config
        )["easy"]
        assert easy <= 30 * DAY


def test_the_users_maximum_interval_setting_is_in_force(db: Session, library: Library) -> None:
    """The settings' maximum_interval (default 365 days) caps a review's interval."""
    user = add_user(db, "ada")
    user.maximum_interval = 2
    db.commit()
    when = NOON
    for _ in range(4):
        review(db, user, library, "dropout", 4, when)
        row = db.get(CardState, (user.id, "dropout"))
        assert row is not None
        assert row.due - when <= 2 * DAY
        when = row.due
    assert replay_mismatches(db, user) == []


# e. Maximum answer seconds


def test_answer_time_is_recorded_capped_at_60_seconds(db: Session, library: Library) -> None:
    """Manual, Internal Timer: "Maximum answer seconds: The default limit is 60 seconds. If you
    take longer than that, Anki assumes you have walked away from your computer or have been
    distracted, and caps the recorded time at 60 seconds." """
    user = add_user(db, "ada")
    review(db, user, library, "dropout", 3, NOON, duration_ms=600_000)
    review(db, user, library, "l2-weight-decay", 3, NOON, duration_ms=59_000)
    durations = dict(db.execute(select(ReviewLog.card_id, ReviewLog.duration_ms)).all())
    assert durations == {"dropout": 60_000, "l2-weight-decay": 59_000}


# f. Burying and suspending


def test_a_card_in_learning_is_not_buried(db: Session, library: Library) -> None:
    """Manual, Siblings and Burying: "Anki will only bury siblings that are new or review
    cards. It will not hide cards in learning, as time is of the essence for those cards." A
    bury of a card in learning or relearning is refused, and the card stays in the queue."""
    user = add_user(db, "ada")
    review(db, user, library, "dropout", 1, NOON)  # learning, due in a minute
    with pytest.raises(Conflict, match="learning cards are not buried"):
        flag(db, user, library, "dropout", "bury")
    row = db.get(CardState, (user.id, "dropout"))
    assert row is not None
    assert row.buried_until is None
    later = NOON + timedelta(minutes=2)
    queue = build_queue(
        session=db, user=user, library=library, study_filter=StudyFilter(), now=later
    )
    assert queue.next is not None
    assert queue.next.card.id == "dropout"
    # New and review cards are buried.
    flag(db, user, library, "l2-weight-decay", "bury")
    review(db, user, library, "what-is-regularization", 4, NOON)
    flag(db, user, library, "what-is-regularization", "bury")


def test_suspending_a_buried_card_unburies_it(db: Session, library: Library) -> None:
    """Manual, Siblings and Burying: "a card cannot be buried and suspended at the same time.
    Suspending a buried card will unbury it. Suspended cards can't be buried." """
    user = add_user(db, "ada")
    assert flag(db, user, library, "dropout", "bury").buried_until is not None
    row = flag(db, user, library, "dropout", "suspend")
    assert (row.suspended, row.buried_until) == (True, None)
    with pytest.raises(Conflict, match="cannot be buried"):
        flag(db, user, library, "dropout", "bury")


def flag(db: Session, user: object, library: Library, card_id: str, action: str) -> CardState:
    """Bury, suspend or unsuspend a card at noon."""
    return set_flag(
        session=db,
        user=user,  # type: ignore[arg-type]
        library=library,
        card_id=card_id,
        action=action,
        now=NOON,
    )


def review(
    db: Session,
    user: object,
    library: Library,
    card_id: str,
    rating: int,
    now: datetime,
    duration_ms: int | None = None,
) -> None:
    """Record one review with a fresh review id."""
    record_review(
        session=db,
        user=user,  # type: ignore[arg-type]
        library=library,
        card_id=card_id,
        rating=rating,
        review_id=str(uuid.uuid4()),
        now=now,
        duration_ms=duration_ms,
    )
