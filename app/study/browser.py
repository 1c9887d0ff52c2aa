"""The card browser: every card with the learner's state, and the actions on a selection."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.content.models import Card, Deck, Difficulty, Library
from app.content.queries import BadFilter, CardFilter, filter_cards
from app.exceptions import AppError
from app.models import CardState, User
from app.study.day import zone
from app.study.reviews import commit_flags, set_flag
from app.study.scheduling import NEW, Memory, config_of

State = Literal["new", "learning", "review", "relearning", "suspended", "buried", "leech"]
Sort = Literal["order", "due", "stability", "difficulty", "retrievability", "lapses", "reviews"]
Order = Literal["asc", "desc"]
Action = Literal["suspend", "unsuspend", "unbury", "reset"]
STATES: tuple[str, ...] = get_args(State)
SORTS: tuple[str, ...] = get_args(Sort)
ACTIONS: tuple[str, ...] = get_args(Action)
MEMORY_STATES = ("new", "learning", "review", "relearning")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_OFFSET = 100_000
MAX_SELECTION = 200


class UnknownCards(AppError):
    """A selection naming cards the content does not have, or too many; nothing was changed."""

    status = 422

    def __init__(self, message: str, card_ids: list[str] | None = None) -> None:
        self.card_ids = card_ids or []
        super().__init__(message)

    def json_detail(self) -> list[dict[str, object]]:
        """Return the error as FastAPI lists a body's invalid fields."""
        return [
            {
                "loc": ["body", "card_ids"],
                "msg": str(self),
                "type": "value_error",
                "input": self.card_ids,
            }
        ]

    def page_lines(self) -> list[str]:
        """Return the error, led by the field's name."""
        return [f"card_ids: {self}"]


@dataclass(frozen=True)
class BrowseQuery:
    """What the learner asked to see: filters, text, sort order and page."""

    deck: str | None = None
    state: State | None = None
    topic: str | None = None
    difficulty: Difficulty | None = None
    text: str = ""
    sort: Sort = "order"
    order: Order = "asc"
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def query(self, **changes: object) -> dict[str, object]:
        """Return the query parameters of this view (blank and default ones left out)."""
        values: dict[str, object] = {
            "deck": self.deck,
            "state": self.state,
            "topic": self.topic,
            "difficulty": self.difficulty.value if self.difficulty else None,
            "q": self.text,
            "sort": None if self.sort == "order" else self.sort,
            "order": None if self.order == "asc" else self.order,
            "limit": None if self.limit == DEFAULT_LIMIT else self.limit,
            "offset": self.offset or None,
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value not in (None, "")}


@dataclass(frozen=True)
class CardRow:
    """One card with the learner's state of it."""

    deck: Deck
    card: Card
    position: int  # the card's place in the library: decks in order, cards in deck order
    state: str  # new, learning, review or relearning
    suspended: bool
    buried: bool
    buried_until: datetime | None
    leech: bool
    due: datetime | None  # in the learner's time zone; None for a new card
    stability: float | None
    difficulty: float | None
    retrievability: float | None  # None for a new card
    lapses: int
    reviews: int

    @property
    def flags(self) -> list[str]:
        """Return the flags set on the card: suspended, buried, leech."""
        names = ("suspended", "buried", "leech")
        return [name for name in names if getattr(self, name)]


@dataclass(frozen=True)
class BrowsePage:
    """One page of the cards that match a query, and how many match in all."""

    rows: list[CardRow]
    total: int
    query: BrowseQuery


def _row_of(
    deck: Deck, card: Card, position: int, row: CardState | None, now: datetime, user: User
) -> CardRow:
    memory = Memory.of(row) if row is not None else Memory.new(now)
    fresh = memory.state == NEW
    buried_until = row.buried_until if row is not None else None
    return CardRow(
        deck=deck,
        card=card,
        position=position,
        state=MEMORY_STATES[memory.state],
        suspended=bool(row and row.suspended),
        buried=buried_until is not None and buried_until > now,
        buried_until=buried_until,
        leech=bool(row and row.leech),
        due=None if fresh else memory.due.astimezone(zone(user.timezone)),
        stability=memory.stability,
        difficulty=memory.difficulty,
        retrievability=None if fresh else memory.retrievability(now, config_of(user).parameters),
        lapses=memory.lapses,
        reviews=memory.reps,
    )


