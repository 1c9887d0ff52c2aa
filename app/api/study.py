"""JSON API: the next card to study, reviews (idempotent), undo, bury and suspend."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app.accounts.deps import CsrfProtected, CurrentUser
from app.api.schemas import AUTHENTICATED, CSRF_FAILED, LOGIN_REQUIRED, CardDetail, card_fields
from app.content.models import Library
from app.content.queries import ApiDifficultyParam
from app.db import SessionDep
from app.deps import LibraryDep
from app.input_checks import NUMBER_NOT_TEXT, JsonInt
from app.models import User, utcnow
from app.study.queue import Counts, QueueItem, StudyFilter, build_queue, practice_card
from app.study.reviews import record_review, set_flag, undo_last_review
from app.study.scheduling import RATINGS, Memory, format_interval

router = APIRouter(
    prefix="/api/v1", tags=["study"], dependencies=AUTHENTICATED, responses=LOGIN_REQUIRED
)

CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "The card changed since it was shown, or nothing to undo"}
}
STATES = {0: "new", 1: "learning", 2: "review", 3: "relearning"}


class Preview(BaseModel):
    """What one rating would do: the next interval, as text and in seconds, and the due time."""

    interval: str
    seconds: int
    due: datetime


class CountsOut(BaseModel):
    """Cards left today."""

    new: int
    learning: int
    review: int

    @classmethod
    def of(cls, counts: Counts) -> "CountsOut":
        """Describe counts."""
        return cls(new=counts.new, learning=counts.learning, review=counts.review)


class StudyCard(CardDetail):
    """A card to study, with the version to send back with its review."""

    version: int
    kind: str


class NextOut(BaseModel):
    """The card to study next (null when nothing is due) and what is left today."""

    card: StudyCard | None
    previews: dict[str, Preview] | None
    counts: CountsOut
    practice: bool = False
    day: str
    next_learning_due: datetime | None = None


def _previews(item: QueueItem, user_retention: float, now: datetime) -> dict[str, Preview]:
    intervals = item.memory.previews(
        card_id=item.card.id, when=now, desired_retention=user_retention
    )
    return {
        name: Preview(
            interval=format_interval(delta), seconds=int(delta.total_seconds()), due=now + delta
        )
        for name, delta in intervals.items()
    }


@router.get("/study/next", response_model=NextOut)
def read_next(
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    deck: Annotated[str | None, Query(max_length=80)] = None,
    topic: Annotated[str | None, Query(max_length=80)] = None,
    difficulty: ApiDifficultyParam = None,
    practice: bool = False,
    after: Annotated[
        str | None, Query(max_length=80, description="practice: the card before")
    ] = None,
) -> Response:
    """Return the next due card with the interval each rating would give, and today's counts."""
    now = utcnow()
    study_filter = StudyFilter(deck=deck or None, topic=topic or None, difficulty=difficulty)
    queue = build_queue(
        session=session, user=user, library=library, study_filter=study_filter, now=now
    )
    counts = CountsOut.of(queue.counts)
    if practice:
        found = practice_card(library, study_filter, after)
        card = None
        if found is not None:
            card = StudyCard.model_construct(**card_fields(*found), version=0, kind="practice")
        return _json(
            NextOut(card=card, previews=None, counts=counts, practice=True, day=str(queue.day.date))
        )
    item = queue.next
    if item is None:
        return _json(
            NextOut(
                card=None,
                previews=None,
                counts=counts,
                day=str(queue.day.date),
                next_learning_due=queue.next_learning_due,
            )
        )
    # Built without validation: the card's fields were validated when first described.
    card = StudyCard.model_construct(
        **card_fields(item.deck, item.card), version=item.version, kind=item.kind
    )
    return _json(
        NextOut.model_construct(
            card=card,
            previews=_previews(item, user.desired_retention, now),
            counts=counts,
            practice=False,
            day=str(queue.day.date),
            next_learning_due=None,
        )
    )


def _json(body: BaseModel) -> Response:
    """Serialize a response model once (FastAPI would validate it all over again)."""
    return Response(body.model_dump_json(), media_type="application/json")


DurationMs = Annotated[int, Field(ge=0, le=86_400_000), NUMBER_NOT_TEXT]
CardVersion = Annotated[int, Field(ge=0), NUMBER_NOT_TEXT]


class ReviewIn(BaseModel):
    """A grade for a card."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored

    card_id: str = Field(min_length=1, max_length=80)
    # JSON numbers only: true or "3" is a mistake in the client, not a rating.
    rating: JsonInt = Field(ge=1, le=4, description="1 again, 2 hard, 3 good, 4 easy")
    review_id: uuid.UUID = Field(description="idempotency key: a retry with it records nothing new")
    duration_ms: DurationMs | None = None
    version: CardVersion | None = Field(
        default=None, description="the card version shown; a stale one gives 409"
    )


class CardStateOut(BaseModel):
    """A card's schedule after a change."""

    card_id: str
    state: str
    due: datetime
    reps: int
    lapses: int
    version: int
    stability: float | None
    difficulty: float | None


class ReviewOut(BaseModel):
    """A recorded review and the card's schedule after it."""

    review_id: str
    card_id: str
    rating: int
    rating_name: str
    reviewed_at: datetime
    duration_ms: int | None
    card: CardStateOut


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
    dependencies=[CsrfProtected],
    responses={**CONFLICT, **CSRF_FAILED, 404: {"description": "No such card"}},
)
def create_review(
    body: ReviewIn, request: Request, user: CurrentUser, session: SessionDep, library: LibraryDep
) -> ReviewOut:
    """Record a review; the same review_id again returns the same review and records nothing."""
    result, created = record_review(
        session=session,
        user=user,
        library=library,
        card_id=body.card_id,
        rating=body.rating,
        review_id=str(body.review_id),
        now=utcnow(),
        duration_ms=body.duration_ms,
        expected_version=body.version,
    )
    if created:
        request.app.state.metrics.reviews.inc()
    log = result.log
    return ReviewOut(
        review_id=log.review_id,
        card_id=log.card_id,
        rating=log.rating,
        rating_name=RATINGS[log.rating],
        reviewed_at=log.reviewed_at,
        duration_ms=log.duration_ms,
        card=_state_out(log.card_id, result.memory, result.version),
    )


class UndoOut(BaseModel):
    """The review that was undone."""

    review_id: str
    card_id: str
    rating: int


class UndoIn(BaseModel):
    """Which review the client means to undo (optional)."""

    model_config = ConfigDict(extra="forbid")

    review_id: uuid.UUID | None = Field(
        default=None,
        description="undo only if this is still the latest review (else 409), so a repeated "
        "or parallel undo never undoes a second review",
    )


@router.post("/reviews/undo", dependencies=[CsrfProtected], responses={**CONFLICT, **CSRF_FAILED})
def undo_review(user: CurrentUser, session: SessionDep, body: UndoIn | None = None) -> UndoOut:
    """Undo the latest review, restoring the card's schedule exactly as it was."""
    review_id = str(body.review_id) if body is not None and body.review_id is not None else None
    log = undo_last_review(session=session, user=user, review_id=review_id)
    return UndoOut(review_id=log.review_id, card_id=log.card_id, rating=log.rating)


class FlagIn(BaseModel):
    """A card to bury, suspend or unsuspend."""

    model_config = ConfigDict(extra="forbid")

    card_id: str = Field(min_length=1, max_length=80)


class FlagOut(BaseModel):
    """A card's flags after the change."""

    card_id: str
    suspended: bool
    buried_until: datetime | None


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
