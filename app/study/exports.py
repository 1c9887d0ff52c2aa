"""The user's progress as a file to download: the whole export (JSON) or the review log (CSV)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.models import User
from app.study.transfer import export_progress, reviews_csv


@dataclass(frozen=True)
class ExportFile:
    """A file to download: its text, media type and the name to save it under."""

    body: str
    media_type: str
    filename: str

    @property
    def headers(self) -> dict[str, str]:
        """Return the headers that make a browser save the file under its name."""
        return {"Content-Disposition": f'attachment; filename="{self.filename}"'}


def progress_file(*, session: Session, user: User, now: datetime) -> ExportFile:
    """Return the user's settings, card flags and whole review log as a JSON file."""
    export = export_progress(session=session, user=user, now=now)
    return ExportFile(
        export.model_dump_json(indent=2), "application/json", "prepdeck-progress.json"
    )


def review_log_file(*, session: Session, user: User, now: datetime) -> ExportFile:
    """Return the user's review log as a CSV file, one review a row."""
    export = export_progress(session=session, user=user, now=now)
    return ExportFile(reviews_csv(export), "text/csv", "prepdeck-reviews.csv")
