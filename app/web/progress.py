"""HTML pages: progress, with its charts drawn in HTML."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app import urls
from app.deps import CurrentUser, LibraryDep, SessionDep
from app.models import utcnow
from app.study.charts import calendar, forecast
from app.study.progress import compute_progress
from app.web.templating import PageDep

router = APIRouter(include_in_schema=False)


@router.get("/progress", response_class=HTMLResponse)
def read_progress(
    page: PageDep, user: CurrentUser, session: SessionDep, library: LibraryDep
) -> HTMLResponse:
    """Show the user's progress."""
    progress = compute_progress(session=session, user=user, library=library, now=utcnow())
    return page(
        "progress/progress.html",
        {
            "progress": progress,
            "json_url": urls.api_progress(),
            "forecast": forecast(progress.forecast),
            "calendar": calendar(progress.calendar, progress.today),
        },
    )
