"""Record reviews (idempotent, one winner per card version), bury and suspend, and undo the
latest of these actions (a grade from review_logs, a flag from study_actions)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pydantic_core import PydanticCustomError
from sqlalchemy import CursorResult, Result, bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.content.models import Card, Deck, Library
from app.exceptions import AppError
from app.models import CardState, ProgressImport, ReviewLog, StudyAction, User, utcnow
from app.study.day import study_day
from app.study.group_commit import GroupCommitter, run_step
from app.study.leeches import apply_leech_rule, made_leech, undo_leech
from app.study.schedulers import configs_by_id, scheduler_id
from app.study.scheduling import NEW, RATINGS, LoggedReview, Memory, config_of, replay

LEARNING_STATES = (1, 3)  # fsrs.State.Learning, fsrs.State.Relearning


class StudyError(AppError):
    """A study action that cannot be done; status is the HTTP status to answer with."""

    status = 409

    def __init__(self, message: str) -> None:
        super().__init__(message)


class Conflict(StudyError):
    """The card changed since the client saw it, or the request repeats an id for other data."""


class UnknownCard(StudyError):
    """No card of that id in the content."""

    status = 404


@dataclass(frozen=True)
class ReviewResult:
    """A recorded review and the card's state right after it."""

    log: ReviewLog
    memory: Memory
    version: int
    leech: bool = False  # this review made the card a leech


def find_card(library: Library, card_id: str) -> tuple[Deck, Card]:
    """Return the deck and card of a card id, or raise UnknownCard."""
    for deck in library.decks:
        card = deck.card(card_id)
        if card is not None:
            return deck, card
    raise UnknownCard(f"There is no card '{card_id}' in the content.")


def question_of(library: Library, card_id: str) -> str:
    """Return a card's question, or its id when the content no longer has it."""
    try:
        return find_card(library, card_id)[1].question
    except UnknownCard:
        return card_id


# An import renews its marker after every chunk (well under a second); one not renewed for
# this long belongs to an import whose process died.
IMPORT_STALE_AFTER = timedelta(minutes=2)
IMPORT_RUNNING = (
    "An import of your progress is running; nothing was changed. "
    "Try again when it has finished (a few seconds)."
)
IMPORT_BROKEN = (
    "An import of your progress stopped half-way; nothing was changed. Import the file again "
    "to finish it (reviews already imported are not added twice)."
)
_IMPORT_BEAT = select(ProgressImport.beat_at).where(ProgressImport.user_id == bindparam("user_id"))


def import_marker(session: Session, user: User) -> datetime | None:
    """Return when the running import of the user's progress last wrote, or None."""
    return session.scalar(_IMPORT_BEAT, {"user_id": user.id})


def import_conflict(session: Session, user: User) -> None:
    """Raise Conflict while an import of the user's progress runs (the caller rolls back).

    Call it after the transaction's first write: by then this transaction holds the write
    lock (SQLite) or its rows (PostgreSQL), so an import that starts later sees its changes.
    """
    beat = import_marker(session, user)
    if beat is not None:
        raise Conflict(IMPORT_BROKEN if beat < utcnow() - IMPORT_STALE_AFTER else IMPORT_RUNNING)


def refuse_during_import(session: Session, user: User) -> None:
    """Roll back and raise Conflict while an import of the user's progress runs (see
    import_conflict)."""
    try:
        import_conflict(session, user)
    except Conflict:
        session.rollback()
        raise


STALE = (
    "This card was graded in another tab or device since you opened it; "
    "your grade was not recorded. Load the next card to go on."
)


UNDONE_MEANWHILE = (
    "This review was undone meanwhile by another request (another tab or a double click); "
    "nothing more was undone."
)

_BY_REVIEW_ID = select(ReviewLog).where(
    ReviewLog.user_id == bindparam("user_id"), ReviewLog.review_id == bindparam("review_id")
)


def _existing(session: Session, user: User, review_id: str) -> ReviewLog | None:
    return session.scalar(_BY_REVIEW_ID, {"user_id": user.id, "review_id": review_id})


