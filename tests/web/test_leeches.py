"""Leeches on the study page and on the progress page."""

import uuid
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.models import CardState, User, utcnow
from app.study.reviews import record_review
from tests.helpers import attr, soup, text_of

CARD = "dropout"


def lapsed_once(app: FastAPI, username: str = "ada") -> int:
    """Give the user's card one lapse long ago, set the threshold to 2; return its version."""
    days = timedelta(days=1)
    now = utcnow()
    with app.state.sessionmaker() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        user.leech_threshold = 2
        user.leech_action = "suspend"
        session.commit()
        library = app.state.library
        for rating, when in ((4, now - 100 * days), (1, now - 60 * days), (3, now - 59 * days)):
            record_review(
                session=session,
                user=user,
                library=library,
                card_id=CARD,
                rating=rating,
                review_id=str(uuid.uuid4()),
                now=when,
            )
        row: CardState | None = session.get(CardState, (user.id, CARD))
        assert row is not None
        assert row.lapses == 1
        assert row.state == 2
        return row.version


def test_the_study_page_says_a_card_became_a_leech(user_client: TestClient, app: FastAPI) -> None:
    version = lapsed_once(app)
    response = user_client.post(
        "/study/review",
        data={
            "csrf_token": user_client.cookies["prepdeck_csrf"],
            "card_id": CARD,
            "rating": "1",
            "review_id": str(uuid.uuid4()),
            "version": str(version),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/study?leech={CARD}"
    page = soup(user_client.get(response.headers["location"]))
    message = text_of(page, "[data-leech]")
    assert "is a leech: you have forgotten it 2 times. It is suspended" in message
    assert "Undo last takes the grade back" in message
    card_url = f"/decks/regularization/cards/{CARD}"
    assert attr(page, "[data-leech] a[data-leech-demo]", "href") == f"{card_url}#demo"
    assert attr(page, "[data-leech] a[data-leech-predict]", "href") == f"{card_url}#predict"
    card_page = soup(user_client.get(card_url))
    assert card_page.select_one("#demo") is not None
    assert card_page.select_one("form#predict[data-predict-switch]") is not None
    # Undo: the card is neither a leech nor suspended, and the message is gone.
    undone = user_client.post(
        "/study/undo",
        data={"csrf_token": user_client.cookies["prepdeck_csrf"]},
        follow_redirects=True,
    )
    assert soup(undone).select_one("[data-leech]") is None
    with app.state.sessionmaker() as session:
        row = session.scalars(select(CardState).where(CardState.card_id == CARD)).one()
        assert (row.lapses, row.leech, row.suspended) == (1, False, False)
    assert soup(user_client.get(f"/study?leech={CARD}")).select_one("[data-leech]") is None


def test_the_progress_page_lists_leeches(user_client: TestClient, app: FastAPI) -> None:
    page = soup(user_client.get("/progress"))
    assert "No leeches" in text_of(page, "[data-section=leeches] [data-empty]")
    version = lapsed_once(app)
    user_client.post(
        "/study/review",
        data={
            "csrf_token": user_client.cookies["prepdeck_csrf"],
            "card_id": CARD,
            "rating": "1",
            "review_id": str(uuid.uuid4()),
            "version": str(version),
        },
    )
    page = soup(user_client.get("/progress"))
    row = page.select_one(f"[data-section=leeches] tr[data-leech={CARD}]")
    assert row is not None
    assert text_of(row, "[data-label=Lapses]") == "2"
    assert text_of(row, "[data-suspended]") == "suspended"
    assert attr(row, "th a", "href") == f"/decks/regularization/cards/{CARD}"
    assert attr(row, "[data-label=Demo] a", "href") == f"/decks/regularization/cards/{CARD}#demo"
