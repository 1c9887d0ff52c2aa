"""Export and import of progress: a round trip loses nothing; twice adds nothing twice."""

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.content.models import Library
from app.figures.questions import ask
from app.figures.registry import demos
from app.models import ProgressImport, QuizAttempt, ReviewLog, User, utcnow
from app.study import transfer
from app.study.attempts import attempts_of, record_attempt
from app.study.reviews import Conflict, find_card, record_review, replay_mismatches, set_flag
from app.study.transfer import (
    CSV_FIELDS,
    Export,
    InvalidImport,
    NotAnExport,
    export_progress,
    import_progress,
    parse_export,
    reviews_csv,
)
from tests.helpers import add_user, refuse_writes

NOON = datetime(2026, 6, 10, 12, tzinfo=UTC)
LATER = NOON + timedelta(days=30)  # after every review of studied_user
DEMO = demos()["dropout-mask"]


def studied_user(session: Session, library: Library, name: str = "ada") -> object:
    """A user with some reviews, a suspended card and changed settings."""
    user = add_user(session, name, desired_retention=0.85, timezone="Europe/Berlin")
    for offset, (card_id, rating) in enumerate(
        [("dropout", 3), ("dropout", 3), ("l1-vs-l2", 1), ("dropout", 2), ("adamw", 4)]
    ):
        record_review(
            session=session,
            user=user,
            library=library,
            card_id=card_id,
            rating=rating,
            review_id=str(uuid.uuid4()),
            now=NOON + timedelta(days=offset * 3),
            duration_ms=1000 + offset,
        )
    set_flag(
        session=session, user=user, library=library, card_id="max-norm", action="suspend", now=NOON
    )
    return user


def test_round_trip_loses_nothing(db: Session, library: Library) -> None:
    ada = studied_user(db, library)
    exported = export_progress(session=db, user=ada, now=NOON)  # type: ignore[arg-type]
    assert exported.settings.desired_retention == 0.85
    assert len(exported.reviews) == 5
    text = exported.model_dump_json()
    bob = add_user(db, "bob")
    added, _rebuilt = import_progress(
        session=db, user=bob, data=Export.model_validate_json(text), now=LATER, library=library
    )
    assert added == 5
    again = export_progress(session=db, user=bob, now=NOON)
    assert again.reviews == exported.reviews
    assert again.cards == exported.cards
    assert replay_mismatches(db, bob) == []


def test_importing_twice_adds_nothing_twice(db: Session, library: Library) -> None:
    ada = studied_user(db, library)
    exported = export_progress(session=db, user=ada, now=NOON)  # type: ignore[arg-type]
    assert import_progress(session=db, user=ada, data=exported, now=LATER, library=library)[0] == 0  # type: ignore[arg-type]
    total = db.scalar(select(func.count()).select_from(ReviewLog))
    assert total == 5
    assert replay_mismatches(db, ada) == []  # type: ignore[arg-type]


def test_import_merges_logs_from_two_places(db: Session, library: Library) -> None:
    ada = studied_user(db, library)
    exported = export_progress(session=db, user=ada, now=NOON)  # type: ignore[arg-type]
    bob = add_user(db, "bob")
    record_review(
        session=db, user=bob, library=library, card_id="dropout", rating=1,
        review_id=str(uuid.uuid4()), now=NOON + timedelta(days=1),
    )  # fmt: skip
    import_progress(session=db, user=bob, data=exported, now=LATER, library=library)
    assert replay_mismatches(db, bob) == []
    merged = export_progress(session=db, user=bob, now=NOON)
    assert len(merged.reviews) == 6


def test_csv_has_one_row_per_review(db: Session, library: Library) -> None:
    ada = studied_user(db, library)
    text = reviews_csv(export_progress(session=db, user=ada, now=NOON))  # type: ignore[arg-type]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 5
    assert list(rows[0]) == CSV_FIELDS
    assert rows[0]["card_id"] == "dropout"
    assert rows[0]["rating"] == "3"
    assert rows[0]["reviewed_at"] == NOON.isoformat()


def attempted_user(session: Session, library: Library, name: str = "ada") -> User:
    """A user with reviews and some answers to the dropout card's questions."""
    user = studied_user(session, library, name)
    assert isinstance(user, User)
    card = find_card(library, "dropout")[1]
    answers: list[tuple[int, str | float, bool]] = [(3, "b", False), (4, 0.25, True)]
    for offset, (seed, answer, correct) in enumerate(answers):
        record_attempt(
            session=session,
            user=user,
            card=card,
            asked=ask(DEMO, seed),
            answer=answer,
            correct=correct,
            duration_ms=None if offset else 900,
            attempt_id=uuid.uuid4(),
            now=NOON + timedelta(hours=offset),
        )
    return user


