"""JSON API: the next card to study, reviews (idempotent), undo, bury and suspend."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app import urls
from app.api.schemas import (
    AUTHENTICATED,
    CSRF_FAILED,
    LOGIN_REQUIRED,
    CardStateOut,
    CountsOut,
    FlagIn,
    FlagOut,
    NextOut,
    PreviewOut,
    ReviewIn,
    ReviewOut,
    StudyCardOut,
    UndoIn,
    UndoOut,
    card_fields,
)
from app.content.models import Library
from app.deps import (
    ApiDifficultyParam,
    CommitterDep,
    CsrfProtected,
    CurrentUser,
    LibraryDep,
    MetricsDep,
    SessionDep,
    SlugParam,
)
from app.models import User, utcnow
from app.study.next_card import next_card
from app.study.queue import StudyFilter
from app.study.reviews import (
    ReviewStep,
    question_of,
    record_grouped,
    set_flag,
    undo_last_action,
    undo_message,
)
from app.study.scheduling import RATINGS, Memory

router = APIRouter(
    prefix=urls.API, tags=["study"], dependencies=AUTHENTICATED, responses=LOGIN_REQUIRED
)

CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "The card changed since it was shown, or nothing to undo"}
}
STATES = {0: "new", 1: "learning", 2: "review", 3: "relearning"}


# Async although it reads the database: it only reads (three indexed statements, as the
# login's lookup does on the event loop already) and its work is bounded by the content. On
# a worker thread, the hop there and back cost more CPU than those statements (about 0.3 ms
# of 1.4), and the work would hold the interpreter lock all the same.
@router.get("/study/next", response_model=NextOut)
async def read_next(
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    deck: SlugParam = None,
    topic: SlugParam = None,
    difficulty: ApiDifficultyParam = None,
    practice: bool = False,
    after: Annotated[
        str | None, Query(max_length=80, description="practice: the card before")
    ] = None,
) -> Response:
    """Return the next due card with the interval each rating would give, and today's counts."""
    shown = next_card(
        session=session,
        user=user,
        library=library,
        study_filter=StudyFilter.of(deck, topic, difficulty),
        now=utcnow(),
        practice=practice,
        after=after,
    )
    counts = CountsOut.of(shown.counts)
    day = str(shown.day)
    card = None
    if shown.deck is not None and shown.card is not None:
        fields = card_fields(shown.deck, shown.card)
        item = shown.item
        # Built without validation: the card's fields were validated when first described.
        card = StudyCardOut.model_construct(
            **fields,
            version=item.version if item else 0,
            kind=item.kind if item else "practice",
        )
    if practice:
        return _json(NextOut(card=card, previews=None, counts=counts, practice=True, day=day))
    if card is None:
        return _json(
            NextOut(
                card=None,
                previews=None,
                counts=counts,
                day=day,
                next_learning_due=shown.next_learning_due,
                plan_warning=shown.plan_warning,
            )
        )
    previews = {
        preview.name: PreviewOut(
            interval=preview.interval, seconds=preview.seconds, due=preview.due
        )
        for preview in shown.previews
    }
    return _json(
        NextOut.model_construct(
            card=card,
            previews=previews,
            counts=counts,
            practice=False,
            day=day,
            next_learning_due=None,
            plan_warning=shown.plan_warning,
        )
    )


def _json(body: BaseModel, status_code: int = 200) -> Response:
    """Serialize a response model once (FastAPI would validate it all over again)."""
    return Response(body.model_dump_json(), status_code=status_code, media_type="application/json")


def _state_out(card_id: str, memory: Memory, version: int) -> CardStateOut:
    return CardStateOut(
        card_id=card_id,
        state=STATES[memory.state],
        due=memory.due,
        reps=memory.reps,
        lapses=memory.lapses,
        version=version,
        stability=memory.stability,
        difficulty=memory.difficulty,
    )


@router.post(
    "/reviews",
    status_code=201,
    response_model=ReviewOut,
    dependencies=[CsrfProtected],
    responses={**CONFLICT, **CSRF_FAILED, 404: {"description": "No such card"}},
)
async def create_review(
    body: ReviewIn,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    metrics: MetricsDep,
    committer: CommitterDep,
) -> Response:
    """Record a review; the same review_id again returns the same review and records nothing.

    Answered once the review is committed (durable), in a commit shared with the reviews
    that arrived meanwhile.
    """
    step = ReviewStep(
        user=user,
        library=library,
        card_id=body.card_id,
        rating=body.rating,
        review_id=str(body.review_id),
        now=utcnow(),
        duration_ms=body.duration_ms,
        expected_version=body.version,
    )
    result, _created = await record_grouped(committer, step, metrics.reviews, own=session)
    log = result.log
    review = ReviewOut(
        review_id=log.review_id,
        card_id=log.card_id,
        rating=log.rating,
        rating_name=RATINGS[log.rating],
        reviewed_at=log.reviewed_at,
        duration_ms=log.duration_ms,
        card=_state_out(log.card_id, result.memory, result.version),
        leech=result.leech,
    )
    return _json(review, status_code=201)


@router.post("/reviews/undo", dependencies=[CsrfProtected], responses={**CONFLICT, **CSRF_FAILED})
def undo_review(
    user: CurrentUser, session: SessionDep, library: LibraryDep, body: UndoIn | None = None
) -> UndoOut:
    """Undo the latest action: a review (the card's schedule restored exactly as it was), or
    a bury, suspend or unsuspend done through /study (the card's flags restored).

    With since (the start of the study session), an action before it is not undone (409).
    """
    review_id = str(body.review_id) if body is not None and body.review_id is not None else None
    since = body.since if body is not None else None
    undone = undo_last_action(session=session, user=user, since=since, review_id=review_id)
    log = undone.log
    return UndoOut(
        action="review" if log is not None else undone.action,
        card_id=undone.card_id,
        review_id=log.review_id if log is not None else None,
        rating=log.rating if log is not None else None,
        message=undo_message(undone.name, question_of(library, undone.card_id)),
    )


NO_CARD: dict[int | str, dict[str, Any]] = {404: {"description": "No such card"}, **CSRF_FAILED}


def _flag(
    action: Literal["bury", "suspend", "unsuspend"],
    body: FlagIn,
    user: User,
    session: Session,
    library: Library,
) -> FlagOut:
    row = set_flag(
        session=session,
        user=user,
        library=library,
        card_id=body.card_id,
        action=action,
        now=utcnow(),
        undoable=True,
    )
    return FlagOut(card_id=row.card_id, suspended=row.suspended, buried_until=row.buried_until)


# One path each (not /study/{action}): POST /study/next must be 405, not a bad "action".
@router.post("/study/bury", dependencies=[CsrfProtected], responses=NO_CARD)
def bury_card(body: FlagIn, user: CurrentUser, session: SessionDep, library: LibraryDep) -> FlagOut:
    """Bury a card until the next study day."""
    return _flag("bury", body, user, session, library)


@router.post("/study/suspend", dependencies=[CsrfProtected], responses=NO_CARD)
def suspend_card(
    body: FlagIn, user: CurrentUser, session: SessionDep, library: LibraryDep
) -> FlagOut:
    """Suspend a card: it leaves the queue until unsuspended."""
    return _flag("suspend", body, user, session, library)


@router.post("/study/unsuspend", dependencies=[CsrfProtected], responses=NO_CARD)
def unsuspend_card(
    body: FlagIn, user: CurrentUser, session: SessionDep, library: LibraryDep
) -> FlagOut:
    """Put a suspended card back in the queue."""
    return _flag("unsuspend", body, user, session, library)
