"""Leeches in the review API's answer and in the progress API."""

import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.test_leeches import CARD, lapsed_once


def test_the_review_api_and_progress_tell_of_leeches(
    client: TestClient, auth: dict[str, str], app: FastAPI
) -> None:
    lapsed_once(app)
    body = {"card_id": CARD, "rating": 1, "review_id": str(uuid.uuid4())}
    response = client.post("/api/v1/reviews", json=body, headers=auth)
    assert response.status_code == 201
    assert response.json()["leech"] is True
    assert response.json()["card"]["lapses"] == 2
    again = client.post("/api/v1/reviews", json=body, headers=auth)
    assert again.json()["leech"] is True  # the same review, the same answer
    leeches = client.get("/api/v1/progress", headers=auth).json()["leeches"]
    question = client.get(f"/api/v1/decks/regularization/cards/{CARD}").json()["question"]
    assert leeches == [
        {
            "deck": "regularization",
            "card": CARD,
            "question": question,
            "lapses": 2,
            "suspended": True,
            "url": f"/decks/regularization/cards/{CARD}",
            "demo_url": f"/decks/regularization/cards/{CARD}#demo",
        }
    ]
