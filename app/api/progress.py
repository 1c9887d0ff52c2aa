"""JSON API: the user's progress."""

from fastapi import APIRouter

from app import urls
from app.api.schemas import (
    AUTHENTICATED,
    LOGIN_REQUIRED,
    ForecastDayOut,
    ProgressOut,
    RetentionOut,
    TopicOut,
)
from app.deps import CurrentUser, LibraryDep, SessionDep
from app.models import utcnow
from app.study.progress import Retention, compute_progress

router = APIRouter(
    prefix=urls.API, tags=["progress"], dependencies=AUTHENTICATED, responses=LOGIN_REQUIRED
)


def _retention(window: Retention) -> RetentionOut:
    return RetentionOut(
        days=window.days, reviews=window.reviews, passed=window.passed, rate=window.rate
    )


@router.get("/progress")
def read_progress(user: CurrentUser, session: SessionDep, library: LibraryDep) -> ProgressOut:
    """Return cards by state, reviews, retention, streak, mastery per topic and forecast."""
    progress = compute_progress(session=session, user=user, library=library, now=utcnow())
    week, month = progress.retention
    return ProgressOut(
        today=progress.today,
        cards=progress.by_state,
        hidden_cards=progress.hidden,
        reviews_today=progress.reviews_today,
        total_reviews=progress.total_reviews,
        streak_days=progress.streak,
        retention_7d=_retention(week),
        retention_30d=_retention(month),
        topics=[TopicOut(**topic.__dict__) for topic in progress.topics],
        forecast=[ForecastDayOut(date=day, due=due) for day, due in progress.forecast],
        calendar=progress.calendar,
    )
