"""The JSON API's request bodies (...In) and answers (...Out), in one place.

The cheat-sheet parts (CheatSheet, CheatGroup, CheatItem) and the error shapes keep the names
clients already know them by in the OpenAPI document.
"""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Security
from fastapi.security import HTTPBearer
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
)

from app import urls
from app.accounts.admin import UserRow
from app.content.models import Card, Deck, Difficulty, RenderedCheatSheet, Topic
from app.figures.questions import MAX_SEED
from app.input_checks import NUMBER_NOT_TEXT, JsonInt
from app.models import User
from app.rehearsal.interviews import (
    DEFAULT_QUESTIONS,
    DEFAULT_SECONDS,
    MAX_QUESTIONS,
    MAX_SECONDS,
    MIN_QUESTIONS,
    MIN_SECONDS,
)
from app.rehearsal.matching import MAX_TEXT, Coverage
from app.study.browser import MAX_SELECTION
from app.study.queue import Counts
from app.study.reviews import session_start


class CardSummaryOut(BaseModel):
    """A card as listed in a deck."""

    id: str
    deck: str
    number: int
    question: str
    difficulty: Difficulty
    topics: list[str]
    demo: str | None
    url: str
    api_url: str

    @classmethod
    def of(cls, card: Card) -> "CardSummaryOut":
        """Summarize a card."""
        return cls(
            id=card.id,
            deck=card.deck_id,
            number=card.number,
            question=card.question,
            difficulty=card.difficulty,
            topics=list(card.topics),
            demo=card.demo,
            url=urls.card(card.deck_id, card.id),
            api_url=urls.api_card(card.deck_id, card.id),
        )


class CardOut(CardSummaryOut):
    """A card with all of its text, raw (markdown, LaTeX) and rendered (HTML, MathML)."""

    answer: str
    answer_html: str
    formula: list[str]
    formula_mathml: list[str]
    code: str | None
    code_language: str
    pros: list[str]
    cons: list[str]
    chips: list[str]
    note: str | None
    note_html: str | None
    previous: str | None
    next: str | None

    @classmethod
    def of_card(cls, deck: Deck, card: Card) -> "CardOut":
        """Describe a card in full, with its neighbours in the deck."""
        before, after = deck.neighbours(card)
        return cls(
            **CardSummaryOut.of(card).model_dump(),
            answer=card.answer,
            answer_html=card.answer_html,
            formula=list(card.formula),
            formula_mathml=list(card.formula_html),
            code=card.code,
            code_language=card.code_language,
            pros=list(card.pros),
            cons=list(card.cons),
            chips=list(card.chips),
            note=card.note,
            note_html=card.note_html,
            previous=before.id if before else None,
            next=after.id if after else None,
        )


_DETAILS: dict[tuple[int, int], tuple[Card, dict[str, Any]]] = {}


def card_fields(deck: Deck, card: Card) -> dict[str, Any]:
    """Return a card's CardOut fields, validated once per loaded card (content is immutable)."""
    key = (id(deck), id(card))
    found = _DETAILS.get(key)
    if found is None or found[0] is not card:
        if len(_DETAILS) > 10_000:  # reloaded content many times over: start afresh
            _DETAILS.clear()
        found = _DETAILS[key] = (card, dict(CardOut.of_card(deck, card)))
    return found[1]


class DeckSummaryOut(BaseModel):
    """A deck as listed on the home page."""

    id: str
    title: str
    short_title: str | None
    tagline: str | None
    subtitle: str
    topics: list[Topic]
    card_count: int
    url: str
    api_url: str
    cards_url: str

    @classmethod
    def of(cls, deck: Deck) -> "DeckSummaryOut":
        """Summarize a deck."""
        return cls(
            id=deck.id,
            title=deck.title,
            short_title=deck.short_title,
            tagline=deck.tagline,
            subtitle=deck.subtitle,
            topics=list(deck.topics),
            card_count=len(deck.cards),
            url=urls.deck(deck.id),
            api_url=urls.api_deck(deck.id),
            cards_url=urls.api_cards(deck.id),
        )


