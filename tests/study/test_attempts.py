"""Quiz attempts: stored once per attempt_id, refused while an import runs, seeded per review."""

import dataclasses
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.content.models import Card, Library
from app.figures.questions import Asked, ask
from app.figures.registry import demos
from app.models import ProgressImport, QuizAttempt, User, utcnow
from app.study.attempts import (
    AttemptConflict,
    InvalidAttempt,
    attempts_of,
    record_attempt,
    study_seed,
)
from app.study.reviews import IMPORT_BROKEN, IMPORT_RUNNING, Conflict, find_card
from tests.helpers import add_user

NOON = datetime(2026, 6, 10, 12, tzinfo=UTC)
DEMO = demos()["dropout-mask"]


def card_of(library: Library, card_id: str = "dropout") -> Card:
    return find_card(library, card_id)[1]


def record(db: Session, user: User, card: Card, asked: Asked, **changes: Any) -> QuizAttempt:
    values: dict[str, Any] = {
        "answer": asked.question.expected,
        "correct": True,
        "duration_ms": 4200,
        "attempt_id": uuid.uuid4(),
        "now": NOON,
    }
    values.update(changes)
    return record_attempt(session=db, user=user, card=card, asked=asked, **values)


def stored_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(QuizAttempt)) or 0


def test_an_attempt_is_stored_with_what_was_asked(db: Session, library: Library) -> None:
    ada = add_user(db)
    asked = ask(DEMO, 11)
    key = uuid.uuid4()
    attempt = record(
        db, ada, card_of(library), asked, answer=" 0.25 ", correct=False, attempt_id=key
    )
    db.expire_all()
    [stored] = attempts_of(session=db, user=ada)
    assert stored.id == attempt.id
    assert (stored.user_id, stored.attempt_id, stored.card_id) == (ada.id, str(key), "dropout")
    assert (stored.demo_id, stored.kind_id, stored.seed) == (DEMO.id, asked.kind_id, 11)
    assert (stored.answer, stored.correct, stored.duration_ms) == ("0.25", False, 4200)
    assert stored.answered_at == NOON


def test_a_number_answer_is_kept_as_its_text(db: Session, library: Library) -> None:
    ada = add_user(db)
    attempt = record(db, ada, card_of(library), ask(DEMO, 3), answer=1e-7, duration_ms=None)
    assert attempt.answer == repr(1e-7)
    assert attempt.duration_ms is None


def test_the_same_attempt_id_again_writes_nothing(db: Session, library: Library) -> None:
    ada = add_user(db)
    asked = ask(DEMO, 5)
    key = uuid.uuid4()
    first = record(db, ada, card_of(library), asked, attempt_id=key)
    for spelling in (key, str(key).upper(), key.hex):
        again = record(
            db, ada, card_of(library), asked, attempt_id=spelling, now=NOON + timedelta(hours=1)
        )
        assert again.id == first.id
        assert again.answered_at == NOON
    assert stored_count(db) == 1


@pytest.mark.parametrize(
    "changes",
    [{"answer": "zz"}, {"duration_ms": 1}, {"asked": "other seed"}, {"card": "max-norm"}],
)
def test_the_same_attempt_id_for_another_answer_is_a_conflict(
    db: Session, library: Library, changes: dict[str, Any]
) -> None:
    ada = add_user(db)
    asked = ask(DEMO, 5)
    key = uuid.uuid4()
    record(db, ada, card_of(library), asked, attempt_id=key)
    card = card_of(library, changes.pop("card", "dropout"))
    if changes.pop("asked", None):
        asked = ask(DEMO, 6)
    with pytest.raises(AttemptConflict) as raised:
        record(db, ada, card, asked, attempt_id=key, **changes)
    assert raised.value.status == 409
    assert isinstance(raised.value, Conflict)
    assert str(key) in str(raised.value)
    assert "send a new attempt_id" in str(raised.value)
    assert stored_count(db) == 1


def test_attempt_ids_are_unique_per_user_only(db: Session, library: Library) -> None:
    ada, bob = add_user(db, "ada"), add_user(db, "bob")
    key = uuid.uuid4()
    record(db, ada, card_of(library), ask(DEMO, 1), attempt_id=key)
    record(db, bob, card_of(library), ask(DEMO, 2), attempt_id=key)
    assert [a.seed for a in attempts_of(session=db, user=ada)] == [1]
    assert [a.seed for a in attempts_of(session=db, user=bob)] == [2]


