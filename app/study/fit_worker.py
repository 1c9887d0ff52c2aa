"""The background worker of the app: runs queued FSRS fits in a separate process.

One thread per app process waits for work (woken when a fit is asked for, else every few
seconds), claims fits from the database and sends each to a fresh child process (the
'spawn' start method), so training uses neither the app's GIL nor its request threads. Now and
then it also queues automatic fits and re-queues fits left running by a process that died.
"""

import logging
import multiprocessing
import threading
import time
from collections import deque
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess

from sqlalchemy.orm import Session, sessionmaker

from app.study.fit_auto import enqueue_due_fits
from app.study.fit_jobs import (
    Job,
    claim_next,
    compute_here,
    release,
    requeue_stale,
    run_job,
)
from app.study.fitting import FitResult, Training

logger = logging.getLogger(__name__)

POLL_SECONDS = 5.0
SCAN_SECONDS = 600.0  # how often to look for users due an automatic fit
TIME_LIMIT_SECONDS = 20 * 60.0  # a fit running longer is stopped and recorded as failed


class FitStopped(Exception):
    """The worker stopped while a fit was running; the fit goes back to the queue."""


def _child(connection: Connection, job: Job, training: Training | None) -> None:
    """Compute in the child process and send back the result or the error's text."""
    try:
        connection.send(("ok", compute_here(job, training)))
    except Exception as exc:
        connection.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        connection.close()


class FitWorker:
    """Runs the fit queue in a background thread, each fit in a child process."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        poll_seconds: float = POLL_SECONDS,
        scan_seconds: float = SCAN_SECONDS,
        training: Training | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.poll_seconds = poll_seconds
        self.scan_seconds = scan_seconds
        self.training = training
        self.finished: deque[tuple[int, str, FitResult | None]] = deque(maxlen=100)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="fsrs-fits", daemon=True)
        self._context = multiprocessing.get_context("spawn")
        self._last_scan = float("-inf")

    def start(self) -> None:
        """Start the background thread (again, after a stop)."""
        if self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="fsrs-fits", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look at the queue now rather than at the next poll."""
        self._wake.set()

    def scan_now(self) -> None:
        """Look for users due an automatic fit at the next round, which starts now."""
        self._last_scan = float("-inf")
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop: a running fit's child is ended and its fit goes back to the queue."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._round()
            except Exception:
                logger.exception("the FSRS fit worker failed a round; it carries on")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def _round(self) -> None:
        with self.session_factory() as session:
            requeue_stale(session)
            if time.monotonic() - self._last_scan >= self.scan_seconds:
                self._last_scan = time.monotonic()
                enqueue_due_fits(session)
        while not self._stop.is_set():
            with self.session_factory() as session:
                job = claim_next(session)
            if job is None:
                return
            try:
                outcome = run_job(
                    self.session_factory, job, compute=self._compute, training=self.training
                )
            except FitStopped:
                with self.session_factory() as session:
                    release(session, job)
                return
            self.finished.append(outcome)

    def _compute(self, job: Job, training: Training | None) -> FitResult:
        """Compute a fit in a fresh child process; raise RuntimeError if it dies or overruns."""
        receiver, sender = self._context.Pipe(duplex=False)
        process: SpawnProcess = self._context.Process(
            target=_child, args=(sender, job, training), name="fsrs-fit", daemon=True
        )
        process.start()
        sender.close()
        deadline = time.monotonic() + TIME_LIMIT_SECONDS
        try:
            while not receiver.poll(0.2):
                if self._stop.is_set():
                    raise FitStopped
                if not process.is_alive() and not receiver.poll(0):
                    raise RuntimeError(f"the fit process ended with code {process.exitcode}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the fit took longer than {TIME_LIMIT_SECONDS:.0f} s")
            try:
                kind, payload = receiver.recv()
            except EOFError as exc:
                raise RuntimeError("the fit process ended without an answer") from exc
        finally:
            receiver.close()
            if process.is_alive():
                process.join(timeout=1)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
        if kind == "error":
            raise RuntimeError(str(payload))
        assert isinstance(payload, FitResult)
        return payload
