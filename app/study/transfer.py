"""Export and import of a user's progress: settings, card flags, the review log, quiz attempts,
mock interviews and interview dates.

Card states are not trusted from a file: an import replays each touched card's review log
into its state, so the database still equals the replay of the log.

An import is checked whole before anything is written, then written in short transactions
of CHUNK rows, so other users' writes (SQLite has one writer) wait for a chunk, never for
the whole import. Meanwhile a marker row (progress_imports) makes the importing user's own
study writes answer 409; should a chunk fail, what the import wrote is taken back, so the
user sees all of it or none of it.
"""

import csv
import io
import json
import logging
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar, cast

import pydantic_core
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)
from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.content.models import Difficulty, Library
from app.exceptions import AppError, error_lines
from app.input_checks import json_errors
from app.models import (
    CardState,
    Interview,
    InterviewAnswer,
    ProgressImport,
    QuizAttempt,
    ReviewLog,
    User,
    utcnow,
)
from app.rehearsal import interviews as rehearsal
from app.rehearsal.matching import MAX_TEXT
from app.study.attempts import MAX_ANSWER_LENGTH, MAX_DURATION_MS, MAX_SEED
from app.study.day import check_timezone
from app.study.plan import MAX_DATES, load_dates, merge_dates
from app.study.reviews import (
    IMPORT_RUNNING,
    IMPORT_STALE_AFTER,
    Conflict,
)
from app.study.schedulers import configs_by_id, scheduler_id
from app.study.scheduling import ANKI_RULES, NEW, Memory, SchedulerConfig, scheduler
from app.study.settings import StudySettings

log = logging.getLogger(__name__)
_Row = TypeVar("_Row")

FORMAT = "prepdeck-progress"
# Version 2 added quiz_attempts, version 3 interviews, version 4 the scheduler configuration
# of each review; older files (without them) still import, their reviews under LEGACY rules.
VERSION = 4
MAX_SCHEDULERS = 1_000
MAX_INTERVIEWS = 10_000
MAX_REVIEWS = 200_000
MAX_ATTEMPTS = 200_000
MAX_CARDS = 100_000
MAX_ID_LENGTH = 80
# Rows a chunk writes in one transaction: small enough that another user's write queued
# behind it waits a few milliseconds.
CHUNK = 250
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
# Reviews and exports cannot lie in the future; a day of leeway covers clocks set wrong.
AHEAD = timedelta(days=1)
# A bury lasts until the end of the user's study day, which can be a day and an hour ahead.
BURY_AHEAD = timedelta(days=2)


def _plain_id(value: str) -> str:
    if not value.isprintable():  # control, format, separator or unassigned characters
        char = next(char for char in value if not char.isprintable())
        raise ValueError(f"contains the character U+{ord(char):04X}: use printable characters")
    if value != value.strip():
        raise ValueError("starts or ends with white space")
    return value


Id = Annotated[
    StrictStr, StringConstraints(min_length=1, max_length=MAX_ID_LENGTH), AfterValidator(_plain_id)
]
ReviewId = Annotated[
    StrictStr, StringConstraints(min_length=1, max_length=36), AfterValidator(_plain_id)
]


class _Strict(BaseModel):
    # Strict types: a rating is the number 3, not "3" or true; NaN and Infinity are refused.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ExportedReview(_Strict):
    """One review in an export."""

    review_id: ReviewId
    card_id: Id
    deck_id: Id
    rating: StrictInt = Field(ge=1, le=4)
    reviewed_at: AwareDatetime
    duration_ms: StrictInt | None = Field(default=None, ge=0, le=MAX_DURATION_MS)
    desired_retention: Annotated[float, Strict()] = Field(ge=0.7, le=0.97)
    scheduler: StrictInt | None = Field(
        default=None,
        ge=0,
        lt=MAX_SCHEDULERS,
        description="the index in schedulers of the configuration it was recorded under; "
        "null: the legacy rules",
    )


def _accepted_parameters(value: list[float] | None) -> list[float] | None:
    if value is not None:
        try:
            scheduler(0.9, tuple(value))
        except ValueError as exc:
            raise ValueError(f"FSRS does not accept these parameters: {exc}") from exc
    return value


Step = Annotated[StrictInt, Field(ge=1, le=366 * 86_400)]


class ExportedScheduler(_Strict):
    """A scheduler configuration that reviews were recorded under (Anki rules)."""

    parameters: Annotated[
        list[Annotated[float, Strict()]] | None,
        Field(max_length=30),
        AfterValidator(_accepted_parameters),
    ]
    maximum_interval: StrictInt = Field(ge=1, le=36500)
    timezone: Annotated[StrictStr, Field(max_length=64), AfterValidator(check_timezone)]
    day_starts_at: StrictInt = Field(ge=0, le=23)
    rules: Literal[2]
    learning_steps: list[Step] = Field(min_length=1, max_length=20)
    relearning_steps: list[Step] = Field(min_length=1, max_length=20)

    def config(self) -> SchedulerConfig:
        """Return the configuration this entry describes."""
        return SchedulerConfig(
            parameters=tuple(self.parameters) if self.parameters is not None else None,
            maximum_interval=self.maximum_interval,
            timezone=self.timezone,
            day_starts_at=self.day_starts_at,
            rules=self.rules,
            learning_steps=tuple(self.learning_steps),
            relearning_steps=tuple(self.relearning_steps),
        )

    @classmethod
    def of(cls, config: SchedulerConfig) -> "ExportedScheduler":
        """Describe a configuration."""
        return cls(
            parameters=list(config.parameters) if config.parameters is not None else None,
            maximum_interval=config.maximum_interval,
            timezone=config.timezone,
            day_starts_at=config.day_starts_at,
            rules=ANKI_RULES,
            learning_steps=list(config.learning_steps),
            relearning_steps=list(config.relearning_steps),
        )


