"""HTML pages: the interview plan, with the form that sets and removes interview dates."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app import urls
from app.content.models import Library
from app.deps import CsrfProtected, CurrentUser, LibraryDep, SessionDep
from app.models import User, utcnow
from app.study.plan import (
    BUFFER_DAYS,
    FINAL_DAYS,
    MAX_DAYS_AHEAD,
    BadInterviewDate,
    clear_date,
    compute_plan,
    set_date,
)
from app.web.templating import Page, PageDep

router = APIRouter(include_in_schema=False)

DeckForm = Annotated[str, Form(max_length=80)]
NOTICES = {"saved": "Interview date saved.", "cleared": "Interview date removed."}


@router.get("/plan", response_class=HTMLResponse)
def read_plan(
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    done: str | None = None,
) -> HTMLResponse:
    """Show the interview plan and the form to set the dates."""
    return plan_page(page, user, session, library, notice=NOTICES.get(done or ""))


def plan_page(
    page: Page,
    user: User,
    session: Session,
    library: Library,
    *,
    notice: str | None = None,
    errors: list[str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render the plan page, with a notice or the form's errors and values."""
    plan = compute_plan(session=session, user=user, library=library, now=utcnow())
    return page(
        "plan/plan.html",
        {
            "plan": plan,
            "library": library,
            "notice": notice,
            "errors": errors or [],
            "values": values or {"deck": "", "date": ""},
            "buffer_days": BUFFER_DAYS,
            "final_days": FINAL_DAYS,
            "max_days_ahead": MAX_DAYS_AHEAD,
            "json_url": urls.api_plan(),
        },
        status_code=status_code,
    )


@router.post("/plan", dependencies=[CsrfProtected])
def submit_date(
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    deck: DeckForm = "",
    day: Annotated[str, Form(alias="date", max_length=40)] = "",
) -> Response:
    """Set the date of an interview for a deck or for all decks."""
    values = {"deck": deck, "date": day}
    try:
        parsed = date.fromisoformat(day.strip())
    except ValueError:
        error = f"date: '{day}' is not a date: use YYYY-MM-DD, such as 2026-12-20"
        return plan_page(
            page, user, session, library, errors=[error], values=values, status_code=422
        )
    try:
        set_date(
            session=session,
            user=user,
            library=library,
            deck_id=deck or None,
            day=parsed,
            now=utcnow(),
            loc=("form",),
        )
    except BadInterviewDate as exc:
        return plan_page(
            page, user, session, library, errors=exc.page_lines(), values=values, status_code=422
        )
    return RedirectResponse(urls.with_query(urls.plan(), {"done": "saved"}), status_code=303)


@router.post("/plan/clear", dependencies=[CsrfProtected])
def submit_clear(
    page: PageDep, user: CurrentUser, session: SessionDep, library: LibraryDep, deck: DeckForm = ""
) -> Response:
    """Remove the date of an interview for a deck or for all decks."""
    try:
        clear_date(session=session, user=user, library=library, deck_id=deck or None)
    except BadInterviewDate as exc:
        return plan_page(page, user, session, library, errors=exc.page_lines(), status_code=422)
    return RedirectResponse(urls.with_query(urls.plan(), {"done": "cleared"}), status_code=303)
