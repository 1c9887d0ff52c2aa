"""FSRS scheduling through the fsrs package: seeded fuzz, previews, and replay of a review log.

The fsrs package draws its interval fuzz from the module-level ``random()``. We route that
to a generator seeded from (card id, review count) so that a review, its preview, and a
replay of the log all give the very same interval.
"""

import hashlib
import json
import random
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import fsrs
import fsrs.scheduler

from app.models import CardState

NEW = 0  # a card never reviewed (fsrs.State starts at 1)
_fuzz: ContextVar[random.Random | None] = ContextVar("prepdeck_fsrs_fuzz", default=None)


def _seeded_random() -> float:
    rng = _fuzz.get()
    return rng.random() if rng is not None else random.random()  # noqa: S311 (fuzz, not secrets)


fsrs.scheduler.random = _seeded_random  # type: ignore[attr-defined]


@lru_cache(maxsize=64)
def scheduler(desired_retention: float) -> fsrs.Scheduler:
    """Return the FSRS-6 scheduler for a desired retention (default parameters)."""
    return fsrs.Scheduler(desired_retention=desired_retention, enable_fuzzing=True)


def fuzz_seed(card_id: str, reps: int) -> int:
    """Return the fuzz seed of a card's review number reps (0 for its first review)."""
    return int.from_bytes(hashlib.sha256(f"{card_id}:{reps}".encode()).digest()[:8], "big")


@dataclass(frozen=True)
class Memory:
    """The scheduling state of one card, as fsrs sees it, plus the review counters."""

    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None
    reps: int
    lapses: int

    @classmethod
    def new(cls, now: datetime) -> "Memory":
        """Return the state of a card never reviewed."""
        return cls(NEW, None, None, None, now, None, 0, 0)

    @classmethod
    def of(cls, row: CardState) -> "Memory":
        """Read the state of a database row."""
        return cls(
            row.state,
            row.step,
            row.stability,
            row.difficulty,
            row.due,
            row.last_review,
            row.reps,
            row.lapses,
        )

    def store(self, row: CardState) -> None:
        """Write this state into a database row."""
        row.state = self.state
        row.step = self.step
        row.stability = self.stability
        row.difficulty = self.difficulty
        row.due = self.due
        row.last_review = self.last_review
        row.reps = self.reps
        row.lapses = self.lapses

    def to_json(self) -> str:
        """Serialize, for the review log's state_before."""
        data: dict[str, Any] = dict(self.__dict__)
        data["due"] = self.due.isoformat()
        data["last_review"] = self.last_review.isoformat() if self.last_review else None
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Memory":
        """Read a state written by to_json."""
        data = json.loads(text)
        data["due"] = datetime.fromisoformat(data["due"]).astimezone(UTC)
        if data["last_review"]:
            data["last_review"] = datetime.fromisoformat(data["last_review"]).astimezone(UTC)
        return cls(**data)

    def retrievability(self, now: datetime) -> float:
        """Return the predicted chance of recall now (0 for a card never reviewed)."""
        if self.state == NEW:
            return 0.0
        return float(scheduler(0.9).get_card_retrievability(self._fsrs_card(), now))

    def _fsrs_card(self) -> fsrs.Card:
        return fsrs.Card(
            card_id=0,
            state=fsrs.State(self.state),
            step=self.step,
            stability=self.stability,
            difficulty=self.difficulty,
            due=self.due,
            last_review=self.last_review,
        )

    def review(
        self,
        *,
        card_id: str,
        rating: int,
        when: datetime,
        desired_retention: float,
        duration_ms: int | None = None,
    ) -> "Memory":
        """Return the state after a review with this rating (1 again .. 4 easy) at when."""
        card = fsrs.Card(card_id=0, due=when) if self.state == NEW else self._fsrs_card()
        token = _fuzz.set(random.Random(fuzz_seed(card_id, self.reps)))  # noqa: S311
        try:
            after, _log = scheduler(desired_retention).review_card(
                card, fsrs.Rating(rating), when.astimezone(UTC), duration_ms
            )
        finally:
            _fuzz.reset(token)
        lapse = self.state == fsrs.State.Review and rating == fsrs.Rating.Again
        return Memory(
            state=int(after.state),
            step=after.step,
            stability=after.stability,
            difficulty=after.difficulty,
            due=after.due,
            last_review=after.last_review,
            reps=self.reps + 1,
            lapses=self.lapses + int(lapse),
        )

    def previews(
        self, *, card_id: str, when: datetime, desired_retention: float
    ) -> dict[str, timedelta]:
        """Return the interval each rating would give, without changing anything."""
        return {
            name: self.review(
                card_id=card_id, rating=rating, when=when, desired_retention=desired_retention
            ).due
            - when
            for rating, name in RATINGS.items()
        }


RATINGS = {1: "again", 2: "hard", 3: "good", 4: "easy"}


@dataclass(frozen=True)
class LoggedReview:
    """What replay needs of one review-log row."""

    rating: int
    reviewed_at: datetime
    desired_retention: float
    duration_ms: int | None


def replay(card_id: str, reviews: Iterable[LoggedReview], now: datetime) -> Memory:
    """Return the state that a card's review log, in order, leads to through fsrs."""
    memory = Memory.new(now)
    for review in reviews:
        memory = memory.review(
            card_id=card_id,
            rating=review.rating,
            when=review.reviewed_at,
            desired_retention=review.desired_retention,
            duration_ms=review.duration_ms,
        )
    return memory


def format_interval(interval: timedelta) -> str:
    """Format an interval as Anki shows it: 1m, 10m, 3h, 4d, 2.1mo, 1.3y."""
    seconds = max(0, interval.total_seconds())
    minutes = seconds / 60
    if minutes < 60:
        return f"{max(1, round(minutes))}m"
    hours = minutes / 60
    if hours < 24:
        return f"{round(hours)}h"
    days = hours / 24
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo"
    return f"{days / 365:.1f}y"
