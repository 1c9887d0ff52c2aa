"""JSON API: interview dates and the plan."""

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.models import utcnow
from app.study.day import study_day
from tests.helpers import PASSWORD


def today() -> date:
    """Return the study day of a user with the default settings (UTC, day starts at 4)."""
    return study_day(utcnow(), "UTC", 4).date


def test_no_dates_means_no_plan(client: TestClient, auth: dict[str, str]) -> None:
    body = client.get("/api/v1/me/plan", headers=auth).json()
    assert body["dates"] == []
    assert body["recall"] == []
    assert body["cards"] == []
    assert body["warning"] is None
    assert body["decks"][0] == {
        "deck": "regularization",
        "title": body["decks"][0]["title"],
        "date": None,
        "date_for": None,
        "status": "none",
        "days_left": None,
        "finish_by": None,
        "cards": 20,
        "to_introduce": 20,
        "introduced_today": 0,
        "new_per_day_needed": 0,
        "new_per_day_pace": 0,
        "new_per_day_limit": 20,
        "left_over": 0,
        "final_days": False,
        "warning": None,
    }


def test_set_a_date_and_read_the_plan(client: TestClient, auth: dict[str, str]) -> None:
    day = today() + timedelta(days=6)
    response = client.put(
        "/api/v1/me/interview-dates",
        json={"deck": "regularization", "date": day.isoformat()},
        headers=auth,
    )
    assert response.status_code == 200
    assert response.json() == {"deck": "regularization", "date": day.isoformat()}
    body = client.get("/api/v1/me/plan", headers=auth).json()
    assert body["dates"] == [{"deck": "regularization", "date": day.isoformat()}]
    deck = body["decks"][0]
    assert (deck["status"], deck["date_for"], deck["days_left"]) == ("planned", "deck", 6)
    assert deck["finish_by"] == (day - timedelta(days=2)).isoformat()
    assert (deck["new_per_day_needed"], deck["new_per_day_pace"]) == (4, 4)  # ceil(20 / 5)
    assert body["new_per_day_needed"] == 4
    assert body["recall"] == [
        {
            "deck": "regularization",
            "expected": 0.0,
            "expected_introduced": None,
            "not_introduced": 20,
        }
    ]
    assert len(body["cards"]) == 20
    assert body["cards"][0]["recall"] is None
    assert body["cards"][0]["url"].startswith("/decks/regularization/cards/")


def test_the_date_for_all_decks(client: TestClient, auth: dict[str, str]) -> None:
    day = today() + timedelta(days=3)
    response = client.put(
        "/api/v1/me/interview-dates", json={"deck": None, "date": day.isoformat()}, headers=auth
    )
    assert response.json() == {"deck": None, "date": day.isoformat()}
    client.put("/api/v1/me/settings", json=settings(new_per_day=5), headers=auth)
    body = client.get("/api/v1/me/plan", headers=auth).json()
    deck = body["decks"][0]
    assert (deck["date_for"], deck["new_per_day_needed"], deck["left_over"]) == ("all", 10, 10)
    assert deck["warning"] == body["warning"]
    assert "you need 10 new cards a day" in body["warning"]
    assert (
        "your limit is 5: raise it in Settings, or 10 cards will not be introduced"
        in (body["warning"])
    )
    study = client.get("/api/v1/study/next", headers=auth).json()
    assert study["plan_warning"] == "Your interview plan needs 10 new cards a day; your limit is 5."
    response = client.delete("/api/v1/me/interview-dates", headers=auth)
    assert response.status_code == 204
    assert client.get("/api/v1/me/plan", headers=auth).json()["dates"] == []
    assert client.get("/api/v1/study/next", headers=auth).json()["plan_warning"] is None


def settings(**changes: Any) -> dict[str, Any]:
    """Return the default study settings with some changed."""
    return {
        "desired_retention": 0.9,
        "new_per_day": 20,
        "reviews_per_day": 200,
        "timezone": "UTC",
        "day_starts_at": 4,
        **changes,
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"deck": "regularization", "date": "past"}, "date"),
        ({"deck": "regularization", "date": "too-far"}, "date"),
        ({"deck": "regularization", "date": "2026-13-40"}, "date"),
        ({"deck": "regularization", "date": 20261220}, "date"),
        ({"deck": "regularization", "date": None}, "date"),
        ({"deck": "regularization"}, "date"),
        ({"deck": "nope", "date": "soon"}, "deck"),
        ({"deck": 7, "date": "soon"}, "deck"),
        ({"deck": "x" * 81, "date": "soon"}, "deck"),
        ({"deck": ["regularization"], "date": "soon"}, "deck"),
        ({"deck": None, "date": "soon", "extra": 1}, "extra"),
    ],
    ids=[
        "past",
        "too-far",
        "not-a-date",
        "number",
        "null",
        "missing",
        "unknown-deck",
        "deck-number",
        "deck-too-long",
        "deck-nested",
        "extra-field",
    ],
)
def test_bad_input_is_422_naming_the_field(
    client: TestClient, auth: dict[str, str], body: dict[str, Any], field: str
) -> None:
    days = {"past": -1, "too-far": 3 * 365 + 1, "soon": 5}
    if body.get("date") in days:
        body = {**body, "date": (today() + timedelta(days=days[body["date"]])).isoformat()}
    response = client.put("/api/v1/me/interview-dates", json=body, headers=auth)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-1] == field
    assert client.get("/api/v1/me/plan", headers=auth).json()["dates"] == []


def test_delete_an_unknown_deck_is_422(client: TestClient, auth: dict[str, str]) -> None:
    response = client.delete("/api/v1/me/interview-dates?deck=nope", headers=auth)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "deck"]


def test_another_users_dates_are_invisible(client: TestClient, auth: dict[str, str]) -> None:
    day = today() + timedelta(days=9)
    client.put(
        "/api/v1/me/interview-dates",
        json={"deck": "regularization", "date": day.isoformat()},
        headers=auth,
    )
    client.post("/api/v1/auth/register", json={"username": "grace", "password": PASSWORD})
    token = client.post(
        "/api/v1/auth/login", json={"username": "grace", "password": PASSWORD}
    ).json()["token"]
    client.cookies.clear()
    grace = {"Authorization": f"Bearer {token}"}
    body = client.get("/api/v1/me/plan", headers=grace).json()
    assert body["dates"] == []
    assert body["decks"][0]["status"] == "none"
    # Her removing a date leaves Ada's.
    assert (
        client.delete("/api/v1/me/interview-dates?deck=regularization", headers=grace).status_code
        == 204
    )
    assert client.get("/api/v1/me/plan", headers=auth).json()["dates"] == [
        {"deck": "regularization", "date": day.isoformat()}
    ]


def test_the_plan_needs_a_login(client: TestClient) -> None:
    assert client.get("/api/v1/me/plan").status_code == 401