class ExportedAttempt(_Strict):
    """One answer to a demo's question in an export; its card may no longer be in the content."""

    attempt_id: uuid.UUID
    card_id: Id
    demo_id: Id
    kind_id: Id
    seed: StrictInt = Field(ge=0, le=MAX_SEED)
    answer: Annotated[
        StrictStr,
        StringConstraints(min_length=1, max_length=MAX_ANSWER_LENGTH),
        AfterValidator(_plain_id),
    ]
    correct: StrictBool
    answered_at: AwareDatetime
    duration_ms: StrictInt | None = Field(default=None, ge=0, le=MAX_DURATION_MS)


class ExportedInterviewOptions(_Strict):
    """What a mock interview asked for."""

    questions: StrictInt = Field(ge=rehearsal.MIN_QUESTIONS, le=rehearsal.MAX_QUESTIONS)
    seconds_per_answer: StrictInt = Field(ge=rehearsal.MIN_SECONDS, le=rehearsal.MAX_SECONDS)
    decks: list[Id] = Field(default_factory=list, max_length=50)
    topics: list[Id] = Field(default_factory=list, max_length=50)
    difficulty: list[Difficulty] = Field(default_factory=list, max_length=3)


class ExportedPlanned(_Strict):
    """One question a mock interview planned: its card and which follow-up."""

    card_id: Id
    deck_id: Id
    follow_up: StrictInt | None = Field(default=None, ge=0, le=2)


class ExportedInterviewAnswer(_Strict):
    """One shown step of a mock interview and, once answered, its answer and score."""

    position: StrictInt = Field(ge=0, lt=rehearsal.MAX_QUESTIONS)
    part: Literal["question", "follow_up"]
    card_id: Id
    follow_up: StrictInt | None = Field(default=None, ge=0, le=2)
    answer_id: uuid.UUID | None = None
    text: Annotated[StrictStr, StringConstraints(max_length=MAX_TEXT)] | None = None
    shown_at: AwareDatetime
    answered_at: AwareDatetime | None = None
    duration_ms: StrictInt | None = Field(default=None, ge=0, le=MAX_DURATION_MS)
    coverage: Annotated[float, Strict()] | None = Field(default=None, ge=0, le=1)
    covered: list[Id] = Field(default_factory=list, max_length=6)
    over_time: StrictBool = False


class ExportedInterview(_Strict):
    """A mock interview in an export, with its answers; its cards may have left the content."""

    id: uuid.UUID
    created_at: AwareDatetime
    finished_at: AwareDatetime | None = None
    seed: StrictInt = Field(ge=0, le=rehearsal.MAX_SEED)
    seconds_per_answer: StrictInt = Field(ge=rehearsal.MIN_SECONDS, le=rehearsal.MAX_SECONDS)
    options: ExportedInterviewOptions
    questions: list[ExportedPlanned] = Field(min_length=1, max_length=rehearsal.MAX_QUESTIONS)
    answers: list[ExportedInterviewAnswer] = Field(
        default_factory=list, max_length=2 * rehearsal.MAX_QUESTIONS
    )


class ExportedCard(_Strict):
    """One card's flags (its schedule follows from the reviews)."""

    card_id: Id
    deck_id: Id
    suspended: StrictBool = False
    buried_until: AwareDatetime | None = None


class ExportedInterviewDate(_Strict):
    """The date of an interview: for a deck, or (deck null) for every deck."""

    deck: Id | None = None
    date: date


class Export(_Strict):
    """A user's progress as a file."""

    format: Literal["prepdeck-progress"]
    version: Literal[1, 2, 3, 4]
    exported_at: AwareDatetime
    username: Annotated[StrictStr, StringConstraints(max_length=64), AfterValidator(_plain_id)]
    settings: StudySettings
    cards: list[ExportedCard] = Field(max_length=MAX_CARDS)
    schedulers: list[ExportedScheduler] = Field(default_factory=list, max_length=MAX_SCHEDULERS)
    reviews: list[ExportedReview] = Field(max_length=MAX_REVIEWS)
    quiz_attempts: list[ExportedAttempt] = Field(default_factory=list, max_length=MAX_ATTEMPTS)
    interviews: list[ExportedInterview] = Field(default_factory=list, max_length=MAX_INTERVIEWS)
    interview_dates: list[ExportedInterviewDate] = Field(default_factory=list, max_length=MAX_DATES)


class InvalidImport(AppError, ValueError):
    """An export that parses but cannot be imported; problems are (location, message) pairs."""

    status = 422

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(self.lines()))

    def lines(self) -> list[str]:
        """Return one 'location: message' line per problem."""
        return error_lines({"loc": loc, "msg": message} for loc, message in self.problems)

    def json_detail(self) -> Any:
        """Return the problems as FastAPI lists the errors of a request's body."""
        return [
            {"type": "value_error", "loc": ["body", *loc], "msg": message}
            for loc, message in self.problems
        ]

    def page_lines(self) -> list[str]:
        """Return one line per problem."""
        return self.lines()


