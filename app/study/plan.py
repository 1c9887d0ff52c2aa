"""Interview dates and the plan to meet them: new cards a day, and recall on the date.

A learner sets the date of their interview for one deck, or for all decks (deck id ""); a
deck's own date wins over the date for all decks. The rules:

- Every card of a dated deck is introduced by its finish day: BUFFER_DAYS (2) days before
  the date, so each card gets reviews before it; when the date is closer than that, the day
  before it; when the date is today, today.
- The pace is the new cards a day needed to get there: the deck's cards not yet introduced
  (new, suspended ones left out) plus those introduced today, over the days from today to
  the finish day, rounded up. It is counted from the start of the day, so it holds all day.
- The queue introduces a dated deck's new cards at that pace, never above the user's
  new-cards-a-day limit (that limit stays the total of every deck); decks without a date
  share what is left of it. When the pace needs more than the limit, the queue studies at the
  limit and the plan says so, with how many cards will not be introduced by the finish day.
- In the last FINAL_DAYS (3) days before the date, and on it, the deck's due reviews come
  weakest first: by predicted recall on the date, lowest first.
- Once the date has passed it is ignored: scheduling is as without it.

Predicted recall on the date is FSRS retrievability at noon of that day in the user's
timezone, as if no review came before it (reviews only raise it).
"""

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from app.content.models import Card, Deck, Library
from app.exceptions import AppError
from app.models import CardState, InterviewDate, ReviewLog, User
from app.study.day import study_day, zone
from app.study.scheduling import NEW, Memory, StoredState, config_of

BUFFER_DAYS = 2
FINAL_DAYS = 3
MAX_DAYS_AHEAD = 3 * 365
MAX_DATES = 1000  # in an imported file
ALL_DECKS = ""


class BadInterviewDate(AppError, ValueError):
    """An interview date or deck that cannot be set; names the field and how to mend it."""

    status = 422

    def __init__(self, loc: tuple[str, ...], message: str) -> None:
        self.loc = loc
        super().__init__(message)

    def json_detail(self) -> Any:
        """Return the error as FastAPI lists a request's invalid fields."""
        return [{"loc": list(self.loc), "msg": str(self), "type": "value_error"}]

    def page_lines(self) -> list[str]:
        """Return the error, led by the field's name."""
        return [f"{self.loc[-1]}: {self}"]


# Dates


_DATES = select(InterviewDate.deck_id, InterviewDate.date).where(
    InterviewDate.user_id == bindparam("user_id")
)


def load_dates(session: Session, user: User) -> dict[str, date]:
    """Return the user's interview dates by deck id ("" for all decks)."""
    rows = session.execute(_DATES, {"user_id": user.id}).all()
    return {deck_id: day for deck_id, day in rows}  # noqa: C416 (rows are tuples)


def check_deck(library: Library, deck_id: str | None, loc: tuple[str, ...]) -> str:
    """Return the stored deck id of a deck ("" for None: all decks), or raise naming loc."""
    if deck_id is None or deck_id == ALL_DECKS:
        return ALL_DECKS
    if library.deck(deck_id) is None:
        known = ", ".join(deck.id for deck in library.decks)
        raise BadInterviewDate(loc, f"unknown deck '{deck_id}': use one of {known}, or none")
    return deck_id


def check_date(day: date, today: date, loc: tuple[str, ...]) -> date:
    """Return day if it is today or later, within MAX_DAYS_AHEAD; else raise naming loc."""
    if day < today:
        raise BadInterviewDate(
            loc, f"{day.isoformat()} has passed (today is {today.isoformat()}): pick a later day"
        )
    if (day - today).days > MAX_DAYS_AHEAD:
        latest = today + timedelta(days=MAX_DAYS_AHEAD)
        raise BadInterviewDate(
            loc, f"{day.isoformat()} is too far ahead: pick a day up to {latest.isoformat()}"
        )
    return day


def set_date(
    *,
    session: Session,
    user: User,
    library: Library,
    deck_id: str | None,
    day: date,
    now: datetime,
    loc: tuple[str, ...] = ("body",),
) -> str:
    """Set the user's interview date for a deck (None: all decks); return the stored deck id."""
    stored = check_deck(library, deck_id, (*loc, "deck"))
    today = study_day(now, user.timezone, user.day_starts_at).date
    check_date(day, today, (*loc, "date"))
    row = session.get(InterviewDate, (user.id, stored))
    if row is None:
        session.add(InterviewDate(user_id=user.id, deck_id=stored, date=day))
    else:
        row.date = day
    session.commit()
    return stored


