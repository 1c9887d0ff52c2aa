"""Automatic fits: queue one for each user whose review log has grown enough since the last.

A cheap scan that the background worker runs now and then, never work on the review path.
"""

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import FsrsFit, ReviewLog, User
from app.study.fit_jobs import PENDING, request_fit
from app.study.fitting import MINIMUM_ITEMS

_NEEDED = re.compile(r"needs (\d+) more review")


def enqueue_due_fits(session: Session, now: datetime | None = None) -> list[int]:
    """Queue an automatic fit for each user whose review log has grown enough; return ids.

    Due: no fit has finished yet and the log has at least MINIMUM_ITEMS reviews; or the log
    has at least doubled since the last finished fit (adopted, kept or failed); or the last
    fit found too few reviews and at least the number it needed have been added since.
    """
    rows = session.execute(
        select(ReviewLog.user_id, func.count()).group_by(ReviewLog.user_id)
    ).all()
    counts: dict[int, int] = {row[0]: row[1] for row in rows}
    latest: dict[int, FsrsFit] = {}
    pending: set[int] = set()
    for fit in session.scalars(select(FsrsFit).order_by(FsrsFit.requested_at, FsrsFit.id)):
        if fit.status in PENDING:
            pending.add(fit.user_id)
        else:
            latest[fit.user_id] = fit
    due = [
        user_id
        for user_id, count in counts.items()
        if user_id not in pending and _due(latest.get(user_id), count)
    ]
    queued = []
    for user_id in sorted(due):
        user = session.get(User, user_id)
        if user is not None:
            queued.append(request_fit(session, user, "auto", now).id)
    return queued


def _due(last: FsrsFit | None, count: int) -> bool:
    if last is None or last.review_count is None:
        return count >= MINIMUM_ITEMS
    if last.status == "too_few":
        return count >= last.review_count + needed_more(last)
    return count >= 2 * max(last.review_count, 1)


def needed_more(fit: FsrsFit) -> int:
    """Return how many more reviews a too_few fit said it needed (1 if it said nothing)."""
    match = _NEEDED.search(fit.message or "")
    return int(match.group(1)) if match else 1
