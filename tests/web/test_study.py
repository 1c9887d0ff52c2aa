"""The study page, driven as plain HTML forms (no JavaScript)."""

import uuid
from pathlib import Path

from bs4 import Tag
from fastapi.testclient import TestClient

from app import migrate
from app.config import Settings
from app.main import create_app
from tests.accounts.test_accounts import signup
from tests.helpers import attr, soup, text_of


def hidden_fields(form: Tag) -> dict[str, str]:
    """Return the names and values of a form's hidden fields."""
    return {str(f["name"]): str(f.get("value", "")) for f in form.select("input[type=hidden]")}


def grade_form(client: TestClient, rating: int, query: str = "") -> tuple[str, dict[str, str]]:
    """Return the card shown and the form data that grades it (its question skipped by Show)."""
    page = soup(client.get(f"/study{query}"))
    question = page.select_one("form[data-quiz-form]")
    if question is not None:
        page = soup(
            client.post(str(question["action"]), data={**hidden_fields(question), "show": "1"})
        )
    form = page.select_one("form[data-grade-form]")
    assert form is not None
    data = hidden_fields(form)
    data["rating"] = str(rating)
    return attr(page, "article.flashcard", "data-card"), data


def test_study_page_shows_question_and_grades(user_client: TestClient) -> None:
    page = soup(user_client.get("/study"))
    assert text_of(page, ".flashcard__question") == (
        "What is regularization in deep learning? Why is it needed?"
    )
    # The demo's question comes first; Show reveals the answer and the grades.
    question = page.select_one("form[data-quiz-form]")
    assert question is not None
    assert page.select_one("details.reveal") is None
    page = soup(user_client.post("/study/quiz", data={**hidden_fields(question), "show": "1"}))
    assert page.select_one("details.reveal").has_attr("open")  # type: ignore[union-attr]
    buttons = page.select("form[data-grade-form] button[name=rating]")
    assert [button["value"] for button in buttons] == ["1", "2", "3", "4"]
    assert [text_of(button, ".grade__interval") for button in buttons][:3] == ["1m", "6m", "10m"]
    assert text_of(page, "[data-count=new]") == "20"


def test_a_card_whose_demo_asks_nothing_is_studied_as_before(
    tmp_path: Path, content_copy: Path
) -> None:
    card = content_copy / "regularization/cards/01-what-is-regularization.yaml"
    text = card.read_text(encoding="utf-8")
    card.write_text(text.replace("demo: polynomial-fit\n", ""), encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path / "data", content_dir=content_copy, warm_demos=False, _env_file=None
    )
    app = create_app(settings)
    migrate.upgrade(app.state.engine)
    with TestClient(app) as client:
        signup(client)
        page = soup(client.get("/study"))
        assert attr(page, "article.flashcard", "data-card") == "what-is-regularization"
        assert page.select("form[data-quiz-form], [data-study-quiz], img") == []
        assert not page.select_one("details.reveal").has_attr("open")  # type: ignore[union-attr]
        buttons = page.select("form[data-grade-form] button[name=rating]")
        assert [button["value"] for button in buttons] == ["1", "2", "3", "4"]
        assert page.select("[data-suggested], [autofocus]") == []
        form = page.select_one("form[data-grade-form]")
        assert form is not None
        data = {**hidden_fields(form), "card_id": "what-is-regularization", "seed": "0"}
        response = client.post("/study/quiz", data={**data, "attempt_id": str(uuid.uuid4())})
        assert response.status_code == 409
        assert text_of(soup(response), "[data-notice]").startswith("card_id: ")
    app.state.engine.dispose()


def test_grading_moves_to_the_next_card(user_client: TestClient) -> None:
    card_id, data = grade_form(user_client, 4)
    response = user_client.post("/study/review", data=data, follow_redirects=False)
    assert response.status_code == 303
    page = soup(user_client.get(response.headers["location"]))
    assert attr(page, "article.flashcard", "data-card") == "l2-weight-decay"
    assert text_of(page, "[data-count=new]") == "19"
    # The same form again (a double submit) records nothing more.
    assert user_client.post("/study/review", data=data).status_code == 200
    progress = soup(user_client.get("/progress"))
    assert text_of(progress, "[data-stat=reviews-today]") == "1"
    assert card_id == "what-is-regularization"


