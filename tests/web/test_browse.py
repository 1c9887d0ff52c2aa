"""The card browser page, driven as plain HTML forms (no JavaScript)."""

import uuid
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.models import User
from app.study.reviews import replay_mismatches
from tests.helpers import attr, soup, text_of


def csrf_of(client: TestClient) -> str:
    """Return the CSRF token of the logged-in browser."""
    return attr(soup(client.get("/browse")), "meta[name=csrf-token]", "content")


def grade(client: TestClient, card_id: str, rating: int = 3) -> None:
    """Grade a card through the API with the session cookie."""
    response = client.post(
        "/api/v1/reviews",
        json={"card_id": card_id, "rating": rating, "review_id": str(uuid.uuid4())},
        headers={"X-CSRF-Token": csrf_of(client)},
    )
    assert response.status_code == 201, response.text


def action_form(page: BeautifulSoup) -> tuple[str, dict[str, str]]:
    """Return the action and the hidden fields of the browser's card form."""
    form = page.select_one("form.browse")
    assert form is not None
    fields = {str(f["name"]): str(f.get("value", "")) for f in form.select("input[type=hidden]")}
    return str(form["action"]), fields


def row(page: Tag, card_id: str) -> Tag:
    """Return the table row of a card."""
    found = page.select_one(f"tr[data-card={card_id}]")
    assert found is not None, card_id
    return found


def mismatches(app: FastAPI) -> list[str]:
    """Return replay_mismatches of the user ada."""
    with app.state.sessionmaker() as session:
        user = session.scalars(select(User).where(User.username == "ada")).one()
        return replay_mismatches(session, user)


def test_the_page_lists_every_card_with_its_state(user_client: TestClient) -> None:
    grade(user_client, "dropout", 4)
    page = soup(user_client.get("/browse?limit=200"))
    assert text_of(page, "h1") == "Browse cards"
    assert len(page.select("tbody tr")) == 20
    assert text_of(page, "[data-total]") == "1–20 of 20 cards"
    dropout = row(page, "dropout")
    assert text_of(dropout, "[data-field=state]") == "review"
    assert text_of(dropout, "[data-field=reviews]") == "1"
    assert text_of(dropout, "[data-field=retrievability]").endswith("%")
    assert dropout.select_one("time") is not None
    assert attr(dropout, "a[data-open]", "href") == "/decks/regularization/cards/dropout"
    assert attr(dropout, "a[data-demo]", "href") == "/decks/regularization/cards/dropout#demo"
    assert text_of(row(page, "max-norm"), "[data-field=due]") == "–"
    assert attr(page, 'link[rel="alternate"]', "href") == "/api/v1/me/cards?limit=200"
    assert attr(page, "nav a[aria-current=page]", "href") == "/browse"
    # Each cell is named for the stacked layout of a phone.
    assert {str(td["data-label"]) for td in dropout.select("td")} >= {"Due", "Recall", "Actions"}
    assert "mastery--stack" in str(page.select_one("table")["class"])  # type: ignore[index]


def test_filter_sort_search_and_pages(user_client: TestClient) -> None:
    grade(user_client, "dropout", 4)
    grade(user_client, "l1-vs-l2", 1)
    page = soup(user_client.get("/browse?state=review"))
    assert [str(tr["data-card"]) for tr in page.select("tbody tr")] == ["dropout"]
    page = soup(user_client.get("/browse?sort=stability&order=desc&limit=2"))
    assert [str(tr["data-card"]) for tr in page.select("tbody tr")] == ["dropout", "l1-vs-l2"]
    assert attr(page, "[data-page=next]", "href") == (
        "/browse?sort=stability&order=desc&limit=2&offset=2"
    )
    assert page.select_one("[data-page=previous]") is None
    page = soup(user_client.get("/browse?q=dropconnect&state=&topic=&difficulty=&deck="))
    assert "dropout-vs-dropconnect" in [str(tr["data-card"]) for tr in page.select("tbody tr")]
    page = soup(user_client.get("/browse?q=zzzz-nothing"))
    assert page.select_one("[data-empty]") is not None


@pytest.mark.parametrize(
    ("query", "field"),
    [("sort=evil", "sort"), (f"limit={10**9}", "limit"), ("q=a%00b", "q"), ("deck=nope", "deck")],
    ids=["sort", "limit", "q-nul", "deck"],
)
def test_bad_query_names_the_field(user_client: TestClient, query: str, field: str) -> None:
    response = user_client.get(f"/browse?{query}")
    assert response.status_code == 422
    assert field in text_of(soup(response), "main")


