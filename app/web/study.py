"""HTML pages: the study session (plain forms; study.js swaps cards without a reload)."""

import uuid
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.accounts.deps import CsrfProtected, CurrentUser
from app.content.models import Difficulty, Library
from app.content.queries import DifficultyParam
from app.db import SessionDep
from app.deps import LibraryDep
from app.models import User, utcnow
from app.study.queue import StudyFilter, build_queue, practice_card
from app.study.reviews import Conflict, find_card, record_review, set_flag, undo_last_review
from app.study.scheduling import RATINGS, format_interval
from app.web.templating import render

router = APIRouter(include_in_schema=False)

Slug = Annotated[str | None, Query(max_length=80)]
FormSlug = Annotated[str, Form(min_length=1, max_length=80)]


def _filter(deck: str | None, topic: str | None, difficulty: Difficulty | None) -> StudyFilter:
    return StudyFilter(deck=deck or None, topic=topic or None, difficulty=difficulty)


def study_page(
    request: Request,
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
    now = utcnow()
    queue = build_queue(
        session=session, user=user, library=library, study_filter=study_filter, now=now
    )
    context: dict[str, object] = {
        "library": library,
        "filter": study_filter,
        "query": study_filter.query(),
        "counts": queue.counts,
        "notice": notice,
        "notice_error": status_code >= 400,
        "practice": practice,
        "next_learning_due": queue.next_learning_due,
        "difficulties": list(Difficulty),
        "topics": sorted({(t.id, t.label) for deck in library.decks for t in deck.topics}),
        "review_id": uuid.uuid4(),
    }
    if practice:
        found = practice_card(library, study_filter, after)
        if found is not None:
            context.update(deck=found[0], card=found[1])
    elif queue.next is not None:
        item = queue.next
        previews = item.memory.previews(
            card_id=item.card.id, when=now, desired_retention=user.desired_retention
        )
        context.update(
            deck=item.deck,
            card=item.card,
            item=item,
            buttons=[
                (rating, name, format_interval(previews[name])) for rating, name in RATINGS.items()
            ],
        )
    return render(request, "study.html", context, status_code=status_code)


@router.get("/study", response_class=HTMLResponse)
def read_study(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    deck: Slug = None,
    topic: Slug = None,
    difficulty: DifficultyParam = None,
    practice: bool = False,
    after: Slug = None,
    undone: Slug = None,
) -> HTMLResponse:
    """Show the next card due (or a practice card, when asked)."""
    notice = None
    if undone:
        _deck, card = find_card(library, undone)
        notice = f"Undone: your last grade of “{card.question}”. It is back in the queue."
    return study_page(
        request,
        session=session,
        user=user,
        library=library,
        study_filter=_filter(deck, topic, difficulty),
        practice=practice,
        after=after,
        notice=notice,
    )


def _conflict_page(
    request: Request,
    session: Session,
    user: User,
    library: Library,
    study_filter: StudyFilter,
    exc: Conflict,
) -> HTMLResponse:
    """Show the study page again with the reason the action was refused (409)."""
    return study_page(
        request,
        session=session,
        user=user,
        library=library,
        study_filter=study_filter,
        notice=str(exc),
        status_code=409,
    )


def _back(study_filter: StudyFilter, **extra: str) -> RedirectResponse:
    query = urlencode({**study_filter.query(), **extra})
    return RedirectResponse(f"/study?{query}" if query else "/study", status_code=303)


FilterForm = Annotated[str, Form(max_length=80)]


async def filter_form(
    deck: FilterForm = "",
    topic: FilterForm = "",
    difficulty: Annotated[Difficulty | Literal[""], Form()] = "",
) -> StudyFilter:
    """Read the study filter that a form carries along in hidden fields."""
    return _filter(deck, topic, difficulty or None)


FilterFormDep = Annotated[StudyFilter, Depends(filter_form)]


@router.post("/study/review", dependencies=[CsrfProtected])
def submit_review(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    card_id: FormSlug,
    rating: Annotated[int, Form(ge=1, le=4)],
    review_id: Annotated[uuid.UUID, Form()],
    version: Annotated[int, Form(ge=0)],
    study_filter: FilterFormDep,
    duration_ms: Annotated[int | None, Form(ge=0, le=86_400_000)] = None,
) -> Response:
    """Record a grade, then show the next card."""
    try:
        _result, created = record_review(
            session=session,
            user=user,
            library=library,
            card_id=card_id,
            rating=rating,
            review_id=str(review_id),
            now=utcnow(),
            duration_ms=duration_ms,
            expected_version=version,
        )
    except Conflict as exc:
        return _conflict_page(request, session, user, library, study_filter, exc)
    if created:
        request.app.state.metrics.reviews.inc()
    return _back(study_filter)


@router.post("/study/undo", dependencies=[CsrfProtected])
def submit_undo(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    study_filter: FilterFormDep,
) -> Response:
    """Undo the latest grade and show that card again."""
    try:
        log = undo_last_review(session=session, user=user)
    except Conflict as exc:
        return _conflict_page(request, session, user, library, study_filter, exc)
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
