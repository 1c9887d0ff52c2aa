"""The decks API."""

from fastapi.testclient import TestClient

from app.content.markup import latex_to_mathml

API = "/api/v1/decks"


def test_list_decks(client: TestClient) -> None:
    response = client.get(API)
    assert response.status_code == 200
    (deck,) = response.json()
    assert deck == {
        "id": "regularization",
        "title": "Deep Learning Regularization: 20 Interview Questions",
        "short_title": "Regularization 20 Essential Q/A",
        "tagline": "DL Interview Prep",
        "subtitle": deck["subtitle"],
        "topics": [
            {"id": "l1-l2", "label": "L1/L2"},
            {"id": "dropout", "label": "Dropout"},
            {"id": "batch-norm", "label": "Batch Norm"},
            {"id": "early-stopping", "label": "Early Stopping"},
            {"id": "data-aug", "label": "Data Aug"},
            {"id": "bias-variance", "label": "Bias-Variance"},
        ],
        "card_count": 20,
        "url": "/decks/regularization",
        "api_url": "/api/v1/decks/regularization",
        "cards_url": "/api/v1/decks/regularization/cards",
    }
    assert deck["subtitle"].startswith("Master L1/L2 regularization")


def test_read_deck(client: TestClient) -> None:
    body = client.get(f"{API}/regularization").json()
    assert body["verdict"] == "Regularization = bias↑ variance↓. Balance is key!"
    assert [group["name"] for group in body["cheatsheet"]["groups"]] == [
        "Parameter-based", "Layer-based", "Data-based", "Training-based", "Why regularize",
    ]  # fmt: skip
    formula = r"\alpha \approx \frac{1}{\tau\, \eta}"
    tip = (
        "Keep the best checkpoint and use patience. Like L2 only for plain gradient descent"
        " near a quadratic minimum, where $\\tau\\eta\\lambda_i \\ll 1$."
    )
    assert body["cheatsheet"]["groups"][3]["items"][0] == {
        "term": "Early Stop",
        "text": "Halt when val plateaus",
        "card": "early-stopping",
        "formula": formula,
        "formula_mathml": latex_to_mathml(formula, display=True),
        "tip": tip,
        "tip_html": tip.split("$")[0]
        + '<span class="math inline">'
        + latex_to_mathml(r"\tau\eta\lambda_i \ll 1", display=False)
        + "</span>.",
    }
    assert len(body["cards"]) == 20
    assert body["cards"][0] == {
        "id": "what-is-regularization",
        "deck": "regularization",
        "number": 1,
        "question": "What is regularization in deep learning? Why is it needed?",
        "difficulty": "easy",
        "topics": ["bias-variance"],
        "demo": "polynomial-fit",
        "url": "/decks/regularization/cards/what-is-regularization",
        "api_url": "/api/v1/decks/regularization/cards/what-is-regularization",
    }
