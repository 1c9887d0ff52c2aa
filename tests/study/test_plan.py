"""The interview plan: every card introduced in time, the warning, the last days, past dates."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from app.content.models import Library
from app.models import CardState, User
from app.study.plan import (
    BadInterviewDate,
    DeckPlan,
    clear_date,
    compute_plan,
    load_dates,
    recall_moment,
    set_date,
)
from app.study.queue import Queue, StudyFilter, build_queue
from app.study.reviews import record_review
from app.study.scheduling import NEW, Memory
from tests.helpers import add_user

NOON = datetime(2026, 6, 10, 12, tzinfo=UTC)  # study day 2026-06-10 (UTC, day starts at 4)
TODAY = date(2026, 6, 10)
ALL = StudyFilter()
ONE_DAY = timedelta(days=1)
DECK = "regularization"


def queue(session: Session, user: User, library: Library, now: datetime = NOON) -> Queue:
    """Return the user's queue at now."""
    return build_queue(session=session, user=user, library=library, study_filter=ALL, now=now)


def grade(
    session: Session, user: User, library: Library, card_id: str, rating: int, now: datetime
) -> None:
    """Record one review."""
    record_review(
        session=session,
        user=user,
        library=library,
        card_id=card_id,
        rating=rating,
        review_id=str(uuid.uuid4()),
        now=now,
    )


def introduced(session: Session, user: User, library: Library) -> int:
    """Return how many of the deck's cards have been introduced."""
    session.expire_all()
    deck = library.deck(DECK)
    assert deck is not None
    rows = [session.get(CardState, (user.id, card.id)) for card in deck.cards]
    return sum(1 for row in rows if row is not None and row.state != NEW)


def plan_of(session: Session, user: User, library: Library, now: datetime = NOON) -> DeckPlan:
    """Return the deck's plan at now."""
    plan = compute_plan(session=session, user=user, library=library, now=now)
    return next(deck_plan for deck_plan in plan.decks if deck_plan.deck.id == DECK)


@pytest.mark.parametrize("deck_id", [DECK, None], ids=["deck", "all-decks"])
def test_studying_every_day_introduces_every_card_by_two_days_before(
    db: Session, library: Library, deck_id: str | None
) -> None:
    user = add_user(db, new_per_day=10)
    interview = TODAY + timedelta(days=12)  # introduce the 20 cards by day 10: 11 days
    set_date(session=db, user=user, library=library, deck_id=deck_id, day=interview, now=NOON)
    assert plan_of(db, user, library).per_day == 2  # ceil(20 / 11)
    per_day = []
    for offset in range(11):
        now = NOON + timedelta(days=offset)
        new = [item.card.id for item in queue(db, user, library, now).items if item.kind == "new"]
        for card_id in new:
            grade(db, user, library, card_id, 4, now)
        assert not [i for i in queue(db, user, library, now).items if i.kind == "new"]
        per_day.append(len(new))
    assert sum(per_day) == 20
    assert introduced(db, user, library) == 20
    assert max(per_day) <= 2  # the plan's pace, not the limit of 10
    assert plan_of(db, user, library, NOON + timedelta(days=10)).warning is None


def test_the_day_before_the_date_everything_left_is_due(db: Session, library: Library) -> None:
    user = add_user(db, new_per_day=30)
    set_date(session=db, user=user, library=library, deck_id=DECK, day=TODAY, now=NOON)
    plan = plan_of(db, user, library)
    assert (plan.finish_by, plan.days_to_introduce, plan.per_day) == (TODAY, 1, 20)
    assert sum(1 for item in queue(db, user, library).items if item.kind == "new") == 20


def test_a_limit_too_low_is_said_with_the_cards_left_over(db: Session, library: Library) -> None:
    user = add_user(db, new_per_day=5)
    interview = TODAY + timedelta(days=4)  # finish by TODAY + 2: 3 days, 7 a day needed
    set_date(session=db, user=user, library=library, deck_id=DECK, day=interview, now=NOON)
    plan = plan_of(db, user, library)
    assert (plan.per_day, plan.pace, plan.left_over) == (7, 5, 5)
    assert plan.warning == (
        "Regularization: you need 7 new cards a day to introduce every card by 2026-06-12 for "
        "your interview on 2026-06-14; your limit is 5: raise it in Settings, or 5 cards will "
        "not be introduced by then."
    ).replace("Regularization", plan.deck.short_title or plan.deck.title)
    # The queue studies at the limit.
    assert sum(1 for item in queue(db, user, library).items if item.kind == "new") == 5


def test_the_pace_holds_all_day(db: Session, library: Library) -> None:
    user = add_user(db, new_per_day=10)
    set_date(
        session=db,
        user=user,
        library=library,
        deck_id=DECK,
        day=TODAY + timedelta(days=6),
        now=NOON,
    )
    assert plan_of(db, user, library).per_day == 4  # ceil(20 / 5)
    grade(db, user, library, "what-is-regularization", 4, NOON)
    later = NOON + timedelta(hours=2)
    assert plan_of(db, user, library, later).per_day == 4
    assert sum(1 for item in queue(db, user, library, later).items if item.kind == "new") == 3


REVIEWED = ["what-is-regularization", "l2-weight-decay", "l1-vs-l2", "dropout"]


def reviewed_long_ago(db: Session, user: User, library: Library) -> None:
    """Give four cards different memories, all due by NOON, such that the most overdue is
    not the weakest: l2-weight-decay lapsed lately and its new memory is short.
    """
    days = timedelta(days=1)
    grade(db, user, library, "what-is-regularization", 4, NOON - 100 * days)
    grade(db, user, library, "l1-vs-l2", 4, NOON - 60 * days)
    grade(db, user, library, "dropout", 4, NOON - 12 * days)
    grade(db, user, library, "l2-weight-decay", 4, NOON - 30 * days)
    grade(db, user, library, "l2-weight-decay", 1, NOON - 21 * days)
    grade(db, user, library, "l2-weight-decay", 3, NOON - 21 * days + timedelta(minutes=10))


