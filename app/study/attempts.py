"""Record a learner's answers to the demos' questions (idempotent), list them, seed the next one."""

import hashlib
import json
import math
import uuid
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.content.models import Card
from app.figures.questions import Asked
from app.models import QuizAttempt, User
from app.study.reviews import Conflict, StudyError, refuse_during_import

MAX_ANSWER_LENGTH = 40
MAX_DURATION_MS = 86_400_000
MAX_SEED = 2**31 - 1


class AttemptConflict(Conflict):
    """An attempt_id sent again with other content than the attempt stored under it."""


class InvalidAttempt(StudyError):
    """An attempt whose answer or duration is out of bounds."""

    status = 422


def answer_text(answer: str | float) -> str:
    """Return an answer as stored: a letter or a number's text, without surrounding space."""
    if not isinstance(answer, str):
        if not math.isfinite(answer):
            raise InvalidAttempt("answer: send a finite number.")
        answer = repr(float(answer))
    text = answer.strip()
    if not 1 <= len(text) <= MAX_ANSWER_LENGTH:
        raise InvalidAttempt(f"answer: send 1 to {MAX_ANSWER_LENGTH} characters.")
    if not text.isprintable():
        raise InvalidAttempt("answer: send printable characters only.")
    return text


def attempt_key(attempt_id: uuid.UUID | str) -> str:
    """Return an attempt_id as stored: the UUID in lower case, with hyphens."""
    try:
        return str(attempt_id if isinstance(attempt_id, uuid.UUID) else uuid.UUID(attempt_id))
    except ValueError:
        raise InvalidAttempt(f"attempt_id: not a UUID; send one such as {uuid.uuid4()}.") from None


def _check_duration(duration_ms: int | None) -> None:
    if duration_ms is None:
        return
    if isinstance(duration_ms, bool) or not isinstance(duration_ms, int):
        raise InvalidAttempt("duration_ms: send a whole number of milliseconds.")
    if not 0 <= duration_ms <= MAX_DURATION_MS:
        raise InvalidAttempt(f"duration_ms: send 0 to {MAX_DURATION_MS} (one day).")


_BY_ATTEMPT_ID = select(QuizAttempt).where(
    QuizAttempt.user_id == bindparam("user_id"), QuizAttempt.attempt_id == bindparam("attempt_id")
)


def _stored(session: Session, user: User, attempt_id: str) -> QuizAttempt | None:
    return session.scalar(_BY_ATTEMPT_ID, {"user_id": user.id, "attempt_id": attempt_id})


def _same(stored: QuizAttempt, sent: QuizAttempt) -> QuizAttempt:
    """Return the stored attempt when sent repeats it, or raise AttemptConflict."""
    fields = ("card_id", "seed", "answer", "duration_ms")
    if any(getattr(stored, name) != getattr(sent, name) for name in fields):
        raise AttemptConflict(
            f"attempt_id {stored.attempt_id} was already used for another answer (card "
            f"'{stored.card_id}', seed {stored.seed}, answer '{stored.answer}'): "
            "send a new attempt_id."
        )
    return stored


def record_attempt(
    *,
    session: Session,
    user: User,
    card: Card,
    asked: Asked,
    answer: str | float,
    correct: bool,
    duration_ms: int | None,
    attempt_id: uuid.UUID | str,
    now: datetime,
) -> QuizAttempt:
    """Store one answer to the question asked; the same attempt_id again stores nothing.

    Return the attempt stored under attempt_id. Raise AttemptConflict when that id holds
    another answer, Conflict while an import of the user's progress runs, InvalidAttempt
    for an answer or duration out of bounds.
    """
    key = attempt_key(attempt_id)
    if not 0 <= asked.seed <= MAX_SEED:
        raise InvalidAttempt(f"seed: send 0 to {MAX_SEED}.")
    _check_duration(duration_ms)
    attempt = QuizAttempt(
        user_id=user.id,
        attempt_id=key,
        card_id=card.id,
        demo_id=asked.demo_id,
        kind_id=asked.kind_id,
        seed=asked.seed,
        answer=answer_text(answer),
        correct=bool(correct),
        duration_ms=duration_ms,
        answered_at=now,
    )
    stored = _stored(session, user, key)
    if stored is not None:
        return _same(stored, attempt)
    session.add(attempt)
    try:
        session.flush()
        refuse_during_import(session, user)
        session.commit()
    except IntegrityError:
        # A retry of the same request got there first.
        session.rollback()
        stored = _stored(session, user, key)
        if stored is None:
            raise
        return _same(stored, attempt)
    return attempt


def attempts_of(*, session: Session, user: User, card_id: str | None = None) -> list[QuizAttempt]:
    """Return the user's attempts, of one card when card_id is given, oldest first."""
    query = select(QuizAttempt).where(QuizAttempt.user_id == user.id)
    if card_id is not None:
        query = query.where(QuizAttempt.card_id == card_id)
    return list(session.scalars(query.order_by(QuizAttempt.answered_at, QuizAttempt.id)))


def study_seed(user_id: int, card_id: str, review_count: int) -> int:
    """Return the seed of a card's question at a review: the same review, the same question.

    A hash, not a counter, so that learners (and cards) meet the variants in different orders.
    """
    if review_count < 0:
        raise ValueError(f"review_count {review_count} is negative")
    key = json.dumps([user_id, card_id, review_count]).encode()
    digest = hashlib.blake2b(key, digest_size=8, person=b"prepdeck-quiz").digest()
    return int.from_bytes(digest, "big") & MAX_SEED
