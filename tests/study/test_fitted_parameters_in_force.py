"""Fitted FSRS parameters, once in force, are what every prediction of recall uses."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import fsrs
from sqlalchemy.orm import Session

from app.content.models import Library
from app.models import CardState, User
from app.study.browser import BrowseQuery, browse
from app.study.plan import predicted_recall
from app.study.reviews import record_review, replay_mismatches
from app.study.scheduling import Memory
from tests.helpers import add_user

NOON = datetime(2026, 6, 10, 12, tzinfo=UTC)
LATER = NOON + timedelta(days=9)


def fitted() -> tuple[float, ...]:
    """Return valid parameters other than the defaults: a flatter forgetting curve."""
    parameters = list(fsrs.scheduler.DEFAULT_PARAMETERS)
    parameters[20] = 0.5
    fsrs.Scheduler(parameters=parameters)  # fsrs accepts them
    return tuple(parameters)


def studied(session: Session, library: Library) -> tuple[User, CardState]:
    user = add_user(session)
    user.fsrs_parameters = json.dumps(list(fitted()))
    session.commit()
    for rating, when in ((3, NOON), (3, NOON + timedelta(minutes=10))):
        record_review(
            session=session,
            user=user,
            library=library,
            card_id="dropout",
            rating=rating,
            review_id=str(uuid.uuid4()),
            now=when,
        )
    row = session.get(CardState, (user.id, "dropout"))
    assert row is not None
    assert row.state == 2
    return user, row


def test_the_browser_and_the_plan_predict_with_the_fitted_curve(
    db: Session, library: Library
) -> None:
    user, row = studied(db, library)
    memory = Memory.of(row)
    with_fit = memory.retrievability(LATER, fitted())
    with_defaults = memory.retrievability(LATER)
    assert abs(with_fit - with_defaults) > 0.01
    page = browse(session=db, user=user, library=library, query=BrowseQuery(), now=LATER)
    (card,) = [item for item in page.rows if item.card.id == "dropout"]
    assert card.retrievability == with_fit
    assert predicted_recall(row, LATER, fitted()) == with_fit
    assert replay_mismatches(db, user) == []
