"""Group commit: reviews that wait together share one commit, and each is answered after it."""

import asyncio
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.content.models import Library
from app.models import CardState, ReviewLog, User
from app.study.group_commit import ATTEMPTS, GroupCommitter
from app.study.reviews import (
    Conflict,
    ReviewOutcome,
    ReviewStep,
    UnknownCard,
    record_grouped,
)
from tests.helpers import add_user

NOON = datetime(2026, 6, 10, 12, tzinfo=UTC)
CARDS = ("what-is-regularization", "l1-vs-l2", "dropout")


class Tally:
    """The reviews metric, counted."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    def inc(self) -> None:
        """Add one."""
        with self.lock:
            self.count += 1


def recorded(
    committer: GroupCommitter, review: ReviewStep, tally: Tally | None = None
) -> ReviewOutcome:
    """Run record_grouped to its end on an event loop of its own thread (as a request would).

    Its own thread: a browser test in this process may keep a loop running in this one. A
    daemon, given a minute: a committer thread that died would leave it waiting for good.
    """
    answers: list[ReviewOutcome | BaseException] = []

    def run() -> None:
        try:
            answers.append(asyncio.run(record_grouped(committer, review, tally)))
        except BaseException as exc:  # handed to the test
            answers.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(60)
    assert answers, "no answer in a minute: the committer thread is gone"
    if isinstance(answers[0], BaseException):
        raise answers[0]
    return answers[0]


def users(app: FastAPI, count: int) -> list[User]:
    factory: sessionmaker[Session] = app.state.sessionmaker
    with factory() as session:
        return [add_user(session, f"user{index}") for index in range(count)]


def step(user: User, library: Library, card_id: str = CARDS[0], **kwargs: Any) -> ReviewStep:
    kwargs.setdefault("review_id", str(uuid.uuid4()))
    kwargs.setdefault("rating", 3)
    return ReviewStep(user=user, library=library, card_id=card_id, now=NOON, **kwargs)


@contextmanager
def commits(engine: Engine) -> Iterator[list[int]]:
    """Count the commits of the engine's connections meanwhile."""
    counted = [0]

    def count(_conn: Any) -> None:
        counted[0] += 1

    event.listen(engine, "commit", count)
    try:
        yield counted
    finally:
        event.remove(engine, "commit", count)


@contextmanager
def held(committer: GroupCommitter) -> Iterator[Callable[[int], None]]:
    """Keep the committer busy with a step of its own until the block ends, so that the steps
    submitted meanwhile queue up; yield a function that waits until n of them are queued."""
    started, release = threading.Event(), threading.Event()

    def hold(_session: Session) -> None:
        started.set()
        release.wait()

    holder = threading.Thread(target=committer.run, args=(hold,))
    holder.start()
    started.wait()

    def queued(count: int) -> None:
        while committer.waiting() < count:
            release.wait(0.001)

    try:
        yield queued
    finally:
        release.set()
        holder.join()


def submit_all(
    committer: GroupCommitter, steps: list[ReviewStep], tally: Tally | None = None
) -> tuple[list[threading.Thread], dict[int, Any]]:
    """Submit each step from its own thread; the outcome (or error) of each lands by index."""
    outcomes: dict[int, Any] = {}

    def submit(index: int, review: ReviewStep) -> None:
        try:
            outcomes[index] = asyncio.run(record_grouped(committer, review, tally))
        except Exception as exc:
            outcomes[index] = exc

    threads = [
        threading.Thread(target=submit, args=(index, review)) for index, review in enumerate(steps)
    ]
    for thread in threads:
        thread.start()
    return threads, outcomes


def stored_review_ids(app: FastAPI) -> set[str]:
    with app.state.sessionmaker() as session:
        return set(session.scalars(select(ReviewLog.review_id)))


def test_concurrent_reviews_share_a_commit_and_are_answered_after_it(
    app: FastAPI, library: Library
) -> None:
    committer = GroupCommitter(app.state.sessionmaker)
    learners = users(app, 6)
    steps = [step(user, library, card) for user in learners for card in CARDS[:2]]
    visible: dict[str, bool] = {}
    tally = Tally()

    def answered(review: ReviewStep) -> None:
        asyncio.run(record_grouped(committer, review, tally))
        # Read by another connection: the review was committed before it was answered.
        visible[review.review_id] = review.review_id in stored_review_ids(app)

    with commits(app.state.engine) as counted:
        with held(committer) as queued:
            threads = [threading.Thread(target=answered, args=(review,)) for review in steps]
            for thread in threads:
                thread.start()
            queued(len(steps))
        for thread in threads:
            thread.join()
        committer.close()
    # One commit for the twelve reviews (the step that held the committer wrote nothing).
    assert counted[0] == 1
    assert visible == {review.review_id: True for review in steps}
    assert stored_review_ids(app) == {review.review_id for review in steps}
    assert tally.count == len(steps)


