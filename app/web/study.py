"""HTML pages: the study session (plain forms; study.js swaps cards without a reload)."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app import urls
from app.content.models import Difficulty, Library
from app.deps import (
    CsrfProtected,
    CurrentUser,
    DifficultyParam,
    LibraryDep,
    MetricsDep,
    SessionDep,
    SlugParam,
)
from app.models import User, utcnow
from app.study.next_card import next_card
from app.study.queue import StudyFilter
from app.study.reviews import Conflict, find_card, record_review, set_flag, undo_last_review
from app.web.templating import Page, PageDep

router = APIRouter(include_in_schema=False)

FormSlug = Annotated[str, Form(min_length=1, max_length=80)]


def study_page(
    page: Page,
    *,
    session: Session,
    user: User,
    library: Library,
    study_filter: StudyFilter,
    practice: bool = False,
    after: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render the study page for the next card (or the practice card after `after`)."""
    shown = next_card(
        session=session,
        user=user,
        library=library,
        study_filter=study_filter,
        now=utcnow(),
        practice=practice,
        after=after,
    )
    context: dict[str, object] = {
        "library": library,
        "filter": study_filter,
        "query": study_filter.query(),
        "counts": shown.counts,
        "notice": notice,
        "notice_error": status_code >= 400,
        "practice": practice,
        "next_learning_due": shown.next_learning_due,
        "difficulties": list(Difficulty),
        "topics": sorted({(t.id, t.label) for deck in library.decks for t in deck.topics}),
        "review_id": uuid.uuid4(),
    }
    if shown.card is not None:
        context.update(deck=shown.deck, card=shown.card)
    if shown.item is not None:
        context.update(
            item=shown.item,
            buttons=[
                (preview.rating, preview.name, preview.interval) for preview in shown.previews
            ],
        )
    return page("study/study.html", context, status_code=status_code)


@router.get("/study", response_class=HTMLResponse)
def read_study(
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    deck: SlugParam = None,
    topic: SlugParam = None,
    difficulty: DifficultyParam = None,
    practice: bool = False,
    after: SlugParam = None,
    undone: SlugParam = None,
) -> HTMLResponse:
    """Show the next card due (or a practice card, when asked)."""
    notice = None
    if undone:
        _deck, card = find_card(library, undone)
        notice = f"Undone: your last grade of “{card.question}”. It is back in the queue."
    return study_page(
        page,
        session=session,
        user=user,
        library=library,
        study_filter=StudyFilter.of(deck, topic, difficulty),
        practice=practice,
        after=after,
        notice=notice,
    )


def _conflict_page(
    page: Page,
    session: Session,
    user: User,
    library: Library,
    study_filter: StudyFilter,
    exc: Conflict,
) -> HTMLResponse:
    """Show the study page again with the reason the action was refused (409)."""
    return study_page(
        page,
        session=session,
        user=user,
        library=library,
        study_filter=study_filter,
        notice=str(exc),
        status_code=409,
    )


def _back(study_filter: StudyFilter, **extra: str) -> RedirectResponse:
    return RedirectResponse(urls.study({**study_filter.query(), **extra}), status_code=303)


FilterForm = Annotated[str, Form(max_length=80)]


async def filter_form(
    deck: FilterForm = "",
    topic: FilterForm = "",
    difficulty: Annotated[Difficulty | Literal[""], Form()] = "",
) -> StudyFilter:
    """Read the study filter that a form carries along in hidden fields."""
    return StudyFilter.of(deck, topic, difficulty or None)


FilterFormDep = Annotated[StudyFilter, Depends(filter_form)]


@router.post("/study/review", dependencies=[CsrfProtected])
def submit_review(
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    metrics: MetricsDep,
    card_id: FormSlug,
    rating: Annotated[int, Form(ge=1, le=4)],
    review_id: Annotated[uuid.UUID, Form()],
    version: Annotated[int, Form(ge=0)],
    study_filter: FilterFormDep,
    duration_ms: Annotated[int | None, Form(ge=0, le=86_400_000)] = None,
) -> Response:
    """Record a grade, then show the next card."""
    try:
        record_review(
            session=session,
            user=user,
            library=library,
            card_id=card_id,
            rating=rating,
            review_id=str(review_id),
            now=utcnow(),
            duration_ms=duration_ms,
            expected_version=version,
            reviews=metrics.reviews,
        )
    except Conflict as exc:
        return _conflict_page(page, session, user, library, study_filter, exc)
    return _back(study_filter)


@router.post("/study/undo", dependencies=[CsrfProtected])
def submit_undo(
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    study_filter: FilterFormDep,
) -> Response:
    """Undo the latest grade and show that card again."""
    try:
        log = undo_last_review(session=session, user=user)
    except Conflict as exc:
        return _conflict_page(page, session, user, library, study_filter, exc)
    return _back(study_filter, undone=log.card_id)


@router.post("/study/{action}", dependencies=[CsrfProtected])
def submit_flag(
    action: Literal["bury", "suspend"],
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    card_id: FormSlug,
    study_filter: FilterFormDep,
) -> Response:
    """Bury the card until tomorrow or suspend it, then show the next card."""
    set_flag(
        session=session, user=user, library=library, card_id=card_id, action=action, now=utcnow()
    )
    return _back(study_filter)
