"""JSON API: the user's progress."""

from fastapi import APIRouter

from app import urls
from app.api.schemas import (
    AUTHENTICATED,
    LOGIN_REQUIRED,
    CardPredictionsOut,
    ForecastDayOut,
    LeechOut,
    OutcomeOut,
    PredictionsOut,
    PredictionWeekOut,
    ProgressOut,
    RetentionOut,
    TallyOut,
    TopicOut,
    TopicPredictionsOut,
)
from app.deps import CurrentUser, LibraryDep, SessionDep
from app.models import utcnow
from app.study.predictions import CardTally, Predictions, Tally
from app.study.progress import Retention, compute_progress

router = APIRouter(
    prefix=urls.API, tags=["progress"], dependencies=AUTHENTICATED, responses=LOGIN_REQUIRED
)


def _retention(window: Retention) -> RetentionOut:
    return RetentionOut(
        days=window.days, reviews=window.reviews, passed=window.passed, rate=window.rate
    )


def _tally(tally: Tally) -> TallyOut:
    return TallyOut(answered=tally.answered, right=tally.right, rate=tally.rate)


def _card(tally: CardTally) -> CardPredictionsOut:
    return CardPredictionsOut(
        deck=tally.deck.id,
        card=tally.card.id,
        question=tally.card.question,
        total=_tally(tally.total),
        last=[OutcomeOut(answered_at=o.answered_at, right=o.right) for o in tally.last],
        demo_url=urls.card(tally.deck.id, tally.card.id, fragment="demo"),
    )


def _predictions(predictions: Predictions) -> PredictionsOut:
    return PredictionsOut(
        total=_tally(predictions.total),
        last_30d=_tally(predictions.recent),
        weeks=[
            PredictionWeekOut(start=week.start, **_tally(week.tally).model_dump())
            for week in predictions.weeks
        ],
        topics=[
            TopicPredictionsOut(
                deck=topic.deck,
                topic=topic.topic,
                label=topic.label,
                last_30d=_tally(topic.recent),
                earlier=_tally(topic.earlier),
                total=_tally(topic.total),
            )
            for topic in predictions.topics
        ],
        cards=[_card(tally) for tally in predictions.cards],
        revisit=[_card(tally) for tally in predictions.revisit],
    )


@router.get("/progress")
def read_progress(user: CurrentUser, session: SessionDep, library: LibraryDep) -> ProgressOut:
    """Return cards by state, reviews, retention, streak, mastery, predictions, leeches."""
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
        predictions=_predictions(progress.predictions),
        leeches=[
            LeechOut(
                deck=leech.deck.id,
                card=leech.card.id,
                question=leech.card.question,
                lapses=leech.lapses,
                suspended=leech.suspended,
                url=urls.card(leech.deck.id, leech.card.id),
                demo_url=urls.card(leech.deck.id, leech.card.id, fragment="demo")
                if leech.card.demo
                else None,
            )
            for leech in progress.leeches
        ],
    )