class CheatItem(BaseModel):
    """One line of the cheat sheet, raw (LaTeX, markdown) and rendered (MathML, HTML)."""

    term: str
    text: str = Field(description="What the term means, in a few words.")
    card: str | None = Field(description="Id of the card that explains the term.")
    formula: str | None = Field(description="The one formula to remember, as LaTeX.")
    formula_mathml: str | None = Field(description="The formula as a MathML <math> element.")
    tip: str | None = Field(description="When to use it or what to watch for, as markdown.")
    tip_html: str | None = Field(description="The tip rendered to inline HTML.")


class CheatGroup(BaseModel):
    """A titled group of cheat-sheet items."""

    name: str
    items: list[CheatItem]


class CheatSheet(BaseModel):
    """A deck's one-page summary."""

    title: str
    groups: list[CheatGroup]

    @classmethod
    def of(cls, sheet: RenderedCheatSheet) -> "CheatSheet":
        """Describe a cheat sheet."""
        return cls(
            title=sheet.title,
            groups=[
                CheatGroup(
                    name=group.name,
                    items=[
                        CheatItem(
                            term=item.term,
                            text=item.text,
                            card=item.card,
                            formula=item.formula,
                            formula_mathml=item.formula_html,
                            tip=item.tip,
                            tip_html=item.tip_html,
                        )
                        for item in group.items
                    ],
                )
                for group in sheet.groups
            ],
        )


class DeckOut(DeckSummaryOut):
    """A deck with its cheat sheet, verdict and card list."""

    cheatsheet: CheatSheet | None
    verdict: str | None
    cards: list[CardSummaryOut]

    @classmethod
    def of_deck(cls, deck: Deck) -> "DeckOut":
        """Describe a deck in full."""
        return cls(
            **DeckSummaryOut.of(deck).model_dump(),
            cheatsheet=CheatSheet.of(deck.cheatsheet) if deck.cheatsheet else None,
            verdict=deck.verdict,
            cards=[CardSummaryOut.of(card) for card in deck.cards],
        )


class CardListOut(BaseModel):
    """The cards of a deck that pass the filters."""

    deck: str
    total: int
    count: int
    cards: list[CardSummaryOut]


class ErrorOut(BaseModel):
    """What went wrong and how to mend it."""

    detail: str


class FieldError(BaseModel):
    """One wrong field: where it is (loc), what is wrong with it (msg), the kind of error."""

    loc: list[str | int]
    msg: str
    type: str
    input: Any = None


class InvalidInput(BaseModel):
    """A request refused for the fields it names."""

    detail: list[FieldError]


# Every operation may be refused for bad input: NUL, NaN or a lone surrogate anywhere, or a body
# that is not JSON, is refused before any route reads it (app/input_checks.py).
INVALID_INPUT: dict[int | str, dict[str, Any]] = {
    422: {"model": InvalidInput, "description": "Bad input: each wrong field is named"}
}
# Documents the Bearer token for /docs and for schema-driven clients; current_user checks it
# (or the session cookie) and answers 401.
bearer = HTTPBearer(
    auto_error=False, description=f"A token from POST {urls.api_login()} (or the session cookie)"
)
LOGIN_REQUIRED: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Log in first"}
}
AUTHENTICATED = [Security(bearer)]
CSRF_FAILED: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorOut, "description": "Cookie login without the X-CSRF-Token header"}
}


# Accounts


class CredentialsIn(BaseModel):
    """A username and password."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class UserOut(BaseModel):
    """A user as the API shows them."""

    id: int
    username: str
    is_admin: bool

    @classmethod
    def of(cls, user: User) -> "UserOut":
        """Describe a user."""
        return cls(id=user.id, username=user.username, is_admin=user.is_admin)


class LoginOut(BaseModel):
    """A personal API token (send it as Authorization: Bearer) and who it belongs to."""

    token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth token type, not a secret)
    user: UserOut
    csrf_token: str


class PasswordChangeIn(BaseModel):
    """The current password and the new one."""

    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class AccountDeleteIn(BaseModel):
    """The password, asked again before the account and all its data are deleted."""

    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=1024)


# Progress


class RetentionOut(BaseModel):
    """True retention over a window of days."""

    days: int
    reviews: int
    passed: int
    rate: float | None


class TopicOut(BaseModel):
    """Mastery of one topic: the mean predicted recall of its cards."""

    deck: str
    topic: str
    label: str
    cards: int
    studied: int
    mastery: float


class ForecastDayOut(BaseModel):
    """Cards due on one day."""

    date: date
    due: int


class TallyOut(BaseModel):
    """Answers to the demos' questions, the right ones among them, and their share (None for 0)."""

    answered: int
    right: int
    rate: float | None


