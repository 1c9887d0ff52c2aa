"""The database tables."""

from datetime import UTC, date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite returns naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one (UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Base of every table; constraint names are fixed so migrations can refer to them."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class User(Base):
    """A person with an account."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    desired_retention: Mapped[float] = mapped_column(Float, default=0.9)
    new_per_day: Mapped[int] = mapped_column(default=20)
    reviews_per_day: Mapped[int] = mapped_column(default=200)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    day_starts_at: Mapped[int] = mapped_column(SmallInteger, default=4)
    # The longest interval, in days, a review card may be scheduled for.
    maximum_interval: Mapped[int] = mapped_column(default=365)
    # A card that lapses this many times is a leech; leech_action is "suspend" or "tag".
    leech_threshold: Mapped[int] = mapped_column(SmallInteger, default=8)
    leech_action: Mapped[str] = mapped_column(String(16), default="suspend")
    # The FSRS parameters in force as a JSON list of floats; null means the defaults.
    fsrs_parameters: Mapped[str | None] = mapped_column(Text)
    # Set while an admin has disabled the account: it cannot log in, its tokens do not work.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuthToken(Base):
    """A login: a browser session (cookie) or a personal API token (Bearer); only its hash."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AppSetting(Base):
    """A server-wide setting an admin changed while the app runs (a row overrides the config).

    Kept in the database so every app process reads the same value at once.
    """

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str | None] = mapped_column(String(64))