def attempt_entry(**changes: object) -> dict[str, Any]:
    """One quiz attempt as an export holds it."""
    return {
        "attempt_id": str(uuid.uuid4()),
        "card_id": "dropout",
        "demo_id": "dropout-mask",
        "kind_id": "kept-fraction",
        "seed": 12,
        "answer": "a",
        "correct": True,
        "answered_at": NOON.isoformat(),
        "duration_ms": 1500,
        **changes,
    }


def file_with(attempts: list[dict[str, Any]], version: int = 2) -> dict[str, Any]:
    """A whole export file of these attempts and no reviews."""
    return {
        "format": "prepdeck-progress",
        "version": version,
        "exported_at": NOON.isoformat(),
        "username": "ada",
        "settings": {
            "desired_retention": 0.9,
            "new_per_day": 20,
            "reviews_per_day": 200,
            "timezone": "UTC",
            "day_starts_at": 4,
        },
        "cards": [],
        "reviews": [],
        "quiz_attempts": attempts,
    }


def test_attempts_round_trip(db: Session, library: Library) -> None:
    ada = attempted_user(db, library)
    exported = export_progress(session=db, user=ada, now=NOON)
    assert exported.version == transfer.VERSION
    assert [a.seed for a in exported.quiz_attempts] == [3, 4]
    assert [a.answer for a in exported.quiz_attempts] == ["b", "0.25"]
    bob = add_user(db, "bob")
    raw = exported.model_dump_json().encode()
    import_progress(session=db, user=bob, data=parse_export(raw), now=LATER, library=library)
    again = export_progress(session=db, user=bob, now=NOON)
    assert again.quiz_attempts == exported.quiz_attempts
    assert again.reviews == exported.reviews
    # Twice adds nothing twice, for the user who answered as for the one who imported.
    for user in (ada, bob):
        import_progress(session=db, user=user, data=parse_export(raw), now=LATER, library=library)
    assert db.scalar(select(func.count()).select_from(QuizAttempt)) == 4


def test_a_version_1_file_still_imports(db: Session, library: Library) -> None:
    ada = attempted_user(db, library)
    data = json.loads(export_progress(session=db, user=ada, now=NOON).model_dump_json())
    del data["quiz_attempts"]
    del data["schedulers"]  # nor scheduler configurations: its reviews replay as legacy
    for review in data["reviews"]:
        del review["scheduler"]
    data["version"] = 1
    bob = add_user(db, "bob")
    parsed = parse_export(json.dumps(data).encode())
    added, _rebuilt = import_progress(session=db, user=bob, data=parsed, now=LATER, library=library)
    assert added == 5
    assert attempts_of(session=db, user=bob) == []
    assert replay_mismatches(db, bob) == []


def test_a_version_1_file_has_no_attempts() -> None:
    with pytest.raises(NotAnExport) as raised:
        parse_export(json.dumps(file_with([attempt_entry()], version=1)).encode())
    assert [loc for loc, _message in raised.value.problems] == [("quiz_attempts",)]
    assert "set version to 2" in str(raised.value)


def test_a_stored_attempt_id_is_skipped_and_unknown_cards_are_kept(
    db: Session, library: Library
) -> None:
    ada = attempted_user(db, library)
    [first, _second] = attempts_of(session=db, user=ada)
    entries = [
        attempt_entry(attempt_id=first.attempt_id.upper(), answer="c"),
        attempt_entry(card_id="zzz-removed", demo_id="gone", kind_id="old-kind"),
    ]
    data = parse_export(json.dumps(file_with(entries)).encode())
    import_progress(session=db, user=ada, data=data, now=LATER, library=library)
    db.expire_all()
    stored = attempts_of(session=db, user=ada)
    assert [(a.card_id, a.answer) for a in stored] == [
        ("dropout", "b"),
        ("zzz-removed", "a"),
        ("dropout", "0.25"),
    ]
    assert attempts_of(session=db, user=ada, card_id="zzz-removed")[0].demo_id == "gone"