def clear_date(
    *,
    session: Session,
    user: User,
    library: Library,
    deck_id: str | None,
    loc: tuple[str, ...] = ("query",),
) -> None:
    """Remove the user's interview date for a deck (None: all decks); none set is fine."""
    stored = check_deck(library, deck_id, (*loc, "deck"))
    session.execute(
        delete(InterviewDate).where(
            InterviewDate.user_id == user.id, InterviewDate.deck_id == stored
        )
    )
    session.commit()


def merge_dates(
    *, session: Session, user: User, library: Library, dates: list[tuple[str | None, date]]
) -> int:
    """Add imported interview dates (deck None: all decks); return how many were added.

    A date the user has already set for that deck stays, and dates of decks no longer in
    the content are left out.
    """
    have = load_dates(session, user)
    added = 0
    for deck_id, day in dates:
        stored = deck_id or ALL_DECKS
        if stored in have or (stored and library.deck(stored) is None):
            continue
        session.add(InterviewDate(user_id=user.id, deck_id=stored, date=day))
        have[stored] = day
        added += 1
    session.commit()
    return added


# The plan


@dataclass(frozen=True)
class DeckPlan:
    """One deck's plan: its date (None: none set), its cards to introduce, the pace needed.

    own says whether the date is the deck's own or the one for all decks.
    """

    deck: Deck
    interview_date: date | None
    own: bool
    today: date
    cards: int
    to_introduce: int
    introduced_today: int
    limit: int

    @property
    def status(self) -> Literal["none", "planned", "passed"]:
        """Return "none" (no date), "passed" (the date is over) or "planned"."""
        if self.interview_date is None:
            return "none"
        return "passed" if self.interview_date < self.today else "planned"

    @property
    def active(self) -> bool:
        """Return whether the plan steers the queue (a date today or later)."""
        return self.status == "planned"

    @property
    def days_left(self) -> int | None:
        """Return the days from today to the date (0 on the date), or None without one."""
        return (self.interview_date - self.today).days if self.interview_date is not None else None

    @property
    def finish_by(self) -> date | None:
        """Return the day by which every card is to be introduced."""
        if self.interview_date is None:
            return None
        return max(self.today, self.interview_date - timedelta(days=BUFFER_DAYS))

    @property
    def days_to_introduce(self) -> int:
        """Return the study days from today to the finish day, both counted (0 without one)."""
        finish = self.finish_by
        return (finish - self.today).days + 1 if finish is not None and self.active else 0

    @property
    def per_day(self) -> int:
        """Return the new cards a day needed to introduce every card by the finish day."""
        if not self.active or self.to_introduce == 0:
            return 0
        return math.ceil((self.to_introduce + self.introduced_today) / self.days_to_introduce)

    @property
    def pace(self) -> int:
        """Return the new cards a day the queue introduces: the need, at most the limit."""
        return min(self.per_day, self.limit)

    @property
    def new_left_today(self) -> int:
        """Return how many of the deck's new cards the queue may still introduce today."""
        return max(0, self.pace - self.introduced_today)

    @property
    def left_over(self) -> int:
        """Return the cards that, at the limit, will not be introduced by the finish day."""
        if self.per_day <= self.limit:
            return 0
        total = self.to_introduce + self.introduced_today
        return max(0, total - self.limit * self.days_to_introduce)

    @property
    def final_days(self) -> bool:
        """Return whether this is one of the last days before the date, weakest cards first."""
        left = self.days_left
        return self.active and left is not None and left <= FINAL_DAYS

    @property
    def warning(self) -> str | None:
        """Return what to do when the pace needed is above the limit, else None."""
        if self.per_day <= self.limit or self.interview_date is None or self.finish_by is None:
            return None
        cards = "card" if self.left_over == 1 else "cards"
        title = self.deck.short_title or self.deck.title
        return (
            f"{title}: you need {self.per_day} new cards a day to introduce every "
            f"card by {self.finish_by.isoformat()} for your interview on "
            f"{self.interview_date.isoformat()}; your limit is {self.limit}: raise it in "
            f"Settings, or {self.left_over} {cards} will not be introduced by then."
        )


@dataclass(frozen=True)
class CardRecall:
    """A card of a dated deck and its predicted recall on the date (None: not introduced)."""

    deck: Deck
    card: Card
    recall: float | None
    suspended: bool


@dataclass(frozen=True)
class DeckRecall:
    """The expected share of a deck's cards recalled on its date."""

    deck: Deck
    expected: float  # over every card, those not introduced counting 0
    expected_introduced: float | None  # over the introduced cards only
    not_introduced: int