def _matches(row: CardRow, state: State | None) -> bool:
    if state is None:
        return True
    if state in MEMORY_STATES:
        return row.state == state
    return bool(getattr(row, state))


def _selected_cards(library: Library, query: BrowseQuery) -> list[tuple[Deck, Card, int]]:
    """Return the cards that pass the content filters (deck, topic, difficulty, text)."""
    decks = list(library.decks)
    if query.deck is not None:
        deck = library.deck(query.deck)
        if deck is None:
            known = ", ".join(deck.id for deck in library.decks)
            raise BadFilter("deck", f"unknown deck '{query.deck}': use one of {known}")
        decks = [deck]
    if query.topic is not None:
        with_topic = [deck for deck in decks if query.topic in {t.id for t in deck.topics}]
        if not with_topic:
            known = ", ".join(sorted({t.id for deck in decks for t in deck.topics}))
            raise BadFilter("topic", f"unknown topic '{query.topic}': use one of {known}")
        decks = with_topic
    card_filter = CardFilter.of(query.difficulty, query.topic, query.text)
    positions = {
        card.id: index for index, card in enumerate(c for d in library.decks for c in d.cards)
    }
    return [
        (deck, card, positions[card.id])
        for deck in decks
        for card in filter_cards(deck, card_filter)
    ]


def _sort_key(sort: Sort, row: CardRow) -> float:
    if sort == "due":
        return row.due.timestamp() if row.due is not None else float("nan")
    if sort == "reviews":
        return row.reviews
    if sort == "lapses":
        return row.lapses
    value = getattr(row, sort)
    return float("nan") if value is None else float(value)


def _sorted(rows: list[CardRow], sort: Sort, order: Order) -> list[CardRow]:
    """Return rows sorted; cards without the value (new cards) last either way, in card order."""
    by_order = sorted(rows, key=lambda row: row.position)
    if sort == "order":
        return by_order[::-1] if order == "desc" else by_order
    keyed = [(_sort_key(sort, row), row) for row in by_order]
    known = [(key, row) for key, row in keyed if key == key]  # NaN: no value
    unknown = [row for key, row in keyed if key != key]
    known.sort(key=lambda pair: pair[0], reverse=order == "desc")  # stable: card order kept
    return [row for _key, row in known] + unknown


def browse(
    *, session: Session, user: User, library: Library, query: BrowseQuery, now: datetime
) -> BrowsePage:
    """Return the page of cards a query asks for, with the learner's state of each."""
    selected = _selected_cards(library, query)
    states = {
        row.card_id: row
        for row in session.scalars(select(CardState).where(CardState.user_id == user.id))
    }
    rows = [
        _row_of(deck, card, position, states.get(card.id), now, user)
        for deck, card, position in selected
    ]
    rows = [row for row in rows if _matches(row, query.state)]
    rows = _sorted(rows, query.sort, query.order)
    return BrowsePage(
        rows=rows[query.offset : query.offset + query.limit], total=len(rows), query=query
    )


def check_selection(library: Library, card_ids: list[str]) -> list[str]:
    """Return the selection without repeats, or raise UnknownCards naming the unknown ids."""
    unique = list(dict.fromkeys(card_ids))
    if not unique:
        raise UnknownCards("select at least one card")
    if len(unique) > MAX_SELECTION:
        raise UnknownCards(f"select at most {MAX_SELECTION} cards at once (got {len(unique)})")
    known = {card.id for deck in library.decks for card in deck.cards}
    unknown = [card_id for card_id in unique if card_id not in known]
    if unknown:
        raise UnknownCards(
            f"unknown card{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}; "
            "nothing was changed",
            unknown,
        )
    return unique


def set_flags(
    *,
    session: Session,
    user: User,
    library: Library,
    action: Literal["suspend", "unsuspend", "unbury"],
    card_ids: list[str],
    now: datetime,
) -> list[str]:
    """Suspend, unsuspend or unbury the selected cards in one transaction; return their ids."""
    selected = check_selection(library, card_ids)
    if action == "unbury":
        rows = session.scalars(
            select(CardState).where(CardState.user_id == user.id, CardState.card_id.in_(selected))
        ).all()
        for row in rows:
            row.buried_until = None
    else:
        for card_id in selected:
            set_flag(
                session=session,
                user=user,
                library=library,
                card_id=card_id,
                action=action,
                now=now,
                commit=False,
            )
    commit_flags(session, user, "A card changed meanwhile; nothing was changed. Try again.")
    return selected
