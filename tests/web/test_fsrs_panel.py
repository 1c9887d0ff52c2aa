"""The settings page's FSRS panel: the parameters in force, the latest fit, Optimize."""

from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.models import User
from app.study.fit_jobs import run_pending_fits
from tests.helpers import attr, soup, text_of
from tests.study.learners import simulate, store


def in_force(page: BeautifulSoup) -> str:
    """Return the in-force line as read (no space added between its elements)."""
    element = page.select_one("#fsrs [data-fsrs=in-force]")
    assert element is not None
    return " ".join(element.get_text().split())


def optimize(client: TestClient) -> str:
    response = client.post(
        "/settings/optimize",
        data={"csrf_token": client.cookies["prepdeck_csrf"]},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return response.headers["location"]


def test_the_panel_shows_the_defaults_before_any_fit(user_client: TestClient) -> None:
    page = soup(user_client.get("/settings"))
    assert in_force(page) == "In force: the FSRS defaults."
    assert page.select_one("#fsrs [data-fit-status]") is None
    assert attr(page, "#fsrs form", "action") == "/settings/optimize"
    assert attr(page, "#fsrs form", "method") == "post"
    assert page.select_one("#fsrs form input[name=csrf_token]") is not None


def test_optimize_queues_a_fit_and_the_page_shows_its_result(
    app: FastAPI, user_client: TestClient
) -> None:
    with app.state.sessionmaker() as session:
        user = session.scalars(select(User).where(User.username == "ada")).one()
        store(session, user.id, simulate(cards=300, reviews_per_card=10, seed=7))
    assert optimize(user_client) == "/settings?optimizing=true#fsrs"
    page = soup(user_client.get("/settings?optimizing=true"))
    assert text_of(page, "p.alert--info").startswith("Optimization queued")
    assert attr(page, "#fsrs [data-fit-status]", "data-fit-status") == "queued"
    assert text_of(page, "#fsrs [data-fit=status]") == "Queued"

    run_pending_fits(app.state.sessionmaker)
    page = soup(user_client.get("/settings"))
    assert attr(page, "#fsrs [data-fit-status]", "data-fit-status") == "adopted"
    assert text_of(page, "#fsrs [data-fit=reviews]") == "3000"
    before, fitted = text_of(page, "#fsrs [data-fit=log-loss]").split(" / ")
    assert float(fitted) < float(before)
    before, fitted = text_of(page, "#fsrs [data-fit=rmse]").split(" / ")
    assert float(fitted) < float(before)
    assert in_force(page).startswith("In force: fitted to your reviews on 20")
    assert in_force(page).endswith(".")
    assert text_of(page, "#fsrs [data-fit=message]") == (
        "Fitted to 2700 reviews on a later day than the card's previous one; adopted, as "
        "they predict them better."
    )
    assert text_of(page, "#fsrs [data-fit=status]") == "Adopted"


def test_too_few_reviews_say_how_many_more(app: FastAPI, user_client: TestClient) -> None:
    optimize(user_client)
    run_pending_fits(app.state.sessionmaker)
    page = soup(user_client.get("/settings"))
    assert text_of(page, "#fsrs [data-fit=status]") == "Too few reviews"
    assert text_of(page, "#fsrs [data-fit=message]").startswith("Needs 64 more reviews")
    assert in_force(page) == "In force: the FSRS defaults."


def test_optimize_without_the_csrf_token_is_refused(user_client: TestClient) -> None:
    response = user_client.post("/settings/optimize", data={}, follow_redirects=False)
    assert response.status_code == 403
    page = soup(user_client.get("/settings"))
    assert page.select_one("#fsrs [data-fit-status]") is None
