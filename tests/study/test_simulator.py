"""The retention simulator: its curve rises with retention, is repeatable, and reads the user."""

import json
import uuid
from datetime import UTC, datetime

import fsrs_rs_python
import pytest
from sqlalchemy.orm import Session

from app.content.models import Library
from app.models import ReviewLog, User
from app.study import simulator
from app.study.retention_chart import retention_png
from app.study.simulator import (
    RETENTIONS,
    CurveCache,
    SimulationInput,
    costs_of,
    default_costs,
    describe,
    parameters_of,
    simulate_curve,
    simulation_input,
)
from tests.helpers import add_user

DEFAULTS = tuple(fsrs_rs_python.DEFAULT_PARAMETERS)
# Parameters another learner might have: faster forgetting, slower growth of stability.
OTHER: tuple[float, ...] = (0.4, 0.9, 1.8, 6.0, 6.8, 0.7, 2.6, 0.01, 1.5, 0.2, 0.9, 1.6)
OTHER += (0.08, 0.3, 1.5, 0.5, 1.9, 0.5, 0.1, 0.07, 0.2)


def _input(**changes: object) -> SimulationInput:
    values: dict[str, object] = {
        "parameters": DEFAULTS,
        "deck_size": 20,
        "learn_limit": 20,
        "review_limit": 200,
        "max_interval": 365,
        "costs": default_costs(),
        "current": 0.9,
    }
    return SimulationInput(**{**values, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "given",
    [
        _input(),
        _input(parameters=OTHER),
        _input(learn_limit=3, max_interval=36500),
        _input(deck_size=300, learn_limit=10, review_limit=50),
    ],
    ids=["defaults", "other-parameters", "slow-learning", "larger-deck-tight-limit"],
)
def test_more_retention_never_means_fewer_reviews(given: SimulationInput) -> None:
    curve = simulate_curve(given)
    assert [point.retention for point in curve.points] == list(RETENTIONS)
    assert RETENTIONS[0] == 0.70
    assert RETENTIONS[-1] == 0.97
    reviews = [point.reviews_per_day for point in curve.points]
    assert reviews == sorted(reviews)
    assert reviews[-1] > reviews[0] > 0
    minutes = [point.minutes_per_day for point in curve.points]
    assert minutes[-1] > minutes[0] > 0


def test_the_same_inputs_give_the_same_curve() -> None:
    assert simulate_curve(_input()) == simulate_curve(_input())
    assert simulate_curve(_input()).points != simulate_curve(_input(parameters=OTHER)).points


def test_the_current_choice_is_simulated_too() -> None:
    on_grid = simulate_curve(_input(current=0.9))
    assert on_grid.current == next(point for point in on_grid.points if point.retention == 0.9)
    between = simulate_curve(_input(current=0.83))
    assert between.current.retention == 0.83
    assert between.points == on_grid.points
    below = next(point for point in between.points if point.retention == 0.80)
    above = next(point for point in between.points if point.retention == 0.85)
    assert below.reviews_per_day <= between.current.reviews_per_day <= above.reviews_per_day
    assert describe(between).endswith(
        f"At your desired retention of 0.83: {between.current.reviews_per_day:.2f} reviews and "
        f"{between.current.minutes_per_day:.2f} minutes a day."
    )


def test_no_cards_cost_nothing() -> None:
    curve = simulate_curve(_input(deck_size=0))
    assert {(point.reviews_per_day, point.minutes_per_day) for point in curve.points} == {
        (0.0, 0.0)
    }


def test_the_cache_simulates_once_per_input() -> None:
    cache = CurveCache(max_entries=1)
    first = cache.curve(_input())
    assert cache.curve(_input()) is first
    assert cache.simulations == 1
    cache.curve(_input(current=0.85))
    assert cache.simulations == 2
    cache.curve(_input())  # pushed out by the other one
    assert cache.simulations == 3


def test_fewer_seeds_for_larger_decks() -> None:
    assert simulator.seeds_for(0) == simulator.seeds_for(1) == 64
    assert simulator.seeds_for(20) == 64
    assert simulator.seeds_for(300) == 5
    assert simulator.seeds_for(100_000) == 1


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (None, DEFAULTS),
        (json.dumps(list(OTHER)), tuple(fsrs_rs_python.check_and_fill_parameters(list(OTHER)))),
        ("[1, 2", DEFAULTS),
        ('{"w": 1}', DEFAULTS),
        ("[1.0, 2.0]", DEFAULTS),
        ('["a"]', DEFAULTS),
        (
            json.dumps([*OTHER[:-1], 0.8]),
            tuple(fsrs_rs_python.check_and_fill_parameters([*OTHER[:-1], 0.8])),
        ),
        (json.dumps([1e30] * 21), DEFAULTS),
        (json.dumps([-5.0] * 21), DEFAULTS),
        (json.dumps([*OTHER[:-1], 0.9]), DEFAULTS),
    ],
    ids=[
        "null",
        "stored",
        "broken-json",
        "not-a-list",
        "too-short",
        "not-numbers",
        "upper-bound",
        "huge",
        "negative",
        "decay-out-of-bounds",
    ],
)
def test_parameters_of_the_user(db: Session, stored: str | None, expected: tuple[float]) -> None:
    user = add_user(db, fsrs_parameters=stored)
    assert parameters_of(user) == expected


def _log(session: Session, user: User, kind: int, rating: int, duration_ms: int | None) -> None:
    session.add(
        ReviewLog(
            user_id=user.id,
            review_id=str(uuid.uuid4()),
            card_id="dropout",
            deck_id="regularization",
            rating=rating,
            kind=kind,
            reviewed_at=datetime(2026, 11, 1, tzinfo=UTC),
            duration_ms=duration_ms,
            desired_retention=0.9,
        )
    )


def test_costs_come_from_the_users_answer_times(db: Session) -> None:
    user = add_user(db)
    for duration in (4000, 6000, 8000):  # reviews rated Good: a mean of 6 s
        _log(db, user, 2, 3, duration)
    for duration in (1000, 3000):  # new cards rated Again, 1 s and 3 s ...
        _log(db, user, 0, 1, duration)
    _log(db, user, 1, 1, 5000)  # ... and a learning card: 3 s over three answers
    _log(db, user, 3, 4, 2000)  # relearning Easy: too few to count
    _log(db, user, 2, 3, None)  # untimed
    _log(db, user, 2, 3, 3_600_000)  # an hour away: a pause, not a review
    db.commit()
    defaults = [list(row) for row in default_costs()]
    expected = [list(row) for row in defaults]
    expected[1][2] = 6.0
    expected[0][0] = 3.0
    assert costs_of(db, user) == tuple(tuple(row) for row in expected)
    other = add_user(db, "bea")
    assert costs_of(db, other) == default_costs()


def test_simulation_input_reads_the_user(db: Session, library: Library) -> None:
    user = add_user(
        db, new_per_day=7, reviews_per_day=70, maximum_interval=180, desired_retention=0.93
    )
    assert simulation_input(db, user, library) == _input(
        learn_limit=7, review_limit=70, max_interval=180, current=0.93
    )


def test_the_chart_is_a_png() -> None:
    assert retention_png(simulate_curve(_input())).startswith(b"\x89PNG\r\n\x1a\n")