MAX_PROBLEMS = 10
NOT_AN_EXPORT = "not a prepdeck progress export (the JSON file Settings > Export writes)"
# Entries checked at a time; the import pauses between batches (see _Pacer).
BATCH = 200
_REVIEWS = TypeAdapter(list[ExportedReview])
_CARDS = TypeAdapter(list[ExportedCard])
_ATTEMPTS = TypeAdapter(list[ExportedAttempt])
_INTERVIEWS = TypeAdapter(list[ExportedInterview])
# Each list checked in batches: its name, its checker, and how long it may be.
_LISTS: tuple[tuple[str, TypeAdapter[Any], int], ...] = (
    ("reviews", _REVIEWS, MAX_REVIEWS),
    ("cards", _CARDS, MAX_CARDS),
    ("quiz_attempts", _ATTEMPTS, MAX_ATTEMPTS),
    ("interviews", _INTERVIEWS, MAX_INTERVIEWS),
)


class NotAnExport(InvalidImport):
    """A file that is not JSON, or not shaped as a progress export."""


class _Pacer:
    """Give other threads the interpreter now and then during a long import.

    The import is mostly Python code; a thread serving another user's request waits for the
    interpreter lock each time it comes back from I/O (up to 5 ms each, several times per
    request) while the import holds it. Sleeping 1 ms after every 2 ms of work hands it over
    and leaves the other requests at least a third of the interpreter.
    """

    WORK = 0.002
    PAUSE = 0.001

    def __init__(self) -> None:
        self.since = time.perf_counter()

    def __call__(self) -> None:
        if time.perf_counter() - self.since > self.WORK:
            time.sleep(self.PAUSE)
            self.since = time.perf_counter()


def _problems(
    exc: ValidationError, name: str | None = None, offset: int = 0
) -> list[tuple[tuple[str | int, ...], str]]:
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for error in exc.errors(include_url=False, include_input=False):
        loc: tuple[str | int, ...] = tuple(error["loc"])
        message = error["msg"]
        if name is not None:
            index = loc[0] if loc and isinstance(loc[0], int) else 0
            loc = (name, index + offset, *loc[1:])
        elif not loc:
            message = f"{NOT_AN_EXPORT}: {message}"
        problems.append((loc, message))
    return problems


def _unparsable(raw: bytes, exc: ValueError) -> list[tuple[tuple[str | int, ...], str]]:
    """Name the field that made the file unparsable when it is a lone surrogate, else say why."""
    try:
        data = json.loads(raw)  # unlike the fast parser, it takes lone surrogates
    except (ValueError, RecursionError):
        return [((), f"{NOT_AN_EXPORT}: Invalid JSON: {exc}")]
    named = [(tuple(error["loc"]), str(error["msg"])) for error in json_errors(data, ())]
    return named or [((), f"{NOT_AN_EXPORT}: Invalid JSON: {exc}")]


TAKES = "Import takes the JSON file that Export progress (JSON) downloads."
_ZIP = b"PK\x03\x04"


def wrong_file(raw: bytes) -> str | None:
    """Say in plain words what kind of wrong file raw is, or None when it may be an export.

    Recognises an empty file, the CSV review log, a ZIP (such as an Anki package), text that
    is not JSON, JSON that is not an export, and an export of a version this server does not
    read. Called after parse_export refused the file, so a good file is parsed once.
    """
    text = raw.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        return f"This file is empty. {TAKES}"
    if raw.startswith(_ZIP):
        return (
            f"This file is a ZIP archive (an Anki package is one), not a progress export. {TAKES}"
        )
    if text.split(b"\n", 1)[0].strip().decode("utf-8", "replace") == ",".join(CSV_FIELDS):
        return (
            "This file is a CSV review log; import takes the JSON export, the file "
            "Export progress (JSON) downloads."
        )
    try:
        data = json.loads(text)
    except RecursionError:
        return f"This file nests lists or objects too deeply to be a progress export. {TAKES}"
    except ValueError:
        return f"This file is not JSON. {TAKES}"
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return f"This JSON file is not a prepdeck progress export. {TAKES}"
    version = data.get("version")
    if type(version) is int and version > VERSION:
        return (
            f"This export is version {version}, from a newer prepdeck; this server reads "
            f"versions 1 to {VERSION}. Upgrade this server, then import it again."
        )
    if type(version) is not int or version < 1:
        return f"This export has no version this server knows (1 to {VERSION}). {TAKES}"
    return None


