"""Mock interviews: timed questions on cards with key points, each with one follow-up.

An interview never touches the study schedule: its answers are a log of their own. Time is
measured on the server, from when a step is first shown to when its answer arrives; a late
answer is kept and marked over time.
"""

import json
import random
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.content.models import Card, Deck, Difficulty, KeyPoint, Library
from app.exceptions import AppError
from app.models import Interview, InterviewAnswer, User
from app.rehearsal.explain import check_text
from app.rehearsal.matching import Coverage, match_points

MIN_QUESTIONS, MAX_QUESTIONS, DEFAULT_QUESTIONS = 1, 20, 5
MIN_SECONDS, MAX_SECONDS, DEFAULT_SECONDS = 30, 900, 120
MAX_DURATION_MS = 86_400_000  # a duration is capped at one day
REVISIT_BELOW = 0.75  # a question scored under this is a card to revisit
QUESTION, FOLLOW_UP = "question", "follow_up"
PARTS = (QUESTION, FOLLOW_UP)
MAX_SEED = 2**31 - 1


class InterviewError(AppError):
    """An interview action that cannot be done."""

    status = 409


class InvalidInterview(InterviewError):
    """An interview option or answer field that is wrong; names the field."""

    status = 422

    def __init__(self, field_name: str, message: str) -> None:
        self.field = field_name
        super().__init__(f"{field_name}: {message}")

    def json_detail(self) -> object:
        """Return the error as FastAPI lists the invalid fields of a body."""
        return [{"loc": ["body", self.field], "msg": str(self), "type": "value_error"}]


class UnknownInterview(InterviewError):
    """No interview of that id for this user."""

    status = 404


class OutOfOrder(InterviewError):
    """An answer to a step that is not the one expected next (or to a finished interview)."""


class AnswerConflict(InterviewError):
    """An answer_id sent again with another text or for another step."""


