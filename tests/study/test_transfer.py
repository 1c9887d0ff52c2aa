"""Export and import of progress: a round trip loses nothing; twice adds nothing twice."""

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.content.models import Library
from app.models import ReviewLog
from app.study.reviews import record_review, replay_mismatches, set_flag
from app.study.transfer import CSV_FIELDS, Export, export_progress, import_progress, reviews_csv
from tests.helpers import add_user

NOON = datetime(2026, 6, 10, 12, tzinfo=UTC)
LATER = NOON + timedelta(days=30)  # after every review of studied_user


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
