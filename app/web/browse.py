"""HTML pages: the card browser (plain forms), the reset confirmation, and undo of a reset."""

import uuid
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session

from app import urls
from app.content.models import Difficulty, Library
from app.content.queries import MAX_QUERY_LENGTH
from app.deps import (
    CsrfProtected,
    CurrentUser,
    DifficultyParam,
    LibraryDep,
    SessionDep,
    SlugParam,
    TextParam,
)
from app.models import User, utcnow
from app.study.browser import (
    ACTIONS,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    SORTS,
    STATES,
    BrowseQuery,
    Order,
    Sort,
    State,
    UnknownCards,
    browse,
    check_selection,
    set_flags,
)
from app.study.resets import UnknownReset, find_reset, reset_cards, reset_size, undo_reset
from app.study.reviews import Conflict
from app.web.templating import Page, PageDep

router = APIRouter(include_in_schema=False)

FlagAction = Literal["suspend", "unsuspend", "unbury"]
BlankStateParam = Annotated[
    State | Literal[""] | None, Query(description="a state or flag; empty for any")
]
LimitParam = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
OffsetParam = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
BackForm = Annotated[str, Form(max_length=2000)]
CardIdsForm = Annotated[list[Annotated[str, Form(max_length=80)]], Form()]
DONE = {
    "suspend": "Suspended",
    "unsuspend": "Unsuspended",
    "unbury": "Unburied",
}


class _Back(BaseModel):
    """The browser's view that a form carries along in its `back` field."""

    deck: Annotated[str, Field(max_length=80)] | None = None
    state: State | None = None
    topic: Annotated[str, Field(max_length=80)] | None = None
    difficulty: Difficulty | None = None
    q: Annotated[str, Field(max_length=MAX_QUERY_LENGTH)] = ""
    sort: Sort = "order"
    order: Order = "asc"
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0


def query_of_back(back: str) -> BrowseQuery:
    """Return the view a `back` field names; a field that is not valid is left at its default."""
    fields = {key: value for key, value in parse_qsl(back) if key in _Back.model_fields and value}
    try:
        view = _Back.model_validate(fields)
    except ValidationError as exc:
        bad = {str(error["loc"][0]) for error in exc.errors()}
        view = _Back.model_validate({k: v for k, v in fields.items() if k not in bad})
    return BrowseQuery(
        deck=view.deck,
        state=view.state,
        topic=view.topic,
        difficulty=view.difficulty,
        text=view.q.strip(),
        sort=view.sort,
        order=view.order,
        limit=view.limit,
        offset=view.offset,
    )


def _back(query: BrowseQuery, **extra: object) -> RedirectResponse:
    return RedirectResponse(urls.browse(query.query(**extra)), status_code=303)


def _notice(
    session: Session, user: User, done: str | None, count: int, reset: str, undone: str
) -> dict[str, Any] | None:
    """Return the message to show after an action, with the reset to undo (if any)."""
    if done in DONE:
        return {"text": f"{DONE[done]} {count} card{'s' if count != 1 else ''}."}
    for reset_id, is_undo in ((reset, False), (undone, True)):
        if not reset_id:
            continue
        try:
            found = find_reset(session, user, reset_id)
        except UnknownReset:
            return None
        size = reset_size(found)
        cards = f"{size} card{'s' if size != 1 else ''}"
        if is_undo:
            return {"text": f"Reset undone: the progress of {cards} is back."}
        if found.undone_at is None:
            return {"text": f"Progress of {cards} reset.", "undo": reset_id}
    return None


