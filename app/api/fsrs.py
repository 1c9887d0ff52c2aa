"""JSON API: the user's FSRS parameters, and asking for a fit of them to their reviews."""

import json

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session

from app import urls
from app.api.schemas import AUTHENTICATED, CSRF_FAILED, LOGIN_REQUIRED, FitOut, FsrsOut
from app.deps import CsrfProtected, CurrentUser, SessionDep
from app.models import FsrsFit, User
from app.study.fit_jobs import fsrs_status, request_fit

router = APIRouter(
    prefix=urls.API, tags=["progress"], dependencies=AUTHENTICATED, responses=LOGIN_REQUIRED
)

NO_BODY_MESSAGE = "This route takes no body: send the request without one"


def fit_out(fit: FsrsFit) -> FitOut:
    """Return a fit as the API shows it."""
    return FitOut(
        id=fit.id,
        trigger=fit.trigger,
        status=fit.status,
        requested_at=fit.requested_at,
        started_at=fit.started_at,
        finished_at=fit.finished_at,
        review_count=fit.review_count,
        parameters=None if fit.parameters is None else json.loads(fit.parameters),
        previous_parameters=(
            None if fit.previous_parameters is None else json.loads(fit.previous_parameters)
        ),
        current_log_loss=fit.current_log_loss,
        current_rmse=fit.current_rmse,
        fitted_log_loss=fit.fitted_log_loss,
        fitted_rmse=fit.fitted_rmse,
        message=fit.message,
    )


@router.get("/me/fsrs")
def read_fsrs(user: CurrentUser, session: SessionDep) -> FsrsOut:
    """Return the FSRS parameters in force (fitted or the defaults) and the latest fit."""
    status = fsrs_status(session, user)
    return FsrsOut(
        parameters=status.parameters,
        fitted=status.fitted,
        fitted_on=status.fitted_on,
        latest_fit=None if status.latest is None else fit_out(status.latest),
    )


@router.post(
    "/me/fsrs/optimize",
    status_code=202,
    dependencies=[CsrfProtected],
    responses=CSRF_FAILED,
)
async def optimize(request: Request, user: CurrentUser, session: SessionDep) -> FitOut:
    """Queue a fit of the FSRS parameters to the user's reviews (no body).

    The fit runs in the background; the answer is the queued fit, or the one already queued
    or running. The fitted parameters are adopted only if they predict the user's reviews
    better than those in force. Poll GET /me/fsrs for the outcome.
    """
    if (await request.body()).strip():
        raise RequestValidationError(
            [{"type": "no_body", "loc": ("body",), "msg": NO_BODY_MESSAGE}]
        )
    fit = await run_in_threadpool(_request, session, user)
    request.app.state.fit_worker.wake()
    return fit


def _request(session: Session, user: User) -> FitOut:
    return fit_out(request_fit(session, user, "user"))
