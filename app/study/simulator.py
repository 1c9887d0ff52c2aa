"""What a desired retention costs: expected reviews and minutes a day, simulated with FSRS.

fsrs-rs-python's simulator learns a deck of new cards over LEARN_SPAN days under the user's
limits and counts the reviews and seconds each day takes. One run of a small deck is noisy,
so each retention averages runs over fixed seeds (as many as keep the simulated cards near
SIMULATED_CARDS): the same inputs give the same curve. The simulator starts from new cards
only (its Python binding takes no existing card states), so the curve is what the whole
library costs from scratch with this user's parameters, limits and answer times.
"""

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from statistics import fmean

import fsrs_rs_python
from fsrs.scheduler import LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.content.models import Library
from app.models import ReviewLog, User
from app.study.scheduling import parse_parameters

# Denser near the top, where each step of retention costs the most.
RETENTIONS = (0.70, 0.75, 0.80, 0.85, 0.88, 0.90, 0.92, 0.94, 0.95, 0.96, 0.97)
LEARN_SPAN = 365  # days simulated
SIMULATED_CARDS = 1280  # cards simulated per retention, over as many seeds as that takes
MAX_SEEDS = 64
MIN_TIMED = 3  # timed answers of one (state, rating) before their mean replaces the default
MAX_ANSWER_MS = 600_000  # a longer answer is a pause, not a review
MAX_COST_PER_DAY = 86_400.0  # seconds: no cap of the simulator's own; the limits bind first
_STATE_ROWS = {0: 0, 1: 0, 2: 1, 3: 2}  # review log kind -> learning, review, relearning


@dataclass(frozen=True)
class RetentionPoint:
    """What one desired retention costs: reviews and minutes a day, averaged over the span."""

    retention: float
    reviews_per_day: float
    minutes_per_day: float


@dataclass(frozen=True)
class SimulationInput:
    """Everything a simulation depends on (hashable: the cache's key)."""

    parameters: tuple[float, ...]
    deck_size: int
    learn_limit: int
    review_limit: int
    max_interval: int
    costs: tuple[tuple[float, ...], ...]  # seconds per rating, for learning, review, relearning
    current: float


@dataclass(frozen=True)
class RetentionCurve:
    """The points from 0.70 to 0.97 and the user's own desired retention."""

    points: tuple[RetentionPoint, ...]
    current: RetentionPoint
    deck_size: int
    days: int


def parameters_of(user: User) -> tuple[float, ...]:
    """Return the user's FSRS parameters (their stored list, or the defaults if none or bad).

    A list the simulator cannot take (not numbers, the wrong length, or a value outside
    FSRS's bounds, on which it would abort) counts as none.
    """
    stored = parse_parameters(user.fsrs_parameters)  # the scheduler's own check
    if stored is not None:
        filled = fsrs_rs_python.check_and_fill_parameters(list(stored))
        if _within_bounds(filled):
            return tuple(filled)
    return tuple(fsrs_rs_python.DEFAULT_PARAMETERS)


def _within_bounds(parameters: list[float]) -> bool:
    lower, upper = LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS
    return len(parameters) == len(lower) and all(
        # The simulator's float32 puts 0.8 a hair above 0.8: a little slack.
        low - 1e-6 <= value <= high + 1e-6
        for value, low, high in zip(parameters, lower, upper, strict=True)
    )


def default_costs() -> tuple[tuple[float, ...], ...]:
    """Return the simulator's default seconds per rating for learning, review, relearning."""
    config = fsrs_rs_python.default_simulator_config()
    return tuple(tuple(round(cost, 2) for cost in row) for row in config.state_rating_costs)


def costs_of(session: Session, user: User) -> tuple[tuple[float, ...], ...]:
    """Return seconds per rating for each state: the user's mean answer time where known.

    One aggregate query; a (state, rating) with fewer than MIN_TIMED timed answers keeps
    the default.
    """
    rows = session.execute(
        select(
            ReviewLog.kind,
            ReviewLog.rating,
            func.avg(ReviewLog.duration_ms),
            func.count(ReviewLog.duration_ms),
        )
        .where(
            ReviewLog.user_id == user.id,
            ReviewLog.duration_ms.is_not(None),
            ReviewLog.duration_ms > 0,
            ReviewLog.duration_ms <= MAX_ANSWER_MS,
        )
        .group_by(ReviewLog.kind, ReviewLog.rating)
    ).all()
    costs = [list(row) for row in default_costs()]
    timed: dict[tuple[int, int], tuple[float, int]] = {}
    for kind, rating, mean, count in rows:
        key = (_STATE_ROWS.get(int(kind), -1), int(rating))
        if key[0] < 0 or not 1 <= key[1] <= 4:
            continue
        total, seen = timed.get(key, (0.0, 0))
        timed[key] = (total + float(mean) * int(count), seen + int(count))
    for (row, rating), (total, count) in timed.items():
        if count >= MIN_TIMED:
            costs[row][rating - 1] = round(total / count / 1000, 2)
    return tuple(tuple(row) for row in costs)


