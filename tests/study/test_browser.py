"""The card browser's query and actions, and resetting cards' progress (with undo)."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.content.models import Difficulty, Library
from app.content.queries import BadFilter
from app.models import CardReset, CardState, ProgressImport, ReviewLog, User
from app.study.browser import BrowseQuery, UnknownCards, browse, set_flags
from app.study.resets import UnknownReset, reset_cards, row_data, undo_reset
from app.study.reviews import Conflict, record_review, replay_mismatches, set_flag
from tests.helpers import add_user

NOON = datetime(2026, 6, 10, 12, tzinfo=UTC)
LATER = NOON + timedelta(hours=1)


def review(session: Session, user: User, library: Library, card_id: str, rating: int = 3) -> None:
    """Record a review of a card at NOON."""
    record_review(
        session=session,
        user=user,
        library=library,
        card_id=card_id,
        rating=rating,
        review_id=str(uuid.uuid4()),
        now=NOON,
    )


def rows(session: Session, user: User, library: Library, **query: Any) -> dict[str, Any]:
    """Return the browser's rows by card id."""
    page = browse(
        session=session, user=user, library=library, query=BrowseQuery(**query), now=LATER
    )
    return {row.card.id: row for row in page.rows}


def ids(session: Session, user: User, library: Library, **query: Any) -> list[str]:
    """Return the ids of the browser's rows, in order."""
    page = browse(
        session=session, user=user, library=library, query=BrowseQuery(**query), now=LATER
    )
    return [row.card.id for row in page.rows]