def _result(
    session: Session, user: User, log: ReviewLog, card_id: str, rating: int
) -> ReviewResult:
    if log.card_id != card_id or log.rating != rating:
        raise Conflict(
            f"review_id {log.review_id} was already used for another review "
            f"(card '{log.card_id}', rating {log.rating}): send a new review_id."
        )
    row = session.get(CardState, (user.id, log.card_id))
    assert row is not None
    leech = made_leech(log)
    return ReviewResult(log=log, memory=Memory.of(row), version=row.version, leech=leech)


# Anki's "Maximum answer seconds" (default 60): a longer answer time is recorded as 60 s,
# since the learner most likely walked away; the fits of FSRS parameters see capped times.
MAXIMUM_ANSWER_MS = 60_000


def capped_duration(duration_ms: int | None) -> int | None:
    """Return the answer time to record: at most MAXIMUM_ANSWER_MS."""
    return None if duration_ms is None else min(duration_ms, MAXIMUM_ANSWER_MS)


class Tally(Protocol):
    """A count that only goes up (the reviews metric)."""

    def inc(self) -> None:
        """Add one."""


ReviewOutcome = tuple[ReviewResult, bool]


@dataclass(frozen=True)
class ReviewStep:
    """One review to record: written by write, uncommitted (see group_commit.run_step)."""

    user: User
    library: Library
    card_id: str
    rating: int
    review_id: str
    now: datetime
    duration_ms: int | None = None
    expected_version: int | None = None

    def write(self, session: Session) -> ReviewOutcome:
        """Write the review and the card's new state; return it and True (it is new).

        Raise Conflict when expected_version is not the card's version (graded elsewhere).
        A repeat of a review_id is not looked up first (that costs a statement on every
        review): its write fails on the log's unique key, or on a check that the first
        review changed, and recover answers with the first review.
        """
        user, card_id, now = self.user, self.card_id, self.now
        deck, _card = find_card(self.library, card_id)
        row = session.get(CardState, (user.id, card_id))
        version = row.version if row is not None else 0
        if self.expected_version is not None and self.expected_version != version:
            raise Conflict(STALE)
        if row is not None and row.suspended:
            raise Conflict(f"Card '{card_id}' is suspended: unsuspend it to review it.")
        if row is not None and row.last_review is not None and row.last_review > now:
            # Another request (or process) dated its review of this card later than ours but
            # committed first: ours comes after it, so it is dated no earlier, or a replay of
            # the log in time order would apply the two in the other order.
            now = row.last_review
        before = Memory.of(row) if row is not None else Memory.new(now)
        duration_ms = capped_duration(self.duration_ms)
        config = config_of(user)
        after = before.review(
            card_id=card_id,
            rating=self.rating,
            when=now,
            desired_retention=user.desired_retention,
            duration_ms=duration_ms,
            config=config,
        )
        config_id = scheduler_id(session, config)
        if row is None:
            row = CardState(user_id=user.id, card_id=card_id, deck_id=deck.id, suspended=False)
            session.add(row)
        after.store(row)
        row.deck_id = deck.id
        row.buried_until = None
        leech_before = apply_leech_rule(row, before, after, user)
        log = ReviewLog(
            user_id=user.id,
            review_id=self.review_id,
            card_id=card_id,
            deck_id=deck.id,
            rating=self.rating,
            kind=before.state,
            reviewed_at=now,
            duration_ms=duration_ms,
            desired_retention=user.desired_retention,
            state_before=None if before.state == NEW else before.to_json(),
            scheduler_id=config_id,
            leech_before=leech_before,
        )
        session.add(log)
        session.flush()
        import_conflict(session, user)
        result = ReviewResult(
            log=log, memory=after, version=row.version, leech=leech_before is not None
        )
        return result, True

    def recover(self, session: Session, error: Exception) -> ReviewOutcome:
        """After write failed and its writes were taken back: return the review already
        recorded under this review_id and False, or raise (Conflict when another request
        changed the card first)."""
        existing = _existing(session, self.user, self.review_id)
        if existing is not None:
            return _result(session, self.user, existing, self.card_id, self.rating), False
        if isinstance(error, IntegrityError | StaleDataError):
            raise Conflict(STALE) from error
        raise error


