"""FSRS scheduling through the fsrs package: seeded fuzz, previews, and replay of a review log.

The fsrs package draws its interval fuzz from the module-level ``random()``. We route that
to a generator seeded from (card id, review count) so that a review, its preview, and a
replay of the log all give the very same interval.
"""

import hashlib
import json
import math
import random
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol

import fsrs
import fsrs.scheduler

from app.models import CardState, User
from app.study.day import local_day, start_of, zone

NEW = 0  # a card never reviewed (fsrs.State starts at 1)
_fuzz: ContextVar[random.Random | None] = ContextVar("prepdeck_fsrs_fuzz", default=None)


def _seeded_random() -> float:
    rng = _fuzz.get()
    return rng.random() if rng is not None else random.random()  # noqa: S311 (fuzz, not secrets)


fsrs.scheduler.random = _seeded_random  # type: ignore[attr-defined]


LEARNING_STEPS = (60, 600)  # seconds: fsrs's defaults, 1m and 10m
RELEARNING_STEPS = (600,)  # 10m
DAY_SECONDS = 86_400
LEGACY_RULES = 1  # the fsrs package as it is: default parameters, no Anki extras
ANKI_RULES = 2  # Anki's learning steps, day boundary, interval order and maximum interval


@lru_cache(maxsize=256)
def scheduler(
    desired_retention: float,
    parameters: tuple[float, ...] | None = None,
    maximum_interval: int = 36500,
    learning_steps: tuple[int, ...] = LEARNING_STEPS,
    relearning_steps: tuple[int, ...] = RELEARNING_STEPS,
) -> fsrs.Scheduler:
    """Return the FSRS-6 scheduler for a desired retention, parameters (None: the defaults),
    maximum interval (days) and learning and relearning steps (seconds).

    Raise ValueError for parameters fsrs does not accept (wrong count, out of bounds).
    """
    return fsrs.Scheduler(
        parameters=parameters if parameters is not None else fsrs.scheduler.DEFAULT_PARAMETERS,
        desired_retention=desired_retention,
        learning_steps=tuple(timedelta(seconds=step) for step in learning_steps),
        relearning_steps=tuple(timedelta(seconds=step) for step in relearning_steps),
        maximum_interval=maximum_interval,
        enable_fuzzing=True,
    )