def parse_export(raw: bytes) -> Export:
    """Parse and check an export file whole; raise NotAnExport naming each problem (up to 10).

    The reviews and cards are checked in batches with pauses between them, so a large file
    does not hold up other requests of the same process.
    """
    try:
        data = pydantic_core.from_json(raw)
    except ValueError as exc:
        raise NotAnExport(_unparsable(raw, exc)) from exc
    if not isinstance(data, dict):
        raise NotAnExport([((), f"{NOT_AN_EXPORT}: Input should be an object")])
    interviews_sent = bool(data.get("interviews"))
    entries: dict[str, list[Any]] = {}
    for name, _adapter, _limit in _LISTS:
        if isinstance(data.get(name), list):
            entries[name] = data[name]
            data[name] = []
    problems: list[tuple[tuple[str | int, ...], str]] = []
    version = data.get("version")
    if type(version) is int and version == 1 and "quiz_attempts" in data:
        problems.append((("quiz_attempts",), "a version 1 export has none: set version to 2"))
    # Checked on the list as sent: the lists are set aside (emptied) before the model is.
    if type(version) is int and version in (1, 2) and interviews_sent:
        problems.append(
            (("interviews",), f"a version {version} export has none: set version to {VERSION}")
        )
    if type(version) is int and version in (1, 2, 3) and data.get("schedulers"):
        problems.append(
            (("schedulers",), f"a version {version} export has none: set version to {VERSION}")
        )
    export = None
    try:
        export = Export.model_validate(data)
    except ValidationError as exc:
        problems += _problems(exc)
    pace = _Pacer()
    checked: dict[str, list[Any]] = {}
    for name, adapter, limit in _LISTS:
        items = entries.get(name, [])
        if len(items) > limit:
            problems.append(((name,), f"List should have at most {limit} items, not {len(items)}"))
            continue
        valid: list[Any] = []
        for start in range(0, len(items), BATCH):
            if len(problems) >= MAX_PROBLEMS:
                break
            pace()
            try:
                valid += adapter.validate_python(items[start : start + BATCH])
            except ValidationError as exc:
                problems += _problems(exc, name, start)
        checked[name] = valid
    if problems or export is None:
        raise NotAnExport(problems[:MAX_PROBLEMS])
    export.reviews = checked["reviews"]
    problems += _scheduler_problems(export)
    if problems:
        raise NotAnExport(problems[:MAX_PROBLEMS])
    export.cards = checked["cards"]
    export.quiz_attempts = checked["quiz_attempts"]
    export.interviews = checked.get("interviews", [])
    return export


def _scheduler_problems(export: Export) -> list[tuple[tuple[str | int, ...], str]]:
    """Name each review whose scheduler is not an index of the file's schedulers."""
    count = len(export.schedulers)
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for index, review in enumerate(export.reviews):
        if review.scheduler is not None and review.scheduler >= count and len(problems) < 10:
            what = (
                f"the file's schedulers has {count} entries (0 to {count - 1})"
                if count
                else "the file has no schedulers: use null (the legacy rules)"
            )
            problems.append(
                (("reviews", index, "scheduler"), f"{review.scheduler} is not an index: {what}")
            )
    return problems


def check_import(data: Export, now: datetime) -> None:
    """Raise InvalidImport naming each timestamp outside 2000-01-01 .. now + 1 day."""
    latest = now + AHEAD
    span = f"between {EARLIEST:%Y-%m-%d} and {latest:%Y-%m-%d %H:%M} UTC (now + 1 day)"
    problems: list[tuple[tuple[str | int, ...], str]] = []

    def check(loc: tuple[str | int, ...], moment: datetime, last: datetime, text: str) -> None:
        if len(problems) < MAX_PROBLEMS and not EARLIEST <= moment <= last:
            problems.append((loc, f"{moment.isoformat()} is not {text}"))

    check(("exported_at",), data.exported_at, latest, span)
    for index, review in enumerate(data.reviews):
        check(("reviews", index, "reviewed_at"), review.reviewed_at, latest, span)
    for index, attempt in enumerate(data.quiz_attempts):
        check(("quiz_attempts", index, "answered_at"), attempt.answered_at, latest, span)
    for index, interview in enumerate(data.interviews):
        check(("interviews", index, "created_at"), interview.created_at, latest, span)
        if interview.finished_at is not None:
            check(("interviews", index, "finished_at"), interview.finished_at, latest, span)
        for number, step in enumerate(interview.answers):
            where: tuple[str | int, ...] = ("interviews", index, "answers", number)
            check((*where, "shown_at"), step.shown_at, latest, span)
            if step.answered_at is not None:
                check((*where, "answered_at"), step.answered_at, latest, span)
    bury_last = now + BURY_AHEAD
    bury_span = f"between {EARLIEST:%Y-%m-%d} and {bury_last:%Y-%m-%d %H:%M} UTC"
    for index, card in enumerate(data.cards):
        if card.buried_until is not None:
            check(("cards", index, "buried_until"), card.buried_until, bury_last, bury_span)
    if problems:
        raise InvalidImport(problems)


