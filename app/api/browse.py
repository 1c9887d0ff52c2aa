"""JSON API: every card with the user's state of it, and actions on a selection of cards."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from app import urls
from app.api.schemas import (
    AUTHENTICATED,
    BROWSE_STATES,
    CSRF_FAILED,
    LOGIN_REQUIRED,
    BrowseCardOut,
    BrowseOut,
    CardActionIn,
    CardActionOut,
    CardSummaryOut,
    ResetUndoOut,
)
from app.deps import (
    ApiDifficultyParam,
    CsrfProtected,
    CurrentUser,
    LibraryDep,
    SessionDep,
    SlugParam,
    TextParam,
)
from app.models import utcnow
from app.study.browser import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    BrowseQuery,
    CardRow,
    Order,
    Sort,
    State,
    browse,
    set_flags,
)
from app.study.resets import reset_cards, undo_reset

router = APIRouter(
    prefix=f"{urls.API}/me/cards",
    tags=["browse"],
    dependencies=AUTHENTICATED,
    responses=LOGIN_REQUIRED,
)

StateParam = Annotated[State | None, Query(description=f"{BROWSE_STATES}; leave it out for any")]
SortParam = Annotated[
    Sort,
    Query(
        description="order (deck and card order), due, stability, difficulty (FSRS), "
        "retrievability, lapses or reviews; cards without the value come last"
    ),
]
OrderParam = Annotated[Order, Query(description="asc or desc")]
LimitParam = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"at most {MAX_LIMIT}")]
OffsetParam = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
TopicFilter = Annotated[str | None, Query(max_length=80, description="a topic id")]
ACTION_ERRORS: dict[int | str, dict[str, Any]] = {
    409: {"description": "An import of your progress is running, or a card changed meanwhile"},
    413: {"description": "The body is over 16 KiB (far more than 200 card ids need)"},
    **CSRF_FAILED,
}


def card_out(row: CardRow) -> BrowseCardOut:
    """Describe a card of the browser."""
    card = row.card
    return BrowseCardOut(
        **CardSummaryOut.of(card).model_dump(),
        state=row.state,
        suspended=row.suspended,
        buried=row.buried,
        buried_until=row.buried_until,
        leech=row.leech,
        due=row.due,
        stability=row.stability,
        memory_difficulty=row.difficulty,
        retrievability=row.retrievability,
        lapses=row.lapses,
        reviews=row.reviews,
        demo_url=urls.card(card.deck_id, card.id, fragment="demo") if card.demo else None,
    )


@router.get("", responses={422: {"description": "A bad filter, sort or page, named"}})
def list_my_cards(
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    deck: SlugParam = None,
    state: StateParam = None,
    topic: TopicFilter = None,
    difficulty: ApiDifficultyParam = None,
    q: TextParam = "",
    sort: SortParam = "order",
    order: OrderParam = "asc",
    limit: LimitParam = DEFAULT_LIMIT,
    offset: OffsetParam = 0,
) -> BrowseOut:
    """List every card with your state of it, filtered, searched, sorted and paged."""
    query = BrowseQuery(
        deck=deck,
        state=state,
        topic=topic or None,
        difficulty=difficulty,
        text=q.strip(),
        sort=sort,
        order=order,
        limit=limit,
        offset=offset,
    )
    page = browse(session=session, user=user, library=library, query=query, now=utcnow())
    return BrowseOut(
        cards=[card_out(row) for row in page.rows], total=page.total, limit=limit, offset=offset
    )


@router.post("/actions", dependencies=[CsrfProtected], responses=ACTION_ERRORS)
def act_on_cards(
    body: CardActionIn, user: CurrentUser, session: SessionDep, library: LibraryDep
) -> CardActionOut:
    """Suspend, unsuspend, unbury or reset the cards; all of them or (422) none."""
    now = utcnow()
    if body.action == "reset":
        result = reset_cards(
            session=session, user=user, library=library, card_ids=body.card_ids, now=now
        )
        return CardActionOut(
            action="reset",
            card_ids=result.card_ids,
            reset_id=result.reset_id,
            undo_url=urls.api_reset_undo(result.reset_id),
        )
    changed = set_flags(
        session=session,
        user=user,
        library=library,
        action=body.action,
        card_ids=body.card_ids,
        now=now,
    )
    return CardActionOut(action=body.action, card_ids=changed)


@router.post(
    "/resets/{reset_id}/undo",
    dependencies=[CsrfProtected],
    responses={
        404: {"description": "No such reset of yours"},
        409: {"description": "Undone already, or a card was studied since"},
        **CSRF_FAILED,
    },
)
def undo_card_reset(reset_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> ResetUndoOut:
    """Undo a reset: the cards' states and reviews come back exactly as they were."""
    result = undo_reset(session=session, user=user, reset_id=str(reset_id), now=utcnow())
    return ResetUndoOut(
        reset_id=result.reset_id,
        card_ids=result.card_ids,
        reviews_restored=result.reviews,
        undone_at=result.at,
    )
