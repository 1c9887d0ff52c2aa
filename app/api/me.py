"""JSON API: the user's progress, settings, and export/import of their progress."""

from datetime import date

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app.accounts.deps import CsrfProtected, CurrentUser, presented_token
from app.accounts.service import change_password
from app.api.auth import client_address
from app.api.schemas import AUTHENTICATED, CSRF_FAILED, LOGIN_REQUIRED
from app.content.models import Library
from app.db import SessionDep
from app.deps import LibraryDep
from app.input_checks import raw_json_errors
from app.models import User, utcnow
from app.study.progress import compute_progress
from app.study.settings import StudySettings
from app.study.transfer import (
    Export,
    export_progress,
    import_progress,
    parse_export,
    reviews_csv,
)

router = APIRouter(
    prefix="/api/v1", tags=["progress"], dependencies=AUTHENTICATED, responses=LOGIN_REQUIRED
)


class RetentionOut(BaseModel):
    """True retention over a window of days."""

    days: int
    reviews: int
    passed: int
    rate: float | None


class TopicOut(BaseModel):
    """Mastery of one topic: the mean predicted recall of its cards."""

    deck: str
    topic: str
    label: str
    cards: int
    studied: int
    mastery: float


class ForecastDay(BaseModel):
    """Cards due on one day."""

    date: date
    due: int


class ProgressOut(BaseModel):
    """The user's progress."""

    today: date
    cards: dict[str, int]
    hidden_cards: int
    reviews_today: int
    total_reviews: int
    streak_days: int
    retention_7d: RetentionOut
    retention_30d: RetentionOut
    topics: list[TopicOut]
    forecast: list[ForecastDay]
    calendar: dict[date, int]


@router.get("/progress")
def read_progress(user: CurrentUser, session: SessionDep, library: LibraryDep) -> ProgressOut:
    """Return cards by state, reviews, retention, streak, mastery per topic and forecast."""
    progress = compute_progress(session=session, user=user, library=library, now=utcnow())
    week, month = progress.retention
    return ProgressOut(
        today=progress.today,
        cards=progress.by_state,
        hidden_cards=progress.hidden,
        reviews_today=progress.reviews_today,
        total_reviews=progress.total_reviews,
        streak_days=progress.streak,
        retention_7d=RetentionOut(
            days=week.days, reviews=week.reviews, passed=week.passed, rate=week.rate
        ),
        retention_30d=RetentionOut(
            days=month.days, reviews=month.reviews, passed=month.passed, rate=month.rate
        ),
        topics=[TopicOut(**topic.__dict__) for topic in progress.topics],
        forecast=[ForecastDay(date=day, due=due) for day, due in progress.forecast],
        calendar=progress.calendar,
    )


@router.get("/me/settings")
def read_settings(user: CurrentUser) -> StudySettings:
    """Return the user's study settings."""
    return StudySettings.of(user)


@router.put("/me/settings", dependencies=[CsrfProtected], responses=CSRF_FAILED)
def update_settings(body: StudySettings, user: CurrentUser, session: SessionDep) -> StudySettings:
    """Replace the user's study settings."""
    body.save(session=session, user=user)
    return StudySettings.of(user)


class PasswordChange(BaseModel):
    """The current password and the new one."""

    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


@router.post(
    "/me/password",
    status_code=204,
    dependencies=[CsrfProtected],
    responses={
        403: {"description": "The current password is wrong"},
        422: {"description": "The new password is too short, too long or too easy to guess"},
        429: {"description": "Too many wrong current passwords"},
    },
    tags=["auth"],
)
def update_password(
    body: PasswordChange, request: Request, user: CurrentUser, session: SessionDep
) -> None:
    """Change the password; every other session and API token ends, this one stays."""
    change_password(
        session=session,
        user=user,
        current_password=body.current_password,
        new_password=body.new_password,
        client=client_address(request),
        keep_token=presented_token(request),
    )


@router.get("/me/export")
def export_json(user: CurrentUser, session: SessionDep) -> Export:
    """Export the user's settings, card flags and whole review log."""
    return export_progress(session=session, user=user, now=utcnow())


class CSVResponse(PlainTextResponse):
    """A CSV file."""

    media_type = "text/csv"


# response_class=Response (no type of its own) so that the errors stay documented as JSON.
@router.get(
    "/me/export.csv",
    response_class=Response,
    responses={
        200: {
            "description": "The review log, one review a row",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
def export_csv(user: CurrentUser, session: SessionDep) -> CSVResponse:
    """Export the review log as CSV."""
    text = reviews_csv(export_progress(session=session, user=user, now=utcnow()))
    return CSVResponse(
        text,
        headers={"Content-Disposition": 'attachment; filename="prepdeck-reviews.csv"'},
    )


class ImportOut(BaseModel):
    """What an import changed."""

    reviews_added: int
    cards_rebuilt: int


# The body is read as bytes and checked in a worker thread: FastAPI would parse and validate
# a JSON body model on the event loop, holding up every other request for the length of a
# large file. The schema is still the documented one.
_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Export"}}},
    }
}


@router.post(
    "/me/import",
    dependencies=[CsrfProtected],
    openapi_extra=_IMPORT_BODY,
    responses={
        **CSRF_FAILED,
        409: {"description": "An import of this user's progress is already running"},
    },
)
async def import_json(
    request: Request, user: CurrentUser, session: SessionDep, library: LibraryDep
) -> ImportOut:
    """Merge an export into the user's progress; reviews already present are skipped."""
    raw = await request.body()
    return await run_in_threadpool(_import, raw, user, session, library)


def _import(raw: bytes, user: User, session: Session, library: Library) -> ImportOut:
    hostile = raw_json_errors(raw, ("body",))
    if hostile:  # named, not echoed, like every other problem of an import
        raise RequestValidationError(
            [{key: value for key, value in error.items() if key != "input"} for error in hostile]
        )
    added, rebuilt = import_progress(
        session=session, user=user, data=parse_export(raw), now=utcnow(), library=library
    )
    return ImportOut(reviews_added=added, cards_rebuilt=rebuilt)