def export_progress(*, session: Session, user: User, now: datetime) -> Export:
    """Return everything of the user's progress."""
    logs = session.scalars(
        select(ReviewLog).where(ReviewLog.user_id == user.id).order_by(ReviewLog.id)
    ).all()
    states = session.scalars(
        select(CardState).where(CardState.user_id == user.id).order_by(CardState.card_id)
    ).all()
    attempts = session.scalars(
        select(QuizAttempt).where(QuizAttempt.user_id == user.id).order_by(QuizAttempt.id)
    ).all()
    configs = configs_by_id(session, {log.scheduler_id for log in logs})
    index: dict[int, int] = {}
    schedulers: list[ExportedScheduler] = []
    for log in logs:
        if log.scheduler_id is not None and log.scheduler_id not in index:
            index[log.scheduler_id] = len(schedulers)
            schedulers.append(ExportedScheduler.of(configs[log.scheduler_id]))
    return Export(
        schedulers=schedulers,
        interviews=export_interviews(session, user),
        interview_dates=[
            ExportedInterviewDate(deck=deck_id or None, date=day)
            for deck_id, day in sorted(load_dates(session, user).items())
        ],
        format=FORMAT,
        version=VERSION,
        exported_at=now,
        username=user.username,
        settings=StudySettings.of(user),
        cards=[
            ExportedCard(
                card_id=row.card_id,
                deck_id=row.deck_id,
                suspended=row.suspended,
                buried_until=row.buried_until,
            )
            for row in states
        ],
        reviews=[
            ExportedReview(
                review_id=log.review_id,
                card_id=log.card_id,
                deck_id=log.deck_id,
                rating=log.rating,
                reviewed_at=log.reviewed_at,
                duration_ms=log.duration_ms,
                desired_retention=log.desired_retention,
                scheduler=index.get(log.scheduler_id) if log.scheduler_id is not None else None,
            )
            for log in logs
        ],
        quiz_attempts=[
            ExportedAttempt(
                attempt_id=uuid.UUID(attempt.attempt_id),
                card_id=attempt.card_id,
                demo_id=attempt.demo_id,
                kind_id=attempt.kind_id,
                seed=attempt.seed,
                answer=attempt.answer,
                correct=attempt.correct,
                answered_at=attempt.answered_at,
                duration_ms=attempt.duration_ms,
            )
            for attempt in attempts
        ],
    )


def export_interviews(session: Session, user: User) -> list[ExportedInterview]:
    """Return the user's mock interviews with their answers, oldest first."""
    rows = session.scalars(
        select(Interview).where(Interview.user_id == user.id).order_by(Interview.id)
    ).all()
    exported = []
    for interview in rows:
        answers = rehearsal.answers_of(session, interview)
        exported.append(
            ExportedInterview(
                id=uuid.UUID(interview.public_id),
                created_at=interview.created_at,
                finished_at=interview.finished_at,
                seed=interview.seed,
                seconds_per_answer=interview.seconds_per_answer,
                options=ExportedInterviewOptions.model_validate(json.loads(interview.options)),
                questions=[
                    ExportedPlanned.model_validate(item) for item in json.loads(interview.questions)
                ],
                answers=[
                    ExportedInterviewAnswer(
                        position=row.position,
                        part=row.part,
                        card_id=row.card_id,
                        follow_up=row.follow_up,
                        answer_id=uuid.UUID(row.answer_id) if row.answer_id else None,
                        text=row.text,
                        shown_at=row.shown_at,
                        answered_at=row.answered_at,
                        duration_ms=row.duration_ms,
                        coverage=row.coverage,
                        covered=rehearsal.covered_ids(row),
                        over_time=row.over_time,
                    )
                    for row in answers
                ],
            )
        )
    return exported


CSV_FIELDS = [
    "review_id",
    "card_id",
    "deck_id",
    "rating",
    "reviewed_at",
    "duration_ms",
    "desired_retention",
]
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """Return value, with a quote put before text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def reviews_csv(export: Export) -> str:
    """Return the review log as CSV, one review a row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for review in export.reviews:
        row = review.model_dump(exclude={"scheduler"})  # an index into the JSON file only
        row["reviewed_at"] = review.reviewed_at.isoformat()
        writer.writerow({key: csv_cell(value) for key, value in row.items()})
    return out.getvalue()


_STATE_FIELDS = (
    "deck_id",
    "state",
    "step",
    "stability",
    "difficulty",
    "due",
    "last_review",
    "reps",
    "lapses",
    "buried_until",
    "suspended",
)


@dataclass
class _Plan:
    """The rows an import writes, worked out in memory before anything is written."""

    new_logs: list[dict[str, Any]] = field(default_factory=list)
    new_attempts: list[dict[str, Any]] = field(default_factory=list)
    new_interviews: list[ExportedInterview] = field(default_factory=list)
    log_updates: list[dict[str, Any]] = field(default_factory=list)
    log_originals: list[dict[str, Any]] = field(default_factory=list)
    state_inserts: list[dict[str, Any]] = field(default_factory=list)
    state_updates: list[dict[str, Any]] = field(default_factory=list)
    state_originals: dict[str, dict[str, Any]] = field(default_factory=dict)
    cards: int = 0


@dataclass
class _Written:
    """What an import has committed so far, to take back should a later chunk fail."""

    review_ids: list[str] = field(default_factory=list)
    attempt_ids: list[str] = field(default_factory=list)
    interview_ids: list[str] = field(default_factory=list)
    log_originals: list[dict[str, Any]] = field(default_factory=list)
    inserted_cards: list[str] = field(default_factory=list)
    updated_cards: list[dict[str, Any]] = field(default_factory=list)


class _Changed(Exception):
    """A card changed under the import (a review that began just before it)."""


CHANGED = (
    "Your progress changed while the import ran (a review in another tab or device); "
    "nothing was imported. Import the file again."
)