@dataclass(frozen=True)
class SchedulerConfig:
    """Everything besides desired retention that decides what a review does to a card.

    Each review log row names the configuration it was recorded under, so a replay gives
    the same state after the parameters or settings changed. rules 1 (LEGACY) is the fsrs
    package alone, with its default parameters and maximum interval; rules 2 adds Anki's
    rules (see Memory.review). Steps are in seconds.
    """

    parameters: tuple[float, ...] | None
    maximum_interval: int
    timezone: str
    day_starts_at: int
    rules: int
    learning_steps: tuple[int, ...] = LEARNING_STEPS
    relearning_steps: tuple[int, ...] = RELEARNING_STEPS

    def to_json(self) -> str:
        """Return the canonical JSON of this configuration (sorted keys, no spaces)."""
        data = {
            "parameters": list(self.parameters) if self.parameters is not None else None,
            "maximum_interval": self.maximum_interval,
            "timezone": self.timezone,
            "day_starts_at": self.day_starts_at,
            "rules": self.rules,
            "learning_steps": list(self.learning_steps),
            "relearning_steps": list(self.relearning_steps),
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @property
    def config_hash(self) -> str:
        """Return the SHA-256 of the canonical JSON: the configuration's key."""
        return _hash_of(self.to_json())

    @classmethod
    def from_json(cls, text: str) -> "SchedulerConfig":
        """Read a configuration written by to_json."""
        data = json.loads(text)
        parameters = data["parameters"]
        return cls(
            parameters=tuple(float(p) for p in parameters) if parameters is not None else None,
            maximum_interval=int(data["maximum_interval"]),
            timezone=str(data["timezone"]),
            day_starts_at=int(data["day_starts_at"]),
            rules=int(data["rules"]),
            learning_steps=tuple(int(s) for s in data["learning_steps"]),
            relearning_steps=tuple(int(s) for s in data["relearning_steps"]),
        )

    def fsrs(self, desired_retention: float) -> fsrs.Scheduler:
        """Return the fsrs scheduler of this configuration at a desired retention."""
        return scheduler(
            desired_retention,
            self.parameters,
            self.maximum_interval,
            self.learning_steps,
            self.relearning_steps,
        )


@lru_cache(maxsize=1024)
def _hash_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


LEGACY = SchedulerConfig(
    parameters=None, maximum_interval=36500, timezone="UTC", day_starts_at=4, rules=LEGACY_RULES
)


@lru_cache(maxsize=256)
def parse_parameters(text: str | None) -> tuple[float, ...] | None:
    """Return the FSRS parameters stored as a JSON list, or None (the defaults) when there
    are none or fsrs does not accept them (wrong count, out of bounds, not numbers)."""
    if text is None:
        return None
    try:
        data = json.loads(text)
        if not isinstance(data, list) or not all(
            type(value) in (int, float) and math.isfinite(value) for value in data
        ):
            return None
        parameters = tuple(float(value) for value in data)
        scheduler(0.9, parameters)  # fsrs's own check of count and bounds
    except (ValueError, RecursionError):
        return None
    return parameters


def config_of(user: User) -> SchedulerConfig:
    """Return the scheduler configuration in force for the user now."""
    return _config(user.fsrs_parameters, user.maximum_interval, user.timezone, user.day_starts_at)


@lru_cache(maxsize=1024)
def _config(
    parameters: str | None, maximum_interval: int, timezone: str, day_starts_at: int
) -> SchedulerConfig:
    return SchedulerConfig(
        parameters=parse_parameters(parameters),
        maximum_interval=maximum_interval,
        timezone=timezone,
        day_starts_at=day_starts_at,
        rules=ANKI_RULES,
    )


def fuzz_seed(card_id: str, reps: int) -> int:
    """Return the fuzz seed of a card's review number reps (0 for its first review)."""
    return int.from_bytes(hashlib.sha256(f"{card_id}:{reps}".encode()).digest()[:8], "big")


class StoredState(Protocol):
    """A card's stored state: a CardState, or a row of the card_states table read without the
    ORM (which costs more than the query where a user has many cards)."""

    @property
    def card_id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def buried_until(self) -> datetime | None: ...
    @property
    def suspended(self) -> bool: ...
    @property
    def leech(self) -> bool: ...
    @property
    def state(self) -> int: ...
    @property
    def step(self) -> int | None: ...
    @property
    def stability(self) -> float | None: ...
    @property
    def difficulty(self) -> float | None: ...
    @property
    def due(self) -> datetime: ...
    @property
    def last_review(self) -> datetime | None: ...
    @property
    def reps(self) -> int: ...
    @property
    def lapses(self) -> int: ...


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
    def of(cls, row: StoredState) -> "Memory":
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

    def retrievability(self, now: datetime, parameters: tuple[float, ...] | None = None) -> float:
        """Return the predicted chance of recall now (0 for a card never reviewed), with the
        forgetting curve (its decay, w[20]) of the given parameters (None: the defaults)."""
        if self.state == NEW:
            return 0.0
        return float(scheduler(0.9, parameters).get_card_retrievability(self._fsrs_card(), now))

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
        config: SchedulerConfig = LEGACY,
    ) -> "Memory":
        """Return the state after a review with this rating (1 again .. 4 easy) at when.

        Under the LEGACY rules the fsrs package decides everything. Under the Anki rules fsrs
        updates the memory (stability, difficulty, state, step) and the due time follows
        Anki: see _anki_due.
        """
        card = fsrs.Card(card_id=0, due=when) if self.state == NEW else self._fsrs_card()
        when = when.astimezone(UTC)
        seed = fuzz_seed(card_id, self.reps)
        if config.rules == LEGACY_RULES:
            token = _fuzz.set(random.Random(seed))  # noqa: S311
            try:
                after, _log = scheduler(desired_retention).review_card(
                    card, fsrs.Rating(rating), when, duration_ms
                )
            finally:
                _fuzz.reset(token)
            due = after.due
        else:
            after = _fsrs_after(self, rating, when, desired_retention, config)
            due = _anki_due(self, after, rating, when, seed, config, desired_retention)
        lapse = self.state == fsrs.State.Review and rating == fsrs.Rating.Again
        return Memory(
            state=int(after.state),
            step=after.step,
            stability=after.stability,
            difficulty=after.difficulty,
            due=due,
            last_review=after.last_review,
            reps=self.reps + 1,
            lapses=self.lapses + int(lapse),
        )

    def previews(
        self,
        *,
        card_id: str,
        when: datetime,
        desired_retention: float,
        config: SchedulerConfig = LEGACY,
    ) -> dict[str, timedelta]:
        """Return the interval each rating would give, without changing anything."""
        return {
            name: self.review(
                card_id=card_id,
                rating=rating,
                when=when,
                desired_retention=desired_retention,
                config=config,
            ).due
            - when
            for rating, name in RATINGS.items()
        }