@dataclass(frozen=True)
class Options:
    """What the learner asked for: how many questions, how long per answer, which cards."""

    questions: int = DEFAULT_QUESTIONS
    seconds_per_answer: int = DEFAULT_SECONDS
    decks: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    difficulty: tuple[Difficulty, ...] = ()  # empty: every difficulty

    def as_json(self) -> dict[str, object]:
        """Return the options as stored and exported."""
        return {
            "questions": self.questions,
            "seconds_per_answer": self.seconds_per_answer,
            "decks": list(self.decks),
            "topics": list(self.topics),
            "difficulty": [level.value for level in self.difficulty],
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> "Options":
        """Return options stored by as_json."""
        return cls(
            questions=int(data["questions"]),  # type: ignore[call-overload]
            seconds_per_answer=int(data["seconds_per_answer"]),  # type: ignore[call-overload]
            decks=tuple(data.get("decks", ())),  # type: ignore[arg-type]
            topics=tuple(data.get("topics", ())),  # type: ignore[arg-type]
            difficulty=tuple(Difficulty(v) for v in data.get("difficulty", ())),  # type: ignore[attr-defined]
        )


@dataclass(frozen=True)
class Planned:
    """One question of an interview: its card and the follow-up asked after it (if any)."""

    card_id: str
    deck_id: str
    follow_up: int | None


@dataclass(frozen=True)
class Step:
    """One step: question position (0-based) and part."""

    position: int
    part: str

    def describe(self) -> str:
        """Return the step in words, as a learner counts (question 1, its follow-up)."""
        if self.part == QUESTION:
            return f"question {self.position + 1}"
        return f"the follow-up of question {self.position + 1}"


def check_options(library: Library, options: Options) -> None:
    """Raise InvalidInterview naming the first option out of range or unknown."""
    if not MIN_QUESTIONS <= options.questions <= MAX_QUESTIONS:
        raise InvalidInterview(
            "questions", f"send {MIN_QUESTIONS} to {MAX_QUESTIONS}, not {options.questions}"
        )
    if not MIN_SECONDS <= options.seconds_per_answer <= MAX_SECONDS:
        raise InvalidInterview(
            "seconds_per_answer",
            f"send {MIN_SECONDS} to {MAX_SECONDS} seconds, not {options.seconds_per_answer}",
        )
    known_decks = [deck.id for deck in library.decks]
    for deck_id in options.decks:
        if deck_id not in known_decks:
            raise InvalidInterview(
                "decks", f"unknown deck '{deck_id}': use one of {', '.join(known_decks)}"
            )
    decks = _decks(library, options)
    known_topics = sorted({topic.id for deck in decks for topic in deck.topics})
    for topic_id in options.topics:
        if topic_id not in known_topics:
            raise InvalidInterview(
                "topics", f"unknown topic '{topic_id}': use one of {', '.join(known_topics)}"
            )


def _decks(library: Library, options: Options) -> list[Deck]:
    if not options.decks:
        return list(library.decks)
    return [deck for deck in library.decks if deck.id in options.decks]


def candidates(library: Library, options: Options) -> list[tuple[Deck, Card]]:
    """Return the cards with key points that the options allow, in deck order."""
    levels = set(options.difficulty) or set(Difficulty)
    topics = set(options.topics)
    return [
        (deck, card)
        for deck in _decks(library, options)
        for card in deck.cards
        if card.key_points
        and card.difficulty in levels
        and (not topics or topics.intersection(card.topics))
    ]


def plan_questions(library: Library, options: Options, seed: int) -> list[Planned]:
    """Choose the questions: at random by seed, no card twice, all of them when too few.

    Raise InvalidInterview naming what to change when no card with key points is left.
    """
    check_options(library, options)
    pool = candidates(library, options)
    if not pool:
        raise InvalidInterview(
            _narrowest(options),
            "no card with key points matches these choices; choose more decks, topics or "
            "difficulties (or none, for all of them)",
        )
    rng = random.Random(seed)  # noqa: S311 - a reproducible draw, not a secret
    chosen = rng.sample(pool, min(options.questions, len(pool)))
    return [
        Planned(
            card.id,
            deck.id,
            rng.randrange(len(card.follow_ups)) if card.follow_ups else None,
        )
        for deck, card in chosen
    ]


def _narrowest(options: Options) -> str:
    """Return the option most likely to have left no card: the one the learner narrowed."""
    if options.topics:
        return "topics"
    if options.difficulty:
        return "difficulty"
    return "decks"


def create_interview(
    *,
    session: Session,
    user: User,
    library: Library,
    options: Options,
    now: datetime,
    seed: int | None = None,
) -> Interview:
    """Plan an interview and show its first question; return it, stored."""
    seed = secrets.randbelow(MAX_SEED + 1) if seed is None else seed
    plan = plan_questions(library, options, seed)
    interview = Interview(
        public_id=str(uuid.uuid4()),
        user_id=user.id,
        options=json.dumps(options.as_json()),
        seed=seed,
        questions=json.dumps([planned.__dict__ for planned in plan]),
        seconds_per_answer=options.seconds_per_answer,
        created_at=now,
    )
    session.add(interview)
    session.flush()
    _show(session, interview, Step(0, QUESTION), plan[0], now)
    session.commit()
    return interview


def plan_of(interview: Interview) -> list[Planned]:
    """Return an interview's questions as planned."""
    return [Planned(**item) for item in json.loads(interview.questions)]


def steps_of(plan: Sequence[Planned]) -> list[Step]:
    """Return every step of a plan in order: each question, then its follow-up if it has one."""
    steps = []
    for position, planned in enumerate(plan):
        steps.append(Step(position, QUESTION))
        if planned.follow_up is not None:
            steps.append(Step(position, FOLLOW_UP))
    return steps


def get_interview(*, session: Session, user: User, public_id: str) -> Interview:
    """Return the user's interview of this id, or raise UnknownInterview."""
    try:
        key = str(uuid.UUID(public_id))
    except ValueError:
        key = None
    interview = (
        session.scalar(
            select(Interview).where(Interview.user_id == user.id, Interview.public_id == key)
        )
        if key
        else None
    )
    if interview is None:
        raise UnknownInterview(f"You have no interview '{public_id}': start one.")
    return interview


def answers_of(session: Session, interview: Interview) -> list[InterviewAnswer]:
    """Return an interview's shown and answered steps, in order."""
    rows = session.scalars(
        select(InterviewAnswer).where(InterviewAnswer.interview_id == interview.id)
    ).all()
    return sorted(rows, key=lambda row: (row.position, PARTS.index(row.part)))


def _show(
    session: Session, interview: Interview, step: Step, planned: Planned, now: datetime
) -> InterviewAnswer:
    row = InterviewAnswer(
        interview_id=interview.id,
        position=step.position,
        part=step.part,
        card_id=planned.card_id,
        follow_up=planned.follow_up if step.part == FOLLOW_UP else None,
        shown_at=now,
        over_time=False,
    )
    session.add(row)
    session.flush()
    return row


def current_step(session: Session, interview: Interview) -> Step | None:
    """Return the step expected next, or None when every step is answered."""
    answered = {
        Step(row.position, row.part)
        for row in answers_of(session, interview)
        if row.answered_at is not None
    }
    for step in steps_of(plan_of(interview)):
        if step not in answered:
            return step
    return None


def serve(*, session: Session, interview: Interview, now: datetime) -> InterviewAnswer | None:
    """Return the row of the step expected next, shown now if it was not shown before."""
    step = current_step(session, interview)
    if step is None:
        return None
    for row in answers_of(session, interview):
        if Step(row.position, row.part) == step:
            return row
    row = _show(session, interview, step, plan_of(interview)[step.position], now)
    session.commit()
    return row


def points_of(
    library: Library, row_card: str, part: str, follow_up: int | None
) -> tuple[KeyPoint, ...]:
    """Return the key points a step is checked against (none when the card has gone)."""
    card = find_card(library, row_card)
    if card is None:
        return ()
    if part == QUESTION:
        return card.key_points
    if follow_up is None or follow_up >= len(card.follow_ups):
        return ()
    return card.follow_ups[follow_up].key_points


def find_card(library: Library, card_id: str) -> Card | None:
    """Return the card of this id in any deck, or None."""
    for deck in library.decks:
        card = deck.card(card_id)
        if card is not None:
            return card
    return None


@dataclass(frozen=True)
class Answered:
    """An answer as recorded: its row and the key points it made and missed."""

    row: InterviewAnswer
    coverage: Coverage
    next_step: Step | None


def answer_key(answer_id: uuid.UUID | str) -> str:
    """Return an answer_id as stored, or raise InvalidInterview."""
    try:
        return str(answer_id if isinstance(answer_id, uuid.UUID) else uuid.UUID(answer_id))
    except ValueError:
        raise InvalidInterview(
            "answer_id", f"not a UUID; send one such as {uuid.uuid4()}"
        ) from None


def record_answer(
    *,
    session: Session,
    interview: Interview,
    library: Library,
    answer_id: uuid.UUID | str,
    text: str,
    now: datetime,
    step: Step | None = None,
) -> Answered:
    """Record the answer to the step expected next and show the step after it.

    The same answer_id again returns the stored answer and records nothing. step, when
    given, is the step the client means to answer: another one raises OutOfOrder, as does
    any answer to a finished interview. Raise AnswerConflict when answer_id holds another
    answer, InvalidInterview for text too long or with NUL.
    """
    key = answer_key(answer_id)
    check_text(text)
    stored = _by_answer_id(session, interview, key)
    if stored is not None:
        return _repeat(session, interview, library, stored, text, step)
    expected = current_step(session, interview)
    if expected is None:
        raise OutOfOrder("This interview is finished: nothing more to answer; see its report.")
    if step is not None and step != expected:
        raise OutOfOrder(
            f"You answered {step.describe()}, but {expected.describe()} comes next: "
            "answer that one."
        )
    row = serve(session=session, interview=interview, now=now)
    assert row is not None
    coverage = match_points(text, points_of(library, row.card_id, row.part, row.follow_up))
    elapsed = max(0, int((now - row.shown_at).total_seconds() * 1000))
    # Only while the step is unanswered: of two answers sent at once, one wins.
    statement = (
        update(InterviewAnswer)
        .where(InterviewAnswer.id == row.id, InterviewAnswer.answered_at.is_(None))
        .values(
            answer_id=key,
            text=text,
            answered_at=now,
            duration_ms=min(elapsed, MAX_DURATION_MS),
            coverage=coverage.share,
            covered=json.dumps([point.id for point in coverage.points if point.covered]),
            over_time=elapsed > interview.seconds_per_answer * 1000,
        )
        .execution_options(synchronize_session=False)
    )
    try:
        written = session.execute(statement).rowcount  # type: ignore[attr-defined]
    except IntegrityError:
        # A retry of the same request got there first.
        session.rollback()
        stored = _by_answer_id(session, interview, key)
        if stored is None:
            raise
        return _repeat(session, interview, library, stored, text, step)
    if written != 1:
        session.rollback()
        raise OutOfOrder(
            f"{expected.describe().capitalize()} was answered meanwhile (in another tab?): "
            "reload the interview to see what comes next."
        )
    session.refresh(row)
    next_step = current_step(session, interview)
    if next_step is None:
        interview.finished_at = now
        session.commit()
    else:
        session.commit()
        serve(session=session, interview=interview, now=now)
    return Answered(row, coverage, next_step)


def _by_answer_id(session: Session, interview: Interview, key: str) -> InterviewAnswer | None:
    return session.scalar(
        select(InterviewAnswer).where(
            InterviewAnswer.interview_id == interview.id, InterviewAnswer.answer_id == key
        )
    )


def _repeat(
    session: Session,
    interview: Interview,
    library: Library,
    stored: InterviewAnswer,
    text: str,
    step: Step | None,
) -> Answered:
    if stored.text != text or (step is not None and step != Step(stored.position, stored.part)):
        raise AnswerConflict(
            f"answer_id {stored.answer_id} was already used for another answer (to "
            f"{Step(stored.position, stored.part).describe()}): send a new answer_id."
        )
    return Answered(stored, coverage_of(library, stored), current_step(session, interview))


def coverage_of(library: Library, row: InterviewAnswer) -> Coverage:
    """Return the key points an answered step made and missed, matched again for the spans."""
    return match_points(row.text or "", points_of(library, row.card_id, row.part, row.follow_up))


# The report


@dataclass(frozen=True)
class PartReport:
    """One answered step: its score and time."""

    question: str
    text: str
    coverage: Coverage
    share: float
    duration_ms: int
    over_time: bool


@dataclass(frozen=True)
class QuestionReport:
    """One question with its follow-up: the card, both answers, and the share of points made."""

    position: int
    card_id: str
    deck_id: str
    card: Card | None
    answer: PartReport | None
    follow_up: PartReport | None
    score: float  # key points made over key points asked, answer and follow-up together

    @property
    def revisit(self) -> bool:
        """Return whether the card is worth revisiting (score under REVISIT_BELOW)."""
        return self.score < REVISIT_BELOW


@dataclass(frozen=True)
class TopicReport:
    """The mean score of the questions on one topic."""

    deck_id: str
    topic_id: str
    label: str
    questions: int
    mean: float

    @property
    def strength(self) -> bool:
        """Return whether the topic is a strength (mean at or over REVISIT_BELOW)."""
        return self.mean >= REVISIT_BELOW


@dataclass(frozen=True)
class Report:
    """A finished (or partly answered) interview, question by question and topic by topic."""

    questions: list[QuestionReport]
    topics: list[TopicReport] = field(default_factory=list)

    @property
    def revisit(self) -> list[QuestionReport]:
        """Return the questions whose cards are worth revisiting, in the order asked."""
        return [question for question in self.questions if question.revisit]

    @property
    def strengths(self) -> list[TopicReport]:
        """Return the topics scored at or over REVISIT_BELOW, best first."""
        return sorted((t for t in self.topics if t.strength), key=lambda t: -t.mean)

    @property
    def gaps(self) -> list[TopicReport]:
        """Return the topics scored under REVISIT_BELOW, weakest first."""
        return sorted((t for t in self.topics if not t.strength), key=lambda t: t.mean)


def _part(library: Library, row: InterviewAnswer | None, question: str) -> PartReport | None:
    if row is None or row.answered_at is None:
        return None
    return PartReport(
        question=question,
        text=row.text or "",
        coverage=coverage_of(library, row),
        share=row.coverage or 0.0,
        duration_ms=row.duration_ms or 0,
        over_time=row.over_time,
    )


def _made(row: InterviewAnswer | None) -> int:
    return len(json.loads(row.covered)) if row is not None and row.covered else 0


def report_of(*, session: Session, interview: Interview, library: Library) -> Report:
    """Return the report of an interview's answered questions."""
    rows = {(row.position, row.part): row for row in answers_of(session, interview)}
    questions = []
    for position, planned in enumerate(plan_of(interview)):
        main, follow = rows.get((position, QUESTION)), rows.get((position, FOLLOW_UP))
        if main is None or main.answered_at is None:
            continue
        card = find_card(library, planned.card_id)
        follow_text = (
            card.follow_ups[planned.follow_up].question
            if card is not None
            and planned.follow_up is not None
            and planned.follow_up < len(card.follow_ups)
            else ""
        )
        asked = len(points_of(library, planned.card_id, QUESTION, None))
        if follow is not None and follow.answered_at is not None:
            asked += len(points_of(library, planned.card_id, FOLLOW_UP, follow.follow_up))
        made = _made(main) + _made(follow if follow and follow.answered_at else None)
        questions.append(
            QuestionReport(
                position=position,
                card_id=planned.card_id,
                deck_id=planned.deck_id,
                card=card,
                answer=_part(library, main, card.question if card else ""),
                follow_up=_part(library, follow, follow_text),
                score=min(1.0, made / asked) if asked else 0.0,
            )
        )
    return Report(questions, _topics(library, questions))


def _topics(library: Library, questions: list[QuestionReport]) -> list[TopicReport]:
    scores: dict[tuple[str, str], list[float]] = {}
    for question in questions:
        if question.card is None:
            continue
        for topic_id in question.card.topics:
            scores.setdefault((question.deck_id, topic_id), []).append(question.score)
    topics = []
    for (deck_id, topic_id), values in scores.items():
        deck = library.deck(deck_id)
        label = deck.topic_label(topic_id) if deck is not None else topic_id
        topics.append(TopicReport(deck_id, topic_id, label, len(values), sum(values) / len(values)))
    return sorted(topics, key=lambda topic: (topic.deck_id, topic.label))


def question_text(library: Library, card_id: str, part: str, follow_up: int | None) -> str:
    """Return the words of a step's question (empty when its card has left the content)."""
    card = find_card(library, card_id)
    if card is None:
        return ""
    if part == QUESTION:
        return card.question
    if follow_up is None or follow_up >= len(card.follow_ups):
        return ""
    return card.follow_ups[follow_up].question


def deadline_of(interview: Interview, row: InterviewAnswer) -> datetime:
    """Return when the answer to a shown step is due."""
    return row.shown_at + timedelta(seconds=interview.seconds_per_answer)


def state_of(step: Step | None) -> str:
    """Return an interview's state: the part expected next, or finished."""
    return "finished" if step is None else step.part


def covered_ids(row: InterviewAnswer) -> list[str]:
    """Return the ids of the key points an answer made, as stored."""
    return list(json.loads(row.covered)) if row.covered else []
