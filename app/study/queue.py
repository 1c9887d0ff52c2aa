"""What to study now: due learning cards, due reviews, then new cards within today's limits.

Decks with an interview date ahead introduce new cards at their plan's pace and, in the last
days before it, put the weakest reviews first (see plan.py).
"""

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import cast

from sqlalchemy import Date, Table, bindparam, func, literal_column, null, select, union_all
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from app.content.models import Card, Deck, Difficulty, Library
from app.content.queries import BadFilter
from app.models import CardState, InterviewDate, ReviewLog, User
from app.study.day import Day, study_day
from app.study.plan import DeckPlan, deck_plans, recall_moment, short_warning
from app.study.scheduling import NEW, Memory, StoredState, config_of

LEARN_AHEAD = timedelta(minutes=20)  # as Anki: a learning card this close to due is shown
LEARNING, REVIEW, RELEARNING = 1, 2, 3


MAX_FILTER_CARDS = 40


@dataclass(frozen=True)
class StudyFilter:
    """Which cards to study: all, or one deck, topic or difficulty, or a list of cards.

    A list of cards (a mock interview's cards to revisit) narrows the other filters further.
    """

    deck: str | None = None
    topic: str | None = None
    difficulty: Difficulty | None = None
    cards: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        deck: str | None,
        topic: str | None,
        difficulty: Difficulty | None,
        cards: str | None = None,
    ) -> "StudyFilter":
        """Build a filter from request values, blank ones (a form's "any") meaning no filter.

        cards is a comma-separated list of card ids.
        """
        ids = tuple(
            dict.fromkeys(part.strip() for part in (cards or "").split(",") if part.strip())
        )
        if len(ids) > MAX_FILTER_CARDS:
            raise BadFilter("cards", f"name at most {MAX_FILTER_CARDS} cards, not {len(ids)}")
        return cls(deck=deck or None, topic=topic or None, difficulty=difficulty or None, cards=ids)

    def query(self) -> dict[str, str]:
        """Return the filter as query parameters."""
        pairs = {
            "deck": self.deck,
            "topic": self.topic,
            "difficulty": self.difficulty,
            "cards": ",".join(self.cards),
        }
        return {key: str(value) for key, value in pairs.items() if value}


def eligible_cards(library: Library, study_filter: StudyFilter) -> list[tuple[Deck, Card]]:
    """Return the cards in content that pass the filter, in deck order."""
    decks: Sequence[Deck] = library.decks
    if study_filter.deck is not None:
        deck = library.deck(study_filter.deck)
        if deck is None:
            known = ", ".join(deck.id for deck in library.decks)
            raise BadFilter("deck", f"unknown deck '{study_filter.deck}': use one of {known}")
        decks = [deck]
    if study_filter.topic is not None:
        topics = {topic.id for deck in decks for topic in deck.topics}
        if study_filter.topic not in topics:
            raise BadFilter(
                "topic",
                f"unknown topic '{study_filter.topic}': use one of {', '.join(sorted(topics))}",
            )
    if study_filter.cards:
        card_ids = {card.id for deck in decks for card in deck.cards}
        unknown = [card_id for card_id in study_filter.cards if card_id not in card_ids]
        if unknown:
            raise BadFilter("cards", f"unknown card '{unknown[0]}': name cards of the content")
    chosen = set(study_filter.cards)
    return [
        (deck, card)
        for deck in decks
        for card in deck.cards
        if (study_filter.topic is None or study_filter.topic in card.topics)
        and (study_filter.difficulty is None or card.difficulty == study_filter.difficulty)
        and (not chosen or card.id in chosen)
    ]


@dataclass(frozen=True)
class Counts:
    """Cards left today: new, learning, review."""

    new: int
    learning: int
    review: int


@dataclass(frozen=True)
class QueueItem:
    """A card to study with its scheduling state."""

    deck: Deck
    card: Card
    memory: Memory
    version: int
    kind: str  # new, learning or review


@dataclass
class Queue:
    """Today's queue for one user and filter."""

    day: Day
    counts: Counts
    items: list[QueueItem] = field(default_factory=list)
    next_learning_due: datetime | None = None
    plan_warning: str | None = None  # the interview plan needs more new cards than the limit

    @property
    def next(self) -> QueueItem | None:
        """Return the card to study now, or None."""
        return self.items[0] if self.items else None


# The statements of every study request, built once (building one costs more than running it).
_DONE_SINCE = (
    select(ReviewLog.deck_id, ReviewLog.kind, func.count())
    .where(ReviewLog.user_id == bindparam("user_id"), ReviewLog.reviewed_at >= bindparam("since"))
    .group_by(ReviewLog.deck_id, ReviewLog.kind)
)
# Plain rows, not CardState objects: the ORM's bookkeeping of each loaded object costs more
# than the query, and the queue only reads them.
_CARD_STATES = cast(Table, CardState.__table__)
_STATES = select(_CARD_STATES).where(_CARD_STATES.c.user_id == bindparam("user_id"))
# Today's reviews and the interview dates in one round trip: a date comes as a row of kind -1.
_DONE_AND_DATES = union_all(
    _DONE_SINCE.add_columns(sql_cast(null(), Date)),
    select(
        InterviewDate.deck_id, literal_column("-1"), literal_column("0"), InterviewDate.date
    ).where(InterviewDate.user_id == bindparam("user_id")),
)


def done_today_by_deck(session: Session, user: User, day: Day) -> dict[tuple[str, int], int]:
    """Return how many reviews the user made today, by deck and kind of card (0 new .. 3)."""
    rows = session.execute(_DONE_SINCE, {"user_id": user.id, "since": day.start}).all()
    return {(deck_id, int(kind)): int(count) for deck_id, kind, count in rows}


