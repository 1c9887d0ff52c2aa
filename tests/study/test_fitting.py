"""Fitting FSRS parameters: items from the review log, the gate, adoption, the queue."""

import json
from datetime import UTC, datetime, timedelta

import fsrs
import pytest
from fsrs.scheduler import DEFAULT_PARAMETERS
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db import make_sessionmaker
from app.models import FsrsFit, User
from app.study.fit_auto import enqueue_due_fits
from app.study.fit_jobs import (
    Job,
    claim,
    record,
    request_fit,
    requeue_stale,
    run_pending_fits,
)
from app.study.fitting import (
    MINIMUM_ITEMS,
    FitResult,
    Review,
    card_histories,
    fit_reviews,
    valid_parameters,
)
from tests.helpers import add_user
from tests.study.learners import TRUE_PARAMETERS, simulate, store

AT = datetime(2026, 3, 2, 12, tzinfo=UTC)


def factory(db: Session) -> sessionmaker[Session]:
    """Return a Session factory on the test's database."""
    bind = db.get_bind()
    assert not isinstance(bind, type)
    return make_sessionmaker(bind)  # type: ignore[arg-type]


def fits_of(db: Session, user: User) -> list[FsrsFit]:
    db.expire_all()
    return list(db.scalars(select(FsrsFit).where(FsrsFit.user_id == user.id).order_by(FsrsFit.id)))


# --- items from the review log -----------------------------------------------------------


def test_items_count_study_days_in_the_users_timezone() -> None:
    # Berlin, day from 4 AM: 02:30 local on 3 March is still 2 March's study day.
    reviews = [
        Review("a", datetime(2026, 3, 2, 9, tzinfo=UTC), 3, 0),  # 2 March
        Review("a", datetime(2026, 3, 2, 9, 10, tzinfo=UTC), 3, 1),  # same day
        Review("a", datetime(2026, 3, 3, 1, 30, tzinfo=UTC), 3, 2),  # 02:30 local: 2 March
        Review("a", datetime(2026, 3, 3, 3, 30, tzinfo=UTC), 1, 2),  # 04:30 local: 3 March
        Review("a", datetime(2026, 3, 10, 3, 30, tzinfo=UTC), 3, 3),
    ]
    histories, items = card_histories(reviews, "Europe/Berlin", 4)
    assert histories == [[(3, 0), (3, 0), (3, 0), (1, 1), (3, 7)]]
    assert items == [(0, 4), (0, 5)]
    in_utc, _ = card_histories(reviews, "UTC", 0)
    assert in_utc == [[(3, 0), (3, 0), (3, 1), (1, 0), (3, 7)]]


def test_study_days_follow_zones_a_quarter_hour_off_the_hour() -> None:
    # Kathmandu is UTC+5:45: with the day starting at 4 AM it starts at 22:15 UTC.
    reviews = [
        Review("a", datetime(2026, 3, 1, 22, 14, tzinfo=UTC), 3, 0),
        Review("a", datetime(2026, 3, 1, 22, 16, tzinfo=UTC), 3, 1),
        Review("a", datetime(2026, 3, 2, 22, 14, 59, tzinfo=UTC), 3, 2),
        Review("a", datetime(2026, 3, 2, 22, 15, tzinfo=UTC), 3, 2),
    ]
    histories, _items = card_histories(reviews, "Asia/Kathmandu", 4)
    assert histories == [[(3, 0), (3, 1), (3, 0), (3, 1)]]


def test_a_card_starts_over_at_its_last_learning_block() -> None:
    day = timedelta(days=1)
    reviews = [
        Review("a", AT, 3, 0),
        Review("a", AT + 3 * day, 3, 2),
        Review("a", AT + 9 * day, 2, 0),  # reset: new again
        Review("a", AT + 9 * day + timedelta(minutes=5), 3, 1),
        Review("a", AT + 12 * day, 3, 2),
        Review("b", AT, 4, 2),  # no learning block in view: left out, as train_csv.py does
        Review("b", AT + day, 4, 2),
    ]
    histories, items = card_histories(reviews, "UTC", 4)
    assert histories == [[(2, 0), (3, 0), (3, 3)]]
    assert items == [(0, 3)]


def test_items_are_ordered_by_the_review_that_ends_them() -> None:
    day = timedelta(days=1)
    reviews = [
        Review("b", AT + day, 3, 0),
        Review("a", AT, 3, 0),
        Review("b", AT + 3 * day, 3, 2),
        Review("a", AT + 2 * day, 3, 2),
    ]
    histories, items = card_histories(reviews, "UTC", 4)
    cards = dict(enumerate(histories))
    assert [cards[index][length - 1] for index, length in items] == [(3, 2), (3, 2)]
    assert [index for index, _ in items] == [1, 0]  # a's item (day 2) before b's (day 3)


# --- parameters -------------------------------------------------------------------------