class PredictionWeekOut(TallyOut):
    """The answers of one week; weeks start on Monday in the user's time zone."""

    start: date


class TopicPredictionsOut(BaseModel):
    """A topic's answers: in the last 30 days, before them, and in all."""

    deck: str
    topic: str
    label: str
    last_30d: TallyOut
    earlier: TallyOut
    total: TallyOut


class OutcomeOut(BaseModel):
    """One answer: when, and whether it was right."""

    answered_at: datetime
    right: bool


class CardPredictionsOut(BaseModel):
    """A card's answers in all and its last five outcomes (oldest first), with its demo's link."""

    deck: str
    card: str
    question: str
    total: TallyOut
    last: list[OutcomeOut]
    demo_url: str


class PredictionsOut(BaseModel):
    """How well the user predicts what the demos show; revisit: the most missed cards first."""

    total: TallyOut
    last_30d: TallyOut
    weeks: list[PredictionWeekOut]
    topics: list[TopicPredictionsOut]
    cards: list[CardPredictionsOut]
    revisit: list[CardPredictionsOut]


class LeechOut(BaseModel):
    """A card tagged a leech."""

    deck: str
    card: str
    question: str
    lapses: int
    suspended: bool
    url: str = Field(description="the card's page")
    demo_url: str | None = Field(description="its demo on the card's page, if it has one")


class ProgressOut(BaseModel):
    """The user's progress."""

    today: date
    cards: dict[str, int]
    hidden_cards: int
    reviews_today: int
    total_reviews: int
    streak_days: int
    retention_7d: RetentionOut
    retention_30d: RetentionOut
    topics: list[TopicOut]
    forecast: list[ForecastDayOut]
    calendar: dict[date, int]
    predictions: PredictionsOut
    leeches: list[LeechOut]


# Study settings and the progress file


class ImportOut(BaseModel):
    """What an import changed."""

    reviews_added: int
    cards_rebuilt: int


# Study


class PreviewOut(BaseModel):
    """What one rating would do: the next interval, as text and in seconds, and the due time."""

    interval: str
    seconds: int
    due: datetime


class CountsOut(BaseModel):
    """Cards left today."""

    new: int
    learning: int
    review: int

    @classmethod
    def of(cls, counts: Counts) -> "CountsOut":
        """Describe counts."""
        return cls(new=counts.new, learning=counts.learning, review=counts.review)


class StudyCardOut(CardOut):
    """A card to study, with the version to send back with its review."""

    version: int
    kind: str


class NextOut(BaseModel):
    """The card to study next (null when nothing is due) and what is left today."""

    card: StudyCardOut | None
    previews: dict[str, PreviewOut] | None
    counts: CountsOut
    practice: bool = False
    day: str
    next_learning_due: datetime | None = None
    plan_warning: str | None = Field(
        None, description="set when the interview plan needs more new cards a day than the limit"
    )


DurationMs = Annotated[int, Field(ge=0, le=86_400_000), NUMBER_NOT_TEXT]
CardVersion = Annotated[int, Field(ge=0), NUMBER_NOT_TEXT]


class ReviewIn(BaseModel):
    """A grade for a card."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored

    card_id: str = Field(min_length=1, max_length=80)
    # JSON numbers only: true or "3" is a mistake in the client, not a rating.
    rating: JsonInt = Field(ge=1, le=4, description="1 again, 2 hard, 3 good, 4 easy")
    review_id: uuid.UUID = Field(description="idempotency key: a retry with it records nothing new")
    duration_ms: DurationMs | None = None
    version: CardVersion | None = Field(
        default=None, description="the card version shown; a stale one gives 409"
    )


class CardStateOut(BaseModel):
    """A card's schedule after a change."""

    card_id: str
    state: str
    due: datetime
    reps: int
    lapses: int
    version: int
    stability: float | None
    difficulty: float | None


class ReviewOut(BaseModel):
    """A recorded review and the card's schedule after it."""

    review_id: str
    card_id: str
    rating: int
    rating_name: str
    reviewed_at: datetime
    duration_ms: int | None
    card: CardStateOut
    leech: bool = Field(
        False, description="this review made the card a leech (tagged, and suspended if so set)"
    )


