"""HTML pages: the study settings, with export and import of progress."""

import hashlib
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app import urls
from app.deps import CsrfProtected, CurrentUser, LibraryDep, SessionDep, SettingsDep
from app.exceptions import error_lines
from app.input_checks import TEXT_FORM, raw_json_errors
from app.models import User, utcnow
from app.study.day import timezone_names
from app.study.exports import ExportFile, progress_file, review_log_file
from app.study.fit_jobs import fsrs_status, request_fit
from app.study.retention_chart import retention_png
from app.study.reviews import StudyError
from app.study.settings import StudySettings, limits, plain_errors
from app.study.simulator import RetentionCurve, describe, retention_curve
from app.study.transfer import (
    InvalidImport,
    NotAnExport,
    import_progress,
    parse_export,
    wrong_file,
)
from app.web.templating import Page, PageDep

router = APIRouter(include_in_schema=False)


def settings_page(
    page: Page,
    values: dict[str, object],
    *,
    session: Session,
    user: User,
    errors: dict[str, list[str]] | None = None,
    notice: str | None = None,
    status_code: int = 200,
    retention: RetentionCurve | None = None,
) -> HTMLResponse:
    """Render the settings page with the given form values, errors and notice.

    errors: plain sentences keyed by the id of the field they are about (shown next to it,
    and in a summary at the top that links to it).

    retention: the user's retention simulation, for its panel (the page without it shows
    the chart with a plain description).
    """
    return page(
        "settings/settings.html",
        {
            "values": values,
            "errors": errors or {},
            "limits": limits(),
            "notice": notice,
            "timezones": timezone_names(),
            "json_url": urls.api_study_settings(),
            "retention": retention,
            "retention_alt": describe(retention) if retention else None,
            "retention_stamp": _stamp(retention),
            "fsrs": fsrs_status(session, user),
        },
        status_code=status_code,
    )


def _stamp(curve: RetentionCurve | None) -> str:
    """Return a short digest of a curve: the chart's URL changes when its numbers do."""
    if curve is None:
        return "0"
    return hashlib.sha256(repr(curve).encode()).hexdigest()[:12]


@router.get("/settings", response_class=HTMLResponse)
def read_settings(
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    saved: bool = False,
    imported: int | None = None,
    optimizing: bool = False,
) -> HTMLResponse:
    """Show the study settings, and the export and import of progress."""
    notice = "Settings saved." if saved else None
    if imported is not None:
        notice = f"Import done: {imported} new review{'s' if imported != 1 else ''} added."
    if optimizing:
        notice = "Optimization queued: it runs in the background; reload this page to see it."
    values = StudySettings.of(user).model_dump()
    retention = retention_curve(session, user, library)
    return settings_page(
        page, values, session=session, user=user, notice=notice, retention=retention
    )


@router.post("/settings", dependencies=[CsrfProtected])
def submit_settings(
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
    desired_retention: Annotated[str, Form(max_length=20)],
    new_per_day: Annotated[str, Form(max_length=20)],
    reviews_per_day: Annotated[str, Form(max_length=20)],
    timezone: Annotated[str, Form(max_length=64)],
    day_starts_at: Annotated[str, Form(max_length=20)],
    maximum_interval: Annotated[str, Form(max_length=20)] = "365",
    leech_threshold: Annotated[str, Form(max_length=20)] = "8",
    leech_action: Annotated[str, Form(max_length=20)] = "suspend",
) -> Response:
    """Save the study settings, or show what is wrong with them."""
    values: dict[str, object] = {
        "desired_retention": desired_retention,
        "new_per_day": new_per_day,
        "reviews_per_day": reviews_per_day,
        "timezone": timezone,
        "day_starts_at": day_starts_at,
        "maximum_interval": maximum_interval,
        "leech_threshold": leech_threshold,
        "leech_action": leech_action,
    }
    try:
        study_settings = StudySettings.model_validate_strings(values, context={TEXT_FORM: True})
    except ValidationError as exc:
        return settings_page(
            page, values, session=session, user=user, errors=plain_errors(exc), status_code=422
        )
    study_settings.save(session=session, user=user)
    return RedirectResponse(urls.settings({"saved": "true"}), status_code=303)


def _download(file: ExportFile) -> Response:
    return Response(file.body, media_type=file.media_type, headers=file.headers)


@router.get("/settings/retention.png")
def read_retention_chart(user: CurrentUser, session: SessionDep, library: LibraryDep) -> Response:
    """Draw expected reviews and minutes a day against desired retention, the user's marked."""
    curve = retention_curve(session, user, library)
    return Response(
        retention_png(curve),
        media_type="image/png",
        headers={"Cache-Control": "private, max-age=3600", "ETag": f'"{_stamp(curve)}"'},
    )


@router.get("/settings/export.json")
def download_json(user: CurrentUser, session: SessionDep) -> Response:
    """Download the user's progress as JSON."""
    return _download(progress_file(session=session, user=user, now=utcnow()))


@router.get("/settings/export.csv")
def download_csv(user: CurrentUser, session: SessionDep) -> Response:
    """Download the review log as CSV."""
    return _download(review_log_file(session=session, user=user, now=utcnow()))


@router.post("/settings/import", dependencies=[CsrfProtected])
def submit_import(
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    app_settings: SettingsDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Merge an exported progress file into the user's progress."""
    # A plain function (run in a worker thread): parsing and writing a large file must not
    # hold up the event loop that serves everyone else.
    # The body limit has refused a larger request already; the file is at most this much.
    limit = app_settings.max_import_bytes
    raw = file.file.read(limit + 1)
    values = StudySettings.of(user).model_dump()
    if len(raw) > limit:
        errors = {
            "file": [
                f"This file is larger than {limit:,} bytes, the most this server imports "
                "(its PREPDECK_MAX_IMPORT_BYTES setting)."
            ]
        }
        return settings_page(
            page, values, session=session, user=user, errors=errors, status_code=413
        )
    hostile = raw_json_errors(raw, ())  # NUL, NaN or a lone surrogate: as the API does
    if hostile:
        errors = {"file": [f"In this file, {line}" for line in error_lines(hostile)]}
        return settings_page(
            page, values, session=session, user=user, errors=errors, status_code=422
        )
    now = utcnow()
    try:
        added, _rebuilt = import_progress(
            session=session, user=user, data=parse_export(raw), now=now, library=library
        )
    except InvalidImport as exc:
        kind = wrong_file(raw) if isinstance(exc, NotAnExport) else None
        errors = {"file": [kind] if kind else [f"In this file, {line}" for line in exc.lines()]}
        return settings_page(
            page, values, session=session, user=user, errors=errors, status_code=422
        )
    except StudyError as exc:
        return settings_page(
            page,
            values,
            session=session,
            user=user,
            errors={"file": [str(exc)]},
            status_code=exc.status,
        )
    return RedirectResponse(urls.settings({"imported": added}), status_code=303)


@router.post("/settings/optimize", dependencies=[CsrfProtected])
def submit_optimize(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    """Queue a fit of the user's FSRS parameters (or keep the one already queued)."""
    request_fit(session, user, "user")
    request.app.state.fit_worker.wake()
    return RedirectResponse(urls.settings({"optimizing": "true"}, "fsrs"), status_code=303)