def import_progress(
    *, session: Session, user: User, data: Export, now: datetime, library: Library
) -> tuple[int, int]:
    """Merge an export into the user's progress; return (reviews added, cards rebuilt).

    Reviews and quiz attempts already present (same review_id, attempt_id) are skipped, so
    importing twice adds nothing; attempts of cards no longer in the content are kept.
    Raise InvalidImport for a timestamp out of range, Conflict while another import of the
    same user runs or when the user's cards change meanwhile; either way nothing is imported.
    """
    check_import(data, now)
    resume = _claim(session, user)
    written = _Written()
    try:
        pace = _Pacer()
        plan = _plan(session, user, data, now, library, resume, pace)
        _write(session, user, plan, written, pace)
    except BaseException as exc:
        session.rollback()
        try:
            _take_back(session, user, written)
        except Exception:
            # The marker stays; it goes stale, and the next import replays every card.
            log.exception("could not take back a failed import of user %s", user.id)
            raise
        if resume:
            # What the dead import wrote is still there: leave the marker, stale, so the
            # user's study writes keep saying to import again.
            _abandon(session, user)
        else:
            _release(session, user)
        if isinstance(exc, _Changed | IntegrityError):
            raise Conflict(CHANGED) from exc
        raise
    _release(session, user)
    merge_dates(
        session=session,
        user=user,
        library=library,
        dates=[(entry.deck, entry.date) for entry in data.interview_dates],
    )
    return len(plan.new_logs), plan.cards


def _claim(session: Session, user: User) -> bool:
    """Put the user's import marker; return whether it takes over one left by a dead import."""
    now = utcnow()
    beat = session.scalar(select(ProgressImport.beat_at).where(ProgressImport.user_id == user.id))
    if beat is not None:
        if beat >= now - IMPORT_STALE_AFTER:
            raise Conflict(IMPORT_RUNNING)
        taken = session.execute(
            update(ProgressImport)
            .where(ProgressImport.user_id == user.id, ProgressImport.beat_at == beat)
            .values(started_at=now, beat_at=now)
        )
        session.commit()
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(IMPORT_RUNNING)
        return True
    session.add(ProgressImport(user_id=user.id, started_at=now, beat_at=now))
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(IMPORT_RUNNING) from exc
    return False


def _beat(session: Session, user: User) -> None:
    session.execute(
        update(ProgressImport).where(ProgressImport.user_id == user.id).values(beat_at=utcnow())
    )


def _abandon(session: Session, user: User) -> None:
    stale = utcnow() - 2 * IMPORT_STALE_AFTER
    session.execute(
        update(ProgressImport).where(ProgressImport.user_id == user.id).values(beat_at=stale)
    )
    session.commit()


def _release(session: Session, user: User) -> None:
    session.execute(delete(ProgressImport).where(ProgressImport.user_id == user.id))
    session.commit()


def _chunks(rows: Sequence[_Row]) -> Iterator[list[_Row]]:
    for start in range(0, len(rows), CHUNK):
        yield list(rows[start : start + CHUNK])


_STATE_COLUMNS = (
    CardState.card_id,
    CardState.version,
    *(getattr(CardState, name) for name in _STATE_FIELDS),
)
_LOG_COLUMNS = (
    ReviewLog.id,
    ReviewLog.review_id,
    ReviewLog.card_id,
    ReviewLog.rating,
    ReviewLog.reviewed_at,
    ReviewLog.duration_ms,
    ReviewLog.desired_retention,
    ReviewLog.kind,
    ReviewLog.state_before,
    ReviewLog.scheduler_id,
)