class UndoOut(BaseModel):
    """What the undo took back: a review, or a bury, suspend or unsuspend of a card."""

    action: Literal["review", "bury", "suspend", "unsuspend"]
    card_id: str
    review_id: str | None = Field(description="the review undone; null for other actions")
    rating: int | None = Field(description="the rating of the review undone; null for others")
    message: str = Field(description="what was undone, in words")


class UndoIn(BaseModel):
    """Which review the client means to undo, and from when (both optional)."""

    model_config = ConfigDict(extra="forbid")

    review_id: uuid.UUID | None = Field(
        default=None,
        description="undo only if this review is still the latest action (else 409), so a "
        "repeated or parallel undo never undoes a second one",
    )
    since: Annotated[AwareDatetime, AfterValidator(session_start)] | None = Field(
        default=None,
        description="the start of the study session (with its time zone): an action before "
        "it is not undone (409 'Nothing to undo in this session'); leave it out to undo it",
    )


class FlagIn(BaseModel):
    """A card to bury, suspend or unsuspend."""

    model_config = ConfigDict(extra="forbid")

    card_id: str = Field(min_length=1, max_length=80)


class FlagOut(BaseModel):
    """A card's flags after the change."""

    card_id: str
    suspended: bool
    buried_until: datetime | None


# Demos


class ParamOut(BaseModel):
    """One parameter of a demo."""

    name: str
    label: str
    type: str
    min: float
    max: float
    step: float
    default: float
    log: bool


class DemoOut(BaseModel):
    """A demo and its parameters."""

    id: str
    title: str
    params: list[ParamOut]
    image_url: str
    svg_url: str
    data_url: str


# Quiz: predict, then see

MAX_QUIZ_SEED = MAX_SEED
QuizSeed = Annotated[int, Field(ge=0, le=MAX_QUIZ_SEED), NUMBER_NOT_TEXT]


class QuizOut(BaseModel):
    """A question drawn for a seed, without its answer."""

    id: str = Field(description="the question kind, demo/kind")
    kind: str = Field(description="choice (answer with a letter) or number")
    prompt: str
    choices: list[str] | None = Field(None, description="choice: the options a, b, c, ...")
    unit: str | None = None
    tolerance: float | None = Field(None, description="number: accepted within this much")
    params: dict[str, int | float] = Field(description="the demo's parameters of this variant")
    seed: int


class QuizAnswerIn(BaseModel):
    """An answer to the question a seed names."""

    model_config = ConfigDict(extra="forbid")

    seed: QuizSeed
    answer: Annotated[str, Field(min_length=1, max_length=40)] | StrictFloat = Field(
        description="choice: a letter a-e; number: a JSON number (or its text)"
    )
    attempt_id: uuid.UUID | None = Field(
        None,
        description="logged in: the idempotency key of the stored attempt (a retry with it "
        "stores nothing new); left out, the server picks one",
    )
    duration_ms: DurationMs | None = Field(None, description="logged in: time taken to answer")


