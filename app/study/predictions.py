"""How well a learner predicts what the demos show: per week, per topic, per card, and the misses.

Built from the stored answers to the demos' questions (quiz_attempts); the progress page and
the progress API show it beside mastery.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Integer, and_, case, func, select
from sqlalchemy.orm import Session

from app.content.models import Card, Deck, Library
from app.models import QuizAttempt, User
from app.study.day import Day, local_day

WEEKS = 8
RECENT_DAYS = 30
RECENT_ANSWERS = 5
REVISIT = 5


@dataclass(frozen=True)
class Tally:
    """Answers and right answers; rate is None without answers."""

    answered: int = 0
    right: int = 0

    @property
    def rate(self) -> float | None:
        """Return right / answered, or None without answers."""
        return self.right / self.answered if self.answered else None

    @property
    def missed(self) -> int:
        """Return the answers that were wrong."""
        return self.answered - self.right

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(self.answered + other.answered, self.right + other.right)


@dataclass(frozen=True)
class WeekTally:
    """The answers of one week (the learner's weeks start on Monday, in their time zone)."""

    start: date
    tally: Tally


@dataclass(frozen=True)
class TopicTally:
    """A topic's answers: the last RECENT_DAYS days and everything before them."""

    deck: str
    topic: str
    label: str
    recent: Tally
    earlier: Tally

    @property
    def total(self) -> Tally:
        """Return all the topic's answers."""
        return self.recent + self.earlier


@dataclass(frozen=True)
class Outcome:
    """One answer: when, and whether it was right."""

    answered_at: datetime
    right: bool


@dataclass(frozen=True)
class CardTally:
    """A card's answers in all, its last RECENT_ANSWERS outcomes (oldest first), its recall now.

    recall is the card's predicted recall now, None for a card never reviewed.
    """

    deck: Deck
    card: Card
    total: Tally
    last: tuple[Outcome, ...]
    recall: float | None

    @property
    def last_tally(self) -> Tally:
        """Return the tally of the last outcomes."""
        return Tally(len(self.last), sum(1 for outcome in self.last if outcome.right))


@dataclass(frozen=True)
class Predictions:
    """Prediction accuracy overall, by week, by topic and by card; the cards to revisit."""

    total: Tally
    recent: Tally
    weeks: list[WeekTally]
    topics: list[TopicTally]
    cards: list[CardTally]
    revisit: list[CardTally]

    def of_topic(self, deck_id: str, topic_id: str) -> TopicTally:
        """Return a topic's tally."""
        return next(t for t in self.topics if (t.deck, t.topic) == (deck_id, topic_id))


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _card_totals(session: Session, user: User) -> dict[str, Tally]:
    right = func.sum(case((QuizAttempt.correct, 1), else_=0)).cast(Integer)
    rows = session.execute(
        select(QuizAttempt.card_id, func.count(), right)
        .where(QuizAttempt.user_id == user.id)
        .group_by(QuizAttempt.card_id)
    ).all()
    return {card_id: Tally(count, int(right or 0)) for card_id, count, right in rows}


def _last_outcomes(session: Session, user: User) -> dict[str, list[Outcome]]:
    """Return each card's last RECENT_ANSWERS outcomes, oldest first."""
    rank = (
        func.row_number()
        .over(
            partition_by=QuizAttempt.card_id,
            order_by=(QuizAttempt.answered_at.desc(), QuizAttempt.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        select(QuizAttempt.card_id, QuizAttempt.answered_at, QuizAttempt.correct, rank)
        .where(QuizAttempt.user_id == user.id)
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.card_id, ranked.c.answered_at, ranked.c.correct)
        .where(ranked.c.rank <= RECENT_ANSWERS)
        .order_by(ranked.c.card_id, ranked.c.rank.desc())
    ).all()
    outcomes: dict[str, list[Outcome]] = defaultdict(list)
    for card_id, answered_at, correct in rows:
        outcomes[card_id].append(Outcome(answered_at, bool(correct)))
    return outcomes


def _revisit_order(tally: CardTally) -> tuple[float, int, float]:
    """Most missed of the last answers first, then most missed in all, then latest answered."""
    last = tally.last_tally
    return (
        -last.missed / last.answered,
        -tally.total.missed,
        -tally.last[-1].answered_at.timestamp(),
    )


def compute_predictions(
    *, session: Session, user: User, library: Library, day: Day, recall: Mapping[str, float]
) -> Predictions:
    """Gather the user's prediction accuracy as of the study day given.

    recall holds the predicted recall now of each card the user has reviewed.
    """
    weeks_start = _week_start(day.date) - timedelta(weeks=WEEKS - 1)
    recent_start = day.start - timedelta(days=RECENT_DAYS - 1)
    # A day more than the weeks span, for a change of daylight saving time between.
    since = min(recent_start, day.start - timedelta(days=(day.date - weeks_start).days + 1))
    rows = session.execute(
        select(QuizAttempt.card_id, QuizAttempt.answered_at, QuizAttempt.correct).where(
            and_(QuizAttempt.user_id == user.id, QuizAttempt.answered_at >= since)
        )
    ).all()
    by_week: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    recent_by_card: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for card_id, answered_at, correct in rows:
        week = _week_start(local_day(answered_at, user.timezone, user.day_starts_at))
        if week >= weeks_start:
            by_week[week][0] += 1
            by_week[week][1] += bool(correct)
        if answered_at >= recent_start:
            recent_by_card[card_id][0] += 1
            recent_by_card[card_id][1] += bool(correct)
    weeks = [
        WeekTally(start, Tally(*by_week.get(start, (0, 0))))
        for start in (weeks_start + timedelta(weeks=k) for k in range(WEEKS))
    ]

    totals = _card_totals(session, user)
    last = _last_outcomes(session, user)
    cards: list[CardTally] = []
    topic_tallies: dict[tuple[str, str], tuple[Tally, Tally]] = {}
    for deck in library.decks:
        for topic in deck.topics:
            topic_tallies[(deck.id, topic.id)] = (Tally(), Tally())
        for card in deck.cards:
            total = totals.get(card.id)
            if total is None:
                continue
            recent = Tally(*recent_by_card.get(card.id, (0, 0)))
            earlier = Tally(total.answered - recent.answered, total.right - recent.right)
            for topic_id in card.topics:
                key = (deck.id, topic_id)
                if key in topic_tallies:
                    was_recent, was_earlier = topic_tallies[key]
                    topic_tallies[key] = (was_recent + recent, was_earlier + earlier)
            cards.append(
                CardTally(deck, card, total, tuple(last.get(card.id, ())), recall.get(card.id))
            )
    topics = [
        TopicTally(deck.id, topic.id, topic.label, *topic_tallies[(deck.id, topic.id)])
        for deck in library.decks
        for topic in deck.topics
    ]
    failing = [tally for tally in cards if tally.last and tally.last_tally.missed]
    revisit = sorted(failing, key=_revisit_order)[:REVISIT]
    return Predictions(
        total=sum((tally for tally in totals.values()), Tally()),
        recent=sum((Tally(*counts) for counts in recent_by_card.values()), Tally()),
        weeks=weeks,
        topics=topics,
        cards=cards,
        revisit=revisit,
    )