async def record_grouped(
    committer: GroupCommitter,
    step: ReviewStep,
    reviews: Tally | None = None,
    *,
    own: Session | None = None,
) -> ReviewOutcome:
    """Record a review through the committer, sharing a commit with concurrent ones; return
    it once durable, with whether it is new (False: a repeat of review_id).

    Awaited on the event loop, which it does not hold up: the step runs on the committer's
    thread, and no thread waits for it meanwhile. A new review counts in `reviews` (the
    reviews metric). own is the caller's session, if it has one: its transaction (reads
    only) ends first.
    """
    if own is not None:
        # Its connection goes back to the pool: were every pooled connection held by a request
        # waiting here, the committer could get none. Committed, not rolled back, so that
        # the objects read (the user) stay loaded.
        own.commit()
    result, created = await committer.run_async(step.write, step.recover)
    if created and reviews is not None:
        reviews.inc()
    return result, created


def record_review(
    *,
    session: Session,
    user: User,
    library: Library,
    card_id: str,
    rating: int,
    review_id: str,
    now: datetime,
    duration_ms: int | None = None,
    expected_version: int | None = None,
    reviews: Tally | None = None,
) -> ReviewOutcome:
    """Record one review in session's transaction and commit it; return it with whether it is
    new (False: a repeat of review_id).

    A new review counts in `reviews` (the reviews metric). Raise Conflict when
    expected_version is not the card's version (graded elsewhere).
    """
    step = ReviewStep(user, library, card_id, rating, review_id, now, duration_ms, expected_version)
    result, created = run_step(session, step.write, step.recover, shared=False)
    session.commit()
    if created and reviews is not None:
        reviews.inc()
    return result, created


def _rowcount(result: Result[Any]) -> int:
    assert isinstance(result, CursorResult)  # a DELETE's result is one
    return result.rowcount


NOTHING_IN_SESSION = (
    "Nothing to undo in this session: your latest action came before its start (since). "
    "To undo that earlier action, undo again without since."
)


class NothingInSession(StudyError):
    """The latest action came before the start of the study session: nothing was undone."""

    def __init__(self, message: str = NOTHING_IN_SESSION) -> None:
        super().__init__(message)


@dataclass(frozen=True)
class Undone:
    """What an undo took back: a grade (log) or a bury, suspend or unsuspend of a card."""

    action: str  # "review", "bury", "suspend" or "unsuspend"
    card_id: str
    at: datetime  # when the action undone was done
    log: ReviewLog | None = None

    @property
    def name(self) -> str:
        """The grade's name ("good") for a review, else the action ("bury")."""
        return RATINGS[self.log.rating] if self.log is not None else self.action


UNDONE_NAMES = (*RATINGS.values(), "bury", "suspend", "unsuspend")


def undo_message(name: str, question: str) -> str:
    """Return the sentence saying what an undo took back; name is an Undone's name."""
    if name == "bury":
        return f"Unburied “{question}”"
    if name == "suspend":
        return f"Unsuspended “{question}”"
    if name == "unsuspend":
        return f"Suspended “{question}” again"
    return f"Undid your “{name.capitalize()}” on “{question}”"


def _latest_review(session: Session, user: User) -> ReviewLog | None:
    return session.scalar(
        select(ReviewLog)
        .where(ReviewLog.user_id == user.id)
        .order_by(ReviewLog.reviewed_at.desc(), ReviewLog.id.desc())
        .limit(1)
    )


def _latest_action(session: Session, user: User) -> StudyAction | None:
    return session.scalar(
        select(StudyAction)
        .where(StudyAction.user_id == user.id)
        .order_by(StudyAction.at.desc(), StudyAction.id.desc())
        .limit(1)
    )


def _not_latest(review_id: str) -> Conflict:
    return Conflict(
        f"Review {review_id} is not the latest action (it was undone already, or another "
        "review, bury or suspend came after it); nothing was undone."
    )


