"""Export and import carry interview dates."""

import json
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from app.content.models import Library
from app.study.plan import load_dates, set_date
from app.study.transfer import export_progress, import_progress, parse_export
from tests.helpers import add_user

NOW = datetime(2026, 6, 10, 12, tzinfo=UTC)


def test_interview_dates_go_out_and_come_back(db: Session, library: Library) -> None:
    ada = add_user(db)
    set_date(session=db, user=ada, library=library, deck_id=None, day=date(2026, 9, 1), now=NOW)
    set_date(
        session=db,
        user=ada,
        library=library,
        deck_id="regularization",
        day=date(2026, 8, 1),
        now=NOW,
    )
    data = json.loads(export_progress(session=db, user=ada, now=NOW).model_dump_json())
    assert data["interview_dates"] == [
        {"deck": None, "date": "2026-09-01"},
        {"deck": "regularization", "date": "2026-08-01"},
    ]
    grace = add_user(db, "grace")
    set_date(session=db, user=grace, library=library, deck_id=None, day=date(2026, 7, 1), now=NOW)
    data["interview_dates"].append({"deck": "gone-deck", "date": "2026-08-02"})
    import_progress(
        session=db,
        user=grace,
        data=parse_export(json.dumps(data).encode()),
        now=NOW,
        library=library,
    )
    # Her own date stays; the deck's comes in; a deck not in the content is left out.
    assert load_dates(db, grace) == {"": date(2026, 7, 1), "regularization": date(2026, 8, 1)}