def test_a_failing_review_in_a_batch_costs_the_others_nothing(
    app: FastAPI, library: Library
) -> None:
    committer = GroupCommitter(app.state.sessionmaker)
    ada, bob = users(app, 2)
    good = [step(ada, library, CARDS[0]), step(bob, library, CARDS[1])]
    unknown = step(ada, library, "no-such-card")
    stale = step(bob, library, CARDS[2], expected_version=7)
    with held(committer) as queued:
        threads, outcomes = submit_all(committer, [good[0], unknown, stale, good[1]])
        queued(4)
    for thread in threads:
        thread.join()
    committer.close()
    assert isinstance(outcomes[1], UnknownCard)
    assert isinstance(outcomes[2], Conflict)
    assert [outcomes[0][1], outcomes[3][1]] == [True, True]
    assert stored_review_ids(app) == {good[0].review_id, good[1].review_id}
    with app.state.sessionmaker() as session:
        assert session.get(CardState, (bob.id, CARDS[2])) is None  # the stale one wrote nothing


def test_a_step_that_fails_after_writing_takes_back_only_its_own_writes(
    app: FastAPI, library: Library
) -> None:
    committer = GroupCommitter(app.state.sessionmaker)
    (ada,) = users(app, 1)
    first, last = step(ada, library, CARDS[0]), step(ada, library, CARDS[1])

    def write_then_fail(session: Session) -> None:
        step(ada, library, CARDS[2]).write(session)
        raise RuntimeError("the disk said no")

    errors: list[Exception] = []

    def failing() -> None:
        try:
            committer.run(write_then_fail)
        except RuntimeError as exc:
            errors.append(exc)

    with held(committer) as queued:
        threads, outcomes = submit_all(committer, [first])
        queued(1)
        threads.append(threading.Thread(target=failing))
        threads[-1].start()
        queued(2)
        more, later = submit_all(committer, [last])
        queued(3)
    for thread in threads + more:
        thread.join()
    committer.close()
    assert [str(error) for error in errors] == ["the disk said no"]
    assert [outcomes[0][1], later[0][1]] == [True, True]
    assert stored_review_ids(app) == {first.review_id, last.review_id}
    with app.state.sessionmaker() as session:
        assert session.get(CardState, (ada.id, CARDS[2])) is None


def test_a_repeated_review_id_in_one_batch_records_one_review(
    app: FastAPI, library: Library
) -> None:
    committer = GroupCommitter(app.state.sessionmaker)
    (ada,) = users(app, 1)
    review_id = str(uuid.uuid4())
    same = [step(ada, library, review_id=review_id), step(ada, library, review_id=review_id)]
    other = step(ada, library, review_id=review_id, rating=1)
    with held(committer) as queued:
        threads, outcomes = submit_all(committer, [same[0]])
        queued(1)
        more, repeats = submit_all(committer, [same[1], other])
        queued(3)
    for thread in threads + more:
        thread.join()
    committer.close()
    (first, created), (again, created_again) = outcomes[0], repeats[0]
    assert (created, created_again) == (True, False)
    assert (again.log.review_id, again.version, again.memory) == (
        first.log.review_id,
        first.version,
        first.memory,
    )
    assert isinstance(repeats[1], Conflict)
    assert "already used for another review" in str(repeats[1])
    with app.state.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(ReviewLog)) == 1


def test_reviews_of_one_card_in_one_batch_apply_in_order(app: FastAPI, library: Library) -> None:
    committer = GroupCommitter(app.state.sessionmaker)
    (ada,) = users(app, 1)
    steps = [step(ada, library, expected_version=version) for version in range(3)]
    with held(committer) as queued:
        threads: list[threading.Thread] = []
        outcomes: list[dict[int, Any]] = []
        for index, review in enumerate(steps):
            started, outcome = submit_all(committer, [review])
            threads += started
            outcomes.append(outcome)
            queued(index + 1)  # queued in this order
    for thread in threads:
        thread.join()
    committer.close()
    results = [outcome[0][0] for outcome in outcomes]
    assert [(result.version, result.memory.reps) for result in results] == [(1, 1), (2, 2), (3, 3)]


def test_closing_commits_what_is_queued_and_later_reviews_commit_alone(
    app: FastAPI, library: Library
) -> None:
    committer = GroupCommitter(app.state.sessionmaker)
    learners = users(app, 3)
    steps = [step(user, library) for user in learners]
    with held(committer) as queued:
        threads, outcomes = submit_all(committer, steps)
        queued(len(steps))
        closer = threading.Thread(target=committer.close)
        closer.start()
    closer.join()
    for thread in threads:
        thread.join()
    assert [outcomes[index][1] for index in range(3)] == [True, True, True]
    late = step(learners[0], library, CARDS[1])
    assert recorded(committer, late)[1] is True
    assert stored_review_ids(app) == {review.review_id for review in [*steps, late]}


