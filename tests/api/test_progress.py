"""The progress API."""

from fastapi.testclient import TestClient

from tests.api.test_study import grade


def test_progress(client: TestClient, auth: dict[str, str]) -> None:
    grade(client, auth, "dropout", 4)
    body = client.get("/api/v1/progress", headers=auth).json()
    assert body["cards"] == {"new": 19, "learning": 0, "review": 1, "relearning": 0, "suspended": 0}
    assert body["reviews_today"] == 1
    assert body["streak_days"] == 1
    assert len(body["forecast"]) == 30
    assert len(body["topics"]) == 6
