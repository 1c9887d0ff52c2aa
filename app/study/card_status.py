"""One learner's state of one card, as the card page shows it, and the actions it allows."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from app.content.models import Card, Library
from app.models import CardState, User
from app.study.browser import MEMORY_STATES, set_flags
from app.study.day import study_day, zone
from app.study.reviews import set_flag
from app.study.scheduling import NEW, Memory

Action = Literal["bury", "unbury", "suspend", "unsuspend"]
STATE_LABELS = {
    "new": "New",
    "learning": "Learning",
    "review": "Review",
    "relearning": "Relearning",
}
# The flag actions a card page offers, with their button words.
ACTION_LABELS = {
    "bury": "Bury until tomorrow",
    "unbury": "Unbury",
    "suspend": "Suspend",
    "unsuspend": "Unsuspend",
}


@dataclass(frozen=True)
class CardStatus:
    """Where a card stands for one learner: its memory state, its flags and when it is due."""

    card_id: str
    state: str  # new, learning, review or relearning
    suspended: bool
    buried_until: datetime | None  # in the learner's time zone; None unless buried now
    leech: bool
    due: datetime | None  # in the learner's time zone; None for a new card
    due_now: bool  # due by the end of the learner's study day
    timezone: str
    reviews: int
    lapses: int

    @property
    def label(self) -> str:
        """Return the state's name as the page shows it."""
        return STATE_LABELS[self.state]

    @property
    def buried(self) -> bool:
        """Return whether the card is buried now."""
        return self.buried_until is not None

    @property
    def flags(self) -> list[str]:
        """Return the flags set on the card: suspended, buried, leech."""
        names = ("suspended", "buried", "leech")
        return [name for name in names if getattr(self, name)]

    @property
    def actions(self) -> list[str]:
        """Return the flag actions that apply now, in the order the page offers them.

        As in Anki, a card in (re)learning is not buried and a suspended one cannot be.
        """
        if self.suspended:
            return ["unsuspend"]
        if self.buried:
            return ["unbury", "suspend"]
        if self.state in ("learning", "relearning"):
            return ["suspend"]
        return ["bury", "suspend"]

    @property
    def studiable(self) -> bool:
        """Return whether studying this card alone shows it today (new, or due today)."""
        return not self.suspended and not self.buried and (self.state == "new" or self.due_now)


def card_status(*, session: Session, user: User, card: Card, now: datetime) -> CardStatus:
    """Return the learner's state of a card (a card never studied is new, with no flags)."""
    row = session.get(CardState, (user.id, card.id))
    memory = Memory.of(row) if row is not None else Memory.new(now)
    tz = zone(user.timezone)
    buried_until = row.buried_until if row is not None else None
    if buried_until is not None and buried_until <= now:
        buried_until = None
    fresh = memory.state == NEW
    day = study_day(now, user.timezone, user.day_starts_at)
    return CardStatus(
        card_id=card.id,
        state=MEMORY_STATES[memory.state],
        suspended=bool(row and row.suspended),
        buried_until=buried_until.astimezone(tz) if buried_until is not None else None,
        leech=bool(row and row.leech),
        due=None if fresh else memory.due.astimezone(tz),
        due_now=not fresh and memory.due < day.end,
        timezone=user.timezone,
        reviews=memory.reps,
        lapses=memory.lapses,
    )


def change_flag(
    *, session: Session, user: User, library: Library, card_id: str, action: Action, now: datetime
) -> None:
    """Bury, unbury, suspend or unsuspend one card with the study page's and the card
    browser's own code; a refused change (burying a card in learning or a suspended one, or
    during an import of the user's progress) raises Conflict and changes nothing."""
    if action == "unbury":
        set_flags(
            session=session,
            user=user,
            library=library,
            action="unbury",
            card_ids=[card_id],
            now=now,
        )
    else:
        set_flag(
            session=session, user=user, library=library, card_id=card_id, action=action, now=now
        )
