"""The settings page: study settings, export and import, as plain HTML forms (no JavaScript)."""

import json

from fastapi.testclient import TestClient

from tests.helpers import attr, soup, text_of
from tests.web.test_study import grade_form


def test_settings_page_saves_and_rejects(user_client: TestClient) -> None:
    token = user_client.cookies["prepdeck_csrf"]
    good = {
        "csrf_token": token,
        "desired_retention": "0.85",
        "new_per_day": "5",
        "reviews_per_day": "50",
        "timezone": "Asia/Tokyo",
        "day_starts_at": "5",
        "maximum_interval": "90",
        "leech_threshold": "4",
        "leech_action": "tag",
    }
    response = user_client.post("/settings", data=good, follow_redirects=False)
    assert response.headers["location"] == "/settings?saved=true"
    page = soup(user_client.get("/settings?saved=true"))
    assert text_of(page, ".alert--info") == "Settings saved."
    assert attr(page, "#timezone", "value") == "Asia/Tokyo"
    assert attr(page, "#maximum_interval", "value") == "90"
    assert attr(page, "#leech_threshold", "value") == "4"
    assert attr(page, "#leech_action option[selected]", "value") == "tag"
    odd = {**good, "maximum_interval": "0", "leech_action": "explode"}
    odd_errors = text_of(soup(user_client.post("/settings", data=odd)), ".alert--error")
    assert "maximum_interval: Input should be greater than or equal to 1" in odd_errors
    assert "leech_action: Input should be 'suspend' or 'tag'" in odd_errors
    bad = {**good, "desired_retention": "2", "timezone": "Nowhere/Else"}
    response = user_client.post("/settings", data=bad)
    assert response.status_code == 422
    errors = text_of(soup(response), ".alert--error")
    assert "desired_retention: Input should be less than or equal to 0.97" in errors
    assert "unknown timezone 'Nowhere/Else'" in errors
    assert attr(soup(user_client.get("/settings")), "#timezone", "value") == "Asia/Tokyo"


def test_export_and_import_from_the_settings_page(user_client: TestClient) -> None:
    _card, data = grade_form(user_client, 4)
    user_client.post("/study/review", data=data)
    exported = user_client.get("/settings/export.json")
    assert exported.headers["content-disposition"].startswith("attachment")
    assert len(exported.json()["reviews"]) == 1
    assert user_client.get("/settings/export.csv").text.count("\n") == 2
    token = user_client.cookies["prepdeck_csrf"]
    response = user_client.post(
        "/settings/import",
        data={"csrf_token": token},
        files={"file": ("progress.json", exported.content, "application/json")},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/settings?imported=0"
    for content, message in [
        (b"not json", "not a prepdeck progress export"),
        (json.dumps({"format": "x"}).encode(), "file: format"),
    ]:
        response = user_client.post(
            "/settings/import",
            data={"csrf_token": token},
            files={"file": ("bad.json", content, "application/json")},
        )
        assert response.status_code == 422
        assert message in text_of(soup(response), ".alert--error")