def snapshot(session: Session, user: User) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return every card_states and review_logs row of the user, every column."""
    session.expire_all()
    states = session.scalars(
        select(CardState).where(CardState.user_id == user.id).order_by(CardState.card_id)
    ).all()
    logs = session.scalars(
        select(ReviewLog).where(ReviewLog.user_id == user.id).order_by(ReviewLog.id)
    ).all()
    return [row_data(CardState, row) for row in states], [row_data(ReviewLog, r) for r in logs]


@pytest.fixture
def studied(db: Session, library: Library) -> User:
    """A user with a card in each state: learning, review, relearning, suspended, buried, leech."""
    user = add_user(db)
    review(db, user, library, "what-is-regularization", rating=1)  # learning
    review(db, user, library, "l2-weight-decay", rating=4)  # review
    review(db, user, library, "l1-vs-l2", rating=4)
    record_review(
        session=db,
        user=user,
        library=library,
        card_id="l1-vs-l2",
        rating=1,
        review_id=str(uuid.uuid4()),
        now=NOON + timedelta(days=30),
    )
    for card_id, action in (("dropout", "suspend"), ("early-stopping", "bury")):
        set_flag(session=db, user=user, library=library, card_id=card_id, action=action, now=NOON)
    row = db.get(CardState, (user.id, "l2-weight-decay"))
    assert row is not None
    row.leech = True
    db.commit()
    return user


def test_every_state_shows(db: Session, library: Library, studied: User) -> None:
    found = rows(db, studied, library, limit=200)
    assert len(found) == sum(len(deck.cards) for deck in library.decks)
    assert found["what-is-regularization"].state == "learning"
    assert found["l2-weight-decay"].state == "review"
    assert found["l2-weight-decay"].flags == ["leech"]
    assert found["dropout"].flags == ["suspended"]
    assert found["early-stopping"].flags == ["buried"]
    assert found["max-norm"].state == "new"
    assert found["max-norm"].due is None
    assert found["max-norm"].retrievability is None
    relearning = found["l1-vs-l2"]
    assert (relearning.reviews, relearning.lapses) == (2, 1)
    learning = found["what-is-regularization"]
    assert learning.retrievability is not None
    assert 0 < learning.retrievability <= 1
    for state, expected in [
        ("new", None),
        ("learning", ["what-is-regularization"]),
        ("review", ["l2-weight-decay"]),
        ("relearning", ["l1-vs-l2"]),
        ("suspended", ["dropout"]),
        ("buried", ["early-stopping"]),
        ("leech", ["l2-weight-decay"]),
    ]:
        got = ids(db, studied, library, state=state, limit=200)
        if expected is None:
            assert "max-norm" in got
            assert "l2-weight-decay" not in got
        else:
            assert got == expected, state


def test_due_is_in_the_users_time_zone(db: Session, library: Library) -> None:
    user = add_user(db, timezone="Asia/Tokyo")
    review(db, user, library, "dropout", rating=4)
    due = rows(db, user, library)["dropout"].due
    assert due is not None
    assert due.utcoffset() == timedelta(hours=9)


def test_sorting(db: Session, library: Library, studied: User) -> None:
    order = ids(db, studied, library)
    assert order[0] == library.decks[0].cards[0].id
    assert ids(db, studied, library, order="desc")[0] == order[-1]
    by_stability = ids(db, studied, library, sort="stability", order="desc")
    assert by_stability[0] == "l2-weight-decay"
    assert by_stability[:3] == list(reversed(ids(db, studied, library, sort="stability")[:3]))
    assert ids(db, studied, library, sort="lapses", order="desc")[0] == "l1-vs-l2"
    assert ids(db, studied, library, sort="reviews", order="desc")[0] == "l1-vs-l2"
    assert ids(db, studied, library, sort="due")[0] == "what-is-regularization"
    found = rows(db, studied, library, limit=200)
    recall = [found[c].retrievability for c in ids(db, studied, library, sort="retrievability")]
    assert recall[:3] == sorted(recall[:3])
    assert recall[3:] == [None] * (len(recall) - 3)
    # New cards have no value: last, in card order, either way.
    for direction in ("asc", "desc"):
        tail = ids(db, studied, library, sort="difficulty", order=direction)[3:]
        assert tail == [card_id for card_id in order if card_id in tail]


def test_filters_and_search(db: Session, library: Library, studied: User) -> None:
    deck = library.decks[0]
    assert ids(db, studied, library, deck=deck.id, limit=200) == [c.id for c in deck.cards]
    hard = ids(db, studied, library, difficulty=Difficulty.HARD, limit=200)
    assert hard == [c.id for c in deck.cards if c.difficulty == Difficulty.HARD]
    assert ids(db, studied, library, topic="dropout", limit=200) == [
        c.id for c in deck.cards if "dropout" in c.topics
    ]
    assert "dropout" in ids(db, studied, library, text="DropOut mask")
    assert ids(db, studied, library, text="zzzz-nothing") == []
    with pytest.raises(BadFilter) as deck_error:
        browse(
            session=db,
            user=studied,
            library=library,
            query=BrowseQuery(deck="nope"),
            now=LATER,
        )
    assert deck_error.value.parameter == "deck"
    with pytest.raises(BadFilter) as topic_error:
        browse(
            session=db,
            user=studied,
            library=library,
            query=BrowseQuery(topic="nope"),
            now=LATER,
        )
    assert topic_error.value.parameter == "topic"


def test_pages(db: Session, library: Library, studied: User) -> None:
    everything = ids(db, studied, library, limit=200)
    page = browse(
        session=db,
        user=studied,
        library=library,
        query=BrowseQuery(limit=5, offset=5),
        now=LATER,
    )
    assert [row.card.id for row in page.rows] == everything[5:10]
    assert page.total == len(everything)


def test_suspend_unsuspend_unbury(db: Session, library: Library, studied: User) -> None:
    cards = ["l2-weight-decay", "max-norm"]
    assert (
        set_flags(
            session=db, user=studied, library=library, action="suspend", card_ids=cards, now=LATER
        )
        == cards
    )
    assert ids(db, studied, library, state="suspended") == [
        "l2-weight-decay",
        "dropout",
        "max-norm",
    ]
    set_flags(
        session=db,
        user=studied,
        library=library,
        action="unsuspend",
        card_ids=[*cards, "dropout"],
        now=LATER,
    )
    assert ids(db, studied, library, state="suspended") == []
    set_flags(
        session=db,
        user=studied,
        library=library,
        action="unbury",
        card_ids=["early-stopping", "dropout"],
        now=LATER,
    )
    assert ids(db, studied, library, state="buried") == []
    assert replay_mismatches(db, studied) == []


def test_unknown_ids_change_nothing(db: Session, library: Library, studied: User) -> None:
    before = snapshot(db, studied)
    for action in ("suspend", "unbury"):
        with pytest.raises(UnknownCards) as error:
            set_flags(
                session=db,
                user=studied,
                library=library,
                action=action,
                card_ids=["max-norm", "nope", "gone"],
                now=LATER,
            )
        assert error.value.card_ids == ["nope", "gone"]
        assert error.value.json_detail()[0]["loc"] == ["body", "card_ids"]
    with pytest.raises(UnknownCards):
        reset_cards(session=db, user=studied, library=library, card_ids=["nope"], now=LATER)
    with pytest.raises(UnknownCards, match="at most"):
        set_flags(
            session=db,
            user=studied,
            library=library,
            action="suspend",
            card_ids=[f"card-{n}" for n in range(1000)],
            now=LATER,
        )
    assert snapshot(db, studied) == before


def test_reset_and_undo_restore_exactly(db: Session, library: Library, studied: User) -> None:
    before = snapshot(db, studied)
    cards = ["l1-vs-l2", "l2-weight-decay", "dropout", "max-norm"]
    result = reset_cards(session=db, user=studied, library=library, card_ids=cards, now=LATER)
    assert result.reviews == 3
    found = rows(db, studied, library, limit=200)
    assert all(found[card_id].state == "new" and not found[card_id].flags for card_id in cards)
    assert found["what-is-regularization"].state == "learning"
    assert replay_mismatches(db, studied) == []
    _states, logs = snapshot(db, studied)
    assert {row["card_id"] for row in logs} == {"what-is-regularization"}

    undone = undo_reset(session=db, user=studied, reset_id=result.reset_id, now=LATER)
    assert undone.card_ids == cards
    assert snapshot(db, studied) == before
    assert replay_mismatches(db, studied) == []
    reset = db.scalars(select(CardReset)).one()
    assert reset.undone_at == LATER
    with pytest.raises(Conflict, match="undone already"):
        undo_reset(session=db, user=studied, reset_id=result.reset_id, now=LATER)


def test_reset_keeps_columns_it_does_not_know(db: Session, library: Library, studied: User) -> None:
    result = reset_cards(
        session=db, user=studied, library=library, card_ids=["l1-vs-l2"], now=LATER
    )
    payload = json.loads(db.scalars(select(CardReset)).one().payload)
    assert set(payload["review_logs"][0]) == {c.name for c in ReviewLog.__table__.columns}
    assert set(payload["card_states"][0]) == {c.name for c in CardState.__table__.columns}
    assert result.card_ids == ["l1-vs-l2"]


def test_undo_after_studying_again_is_refused(db: Session, library: Library, studied: User) -> None:
    result = reset_cards(
        session=db, user=studied, library=library, card_ids=["l1-vs-l2", "dropout"], now=LATER
    )
    review(db, studied, library, "l1-vs-l2")
    after = snapshot(db, studied)
    with pytest.raises(Conflict, match="card l1-vs-l2 studied since"):
        undo_reset(session=db, user=studied, reset_id=result.reset_id, now=LATER)
    assert snapshot(db, studied) == after
    assert db.scalars(select(CardReset)).one().undone_at is None


def test_undo_replaces_a_flag_set_since(db: Session, library: Library, studied: User) -> None:
    before = snapshot(db, studied)
    result = reset_cards(
        session=db, user=studied, library=library, card_ids=["l1-vs-l2"], now=LATER
    )
    set_flag(
        session=db, user=studied, library=library, card_id="l1-vs-l2", action="suspend", now=LATER
    )
    undo_reset(session=db, user=studied, reset_id=result.reset_id, now=LATER)
    assert snapshot(db, studied) == before


def test_another_users_reset_is_unknown(db: Session, library: Library, studied: User) -> None:
    result = reset_cards(session=db, user=studied, library=library, card_ids=["dropout"], now=LATER)
    other = add_user(db, "bob")
    with pytest.raises(UnknownReset):
        undo_reset(session=db, user=other, reset_id=result.reset_id, now=LATER)
    with pytest.raises(UnknownReset):
        undo_reset(session=db, user=studied, reset_id=str(uuid.uuid4()), now=LATER)


def test_no_action_while_an_import_runs(db: Session, library: Library, studied: User) -> None:
    earlier = reset_cards(
        session=db, user=studied, library=library, card_ids=["l1-vs-l2"], now=LATER
    )
    before = snapshot(db, studied)
    db.add(ProgressImport(user_id=studied.id, started_at=LATER, beat_at=datetime.now(UTC)))
    db.commit()
    with pytest.raises(Conflict, match="import"):
        reset_cards(session=db, user=studied, library=library, card_ids=["dropout"], now=LATER)
    with pytest.raises(Conflict, match="import"):
        set_flags(
            session=db,
            user=studied,
            library=library,
            action="suspend",
            card_ids=["max-norm"],
            now=LATER,
        )
    with pytest.raises(Conflict, match="import"):
        undo_reset(session=db, user=studied, reset_id=earlier.reset_id, now=LATER)
    assert snapshot(db, studied) == before
    assert [reset.undone_at for reset in db.scalars(select(CardReset))] == [None]
