"""Home and deck pages: a logged-in user's cards due today and Study now; the study view's link
to the full card page."""

from fastapi.testclient import TestClient

from tests.helpers import attr, soup, text_of
from tests.web.test_study import grade_form

DECK = "/decks/regularization"


def test_a_guest_sees_no_counts(client: TestClient) -> None:
    for path in ("/", DECK):
        page = soup(client.get(path))
        assert page.select("[data-due-counts]") == [], path
        assert page.select("[data-study-now]") == [], path


def test_home_shows_each_decks_counts_and_study_now(user_client: TestClient) -> None:
    page = soup(user_client.get("/"))
    tile = page.select_one(".deck-tile [data-due-counts=regularization]")
    assert tile is not None
    assert (text_of(tile, "[data-due]"), text_of(tile, "[data-new]")) == ("0", "20")
    assert text_of(tile, ".due-today__counts") == "0 due · 20 new today"
    assert attr(tile, "a[data-study-now]", "href") == "/study?deck=regularization"
    assert text_of(tile, "a[data-study-now]") == "Study now"


def test_a_graded_card_counts_as_due_and_leaves_the_new_ones(user_client: TestClient) -> None:
    _card, data = grade_form(user_client, 1)  # Again: due again in a minute
    user_client.post("/study/review", data=data)
    for path in ("/", DECK):
        page = soup(user_client.get(path))
        assert text_of(page, "[data-due-counts=regularization] [data-due]") == "1", path
        assert text_of(page, "[data-due-counts=regularization] [data-new]") == "19", path


def test_the_deck_page_shows_study_now(user_client: TestClient) -> None:
    page = soup(user_client.get(DECK))
    assert text_of(page, ".hero [data-due-counts] .due-today__counts") == "0 due · 20 new today"
    assert attr(page, ".hero a[data-study-now]", "href") == "/study?deck=regularization"


def test_nothing_left_today_offers_practice(user_client: TestClient) -> None:
    response = user_client.post(
        "/settings",
        data={
            "csrf_token": user_client.cookies["prepdeck_csrf"],
            "desired_retention": "0.9",
            "new_per_day": "0",
            "reviews_per_day": "200",
            "timezone": "UTC",
            "day_starts_at": "4",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = soup(user_client.get(DECK))
    assert text_of(page, "[data-nothing-due]") == "Nothing due today."
    assert page.select("[data-study-now]") == []
    assert attr(page, "a[data-practise]", "href") == "/study?deck=regularization&practice=true"


def test_the_study_view_links_the_full_card_page(user_client: TestClient) -> None:
    page = soup(user_client.get("/study"))
    card_id = attr(page, "article.flashcard", "data-card")
    assert attr(page, "article.flashcard a[data-card-page]", "href") == f"{DECK}/cards/{card_id}"
    assert text_of(page, "a[data-card-page]") == "Full card page"
