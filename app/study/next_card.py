"""The card to study next, with what each grade would do to it: one answer for page and API."""

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy.orm import Session

from app.content.models import Card, Deck, Library
from app.models import User
from app.study.queue import Counts, QueueItem, StudyFilter, build_queue, practice_card
from app.study.scheduling import RATINGS, SchedulerConfig, config_of, format_interval


@dataclass(frozen=True)
class RatingPreview:
    """What one rating would do: the next interval (as text and in seconds) and the due time."""

    rating: int
    name: str
    interval: str
    seconds: int
    due: datetime


@dataclass(frozen=True)
class NextCard:
    """The card to show (None when nothing is due or left to practise) and today's counts.

    item is the queue's entry (version, kind) of a graded card; a practice card has none.
    """

    day: date
    counts: Counts
    practice: bool
    next_learning_due: datetime | None
    deck: Deck | None = None
    card: Card | None = None
    item: QueueItem | None = None
    previews: tuple[RatingPreview, ...] = ()
    plan_warning: str | None = None


def rating_previews(
    item: QueueItem, desired_retention: float, now: datetime, config: SchedulerConfig
) -> tuple[RatingPreview, ...]:
    """Return what each rating would do to the item's card, from again to easy: what a
    review now under config would do."""
    intervals = item.memory.previews(
        card_id=item.card.id, when=now, desired_retention=desired_retention, config=config
    )
    return tuple(
        RatingPreview(
            rating=rating,
            name=name,
            interval=format_interval(intervals[name]),
            seconds=int(intervals[name].total_seconds()),
            due=now + intervals[name],
        )
        for rating, name in RATINGS.items()
    )


def next_card(
    *,
    session: Session,
    user: User,
    library: Library,
    study_filter: StudyFilter,
    now: datetime,
    practice: bool = False,
    after: str | None = None,
) -> NextCard:
    """Return the next due card with its previews, or the practice card after `after`."""
    queue = build_queue(
        session=session, user=user, library=library, study_filter=study_filter, now=now
    )
    base = NextCard(
        day=queue.day.date,
        counts=queue.counts,
        practice=practice,
        next_learning_due=queue.next_learning_due,
        plan_warning=queue.plan_warning,
    )
    if practice:
        found = practice_card(library, study_filter, after)
        if found is None:
            return base
        return replace(base, deck=found[0], card=found[1])
    item = queue.next
    if item is None:
        return base
    previews = rating_previews(item, user.desired_retention, now, config_of(user))
    return replace(base, deck=item.deck, card=item.card, item=item, previews=previews)