def _plan(
    session: Session,
    user: User,
    data: Export,
    now: datetime,
    library: Library,
    everything: bool,
    pace: _Pacer,
) -> _Plan:
    """Work out every row to write, replaying each touched card's whole log in time order."""
    # The file's configurations get their rows first, in a short transaction of their own
    # (a row no review names is harmless); each new review names its row.
    file_ids = [scheduler_id(session, entry.config()) for entry in data.schedulers]
    if file_ids:
        session.commit()
    known = set(
        session.scalars(select(ReviewLog.review_id).where(ReviewLog.user_id == user.id)).all()
    )
    fresh: dict[str, list[tuple[int, ExportedReview]]] = {}
    for index, review in enumerate(data.reviews):
        pace()
        if review.review_id in known:
            continue
        known.add(review.review_id)
        fresh.setdefault(review.card_id, []).append((index, review))
    flags: dict[str, ExportedCard] = {}
    for card in data.cards:
        flags.setdefault(card.card_id, card)
    touched = set(fresh) | set(flags)
    states = {}
    for row in session.execute(select(*_STATE_COLUMNS).where(CardState.user_id == user.id)):
        pace()
        states[row.card_id] = row
    query = select(*_LOG_COLUMNS).where(ReviewLog.user_id == user.id)
    if len(touched) <= CHUNK and not everything:
        query = query.where(ReviewLog.card_id.in_(touched))
    existing: dict[str, list[Any]] = {}
    for row in session.execute(query):
        pace()
        existing.setdefault(row.card_id, []).append(row)
    if everything:
        touched |= set(existing) | set(states)
    decks = {card.id: deck.id for deck in library.decks for card in deck.cards}
    configs = configs_by_id(
        session, {row.scheduler_id for rows in existing.values() for row in rows}
    )
    for entry, config_id in zip(data.schedulers, file_ids, strict=True):
        if config_id is not None:
            configs[config_id] = entry.config()

    plan = _Plan(cards=len(touched))
    new_logs: list[dict[str, Any]] = []
    for card_id in sorted(touched):
        pace()
        # Time order; among equal times, rows already stored (by id) before new ones (by
        # their place in the file), which is the order their ids will have once inserted.
        entries: list[tuple[datetime, int, int, Any]] = [
            (row.reviewed_at, 0, row.id, row) for row in existing.get(card_id, [])
        ]
        entries += [(r.reviewed_at.astimezone(UTC), 1, i, r) for i, r in fresh.get(card_id, [])]
        entries.sort(key=lambda entry: entry[:3])
        old = states.get(card_id)
        memory = Memory.new(now)
        if old is not None and not entries and old.state == NEW:
            # Only flagged, never reviewed: kept as it is.
            memory = Memory(
                NEW,
                old.step,
                old.stability,
                old.difficulty,
                old.due,
                old.last_review,
                old.reps,
                old.lapses,
            )
        for reviewed_at, is_new, order, item in entries:
            pace()
            kind = memory.state
            before = None if kind == NEW else memory.to_json()
            config_id = (
                (file_ids[item.scheduler] if item.scheduler is not None else None)
                if is_new
                else item.scheduler_id
            )
            if is_new:
                new_logs.append(
                    {
                        "order": order,
                        "user_id": user.id,
                        "review_id": item.review_id,
                        "card_id": card_id,
                        "deck_id": decks.get(card_id, item.deck_id),
                        "rating": item.rating,
                        "kind": kind,
                        "reviewed_at": reviewed_at,
                        "duration_ms": item.duration_ms,
                        "desired_retention": item.desired_retention,
                        "state_before": before,
                        "scheduler_id": config_id,
                    }
                )
            elif (kind, before) != (item.kind, item.state_before):
                plan.log_updates.append({"b_id": item.id, "kind": kind, "state_before": before})
                plan.log_originals.append(
                    {"b_id": item.id, "kind": item.kind, "state_before": item.state_before}
                )
            memory = memory.review(
                card_id=card_id,
                rating=item.rating,
                when=reviewed_at,
                desired_retention=item.desired_retention,
                duration_ms=item.duration_ms,
                config=configs[config_id],
            )
        card_flags = flags.get(card_id)
        if old is None and not entries and card_flags is None:
            continue
        deck_id = decks.get(card_id) or (
            old.deck_id if old is not None else _file_deck(card_id, fresh, card_flags)
        )
        values: dict[str, Any] = {
            "deck_id": deck_id,
            "state": memory.state,
            "step": memory.step,
            "stability": memory.stability,
            "difficulty": memory.difficulty,
            "due": memory.due,
            "last_review": memory.last_review,
            "reps": memory.reps,
            "lapses": memory.lapses,
            "suspended": old.suspended if old is not None else False,
            "buried_until": old.buried_until if old is not None else None,
        }
        if card_flags is not None:
            values["suspended"] = values["suspended"] or card_flags.suspended
            bury = card_flags.buried_until
            if bury is not None and (
                values["buried_until"] is None or bury > values["buried_until"]
            ):
                values["buried_until"] = bury.astimezone(UTC)
        if old is None:
            plan.state_inserts.append(
                {"user_id": user.id, "card_id": card_id, "version": 1, **values}
            )
            continue
        mapping = old._mapping
        original = {name: mapping[name] for name in _STATE_FIELDS}
        if values != original:
            plan.state_updates.append({"b_card": card_id, "b_version": old.version, **values})
            plan.state_originals[card_id] = original
    # Inserted in the file's order, so the ids (the tie-break among equal times) follow it.
    new_logs.sort(key=lambda values: values["order"])
    for values in new_logs:
        del values["order"]
    plan.new_logs = new_logs
    plan.new_attempts = _new_attempts(session, user, data, pace)
    known_interviews = set(
        session.scalars(select(Interview.public_id).where(Interview.user_id == user.id))
    )
    for interview in data.interviews:
        key = str(interview.id)
        if key not in known_interviews:
            known_interviews.add(key)
            plan.new_interviews.append(interview)
    return plan


def _new_attempts(session: Session, user: User, data: Export, pace: _Pacer) -> list[dict[str, Any]]:
    """Return the rows of the file's attempts not stored yet, in the file's order."""
    known = set(
        session.scalars(select(QuizAttempt.attempt_id).where(QuizAttempt.user_id == user.id))
    )
    rows = []
    for attempt in data.quiz_attempts:
        pace()
        key = str(attempt.attempt_id)
        if key in known:
            continue
        known.add(key)
        rows.append(
            {
                "user_id": user.id,
                "attempt_id": key,
                "card_id": attempt.card_id,
                "demo_id": attempt.demo_id,
                "kind_id": attempt.kind_id,
                "seed": attempt.seed,
                "answer": attempt.answer,
                "correct": attempt.correct,
                "duration_ms": attempt.duration_ms,
                "answered_at": attempt.answered_at.astimezone(UTC),
            }
        )
    return rows


def _file_deck(
    card_id: str, fresh: dict[str, list[tuple[int, ExportedReview]]], flags: ExportedCard | None
) -> str:
    reviews = fresh.get(card_id)
    if reviews:
        return reviews[-1][1].deck_id
    assert flags is not None
    return flags.deck_id