def test_suspend_a_selection_then_one_card(user_client: TestClient) -> None:
    action, fields = action_form(soup(user_client.get("/browse?deck=regularization")))
    response = user_client.post(
        action,
        data={**fields, "action": "suspend", "card_ids": ["dropout", "max-norm"]},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/browse?deck=regularization&done=suspend&count=2"
    page = soup(user_client.get(response.headers["location"]))
    assert text_of(page, "[data-notice]") == "Suspended 2 cards."
    assert row(page, "dropout").select_one("[data-flag=suspended]") is not None
    action, fields = action_form(page)
    user_client.post(action, data={**fields, "single": "unsuspend:dropout"})
    page = soup(user_client.get("/browse?state=suspended"))
    assert [str(tr["data-card"]) for tr in page.select("tbody tr")] == ["max-norm"]


def test_unbury(user_client: TestClient) -> None:
    user_client.post(
        "/api/v1/study/bury",
        json={"card_id": "dropout"},
        headers={"X-CSRF-Token": csrf_of(user_client)},
    )
    page = soup(user_client.get("/browse"))
    assert row(page, "dropout").select_one("[data-flag=buried]") is not None
    action, fields = action_form(page)
    user_client.post(action, data={**fields, "single": "unbury:dropout"})
    assert soup(user_client.get("/browse?state=buried")).select("tbody tr") == []


def test_unknown_ids_are_named_at_the_form(user_client: TestClient) -> None:
    action, fields = action_form(soup(user_client.get("/browse")))
    response = user_client.post(
        action, data={**fields, "action": "suspend", "card_ids": ["dropout", "nope"]}
    )
    assert response.status_code == 422
    assert text_of(soup(response), "form.browse [data-error]") == (
        "card_ids: unknown card: nope; nothing was changed"
    )
    assert soup(user_client.get("/browse?state=suspended")).select("tbody tr") == []
    response = user_client.post(action, data=fields)
    assert response.status_code == 422
    assert text_of(soup(response), "[data-error]") == "action: choose what to do"


def test_writes_need_the_csrf_token(user_client: TestClient) -> None:
    for path in ("/browse/actions", "/browse/reset", f"/browse/resets/{uuid.uuid4()}/undo"):
        response = user_client.post(path, data={"action": "suspend", "card_ids": ["dropout"]})
        assert response.status_code == 403, path


def reset_through_the_confirmation(client: TestClient, card_ids: list[str]) -> Any:
    """Ask for a reset, check the confirmation page, confirm; return the final page."""
    action, fields = action_form(soup(client.get("/browse?state=review")))
    confirm = client.post(action, data={**fields, "action": "reset", "card_ids": card_ids})
    assert confirm.status_code == 200
    page = soup(confirm)
    assert text_of(page, "h1").startswith(f"Reset the progress of {len(card_ids)} card")
    assert [str(li["data-card"]) for li in page.select("[data-confirm-cards] li")] == card_ids
    assert attr(page, "[data-cancel]", "href") == "/browse?state=review"
    form = page.select_one("form[data-confirm]")
    assert form is not None
    # Nothing is reset until the confirmation is posted.
    listed = soup(client.get("/browse?state=review")).select("tbody tr")
    assert {str(tr["data-card"]) for tr in listed} >= set(card_ids)
    data: dict[str, Any] = {}
    for field in form.select("input[type=hidden]"):
        name, value = str(field["name"]), str(field["value"])
        if name == "card_ids":
            data.setdefault(name, []).append(value)
        else:
            data[name] = value
    return client.post(str(form["action"]), data=data, follow_redirects=False)


def test_reset_confirmation_and_undo(app: FastAPI, user_client: TestClient) -> None:
    grade(user_client, "dropout", 4)
    grade(user_client, "l1-vs-l2", 4)
    before = soup(user_client.get("/browse?limit=200"))
    done = reset_through_the_confirmation(user_client, ["l1-vs-l2", "dropout"])
    assert done.status_code == 303
    assert done.headers["location"].startswith("/browse?state=review&reset=")
    page = soup(user_client.get(done.headers["location"]))
    assert text_of(page, "[data-notice] span") == "Progress of 2 cards reset."
    assert page.select("tbody tr") == []
    assert mismatches(app) == []
    undo = page.select_one("[data-notice] form")
    assert undo is not None
    fields = {str(f["name"]): str(f["value"]) for f in undo.select("input[type=hidden]")}
    undone = user_client.post(str(undo["action"]), data=fields, follow_redirects=False)
    assert undone.status_code == 303
    page = soup(user_client.get(undone.headers["location"]))
    assert text_of(page, "[data-notice]") == "Reset undone: the progress of 2 cards is back."
    assert [str(tr["data-card"]) for tr in page.select("tbody tr")] == ["l1-vs-l2", "dropout"]
    after = soup(user_client.get("/browse?limit=200"))
    for card_id in ("dropout", "l1-vs-l2"):
        for field in ("state", "due", "stability", "difficulty", "reviews", "lapses"):
            selector = f"[data-field={field}]"
            assert text_of(row(after, card_id), selector) == text_of(row(before, card_id), selector)
    assert mismatches(app) == []
    again = user_client.post(str(undo["action"]), data=fields)
    assert again.status_code == 409
    assert "undone already" in text_of(soup(again), "[data-error]")


def test_undo_after_studying_again_says_why(user_client: TestClient) -> None:
    grade(user_client, "dropout", 4)
    done = reset_through_the_confirmation(user_client, ["dropout"])
    page = soup(user_client.get(done.headers["location"]))
    undo = page.select_one("[data-notice] form")
    assert undo is not None
    grade(user_client, "dropout", 3)
    fields = {str(f["name"]): str(f["value"]) for f in undo.select("input[type=hidden]")}
    response = user_client.post(str(undo["action"]), data=fields)
    assert response.status_code == 409
    assert "card dropout studied since" in text_of(soup(response), "[data-error]")


def test_login_required(client: TestClient) -> None:
    response = client.get("/browse", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fbrowse"


def test_undo_of_an_unknown_reset_is_404(user_client: TestClient) -> None:
    response = user_client.post(
        f"/browse/resets/{uuid.uuid4()}/undo", data={"csrf_token": csrf_of(user_client)}
    )
    assert response.status_code == 404
    assert "There is no reset" in text_of(soup(response), "main")
    page = soup(user_client.get(f"/browse?reset={uuid.uuid4()}"))
    assert page.select_one("[data-notice]") is None
