"""JSON API: interview dates and the plan to meet them."""

from fastapi import APIRouter, Response

from app import urls
from app.api.schemas import (
    AUTHENTICATED,
    CSRF_FAILED,
    LOGIN_REQUIRED,
    CardRecallOut,
    DeckPlanOut,
    DeckRecallOut,
    InterviewDateIn,
    InterviewDateOut,
    PlanOut,
)
from app.deps import CsrfProtected, CurrentUser, LibraryDep, SessionDep, SlugParam
from app.models import utcnow
from app.study.plan import ALL_DECKS, DeckPlan, Plan, clear_date, compute_plan, set_date

router = APIRouter(
    prefix=urls.API, tags=["progress"], dependencies=AUTHENTICATED, responses=LOGIN_REQUIRED
)


def _deck(plan: DeckPlan) -> DeckPlanOut:
    return DeckPlanOut(
        deck=plan.deck.id,
        title=plan.deck.title,
        date=plan.interview_date,
        date_for=None if plan.interview_date is None else "deck" if plan.own else "all",
        status=plan.status,
        days_left=plan.days_left,
        finish_by=plan.finish_by,
        cards=plan.cards,
        to_introduce=plan.to_introduce,
        introduced_today=plan.introduced_today,
        new_per_day_needed=plan.per_day,
        new_per_day_pace=plan.pace,
        new_per_day_limit=plan.limit,
        left_over=plan.left_over,
        final_days=plan.final_days,
        warning=plan.warning,
    )


def plan_out(plan: Plan) -> PlanOut:
    """Return the plan as the API shows it."""
    return PlanOut(
        today=plan.today,
        new_per_day_limit=plan.limit,
        new_per_day_needed=plan.per_day,
        dates=[
            InterviewDateOut(deck=deck_id or None, date=day)
            for deck_id, day in sorted(plan.dates.items())
        ],
        decks=[_deck(deck_plan) for deck_plan in plan.decks],
        recall=[
            DeckRecallOut(
                deck=recall.deck.id,
                expected=recall.expected,
                expected_introduced=recall.expected_introduced,
                not_introduced=recall.not_introduced,
            )
            for recall in plan.recalls
        ],
        cards=[
            CardRecallOut(
                deck=entry.deck.id,
                card=entry.card.id,
                question=entry.card.question,
                recall=entry.recall,
                suspended=entry.suspended,
                url=urls.card(entry.deck.id, entry.card.id),
            )
            for entry in plan.cards
        ],
        warning=plan.warning,
    )


@router.get("/me/plan")
def read_plan(user: CurrentUser, session: SessionDep, library: LibraryDep) -> PlanOut:
    """Return the interview plan: new cards a day per dated deck, and recall on the dates."""
    return plan_out(compute_plan(session=session, user=user, library=library, now=utcnow()))


@router.put("/me/interview-dates", dependencies=[CsrfProtected], responses=CSRF_FAILED)
def put_interview_date(
    body: InterviewDateIn, user: CurrentUser, session: SessionDep, library: LibraryDep
) -> InterviewDateOut:
    """Set the date of an interview for a deck, or (deck null) for every deck."""
    stored = set_date(
        session=session,
        user=user,
        library=library,
        deck_id=body.deck,
        day=body.date,
        now=utcnow(),
    )
    return InterviewDateOut(deck=None if stored == ALL_DECKS else stored, date=body.date)


@router.delete(
    "/me/interview-dates", status_code=204, dependencies=[CsrfProtected], responses=CSRF_FAILED
)
def delete_interview_date(
    user: CurrentUser, session: SessionDep, library: LibraryDep, deck: SlugParam = None
) -> Response:
    """Remove the date of an interview for a deck, or (no deck) the one for every deck."""
    clear_date(session=session, user=user, library=library, deck_id=deck)
    return Response(status_code=204)
