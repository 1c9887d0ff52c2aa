"""Versioned scheduler configurations: each review replays under the configuration it was
recorded under, so changed settings or parameters keep the state equal to the replay."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

import pytest
from fsrs.scheduler import DEFAULT_PARAMETERS
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.content.models import Library
from app.db import begin_writing
from app.models import CardState, ReviewLog, User
from app.models import SchedulerConfig as SchedulerRow
from app.study import schedulers
from app.study.reviews import record_review, replay_mismatches
from app.study.schedulers import configs_by_id, scheduler_id
from app.study.scheduling import (
    ANKI_RULES,
    LEGACY,
    LoggedReview,
    Memory,
    SchedulerConfig,
    config_of,
    replay,
)
from app.study.transfer import NotAnExport, export_progress, import_progress, parse_export
from tests.helpers import add_user

NOON = datetime(2026, 6, 10, 12, tzinfo=UTC)
LATER = NOON + timedelta(days=400)
SLOW_FORGETTING = [round(w * 1.5, 4) if i < 4 else w for i, w in enumerate(DEFAULT_PARAMETERS)]


def review(
    db: Session, user: User, library: Library, card_id: str, rating: int, when: datetime
) -> Memory:
    """Record one review; return the card's state after it."""
    result, _new = record_review(
        session=db,
        user=user,
        library=library,
        card_id=card_id,
        rating=rating,
        review_id=str(uuid.uuid4()),
        now=when,
    )
    return result.memory


def changing_user(db: Session, library: Library) -> User:
    """A user who changes retention, maximum interval, parameters and day between reviews."""
    user = add_user(db, "ada")
    when = NOON
    changes: list[dict[str, Any]] = [
        {},
        {"desired_retention": 0.8},
        {"maximum_interval": 3},
        {"fsrs_parameters": json.dumps(SLOW_FORGETTING)},
        {"timezone": "Asia/Tokyo", "day_starts_at": 6},
        {"maximum_interval": 365, "fsrs_parameters": None},
    ]
    for change in changes:
        for name, value in change.items():
            setattr(user, name, value)
        db.commit()
        for card_id in ("dropout", "l2-weight-decay"):
            memory = review(db, user, library, card_id, 3, when)
        when = memory.due + timedelta(hours=1)
    return user


def test_changed_settings_and_parameters_keep_state_equal_to_replay(
    db: Session, library: Library
) -> None:
    user = changing_user(db, library)
    assert replay_mismatches(db, user) == []
    ids = db.scalars(select(ReviewLog.scheduler_id).where(ReviewLog.card_id == "dropout")).all()
    # Retention is stored on each review; the other five changes are five configurations.
    assert len(set(ids)) == 5
    assert None not in ids
    # Replaying the reviews under today's configuration gives other states on the way (the
    # states before each review, stored with it): the versioning keeps the replay exact.
    logs = db.scalars(
        select(ReviewLog).where(ReviewLog.card_id == "dropout").order_by(ReviewLog.reviewed_at)
    ).all()
    today = config_of(user)
    flattened = [
        replay(
            "dropout",
            [
                LoggedReview(r.rating, r.reviewed_at, r.desired_retention, None, today)
                for r in logs[:n]
            ],
            NOON,
        ).to_json()
        for n in range(1, len(logs))
    ]
    assert flattened != [log.state_before for log in logs[1:]]