def done_today(session: Session, user: User, day: Day) -> dict[int, int]:
    """Return how many reviews the user made today, by the kind of card (0 new .. 3)."""
    totals: Counter[int] = Counter()
    for (_deck_id, kind), count in done_today_by_deck(session, user, day).items():
        totals[kind] += count
    return dict(totals)


def done_today_and_dates(
    session: Session, user: User, day: Day
) -> tuple[dict[tuple[str, int], int], dict[str, date]]:
    """Return done_today_by_deck and the user's interview dates by deck id (see load_dates)."""
    done: dict[tuple[str, int], int] = {}
    dates: dict[str, date] = {}
    for deck_id, kind, count, day_of in session.execute(
        _DONE_AND_DATES, {"user_id": user.id, "since": day.start}
    ):
        if kind == -1:
            dates[deck_id] = day_of
        else:
            done[(deck_id, int(kind))] = int(count)
    return done, dates


def user_states(session: Session, user: User) -> dict[str, StoredState]:
    """Return the user's card states by card id, as read-only rows.

    Run on the session's connection, after a flush of what the session holds (as the ORM's
    autoflush would): the ORM's path costs more than the query.
    """
    session.flush()
    rows = session.connection().execute(_STATES, {"user_id": user.id})
    return {row.card_id: cast(StoredState, row) for row in rows}


def build_queue(
    *,
    session: Session,
    user: User,
    library: Library,
    study_filter: StudyFilter,
    now: datetime,
) -> Queue:
    """Return what the user studies next and how much is left today."""
    day = study_day(now, user.timezone, user.day_starts_at)
    by_deck, dates = done_today_and_dates(session, user, day)
    done: Counter[int] = Counter()
    for (_deck_id, done_kind), count in by_deck.items():
        done[done_kind] += count
    new_left = max(0, user.new_per_day - done.get(NEW, 0))
    reviews_left = max(0, user.reviews_per_day - done.get(REVIEW, 0))
    states = user_states(session, user)
    plans = (
        {
            plan.deck.id: plan
            for plan in deck_plans(
                library=library,
                dates=dates,
                states=states,
                new_today={deck_id: n for (deck_id, of), n in by_deck.items() if of == NEW},
                today=day.date,
                limit=user.new_per_day,
            )
            if plan.active
        }
        if dates
        else {}
    )
    planned_new: list[QueueItem] = []
    planned_left = {deck_id: plan.new_left_today for deck_id, plan in plans.items()}
    new: list[QueueItem] = []
    learning: list[QueueItem] = []
    reviews: list[QueueItem] = []
    for deck, card in eligible_cards(library, study_filter):
        row = states.get(card.id)
        if row is not None and (
            row.suspended or (row.buried_until is not None and row.buried_until > now)
        ):
            continue
        if row is None or row.state == NEW:
            item = QueueItem(deck, card, Memory.new(now), row.version if row else 0, "new")
            if deck.id not in plans:
                new.append(item)
            elif planned_left[deck.id] > 0:  # a dated deck: at its planned pace
                planned_left[deck.id] -= 1
                planned_new.append(item)
        elif row.due < day.end:
            kind = "review" if row.state == REVIEW else "learning"
            item = QueueItem(deck, card, Memory.of(row), row.version, kind)
            (reviews if kind == "review" else learning).append(item)
    new = planned_new + new
    learning.sort(key=lambda item: item.memory.due)
    reviews.sort(key=review_order(plans, user.timezone, config_of(user).parameters))
    # Learning cards due now go first; those due within LEARN_AHEAD only when nothing else
    # is left, as Anki does, so a card failed a moment ago is not shown straight back.
    due_now = [item for item in learning if item.memory.due <= now]
    ahead = [item for item in learning if now < item.memory.due <= now + LEARN_AHEAD]
    later = [item.memory.due for item in learning if item.memory.due > now + LEARN_AHEAD]
    return Queue(
        day=day,
        counts=Counts(
            new=min(len(new), new_left),
            learning=len(learning),
            review=min(len(reviews), reviews_left),
        ),
        items=due_now + reviews[:reviews_left] + new[:new_left] + ahead,
        next_learning_due=min(later) if later else None,
        plan_warning=short_warning(list(plans.values()), user.new_per_day),
    )


def review_order(
    plans: dict[str, DeckPlan], timezone: str, parameters: tuple[float, ...] | None = None
) -> Callable[[QueueItem], tuple[int, float]]:
    """Return the sort key of due reviews: most overdue first, except in a dated deck's last
    days, whose reviews come first, lowest predicted recall on the date first.
    """
    final = {
        deck_id: recall_moment(plan.interview_date, timezone)
        for deck_id, plan in plans.items()
        if plan.final_days and plan.interview_date is not None
    }

    def key(item: QueueItem) -> tuple[int, float]:
        moment = final.get(item.deck.id)
        if moment is None:
            return (1, item.memory.due.timestamp())
        return (0, item.memory.retrievability(moment, parameters))

    return key


def practice_card(
    library: Library, study_filter: StudyFilter, after: str | None
) -> tuple[Deck, Card] | None:
    """Return the card after `after` in deck order (wrapping), for practice that is not graded."""
    cards = eligible_cards(library, study_filter)
    if not cards:
        return None
    ids = [card.id for _deck, card in cards]
    index = ids.index(after) + 1 if after in ids else 0
    return cards[index % len(cards)]