def test_fitted_parameters_are_rounded_into_fsrs_bounds() -> None:
    noisy = [0.800000011920929 if i == 19 else value for i, value in enumerate(TRUE_PARAMETERS)]
    with pytest.raises(ValueError, match="parameters"):
        fsrs.Scheduler(parameters=noisy)  # as f32 comes back: just past fsrs's bound
    checked = valid_parameters(noisy)
    assert checked[19] == 0.8
    fsrs.Scheduler(parameters=checked)
    with pytest.raises(ValueError, match="20 parameters"):
        valid_parameters(TRUE_PARAMETERS[:20])
    with pytest.raises(ValueError, match="finite"):
        valid_parameters([float("nan"), *TRUE_PARAMETERS[1:]])


def test_a_fit_on_a_known_learner_predicts_better_than_the_defaults() -> None:
    reviews = simulate(cards=300, reviews_per_card=10, seed=7)
    result = fit_reviews(reviews, timezone="UTC", day_starts_at=4, current=DEFAULT_PARAMETERS)
    assert result.items == 2700  # every review after a card's first is on a later day
    assert len(result.parameters) == 21
    fsrs.Scheduler(parameters=result.parameters)
    assert result.fitted_log_loss is not None
    assert result.current_log_loss is not None
    assert result.fitted_rmse is not None
    assert result.current_rmse is not None
    assert result.fitted_log_loss < result.current_log_loss
    assert result.fitted_rmse < result.current_rmse
    assert result.better
    # The learner's first-review stability after Again (true 0.5) is above the default 0.212.
    assert result.parameters[0] > DEFAULT_PARAMETERS[0]


# --- the queue and adoption -------------------------------------------------------------


def test_a_better_fit_is_adopted(db: Session) -> None:
    user = add_user(db)
    store(db, user.id, simulate(cards=300, reviews_per_card=10, seed=7))
    fit = request_fit(db, user, "user")
    [(fit_id, status, result)] = run_pending_fits(factory(db))
    assert (fit_id, status) == (fit.id, "adopted")
    [done] = fits_of(db, user)
    db.refresh(user)
    assert user.fsrs_parameters == done.parameters
    parameters = json.loads(done.parameters or "")
    assert result is not None
    assert parameters == result.parameters
    fsrs.Scheduler(parameters=parameters)
    assert done.previous_parameters is None
    assert done.review_count == 3000
    assert done.started_at is not None
    assert done.finished_at is not None
    assert done.fitted_log_loss is not None
    assert done.current_log_loss is not None
    assert done.fitted_log_loss < done.current_log_loss
    assert done.fitted_rmse is not None
    assert done.current_rmse is not None
    assert done.fitted_rmse < done.current_rmse
    assert done.message == (
        "fitted to 2700 reviews on a later day than the card's previous one; adopted, as "
        "they predict them better"
    )


def test_a_fit_no_better_than_the_parameters_in_force_keeps_them(db: Session) -> None:
    user = add_user(db)
    store(db, user.id, simulate(cards=300, reviews_per_card=10, seed=7))
    request_fit(db, user, "user")
    run_pending_fits(factory(db))
    db.refresh(user)
    adopted = user.fsrs_parameters
    # The same history fits to the same parameters: they do no better than themselves.
    request_fit(db, user, "user")
    [(_id, status, _result)] = run_pending_fits(factory(db))
    assert status == "kept"
    first, second = fits_of(db, user)
    db.refresh(user)
    assert user.fsrs_parameters == adopted
    assert second.previous_parameters == adopted
    assert second.current_log_loss == second.fitted_log_loss == first.fitted_log_loss
    assert second.message == (
        "fitted to 2700 reviews on a later day than the card's previous one; kept the "
        "parameters in force, which predict them as well"
    )


def test_a_worse_result_is_recorded_and_kept(db: Session) -> None:
    user = add_user(db)
    fit = request_fit(db, user, "user")
    job = claim(db, fit.id)
    assert job is not None
    worse = FitResult(
        items=100,
        parameters=list(TRUE_PARAMETERS),
        current_log_loss=0.30,
        current_rmse=0.02,
        fitted_log_loss=0.31,
        fitted_rmse=0.01,
    )
    assert record(db, job, worse) == "kept"
    db.refresh(user)
    assert user.fsrs_parameters is None
    [done] = fits_of(db, user)
    assert (done.status, done.fitted_log_loss, done.current_rmse) == ("kept", 0.31, 0.02)


def test_too_few_reviews_say_how_many_more(db: Session) -> None:
    user = add_user(db)
    store(db, user.id, simulate(cards=10, reviews_per_card=3, seed=1))  # 20 items
    request_fit(db, user, "user")
    [(_id, status, result)] = run_pending_fits(factory(db))
    assert status == "too_few"
    assert result is not None
    assert result.needed == MINIMUM_ITEMS - 20 == 44
    [done] = fits_of(db, user)
    assert done.message == (
        "needs 44 more reviews: a fit needs 64 reviews on a later day than the card's "
        "previous review; there are 20"
    )
    assert done.parameters is None
    assert done.review_count == 30
    db.refresh(user)
    assert user.fsrs_parameters is None