def test_reviews_without_a_configuration_replay_under_the_legacy_rules(
    db: Session, library: Library
) -> None:
    """Rows from before configurations were versioned (scheduler_id null) replay as then."""
    user = add_user(db, "ada")
    memory = Memory.new(NOON)
    when = NOON
    for number, rating in enumerate((3, 3, 3, 2)):
        before = memory
        memory = memory.review(card_id="dropout", rating=rating, when=when, desired_retention=0.9)
        db.add(
            ReviewLog(
                user_id=user.id,
                review_id=f"old-{number}",
                card_id="dropout",
                deck_id="regularization",
                rating=rating,
                kind=before.state,
                reviewed_at=when,
                duration_ms=None,
                desired_retention=0.9,
                state_before=None if number == 0 else before.to_json(),
            )
        )
        when = memory.due
    row = CardState(user_id=user.id, card_id="dropout", deck_id="regularization")
    memory.store(row)
    db.add(row)
    db.commit()
    assert replay_mismatches(db, user) == []
    # A new review on top is recorded under the rules in force, and the mix replays.
    review(db, user, library, "dropout", 3, when)
    assert replay_mismatches(db, user) == []
    ids = db.scalars(select(ReviewLog.scheduler_id).order_by(ReviewLog.reviewed_at)).all()
    assert ids[:4] == [None] * 4
    assert ids[4] is not None


@pytest.mark.parametrize(
    "stored",
    [
        "[1, 2",
        "null",
        '"weights"',
        "[]",
        json.dumps([1.0] * 21),  # out of fsrs's bounds
        json.dumps(DEFAULT_PARAMETERS[:20]),  # FSRS-5's count
        "[" * 100_000 + "]" * 100_000,
        "[NaN" + ", 1" * 20 + "]",
        json.dumps([True] * 21),
    ],
    ids=["cut", "null", "text", "empty", "bounds", "count", "deep", "nan", "bools"],
)
def test_malformed_parameters_count_as_the_defaults(
    db: Session, library: Library, stored: str
) -> None:
    user = add_user(db, "ada", fsrs_parameters=stored)
    assert config_of(user).parameters is None
    review(db, user, library, "dropout", 3, NOON)
    assert replay_mismatches(db, user) == []


def test_parameters_in_force_set_the_forgetting_curve() -> None:
    """Retrievability uses the parameters' decay (FSRS-6 w[20])."""
    memory = Memory(2, None, 10.0, 5.0, NOON, NOON - timedelta(days=30), 3, 0)
    steep = list(DEFAULT_PARAMETERS)
    steep[20] = 0.8
    default = memory.retrievability(NOON)
    assert memory.retrievability(NOON, tuple(DEFAULT_PARAMETERS)) == default
    assert memory.retrievability(NOON, tuple(steep)) != pytest.approx(default, abs=1e-3)


def test_a_configuration_has_one_row_and_its_id_is_remembered(db: Session) -> None:
    config = SchedulerConfig(tuple(SLOW_FORGETTING), 100, "UTC", 4, ANKI_RULES)
    assert scheduler_id(db, LEGACY) is None
    first = scheduler_id(db, config)
    assert scheduler_id(db, config) == first  # the same transaction: the upsert again
    db.commit()
    statements: list[str] = []
    engine = db.get_bind()

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert scheduler_id(db, config) == first
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statements == []
    assert db.scalar(select(func.count()).select_from(SchedulerRow)) == 1
    assert configs_by_id(db, [first, None]) == {first: config, None: LEGACY}


def test_a_rolled_back_configuration_is_not_remembered(db: Session) -> None:
    config = SchedulerConfig(None, 77, "UTC", 4, ANKI_RULES)
    scheduler_id(db, config)
    db.rollback()
    again = scheduler_id(db, config)  # made again, not taken from memory
    db.commit()
    assert db.get(SchedulerRow, again) is not None


def test_a_configuration_made_in_a_released_savepoint_is_remembered_only_once_committed(
    db: Session,
) -> None:
    config = SchedulerConfig(None, 78, "UTC", 4, ANKI_RULES)
    begin_writing(db)
    with db.begin_nested():  # a group commit's step: released, then its transaction ends
        scheduler_id(db, config)
    db.rollback()
    again = scheduler_id(db, config)  # made again, not taken from memory
    with db.begin_nested():
        assert scheduler_id(db, config) == again
    db.commit()
    assert db.get(SchedulerRow, again) is not None
    assert schedulers._cache(db)[config.config_hash] == again