def test_a_review_whose_caller_is_cancelled_is_still_recorded(
    app: FastAPI, library: Library
) -> None:
    committer = GroupCommitter(app.state.sessionmaker)
    ada, bob = users(app, 2)
    first = step(ada, library)

    async def cancelled_while_queued() -> bool:
        task = asyncio.ensure_future(record_grouped(committer, first))
        while committer.waiting() < 1:
            await asyncio.sleep(0.001)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return True
        return False

    with held(committer), ThreadPoolExecutor(max_workers=1) as thread:
        cancelled = thread.submit(asyncio.run, cancelled_while_queued())
        assert cancelled.result(timeout=30) is True
    second = step(bob, library)
    assert recorded(committer, second)[1] is True  # the committer thread goes on
    committer.close()
    assert stored_review_ids(app) == {first.review_id, second.review_id}


def test_a_review_after_the_committer_closed_commits_alone_off_the_event_loop(
    app: FastAPI, library: Library
) -> None:
    committer = GroupCommitter(app.state.sessionmaker)
    (ada,) = users(app, 1)
    committer.close()
    loop_thread: list[int] = []
    writer_thread: list[int] = []

    def write(session: Session) -> Any:
        writer_thread.append(threading.get_ident())
        return late.write(session)

    late = step(ada, library)

    async def run() -> Any:
        loop_thread.append(threading.get_ident())
        return await committer.run_async(write, late.recover)

    with ThreadPoolExecutor(max_workers=1) as thread:
        assert thread.submit(asyncio.run, run()).result()[1] is True
    assert writer_thread != loop_thread
    assert stored_review_ids(app) == {late.review_id}


def test_a_lone_review_is_committed_at_once(app: FastAPI, library: Library) -> None:
    committer = GroupCommitter(app.state.sessionmaker)
    (ada,) = users(app, 1)
    with commits(app.state.engine) as counted:
        for card in CARDS:
            recorded(committer, step(ada, library, card))
        committer.close()
    assert counted[0] == len(CARDS)


class Deadlock(Exception):
    """What psycopg raises when PostgreSQL ends a transaction caught in a deadlock."""

    sqlstate = "40P01"


def meets_a_deadlock(review: ReviewStep, times: int) -> tuple[Callable[[Session], Any], list[int]]:
    """Return review's write, made to meet a deadlock on its first `times` runs, and a list
    that counts its runs."""
    runs: list[int] = []

    def write(session: Session) -> Any:
        runs.append(1)
        if len(runs) <= times:
            session.execute(select(func.count()).select_from(ReviewLog))
            raise OperationalError("INSERT INTO card_states ...", {}, Deadlock("deadlock"))
        return review.write(session)

    return write, runs


def test_a_lone_review_that_meets_a_deadlock_runs_again(app: FastAPI, library: Library) -> None:
    committer = GroupCommitter(app.state.sessionmaker)
    (ada,) = users(app, 1)
    review = step(ada, library)
    write, runs = meets_a_deadlock(review, ATTEMPTS - 1)
    (_result, created) = committer.run(write, review.recover)
    committer.close()
    assert created is True
    assert len(runs) == ATTEMPTS
    assert stored_review_ids(app) == {review.review_id}


def test_a_deadlock_in_a_batch_runs_each_of_its_reviews_again_alone(
    app: FastAPI, library: Library
) -> None:
    committer = GroupCommitter(app.state.sessionmaker)
    ada, bob = users(app, 2)
    first, second = step(ada, library, CARDS[0]), step(bob, library, CARDS[1])
    write, runs = meets_a_deadlock(second, 1)
    outcomes: dict[str, Any] = {}

    def submit(name: str, work: Callable[[Session], Any], recover: Any) -> None:
        outcomes[name] = committer.run(work, recover)

    with held(committer) as queued:
        threads = [
            threading.Thread(target=submit, args=("first", first.write, first.recover)),
            threading.Thread(target=submit, args=("second", write, second.recover)),
        ]
        threads[0].start()
        queued(1)
        threads[1].start()
        queued(2)
    for thread in threads:
        thread.join()
    committer.close()
    assert [outcomes["first"][1], outcomes["second"][1]] == [True, True]
    assert len(runs) == 2  # in the batch, then alone
    assert stored_review_ids(app) == {first.review_id, second.review_id}


def test_a_review_that_keeps_meeting_deadlocks_gets_the_error_after_the_last_run(
    app: FastAPI, library: Library
) -> None:
    committer = GroupCommitter(app.state.sessionmaker)
    (ada,) = users(app, 1)
    review = step(ada, library)
    write, runs = meets_a_deadlock(review, ATTEMPTS)
    with pytest.raises(OperationalError):
        committer.run(write, review.recover)
    committer.close()
    assert len(runs) == ATTEMPTS
    assert stored_review_ids(app) == set()
