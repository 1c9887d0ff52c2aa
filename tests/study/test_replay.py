"""The stored card state always equals the replay of the review log (random sequences)."""

import contextlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from itertools import count

from fsrs.scheduler import DEFAULT_PARAMETERS as DEFAULTS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from app.content.models import Library
from app.study.reviews import Conflict, record_review, replay_mismatches, set_flag, undo_last_review
from tests.helpers import add_user

CARDS = ["what-is-regularization", "l2-weight-decay", "dropout"]
START = datetime(2026, 1, 1, 8, tzinfo=UTC)
_names = count()
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Pacific/Auckland"]
# Stored parameters: the defaults, a fitted-looking set (slower forgetting), and a malformed
# value, which counts as the defaults.
PARAMETERS = [
    None,
    json.dumps([round(w * 1.1, 4) if i in (0, 1, 2, 3) else w for i, w in enumerate(DEFAULTS)]),
    "[1, 2",
]

actions = st.lists(
    st.one_of(
        st.tuples(
            st.just("review"),
            st.sampled_from(CARDS),
            st.integers(1, 4),
            st.integers(0, 60 * 24 * 40),  # minutes later
        ),
        st.tuples(st.just("undo"), st.just(""), st.just(0), st.integers(0, 600)),
        st.tuples(st.just("retry"), st.just(""), st.just(0), st.just(0)),
        st.tuples(st.just("suspend"), st.sampled_from(CARDS), st.integers(0, 1), st.just(0)),
        st.tuples(st.just("retention"), st.just(""), st.integers(70, 97), st.just(0)),
        # Settings and parameters that change what a review does: each review keeps its own.
        st.tuples(st.just("maximum"), st.just(""), st.integers(1, 400), st.just(0)),
        st.tuples(st.just("parameters"), st.just(""), st.integers(0, 2), st.just(0)),
        st.tuples(st.just("day"), st.sampled_from(ZONES), st.integers(0, 23), st.just(0)),
    ),
    max_size=40,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=actions)
def test_state_equals_replay_of_the_log(
    db: Session, library: Library, steps: list[tuple[str, str, int, int]]
) -> None:
    user = add_user(db, f"user{next(_names)}")
    now = START
    last: tuple[str, int, str] | None = None
    for action, card_id, value, minutes in steps:
        now += timedelta(minutes=minutes)
        if action == "review":
            last = (card_id, value, str(uuid.uuid4()))
            with contextlib.suppress(Conflict):  # the card may be suspended
                record_review(
                    session=db,
                    user=user,
                    library=library,
                    card_id=card_id,
                    rating=value,
                    review_id=last[2],
                    now=now,
                )
        elif action == "retry" and last is not None:
            with contextlib.suppress(Conflict):
                record_review(
                    session=db,
                    user=user,
                    library=library,
                    card_id=last[0],
                    rating=last[1],
                    review_id=last[2],
                    now=now,
                )
        elif action == "undo":
            with contextlib.suppress(Conflict):
                undo_last_review(session=db, user=user)
        elif action == "suspend":
            set_flag(
                session=db,
                user=user,
                library=library,
                card_id=card_id,
                action="unsuspend" if value else "suspend",
                now=now,
            )
        elif action == "retention":
            user.desired_retention = value / 100
            db.commit()
        elif action == "maximum":
            user.maximum_interval = value
            db.commit()
        elif action == "parameters":
            user.fsrs_parameters = PARAMETERS[value]
            db.commit()
        elif action == "day":
            user.timezone = card_id
            user.day_starts_at = value
            db.commit()
        assert replay_mismatches(db, user) == []