def test_export_carries_each_reviews_configuration_and_imports_exactly(
    db: Session, library: Library
) -> None:
    ada = changing_user(db, library)
    exported = export_progress(session=db, user=ada, now=LATER)
    assert exported.version == 4
    assert len(exported.schedulers) == 5
    assert {review.scheduler for review in exported.reviews} == set(range(5))
    bob = add_user(db, "bob")
    data = parse_export(exported.model_dump_json().encode())
    added, _cards = import_progress(session=db, user=bob, data=data, now=LATER, library=library)
    assert added == len(exported.reviews)
    assert replay_mismatches(db, bob) == []
    states = {
        row.card_id: Memory.of(row)
        for row in db.scalars(select(CardState).where(CardState.user_id.in_([ada.id, bob.id])))
        if row.user_id == bob.id
    }
    for card_id, memory in states.items():
        row = db.get(CardState, (ada.id, card_id))
        assert row is not None
        assert Memory.of(row) == memory
    # The configurations are shared rows, not copies.
    assert db.scalar(select(func.count()).select_from(SchedulerRow)) == 5
    again = export_progress(session=db, user=bob, now=LATER)
    assert again.schedulers == exported.schedulers


def test_a_version_3_file_still_imports_under_the_legacy_rules(
    db: Session, library: Library
) -> None:
    ada = changing_user(db, library)
    data = json.loads(export_progress(session=db, user=ada, now=LATER).model_dump_json())
    data["version"] = 3
    with pytest.raises(NotAnExport) as raised:
        parse_export(json.dumps(data).encode())
    assert ("schedulers",) in [loc for loc, _message in raised.value.problems]
    del data["schedulers"]
    for entry in data["reviews"]:
        del entry["scheduler"]
    bob = add_user(db, "bob")
    parsed = parse_export(json.dumps(data).encode())
    import_progress(session=db, user=bob, data=parsed, now=LATER, library=library)
    assert replay_mismatches(db, bob) == []
    assert set(db.scalars(select(ReviewLog.scheduler_id).where(ReviewLog.user_id == bob.id))) == {
        None
    }


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"reviews": {"scheduler": 9}}, ("reviews", 0, "scheduler")),
        ({"reviews": {"scheduler": -1}}, ("reviews", 0, "scheduler")),
        ({"schedulers": {"parameters": [1.0] * 21}}, ("schedulers", 0, "parameters")),
        ({"schedulers": {"timezone": "Mars/Base"}}, ("schedulers", 0, "timezone")),
        ({"schedulers": {"rules": 1}}, ("schedulers", 0, "rules")),
        ({"schedulers": {"maximum_interval": 0}}, ("schedulers", 0, "maximum_interval")),
        ({"schedulers": {"learning_steps": []}}, ("schedulers", 0, "learning_steps")),
        ({"schedulers": {"day_starts_at": 24}}, ("schedulers", 0, "day_starts_at")),
    ],
    ids=["index", "negative", "parameters", "timezone", "rules", "maximum", "steps", "hour"],
)
def test_a_bad_configuration_in_a_file_is_named(
    db: Session, library: Library, change: dict[str, dict[str, Any]], loc: tuple[Any, ...]
) -> None:
    user = add_user(db, "ada")
    review(db, user, library, "dropout", 3, NOON)
    data = json.loads(export_progress(session=db, user=user, now=LATER).model_dump_json())
    for name, values in change.items():
        data[name][0].update(values)
    with pytest.raises(NotAnExport) as raised:
        parse_export(json.dumps(data).encode())
    assert [found for found, _message in raised.value.problems] == [loc]


def test_a_configuration_made_meanwhile_by_another_process_is_found(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes making the same new configuration get its one row: the second one's
    upsert meets the first one's row and returns its id instead of failing."""
    config = SchedulerConfig(None, 55, "Europe/Paris", 5, ANKI_RULES)
    first = scheduler_id(db, config)
    db.commit()
    monkeypatch.setattr(schedulers, "_known", WeakKeyDictionary())  # another process's memory
    assert scheduler_id(db, config) == first
    db.commit()
    assert db.scalar(select(func.count()).select_from(SchedulerRow)) == 1