@dataclass(frozen=True)
class Plan:
    """The plan page: every deck's plan, the total pace, recall on the dates."""

    today: date
    limit: int
    dates: dict[str, date]
    decks: list[DeckPlan]
    recalls: list[DeckRecall]
    cards: list[CardRecall]

    @property
    def per_day(self) -> int:
        """Return the new cards a day every dated deck needs together."""
        return sum(plan.per_day for plan in self.decks)

    @property
    def warning(self) -> str | None:
        """Return the warning of the whole plan: a deck's, or the decks' together."""
        warnings = [plan.warning for plan in self.decks if plan.warning]
        if warnings:
            return " ".join(warnings)
        if self.per_day > self.limit:
            return (
                f"Your dated decks need {self.per_day} new cards a day together; your limit "
                f"is {self.limit}: raise it in Settings, or some cards will not be introduced "
                "in time."
            )
        return None

    @property
    def short_warning(self) -> str | None:
        """Return one line for the study page when the plan needs more than the limit."""
        return short_warning(self.decks, self.limit)


def short_warning(plans: list[DeckPlan], limit: int) -> str | None:
    """Return one line for the study page when the dated decks need more than the limit."""
    needed = sum(plan.per_day for plan in plans)
    if needed <= limit:
        return None
    return f"Your interview plan needs {needed} new cards a day; your limit is {limit}."


def deck_plans(
    *,
    library: Library,
    dates: dict[str, date],
    states: Mapping[str, StoredState],
    new_today: dict[str, int],
    today: date,
    limit: int,
) -> list[DeckPlan]:
    """Return every deck's plan from the dates, the card states and today's new cards."""
    plans = []
    for deck in library.decks:
        own = deck.id in dates
        day = dates.get(deck.id, dates.get(ALL_DECKS))
        to_introduce = 0
        for card in deck.cards:
            row = states.get(card.id)
            if row is None or (row.state == NEW and not row.suspended):
                to_introduce += 1
        plans.append(
            DeckPlan(
                deck=deck,
                interview_date=day,
                own=own,
                today=today,
                cards=len(deck.cards),
                to_introduce=to_introduce,
                introduced_today=new_today.get(deck.id, 0),
                limit=limit,
            )
        )
    return plans


def recall_moment(day: date, timezone: str) -> datetime:
    """Return the moment recall is predicted for: noon of day in the user's timezone."""
    return datetime.combine(day, time(12), tzinfo=zone(timezone))


def predicted_recall(
    row: CardState | None, moment: datetime, parameters: tuple[float, ...] | None = None
) -> float | None:
    """Return a card's predicted recall at moment under the FSRS parameters (None: the
    defaults), or None if it was never introduced."""
    if row is None or row.state == NEW:
        return None
    return Memory.of(row).retrievability(moment, parameters)


_STATES = select(CardState).where(CardState.user_id == bindparam("user_id"))
_NEW_SINCE = (
    select(ReviewLog.deck_id, func.count())
    .where(
        ReviewLog.user_id == bindparam("user_id"),
        ReviewLog.reviewed_at >= bindparam("since"),
        ReviewLog.kind == NEW,
    )
    .group_by(ReviewLog.deck_id)
)


def compute_plan(*, session: Session, user: User, library: Library, now: datetime) -> Plan:
    """Gather the plan page: each deck's plan, and predicted recall on the dates."""
    day = study_day(now, user.timezone, user.day_starts_at)
    dates = load_dates(session, user)
    states = {row.card_id: row for row in session.scalars(_STATES, {"user_id": user.id})}
    new_today = Counter(
        {
            deck_id: int(count)
            for deck_id, count in session.execute(
                _NEW_SINCE, {"user_id": user.id, "since": day.start}
            ).all()
        }
    )
    plans = deck_plans(
        library=library,
        dates=dates,
        states=states,
        new_today=new_today,
        today=day.date,
        limit=user.new_per_day,
    )
    parameters = config_of(user).parameters
    recalls = []
    cards = []
    for plan in plans:
        if not plan.active or plan.interview_date is None:
            continue
        moment = recall_moment(plan.interview_date, user.timezone)
        deck_cards = [
            CardRecall(
                plan.deck,
                card,
                predicted_recall(states.get(card.id), moment, parameters),
                bool(states.get(card.id) and states[card.id].suspended),
            )
            for card in plan.deck.cards
        ]
        known = [entry.recall for entry in deck_cards if entry.recall is not None]
        recalls.append(
            DeckRecall(
                deck=plan.deck,
                expected=sum(known) / len(deck_cards) if deck_cards else 0.0,
                expected_introduced=sum(known) / len(known) if known else None,
                not_introduced=len(deck_cards) - len(known),
            )
        )
        cards.extend(deck_cards)
    cards.sort(key=weakest_first)
    return Plan(
        today=day.date,
        limit=user.new_per_day,
        dates=dates,
        decks=plans,
        recalls=recalls,
        cards=cards,
    )


def weakest_first(entry: CardRecall) -> tuple[float, str, int]:
    """Order cards by predicted recall, lowest first; cards not introduced last, in order."""
    recall = entry.recall if entry.recall is not None else 2.0
    return (recall, entry.deck.id, entry.card.number)