def test_a_stale_form_gets_409_and_a_clear_message(user_client: TestClient) -> None:
    _card, data = grade_form(user_client, 3)
    user_client.post("/study/review", data=data)
    stale = {**data, "review_id": "0b0b5a4c-2d3e-4f50-8a6b-7c8d9e0f1a2b"}
    response = user_client.post("/study/review", data=stale)
    assert response.status_code == 409
    assert "graded in another tab" in text_of(soup(response), "[data-notice]")


def test_undo_form(user_client: TestClient) -> None:
    _card, data = grade_form(user_client, 4)
    user_client.post("/study/review", data=data)
    token = user_client.cookies["prepdeck_csrf"]
    response = user_client.post("/study/undo", data={"csrf_token": token}, follow_redirects=False)
    assert response.headers["location"] == "/study?undone=what-is-regularization"
    page = soup(user_client.get(response.headers["location"]))
    assert "Undone" in text_of(page, "[data-notice]")
    assert attr(page, "article.flashcard", "data-card") == "what-is-regularization"


def test_bury_and_suspend_forms(user_client: TestClient) -> None:
    token = user_client.cookies["prepdeck_csrf"]
    user_client.post("/study/bury", data={"csrf_token": token, "card_id": "what-is-regularization"})
    user_client.post("/study/suspend", data={"csrf_token": token, "card_id": "l2-weight-decay"})
    page = soup(user_client.get("/study"))
    assert attr(page, "article.flashcard", "data-card") == "l1-vs-l2"
    assert text_of(soup(user_client.get("/progress")), "[data-state=suspended] dd") == "1"


def test_burying_a_card_in_learning_shows_why_not(user_client: TestClient) -> None:
    """Learning cards are not buried (Anki's manual: "time is of the essence for those
    cards"): the form answers 409 with the reason, and the card stays in learning."""
    card_id, data = grade_form(user_client, 1)
    user_client.post("/study/review", data=data)
    token = user_client.cookies["prepdeck_csrf"]
    response = user_client.post("/study/bury", data={"csrf_token": token, "card_id": card_id})
    assert response.status_code == 409
    assert "learning cards are not buried" in text_of(soup(response), "[data-notice]")


def test_filters_on_the_study_page(user_client: TestClient) -> None:
    page = soup(user_client.get("/study?topic=batch-norm&difficulty=hard"))
    assert attr(page, "article.flashcard", "data-card") == "bn-ln-in"
    assert attr(page, "form[data-quiz-form] input[name=topic]", "value") == "batch-norm"
    _card, data = grade_form(user_client, 3, "?topic=batch-norm&difficulty=hard")
    assert (data["topic"], data["difficulty"]) == ("batch-norm", "hard")
    response = user_client.get("/study?topic=nope")
    assert response.status_code == 422
    assert "unknown topic 'nope'" in text_of(soup(response), ".error-page__messages")


def test_practice_mode_changes_nothing(user_client: TestClient) -> None:
    page = soup(user_client.get("/study?practice=true"))
    assert "never changes your schedule" in page.get_text()
    # Practice asks no question first: the answer is behind the reveal, as always.
    assert page.select("form[data-quiz-form], [data-study-quiz], img") == []
    assert page.select_one("details.reveal a[data-practice-next]") is not None
    link = attr(page, "a[data-practice-next]", "href")
    assert link.endswith("practice=true&after=what-is-regularization")
    page = soup(user_client.get(link))
    assert attr(page, "article.flashcard", "data-card") == "l2-weight-decay"
    assert text_of(soup(user_client.get("/progress")), "[data-stat=total]") == "0"


def test_nav_shows_the_users_links(user_client: TestClient) -> None:
    page = soup(user_client.get("/decks/regularization"))
    links = [a.get_text(strip=True) for a in page.select(".site-nav a")]
    assert links == ["Decks", "Study", "Interview", "Progress", "Browse", "Plan", "Settings"]
    assert attr(page, 'meta[name="csrf-token"]', "content") == user_client.cookies["prepdeck_csrf"]
