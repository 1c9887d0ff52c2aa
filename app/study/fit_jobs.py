"""The queue of FSRS fits: asking for one, claiming it, running it, recording the result.

A fit is a row of fsrs_fits. Asking inserts a queued row (one queued or running fit per user:
asking again returns it). A worker claims a row with an UPDATE that only a queued row passes,
so several app processes on one database never run a fit twice; it reads the review log,
computes the fit (in another process, see fit_worker.py, or in this one for the CLI) and
adopts the fitted parameters only when they predict the user's own history better.
"""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.models import FsrsFit, ReviewLog, User, utcnow
from app.study.fitting import (
    MINIMUM_ITEMS,
    FitResult,
    Review,
    Training,
    fit_reviews,
    parameters_in_force,
)

logger = logging.getLogger(__name__)

TRIGGERS = ("user", "schedule", "auto")
PENDING = ("queued", "running")
DONE = ("adopted", "kept", "too_few", "failed")
# A fit still running this long after it started was left by a process that died: queue it
# again. A fit of 100,000 reviews takes seconds, so this is far past any live one.
STALE_AFTER = timedelta(minutes=30)


@dataclass(frozen=True)
class Job:
    """A claimed fit: what the computation needs, as plain data."""

    fit_id: int
    user_id: int
    started_at: datetime
    reviews: list[Review]
    timezone: str
    day_starts_at: int
    stored_parameters: str | None


# Computes a job's fit; the worker sends it to another process, the CLI runs it here.
Compute = Callable[[Job, Training | None], FitResult]


def compute_here(job: Job, training: Training | None) -> FitResult:
    """Compute a job's fit in this process; a panic of the library becomes RuntimeError."""
    try:
        return fit_reviews(
            job.reviews,
            timezone=job.timezone,
            day_starts_at=job.day_starts_at,
            current=parameters_in_force(job.stored_parameters),
            training=training,
        )
    except (KeyboardInterrupt, SystemExit):
        raise
    except ValueError:
        raise
    except BaseException as exc:  # pyo3's PanicException derives from BaseException
        raise RuntimeError(f"{type(exc).__name__}: {exc}") from exc


def request_fit(session: Session, user: User, trigger: str, now: datetime | None = None) -> FsrsFit:
    """Queue a fit of the user's parameters, or return the one already queued or running."""
    if trigger not in TRIGGERS:
        raise ValueError(f"unknown trigger {trigger!r}")
    pending = _pending(session, user.id)
    if pending is not None:
        return pending
    fit = FsrsFit(user_id=user.id, trigger=trigger, status="queued", requested_at=now or utcnow())
    session.add(fit)
    session.commit()
    # Two requests at once (two processes) may both have inserted: the oldest one stays.
    first = _pending(session, user.id)
    if first is not None and first.id != fit.id:
        session.delete(fit)
        session.commit()
        return first
    return fit


def _pending(session: Session, user_id: int) -> FsrsFit | None:
    return session.scalars(
        select(FsrsFit)
        .where(FsrsFit.user_id == user_id, FsrsFit.status.in_(PENDING))
        .order_by(FsrsFit.id)
        .limit(1)
    ).first()


def latest_fit(session: Session, user_id: int) -> FsrsFit | None:
    """Return the user's most recently requested fit, if any."""
    return session.scalars(
        select(FsrsFit)
        .where(FsrsFit.user_id == user_id)
        .order_by(FsrsFit.requested_at.desc(), FsrsFit.id.desc())
        .limit(1)
    ).first()


def adopted_fit(session: Session, user: User) -> FsrsFit | None:
    """Return the fit whose parameters are in force for the user, if they came from one."""
    if user.fsrs_parameters is None:
        return None
    return session.scalars(
        select(FsrsFit)
        .where(
            FsrsFit.user_id == user.id,
            FsrsFit.status == "adopted",
            FsrsFit.parameters == user.fsrs_parameters,
        )
        .order_by(FsrsFit.finished_at.desc(), FsrsFit.id.desc())
        .limit(1)
    ).first()


def claim_next(session: Session, now: datetime | None = None) -> Job | None:
    """Claim the oldest queued fit (atomically: one claimant wins) and load what it needs."""
    while True:
        fit_id = session.scalars(
            select(FsrsFit.id)
            .where(FsrsFit.status == "queued")
            .order_by(FsrsFit.requested_at, FsrsFit.id)
            .limit(1)
        ).first()
        if fit_id is None:
            session.rollback()
            return None
        job = claim(session, fit_id, now)
        if job is not None:
            return job
        # another worker took it first: try the next one