RATINGS = {1: "again", 2: "hard", 3: "good", 4: "easy"}


@lru_cache(maxsize=256)
def _fsrs_after(
    memory: Memory, rating: int, when: datetime, desired_retention: float, config: SchedulerConfig
) -> fsrs.Card:
    """Return fsrs's card after a review (its due unused): kept a while, since a review's
    previews and its siblings' intervals ask for the same few (do not change the result)."""
    card = fsrs.Card(card_id=0, due=when) if memory.state == NEW else memory._fsrs_card()
    token = _fuzz.set(_NO_FUZZ)
    try:
        after, _log = config.fsrs(desired_retention).review_card(card, fsrs.Rating(rating), when)
    finally:
        _fuzz.reset(token)
    return after


class _MiddleOfRange(random.Random):
    """fsrs's fuzz source for the Anki rules, which fuzz on their own: fsrs's draw unused."""

    def random(self) -> float:
        return 0.5


_NO_FUZZ = _MiddleOfRange()


def _anki_due(
    before: Memory,
    after: fsrs.Card,
    rating: int,
    when: datetime,
    seed: int,
    config: SchedulerConfig,
    desired_retention: float,
) -> datetime:
    """Return when the card is due after this review under Anki's rules.

    A card still in (re)learning waits its step (learning_delay), made whole days when it
    crosses the learner's day boundary (interday). A card in review gets Anki's fuzzed
    interval, ordered hard <= good < easy (review_days).
    """
    if after.state in (fsrs.State.Learning, fsrs.State.Relearning):
        steps = (
            config.learning_steps if after.state == fsrs.State.Learning else config.relearning_steps
        )
        assert after.step is not None
        delay = learning_delay(steps, after.step, rating)
        return interday(when, delay, config.timezone, config.day_starts_at)
    fuzz = random.Random(seed).random()  # noqa: S311 (fuzz, not secrets)

    def interval(rating: int) -> float:
        stability = _fsrs_after(before, rating, when, desired_retention, config).stability
        assert stability is not None
        return raw_interval(config.fsrs(desired_retention), stability)

    if before.state == fsrs.State.Review:
        assert before.last_review is not None
        scheduled = max(0, _round((before.due - before.last_review).total_seconds() / DAY_SECONDS))
        days = review_days(
            {r: interval(r) for r in (2, 3, 4)}, scheduled, fuzz, config.maximum_interval
        )[rating]
    else:
        days = graduating_days(interval(rating), interval(3), rating, fuzz, config.maximum_interval)
    return when + timedelta(days=days)


def _round(value: float) -> int:
    """Round half away from zero, as Rust's f32::round (Python's round() goes to even)."""
    return math.floor(value + 0.5) if value >= 0 else -math.floor(-value + 0.5)


def raw_interval(fsrs_scheduler: fsrs.Scheduler, stability: float) -> float:
    """Return FSRS's interval in days for a stability, unrounded (Anki rounds and fuzzes it)."""
    decay = -fsrs_scheduler.parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    return float(stability / factor * (fsrs_scheduler.desired_retention ** (1 / decay) - 1))


def maybe_round_in_days(secs: int) -> int:
    """Anki: a delay of more than a day is rounded to whole days."""
    if secs > DAY_SECONDS:
        return _round(secs / DAY_SECONDS) * DAY_SECONDS
    return secs


