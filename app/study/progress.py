"""A user's progress: cards by state, retention, streak, mastery, predictions, forecast, leeches."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.content.models import Card, Deck, Library
from app.models import ReviewLog, User
from app.study.day import local_day, study_day
from app.study.predictions import Predictions, compute_predictions
from app.study.queue import REVIEW, user_states
from app.study.scheduling import NEW, Memory, config_of

FORECAST_DAYS = 30
CALENDAR_DAYS = 365
STATE_NAMES = {1: "learning", 2: "review", 3: "relearning"}


@dataclass(frozen=True)
class Retention:
    """True retention: the share of reviews of mature-enough (review-state) cards not failed."""

    days: int
    reviews: int
    passed: int

    @property
    def rate(self) -> float | None:
        """Return passed / reviews, or None without reviews."""
        return self.passed / self.reviews if self.reviews else None


@dataclass(frozen=True)
class TopicMastery:
    """Mean predicted recall over a topic's cards (0 for cards never studied)."""

    deck: str
    topic: str
    label: str
    cards: int
    studied: int
    mastery: float


@dataclass(frozen=True)
class Leech:
    """A card tagged a leech: how often it lapsed, and whether it is suspended."""

    deck: Deck
    card: Card
    lapses: int
    suspended: bool


@dataclass(frozen=True)
class Progress:
    """Everything the progress page shows."""

    today: date
    by_state: dict[str, int]
    hidden: int
    reviews_today: int
    retention: tuple[Retention, Retention]
    streak: int
    total_reviews: int
    topics: list[TopicMastery]
    forecast: list[tuple[date, int]]
    calendar: dict[date, int]
    predictions: Predictions
    leeches: list[Leech]


def compute_progress(*, session: Session, user: User, library: Library, now: datetime) -> Progress:
    """Gather the user's progress from their card states and review log."""
    day = study_day(now, user.timezone, user.day_starts_at)
    states = user_states(session, user)
    cards = {card.id: (deck, card) for deck in library.decks for card in deck.cards}
    by_state = Counter({"new": 0, "learning": 0, "review": 0, "relearning": 0, "suspended": 0})
    for card_id in cards:
        row = states.get(card_id)
        if row is not None and row.suspended:
            by_state["suspended"] += 1
        elif row is None or row.state == NEW:
            by_state["new"] += 1
        else:
            by_state[STATE_NAMES[row.state]] += 1
    hidden = sum(1 for card_id in states if card_id not in cards)
    leeches = sorted(
        (
            Leech(*cards[card_id], row.lapses, row.suspended)
            for card_id, row in states.items()
            if row.leech and card_id in cards
        ),
        key=lambda leech: (-leech.lapses, leech.deck.id, leech.card.id),
    )

    since = day.start - timedelta(days=CALENDAR_DAYS)
    logs = session.execute(
        select(ReviewLog.reviewed_at, ReviewLog.kind, ReviewLog.rating).where(
            ReviewLog.user_id == user.id, ReviewLog.reviewed_at >= since
        )
    ).all()
    calendar: Counter[date] = Counter()
    for reviewed_at, _kind, _rating in logs:
        calendar[local_day(reviewed_at, user.timezone, user.day_starts_at)] += 1

    def retention(days: int) -> Retention:
        start = day.start - timedelta(days=days - 1)
        relevant = [rating for at, kind, rating in logs if kind == REVIEW and at >= start]
        return Retention(days, len(relevant), sum(1 for rating in relevant if rating > 1))

    streak = 0
    cursor = day.date if calendar.get(day.date) else day.date - timedelta(days=1)
    while calendar.get(cursor):
        streak += 1
        cursor -= timedelta(days=1)

    parameters = config_of(user).parameters
    recall = {
        card_id: Memory.of(row).retrievability(now, parameters)
        for card_id, row in states.items()
        if row.state != NEW
    }
    topics = []
    for deck in library.decks:
        for topic in deck.topics:
            members = [card for card in deck.cards if topic.id in card.topics]
            recalls = [recall.get(card.id, 0.0) for card in members]
            studied = sum(
                1 for card in members if card.id in states and states[card.id].state != NEW
            )
            topics.append(
                TopicMastery(
                    deck=deck.id,
                    topic=topic.id,
                    label=topic.label,
                    cards=len(members),
                    studied=studied,
                    mastery=sum(recalls) / len(recalls) if recalls else 0.0,
                )
            )

    forecast_counts: Counter[date] = Counter()
    horizon = day.start + timedelta(days=FORECAST_DAYS)
    for card_id, row in states.items():
        if card_id in cards and row.state != NEW and not row.suspended and row.due < horizon:
            due_day = max(day.date, local_day(row.due, user.timezone, user.day_starts_at))
            forecast_counts[due_day] += 1
    forecast = [
        (day.date + timedelta(days=offset), forecast_counts[day.date + timedelta(days=offset)])
        for offset in range(FORECAST_DAYS)
    ]
    total = session.scalar(select(func.count()).where(ReviewLog.user_id == user.id)) or 0
    return Progress(
        today=day.date,
        by_state=dict(by_state),
        hidden=hidden,
        reviews_today=calendar.get(day.date, 0),
        retention=(retention(7), retention(30)),
        streak=streak,
        total_reviews=total,
        topics=topics,
        forecast=forecast,
        calendar=dict(calendar),
        predictions=compute_predictions(
            session=session, user=user, library=library, day=day, recall=recall
        ),
        leeches=leeches,
    )
