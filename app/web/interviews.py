"""HTML pages: the mock interview (plain forms, POST-redirect-GET; interview.js counts down)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app import urls
from app.content.models import Difficulty, Library
from app.deps import CsrfProtected, CurrentUser, LibraryDep, SessionDep
from app.models import Interview, InterviewAnswer, User, utcnow
from app.rehearsal.explain import BadExplanation
from app.rehearsal.interviews import (
    DEFAULT_QUESTIONS,
    DEFAULT_SECONDS,
    MAX_QUESTIONS,
    MAX_SECONDS,
    MIN_QUESTIONS,
    MIN_SECONDS,
    InterviewError,
    InvalidInterview,
    Options,
    Step,
    answers_of,
    coverage_of,
    create_interview,
    deadline_of,
    find_card,
    get_interview,
    plan_of,
    question_text,
    record_answer,
    report_of,
    serve,
)
from app.rehearsal.matching import MAX_TEXT
from app.web.templating import Page, PageDep

router = APIRouter(include_in_schema=False)

FormList = Annotated[list[Annotated[str, Form(max_length=80)]], Form(max_length=50)]


def _setup_context(library: Library) -> dict[str, Any]:
    topics = sorted({(t.id, t.label) for deck in library.decks for t in deck.topics})
    return {
        "library": library,
        "topics": topics,
        "difficulties": list(Difficulty),
        "limits": {
            "questions": (MIN_QUESTIONS, MAX_QUESTIONS),
            "seconds": (MIN_SECONDS, MAX_SECONDS),
        },
        "json_url": urls.api_interviews(),
    }


def setup_page(
    page: Page,
    library: Library,
    values: dict[str, Any] | None = None,
    error: InvalidInterview | None = None,
) -> HTMLResponse:
    """Render the setup form, with the values sent and the error they gave, if any."""
    context = _setup_context(library)
    context["values"] = values or {
        "questions": str(DEFAULT_QUESTIONS),
        "seconds_per_answer": str(DEFAULT_SECONDS),
        "decks": [],
        "topics": [],
        "difficulty": [],
    }
    context["error"] = error
    return page("interview/setup.html", context, status_code=422 if error else 200)


@router.get("/interview", response_class=HTMLResponse)
def read_interview_setup(page: PageDep, user: CurrentUser, library: LibraryDep) -> HTMLResponse:
    """Show the form that starts a mock interview."""
    return setup_page(page, library)


def _whole(field: str, text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise InvalidInterview(field, f"send a whole number, not '{text}'") from None


@router.post("/interview", dependencies=[CsrfProtected], response_class=HTMLResponse)
def start_interview(
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    questions: Annotated[str, Form(max_length=20)] = str(DEFAULT_QUESTIONS),
    seconds_per_answer: Annotated[str, Form(max_length=20)] = str(DEFAULT_SECONDS),
    decks: FormList | None = None,
    topics: FormList | None = None,
    difficulty: Annotated[list[Difficulty] | None, Form(max_length=3)] = None,
) -> Response:
    """Start a mock interview and show its first question."""
    values = {
        "questions": questions,
        "seconds_per_answer": seconds_per_answer,
        "decks": decks or [],
        "topics": topics or [],
        "difficulty": [level.value for level in difficulty or []],
    }
    try:
        options = Options(
            questions=_whole("questions", questions),
            seconds_per_answer=_whole("seconds_per_answer", seconds_per_answer),
            decks=tuple(decks or ()),
            topics=tuple(topics or ()),
            difficulty=tuple(difficulty or ()),
        )
        interview = create_interview(
            session=session, user=user, library=library, options=options, now=utcnow()
        )
    except InvalidInterview as exc:
        return setup_page(page, library, values, exc)
    return RedirectResponse(urls.interview(interview.public_id), status_code=303)


@dataclass(frozen=True)
class Shown:
    """A step on the page: its question, its deadline, and the time left when rendered."""

    row: InterviewAnswer
    question: str
    deadline: datetime
    deadline_local: str
    seconds_left: int
    number: int


def _local(moment: datetime, user: User) -> str:
    try:
        zone = ZoneInfo(user.timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%H:%M")


def interview_page(
    page: Page,
    *,
    session: Session,
    user: User,
    library: Library,
    interview: Interview,
    notice: str | None = None,
    text: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    """Render an interview: the last answer's points, then the step to answer, or the report."""
    now = utcnow()
    current = serve(session=session, interview=interview, now=now)
    rows = [row for row in answers_of(session, interview) if row.answered_at is not None]
    last = rows[-1] if rows else None
    plan = plan_of(interview)
    context: dict[str, Any] = {
        "interview": interview,
        "total": len(plan),
        "notice": notice,
        "text": text,
        "answer_id": uuid.uuid4(),
        "json_url": urls.api_interview(interview.public_id),
        "user_zone": user.timezone,
    }
    if last is not None:
        context["last"] = last
        context["last_question"] = question_text(library, last.card_id, last.part, last.follow_up)
        context["last_coverage"] = coverage_of(library, last)
    if current is not None:
        deadline = deadline_of(interview, current)
        card = find_card(library, current.card_id)
        context["shown"] = Shown(
            row=current,
            question=question_text(library, current.card_id, current.part, current.follow_up),
            deadline=deadline,
            deadline_local=_local(deadline, user),
            seconds_left=max(0, int((deadline - now).total_seconds())),
            number=current.position + 1,
        )
        context["card"] = card
        context["points"] = len(
            card.key_points
            if card is not None and current.part == "question"
            else card.follow_ups[current.follow_up].key_points
            if card is not None and current.follow_up is not None
            else ()
        )
        return page("interview/question.html", context, status_code=status_code)
    report = report_of(session=session, interview=interview, library=library)
    context["report"] = report
    context["decks"] = {deck.id: deck for deck in library.decks}
    context["revisit_ids"] = ",".join(q.card_id for q in report.revisit if q.card is not None)
    return page("interview/report.html", context, status_code=status_code)


@router.get("/interview/{interview_id}", response_class=HTMLResponse)
def read_interview(
    interview_id: str, page: PageDep, user: CurrentUser, session: SessionDep, library: LibraryDep
) -> HTMLResponse:
    """Show the step to answer now (after the last answer's points), or the report."""
    interview = get_interview(session=session, user=user, public_id=interview_id)
    return interview_page(page, session=session, user=user, library=library, interview=interview)


@router.post(
    "/interview/{interview_id}/answer", dependencies=[CsrfProtected], response_class=HTMLResponse
)
def submit_interview_answer(
    interview_id: str,
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    answer_id: Annotated[uuid.UUID, Form()],
    position: Annotated[int, Form(ge=0, le=MAX_QUESTIONS)],
    part: Annotated[Literal["question", "follow_up"], Form()],
    # Longer text is refused by the domain with the limit named, and kept in the box.
    text: Annotated[str, Form(max_length=MAX_TEXT * 4)] = "",
) -> Response:
    """Record the answer to the step shown, then show its points and what comes next."""
    interview = get_interview(session=session, user=user, public_id=interview_id)
    try:
        record_answer(
            session=session,
            interview=interview,
            library=library,
            answer_id=answer_id,
            text=text,
            now=utcnow(),
            step=Step(position, part),
        )
    except (InterviewError, BadExplanation) as exc:
        session.rollback()
        keep = text if isinstance(exc, BadExplanation) else ""
        return interview_page(
            page,
            session=session,
            user=user,
            library=library,
            interview=interview,
            notice=str(exc),
            text=keep,
            status_code=exc.status,
        )
    return RedirectResponse(urls.interview(interview.public_id), status_code=303)