BAD_ATTEMPTS = [
    ("attempt_id", "not-a-uuid"),
    ("attempt_id", 12),
    ("attempt_id", "0" * 5000),
    ("card_id", "dropout\x00"),
    ("card_id", "x" * 81),
    ("card_id", ""),
    ("demo_id", {"a": {"b": [1]}}),
    ("kind_id", " kept"),
    ("seed", -1),
    ("seed", 2**31),
    ("seed", 10**40),
    ("seed", True),
    ("seed", 1.5),
    ("seed", "3"),
    ("answer", ""),
    ("answer", "x" * 41),
    ("answer", "a\x00"),
    ("answer", "a\u202e"),
    ("answer", 0.5),
    ("correct", "yes"),
    ("correct", 1),
    ("correct", None),
    ("duration_ms", -1),
    ("duration_ms", 86_400_001),
    ("duration_ms", 1000.0),
    ("duration_ms", False),
    ("answered_at", "yesterday"),
    ("answered_at", "2026-06-10T12:00:00"),
    ("answered_at", [1]),
]


@pytest.mark.parametrize(("name", "value"), BAD_ATTEMPTS)
def test_bad_attempt_fields_are_named(name: str, value: object) -> None:
    entries = [attempt_entry(), attempt_entry(**{name: value})]
    with pytest.raises(NotAnExport) as raised:
        parse_export(json.dumps(file_with(entries)).encode())
    assert [loc[:3] for loc, _message in raised.value.problems] == [("quiz_attempts", 1, name)]


def test_a_missing_attempt_field_is_named() -> None:
    entry = attempt_entry()
    del entry["correct"]
    with pytest.raises(NotAnExport) as raised:
        parse_export(json.dumps(file_with([entry])).encode())
    assert [loc for loc, _message in raised.value.problems] == [("quiz_attempts", 0, "correct")]


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "1e999"])
def test_non_finite_numbers_in_an_attempt_are_named(raw: str) -> None:
    text = json.dumps(file_with([attempt_entry(seed=0)])).replace('"seed": 0', f'"seed": {raw}')
    with pytest.raises(NotAnExport) as raised:
        parse_export(text.encode())
    assert [loc[:3] for loc, _message in raised.value.problems] == [("quiz_attempts", 0, "seed")]


@pytest.mark.parametrize(
    "when",
    # The latest allowed time is the import's now plus a day: the future one is taken from the
    # same now that the import is given, not from when the tests were collected.
    [datetime(1999, 12, 31, 23, tzinfo=UTC), timedelta(days=1, minutes=5)],
    ids=["before-2000", "a-day-ahead"],
)
def test_attempt_times_out_of_range_are_named(
    db: Session, library: Library, when: datetime | timedelta
) -> None:
    ada = add_user(db)
    now = utcnow()
    answered_at = now + when if isinstance(when, timedelta) else when
    entries = [attempt_entry(), attempt_entry(answered_at=answered_at.isoformat())]
    data = parse_export(json.dumps(file_with(entries)).encode())
    with pytest.raises(InvalidImport) as raised:
        import_progress(session=db, user=ada, data=data, now=now, library=library)
    assert [loc for loc, _message in raised.value.problems] == [("quiz_attempts", 1, "answered_at")]
    assert attempts_of(session=db, user=ada) == []


def test_too_many_attempts_are_refused_before_any_is_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        transfer,
        "_LISTS",
        (*transfer._LISTS[:2], ("quiz_attempts", transfer._ATTEMPTS, 3)),
    )
    with pytest.raises(NotAnExport) as raised:
        parse_export(json.dumps(file_with([attempt_entry() for _ in range(4)])).encode())
    assert raised.value.problems == [
        (("quiz_attempts",), "List should have at most 3 items, not 4")
    ]


def test_attempts_of_an_import_failing_half_way_are_taken_back(
    db: Session, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transfer, "CHUNK", 2)  # the first attempts commit before the failure
    ada = attempted_user(db, library)
    before = [(a.attempt_id, a.answer) for a in attempts_of(session=db, user=ada)]
    refuse_writes(db, "INSERT", "quiz_attempts", "boom")
    entries = [*(attempt_entry() for _ in range(5)), attempt_entry(card_id="boom")]
    data = parse_export(json.dumps(file_with(entries)).encode())
    with pytest.raises((Conflict, DBAPIError)):  # the refused write, as each database words it
        import_progress(session=db, user=ada, data=data, now=LATER, library=library)
    db.expire_all()
    assert [(a.attempt_id, a.answer) for a in attempts_of(session=db, user=ada)] == before
    assert db.get(ProgressImport, ada.id) is None
