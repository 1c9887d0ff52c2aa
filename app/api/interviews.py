"""JSON API: timed mock interviews; their answers never change the study schedule."""

import json
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from app import urls
from app.api.schemas import (
    AUTHENTICATED,
    CSRF_FAILED,
    LOGIN_REQUIRED,
    InterviewAnswerIn,
    InterviewAnswerOut,
    InterviewAnswerResultOut,
    InterviewIn,
    InterviewOut,
    InterviewPartOut,
    InterviewQuestionOut,
    InterviewReportOut,
    InterviewReportQuestionOut,
    InterviewStepOut,
    InterviewTopicOut,
    key_points_out,
)
from app.content.models import Library
from app.deps import CsrfProtected, CurrentUser, LibraryDep, SessionDep
from app.models import Interview, InterviewAnswer, User, utcnow
from app.rehearsal.interviews import (
    FOLLOW_UP,
    QUESTION,
    InvalidInterview,
    Options,
    PartReport,
    Step,
    answers_of,
    covered_ids,
    create_interview,
    current_step,
    deadline_of,
    find_card,
    get_interview,
    plan_of,
    question_text,
    record_answer,
    report_of,
    serve,
    state_of,
)

router = APIRouter(prefix=f"{urls.API}/interviews", tags=["interviews"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    **LOGIN_REQUIRED,
    404: {"description": "No interview of that id for you"},
}


def step_out(library: Library, interview: Interview, row: InterviewAnswer) -> InterviewStepOut:
    """Return a shown step as the API gives it."""
    plan = plan_of(interview)[row.position]
    return InterviewStepOut(
        position=row.position,
        part=row.part,
        card_id=row.card_id,
        deck_id=plan.deck_id,
        question=question_text(library, row.card_id, row.part, row.follow_up),
        shown_at=row.shown_at,
        deadline=deadline_of(interview, row),
    )


def answer_out(row: InterviewAnswer) -> InterviewAnswerOut:
    """Return an answered step as the API gives it."""
    assert row.answer_id is not None
    assert row.answered_at is not None
    return InterviewAnswerOut(
        answer_id=row.answer_id,
        position=row.position,
        part=row.part,
        card_id=row.card_id,
        text=row.text or "",
        shown_at=row.shown_at,
        answered_at=row.answered_at,
        duration_ms=row.duration_ms or 0,
        over_time=row.over_time,
        coverage=row.coverage or 0.0,
        covered=covered_ids(row),
    )


def _card_urls(library: Library, deck_id: str, card_id: str) -> tuple[str | None, str | None]:
    card = find_card(library, card_id)
    if card is None:
        return None, None
    demo = urls.card(deck_id, card_id, fragment="demo") if card.demo else None
    return urls.card(deck_id, card_id), demo


def _part_out(part: PartReport | None) -> InterviewPartOut | None:
    if part is None:
        return None
    return InterviewPartOut(
        question=part.question,
        coverage=part.share,
        duration_ms=part.duration_ms,
        over_time=part.over_time,
    )


def report_out(session: Session, library: Library, interview: Interview) -> InterviewReportOut:
    """Return the report of an interview."""
    report = report_of(session=session, interview=interview, library=library)
    questions = []
    for question in report.questions:
        card_url, demo_url = _card_urls(library, question.deck_id, question.card_id)
        questions.append(
            InterviewReportQuestionOut(
                position=question.position,
                card_id=question.card_id,
                deck_id=question.deck_id,
                card_url=card_url,
                demo_url=demo_url,
                score=question.score,
                revisit=question.revisit,
                answer=_part_out(question.answer),
                follow_up=_part_out(question.follow_up),
            )
        )
    return InterviewReportOut(
        questions=questions,
        topics=[
            InterviewTopicOut(
                deck_id=topic.deck_id,
                topic_id=topic.topic_id,
                label=topic.label,
                questions=topic.questions,
                mean=topic.mean,
                strength=topic.strength,
            )
            for topic in report.topics
        ],
        revisit=[question.card_id for question in report.revisit],
    )


def interview_out(session: Session, library: Library, interview: Interview) -> InterviewOut:
    """Return an interview's state, answers so far, and its report once finished."""
    current = serve(session=session, interview=interview, now=utcnow())
    rows = answers_of(session, interview)
    plan = plan_of(interview)
    shown = {(row.position, row.part): row for row in rows}
    questions = []
    for position, planned in enumerate(plan):
        main = shown.get((position, QUESTION))
        if main is None:
            break
        follow = shown.get((position, FOLLOW_UP))
        card_url, demo_url = _card_urls(library, planned.deck_id, planned.card_id)
        questions.append(
            InterviewQuestionOut(
                position=position,
                card_id=planned.card_id,
                deck_id=planned.deck_id,
                question=question_text(library, planned.card_id, QUESTION, None),
                follow_up=question_text(library, planned.card_id, FOLLOW_UP, follow.follow_up)
                if follow is not None
                else None,
                card_url=card_url or "",
                demo_url=demo_url,
            )
        )
    step = current_step(session, interview)
    return InterviewOut(
        id=interview.public_id,
        state=state_of(step),
        questions_total=len(plan),
        seconds_per_answer=interview.seconds_per_answer,
        options=Options.from_json(_options(interview)).as_json(),
        created_at=interview.created_at,
        finished_at=interview.finished_at,
        current=step_out(library, interview, current) if current is not None else None,
        questions=questions,
        answers=[answer_out(row) for row in rows if row.answered_at is not None],
        report=report_out(session, library, interview) if step is None else None,
    )


def _options(interview: Interview) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(interview.options)
    return data


def _start(session: Session, user: User, library: Library, body: InterviewIn) -> InterviewOut:
    options = Options(
        questions=body.questions,
        seconds_per_answer=body.seconds_per_answer,
        decks=tuple(body.decks or ()),
        topics=tuple(body.topics or ()),
        difficulty=tuple(body.difficulty or ()),
    )
    interview = create_interview(
        session=session, user=user, library=library, options=options, now=utcnow()
    )
    return interview_out(session, library, interview)


@router.post(
    "",
    status_code=201,
    dependencies=[*AUTHENTICATED, CsrfProtected],
    responses={
        **RESPONSES,
        **CSRF_FAILED,
        422: {"description": "An option out of range or unknown, or no card left to ask"},
    },
)
async def start_interview(
    user: CurrentUser, session: SessionDep, library: LibraryDep, body: InterviewIn
) -> InterviewOut:
    """Start a mock interview: cards with key points drawn at random, the first one shown now.

    Left out, the options are 5 questions, 120 seconds per answer, every deck, topic and
    difficulty. With fewer such cards than asked, all of them are asked.
    """
    return await run_in_threadpool(_start, session, user, library, body)


@router.get("/{interview_id}", dependencies=AUTHENTICATED, responses=RESPONSES)
async def read_interview(
    interview_id: str, user: CurrentUser, session: SessionDep, library: LibraryDep
) -> InterviewOut:
    """Return an interview: its state, the step to answer now, the answers, its report."""

    def read() -> InterviewOut:
        interview = get_interview(session=session, user=user, public_id=interview_id)
        return interview_out(session, library, interview)

    return await run_in_threadpool(read)


@router.post(
    "/{interview_id}/answers",
    dependencies=[*AUTHENTICATED, CsrfProtected],
    responses={
        **RESPONSES,
        **CSRF_FAILED,
        409: {"description": "Not the step expected next, or the answer_id holds another answer"},
        413: {"description": "The text is over 5,000 characters"},
    },
)
async def answer_interview(
    interview_id: str,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    body: InterviewAnswerIn,
) -> InterviewAnswerResultOut:
    """Record the answer to the step shown now: its key points made and missed, what is next.

    Time runs on the server from when the step was shown; a late answer is kept and marked
    over_time. The same answer_id again records nothing and gives the same answer back.
    """

    def answer() -> InterviewAnswerResultOut:
        interview = get_interview(session=session, user=user, public_id=interview_id)
        step = None
        if (body.position is None) != (body.part is None):
            missing = "part" if body.part is None else "position"
            raise InvalidInterview(missing, "send position and part together, or neither")
        if body.position is not None and body.part is not None:
            step = Step(body.position, body.part)
        done = record_answer(
            session=session,
            interview=interview,
            library=library,
            answer_id=body.answer_id,
            text=body.text,
            now=utcnow(),
            step=step,
        )
        following = serve(session=session, interview=interview, now=utcnow())
        return InterviewAnswerResultOut(
            answer=answer_out(done.row),
            points=key_points_out(done.coverage),
            coverage=done.row.coverage or 0.0,
            state=state_of(done.next_step),
            next=step_out(library, interview, following) if following is not None else None,
        )

    return await run_in_threadpool(answer)
