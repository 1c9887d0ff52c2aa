"""Synthetic learners: review logs drawn from known FSRS parameters, for the fitting tests."""

import random
import uuid
from datetime import UTC, datetime, timedelta

from fsrs_rs_python import FSRS, MemoryState
from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.models import ReviewLog
from app.study.fitting import Review

# Non-default FSRS-6 parameters: a learner who forgets faster than the defaults assume,
# finds cards harder, and gains less from each review.
TRUE_PARAMETERS = [
    0.5, 1.8, 3.5, 12.0, 7.2, 0.6, 2.2, 0.05, 1.2, 0.3, 1.1, 1.9, 0.09, 0.35, 1.3,
    0.45, 2.4, 0.7, 0.2, 0.1, 0.35,
]  # fmt: skip

START = datetime(2025, 1, 6, 12, tzinfo=UTC)


def retrievability(elapsed_days: float, stability: float, decay: float) -> float:
    """Return FSRS-6's chance of recall after elapsed_days at a stability."""
    factor = 0.9 ** (-1 / decay) - 1
    return float((1 + factor * elapsed_days / stability) ** -decay)


def simulate(
    *, cards: int, reviews_per_card: int, seed: int, parameters: list[float] | None = None
) -> list[Review]:
    """Simulate a learner: each card first seen on some day, then reviewed when scheduled.

    Recall is drawn from the retrievability under the given parameters (TRUE_PARAMETERS by
    default); the interval is the parameters' own at 90% retention, with a little jitter.
    """
    parameters = parameters or TRUE_PARAMETERS
    model = FSRS(parameters)
    decay = parameters[20]
    rng = random.Random(seed)
    reviews: list[Review] = []
    for number in range(cards):
        card_id = f"card-{number}"
        day = rng.randrange(0, 60)
        rating = rng.choices((1, 2, 3, 4), weights=(2, 1, 6, 1))[0]
        reviews.append(Review(card_id, START + timedelta(days=day), rating, 0))
        state: MemoryState = getattr(model.next_states(None, 0.9, 0), _name(rating)).memory
        for _ in range(reviews_per_card - 1):
            interval = max(1, round(model.next_interval(state.stability, 0.9, 3)))
            elapsed = max(1, interval + rng.choice((-1, 0, 0, 0, 1)))
            day += elapsed
            recalled = rng.random() < retrievability(elapsed, state.stability, decay)
            rating = rng.choices((2, 3, 4), weights=(1, 7, 1))[0] if recalled else 1
            kind = 2 if reviews[-1].rating != 1 else 3
            reviews.append(
                Review(card_id, START + timedelta(days=day, minutes=number % 600), rating, kind)
            )
            state = getattr(model.next_states(state, 0.9, elapsed), _name(rating)).memory
    return reviews


def _name(rating: int) -> str:
    return ("again", "hard", "good", "easy")[rating - 1]


def store(session: Session, user_id: int, reviews: list[Review]) -> None:
    """Write simulated reviews to a user's review log."""
    session.execute(
        insert(ReviewLog),
        [
            {
                "user_id": user_id,
                "review_id": str(uuid.uuid4()),
                "card_id": review.card_id,
                "deck_id": "regularization",
                "rating": review.rating,
                "kind": review.kind,
                "reviewed_at": review.reviewed_at,
                "desired_retention": 0.9,
            }
            for review in reviews
        ],
    )
    session.commit()