class ExplainIn(BaseModel):
    """An explained answer, as the learner would say it in an interview."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_TEXT, description=f"at most {MAX_TEXT} characters")


class KeyPointOut(BaseModel):
    """A key point, whether the text made it, and the [start, end) offsets that did."""

    id: str
    text: str
    covered: bool
    matched_spans: list[list[int]]


def key_points_out(coverage: Coverage) -> list[KeyPointOut]:
    """Return the points of a matched answer as the API gives them."""
    return [
        KeyPointOut(
            id=point.id,
            text=point.text,
            covered=point.covered,
            matched_spans=[list(span) for span in point.spans],
        )
        for point in coverage.points
    ]


class ExplainOut(BaseModel):
    """The key points an explained answer made and missed, and the grade it suggests."""

    points: list[KeyPointOut]
    coverage: float
    suggested_rating: int


class QuizVerdictOut(BaseModel):
    """Whether the answer was right, the right answer, and the figure that shows why."""

    correct: bool
    expected: str
    explanation: str
    figure_url: str
    attempt_id: uuid.UUID | None = Field(
        None, description="the stored attempt's id; null for a guest (nothing is stored)"
    )


# Mock interviews

InterviewQuestions = Annotated[
    int,
    Field(ge=MIN_QUESTIONS, le=MAX_QUESTIONS, description="how many questions"),
    NUMBER_NOT_TEXT,
]
InterviewSeconds = Annotated[
    int,
    Field(ge=MIN_SECONDS, le=MAX_SECONDS, description="the time allowed for each answer"),
    NUMBER_NOT_TEXT,
]
ShortId = Annotated[str, Field(min_length=1, max_length=80)]


class InterviewIn(BaseModel):
    """What a mock interview asks: how many questions, how long per answer, from which cards."""

    model_config = ConfigDict(extra="forbid")

    questions: InterviewQuestions = DEFAULT_QUESTIONS
    seconds_per_answer: InterviewSeconds = DEFAULT_SECONDS
    decks: list[ShortId] | None = Field(None, max_length=50, description="deck ids; none: all")
    topics: list[ShortId] | None = Field(None, max_length=50, description="topic ids; none: all")
    difficulty: list[Difficulty] | None = Field(
        None, max_length=3, description="easy, medium, hard; none: all"
    )


class InterviewStepOut(BaseModel):
    """A step to answer: a question or its follow-up, when it was shown and its deadline."""

    position: int = Field(description="the question's place, from 0")
    part: str = Field(description="question or follow_up")
    card_id: str
    deck_id: str
    question: str
    shown_at: datetime
    deadline: datetime = Field(description="answers after it are kept and marked over time")


class InterviewQuestionOut(BaseModel):
    """A question asked so far, with its follow-up once that is shown."""

    position: int
    card_id: str
    deck_id: str
    question: str
    follow_up: str | None
    card_url: str
    demo_url: str | None


class InterviewAnswerOut(BaseModel):
    """One answer as recorded."""

    answer_id: str
    position: int
    part: str
    card_id: str
    text: str
    shown_at: datetime
    answered_at: datetime
    duration_ms: int
    over_time: bool
    coverage: float
    covered: list[str]


class InterviewPartOut(BaseModel):
    """The score and time of one answer in the report."""

    question: str
    coverage: float
    duration_ms: int
    over_time: bool


class InterviewReportQuestionOut(BaseModel):
    """One question in the report: both answers, and the share of all its points made."""

    position: int
    card_id: str
    deck_id: str
    card_url: str | None
    demo_url: str | None
    score: float
    revisit: bool
    answer: InterviewPartOut | None
    follow_up: InterviewPartOut | None


class InterviewTopicOut(BaseModel):
    """The mean score of a topic's questions: a strength at 0.75 or more, else a gap."""

    deck_id: str
    topic_id: str
    label: str
    questions: int
    mean: float
    strength: bool


class InterviewReportOut(BaseModel):
    """A finished interview: per question, per topic, and the cards to revisit."""

    questions: list[InterviewReportQuestionOut]
    topics: list[InterviewTopicOut]
    revisit: list[str] = Field(description="card ids scored under 0.75")


class InterviewOut(BaseModel):
    """A mock interview: its state, the step to answer now, the answers so far, its report."""

    id: str
    state: str = Field(description="question, follow_up or finished")
    questions_total: int
    seconds_per_answer: int
    options: dict[str, Any]
    created_at: datetime
    finished_at: datetime | None
    current: InterviewStepOut | None
    questions: list[InterviewQuestionOut]
    answers: list[InterviewAnswerOut]
    report: InterviewReportOut | None


class InterviewAnswerIn(BaseModel):
    """An answer to the step shown now."""

    model_config = ConfigDict(extra="forbid")

    answer_id: uuid.UUID = Field(description="idempotency key: a retry with it records nothing")
    # No max_length here: the limit is answered with 413 naming it, as for explain.
    text: str = Field(description=f"at most {MAX_TEXT} characters")
    position: Annotated[int, Field(ge=0, le=MAX_QUESTIONS), NUMBER_NOT_TEXT] | None = Field(
        None, description="the question answered, from 0; another than the current one: 409"
    )
    part: Literal["question", "follow_up"] | None = Field(
        None, description="question or follow_up; another than the current one: 409"
    )


