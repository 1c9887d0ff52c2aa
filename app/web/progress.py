"""HTML pages: progress, with its server-drawn charts."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from app import urls
from app.deps import CurrentUser, LibraryDep, SessionDep
from app.models import utcnow
from app.study.charts import calendar_png, forecast_png
from app.study.progress import compute_progress
from app.web.templating import PageDep

router = APIRouter(include_in_schema=False)

PRIVATE = {"Cache-Control": "private, max-age=60"}


@router.get("/progress", response_class=HTMLResponse)
def read_progress(
    page: PageDep, user: CurrentUser, session: SessionDep, library: LibraryDep
) -> HTMLResponse:
    """Show the user's progress."""
    progress = compute_progress(session=session, user=user, library=library, now=utcnow())
    return page(
        "progress/progress.html",
        {"progress": progress, "json_url": urls.api_progress(), "stamp": progress.total_reviews},
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
