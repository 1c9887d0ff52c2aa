"""HTML pages: progress (with server-drawn charts) and settings (with export and import)."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.accounts.deps import CsrfProtected, CurrentUser
from app.db import SessionDep
from app.deps import LibraryDep
from app.exceptions import error_lines
from app.input_checks import TEXT_FORM, raw_json_errors
from app.models import utcnow
from app.study.charts import calendar_png, forecast_png
from app.study.day import timezone_names
from app.study.progress import compute_progress
from app.study.reviews import StudyError
from app.study.settings import StudySettings
from app.study.transfer import (
    InvalidImport,
    export_progress,
    import_progress,
    parse_export,
    reviews_csv,
)
from app.web.templating import render

router = APIRouter(include_in_schema=False)

PRIVATE = {"Cache-Control": "private, max-age=60"}


@router.get("/progress", response_class=HTMLResponse)
def read_progress(
    request: Request, user: CurrentUser, session: SessionDep, library: LibraryDep
) -> HTMLResponse:
    """Show the user's progress."""
    progress = compute_progress(session=session, user=user, library=library, now=utcnow())
    return render(
        request,
        "progress.html",
        {"progress": progress, "json_url": "/api/v1/progress", "stamp": progress.total_reviews},
    )


@router.get("/progress/calendar.png")
def read_calendar(user: CurrentUser, session: SessionDep, library: LibraryDep) -> Response:
    """Draw the user's reviews per day."""
    progress = compute_progress(session=session, user=user, library=library, now=utcnow())
    return Response(
        calendar_png(progress.calendar, progress.today), media_type="image/png", headers=PRIVATE
    )


@router.get("/progress/forecast.png")
def read_forecast(user: CurrentUser, session: SessionDep, library: LibraryDep) -> Response:
    """Draw how many cards fall due on each of the next 30 days."""
    progress = compute_progress(session=session, user=user, library=library, now=utcnow())
    return Response(forecast_png(progress.forecast), media_type="image/png", headers=PRIVATE)


def settings_page(
    request: Request,
    values: dict[str, object],
    *,
    errors: list[str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render the settings page with the given form values, errors and notice."""
    return render(
        request,
        "settings.html",
        {
            "values": values,
            "errors": errors or [],
            "notice": notice,
            "timezones": timezone_names(),
            "json_url": "/api/v1/me/settings",
        },
        status_code=status_code,
    )


@router.get("/settings", response_class=HTMLResponse)
def read_settings(
    request: Request,
    user: CurrentUser,
    saved: bool = False,
    imported: int | None = None,
    password_changed: bool = False,
) -> HTMLResponse:
    """Show the study settings, the export and import of progress, and the account."""
    notice = "Settings saved." if saved else None
    if password_changed:
        notice = "Password changed. Every other session and API token has ended."
    if imported is not None:
        notice = f"Import done: {imported} new review{'s' if imported != 1 else ''} added."
    return settings_page(request, StudySettings.of(user).model_dump(), notice=notice)


@router.post("/settings", dependencies=[CsrfProtected])
def submit_settings(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    desired_retention: Annotated[str, Form(max_length=20)],
    new_per_day: Annotated[str, Form(max_length=20)],
    reviews_per_day: Annotated[str, Form(max_length=20)],
    timezone: Annotated[str, Form(max_length=64)],
    day_starts_at: Annotated[str, Form(max_length=20)],
) -> Response:
    """Save the study settings, or show what is wrong with them."""
    values: dict[str, object] = {
        "desired_retention": desired_retention,
        "new_per_day": new_per_day,
        "reviews_per_day": reviews_per_day,
        "timezone": timezone,
        "day_starts_at": day_starts_at,
    }
    try:
        settings = StudySettings.model_validate_strings(values, context={TEXT_FORM: True})
    except ValidationError as exc:
        return settings_page(request, values, errors=error_lines(exc), status_code=422)
    settings.save(session=session, user=user)
    return RedirectResponse("/settings?saved=true", status_code=303)


@router.get("/settings/export.json")
def download_json(user: CurrentUser, session: SessionDep) -> Response:
    """Download the user's progress as JSON."""
    export = export_progress(session=session, user=user, now=utcnow())
    return Response(
        export.model_dump_json(indent=2),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="prepdeck-progress.json"'},
    )


@router.get("/settings/export.csv")
def download_csv(user: CurrentUser, session: SessionDep) -> Response:
    """Download the review log as CSV."""
    export = export_progress(session=session, user=user, now=utcnow())
    return Response(
        reviews_csv(export),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="prepdeck-reviews.csv"'},
    )


@router.post("/settings/import", dependencies=[CsrfProtected])
def submit_import(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Merge an exported progress file into the user's progress."""
    # A plain function (run in a worker thread): parsing and writing a large file must not
    # hold up the event loop that serves everyone else.
    # The body limit has refused a larger request already; the file is at most this much.
    limit = request.app.state.settings.max_import_bytes
    raw = file.file.read(limit + 1)
    values = StudySettings.of(user).model_dump()
    if len(raw) > limit:
        errors = [f"file: larger than {limit:,} bytes (the server's PREPDECK_MAX_IMPORT_BYTES)"]
        return settings_page(request, values, errors=errors, status_code=413)
    hostile = raw_json_errors(raw, ("file",))  # NUL, NaN or a lone surrogate: as the API does
    if hostile:
        return settings_page(request, values, errors=error_lines(hostile), status_code=422)
    now = utcnow()
    try:
        added, _rebuilt = import_progress(
            session=session, user=user, data=parse_export(raw), now=now, library=library
        )
    except InvalidImport as exc:
        errors = [f"file: {line}" for line in exc.lines()]
        return settings_page(request, values, errors=errors, status_code=422)
    except StudyError as exc:
        return settings_page(request, values, errors=[str(exc)], status_code=exc.status)
    return RedirectResponse(f"/settings?imported={added}", status_code=303)
