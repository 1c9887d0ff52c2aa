"""The retention simulator: GET /api/v1/me/retention, the chart and the settings page's panel."""

from dataclasses import asdict

import fsrs_rs_python
from fastapi.testclient import TestClient

from app.study.simulator import SimulationInput, default_costs, describe, simulate_curve
from tests.accounts.test_accounts import signup
from tests.helpers import attr, soup

API = "/api/v1/me/retention"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _input(current: float = 0.9) -> SimulationInput:
    """What a new user's simulation depends on: the defaults and the shipped 20 cards."""
    return SimulationInput(
        parameters=tuple(fsrs_rs_python.DEFAULT_PARAMETERS),
        deck_size=20,
        learn_limit=20,
        review_limit=200,
        max_interval=365,
        costs=default_costs(),
        current=current,
    )


def _expected(current: float) -> dict[str, object]:
    curve = simulate_curve(_input(current))
    return {
        "points": [asdict(point) for point in curve.points],
        "current": asdict(curve.current),
        "deck_size": 20,
        "days": 365,
    }


def test_the_simulation_of_a_new_user(client: TestClient, auth: dict[str, str]) -> None:
    response = client.get(API, headers=auth)
    assert response.status_code == 200
    assert response.json() == _expected(0.9)


def test_the_current_choice_follows_the_settings(client: TestClient, auth: dict[str, str]) -> None:
    settings = client.get("/api/v1/me/settings", headers=auth).json()
    response = client.put(
        "/api/v1/me/settings", headers=auth, json={**settings, "desired_retention": 0.83}
    )
    assert response.status_code == 200
    body = client.get(API, headers=auth).json()
    assert body == _expected(0.83)
    assert body["current"]["retention"] == 0.83
    assert body["points"] == _expected(0.9)["points"]


def test_a_guest_gets_401(client: TestClient) -> None:
    response = client.get(API)
    assert response.status_code == 401
    assert client.get("/settings/retention.png", follow_redirects=False).status_code in {401, 303}


def test_the_chart_is_a_png(client: TestClient) -> None:
    signup(client)
    response = client.get("/settings/retention.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(PNG_SIGNATURE)


def test_the_settings_page_shows_the_panel(client: TestClient) -> None:
    signup(client)
    page = soup(client.get("/settings"))
    body = client.get(API).json()
    current = body["current"]
    alt = attr(page, "#retention img.chart", "alt")
    assert alt.endswith(
        f"At your desired retention of 0.90: {current['reviews_per_day']:.2f} reviews and "
        f"{current['minutes_per_day']:.2f} minutes a day."
    )
    assert alt == describe(simulate_curve(_input()))
    assert attr(page, "#retention img.chart", "src").startswith("/settings/retention.png?v=")
    sentence = page.select_one("#retention .retention-current")
    assert sentence is not None
    assert sentence.get_text() == (
        f"At your desired retention of 0.90: about {current['reviews_per_day']:.2f} reviews "
        f"and {current['minutes_per_day']:.2f} minutes a day."
    )
    rows = page.select("#retention tbody tr")
    assert [row.select("td")[0].get_text() for row in rows] == [
        f"{point['retention']:.2f}" for point in body["points"]
    ]
    assert [
        row.select("td")[0].get_text() for row in page.select("#retention tr[aria-current]")
    ] == ["0.90"]
    assert attr(page, "#retention a[href='/api/v1/me/retention']", "href") == API
