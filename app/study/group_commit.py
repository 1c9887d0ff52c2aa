"""Group commit: the writes that wait at the same moment share one transaction and one commit.

Every acknowledged write must be durable (SQLite syncs its log on each commit), and one sync
per write caps the writes a second at the disk's syncs a second. A committer thread takes the
jobs queued meanwhile, runs each in its own SAVEPOINT of one transaction (a failing job takes
back only its own writes, and its caller gets its own error), commits once, and only then
answers each caller. A lone job is committed at once: no job waits for company.

With several server processes on PostgreSQL, two such transactions can wait for each other
(each wrote a row the other wants): PostgreSQL ends one. Its jobs then run again, each alone,
up to ATTEMPTS times, and their callers never see that error.
"""

import asyncio
import contextvars
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from anyio import to_thread
from sqlalchemy.orm import Session, sessionmaker

from app.db import begin_writing, transient

T = TypeVar("T")
Work = Callable[[Session], T]
Recover = Callable[[Session, Exception], T]
MAX_BATCH = 64
ATTEMPTS = 3  # runs of a job whose transaction a deadlock or serialization failure ended

log = logging.getLogger("prepdeck.group_commit")


def run_step(
    session: Session, work: Work[T], recover: Recover[T] | None = None, *, shared: bool
) -> T:
    """Return work(session), uncommitted; on its error take its writes back and return
    recover(session, error) (which may raise), or raise the error.

    shared: other steps share the transaction, so the step runs in a SAVEPOINT and an error
    takes back only its own writes; alone, the whole transaction is rolled back.
    """
    try:
        if not shared:
            return work(session)
        with session.begin_nested():
            return work(session)
    except Exception as exc:
        if not shared:
            session.rollback()
        if recover is None or transient(exc):
            raise
        return recover(session, exc)


@dataclass
class _Queued:
    work: Work[Any]
    recover: Recover[Any] | None
    future: "Future[Any]" = field(default_factory=Future)
    # The caller's context: the step's statements count towards its request, and its log
    # lines carry the request's fields.
    context: contextvars.Context = field(default_factory=contextvars.copy_context)


Outcome = tuple[_Queued, Any, BaseException | None]


class GroupCommitter:
    """Run write steps in shared transactions on one thread; answer each after its commit."""

    def __init__(self, factory: sessionmaker[Session], max_batch: int = MAX_BATCH) -> None:
        self._factory = factory
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Queued | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def run(self, work: Work[T], recover: Recover[T] | None = None) -> T:
        """Run a step (see run_step) in a transaction shared with the steps queued meanwhile;
        return its result, or raise its error, once that transaction is committed.

        The step must not commit or roll back, and what it returns is all its caller sees of
        the session (closed after the commit).
        """
        queued = _Queued(work, recover)
        if not self._enqueue(queued):
            return cast(T, self._alone_now(queued))
        return cast(T, queued.future.result())

    async def run_async(self, work: Work[T], recover: Recover[T] | None = None) -> T:
        """As run, for a caller on the event loop: it waits without holding a thread.

        A caller cancelled meanwhile cancels only its wait: its step runs all the same (as it
        would for a thread blocked in run), so a review sent is recorded even when no one is
        left to read the answer.
        """
        queued = _Queued(work, recover)
        if not self._enqueue(queued):
            return cast(T, await to_thread.run_sync(self._alone_now, queued))
        return cast(T, await asyncio.wrap_future(queued.future))

    def _enqueue(self, queued: _Queued) -> bool:
        """Queue a step for the committer thread (started if need be); False once closed."""
        with self._lock:
            if self._closed:
                return False
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="group-commit", daemon=True
                )
                self._thread.start()
            self._queue.put(queued)
        return True

    def _alone_now(self, queued: _Queued) -> Any:
        """Commit a step alone on the caller's thread (shut down: no committer thread)."""
        self._run_batch([queued])
        return queued.future.result()

    def waiting(self) -> int:
        """Return how many steps wait for the committer thread."""
        return self._queue.qsize()

    def close(self) -> None:
        """Finish every queued step, then stop the thread; later steps commit alone."""
        with self._lock:
            self._closed = True
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(None)
        if thread is not None:
            thread.join()

    def _serve(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            self._run_batch(batch)
            if stop:
                return

    def _run_batch(self, batch: list[_Queued]) -> None:
        if len(batch) == 1:
            done = self._alone(batch[0])
        else:
            try:
                done = self._attempt(batch)
            except Exception:
                # The shared transaction failed (its commit, or a deadlock): commit each step
                # alone, so that one step's trouble costs the others only a retry.
                log.warning("a group commit of %d steps failed", len(batch), exc_info=True)
                for queued in batch:
                    self._run_batch([queued])
                return
        for queued, outcome, error in done:
            # A future its caller cancelled takes no answer; the step was done all the same.
            with suppress(InvalidStateError):
                if error is not None:
                    queued.future.set_exception(error)
                else:
                    queued.future.set_result(outcome)

    def _alone(self, queued: _Queued) -> list[Outcome]:
        """Run one step in a transaction of its own, again if a deadlock or serialization
        failure ended it (the other transaction went on, so the next run meets no such wait)."""
        attempt = 1
        while True:
            try:
                return self._attempt([queued])
            except Exception as exc:
                if attempt >= ATTEMPTS or not transient(exc):
                    return [(queued, None, exc)]
                met = type(getattr(exc, "orig", exc)).__name__
                log.info("a write met another transaction (%s): running it again", met)
                attempt += 1

    def _attempt(self, batch: list[_Queued]) -> list[Outcome]:
        """Run the steps in one transaction and commit it; raise if the commit fails, or if a
        step's error (a deadlock) ended the transaction for all of them."""
        done: list[Outcome] = []
        shared = len(batch) > 1
        with self._factory() as session:
            if shared:
                begin_writing(session)
            for queued in batch:
                try:
                    outcome = queued.context.run(
                        run_step, session, queued.work, queued.recover, shared=shared
                    )
                except Exception as exc:
                    if transient(exc):
                        raise
                    done.append((queued, None, exc))  # the step's own error, for its caller
                else:
                    done.append((queued, outcome, None))
            session.commit()
        return done