def claim(session: Session, fit_id: int, now: datetime | None = None) -> Job | None:
    """Claim one queued fit: None if it is not queued (another worker has it, or it is done)."""
    started = now or utcnow()
    claimed = session.execute(
        update(FsrsFit)
        .where(FsrsFit.id == fit_id, FsrsFit.status == "queued")
        .values(status="running", started_at=started)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return _load(session, fit_id, started)


def _load(session: Session, fit_id: int, started: datetime) -> Job:
    fit = session.get(FsrsFit, fit_id)
    assert fit is not None
    user = session.get(User, fit.user_id)
    assert user is not None
    rows = session.execute(
        select(ReviewLog.card_id, ReviewLog.reviewed_at, ReviewLog.rating, ReviewLog.kind)
        .where(ReviewLog.user_id == user.id)
        .order_by(ReviewLog.reviewed_at, ReviewLog.id)
    ).all()
    job = Job(
        fit_id=fit.id,
        user_id=user.id,
        started_at=started,
        reviews=[Review(*row) for row in rows],
        timezone=user.timezone,
        day_starts_at=user.day_starts_at,
        stored_parameters=user.fsrs_parameters,
    )
    fit.previous_parameters = user.fsrs_parameters
    fit.review_count = len(rows)
    session.commit()
    return job


def record(session: Session, job: Job, result: FitResult, now: datetime | None = None) -> str:
    """Record a fit's result; adopt the fitted parameters when they are better. Return status.

    Adoption changes the user's parameters only if they are still those the fit started
    from, and the row only if this worker still holds the fit (not re-queued meanwhile).
    """
    values: dict[str, object] = {"finished_at": now or utcnow()}
    if result.too_few:
        status = "too_few"
        values["message"] = (
            f"needs {result.needed} more reviews: a fit needs {MINIMUM_ITEMS} reviews on a "
            f"later day than the card's previous review; there are {result.items}"
        )
    else:
        fitted = json.dumps(result.parameters)
        values |= {
            "parameters": fitted,
            "current_log_loss": result.current_log_loss,
            "current_rmse": result.current_rmse,
            "fitted_log_loss": result.fitted_log_loss,
            "fitted_rmse": result.fitted_rmse,
        }
        status = "kept"
        values["message"] = (
            f"fitted to {result.items} reviews on a later day than the card's previous one; "
            "kept the parameters in force, which predict them as well"
        )
        if result.better and _still_held(session, job):
            adopted = session.execute(
                update(User)
                .where(
                    User.id == job.user_id,
                    User.fsrs_parameters.is_not_distinct_from(job.stored_parameters),
                )
                .values(fsrs_parameters=fitted)
                .execution_options(synchronize_session=False)
            )
            if adopted.rowcount == 1:  # type: ignore[attr-defined]
                status = "adopted"
                values["message"] = (
                    f"fitted to {result.items} reviews on a later day than the card's "
                    "previous one; adopted, as they predict them better"
                )
            else:
                values["message"] = (
                    f"fitted to {result.items} reviews; not adopted: the parameters "
                    "changed while it ran"
                )
    _finish(session, job, status, values)
    return status


def record_failure(session: Session, job: Job, reason: str, now: datetime | None = None) -> None:
    """Record that a fit failed, with a one-line reason."""
    _finish(session, job, "failed", {"finished_at": now or utcnow(), "message": reason[:500]})


def _still_held(session: Session, job: Job) -> bool:
    status = session.scalar(
        select(FsrsFit.status).where(FsrsFit.id == job.fit_id, FsrsFit.started_at == job.started_at)
    )
    return status == "running"


def _finish(session: Session, job: Job, status: str, values: dict[str, object]) -> None:
    session.execute(
        update(FsrsFit)
        .where(
            FsrsFit.id == job.fit_id,
            FsrsFit.status == "running",
            FsrsFit.started_at == job.started_at,
        )
        .values(status=status, **values)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def release(session: Session, job: Job) -> None:
    """Put a claimed fit back in the queue (its worker is stopping)."""
    session.execute(
        update(FsrsFit)
        .where(
            FsrsFit.id == job.fit_id,
            FsrsFit.status == "running",
            FsrsFit.started_at == job.started_at,
        )
        .values(status="queued", started_at=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def requeue_stale(session: Session, now: datetime | None = None) -> int:
    """Queue again the fits left running by a process that died; return how many."""
    cutoff = (now or utcnow()) - STALE_AFTER
    stale = FsrsFit.status == "running", FsrsFit.started_at < cutoff
    # Looked for first: an UPDATE, even of no row, would take SQLite's write lock each poll.
    if session.scalar(select(func.count()).select_from(FsrsFit).where(*stale)) == 0:
        session.rollback()
        return 0
    result = session.execute(
        update(FsrsFit)
        .where(*stale)
        .values(status="queued", started_at=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


def run_pending_fits(
    session_factory: sessionmaker[Session],
    *,
    compute: Compute = compute_here,
    training: Training | None = None,
    limit: int | None = None,
) -> list[tuple[int, str, FitResult | None]]:
    """Run queued fits until none is left (or limit); return (fit id, status, result) each."""
    done: list[tuple[int, str, FitResult | None]] = []
    while limit is None or len(done) < limit:
        with session_factory() as session:
            job = claim_next(session)
        if job is None:
            break
        done.append(run_job(session_factory, job, compute=compute, training=training))
    return done


def run_job(
    session_factory: sessionmaker[Session],
    job: Job,
    *,
    compute: Compute = compute_here,
    training: Training | None = None,
) -> tuple[int, str, FitResult | None]:
    """Compute one claimed fit and record its outcome; a failure is recorded, not raised."""
    try:
        result = compute(job, training)
    except (ValueError, RuntimeError, OSError) as exc:
        logger.warning("FSRS fit %s failed: %s", job.fit_id, exc)
        with session_factory() as session:
            record_failure(session, job, f"the fit failed: {exc}")
        return job.fit_id, "failed", None
    with session_factory() as session:
        status = record(session, job, result)
    logger.info("FSRS fit %s of user %s: %s", job.fit_id, job.user_id, status)
    return job.fit_id, status, result


@dataclass(frozen=True)
class FsrsStatus:
    """The parameters in force for a user and their latest fit, for the page and the API."""

    parameters: list[float]
    fitted: bool  # their own parameters rather than the defaults
    fitted_on: datetime | None  # when the fit that produced them finished, if known
    latest: FsrsFit | None


def fsrs_status(session: Session, user: User) -> FsrsStatus:
    """Return the parameters in force for the user, where they came from, and the latest fit."""
    adopted = adopted_fit(session, user)
    return FsrsStatus(
        parameters=parameters_in_force(user.fsrs_parameters),
        fitted=user.fsrs_parameters is not None,
        fitted_on=adopted.finished_at if adopted is not None else None,
        latest=latest_fit(session, user.id),
    )
