"""The study settings API, and export and import of progress."""

from fastapi.testclient import TestClient

from tests.api.test_study import grade


def test_settings_round_trip_and_errors(client: TestClient, auth: dict[str, str]) -> None:
    assert client.get("/api/v1/me/settings", headers=auth).json() == {
        "desired_retention": 0.9,
        "new_per_day": 20,
        "reviews_per_day": 200,
        "timezone": "UTC",
        "day_starts_at": 4,
        "maximum_interval": 365,
        "leech_threshold": 8,
        "leech_action": "suspend",
    }
    new = {
        "desired_retention": 0.85,
        "new_per_day": 10,
        "reviews_per_day": 100,
        "timezone": "Europe/Berlin",
        "day_starts_at": 3,
        "maximum_interval": 180,
        "leech_threshold": 5,
        "leech_action": "tag",
    }
    assert client.put("/api/v1/me/settings", json=new, headers=auth).json() == new
    assert client.get("/api/v1/me/settings", headers=auth).json() == new
    for bad, field in [
        ({**new, "desired_retention": 0.99}, "desired_retention"),
        ({**new, "timezone": "Mars/Olympus"}, "timezone"),
        ({**new, "day_starts_at": 24}, "day_starts_at"),
        ({**new, "new_per_day": -1}, "new_per_day"),
        ({**new, "colour": "blue"}, "colour"),
        ({**new, "maximum_interval": 0}, "maximum_interval"),
        ({**new, "maximum_interval": 10**12}, "maximum_interval"),
        ({**new, "leech_threshold": 100}, "leech_threshold"),
        ({**new, "leech_action": "delete"}, "leech_action"),
    ]:
        response = client.put("/api/v1/me/settings", json=bad, headers=auth)
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"][-1] == field
    assert client.get("/api/v1/me/settings", headers=auth).json() == new


def test_export_import_round_trip(client: TestClient, auth: dict[str, str]) -> None:
    grade(client, auth, "dropout", 4)
    grade(client, auth, "adamw", 1)
    exported = client.get("/api/v1/me/export", headers=auth).json()
    assert len(exported["reviews"]) == 2
    response = client.post("/api/v1/me/import", json=exported, headers=auth)
    assert response.json() == {"reviews_added": 0, "cards_rebuilt": 2}
    csv_text = client.get("/api/v1/me/export.csv", headers=auth).text
    assert (
        csv_text.splitlines()[0]
        == "review_id,card_id,deck_id,rating,reviewed_at,duration_ms,desired_retention"
    )
    assert len(csv_text.splitlines()) == 3
    bad = {**exported, "reviews": [{**exported["reviews"][0], "rating": 9}]}
    response = client.post("/api/v1/me/import", json=bad, headers=auth)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "reviews", 0, "rating"]
    response = client.post("/api/v1/me/import", json={"format": "other"}, headers=auth)
    assert response.status_code == 422