class Throttle(Base):
    """Attempts counted under one key (a username and address, an address) to slow guessing.

    An attempt is counted before its password is checked, in the statement that also checks
    the limit, so requests in parallel cannot all slip under it.
    """

    __tablename__ = "throttles"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    attempts: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CardState(Base):
    """One user's scheduling state of one card (FSRS), plus bury and suspend.

    state 0 marks a card never reviewed that has a row only because it was buried or
    suspended; 1-3 are fsrs.State (learning, review, relearning).
    """

    __tablename__ = "card_states"
    __table_args__ = (Index("ix_card_states_user_id_due", "user_id", "due"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    card_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    deck_id: Mapped[str] = mapped_column(String(80))
    state: Mapped[int] = mapped_column(SmallInteger)
    step: Mapped[int | None]
    stability: Mapped[float | None] = mapped_column(Float)
    difficulty: Mapped[float | None] = mapped_column(Float)
    due: Mapped[datetime] = mapped_column(UTCDateTime())
    last_review: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reps: Mapped[int] = mapped_column(default=0)
    lapses: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=0)
    buried_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspended: Mapped[bool] = mapped_column(default=False)
    leech: Mapped[bool] = mapped_column(default=False)

    # Every UPDATE checks the version it read: of two tabs grading one card, one wins.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ReviewLog(Base):
    """One review: the rating, when, how long, and the card's state just before it."""

    __tablename__ = "review_logs"
    __table_args__ = (
        UniqueConstraint("user_id", "review_id"),
        Index("ix_review_logs_user_id_reviewed_at", "user_id", "reviewed_at"),
        Index("ix_review_logs_user_id_card_id", "user_id", "card_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    review_id: Mapped[str] = mapped_column(String(36))
    card_id: Mapped[str] = mapped_column(String(80))
    deck_id: Mapped[str] = mapped_column(String(80))
    rating: Mapped[int] = mapped_column(SmallInteger)
    # The card's state before the review: 0 new, 1 learning, 2 review, 3 relearning.
    kind: Mapped[int] = mapped_column(SmallInteger)
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_ms: Mapped[int | None]
    desired_retention: Mapped[float] = mapped_column(Float)
    # The card state before the review as JSON (null for a card's first review): undo
    # restores it exactly, and the progress figures read the state a review started from.
    state_before: Mapped[str | None] = mapped_column(Text)
    # The scheduler configuration in force at this review (parameters, maximum interval,
    # day boundary, rules); null for reviews recorded before configurations were versioned.
    scheduler_id: Mapped[int | None] = mapped_column(ForeignKey("schedulers.id"))
    # Set when this review made the card a leech: whether it was a leech before (undo puts
    # that back, and unsuspends it); null for any other review.
    leech_before: Mapped[bool | None]


class SchedulerConfig(Base):
    """One scheduler configuration that reviews were recorded under, stored once.

    config is canonical JSON; config_hash its SHA-256, so a configuration has one row.
    """

    __tablename__ = "schedulers"

    id: Mapped[int] = mapped_column(primary_key=True)
    config_hash: Mapped[str] = mapped_column(String(64), unique=True)
    config: Mapped[str] = mapped_column(Text)


class FsrsFit(Base):
    """One fit of a user's FSRS parameters to their review log: asked for, run, and its result.

    status: queued, running, adopted (the fit was better and is now in force), kept (the
    current parameters were as good or better), too_few (not enough reviews), failed.
    trigger: user (Optimize in settings), schedule (the CLI), auto (review count doubled).
    """

    __tablename__ = "fsrs_fits"
    __table_args__ = (Index("ix_fsrs_fits_user_id_requested_at", "user_id", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_count: Mapped[int | None]
    # JSON lists of floats: the parameters fitted, and those in force when the fit ran.
    parameters: Mapped[str | None] = mapped_column(Text)
    previous_parameters: Mapped[str | None] = mapped_column(Text)
    current_log_loss: Mapped[float | None] = mapped_column(Float)
    current_rmse: Mapped[float | None] = mapped_column(Float)
    fitted_log_loss: Mapped[float | None] = mapped_column(Float)
    fitted_rmse: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str | None] = mapped_column(Text)


class InterviewDate(Base):
    """The date of a learner's interview, for one deck or (deck_id "") for all decks."""

    __tablename__ = "interview_dates"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    deck_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    date: Mapped[date] = mapped_column(Date)


class CardReset(Base):
    """A reset of cards' progress, kept so it can be undone: what it removed, as JSON.

    payload holds, per card, its card_states row and its review_logs rows as they were.
    """

    __tablename__ = "card_resets"
    __table_args__ = (UniqueConstraint("user_id", "reset_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reset_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    payload: Mapped[str] = mapped_column(Text)


class StudyAction(Base):
    """A bury, suspend or unsuspend done while studying, kept so the latest can be undone.

    The flags the card had before are kept (had_row: whether it had a card_states row at all).
    Grades are undone from review_logs; these rows never enter the FSRS replay or fits.
    """

    __tablename__ = "study_actions"
    __table_args__ = (Index("ix_study_actions_user_id_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    card_id: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    had_row: Mapped[bool] = mapped_column()
    suspended_before: Mapped[bool] = mapped_column()
    buried_until_before: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ProgressImport(Base):
    """A running import of one user's progress; while it exists their study writes wait.

    beat_at is renewed after every chunk the import writes, so a row left by an import that
    died (killed process) is told apart from one still running.
    """

    __tablename__ = "progress_imports"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime())


class QuizAttempt(Base):
    """One answer to a demo's question: what was asked (by seed), the answer, and its verdict."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "attempt_id"),
        Index("ix_quiz_attempts_user_id_card_id", "user_id", "card_id"),
        Index("ix_quiz_attempts_user_id_answered_at", "user_id", "answered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    attempt_id: Mapped[str] = mapped_column(String(36))
    card_id: Mapped[str] = mapped_column(String(80))
    demo_id: Mapped[str] = mapped_column(String(80))
    kind_id: Mapped[str] = mapped_column(String(80))
    seed: Mapped[int]
    answer: Mapped[str] = mapped_column(String(40))
    correct: Mapped[bool]
    duration_ms: Mapped[int | None]
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Interview(Base):
    """A timed mock interview: the cards it asks (chosen at random by seed) and its options.

    Its answers are a log of their own: an interview never changes the study schedule.
    """

    __tablename__ = "interviews"
    __table_args__ = (
        UniqueConstraint("user_id", "public_id"),
        Index("ix_interviews_user_id_created_at", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # {questions, seconds_per_answer, decks, topics, difficulty} as asked.
    options: Mapped[str] = mapped_column(Text)
    seed: Mapped[int]
    # The plan: [{card_id, deck_id, follow_up (index or null)}, ...] in the order asked.
    questions: Mapped[str] = mapped_column(Text)
    seconds_per_answer: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InterviewAnswer(Base):
    """One step of an interview: when it was shown and, once answered, the answer and its score.

    part is "question" or "follow_up"; a row exists from the moment the step is first shown.
    """

    __tablename__ = "interview_answers"
    __table_args__ = (
        UniqueConstraint("interview_id", "position", "part"),
        UniqueConstraint("interview_id", "answer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(
        ForeignKey("interviews.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(SmallInteger)
    part: Mapped[str] = mapped_column(String(16))
    card_id: Mapped[str] = mapped_column(String(80))
    follow_up: Mapped[int | None] = mapped_column(SmallInteger)
    answer_id: Mapped[str | None] = mapped_column(String(36))
    text: Mapped[str | None] = mapped_column(Text)
    shown_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duration_ms: Mapped[int | None]
    coverage: Mapped[float | None] = mapped_column(Float)
    # The ids of the key points the answer made, as a JSON list.
    covered: Mapped[str | None] = mapped_column(Text)
    over_time: Mapped[bool] = mapped_column(default=False)
