"""Fitting a user's FSRS parameters to their review log with fsrs-rs-python (no PyTorch).

The review log becomes training items as fsrs-rs-python's examples/train_csv.py makes them:
per card, its reviews from the start of its last learning block (a reset card starts over),
each with the number of study days since the card's previous review; every review on a later
study day than the one before ends one item, the card's history up to and including it.

This module is pure computation on plain data, so it can run in another process: `fit_reviews`
takes the rows and returns a `FitResult`; the queue around it is in `fit_jobs.py`.
"""

import math
import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import fsrs
from fsrs.scheduler import (
    DEFAULT_PARAMETERS,
    LOWER_BOUNDS_PARAMETERS,
    UPPER_BOUNDS_PARAMETERS,
)
from fsrs_rs_python import FSRS, FSRSItem, FSRSReview, TrainingConfig

from app.study.day import local_day
from app.study.scheduling import parse_parameters

# fsrs-rs returns the default parameters for fewer than 8 training items and fits only the
# four initial stabilities for fewer than 64 (training.rs, compute_parameters): a fit of every
# parameter needs at least this many items, each one review on a later day than the last.
MINIMUM_ITEMS = 64
PARAMETER_COUNT = len(DEFAULT_PARAMETERS)  # FSRS-6: 21
DECIMALS = 4  # as Anki shows them; also brings f32 noise such as 0.80000001 back in bounds

QUARTER_HOUR = 15 * 60  # seconds

# Kinds (the card's state before a review) that belong to a learning block.
_LEARNING_KINDS = (0, 1)


@dataclass(frozen=True)
class Review:
    """One row of the review log, as the fit needs it."""

    card_id: str
    reviewed_at: datetime
    rating: int
    kind: int


@dataclass(frozen=True)
class Training:
    """How long to train: fsrs-rs's defaults unless a caller (a test) wants a quicker fit."""

    epochs: int = 5
    batch_size: int = 512


@dataclass(frozen=True)
class FitResult:
    """The outcome of one fit: too few items, or both parameter sets measured on the history."""

    items: int
    needed: int = 0  # items still missing when too few
    parameters: list[float] = field(default_factory=list)
    current_log_loss: float | None = None
    current_rmse: float | None = None
    fitted_log_loss: float | None = None
    fitted_rmse: float | None = None
    pid: int = 0  # the process that computed it

    @property
    def too_few(self) -> bool:
        """Whether there was not enough history to fit."""
        return self.needed > 0

    @property
    def better(self) -> bool:
        """Whether the fitted parameters predict the history better (lower log loss)."""
        if self.fitted_log_loss is None or self.current_log_loss is None:
            return False
        return self.fitted_log_loss < self.current_log_loss


def parameters_in_force(stored: str | None) -> list[float]:
    """Return the parameters a user's stored JSON list names, or fsrs's defaults for null
    (or for a list the scheduler would not take either: it schedules with the defaults)."""
    return list(parse_parameters(stored) or DEFAULT_PARAMETERS)


def valid_parameters(values: Sequence[float]) -> list[float]:
    """Round fitted parameters, keep them within fsrs's bounds, and check fsrs accepts them.

    Raise ValueError when they cannot be used (wrong count, not finite).
    """
    if len(values) != PARAMETER_COUNT:
        raise ValueError(f"the fit returned {len(values)} parameters, not {PARAMETER_COUNT}")
    if not all(math.isfinite(value) for value in values):
        raise ValueError("the fit returned a parameter that is not a finite number")
    rounded = [
        min(max(round(float(value), DECIMALS), low), high)
        for value, low, high in zip(
            values, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True
        )
    ]
    fsrs.Scheduler(parameters=rounded)  # raises ValueError if fsrs would refuse them
    return rounded


