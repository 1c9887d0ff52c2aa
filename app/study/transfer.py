"""Export and import of a user's progress: settings, card flags and the whole review log.

Card states are not trusted from a file: after an import each touched card is rebuilt by
replaying its review log, so the database still equals the replay of the log.
"""

import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.input_checks import JsonInt
from app.models import CardState, ReviewLog, User
from app.study.scheduling import NEW, Memory
from app.study.settings import StudySettings

FORMAT = "prepdeck-progress"
MAX_REVIEWS = 200_000
CardId = Annotated[str, StringConstraints(min_length=1, max_length=80)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExportedReview(_Strict):
    """One review in an export."""

    review_id: Annotated[str, StringConstraints(min_length=1, max_length=36)]
    card_id: CardId
    deck_id: CardId
    rating: JsonInt = Field(ge=1, le=4)  # true or "3" is not a rating
    reviewed_at: AwareDatetime
    duration_ms: JsonInt | None = Field(default=None, ge=0, le=86_400_000)
    desired_retention: float = Field(ge=0.7, le=0.97)


class ExportedCard(_Strict):
    """One card's flags (its schedule follows from the reviews)."""

    card_id: CardId
    deck_id: CardId
    suspended: bool = False
    buried_until: AwareDatetime | None = None


class Export(_Strict):
    """A user's progress as a file."""

    format: Literal["prepdeck-progress"]
    version: Literal[1]
    exported_at: AwareDatetime
    username: str
    settings: StudySettings
    cards: list[ExportedCard] = Field(max_length=100_000)
    reviews: list[ExportedReview] = Field(max_length=MAX_REVIEWS)


def export_progress(*, session: Session, user: User, now: datetime) -> Export:
    """Return everything of the user's progress."""
    logs = session.scalars(
        select(ReviewLog).where(ReviewLog.user_id == user.id).order_by(ReviewLog.id)
    ).all()
    states = session.scalars(
        select(CardState).where(CardState.user_id == user.id).order_by(CardState.card_id)
    ).all()
    return Export(
        format=FORMAT,
        version=1,
        exported_at=now,
        username=user.username,
        settings=StudySettings.of(user),
        cards=[
            ExportedCard(
                card_id=row.card_id,
                deck_id=row.deck_id,
                suspended=row.suspended,
                buried_until=row.buried_until,
            )
            for row in states
        ],
        reviews=[
            ExportedReview(
                review_id=log.review_id,
                card_id=log.card_id,
                deck_id=log.deck_id,
                rating=log.rating,
                reviewed_at=log.reviewed_at,
                duration_ms=log.duration_ms,
                desired_retention=log.desired_retention,
            )
            for log in logs
        ],
    )


CSV_FIELDS = [
    "review_id",
    "card_id",
    "deck_id",
    "rating",
    "reviewed_at",
    "duration_ms",
    "desired_retention",
]


def reviews_csv(export: Export) -> str:
    """Return the review log as CSV, one review a row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for review in export.reviews:
        row = review.model_dump()
        row["reviewed_at"] = review.reviewed_at.isoformat()
        writer.writerow(row)
    return out.getvalue()


def import_progress(
    *, session: Session, user: User, data: Export, now: datetime
) -> tuple[int, int]:
    """Merge an export into the user's progress; return (reviews added, cards rebuilt).

    Reviews already present (same review_id) are skipped, so importing twice adds nothing.
    """
    known = set(
        session.scalars(select(ReviewLog.review_id).where(ReviewLog.user_id == user.id)).all()
    )
    touched: dict[str, str] = {}
    added = 0
    for review in data.reviews:
        if review.review_id in known:
            continue
        known.add(review.review_id)
        session.add(
            ReviewLog(
                user_id=user.id,
                review_id=review.review_id,
                card_id=review.card_id,
                deck_id=review.deck_id,
                rating=review.rating,
                kind=NEW,
                reviewed_at=review.reviewed_at.astimezone(UTC),
                duration_ms=review.duration_ms,
                desired_retention=review.desired_retention,
            )
        )
        touched[review.card_id] = review.deck_id
        added += 1
    session.flush()
    flags = {card.card_id: card for card in data.cards}
    for card_id in sorted(set(touched) | set(flags)):
        deck_id = touched.get(card_id) or flags[card_id].deck_id
        _rebuild(session, user, card_id, deck_id, flags.get(card_id), now)
    session.commit()
    return added, len(set(touched) | set(flags))


def _rebuild(
    session: Session,
    user: User,
    card_id: str,
    deck_id: str,
    flags: ExportedCard | None,
    now: datetime,
) -> None:
    """Replay a card's whole log into its state, refreshing each row's state_before and kind."""
    logs = session.scalars(
        select(ReviewLog)
        .where(ReviewLog.user_id == user.id, ReviewLog.card_id == card_id)
        .order_by(ReviewLog.reviewed_at, ReviewLog.id)
    ).all()
    memory = Memory.new(now)
    for log in logs:
        log.kind = memory.state
        log.state_before = None if memory.state == NEW else memory.to_json()
        memory = memory.review(
            card_id=card_id,
            rating=log.rating,
            when=log.reviewed_at,
            desired_retention=log.desired_retention,
            duration_ms=log.duration_ms,
        )
    row = session.get(CardState, (user.id, card_id))
    if row is None:
        if not logs and flags is None:
            return
        row = CardState(user_id=user.id, card_id=card_id, deck_id=deck_id, suspended=False)
        session.add(row)
    memory.store(row)
    if flags is not None:
        row.suspended = row.suspended or flags.suspended
        if flags.buried_until and (
            row.buried_until is None or flags.buried_until > row.buried_until
        ):
            row.buried_until = flags.buried_until
