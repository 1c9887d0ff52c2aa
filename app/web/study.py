"""HTML pages: the study session (plain forms; study.js swaps cards without a reload).

A due card whose demo asks questions shows its question first; the answer (or Show) posts to
/study/quiz, which stores the attempt and shows the same card with the verdict, the true figure,
the card's answer and the grades, the one its verdict suggests marked.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import AfterValidator, AwareDatetime
from sqlalchemy.orm import Session

from app import urls
from app.content.models import Card, Deck, Difficulty, Library
from app.deps import (
    CommitterDep,
    CsrfProtected,
    CurrentUser,
    DifficultyParam,
    LibraryDep,
    MetricsDep,
    SessionDep,
    SlugParam,
)
from app.figures.params import query_of
from app.figures.questions import MAX_SEED, ask_once, summary_once
from app.models import CardState, User, utcnow
from app.rehearsal.explain import BadExplanation, NoKeyPoints, explain
from app.rehearsal.matching import MAX_TEXT
from app.study.attempts import InvalidAttempt, record_attempt, study_seed
from app.study.day import clock_time
from app.study.next_card import NextCard, next_card
from app.study.queue import MAX_FILTER_CARDS, StudyFilter
from app.study.reviews import (
    Conflict,
    NothingInSession,
    ReviewStep,
    find_card,
    question_of,
    record_grouped,
    session_start,
    set_flag,
    undo_last_action,
    undo_message,
)
from app.web.cards import (
    MAX_ANSWER_LENGTH,
    Explanation,
    QuizPanel,
    Verdict,
    check_answer,
    expected_text,
)
from app.web.cards import quiz_demo as question_demo
from app.web.templating import Page, PageDep

router = APIRouter(include_in_schema=False)

FormSlug = Annotated[str, Form(min_length=1, max_length=80)]
# A comma-separated list of card ids (a mock interview's cards to revisit).
MAX_CARDS_TEXT = MAX_FILTER_CARDS * 81
CardsParam = Annotated[
    str | None,
    Query(max_length=MAX_CARDS_TEXT, description="card ids, comma-separated; empty for any"),
]

AGAIN, GOOD = 1, 3

# The start of the study session: the study page sets it when first opened and its forms and
# redirects carry it along, so that undo stops there (the first undo past it asks first).
Since = Annotated[AwareDatetime, AfterValidator(session_start)]
SinceParam = Annotated[
    Since | None,
    Query(description="the start of the study session (set when the page is first opened)"),
]
SinceForm = Annotated[Since | None, Form()]


def suggested_rating(verdict: Verdict | None) -> int | None:
    """Return the grade a verdict suggests: Again when wrong, Good when right, none when shown."""
    if verdict is None or verdict.correct is None:
        return None
    return GOOD if verdict.correct else AGAIN


GRADE_NAMES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}


def suggestion(verdict: Verdict | None, explained: Explanation | None) -> tuple[int, str] | None:
    """Return the grade the prediction and the explanation suggest (the lower), and why."""
    reasons: list[tuple[int, str]] = []
    predicted = suggested_rating(verdict)
    if predicted is not None:
        reasons.append(
            (
                predicted,
                "your prediction was right" if predicted == GOOD else "your prediction was wrong",
            )
        )
    if explained is not None and explained.coverage is not None:
        coverage = explained.coverage
        made = sum(point.covered for point in coverage.points)
        reasons.append(
            (
                coverage.suggested_rating,
                f"your explanation made {made} of {len(coverage.points)} key points",
            )
        )
    if not reasons:
        return None
    rating = min(rating for rating, _why in reasons)
    return rating, " and ".join(why for _rating, why in reasons)


def review_question(user: User, shown: NextCard) -> QuizPanel | None:
    """Return the question of a due card whose demo asks one, drawn for this review."""
    if shown.item is None or shown.card is None:
        return None
    demo = question_demo(shown.card)
    if demo is None:
        return None
    # reps counts the card's reviews so far: the same review, the same question.
    seed = study_seed(user.id, shown.card.id, shown.item.memory.reps)
    return QuizPanel(demo=demo, asked=ask_once(demo, seed), next_seed=seed)


def study_page(
    page: Page,
    *,
    session: Session,
    user: User,
    library: Library,
    study_filter: StudyFilter,
    practice: bool = False,
    after: str | None = None,
    notice: str | None = None,
    notice_undo: Literal["undo", "earlier"] | None = None,
    since: datetime | None = None,
    status_code: int = 200,
    shown: NextCard | None = None,
    quiz: QuizPanel | None = None,
    explained: Explanation | None = None,
    leech: tuple[Deck, Card] | None = None,
) -> HTMLResponse:
    """Render the study page for the next card (or the practice card after `after`).

    A due card with key points offers to explain it back first; a due card whose demo asks
    questions shows its question before the answer, or, when quiz is given, that question's
    state (an error in the answer, or the verdict). explained is the checked explanation;
    leech the card the last grade made a leech. notice_undo adds a button to the notice: Undo
    (the action it reports), or "Undo an earlier action" (one before the session's start).
    since is the start of the study session (now when not given).
    """
    if since is None:
        since = utcnow()
    if shown is None:
        shown = next_card(
            session=session,
            user=user,
            library=library,
            study_filter=study_filter,
            now=utcnow(),
            practice=practice,
            after=after,
        )
    if quiz is None:
        quiz = review_question(user, shown)
    context: dict[str, object] = {
        "library": library,
        "filter": study_filter,
        "query": study_filter.query(),
        "counts": shown.counts,
        "notice": notice,
        "notice_error": status_code >= 400,
        "notice_undo": notice_undo,
        "since": since.isoformat(),
        "practice": practice,
        "next_learning_due": shown.next_learning_due,
        "next_learning_clock": shown.next_learning_due
        and clock_time(shown.next_learning_due, user.timezone),
        "difficulties": list(Difficulty),
        "topics": sorted({(t.id, t.label) for deck in library.decks for t in deck.topics}),
        "review_id": uuid.uuid4(),
        "quiz": quiz,
        "attempt_id": uuid.uuid4(),
        "explained": explained,
        "leech": leech and leech_notice(session, user, *leech),
        "plan_warning": None if practice else shown.plan_warning,
    }
    suggested = suggestion(quiz.verdict if quiz else None, explained)
    context["suggested"], context["suggested_why"] = suggested or (None, None)
    if shown.card is not None:
        context.update(deck=shown.deck, card=shown.card)
    if shown.item is not None:
        context.update(
            item=shown.item,
            buttons=[
                (preview.rating, preview.name, preview.interval) for preview in shown.previews
            ],
        )
    return page("study/study.html", context, status_code=status_code)


UNDID = Literal["again", "hard", "good", "easy", "bury", "suspend", "unsuspend", "nothing"]


def undo_notice(library: Library, undid: str, card_id: str | None) -> str | None:
    """Return the sentence saying what an undo took back (undid names the action undone)."""
    if undid == "nothing":
        return "Nothing to undo in this session."
    if card_id is None:
        return None
    return undo_message(undid, question_of(library, card_id))


def flag_notice(
    session: Session, user: User, library: Library, action: str, card_id: str
) -> str | None:
    """Return the sentence saying a card was buried or suspended, if it still is."""
    question = question_of(library, card_id)
    row = session.get(CardState, (user.id, card_id))
    if row is None:
        return None
    if action == "bury" and row.buried_until is not None and not row.suspended:
        return f"Buried “{question}” until {clock_time(row.buried_until, user.timezone)}"
    if action == "suspend" and row.suspended:
        return f"Suspended “{question}”: it stays out of your reviews until you unsuspend it"
    return None


@router.get("/study", response_class=HTMLResponse)
def read_study(
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    deck: SlugParam = None,
    topic: SlugParam = None,
    difficulty: DifficultyParam = None,
    practice: bool = False,
    after: SlugParam = None,
    undone: SlugParam = None,
    undid: Annotated[UNDID | None, Query(description="what the undo took back")] = None,
    buried: SlugParam = None,
    suspended: SlugParam = None,
    cards: CardsParam = None,
    leech: SlugParam = None,
    since: SinceParam = None,
) -> HTMLResponse:
    """Show the next card due (or a practice card, when asked), with the notice of what the
    last action did: an undo (undone, undid), a bury or a suspend (with an Undo button)."""
    notice = None
    notice_undo: Literal["undo", "earlier"] | None = None
    if undid is not None:
        notice = undo_notice(library, undid, undone)
        notice_undo = "earlier" if undid == "nothing" else None
    elif undone:  # a link from before undo said what it undid
        notice = f"Undid your last grade of “{question_of(library, undone)}”"
    elif buried or suspended:
        action, card_id = ("bury", buried) if buried else ("suspend", suspended)
        assert card_id is not None
        notice = flag_notice(session, user, library, action, card_id)
        notice_undo = "undo" if notice else None
    leech_card = find_card(library, leech) if leech and not undone else None
    return study_page(
        page,
        session=session,
        user=user,
        library=library,
        study_filter=StudyFilter.of(deck, topic, difficulty, cards),
        practice=practice,
        after=after,
        notice=notice,
        notice_undo=notice_undo,
        since=since,
        leech=leech_card,
    )


@dataclass(frozen=True)
class LeechNotice:
    """The card the last grade made a leech, and what became of it."""

    deck: Deck
    card: Card
    lapses: int
    suspended: bool
    asks: bool  # its demo asks a question to predict


def leech_notice(session: Session, user: User, deck: Deck, card: Card) -> LeechNotice | None:
    """Return the notice of a card that is a leech, or None (undone meanwhile, or not one)."""
    row = session.get(CardState, (user.id, card.id))
    if row is None or not row.leech:
        return None
    return LeechNotice(deck, card, row.lapses, row.suspended, question_demo(card) is not None)


def _conflict_page(
    page: Page,
    session: Session,
    user: User,
    library: Library,
    study_filter: StudyFilter,
    exc: Conflict,
    since: datetime | None,
) -> HTMLResponse:
    """Show the study page again with the reason the action was refused (409)."""
    return study_page(
        page,
        session=session,
        user=user,
        library=library,
        study_filter=study_filter,
        notice=str(exc),
        since=since,
        status_code=409,
    )


def _back(study_filter: StudyFilter, since: datetime | None, **extra: str) -> RedirectResponse:
    # The session's start first: the notices' parameters after it, as the last thing done.
    start = {"since": since.isoformat()} if since is not None else {}
    return RedirectResponse(urls.study({**study_filter.query(), **start, **extra}), status_code=303)


FilterForm = Annotated[str, Form(max_length=80)]


async def filter_form(
    deck: FilterForm = "",
    topic: FilterForm = "",
    difficulty: Annotated[Difficulty | Literal[""], Form()] = "",
    cards: Annotated[str, Form(max_length=MAX_CARDS_TEXT)] = "",
) -> StudyFilter:
    """Read the study filter that a form carries along in hidden fields."""
    return StudyFilter.of(deck, topic, difficulty or None, cards)


FilterFormDep = Annotated[StudyFilter, Depends(filter_form)]


@router.post("/study/review", dependencies=[CsrfProtected])
async def submit_review(
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    metrics: MetricsDep,
    committer: CommitterDep,
    card_id: FormSlug,
    rating: Annotated[int, Form(ge=1, le=4)],
    review_id: Annotated[uuid.UUID, Form()],
    version: Annotated[int, Form(ge=0)],
    study_filter: FilterFormDep,
    duration_ms: Annotated[int | None, Form(ge=0, le=86_400_000)] = None,
    since: SinceForm = None,
) -> Response:
    """Record a grade, then show the next card."""
    step = ReviewStep(
        user=user,
        library=library,
        card_id=card_id,
        rating=rating,
        review_id=str(review_id),
        now=utcnow(),
        duration_ms=duration_ms,
        expected_version=version,
    )
    try:
        result, _created = await record_grouped(committer, step, metrics.reviews, own=session)
    except Conflict as exc:
        return _conflict_page(page, session, user, library, study_filter, exc, since)
    if result.leech:
        return _back(study_filter, since, leech=card_id)
    return _back(study_filter, since)


SeedForm = Annotated[int, Form(ge=0, le=MAX_SEED)]


@router.post("/study/quiz", dependencies=[CsrfProtected], response_class=HTMLResponse)
def submit_study_quiz(
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    card_id: FormSlug,
    seed: SeedForm,
    attempt_id: Annotated[uuid.UUID, Form()],
    study_filter: FilterFormDep,
    answer: Annotated[str, Form(max_length=MAX_ANSWER_LENGTH)] = "",
    show: Annotated[Literal["", "1"], Form()] = "",
    duration_ms: Annotated[int | None, Form(ge=0, le=86_400_000)] = None,
    explained: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    since: SinceForm = None,
) -> HTMLResponse:
    """Check an answer to the due card's question (or skip it), then show the card to grade.

    explained carries the explanation checked before the question, to show it again.
    """
    now = utcnow()
    shown = next_card(
        session=session, user=user, library=library, study_filter=study_filter, now=now
    )
    common: dict[str, Any] = {
        "session": session,
        "user": user,
        "library": library,
        "study_filter": study_filter,
        "shown": shown,
        "since": since,
    }
    if explained.strip() and shown.card is not None and shown.card.id == card_id:
        common["explained"] = explanation_of(shown.card, explained)
    asked_now = review_question(user, shown)
    if shown.card is None or shown.card.id != card_id or asked_now is None:
        notice = (
            f"card_id: '{card_id}' is not the card due now, so the answer was not checked; "
            "here is the card due now."
        )
        return study_page(page, notice=notice, status_code=409, **common)
    if seed != asked_now.asked.seed:
        notice = (
            "seed: that question was for an earlier review of this card, so the answer was not "
            "checked; answer the question shown now."
        )
        return study_page(page, notice=notice, status_code=409, **common)
    asked = asked_now.asked
    demo = asked_now.demo
    correct, error = (None, None) if show else check_answer(asked, answer)
    if error is not None:
        quiz = QuizPanel(demo=demo, asked=asked, next_seed=seed, answer=answer, error=error)
        return study_page(page, status_code=422, quiz=quiz, **common)
    if correct is not None:
        try:
            record_attempt(
                session=session,
                user=user,
                card=shown.card,
                asked=asked,
                answer=answer,
                correct=correct,
                duration_ms=duration_ms,
                attempt_id=attempt_id,
                now=now,
            )
        except (Conflict, InvalidAttempt) as exc:
            status = 422 if isinstance(exc, InvalidAttempt) else 409
            return study_page(page, notice=str(exc), status_code=status, **common)
    verdict = Verdict(
        correct=correct,
        expected=expected_text(asked),
        explanation=asked.question.explanation,
        figure_url=urls.api_demo_image(demo.id, "png", urlencode(query_of(asked.params))),
        alt=summary_once(demo, asked.params),
    )
    quiz = QuizPanel(demo=demo, asked=asked, next_seed=seed, answer=answer, verdict=verdict)
    return study_page(page, quiz=quiz, **common)


def explanation_of(card: Card, text: str) -> Explanation:
    """Check an explained answer against the card's key points, or say why it was not."""
    try:
        return Explanation(text, coverage=explain(card, text))
    except (BadExplanation, NoKeyPoints) as exc:
        return Explanation(text, error=str(exc))


@router.post("/study/explain", dependencies=[CsrfProtected], response_class=HTMLResponse)
def submit_study_explanation(
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    card_id: FormSlug,
    study_filter: FilterFormDep,
    text: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    since: SinceForm = None,
) -> HTMLResponse:
    """Check an explanation of the due card against its key points; nothing is stored.

    Then the card's question (if its demo asks one) or its answer, with the suggested grade.
    """
    shown = next_card(
        session=session, user=user, library=library, study_filter=study_filter, now=utcnow()
    )
    common: dict[str, Any] = {
        "session": session,
        "user": user,
        "library": library,
        "study_filter": study_filter,
        "shown": shown,
        "since": since,
    }
    if shown.card is None or shown.card.id != card_id:
        notice = (
            f"card_id: '{card_id}' is not the card due now, so the explanation was not "
            "checked; here is the card due now."
        )
        return study_page(page, notice=notice, status_code=409, **common)
    if not text.strip():
        explained = Explanation(text, error="text: type your explanation first")
        return study_page(page, explained=explained, status_code=422, **common)
    explained = explanation_of(shown.card, text)
    status = 422 if explained.error else 200
    return study_page(page, explained=explained, status_code=status, **common)


@router.post("/study/undo", dependencies=[CsrfProtected])
def submit_undo(
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    study_filter: FilterFormDep,
    since: SinceForm = None,
    earlier: Annotated[Literal["", "1"], Form()] = "",
) -> Response:
    """Undo the latest action (a grade, bury or suspend) and say what it was; one from before
    the session's start only when asked on purpose (earlier=1)."""
    try:
        undone = undo_last_action(session=session, user=user, since=None if earlier else since)
    except NothingInSession:
        return _back(study_filter, since, undid="nothing")
    except Conflict as exc:
        return _conflict_page(page, session, user, library, study_filter, exc, since)
    return _back(study_filter, since, undone=undone.card_id, undid=undone.name)


@router.post("/study/{action}", dependencies=[CsrfProtected])
def submit_flag(
    action: Literal["bury", "suspend"],
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    card_id: FormSlug,
    study_filter: FilterFormDep,
    since: SinceForm = None,
) -> Response:
    """Bury the card until tomorrow or suspend it, then show the next card with a notice of
    it and an Undo button; a refused bury (a card in learning) shows the study page again
    with the reason (409)."""
    try:
        set_flag(
            session=session,
            user=user,
            library=library,
            card_id=card_id,
            action=action,
            now=utcnow(),
            undoable=True,
        )
    except Conflict as exc:
        return _conflict_page(page, session, user, library, study_filter, exc, since)
    done = {"bury": "buried", "suspend": "suspended"}[action]
    return _back(study_filter, since, **{done: card_id})