def browse_page(
    page: Page,
    *,
    session: Session,
    user: User,
    library: Library,
    query: BrowseQuery,
    notice: dict[str, Any] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render the card browser for a query, with a message after an action or an error."""
    found = browse(session=session, user=user, library=library, query=query, now=utcnow())
    offset, limit = query.offset, query.limit
    return page(
        "browse/browse.html",
        {
            "page": found,
            "query": query,
            "library": library,
            "states": STATES,
            "sorts": SORTS,
            "actions": ACTIONS,
            "difficulties": list(Difficulty),
            "max_limit": MAX_LIMIT,
            "back": urls.browse(query.query()).partition("?")[2],
            "previous_url": urls.browse(query.query(offset=max(offset - limit, 0)))
            if offset
            else None,
            "next_url": urls.browse(query.query(offset=offset + limit))
            if offset + limit < found.total
            else None,
            "notice": notice,
            "error": error,
            "json_url": urls.api_browse(query.query()),
        },
        status_code=status_code,
    )


@router.get("/browse", response_class=HTMLResponse)
def read_browse(
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    deck: SlugParam = None,
    state: BlankStateParam = None,
    topic: SlugParam = None,
    difficulty: DifficultyParam = None,
    q: TextParam = "",
    sort: Sort = "order",
    order: Order = "asc",
    limit: LimitParam = DEFAULT_LIMIT,
    offset: OffsetParam = 0,
    done: Annotated[FlagAction | None, Query()] = None,
    count: Annotated[int, Query(ge=0, le=10_000)] = 0,
    reset: Annotated[str, Query(max_length=36)] = "",
    undone: Annotated[str, Query(max_length=36)] = "",
) -> HTMLResponse:
    """List every card with the learner's state of it, filtered, searched, sorted and paged."""
    query = BrowseQuery(
        deck=deck or None,
        state=state or None,
        topic=topic or None,
        difficulty=difficulty,
        text=q.strip(),
        sort=sort,
        order=order,
        limit=limit,
        offset=offset,
    )
    notice = _notice(session, user, done, count, reset, undone)
    return browse_page(
        page, session=session, user=user, library=library, query=query, notice=notice
    )


@router.post("/browse/actions", dependencies=[CsrfProtected])
def submit_action(
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    card_ids: CardIdsForm = [],  # noqa: B006 (FastAPI copies the default)
    action: Annotated[Literal["suspend", "unsuspend", "unbury", "reset", ""], Form()] = "",
    single: Annotated[str, Form(max_length=100)] = "",
    back: BackForm = "",
) -> Response:
    """Do a row's action (`single`: action:card) or the chosen action on the checked cards."""
    query = query_of_back(back)
    if single:
        chosen, _, card_id = single.partition(":")
        action = chosen if chosen in ACTIONS else ""  # type: ignore[assignment]
        card_ids = [card_id]
    common: dict[str, Any] = {"session": session, "user": user, "library": library}
    if not action:
        return browse_page(
            page, query=query, error="action: choose what to do", status_code=422, **common
        )
    try:
        if action == "reset":
            selected = check_selection(library, card_ids)
            return page(
                "browse/confirm.html",
                {"cards": _cards_of(library, selected), "back": back, "query": query},
            )
        changed = set_flags(action=action, card_ids=card_ids, now=utcnow(), **common)
    except UnknownCards as exc:
        return browse_page(page, query=query, error=exc.page_lines()[0], status_code=422, **common)
    except Conflict as exc:
        return browse_page(page, query=query, error=str(exc), status_code=409, **common)
    return _back(query, done=action, count=len(changed))


def _cards_of(library: Library, card_ids: list[str]) -> list[Any]:
    wanted = set(card_ids)
    return [(deck, card) for deck in library.decks for card in deck.cards if card.id in wanted]


@router.post("/browse/reset", dependencies=[CsrfProtected])
def submit_reset(
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    card_ids: CardIdsForm = [],  # noqa: B006 (FastAPI copies the default)
    back: BackForm = "",
) -> Response:
    """Reset the confirmed cards' progress, then show the browser with an Undo button."""
    query = query_of_back(back)
    common: dict[str, Any] = {"session": session, "user": user, "library": library}
    try:
        result = reset_cards(card_ids=card_ids, now=utcnow(), **common)
    except UnknownCards as exc:
        return browse_page(page, query=query, error=exc.page_lines()[0], status_code=422, **common)
    except Conflict as exc:
        return browse_page(page, query=query, error=str(exc), status_code=409, **common)
    return _back(query, reset=result.reset_id)


@router.post("/browse/resets/{reset_id}/undo", dependencies=[CsrfProtected])
def submit_undo_reset(
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    reset_id: uuid.UUID,
    back: BackForm = "",
) -> Response:
    """Undo a reset; if a card was studied since (or it was undone already), say so."""
    query = query_of_back(back)
    try:
        undo_reset(session=session, user=user, reset_id=str(reset_id), now=utcnow())
    except Conflict as exc:
        return browse_page(
            page,
            session=session,
            user=user,
            library=library,
            query=query,
            error=str(exc),
            status_code=409,
        )
    return _back(query, undone=str(reset_id))