def learning_delay(steps: tuple[int, ...], step: int, rating: int) -> int:
    """Return the delay in seconds of a (re)learning card now at index step after rating.

    Again goes back to the first step, Good on to the next; Hard repeats the current step,
    except on the first step, where it waits the average of the first two steps, or with a
    single step 1.5 times it but at most a day more (Anki's steps.rs).
    """
    index = min(step, len(steps) - 1)
    if rating == fsrs.Rating.Hard and index == 0:
        first = steps[0]
        if len(steps) >= 2:
            return maybe_round_in_days((first + steps[1]) // 2)
        return maybe_round_in_days(min(first * 3 // 2, first + DAY_SECONDS))
    return steps[index]


def interday(when: datetime, delay: int, timezone: str, day_starts_at: int) -> datetime:
    """Return when a (re)learning step of delay seconds from when falls due.

    Anki (IntervalKind::maybe_as_days): a step at least as long as the time left in the
    learner's day becomes whole days, (delay - left) // 86400 + 1, and is due at the start
    of the day it lands on; a shorter step is due delay seconds from now.
    """
    today = local_day(when, timezone, day_starts_at)
    tz = zone(timezone)
    end = start_of(today + timedelta(days=1), tz, day_starts_at)
    left = int((end - when).total_seconds())
    if delay < left:
        return when + timedelta(seconds=delay)
    days = (delay - left) // DAY_SECONDS + 1
    return start_of(today + timedelta(days=days), tz, day_starts_at)


def fuzz_bounds(interval: float, minimum: int, maximum: int) -> tuple[int, int]:
    """Anki's constrained_fuzz_bounds: the fuzz range of an interval within [minimum, maximum]."""
    minimum = min(minimum, maximum)
    interval = min(max(interval, minimum), maximum)
    delta = 0.0
    if interval >= 2.5:
        delta = 1.0
        for start, end, factor in ((2.5, 7.0, 0.15), (7.0, 20.0, 0.1), (20.0, math.inf, 0.05)):
            delta += factor * max(min(interval, end) - start, 0.0)
    lower = min(max(_round(interval - delta), minimum), maximum)
    upper = min(max(_round(interval + delta), minimum), maximum)
    if upper == lower and upper > 2 and upper < maximum:
        upper = lower + 1
    return lower, upper


def with_fuzz(fuzz: float, interval: float, minimum: int, maximum: int) -> int:
    """Anki's with_review_fuzz: a day in the fuzz range, picked by fuzz in [0, 1)."""
    maximum = max(maximum, 1)
    minimum = min(max(minimum, 1), maximum)
    lower, upper = fuzz_bounds(interval, minimum, maximum)
    return math.floor(lower + fuzz * (1 + upper - lower))


def _minimum_fuzz_interval(interval: float, previous: int, maximum: int) -> int:
    """Anki's minimum_review_fuzz_interval: fuzz does not shorten an interval that grew."""
    _lower, upper = fuzz_bounds(interval, 1, maximum)
    if _round(interval) > previous:
        return previous + 1
    if previous <= upper:
        return previous
    return 0


def review_days(
    intervals: dict[int, float], previous: int, fuzz: float, maximum: int
) -> dict[int, int]:
    """Return the days of hard, good and easy for a card in review (Anki's
    passing_fsrs_review_intervals): each fuzzed with the same draw, good at least a day
    more than hard and easy at least a day more than good, all within the maximum."""
    hard = with_fuzz(
        fuzz, intervals[2], max(_minimum_fuzz_interval(intervals[2], previous, maximum), 1), maximum
    )
    good = with_fuzz(
        fuzz,
        intervals[3],
        max(_minimum_fuzz_interval(intervals[3], previous, maximum), hard + 1),
        maximum,
    )
    easy = with_fuzz(
        fuzz,
        intervals[4],
        max(_minimum_fuzz_interval(intervals[4], previous, maximum), good + 1),
        maximum,
    )
    return {2: hard, 3: good, 4: easy}


def graduating_days(interval: float, good: float, rating: int, fuzz: float, maximum: int) -> int:
    """Return the days of a (re)learning card that leaves its steps (Anki's learning.rs):
    its fuzzed interval; Easy at least a day more than Good's fuzzed interval."""
    minimum = 1
    if rating == fsrs.Rating.Easy:
        minimum = with_fuzz(fuzz, good, 1, maximum) + 1
    return with_fuzz(fuzz, max(_round(interval), 1), minimum, maximum)


@dataclass(frozen=True)
class LoggedReview:
    """What replay needs of one review-log row (config: the one it was recorded under)."""

    rating: int
    reviewed_at: datetime
    desired_retention: float
    duration_ms: int | None
    config: SchedulerConfig = LEGACY


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
            config=review.config,
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
