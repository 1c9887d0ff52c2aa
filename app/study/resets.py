"""Reset cards' progress, keeping what was removed so the reset can be undone exactly.

A reset moves each card's card_states row and all its review_logs rows into a card_resets
row as JSON, every mapped column included, then deletes them: the cards are new again and the
log still replays to the stored states. Undo puts the rows back as they were (same ids).
"""

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import CursorResult, TypeDecorator, delete, insert, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.content.models import Library
from app.models import Base, CardReset, CardState, ReviewLog, User
from app.study.browser import check_selection
from app.study.reviews import Conflict, StudyError, refuse_during_import
from app.study.scheduling import NEW


class UnknownReset(StudyError):
    """No reset of that id for this user."""

    status = 404


@dataclass(frozen=True)
class ResetResult:
    """A reset (or its undo): its id, the cards it covers, and those that had progress."""

    reset_id: str
    card_ids: list[str]
    reviews: int
    at: datetime


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _columns(model: type[Base]) -> list[Any]:
    return list(inspect(model).columns)


def row_data(model: type[Base], row: Base) -> dict[str, Any]:
    """Return every mapped column of a row as JSON-ready values."""
    return {column.key: _encode(getattr(row, column.key)) for column in _columns(model)}


def _python_type(column: Any) -> Any:
    kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    try:
        found = kind.python_type
    except NotImplementedError:
        return object
    return found


def _decode(model: type[Base], data: dict[str, Any]) -> dict[str, Any]:
    """Return the column values of data for an INSERT, dates read back; unknown keys dropped."""
    values: dict[str, Any] = {}
    for column in _columns(model):
        if column.key not in data:
            continue
        value = data[column.key]
        kind = _python_type(column)
        if value is not None and kind is datetime:
            value = datetime.fromisoformat(value)
        elif value is not None and kind is date:
            value = date.fromisoformat(value)
        values[column.key] = value
    return values


def reset_cards(
    *, session: Session, user: User, library: Library, card_ids: list[str], now: datetime
) -> ResetResult:
    """Make the selected cards new, in one transaction; the result's reset_id undoes it."""
    selected = check_selection(library, card_ids)
    reset_id = str(uuid.uuid4())
    reset = CardReset(user_id=user.id, reset_id=reset_id, created_at=now, payload="")
    session.add(reset)
    # Written first: from here this transaction holds SQLite's write lock, so nothing changes
    # the rows between reading and deleting them (PostgreSQL: the rows are locked below).
    session.flush()
    refuse_during_import(session, user)
    states = session.scalars(
        select(CardState)
        .where(CardState.user_id == user.id, CardState.card_id.in_(selected))
        .with_for_update()
    ).all()
    logs = session.scalars(
        select(ReviewLog)
        .where(ReviewLog.user_id == user.id, ReviewLog.card_id.in_(selected))
        .order_by(ReviewLog.id)
        .with_for_update()
    ).all()
    reset.payload = json.dumps(
        {
            "card_ids": selected,
            "card_states": [row_data(CardState, row) for row in states],
            "review_logs": [row_data(ReviewLog, row) for row in logs],
        },
        sort_keys=True,
    )
    session.flush()
    # Exactly the rows saved: a review another request adds meanwhile is never lost unsaved.
    session.execute(delete(ReviewLog).where(ReviewLog.id.in_([log.id for log in logs])))
    for row in states:
        session.delete(row)
    try:
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise Conflict("A card changed meanwhile; nothing was reset. Try again.") from exc
    return ResetResult(reset_id=reset_id, card_ids=selected, reviews=len(logs), at=now)


def find_reset(session: Session, user: User, reset_id: str) -> CardReset:
    """Return the user's reset of that id, or raise UnknownReset."""
    reset = session.scalar(
        select(CardReset).where(CardReset.user_id == user.id, CardReset.reset_id == reset_id)
    )
    if reset is None:
        raise UnknownReset(f"There is no reset {reset_id} of your cards.")
    return reset


STUDIED_SINCE = (
    "Cannot undo this reset: {cards} studied since; undoing would overwrite the newer "
    "reviews. Nothing was changed."
)


def undo_reset(*, session: Session, user: User, reset_id: str, now: datetime) -> ResetResult:
    """Put back the rows a reset removed, exactly; refuse (409) if undone or studied since."""
    reset = find_reset(session, user, reset_id)
    if reset.undone_at is not None:
        raise Conflict(f"Reset {reset_id} was undone already; nothing was changed.")
    payload = json.loads(reset.payload)
    card_ids: list[str] = payload["card_ids"]
    studied = session.scalars(
        select(ReviewLog.card_id)
        .where(ReviewLog.user_id == user.id, ReviewLog.card_id.in_(card_ids))
        .distinct()
    ).all()
    reviewed = session.scalars(
        select(CardState.card_id).where(
            CardState.user_id == user.id,
            CardState.card_id.in_(card_ids),
            CardState.state != NEW,
        )
    ).all()
    newer = sorted({*studied, *reviewed})
    if newer:
        cards = ", ".join(newer)
        raise Conflict(STUDIED_SINCE.format(cards=f"card{'s' if len(newer) > 1 else ''} {cards}"))
    # Claim the reset: of two undos at once, one marks it and the other changes nothing.
    claimed = session.execute(
        update(CardReset)
        .where(CardReset.id == reset.id, CardReset.undone_at.is_(None))
        .values(undone_at=now)
    )
    assert isinstance(claimed, CursorResult)  # an UPDATE's result is one
    if claimed.rowcount != 1:
        session.rollback()
        raise Conflict(f"Reset {reset_id} was undone meanwhile; nothing more was changed.")
    refuse_during_import(session, user)
    # A row made since only to bury or suspend the new card gives way to the one saved.
    session.execute(
        delete(CardState).where(CardState.user_id == user.id, CardState.card_id.in_(card_ids))
    )
    states = [_decode(CardState, data) for data in payload["card_states"]]
    logs = [_decode(ReviewLog, data) for data in payload["review_logs"]]
    if states:
        session.execute(insert(Base.metadata.tables["card_states"]), states)
    if logs:
        session.execute(insert(Base.metadata.tables["review_logs"]), logs)
    session.commit()
    session.expire_all()
    return ResetResult(reset_id=reset_id, card_ids=card_ids, reviews=len(logs), at=now)


def reset_size(reset: CardReset) -> int:
    """Return how many cards a reset covers."""
    return len(json.loads(reset.payload)["card_ids"])
