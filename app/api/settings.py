"""JSON API: the user's study settings, and export and import of their progress."""

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app import urls
from app.api.schemas import (
    AUTHENTICATED,
    CSRF_FAILED,
    LOGIN_REQUIRED,
    ImportOut,
    RetentionCurveOut,
    RetentionPointOut,
)
from app.content.models import Library
from app.deps import CsrfProtected, CurrentUser, LibraryDep, SessionDep
from app.input_checks import raw_json_errors
from app.models import User, utcnow
from app.study.exports import review_log_file
from app.study.settings import StudySettings
from app.study.simulator import retention_curve
from app.study.transfer import Export, export_progress, import_progress, parse_export

router = APIRouter(
    prefix=urls.API, tags=["progress"], dependencies=AUTHENTICATED, responses=LOGIN_REQUIRED
)


@router.get("/me/settings")
def read_study_settings(user: CurrentUser) -> StudySettings:
    """Return the user's study settings."""
    return StudySettings.of(user)


@router.put("/me/settings", dependencies=[CsrfProtected], responses=CSRF_FAILED)
def update_study_settings(
    body: StudySettings, user: CurrentUser, session: SessionDep
) -> StudySettings:
    """Replace the user's study settings."""
    body.save(session=session, user=user)
    return StudySettings.of(user)


# A plain function: the simulation (when not cached) runs in a worker thread.
@router.get("/me/retention")
def read_retention(
    user: CurrentUser, session: SessionDep, library: LibraryDep
) -> RetentionCurveOut:
    """Simulate expected reviews and minutes a day against desired retention, 0.70 to 0.97."""
    curve = retention_curve(session, user, library)
    return RetentionCurveOut(
        points=[RetentionPointOut(**vars(point)) for point in curve.points],
        current=RetentionPointOut(**vars(curve.current)),
        deck_size=curve.deck_size,
        days=curve.days,
    )


@router.get("/me/export")
def export_json(user: CurrentUser, session: SessionDep) -> Export:
    """Export the user's settings, card flags and whole review log."""
    return export_progress(session=session, user=user, now=utcnow())


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
def export_csv(user: CurrentUser, session: SessionDep) -> Response:
    """Export the review log as CSV."""
    file = review_log_file(session=session, user=user, now=utcnow())
    return Response(file.body, media_type=file.media_type, headers=file.headers)


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