def simulation_input(session: Session, user: User, library: Library) -> SimulationInput:
    """Gather what the user's simulation depends on: parameters, limits, answer times."""
    return SimulationInput(
        parameters=parameters_of(user),
        deck_size=sum(len(deck.cards) for deck in library.decks),
        learn_limit=user.new_per_day,
        review_limit=user.reviews_per_day,
        max_interval=user.maximum_interval,
        costs=costs_of(session, user),
        current=round(user.desired_retention, 2),
    )


def _config(given: SimulationInput) -> fsrs_rs_python.SimulatorConfig:
    config = fsrs_rs_python.default_simulator_config()
    config.deck_size = given.deck_size
    config.learn_span = LEARN_SPAN
    config.learn_limit = given.learn_limit
    config.review_limit = given.review_limit
    config.max_ivl = float(given.max_interval)
    config.max_cost_perday = MAX_COST_PER_DAY
    config.state_rating_costs = [list(row) for row in given.costs]
    return config


def seeds_for(deck_size: int) -> int:
    """Return how many runs to average: enough for about SIMULATED_CARDS cards, 1 to 64."""
    return max(1, min(MAX_SEEDS, math.ceil(SIMULATED_CARDS / max(1, deck_size))))


def _point(
    given: SimulationInput, config: fsrs_rs_python.SimulatorConfig, retention: float
) -> RetentionPoint:
    if given.deck_size == 0:
        return RetentionPoint(retention, 0.0, 0.0)
    reviews: list[float] = []
    seconds: list[float] = []
    for seed in range(seeds_for(given.deck_size)):
        result = fsrs_rs_python.simulate(list(given.parameters), retention, config, seed)
        reviews.append(sum(result.review_cnt_per_day) / LEARN_SPAN)
        seconds.append(sum(result.cost_per_day) / LEARN_SPAN)
    return RetentionPoint(
        retention=retention,
        reviews_per_day=round(fmean(reviews), 3),
        minutes_per_day=round(fmean(seconds) / 60, 3),
    )


def simulate_curve(given: SimulationInput) -> RetentionCurve:
    """Simulate every retention of RETENTIONS and the user's own (pure; no cache)."""
    config = _config(given)
    points = tuple(_point(given, config, retention) for retention in RETENTIONS)
    by_retention = {point.retention: point for point in points}
    current = by_retention.get(given.current) or _point(given, config, given.current)
    return RetentionCurve(
        points=points, current=current, deck_size=given.deck_size, days=LEARN_SPAN
    )


class CurveCache:
    """Simulated curves by their input (bounded LRU), one simulation at a time."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[SimulationInput, RetentionCurve] = OrderedDict()
        self._lock = threading.Lock()
        self._simulating = threading.Lock()
        self.simulations = 0

    def _cached(self, given: SimulationInput) -> RetentionCurve | None:
        with self._lock:
            found = self._entries.get(given)
            if found is not None:
                self._entries.move_to_end(given)
            return found

    def curve(self, given: SimulationInput) -> RetentionCurve:
        """Return the curve for these inputs, simulating it only if no one has."""
        found = self._cached(given)
        if found is not None:
            return found
        with self._simulating:
            found = self._cached(given)
            if found is not None:
                return found
            curve = simulate_curve(given)
            self.simulations += 1
            with self._lock:
                self._entries[given] = curve
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
            return curve


CURVES = CurveCache()


def retention_curve(session: Session, user: User, library: Library) -> RetentionCurve:
    """Return the user's curve: from the cache, or simulated (call it off the event loop)."""
    return CURVES.curve(simulation_input(session, user, library))


def describe(curve: RetentionCurve) -> str:
    """State the numbers at the user's desired retention in one sentence (the chart's alt)."""
    current = curve.current
    return (
        f"Expected reviews and minutes a day against desired retention, 0.70 to 0.97, over "
        f"{curve.days} days of {curve.deck_size} cards. At your desired retention of "
        f"{current.retention:.2f}: {current.reviews_per_day:.2f} reviews and "
        f"{current.minutes_per_day:.2f} minutes a day."
    )
