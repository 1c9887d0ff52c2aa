"""The deck page's search: most relevant cards first, the matched words in <mark>, escaped."""

import re
from pathlib import Path

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.helpers import soup, text_of

DECK = "/decks/regularization"


def test_searching_dropout_lists_dropout_cards_before_batch_norm(client: TestClient) -> None:
    page = soup(client.get(f"{DECK}?q=Dropout"))
    numbers = [text_of(row, ".card-row__number") for row in page.select(".card-row")]
    assert numbers[:3] == ["4", "5", "13"]
    assert numbers.index("6") > 2
    assert text_of(page, "#card-dropout .card-row__question mark") == "Dropout"
    assert page.select_one("#card-dropout .card-row__excerpt") is None


def test_a_match_in_the_answer_shows_an_excerpt_with_the_word_marked(client: TestClient) -> None:
    page = soup(client.get(f"{DECK}?q=dropout"))
    row = page.select_one("#card-batch-norm-regularization")
    assert row is not None
    assert row.select(".card-row__question mark") == []
    assert text_of(row, ".card-row__excerpt .card-row__where") == "Answer:"
    assert [mark.get_text() for mark in row.select(".card-row__excerpt mark")] == ["dropout"]


def test_every_word_is_marked_and_nothing_without_a_search(client: TestClient) -> None:
    page = soup(client.get(f"{DECK}?q=weight+DECAY"))
    marks = [mark.get_text() for mark in page.select("#card-adamw .card-row__question mark")]
    assert [mark.casefold() for mark in marks] == ["weight", "decay"]
    assert soup(client.get(DECK)).select("mark") == []


def test_marks_never_land_inside_tags_or_entities(tmp_path: Path, content_copy: Path) -> None:
    card = content_copy / "regularization/cards/04-dropout.yaml"
    text = card.read_text(encoding="utf-8")
    question = "question: 'What is <em class=mark>Dropout</em> in R&amp;D? Why?'"
    card.write_text(
        text.replace("question: What is Dropout? Why does it prevent overfitting?", question, 1),
        encoding="utf-8",
    )
    settings = Settings(
        data_dir=tmp_path / "data", content_dir=content_copy, warm_demos=False, _env_file=None
    )
    with TestClient(create_app(settings)) as client:
        for word in ("em", "mark", "amp", "lt", "class"):
            response = client.get(f"{DECK}?q={word}")
            assert response.status_code == 200
            question_html = str(soup(response).select_one("#card-dropout .card-row__question"))
            assert "<em" not in question_html, word
            assert not re.search(r"&[a-z#0-9]*<mark>", question_html), word  # inside an entity
        row = soup(client.get(f"{DECK}?q=em"))
        marks = [mark.get_text() for mark in row.select("#card-dropout .card-row__question mark")]
        assert marks == ["em", "em"]  # the text's "<em" and "</em", as text
        row = soup(client.get(f"{DECK}?q=amp"))
        link = row.select_one("#card-dropout .card-row__question")
        assert link is not None
        question_text = link.get_text()
        assert "What is <em class=mark>Dropout</em> in R&amp;D? Why?" in question_text
        assert text_of(row, "#card-dropout .card-row__question mark") == "amp"
