"""Mock interviews in the progress export: a round trip loses nothing; twice adds nothing twice."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.content.loader import load_library
from app.content.models import Library
from app.models import CardState, Interview, InterviewAnswer, User
from app.rehearsal.interviews import Options, create_interview, record_answer
from app.study import transfer
from app.study.transfer import InvalidImport, export_progress, import_progress, parse_export
from tests.helpers import add_user
from tests.rehearsal.interview_content import key_content

NOON = datetime(2026, 6, 10, 12, tzinfo=UTC)
LATER = NOON + timedelta(days=2)


@pytest.fixture
def keyed(content_copy: Path) -> Library:
    """The shipped content with known key points on four cards."""
    return load_library(key_content(content_copy))


def interviewed_user(db: Session, library: Library) -> User:
    """A user with a finished interview of two questions and one answered half-way."""
    ada = add_user(db)
    done = create_interview(
        session=db, user=ada, library=library, options=Options(questions=2), now=NOON, seed=1
    )
    for second, text in enumerate(("apple", "damson", "banana cherry", "late")):
        record_answer(
            session=db,
            interview=done,
            library=library,
            answer_id=uuid.uuid4(),
            text=text,
            now=NOON + timedelta(seconds=40 * (second + 1)),
        )
    half = create_interview(
        session=db,
        user=ada,
        library=library,
        options=Options(questions=3, seconds_per_answer=45, topics=("dropout",)),
        now=NOON + timedelta(hours=1),
        seed=2,
    )
    record_answer(
        session=db,
        interview=half,
        library=library,
        answer_id=uuid.uuid4(),
        text="apple",
        now=NOON + timedelta(hours=1, seconds=50),
    )
    return ada


def count(db: Session, table: type) -> int:
    return db.scalar(select(func.count()).select_from(table)) or 0


def test_interviews_round_trip_and_import_once(db: Session, keyed: Library) -> None:
    ada = interviewed_user(db, keyed)
    exported = export_progress(session=db, user=ada, now=LATER)
    assert exported.version == 4
    assert [len(i.answers) for i in exported.interviews] == [4, 2]
    assert exported.interviews[0].finished_at == NOON + timedelta(seconds=160)
    assert exported.interviews[1].finished_at is None
    assert exported.interviews[1].answers[1].answered_at is None  # shown, not answered
    assert exported.interviews[1].options.topics == ["dropout"]
    assert exported.interviews[0].answers[0].covered == ["apple"]
    raw = exported.model_dump_json().encode()
    bob = add_user(db, "bob")
    import_progress(session=db, user=bob, data=parse_export(raw), now=LATER, library=keyed)
    again = export_progress(session=db, user=bob, now=LATER)
    assert again.interviews == exported.interviews
    for user in (ada, bob):
        import_progress(session=db, user=user, data=parse_export(raw), now=LATER, library=keyed)
    assert count(db, Interview) == 4
    assert count(db, InterviewAnswer) == 12
    assert count(db, CardState) == 0


def test_a_version_2_file_still_imports_and_has_no_interviews(db: Session, keyed: Library) -> None:
    ada = interviewed_user(db, keyed)
    data = json.loads(export_progress(session=db, user=ada, now=LATER).model_dump_json())
    data["version"] = 2
    with pytest.raises(InvalidImport) as raised:
        parse_export(json.dumps(data).encode())
    assert [loc for loc, _message in raised.value.problems] == [("interviews",)]
    assert "set version to 4" in str(raised.value)
    del data["interviews"]
    bob = add_user(db, "bob")
    parsed = parse_export(json.dumps(data).encode())
    import_progress(session=db, user=bob, data=parsed, now=LATER, library=keyed)
    assert export_progress(session=db, user=bob, now=LATER).interviews == []


def entry(db: Session, keyed: Library) -> dict[str, Any]:
    ada = interviewed_user(db, keyed)
    data: dict[str, Any] = json.loads(
        export_progress(session=db, user=ada, now=LATER).model_dump_json()
    )
    return data


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("answers", 0, "coverage"), 1.5),
        (("answers", 0, "part"), "aside"),
        (("answers", 0, "text"), "x" * 5001),
        (("answers", 0, "position"), 20),
        (("options", "questions"), 0),
        (("seconds_per_answer",), 5),
        (("questions",), []),
        (("id",), "nope"),
    ],
)
def test_bad_interview_fields_are_named(
    db: Session, keyed: Library, path: tuple[str | int, ...], value: object
) -> None:
    data = entry(db, keyed)
    target: Any = data["interviews"][0]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(InvalidImport) as raised:
        parse_export(json.dumps(data).encode())
    assert [loc[: 2 + len(path)] for loc, _m in raised.value.problems] == [("interviews", 0, *path)]


def test_interview_times_out_of_range_are_named(db: Session, keyed: Library) -> None:
    data = entry(db, keyed)
    data["interviews"][1]["answers"][0]["answered_at"] = "2099-01-01T00:00:00Z"
    with pytest.raises(InvalidImport) as raised:
        import_progress(
            session=db,
            user=add_user(db, "bob"),
            data=parse_export(json.dumps(data).encode()),
            now=LATER,
            library=keyed,
        )
    assert [loc for loc, _m in raised.value.problems] == [
        ("interviews", 1, "answers", 0, "answered_at")
    ]


def test_too_many_interviews_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        transfer, "_LISTS", (*transfer._LISTS[:3], ("interviews", transfer._INTERVIEWS, 1))
    )
    data = {
        "format": "prepdeck-progress",
        "version": 3,
        "exported_at": "2026-06-10T12:00:00Z",
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
        "interviews": [{}, {}],
    }
    with pytest.raises(InvalidImport) as raised:
        parse_export(json.dumps(data).encode())
    assert raised.value.problems == [(("interviews",), "List should have at most 1 items, not 2")]