def review_order(db: Session, user: User, library: Library) -> list[str]:
    """Return the ids of today's due reviews, in queue order."""
    return [item.card.id for item in queue(db, user, library).items if item.kind == "review"]


def test_in_the_last_days_the_weakest_reviews_come_first(db: Session, library: Library) -> None:
    user = add_user(db, new_per_day=0)
    reviewed_long_ago(db, user, library)
    by_due = review_order(db, user, library)
    assert sorted(by_due) == sorted(REVIEWED)
    interview = TODAY + timedelta(days=3)
    set_date(session=db, user=user, library=library, deck_id=None, day=interview, now=NOON)
    moment = recall_moment(interview, "UTC")
    recall = {
        card_id: Memory.of(row).retrievability(moment)
        for card_id in REVIEWED
        if (row := db.get(CardState, (user.id, card_id))) is not None
    }
    weakest = review_order(db, user, library)
    assert weakest == sorted(REVIEWED, key=recall.__getitem__)
    assert weakest != by_due  # the memories were chosen so the two orders differ
    assert plan_of(db, user, library).final_days


def test_before_the_last_days_reviews_keep_their_order(db: Session, library: Library) -> None:
    user = add_user(db, new_per_day=0)
    reviewed_long_ago(db, user, library)
    by_due = review_order(db, user, library)
    interview = TODAY + timedelta(days=4)
    set_date(session=db, user=user, library=library, deck_id=None, day=interview, now=NOON)
    assert review_order(db, user, library) == by_due
    assert not plan_of(db, user, library).final_days


def test_past_the_date_scheduling_is_normal(db: Session, library: Library) -> None:
    user = add_user(db, new_per_day=10)
    reviewed_long_ago(db, user, library)
    no_date = [(item.card.id, item.kind) for item in queue(db, user, library).items]
    set_date(session=db, user=user, library=library, deck_id=DECK, day=TODAY, now=NOON)
    tomorrow = NOON + timedelta(days=1)
    plan = plan_of(db, user, library, tomorrow)
    assert (plan.status, plan.per_day, plan.warning, plan.final_days) == ("passed", 0, None, False)
    dated = queue(db, user, library, tomorrow)
    assert dated.plan_warning is None
    clear_date(session=db, user=user, library=library, deck_id=DECK)
    undated = queue(db, user, library, tomorrow)
    assert [(item.card.id, item.kind) for item in dated.items] == [
        (item.card.id, item.kind) for item in undated.items
    ]
    assert len(no_date) == 4 + 10


def test_expected_recall_counts_cards_not_introduced_as_zero(db: Session, library: Library) -> None:
    user = add_user(db)
    interview = TODAY + timedelta(days=10)
    set_date(session=db, user=user, library=library, deck_id=DECK, day=interview, now=NOON)
    grade(db, user, library, "dropout", 4, NOON)
    plan = compute_plan(session=db, user=user, library=library, now=NOON)
    (recall,) = plan.recalls
    row = db.get(CardState, (user.id, "dropout"))
    assert row is not None
    expected = Memory.of(row).retrievability(recall_moment(interview, "UTC"))
    assert recall.not_introduced == 19
    assert recall.expected == pytest.approx(expected / 20)
    assert recall.expected_introduced == pytest.approx(expected)
    assert plan.cards[0].card.id == "dropout"  # the one introduced card, then the rest
    assert [entry.recall for entry in plan.cards[1:]] == [None] * 19


@pytest.mark.parametrize(
    ("deck_id", "day", "field"),
    [
        (DECK, TODAY - timedelta(days=1), "date"),
        (DECK, TODAY + timedelta(days=3 * 365 + 1), "date"),
        ("no-such-deck", TODAY + timedelta(days=5), "deck"),
    ],
    ids=["past", "too-far", "unknown-deck"],
)
def test_bad_dates_name_the_field(
    db: Session, library: Library, deck_id: str, day: date, field: str
) -> None:
    user = add_user(db)
    with pytest.raises(BadInterviewDate) as raised:
        set_date(session=db, user=user, library=library, deck_id=deck_id, day=day, now=NOON)
    assert raised.value.loc == ("body", field)
    assert load_dates(db, user) == {}


def test_a_date_is_replaced_and_cleared(db: Session, library: Library) -> None:
    user = add_user(db)
    other = add_user(db, "grace")
    for day in (TODAY + timedelta(days=5), TODAY + timedelta(days=9)):
        set_date(session=db, user=user, library=library, deck_id=None, day=day, now=NOON)
    set_date(session=db, user=other, library=library, deck_id=DECK, day=TODAY, now=NOON)
    assert load_dates(db, user) == {"": TODAY + timedelta(days=9)}
    clear_date(session=db, user=user, library=library, deck_id=None)
    assert load_dates(db, user) == {}
    assert load_dates(db, other) == {DECK: TODAY}


def test_a_decks_own_date_wins_over_the_one_for_all_decks(db: Session, library: Library) -> None:
    user = add_user(db)
    own = TODAY + timedelta(days=5)
    set_date(session=db, user=user, library=library, deck_id=None, day=own + 10 * ONE_DAY, now=NOON)
    assert plan_of(db, user, library).own is False
    set_date(session=db, user=user, library=library, deck_id=DECK, day=own, now=NOON)
    plan = plan_of(db, user, library)
    assert (plan.interview_date, plan.own, plan.days_left) == (own, True, 5)