def undo_last_action(
    *,
    session: Session,
    user: User,
    since: datetime | None = None,
    review_id: str | None = None,
) -> Undone:
    """Undo the user's latest action of any kind: a grade, or a bury, suspend or unsuspend
    done while studying, whichever came last.

    since is the start of the study session: an action before it is not undone
    (NothingInSession), so that repeated undos stop there unless asked without since.
    With review_id, undo only if that review is still the latest action.
    """
    log = _latest_review(session, user)
    action = _latest_action(session, user)
    if log is None and action is None:
        raise Conflict("There is nothing to undo.")
    if action is not None and (log is None or action.at >= log.reviewed_at):
        if review_id is not None:
            raise _not_latest(review_id)
        if since is not None and action.at < since:
            raise NothingInSession()
        return _undo_action(session, user, action)
    assert log is not None
    if review_id is not None and log.review_id != review_id:
        raise _not_latest(review_id)
    if since is not None and log.reviewed_at < since:
        raise NothingInSession()
    _undo_review(session, user, log)
    return Undone("review", log.card_id, log.reviewed_at, log)


def _undo_action(session: Session, user: User, action: StudyAction) -> Undone:
    """Put back the flags a bury, suspend or unsuspend changed."""
    try:
        claimed = _rowcount(session.execute(delete(StudyAction).where(StudyAction.id == action.id)))
        if claimed != 1:
            session.rollback()
            raise Conflict(UNDONE_MEANWHILE)
        # No row: the card's progress was reset since, and it is a new card without flags.
        row = session.get(CardState, (user.id, action.card_id))
        if row is not None:
            row.suspended = action.suspended_before
            row.buried_until = action.buried_until_before
            untouched = row.last_review is None and row.reps == 0 and not row.leech
            if not action.had_row and untouched and not row.suspended and row.buried_until is None:
                session.delete(row)  # the action made the row: gone again, as before it
        session.flush()
        refuse_during_import(session, user)
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise Conflict("The card changed while undoing; nothing was undone. Try again.") from exc
    return Undone(action.action, action.card_id, action.at)


def undo_last_review(*, session: Session, user: User, review_id: str | None = None) -> ReviewLog:
    """Undo the user's latest review (in time), restoring the card's state exactly.

    With review_id, undo only if that is still the latest review. Of parallel undos that
    read the same review, one undoes it and the others raise Conflict.
    """
    log = _latest_review(session, user)
    if log is None:
        raise Conflict("There is no review to undo.")
    if review_id is not None and log.review_id != review_id:
        raise Conflict(
            f"Review {review_id} is not the latest review (it was undone already, or another "
            "review came after it); nothing was undone."
        )
    _undo_review(session, user, log)
    return log


def _undo_review(session: Session, user: User, log: ReviewLog) -> None:
    """Delete a review from the log and restore its card's state as it was before it."""
    try:
        # Deleting the row claims it: a parallel undo of the same review waits for this one
        # (row lock or SQLite's write lock) and then deletes nothing.
        claimed = _rowcount(session.execute(delete(ReviewLog).where(ReviewLog.id == log.id)))
        if claimed != 1:
            session.rollback()
            raise Conflict(UNDONE_MEANWHILE)
        row = session.get(CardState, (user.id, log.card_id))
        if row is not None:
            undo_leech(row, log)
            if log.state_before is not None:
                Memory.from_json(log.state_before).store(row)
            elif row.suspended or row.buried_until is not None:
                Memory.new(log.reviewed_at).store(row)  # keep the row for its flags
            else:
                session.delete(row)
        session.flush()
        refuse_during_import(session, user)
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise Conflict("The card changed while undoing; nothing was undone. Try again.") from exc


