"""Mock interviews: the choice of cards, the order of steps, time on the server, idempotency."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.content.loader import load_library
from app.content.models import Difficulty, Library
from app.models import CardState, Interview, InterviewAnswer, ReviewLog, User
from app.rehearsal.explain import BadExplanation
from app.rehearsal.interviews import (
    FOLLOW_UP,
    QUESTION,
    AnswerConflict,
    Answered,
    InvalidInterview,
    Options,
    OutOfOrder,
    Step,
    UnknownInterview,
    answers_of,
    candidates,
    create_interview,
    current_step,
    get_interview,
    plan_questions,
    record_answer,
    report_of,
)
from tests.helpers import add_user
from tests.rehearsal.interview_content import KEYED, key_content

NOON = datetime(2026, 6, 10, 12, tzinfo=UTC)


@pytest.fixture
def keyed(content_copy: Path) -> Library:
    """The shipped content with known key points on four cards."""
    return load_library(key_content(content_copy))


def start(db: Session, user: User, library: Library, **options: Any) -> Interview:
    return create_interview(
        session=db, user=user, library=library, options=Options(**options), now=NOON, seed=7
    )


def answer(
    db: Session,
    interview: Interview,
    library: Library,
    text: str,
    at: datetime,
    answer_id: uuid.UUID | None = None,
    step: Step | None = None,
) -> Answered:
    return record_answer(
        session=db,
        interview=interview,
        library=library,
        answer_id=answer_id or uuid.uuid4(),
        text=text,
        now=at,
        step=step,
    )


def test_only_cards_with_key_points_are_chosen_without_repeats(keyed: Library) -> None:
    plan = plan_questions(keyed, Options(questions=3), seed=1)
    ids = [planned.card_id for planned in plan]
    assert len(ids) == 3
    assert len(set(ids)) == 3
    assert set(ids) <= set(KEYED)
    assert all(planned.follow_up == 0 for planned in plan)


def test_the_same_seed_chooses_the_same_cards(keyed: Library) -> None:
    first = plan_questions(keyed, Options(questions=2), seed=5)
    assert plan_questions(keyed, Options(questions=2), seed=5) == first
    draws = {
        tuple(p.card_id for p in plan_questions(keyed, Options(questions=2), seed=s))
        for s in range(20)
    }
    assert len(draws) > 1


def test_fewer_cards_than_asked_takes_them_all(keyed: Library) -> None:
    plan = plan_questions(keyed, Options(questions=20), seed=3)
    assert sorted(p.card_id for p in plan) == sorted(KEYED)


def test_topics_and_difficulty_narrow_the_choice(keyed: Library) -> None:
    options = Options(topics=("dropout",), difficulty=tuple(Difficulty))
    expected = {card.id for _deck, card in candidates(keyed, options)}
    assert expected <= set(KEYED)
    assert {p.card_id for p in plan_questions(keyed, options, seed=1)} == expected
    for _deck, card in candidates(keyed, options):
        assert "dropout" in card.topics


@pytest.mark.parametrize(
    ("options", "field", "words"),
    [
        (Options(questions=0), "questions", "send 1 to 20"),
        (Options(questions=21), "questions", "send 1 to 20"),
        (Options(seconds_per_answer=29), "seconds_per_answer", "send 30 to 900"),
        (Options(seconds_per_answer=901), "seconds_per_answer", "send 30 to 900"),
        (Options(decks=("nope",)), "decks", "unknown deck 'nope'"),
        (Options(topics=("nope",)), "topics", "unknown topic 'nope'"),
    ],
)
def test_bad_options_name_the_field(
    keyed: Library, options: Options, field: str, words: str
) -> None:
    with pytest.raises(InvalidInterview) as caught:
        plan_questions(keyed, options, seed=1)
    assert caught.value.field == field
    assert words in str(caught.value)


def test_no_card_left_says_what_to_change(keyed: Library) -> None:
    levels = {card.difficulty for deck in keyed.decks for card in deck.cards if card.id in KEYED}
    missing = tuple(level for level in Difficulty if level not in levels)
    options = Options(difficulty=missing) if missing else Options(topics=("bias-variance",))
    assert candidates(keyed, options) == []
    with pytest.raises(InvalidInterview) as caught:
        plan_questions(keyed, options, seed=1)
    assert caught.value.field in {"difficulty", "topics"}
    assert "no card with key points matches these choices" in str(caught.value)


def test_steps_go_question_answer_follow_up_then_next_question(db: Session, keyed: Library) -> None:
    ada = add_user(db)
    interview = start(db, ada, keyed, questions=2)
    assert current_step(db, interview) == Step(0, QUESTION)
    done = answer(db, interview, keyed, "apple and banana", NOON + timedelta(seconds=30))
    assert done.next_step == Step(0, FOLLOW_UP)
    done = answer(db, interview, keyed, "damson", NOON + timedelta(seconds=50))
    assert done.next_step == Step(1, QUESTION)
    answer(db, interview, keyed, "cherry", NOON + timedelta(seconds=80))
    done = answer(db, interview, keyed, "nothing", NOON + timedelta(seconds=90))
    assert done.next_step is None
    assert interview.finished_at == NOON + timedelta(seconds=90)
    rows = answers_of(db, interview)
    assert [(row.position, row.part) for row in rows] == [
        (0, QUESTION),
        (0, FOLLOW_UP),
        (1, QUESTION),
        (1, FOLLOW_UP),
    ]
    assert [row.coverage for row in rows] == [pytest.approx(2 / 3), 0.5, pytest.approx(1 / 3), 0.0]
    assert rows[0].covered == '["apple", "banana"]'
    with pytest.raises(OutOfOrder, match="finished"):
        answer(db, interview, keyed, "more", NOON + timedelta(seconds=99))


def test_time_runs_from_when_the_step_was_shown_and_late_answers_are_marked(
    db: Session, keyed: Library
) -> None:
    ada = add_user(db)
    interview = start(db, ada, keyed, questions=1, seconds_per_answer=60)
    answer(db, interview, keyed, "apple", NOON + timedelta(seconds=45))
    late = NOON + timedelta(seconds=45 + 61)
    answer(db, interview, keyed, "damson", late)
    first, follow = answers_of(db, interview)
    assert (first.shown_at, first.duration_ms, first.over_time) == (NOON, 45_000, False)
    assert follow.shown_at == NOON + timedelta(seconds=45)
    assert (follow.duration_ms, follow.over_time) == (61_000, True)
    assert follow.answered_at == late


def test_a_duration_is_capped_at_a_day(db: Session, keyed: Library) -> None:
    ada = add_user(db)
    interview = start(db, ada, keyed, questions=1)
    answer(db, interview, keyed, "apple", NOON + timedelta(days=3))
    assert answers_of(db, interview)[0].duration_ms == 86_400_000


def test_the_same_answer_id_records_once(db: Session, keyed: Library) -> None:
    ada = add_user(db)
    interview = start(db, ada, keyed, questions=2)
    key = uuid.uuid4()
    first = answer(db, interview, keyed, "apple", NOON + timedelta(seconds=5), key)
    again = answer(db, interview, keyed, "apple", NOON + timedelta(seconds=9), key)
    assert again.row.id == first.row.id
    assert again.row.duration_ms == 5_000
    assert again.next_step == Step(0, FOLLOW_UP)
    assert (
        db.scalar(
            select(func.count())
            .select_from(InterviewAnswer)
            .where(InterviewAnswer.answered_at.is_not(None))
        )
        == 1
    )
    with pytest.raises(AnswerConflict, match="send a new answer_id"):
        answer(db, interview, keyed, "banana", NOON + timedelta(seconds=9), key)


def test_an_answer_to_another_step_says_which_comes_next(db: Session, keyed: Library) -> None:
    ada = add_user(db)
    interview = start(db, ada, keyed, questions=2)
    with pytest.raises(OutOfOrder) as caught:
        answer(db, interview, keyed, "x", NOON, step=Step(0, FOLLOW_UP))
    assert str(caught.value) == (
        "You answered the follow-up of question 1, but question 1 comes next: answer that one."
    )
    assert caught.value.status == 409


def test_bad_text_is_refused(db: Session, keyed: Library) -> None:
    ada = add_user(db)
    interview = start(db, ada, keyed, questions=1)
    with pytest.raises(BadExplanation) as caught:
        answer(db, interview, keyed, "x" * 5001, NOON)
    assert caught.value.status == 413
    assert "send at most 5000" in str(caught.value)
    with pytest.raises(BadExplanation, match="NUL"):
        answer(db, interview, keyed, "a\x00b", NOON)
    with pytest.raises(InvalidInterview, match="answer_id: not a UUID"):
        record_answer(
            session=db, interview=interview, library=keyed, answer_id="x", text="a", now=NOON
        )


def test_another_users_interview_is_unknown(db: Session, keyed: Library) -> None:
    ada, bob = add_user(db), add_user(db, "bob")
    interview = start(db, ada, keyed)
    assert get_interview(session=db, user=ada, public_id=interview.public_id) is interview
    with pytest.raises(UnknownInterview):
        get_interview(session=db, user=bob, public_id=interview.public_id)
    with pytest.raises(UnknownInterview):
        get_interview(session=db, user=ada, public_id="not-a-uuid")


def test_an_interview_never_touches_the_schedule(db: Session, keyed: Library) -> None:
    ada = add_user(db)
    interview = start(db, ada, keyed, questions=4)
    for second in range(8):
        answer(
            db,
            interview,
            keyed,
            "apple banana cherry damson elder",
            NOON + timedelta(seconds=second),
        )
    assert interview.finished_at is not None
    assert db.scalar(select(func.count()).select_from(CardState)) == 0
    assert db.scalar(select(func.count()).select_from(ReviewLog)) == 0


def test_the_report_scores_questions_and_topics(db: Session, keyed: Library) -> None:
    ada = add_user(db)
    interview = start(db, ada, keyed, questions=2)
    answer(db, interview, keyed, "apple banana cherry", NOON + timedelta(seconds=10))
    answer(db, interview, keyed, "damson", NOON + timedelta(seconds=20))
    answer(db, interview, keyed, "apple", NOON + timedelta(seconds=30))
    answer(db, interview, keyed, "nothing", NOON + timedelta(seconds=200))
    report = report_of(session=db, interview=interview, library=keyed)
    assert [q.score for q in report.questions] == [pytest.approx(4 / 5), pytest.approx(1 / 5)]
    assert [q.revisit for q in report.questions] == [False, True]
    assert [q.card_id for q in report.revisit] == [report.questions[1].card_id]
    second = report.questions[1]
    assert second.follow_up is not None
    assert (second.follow_up.duration_ms, second.follow_up.over_time) == (170_000, True)
    first_card, second_card = (q.card for q in report.questions)
    assert first_card is not None
    assert second_card is not None
    means: dict[str, list[float]] = {}
    for card, score in ((first_card, 0.8), (second_card, 0.2)):
        for topic in card.topics:
            means.setdefault(topic, []).append(score)
    assert {t.topic_id: t.mean for t in report.topics} == pytest.approx(
        {topic: sum(v) / len(v) for topic, v in means.items()}
    )
    assert all(t.mean >= 0.75 for t in report.strengths)
    assert all(t.mean < 0.75 for t in report.gaps)