def card_histories(
    reviews: Sequence[Review], timezone: str, day_starts_at: int
) -> tuple[list[list[tuple[int, int]]], list[tuple[int, int]]]:
    """Turn a review log into training material as train_csv.py does.

    Return (histories, items): per card its (rating, days since the previous review) pairs
    from its last learning block on; and each item as (card index, length of the history
    prefix it covers), oldest first. Days are the user's study days.
    """
    by_card: dict[str, list[Review]] = defaultdict(list)
    for review in reviews:
        by_card[review.card_id].append(review)
    histories: list[list[tuple[int, int]]] = []
    dated: list[tuple[datetime, str, int, int]] = []
    day_of = _day_finder(timezone, day_starts_at)
    for card_id, card_reviews in by_card.items():
        card_reviews.sort(key=lambda review: review.reviewed_at)
        kept = _from_last_learning_block(card_reviews)
        if not kept:
            continue
        index = len(histories)
        history: list[tuple[int, int]] = []
        last_day = day_of(kept[0].reviewed_at)
        for review in kept:
            day = day_of(review.reviewed_at)
            delta_t = (day - last_day).days
            history.append((review.rating, delta_t))
            if delta_t > 0:  # a review on a later day ends an item
                dated.append((review.reviewed_at, card_id, index, len(history)))
            last_day = day
        histories.append(history)
    dated.sort(key=lambda entry: (entry[0], entry[1]))
    return histories, [(index, length) for _at, _card, index, length in dated]


def _day_finder(timezone: str, day_starts_at: int) -> Callable[[datetime], date]:
    """Return local_day for one user, remembered per quarter hour of UTC time.

    Every UTC offset is a whole number of quarter hours and the day starts on the hour, so
    the study day cannot change within a quarter hour.
    """
    known: dict[int, date] = {}

    def day_of(moment: datetime) -> date:
        slot = int(moment.timestamp() // QUARTER_HOUR)
        if slot not in known:
            known[slot] = local_day(moment, timezone, day_starts_at)
        return known[slot]

    return day_of


def _from_last_learning_block(reviews: list[Review]) -> list[Review]:
    """Drop the reviews before the card's last learning block; none if it has no such block."""
    start = -1
    for position in range(len(reviews) - 1, -1, -1):
        if reviews[position].kind in _LEARNING_KINDS:
            start = position
        elif start != -1:
            break
    return reviews[start:] if start != -1 else []


def fsrs_items(
    histories: Sequence[Sequence[tuple[int, int]]], items: Sequence[tuple[int, int]]
) -> list[FSRSItem]:
    """Build fsrs-rs-python's items from card histories and (card index, prefix length)."""
    return [
        FSRSItem([FSRSReview(rating, delta_t) for rating, delta_t in histories[index][:length]])
        for index, length in items
    ]


def fit_reviews(
    reviews: Sequence[Review],
    *,
    timezone: str,
    day_starts_at: int,
    current: Sequence[float],
    training: Training | None = None,
) -> FitResult:
    """Fit parameters to a review log and measure them and the current ones on it.

    Slow (seconds to minutes, all cores of the process): run it off the request path.
    Raise ValueError when the library fails or returns parameters fsrs cannot use.
    """
    histories, items = card_histories(reviews, timezone, day_starts_at)
    if len(items) < MINIMUM_ITEMS:
        return FitResult(items=len(items), needed=MINIMUM_ITEMS - len(items), pid=os.getpid())
    training = training or Training()
    train_set = fsrs_items(histories, items)
    config = TrainingConfig(num_epochs=training.epochs, batch_size=training.batch_size)
    fitted = valid_parameters(
        FSRS(list(DEFAULT_PARAMETERS)).compute_parameters(train_set, training_config=config)
    )
    current_score = FSRS(list(current)).evaluate(train_set)
    fitted_score = FSRS(fitted).evaluate(train_set)
    return FitResult(
        items=len(items),
        parameters=fitted,
        current_log_loss=float(current_score.log_loss),
        current_rmse=float(current_score.rmse_bins),
        fitted_log_loss=float(fitted_score.log_loss),
        fitted_rmse=float(fitted_score.rmse_bins),
        pid=os.getpid(),
    )