def set_flag(
    *,
    session: Session,
    user: User,
    library: Library,
    card_id: str,
    action: str,
    now: datetime,
    commit: bool = True,
    undoable: bool = False,
) -> CardState:
    """Bury a card until the user's next day, or suspend or unsuspend it.

    undoable keeps a record of the change (study_actions) for the study's undo; a call that
    changes nothing keeps none. With commit=False the change is left in the session, for a
    caller that changes several cards in one transaction (and checks for a running import
    itself).

    As in Anki's manual ("Siblings and Burying"): cards in learning are not hidden, "as time
    is of the essence for those cards", so burying a card in (re)learning is refused with a
    Conflict saying so, and nothing changes; "a card cannot be buried and suspended at the
    same time. Suspending a buried card will unbury it. Suspended cards can't be buried."
    """
    deck, _card = find_card(library, card_id)
    row = session.get(CardState, (user.id, card_id))
    if action == "bury" and row is not None:
        if row.state in LEARNING_STATES:
            raise Conflict(
                f"Card '{card_id}' is in learning: learning cards are not buried, as their "
                "next step is minutes away. Grade it, or suspend it to put it aside."
            )
        if row.suspended:
            raise Conflict(
                f"Card '{card_id}' is suspended, and a suspended card cannot be buried: "
                "unsuspend it first."
            )
    had_row = row is not None
    if row is None:
        row = CardState(user_id=user.id, card_id=card_id, deck_id=deck.id, suspended=False)
        Memory.new(now).store(row)
        session.add(row)
    before = (row.suspended, row.buried_until)
    if action == "bury":
        row.buried_until = study_day(now, user.timezone, user.day_starts_at).end
    elif action == "suspend":
        row.suspended = True
        row.buried_until = None
    elif action == "unsuspend":
        row.suspended = False
    else:
        raise ValueError(f"unknown action {action!r}")
    if undoable and (row.suspended, row.buried_until) != before:
        session.add(
            StudyAction(
                user_id=user.id,
                card_id=card_id,
                action=action,
                at=now,
                had_row=had_row,
                suspended_before=before[0],
                buried_until_before=before[1],
            )
        )
    if commit:
        commit_flags(session, user, "The card changed meanwhile; try again.")
    return row


def commit_flags(session: Session, user: User, changed_meanwhile: str) -> None:
    """Commit changed card flags, or roll back and raise Conflict: while an import of the
    user's progress runs, or (with the message changed_meanwhile) when a card changed since
    it was read."""
    try:
        session.flush()
        refuse_during_import(session, user)
        session.commit()
    except (IntegrityError, StaleDataError) as exc:
        session.rollback()
        raise Conflict(changed_meanwhile) from exc


def replay_mismatches(session: Session, user: User) -> list[str]:
    """Return the cards whose stored state differs from the replay of the user's review log.

    The log is replayed in time order (imports may add reviews older than existing ones).
    """
    logs = session.scalars(
        select(ReviewLog)
        .where(ReviewLog.user_id == user.id)
        .order_by(ReviewLog.reviewed_at, ReviewLog.id)
    ).all()
    by_card: dict[str, list[ReviewLog]] = {}
    for log in logs:
        by_card.setdefault(log.card_id, []).append(log)
    rows = {
        row.card_id: row
        for row in session.scalars(select(CardState).where(CardState.user_id == user.id))
    }
    configs = configs_by_id(session, {log.scheduler_id for log in logs})
    mismatches = []
    for card_id in sorted(set(by_card) | set(rows)):
        reviews = [
            LoggedReview(
                log.rating,
                log.reviewed_at,
                log.desired_retention,
                log.duration_ms,
                configs[log.scheduler_id],
            )
            for log in by_card.get(card_id, [])
        ]
        row = rows.get(card_id)
        if not reviews:
            if row is not None and row.state != NEW:
                mismatches.append(f"{card_id}: reviewed state without any review")
            continue
        expected = replay(card_id, reviews, reviews[0].reviewed_at)
        if row is None or Memory.of(row) != expected:
            mismatches.append(f"{card_id}: stored {row and Memory.of(row)} != replayed {expected}")
    return mismatches


def session_start(value: datetime) -> datetime:
    """Return the start of a study session (an aware datetime) in UTC, or raise a validation
    error when it has no UTC equivalent (past the year 9999 or before the year 1)."""
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise PydanticCustomError(
            "datetime_range", "give a date and time between the years 1 and 9999 in UTC"
        ) from exc