_LOGS = cast(Table, ReviewLog.__table__)
_ATTEMPTS_TABLE = cast(Table, QuizAttempt.__table__)
_STATES = cast(Table, CardState.__table__)
_UPDATE_LOG = (
    update(_LOGS)
    .where(_LOGS.c.id == bindparam("b_id"))
    .values(kind=bindparam("kind"), state_before=bindparam("state_before"))
)


def _update_states(user_id: int, checked: bool) -> Any:
    """The UPDATE of one card's state; checked: only from the version the import read."""
    statement = update(_STATES).where(
        _STATES.c.user_id == user_id, _STATES.c.card_id == bindparam("b_card")
    )
    if checked:
        statement = statement.where(_STATES.c.version == bindparam("b_version"))
    return statement.values(
        {name: bindparam(name) for name in _STATE_FIELDS} | {"version": _STATES.c.version + 1}
    )


def _write(session: Session, user: User, plan: _Plan, written: _Written, pace: _Pacer) -> None:
    """Write the plan in chunks, each its own short transaction, noting what is committed."""
    for chunk in _chunks(plan.new_logs):
        pace()
        session.execute(insert(_LOGS), chunk)
        _beat(session, user)
        session.commit()
        written.review_ids += [row["review_id"] for row in chunk]
    for chunk in _chunks(plan.new_attempts):
        pace()
        session.execute(insert(_ATTEMPTS_TABLE), chunk)
        _beat(session, user)
        session.commit()
        written.attempt_ids += [row["attempt_id"] for row in chunk]
    for interviews in _chunks(plan.new_interviews):
        pace()
        for interview in interviews:
            _insert_interview(session, user, interview)
        _beat(session, user)
        session.commit()
        written.interview_ids += [str(interview.id) for interview in interviews]
    for index, chunk in enumerate(_chunks(plan.log_updates)):
        pace()
        session.execute(_UPDATE_LOG, chunk)
        _beat(session, user)
        session.commit()
        written.log_originals += plan.log_originals[index * CHUNK : (index + 1) * CHUNK]
    for chunk in _chunks(plan.state_inserts):
        pace()
        session.execute(insert(_STATES), chunk)
        _beat(session, user)
        session.commit()
        written.inserted_cards += [row["card_id"] for row in chunk]
    statement = _update_states(user.id, checked=True)
    for chunk in _chunks(plan.state_updates):
        pace()
        result = session.execute(statement, chunk)
        if result.rowcount != len(chunk):  # type: ignore[attr-defined]
            raise _Changed(CHANGED)
        _beat(session, user)
        session.commit()
        written.updated_cards += [
            {"b_card": row["b_card"], **plan.state_originals[row["b_card"]]} for row in chunk
        ]


def _insert_interview(session: Session, user: User, interview: ExportedInterview) -> None:
    """Add one imported interview and its answers (flushed, not committed)."""
    row = Interview(
        public_id=str(interview.id),
        user_id=user.id,
        options=json.dumps(interview.options.model_dump(mode="json")),
        seed=interview.seed,
        questions=json.dumps([planned.model_dump() for planned in interview.questions]),
        seconds_per_answer=interview.seconds_per_answer,
        created_at=interview.created_at.astimezone(UTC),
        finished_at=interview.finished_at.astimezone(UTC) if interview.finished_at else None,
    )
    session.add(row)
    session.flush()
    for step in interview.answers:
        session.add(
            InterviewAnswer(
                interview_id=row.id,
                position=step.position,
                part=step.part,
                card_id=step.card_id,
                follow_up=step.follow_up,
                answer_id=str(step.answer_id) if step.answer_id else None,
                text=step.text,
                shown_at=step.shown_at.astimezone(UTC),
                answered_at=step.answered_at.astimezone(UTC) if step.answered_at else None,
                duration_ms=step.duration_ms,
                coverage=step.coverage,
                covered=json.dumps(step.covered),
                over_time=step.over_time,
            )
        )
    session.flush()


def _take_back(session: Session, user: User, written: _Written) -> None:
    """Undo what a failed import committed, chunk by chunk."""
    interviews = cast(Table, Interview.__table__)
    for chunk in _chunks(written.interview_ids):
        # Their answers go with them (ON DELETE CASCADE).
        session.execute(
            delete(interviews).where(
                interviews.c.user_id == user.id, interviews.c.public_id.in_(chunk)
            )
        )
        session.commit()
    for chunk in _chunks(written.review_ids):
        session.execute(
            delete(_LOGS).where(_LOGS.c.user_id == user.id, _LOGS.c.review_id.in_(chunk))
        )
        session.commit()
    table = _ATTEMPTS_TABLE
    for chunk in _chunks(written.attempt_ids):
        session.execute(
            delete(table).where(table.c.user_id == user.id, table.c.attempt_id.in_(chunk))
        )
        session.commit()
    for rows in _chunks(written.log_originals):
        session.execute(_UPDATE_LOG, rows)
        session.commit()
    for chunk in _chunks(written.inserted_cards):
        session.execute(
            delete(_STATES).where(_STATES.c.user_id == user.id, _STATES.c.card_id.in_(chunk))
        )
        session.commit()
    restore = _update_states(user.id, checked=False)
    for rows in _chunks(written.updated_cards):
        session.execute(restore, rows)
        session.commit()
