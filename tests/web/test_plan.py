"""The interview plan page, driven as plain HTML (no JavaScript)."""

from datetime import date, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.models import User, utcnow
from app.study.day import study_day
from tests.helpers import attr, soup, text_of


def today() -> date:
    """Return the study day of a user with the default settings (UTC, day starts at 4)."""
    return study_day(utcnow(), "UTC", 4).date


def post_date(client: TestClient, deck: str, day: str) -> object:
    """Post the plan page's date form."""
    return client.post(
        "/plan",
        data={"csrf_token": client.cookies["prepdeck_csrf"], "deck": deck, "date": day},
        follow_redirects=False,
    )


def test_the_plan_page_without_a_date(user_client: TestClient) -> None:
    page = soup(user_client.get("/plan"))
    assert text_of(page, "h1") == "Interview plan"
    assert attr(page, 'link[rel="alternate"]', "href") == "/api/v1/me/plan"
    assert attr(page, ".site-nav a[aria-current=page]", "href") == "/plan"
    assert page.select_one("[data-dates] li") is None
    assert page.select_one("[data-empty]") is not None
    form = page.select_one("form[data-date-form]")
    assert form is not None
    assert form.get("method") == "post"
    assert form.select_one("input[name=csrf_token]") is not None
    assert [o.get("value") for o in form.select("select[name=deck] option")] == [
        "",
        "regularization",
    ]
    assert attr(form, "input[name=date]", "type") == "date"
    assert attr(page, "tr[data-deck=regularization]", "data-status") == "none"
    assert page.select_one("[data-section=recall]") is None


def test_setting_a_date_shows_the_plan(user_client: TestClient) -> None:
    day = today() + timedelta(days=6)
    response = post_date(user_client, "regularization", day.isoformat())
    assert response.status_code == 303  # type: ignore[attr-defined]
    page = soup(user_client.get("/plan?done=saved"))
    assert text_of(page, "[data-notice]") == "Interview date saved."
    assert attr(page, "[data-dates] li", "data-date-for") == "regularization"
    row = page.select_one("tr[data-deck=regularization]")
    assert row is not None
    assert row.get("data-status") == "planned"
    assert text_of(row, "[data-days-left]") == "6"
    finish = (day - timedelta(days=2)).isoformat()
    assert text_of(row, "[data-to-introduce]") == f"20 of 20 by {finish}"
    assert text_of(row, "[data-per-day]") == "4 (limit 20)"
    assert page.select_one("[data-plan-warning]") is None
    cards = page.select("[data-plan-cards] tbody tr")
    assert len(cards) == 20
    assert text_of(cards[0], "[data-recall-value]") == "not yet introduced"
    link = cards[0].select_one("a")
    assert link is not None
    assert str(link["href"]).startswith("/decks/regularization/cards/")
    assert "not yet introduced" in text_of(page, "[data-recall=regularization]")


def test_removing_a_date(user_client: TestClient) -> None:
    post_date(user_client, "", (today() + timedelta(days=30)).isoformat())
    page = soup(user_client.get("/plan"))
    assert attr(page, "[data-dates] li", "data-date-for") == "all"
    form = page.select_one("[data-dates] li form")
    assert form is not None
    response = user_client.post(
        str(form["action"]),
        data={"csrf_token": user_client.cookies["prepdeck_csrf"], "deck": ""},
        follow_redirects=True,
    )
    assert text_of(soup(response), "[data-notice]") == "Interview date removed."
    assert soup(response).select_one("[data-dates] li") is None


@pytest.mark.parametrize(
    ("deck", "day", "start"),
    [
        ("regularization", "2026-02-30", "date: '2026-02-30' is not a date"),
        ("regularization", "", "date: '' is not a date"),
        ("regularization", "past", "date: "),
        ("regularization", "far", "date: "),
        ("nope", "soon", "deck: unknown deck 'nope'"),
    ],
    ids=["not-a-date", "empty", "past", "too-far", "unknown-deck"],
)
def test_bad_dates_are_shown_at_the_form(
    user_client: TestClient, deck: str, day: str, start: str
) -> None:
    days = {"past": -1, "far": 3 * 365 + 1, "soon": 3}
    if day in days:
        day = (today() + timedelta(days=days[day])).isoformat()
    response = post_date(user_client, deck, day)
    assert response.status_code == 422  # type: ignore[attr-defined]
    page = soup(response)  # type: ignore[arg-type]
    assert text_of(page, "[data-errors] li").startswith(start)
    assert attr(page, "input[name=date]", "value") == day
    assert attr(page, "input[name=date]", "aria-describedby") == "plan-errors"
    assert page.select_one("[data-dates] li") is None


def test_the_form_needs_the_csrf_token(user_client: TestClient) -> None:
    response = user_client.post(
        "/plan", data={"deck": "", "date": (today() + timedelta(days=3)).isoformat()}
    )
    assert response.status_code == 403
    assert soup(user_client.get("/plan")).select_one("[data-dates] li") is None


def test_the_study_page_warns_when_the_limit_is_too_low(
    user_client: TestClient, app: FastAPI
) -> None:
    with app.state.sessionmaker() as session:
        user = session.scalars(select(User).where(User.username == "ada")).one()
        user.new_per_day = 1
        session.commit()
    assert soup(user_client.get("/study")).select_one("[data-plan-warning]") is None
    post_date(user_client, "", (today() + timedelta(days=3)).isoformat())
    page = soup(user_client.get("/study"))
    warning = page.select_one("[data-plan-warning]")
    assert warning is not None
    assert text_of(page, "[data-plan-warning]").startswith(
        "Your interview plan needs 10 new cards a day; your limit is 1."
    )
    assert attr(warning, "a", "href") == "/plan"
    plan = soup(user_client.get("/plan"))
    assert "10 new cards a day" in text_of(plan, "[data-plan-warning]")
    assert "18 cards will not be introduced" in text_of(plan, "[data-plan-warning]")
    assert text_of(plan, "tr[data-deck=regularization] [data-per-day]") == (
        "10 (limit 1) · 18 left over"
    )