class InterviewAnswerResultOut(BaseModel):
    """The key points the answer made and missed, and what comes next."""

    answer: InterviewAnswerOut
    points: list[KeyPointOut]
    coverage: float
    state: str = Field(description="question, follow_up or finished")
    next: InterviewStepOut | None = Field(description="the step to answer next; null: finished")


# Retention simulator


class RetentionPointOut(BaseModel):
    """What one desired retention would cost: reviews and minutes a day, on average."""

    retention: float
    reviews_per_day: float
    minutes_per_day: float


class RetentionCurveOut(BaseModel):
    """Expected daily reviews and minutes against desired retention, for this user."""

    points: list[RetentionPointOut] = Field(description="desired retention 0.70 to 0.97")
    current: RetentionPointOut = Field(description="at the user's own desired retention")
    deck_size: int = Field(description="cards simulated: every card of the library")
    days: int = Field(description="days simulated; the figures are averages over them")


# The card browser

BROWSE_STATES = "new, learning, review, relearning, suspended, buried or leech"


class BrowseCardOut(CardSummaryOut):
    """A card with the learner's state of it: schedule, memory and flags."""

    state: str = Field(description="new, learning, review or relearning")
    suspended: bool
    buried: bool = Field(description="buried until buried_until, which is still to come")
    buried_until: datetime | None
    leech: bool
    due: datetime | None = Field(description="in the learner's time zone; null for a new card")
    stability: float | None = Field(description="days for recall to fall to 90%")
    memory_difficulty: float | None = Field(description="FSRS difficulty, 1 (easy) to 10")
    retrievability: float | None = Field(description="predicted recall now; null for new")
    lapses: int
    reviews: int
    demo_url: str | None


class BrowseOut(BaseModel):
    """One page of the cards that match the query, and how many match in all."""

    cards: list[BrowseCardOut]
    total: int
    limit: int
    offset: int


class CardActionIn(BaseModel):
    """An action on a selection of cards."""

    model_config = ConfigDict(extra="forbid", strict=True)

    action: Literal["suspend", "unsuspend", "unbury", "reset"]
    card_ids: list[ShortId] = Field(
        min_length=1,
        max_length=MAX_SELECTION,
        description=f"the cards, at most {MAX_SELECTION}; every one must exist",
    )


class CardActionOut(BaseModel):
    """What an action changed; a reset gives the id that undoes it."""

    action: str
    card_ids: list[str]
    reset_id: str | None = None
    undo_url: str | None = Field(None, description="reset: POST here to undo it")


class ResetUndoOut(BaseModel):
    """A reset undone: the cards whose progress is back, and how many reviews."""

    reset_id: str
    card_ids: list[str]
    reviews_restored: int
    undone_at: datetime


# FSRS parameters


class FitOut(BaseModel):
    """One fit of the user's FSRS parameters to their review log.

    status: queued, running, adopted (better, now in force), kept (the parameters in force
    did as well), too_few (not enough reviews: the message says how many more), failed.
    Log loss and RMSE (binned) measure each parameter set on the user's own history; lower is
    better.
    """

    id: int
    trigger: Literal["user", "schedule", "auto"]
    status: Literal["queued", "running", "adopted", "kept", "too_few", "failed"]
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    review_count: int | None = Field(description="Reviews in the log when the fit ran")
    parameters: list[float] | None = Field(description="The fitted parameters")
    previous_parameters: list[float] | None = Field(
        description="The parameters in force when it ran (null: the defaults)"
    )
    current_log_loss: float | None
    current_rmse: float | None
    fitted_log_loss: float | None
    fitted_rmse: float | None
    message: str | None


class FsrsOut(BaseModel):
    """The FSRS parameters in force for the user and their latest fit."""

    parameters: list[float] = Field(description="The 21 FSRS-6 parameters in force")
    fitted: bool = Field(description="Fitted to the user's reviews (false: fsrs's defaults)")
    fitted_on: datetime | None = Field(description="When the fit that produced them finished")
    latest_fit: FitOut | None


# Interview dates and the plan (a field named date would hide the type: CalendarDate)

CalendarDate = date


