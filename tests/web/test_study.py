"""The study page, driven as plain HTML forms (no JavaScript)."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup, Tag
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import update

from app import migrate, urls
from app.config import Settings
from app.main import create_app
from app.models import CardState, User
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


QUESTION_1 = "What is regularization in deep learning? Why is it needed?"


def test_undo_form(user_client: TestClient) -> None:
    _card, data = grade_form(user_client, 4)
    since = data["since"]
    user_client.post("/study/review", data=data)
    token = user_client.cookies["prepdeck_csrf"]
    response = user_client.post(
        "/study/undo", data={"csrf_token": token, "since": since}, follow_redirects=False
    )
    assert response.headers["location"] == (
        f"/study?{urlencode({'since': since})}&undone=what-is-regularization&undid=easy"
    )
    page = soup(user_client.get(response.headers["location"]))
    assert text_of(page, "[data-notice]") == f"Undid your “Easy” on “{QUESTION_1}”"
    assert attr(page, "article.flashcard", "data-card") == "what-is-regularization"
    # The session goes on: the page's forms carry its start along.
    assert attr(page, "form[data-quiz-form] input[name=since]", "value") == since


def test_the_study_page_starts_a_session_when_first_opened(user_client: TestClient) -> None:
    before = datetime.now(UTC)
    page = soup(user_client.get("/study"))
    since = datetime.fromisoformat(attr(page, ".study-filter input[name=since]", "value"))
    assert before <= since <= datetime.now(UTC)
    forms = page.select("[data-study] form[method=post]")
    assert forms
    assert {str(form.select_one("input[name=since]")["value"]) for form in forms} == {  # type: ignore[index]
        since.isoformat()
    }
    kept = "2026-01-02T03:04:05+00:00"
    page = soup(user_client.get("/study", params={"since": kept}))
    assert attr(page, ".study-filter input[name=since]", "value") == kept


@pytest.mark.parametrize(
    ("since", "why"),
    [
        ("2026-01-02T03:04:05", "timezone info"),
        ("yesterday", "valid datetime"),
        ("9999-12-31T23:59:59-05:00", "since: give a date and time between the years 1 and 9999"),
        ("0001-01-01T00:00:00+05:00", "since: give a date and time between the years 1 and 9999"),
        ("2026-01-02T03:04:05\x00+00:00", "NUL character"),
    ],
)
def test_a_bad_session_start_is_refused_with_the_reason(
    user_client: TestClient, since: str, why: str
) -> None:
    response = user_client.get("/study", params={"since": since})
    assert response.status_code == 422
    assert why in response.text
    token = user_client.cookies["prepdeck_csrf"]
    response = user_client.post("/study/undo", data={"csrf_token": token, "since": since})
    assert response.status_code == 422
    assert why in response.text


def post_form(client: TestClient, form: Tag | None) -> Response:
    """Post a form of a page as a browser would, without following the redirect."""
    assert form is not None
    return client.post(str(form["action"]), data=hidden_fields(form), follow_redirects=False)


def test_bury_says_what_it_did_and_offers_undo(user_client: TestClient) -> None:
    page = soup(user_client.get("/study"))
    since = attr(page, ".study-filter input[name=since]", "value")
    response = post_form(user_client, page.select_one(f"form[action='{urls.study_flag('bury')}']"))
    assert response.headers["location"] == (
        f"/study?{urlencode({'since': since})}&buried=what-is-regularization"
    )
    page = soup(user_client.get(response.headers["location"]))
    # The default day starts at 04:00 in UTC.
    assert text_of(page, "[data-notice] span") == f"Buried “{QUESTION_1}” until 04:00 UTC"
    assert attr(page, "article.flashcard", "data-card") == "l2-weight-decay"
    undo = page.select_one("[data-notice] form")
    assert undo is not None
    assert text_of(undo, "button") == "Undo"
    response = post_form(user_client, undo)
    page = soup(user_client.get(response.headers["location"]))
    assert text_of(page, "[data-notice]") == f"Unburied “{QUESTION_1}”"
    assert page.select("[data-notice] form") == []
    assert attr(page, "article.flashcard", "data-card") == "what-is-regularization"


def test_suspend_says_what_it_did_and_offers_undo(user_client: TestClient) -> None:
    page = soup(user_client.get("/study"))
    response = post_form(
        user_client, page.select_one(f"form[action='{urls.study_flag('suspend')}']")
    )
    page = soup(user_client.get(response.headers["location"]))
    assert text_of(page, "[data-notice] span") == (
        f"Suspended “{QUESTION_1}”: it stays out of your reviews until you unsuspend it"
    )
    response = post_form(user_client, page.select_one("[data-notice] form"))
    page = soup(user_client.get(response.headers["location"]))
    assert text_of(page, "[data-notice]") == f"Unsuspended “{QUESTION_1}”"
    assert attr(page, "article.flashcard", "data-card") == "what-is-regularization"
    assert text_of(soup(user_client.get("/progress")), "[data-state=suspended] dd") == "0"


def test_a_flag_notice_is_shown_only_while_it_is_true(user_client: TestClient) -> None:
    # A link to the notice of a card that is not buried (undone meanwhile) says nothing.
    page = soup(user_client.get("/study?buried=what-is-regularization"))
    assert page.select("[data-notice]") == []
    page = soup(user_client.get("/study?suspended=l2-weight-decay"))
    assert page.select("[data-notice]") == []


def test_undo_after_bury_undoes_the_bury_not_the_grade_before(user_client: TestClient) -> None:
    _card, data = grade_form(user_client, 4)
    user_client.post("/study/review", data=data)
    page = soup(user_client.get(f"/study?{urlencode({'since': data['since']})}"))
    assert attr(page, "article.flashcard", "data-card") == "l2-weight-decay"
    post_form(user_client, page.select_one(f"form[action='{urls.study_flag('bury')}']"))
    page = soup(user_client.get(f"/study?{urlencode({'since': data['since']})}"))
    response = post_form(user_client, page.select_one("form[action='/study/undo']"))
    page = soup(user_client.get(response.headers["location"]))
    assert text_of(page, "[data-notice]") == (
        "Unburied “Explain L2 regularization (weight decay). How does it work?”"
    )
    progress = soup(user_client.get("/progress"))
    assert text_of(progress, "[data-stat=reviews-today]") == "1"
    # The next undo takes back the grade.
    response = post_form(user_client, page.select_one("form[action='/study/undo']"))
    page = soup(user_client.get(response.headers["location"]))
    assert text_of(page, "[data-notice]") == f"Undid your “Easy” on “{QUESTION_1}”"


def test_undo_stops_at_the_start_of_the_session(user_client: TestClient) -> None:
    _card, data = grade_form(user_client, 3)
    user_client.post("/study/review", data=data)
    # A new session: the study page opened again, after that grade.
    page = soup(user_client.get("/study"))
    since = attr(page, ".study-filter input[name=since]", "value")
    assert since > data["since"]
    response = post_form(user_client, page.select_one("form[action='/study/undo']"))
    assert response.headers["location"] == f"/study?{urlencode({'since': since})}&undid=nothing"
    page = soup(user_client.get(response.headers["location"]))
    assert text_of(page, "[data-notice] span") == "Nothing to undo in this session."
    assert text_of(progress_of(user_client), "[data-stat=reviews-today]") == "1"
    earlier = page.select_one("[data-notice] form")
    assert earlier is not None
    assert text_of(earlier, "button") == "Undo an earlier action"
    assert hidden_fields(earlier)["earlier"] == "1"
    # Asked on purpose, it goes on past the start; the session keeps its start.
    response = post_form(user_client, earlier)
    assert response.headers["location"].startswith(f"/study?{urlencode({'since': since})}&")
    page = soup(user_client.get(response.headers["location"]))
    assert text_of(page, "[data-notice]") == f"Undid your “Good” on “{QUESTION_1}”"
    assert text_of(progress_of(user_client), "[data-stat=reviews-today]") == "0"
    # Nothing left at all: said so, with nothing more to offer.
    response = post_form(user_client, page.select_one("form[action='/study/undo']"))
    assert response.status_code == 409
    assert text_of(soup(response), "[data-notice]") == "There is nothing to undo."
    assert soup(response).select("[data-notice] form") == []


def progress_of(client: TestClient) -> BeautifulSoup:
    """Return the progress page."""
    return soup(client.get("/progress"))


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
    # The first account is the server's admin.
    assert links == [
        "Decks", "Study", "Interview", "Progress", "Browse", "Plan", "Settings", "Account", "Admin"
    ]  # fmt: skip
    assert attr(page, 'meta[name="csrf-token"]', "content") == user_client.cookies["prepdeck_csrf"]


def test_all_done_gives_the_next_learning_card_in_the_users_zone(
    user_client: TestClient, app: FastAPI
) -> None:
    only = "?cards=what-is-regularization"
    _card, data = grade_form(user_client, 1, only)
    user_client.post("/study/review", data=data)
    now = datetime.now(UTC)
    due = now + timedelta(hours=2)  # in learning, due past the learn-ahead limit
    # The study day starts about 12 hours from now in Tokyo, so due falls within today
    # whenever the test runs (a learning card due after the day ends is tomorrow's).
    starts_at = (now.astimezone(ZoneInfo("Asia/Tokyo")).hour + 12) % 24
    with app.state.sessionmaker() as session:
        session.execute(update(User).values(timezone="Asia/Tokyo", day_starts_at=starts_at))
        session.execute(update(CardState).values(due=due))
        session.commit()
    page = soup(user_client.get(f"/study{only}"))
    assert datetime.fromisoformat(attr(page, ".done time", "datetime")) == due
    local = due.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M")
    shown = page.select_one(".done p")
    assert shown is not None
    assert shown.get_text() == f"More learning cards are due at {local} JST."


def kbd_outside_js_only(page: BeautifulSoup) -> list[str]:
    """Return the keys a page names outside elements shown only with JavaScript (the letters
    of a question's choices are their labels, which the verdict names)."""
    return [
        kbd.get_text()
        for kbd in page.select("kbd:not(.quiz__letter)")
        if not any("js-only" in tag.get_attribute_list("class") for tag in [kbd, *kbd.parents])
    ]


def test_key_hints_name_only_the_keys_that_work(user_client: TestClient) -> None:
    page = soup(user_client.get("/study"))
    # The card's question first: its keys, and undo (grades wait for the answer).
    assert text_of(page, "[data-key-hint]") == (
        "Keys: a – e pick, Enter check, Space show without answering · u undo"
    )
    assert kbd_outside_js_only(page) == []
    question = page.select_one("form[data-quiz-form]")
    assert question is not None
    page = soup(user_client.post("/study/quiz", data={**hidden_fields(question), "show": "1"}))
    assert text_of(page, "[data-key-hint]") == (
        "Keys: Space show answer · 1 – 4 again, hard, good, easy · u undo"
    )
    assert kbd_outside_js_only(page) == []
    # Practice: no grades, no undo; 3 goes to the next card.
    page = soup(user_client.get("/study?practice=true"))
    assert text_of(page, "[data-key-hint]") == "Keys: Space show answer · 3 next card"
    assert page.select("[data-undo]") == []
    assert kbd_outside_js_only(page) == []
    # Without JavaScript (no .js on the document) the hints are hidden.
    assert "js-only" in page.select_one("[data-key-hint]")["class"]  # type: ignore[index]
