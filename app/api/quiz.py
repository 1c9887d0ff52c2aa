"""JSON API: the prediction a card's demo asks, and the check of an answer to it."""

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError

from app import urls
from app.api.schemas import (
    AUTHENTICATED,
    CSRF_FAILED,
    MAX_QUIZ_SEED,
    QuizAnswerIn,
    QuizOut,
    QuizVerdictOut,
)
from app.content.models import Card
from app.deps import (
    CardDep,
    ComputeLimiterDep,
    CookiesDep,
    OptionalUser,
    SessionDep,
    require_csrf,
)
from app.figures.demo import Demo
from app.figures.params import query_of
from app.figures.questions import Asked, Question, UnreadableAnswer, ask
from app.figures.registry import asking_demo
from app.models import utcnow
from app.study.attempts import record_attempt

router = APIRouter(prefix=f"{urls.API}/decks/{{deck_id}}/cards/{{card_id}}/quiz", tags=["quiz"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such deck or card, or the card's demo asks no questions"},
    422: {"description": "A bad seed or a malformed answer"},
}
SeedParam = Annotated[int, Query(ge=0, le=MAX_QUIZ_SEED, description="names the variant")]


def quiz_demo(card: Card) -> Demo[Any, Any]:
    """Return the demo of a card that asks questions, or answer 404."""
    demo = asking_demo(card.demo)
    if demo is None:
        raise HTTPException(404, f"Card '{card.id}' has no quiz: its demo asks no questions.")
    return demo


async def _asked(demo: Demo[Any, Any], seed: int, limiter: Any) -> Asked:
    # compute() runs for the variant: off the event loop, and at most a few at once.
    return await to_thread.run_sync(ask, demo, seed, limiter=limiter)


def read_answer(question: Question, answer: str | float) -> str | float:
    """Return the answer in the question's terms, or raise a 422 naming what to send."""
    try:
        return question.read(answer)
    except UnreadableAnswer as exc:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", "answer"), "msg": f"answer: {exc}"}]
        ) from None


@router.get("", responses=RESPONSES)
async def read_quiz(card: CardDep, limiter: ComputeLimiterDep, seed: SeedParam) -> QuizOut:
    """Draw the card's question for a seed (the same seed, the same question), no answer in it."""
    asked = await _asked(quiz_demo(card), seed, limiter)
    question = asked.question
    return QuizOut(
        id=asked.id,
        kind=question.kind,
        prompt=question.prompt,
        choices=list(question.choices) if question.kind == "choice" else None,
        unit=question.unit,
        tolerance=question.tolerance if question.kind == "number" else None,
        params=asked.params.model_dump(),
        seed=seed,
    )


@router.post(
    "",
    dependencies=AUTHENTICATED,
    responses={
        **RESPONSES,
        **CSRF_FAILED,
        409: {"description": "The attempt_id holds another answer, or an import is running"},
    },
)
async def check_quiz(
    request: Request,
    card: CardDep,
    limiter: ComputeLimiterDep,
    body: QuizAnswerIn,
    user: OptionalUser,
    cookies: CookiesDep,
    session: SessionDep,
) -> QuizVerdictOut:
    """Check an answer: the question is drawn again from the seed, nothing else is trusted.

    A logged-in user's answer is stored as an attempt (a cookie login needs the CSRF header,
    as every write does); a guest's is stored nowhere.
    """
    if user is not None:
        await require_csrf(request, user, cookies)
    demo = quiz_demo(card)
    asked = await _asked(demo, body.seed, limiter)
    question = asked.question
    answer = read_answer(question, body.answer)
    correct = question.is_right(answer)
    attempt_id = None
    if user is not None:
        attempt = await run_in_threadpool(
            record_attempt,
            session=session,
            user=user,
            card=card,
            asked=asked,
            answer=body.answer,
            correct=correct,
            duration_ms=body.duration_ms,
            attempt_id=body.attempt_id or uuid.uuid4(),
            now=utcnow(),
        )
        attempt_id = uuid.UUID(attempt.attempt_id)
    return QuizVerdictOut(
        correct=correct,
        expected=question.expected,
        explanation=question.explanation,
        figure_url=urls.api_demo_image(demo.id, "png", urlencode(query_of(asked.params))),
        attempt_id=attempt_id,
    )