def _date_text(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("give the date as text, YYYY-MM-DD, such as 2026-12-20")
    return value


DateText = Annotated[CalendarDate, BeforeValidator(_date_text)]


class InterviewDateIn(BaseModel):
    """The date of an interview, for one deck or (deck null) for every deck."""

    model_config = ConfigDict(extra="forbid")

    deck: str | None = Field(
        None, max_length=80, description="a deck id such as regularization; null for all decks"
    )
    date: DateText = Field(description="YYYY-MM-DD: today or later, within 3 years")


class InterviewDateOut(BaseModel):
    """A stored interview date."""

    deck: str | None = Field(description="the deck, or null for all decks")
    date: CalendarDate


class DeckPlanOut(BaseModel):
    """One deck's plan to meet its interview date."""

    deck: str
    title: str
    date: CalendarDate | None = Field(description="the deck's own date, else the one for all decks")
    date_for: Literal["deck", "all"] | None
    status: Literal["none", "planned", "passed"]
    days_left: int | None
    finish_by: CalendarDate | None = Field(description="every card is to be introduced by this day")
    cards: int
    to_introduce: int = Field(description="cards not yet introduced (suspended ones left out)")
    introduced_today: int
    new_per_day_needed: int
    new_per_day_pace: int = Field(description="what the queue introduces: needed, at most limit")
    new_per_day_limit: int
    left_over: int = Field(description="cards the limit leaves unintroduced by finish_by")
    final_days: bool = Field(description="the last days: weakest reviews first")
    warning: str | None


class DeckRecallOut(BaseModel):
    """The expected share of a dated deck's cards recalled on its date."""

    deck: str
    expected: float = Field(description="mean predicted recall, cards not introduced as 0")
    expected_introduced: float | None = Field(description="mean over the introduced cards")
    not_introduced: int


class CardRecallOut(BaseModel):
    """A dated deck's card and its predicted recall on the date."""

    deck: str
    card: str
    question: str
    recall: float | None = Field(description="null: not yet introduced")
    suspended: bool
    url: str


class PlanOut(BaseModel):
    """The interview plan: dates, each deck's pace, and predicted recall on the dates."""

    today: CalendarDate
    new_per_day_limit: int
    new_per_day_needed: int
    dates: list[InterviewDateOut]
    decks: list[DeckPlanOut]
    recall: list[DeckRecallOut]
    cards: list[CardRecallOut] = Field(description="weakest first, not introduced last")
    warning: str | None


# Administration


class AdminUserOut(BaseModel):
    """A user as an admin sees them: flags and activity."""

    id: int
    username: str
    is_admin: bool
    disabled: bool
    disabled_at: datetime | None
    created_at: datetime
    last_login_at: datetime | None
    last_review_at: datetime | None
    last_active_at: datetime | None = Field(description="the later of last login and review")
    reviews: int
    url: str

    @classmethod
    def of(cls, row: UserRow) -> "AdminUserOut":
        """Describe a user's row."""
        return cls(
            id=row.id,
            username=row.username,
            is_admin=row.is_admin,
            disabled=row.disabled,
            disabled_at=row.disabled_at,
            created_at=row.created_at,
            last_login_at=row.last_login_at,
            last_review_at=row.last_review_at,
            last_active_at=row.last_active_at,
            reviews=row.reviews,
            url=urls.api_admin_user(row.id),
        )


class AdminUsersOut(BaseModel):
    """A page of users in username order."""

    users: list[AdminUserOut]
    total: int = Field(description="users matching q, on every page")
    limit: int
    offset: int
    q: str


class AdminUserIn(BaseModel):
    """What to change about a user; a field left out stays as it is."""

    model_config = ConfigDict(extra="forbid")

    disabled: StrictBool | None = Field(
        default=None, description="true ends every login of the user and refuses new ones"
    )
    is_admin: StrictBool | None = None


class ResetLinkOut(BaseModel):
    """A one-time password-reset link: shown once, give it to the user."""

    username: str
    url: str
    expires_at: datetime


class AdminSettingsOut(BaseModel):
    """The server-wide settings an admin changes while the app runs."""

    allow_signup: bool
    allow_signup_default: bool = Field(description="PREPDECK_ALLOW_SIGNUP, used when not set here")
    allow_signup_set_by: str | None = Field(description="who set it here; null: the default")
    allow_signup_set_at: datetime | None


class AdminSettingsIn(BaseModel):
    """Open or close sign-up."""

    model_config = ConfigDict(extra="forbid")

    allow_signup: StrictBool