def test_a_user_without_reviews_gets_too_few(db: Session) -> None:
    user = add_user(db)
    request_fit(db, user, "user")
    assert [status for _id, status, _r in run_pending_fits(factory(db))] == ["too_few"]
    assert fits_of(db, user)[0].message is not None
    assert "needs 64 more reviews" in (fits_of(db, user)[0].message or "")


def test_one_pending_fit_per_user(db: Session) -> None:
    ada, bob = add_user(db, "ada"), add_user(db, "bob")
    first = request_fit(db, ada, "user")
    assert request_fit(db, ada, "auto").id == first.id
    assert request_fit(db, bob, "user").id != first.id
    job = claim(db, first.id)
    assert job is not None
    assert request_fit(db, ada, "user").id == first.id  # running counts too
    assert claim(db, first.id) is None  # claimed once only


def test_a_fit_left_running_by_a_dead_process_is_queued_again(db: Session) -> None:
    user = add_user(db)
    fit = request_fit(db, user, "user")
    job = claim(db, fit.id, now=AT)
    assert job is not None
    assert requeue_stale(db, now=AT + timedelta(minutes=29)) == 0
    assert requeue_stale(db, now=AT + timedelta(minutes=31)) == 1
    [again] = fits_of(db, user)
    assert (again.status, again.started_at) == ("queued", None)
    # The dead worker's late answer changes nothing now that it no longer holds the fit.
    late = FitResult(items=1, needed=63)
    record(db, job, late)
    assert fits_of(db, user)[0].status == "queued"


def test_a_fit_is_not_adopted_over_parameters_changed_meanwhile(db: Session) -> None:
    user = add_user(db)
    fit = request_fit(db, user, "user")
    job = claim(db, fit.id)
    assert isinstance(job, Job)
    user.fsrs_parameters = json.dumps(TRUE_PARAMETERS)
    db.commit()
    better = FitResult(
        items=100,
        parameters=list(DEFAULT_PARAMETERS),
        current_log_loss=0.4,
        current_rmse=0.05,
        fitted_log_loss=0.3,
        fitted_rmse=0.04,
    )
    assert record(db, job, better) == "kept"
    db.refresh(user)
    assert json.loads(user.fsrs_parameters or "") == TRUE_PARAMETERS
    assert "changed while it ran" in (fits_of(db, user)[0].message or "")


# --- automatic fits ---------------------------------------------------------------------


def test_an_automatic_fit_comes_at_the_minimum_then_when_reviews_double(db: Session) -> None:
    user = add_user(db)
    reviews = simulate(cards=40, reviews_per_card=5, seed=3)  # 200 reviews
    store(db, user.id, reviews[:63])
    assert enqueue_due_fits(db) == []
    store(db, user.id, reviews[63:100])
    [queued] = enqueue_due_fits(db)
    assert fits_of(db, user)[0].trigger == "auto"
    assert enqueue_due_fits(db) == []  # one pending at a time
    run_pending_fits(factory(db))
    [first] = fits_of(db, user)
    assert first.id == queued
    assert first.review_count == 100
    store(db, user.id, reviews[100:199])
    assert enqueue_due_fits(db) == []  # 199 < 2 x 100
    store(db, user.id, reviews[199:])
    assert len(enqueue_due_fits(db)) == 1


def test_after_too_few_an_automatic_fit_waits_for_the_reviews_it_needed(db: Session) -> None:
    user = add_user(db)
    reviews = simulate(cards=40, reviews_per_card=5, seed=3)
    store(db, user.id, reviews[:70])  # 70 reviews, fewer than 64 items
    enqueue_due_fits(db)
    run_pending_fits(factory(db))
    [fit] = fits_of(db, user)
    assert fit.status == "too_few"
    needed = int((fit.message or "").split()[1])
    assert needed > 0
    store(db, user.id, reviews[70 : 70 + needed - 1])
    assert enqueue_due_fits(db) == []
    store(db, user.id, reviews[70 + needed - 1 : 70 + needed])
    assert len(enqueue_due_fits(db)) == 1


def test_a_fit_that_cannot_run_is_recorded_as_failed(db: Session) -> None:
    user = add_user(db, timezone="Nowhere/Atlantis")  # no longer a zone the system knows
    store(db, user.id, simulate(cards=20, reviews_per_card=5, seed=1))
    request_fit(db, user, "user")
    assert [status for _id, status, _r in run_pending_fits(factory(db))] == ["failed"]
    [fit] = fits_of(db, user)
    assert fit.message == (
        "the fit failed: unknown timezone 'Nowhere/Atlantis': use an IANA name such as "
        "'Europe/Berlin' or 'UTC'"
    )
    assert fit.finished_at is not None