def test_attempts_of_one_card_oldest_first(db: Session, library: Library) -> None:
    ada, bob = add_user(db, "ada"), add_user(db, "bob")
    for hours, card_id in [(3, "dropout"), (1, "max-norm"), (2, "dropout"), (0, "dropout")]:
        record(
            db, ada, card_of(library, card_id), ask(DEMO, hours), now=NOON + timedelta(hours=hours)
        )
    record(db, bob, card_of(library), ask(DEMO, 9))
    dropout = attempts_of(session=db, user=ada, card_id="dropout")
    assert [a.seed for a in dropout] == [0, 2, 3]
    assert [a.seed for a in attempts_of(session=db, user=ada)] == [0, 1, 2, 3]
    assert attempts_of(session=db, user=ada, card_id="nope") == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"answer": float("nan")}, "answer"),
        ({"answer": float("inf")}, "answer"),
        ({"answer": "x" * 41}, "answer"),
        ({"answer": "   "}, "answer"),
        ({"answer": "a\x00"}, "answer"),
        ({"duration_ms": -1}, "duration_ms"),
        ({"duration_ms": 86_400_001}, "duration_ms"),
        ({"duration_ms": 10**30}, "duration_ms"),
        ({"duration_ms": True}, "duration_ms"),
        ({"duration_ms": 1.5}, "duration_ms"),
        ({"attempt_id": "not-a-uuid"}, "attempt_id"),
        ({"attempt_id": "1" * 10_000}, "attempt_id"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**31}, "seed"),
    ],
)
def test_bad_attempts_are_refused_and_named(
    db: Session, library: Library, changes: dict[str, Any], field: str
) -> None:
    ada = add_user(db)
    asked = ask(DEMO, 4)
    if "seed" in changes:
        asked = dataclasses.replace(asked, seed=changes.pop("seed"))
    with pytest.raises(InvalidAttempt) as raised:
        record(db, ada, card_of(library), asked, **changes)
    assert raised.value.status == 422
    assert str(raised.value).startswith(f"{field}: ")
    assert len(str(raised.value)) < 200
    assert stored_count(db) == 0


@pytest.mark.parametrize(
    ("age", "message"), [(timedelta(0), IMPORT_RUNNING), (timedelta(hours=1), IMPORT_BROKEN)]
)
def test_an_import_in_progress_blocks_attempts(
    db: Session, library: Library, age: timedelta, message: str
) -> None:
    ada, bob = add_user(db, "ada"), add_user(db, "bob")
    beat = utcnow() - age
    db.add(ProgressImport(user_id=ada.id, started_at=beat, beat_at=beat))
    db.commit()
    with pytest.raises(Conflict) as raised:
        record(db, ada, card_of(library), ask(DEMO, 1))
    assert str(raised.value) == message
    assert raised.value.status == 409
    assert stored_count(db) == 0
    record(db, bob, card_of(library), ask(DEMO, 1))  # other users go on
    assert stored_count(db) == 1


def test_the_study_seed_is_a_valid_quiz_seed_that_changes_per_review() -> None:
    seeds = [study_seed(1, "dropout", count) for count in range(200)]
    assert all(0 <= seed <= 2**31 - 1 for seed in seeds)
    assert len(set(seeds)) == len(seeds)
    assert seeds == [study_seed(1, "dropout", count) for count in range(200)]
    assert study_seed(2, "dropout", 0) != study_seed(1, "dropout", 0)
    assert study_seed(1, "max-norm", 0) != study_seed(1, "dropout", 0)
    # Fields are kept apart: shifting text between them names another question.
    assert study_seed(1, "1", 1) != study_seed(11, "", 1)
    # The study view's questions vary from review to review, not only their seeds.
    variants = {ask(DEMO, seed).params.model_dump_json() for seed in seeds[:20]}
    assert len(variants) > 1


def test_the_study_seed_is_the_same_in_another_process() -> None:
    script = (
        "from app.study.attempts import study_seed\n"
        "print([study_seed(7, 'dropout', n) for n in range(5)])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert result.stdout.strip() == str([study_seed(7, "dropout", n) for n in range(5)])


def test_a_negative_review_count_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        study_seed(1, "dropout", -1)
