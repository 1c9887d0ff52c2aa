"""The URL builders: every path they make is one the app serves, and blank filters drop out."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from app import urls

DECK, CARD, DEMO = "regularization", "dropout", "dropout-mask"
RESET = "00000000-0000-4000-8000-000000000001"

PATHS: list[Callable[[], str]] = [
    urls.home,
    lambda: urls.deck(DECK),
    lambda: urls.topic(DECK, "dropout"),
    lambda: urls.cheatsheet(DECK),
    lambda: urls.card(DECK, CARD),
    lambda: urls.quiz(DECK, CARD),
    lambda: urls.predict_first(DECK, CARD),
    lambda: urls.card_flag(DECK, CARD),
    urls.study,
    urls.study_review,
    urls.study_quiz,
    urls.study_undo,
    lambda: urls.study_flag("bury"),
    urls.progress,
    urls.settings,
    lambda: urls.settings_export("csv"),
    lambda: urls.settings_retention_chart("0"),
    urls.settings_import,
    urls.account,
    urls.password,
    urls.logout_everywhere,
    urls.account_delete,
    urls.goodbye,
    urls.api_me,
    urls.login,
    urls.signup,
    urls.logout,
    urls.docs,
    urls.api_decks,
    lambda: urls.api_deck(DECK),
    lambda: urls.api_deck_apkg(DECK),
    lambda: urls.api_cards(DECK),
    lambda: urls.api_card(DECK, CARD),
    lambda: urls.api_quiz(DECK, CARD, 1),
    urls.api_demos,
    lambda: urls.api_demo(DEMO),
    lambda: urls.api_demo_image(DEMO, "svg"),
    lambda: urls.api_demo_data(DEMO),
    urls.api_progress,
    urls.api_study_settings,
    urls.api_retention,
    urls.api_login,
    urls.api_import,
    urls.browse,
    urls.browse_actions,
    urls.browse_reset,
    lambda: urls.browse_undo(RESET),
    urls.api_browse,
    urls.api_card_actions,
    lambda: urls.api_reset_undo(RESET),
    urls.admin,
    urls.admin_signup,
    lambda: urls.admin_user_action(1),
    lambda: urls.admin_reset_link(1),
    lambda: urls.admin_delete(1),
    urls.api_admin_users,
    lambda: urls.api_admin_user(1),
    lambda: urls.api_admin_reset_link(1),
    urls.api_admin_settings,
]


@pytest.mark.parametrize("build", PATHS)
def test_every_built_path_has_a_route(client: TestClient, build: Callable[[], str]) -> None:
    # A guest's GET: pages ask for a login (303), writes refuse the method (405), never 404.
    response = client.get(build(), follow_redirects=False)
    assert response.status_code in {200, 303, 401, 405}, (build(), response.status_code)


def test_blank_values_leave_the_query() -> None:
    assert urls.study({"deck": "", "topic": None, "difficulty": "easy"}) == (
        "/study?difficulty=easy"
    )
    assert urls.study({"deck": DECK}, practice="true", after=CARD) == (
        f"/study?deck={DECK}&practice=true&after={CARD}"
    )
    assert (
        urls.api_cards(DECK, [("q", "a b"), ("topic", "")]) == f"/api/v1/decks/{DECK}/cards?q=a+b"
    )
    assert urls.account({"password_changed": "true"}, "password") == (
        "/account?password_changed=true#password"
    )
    assert urls.login("/study?deck=x") == "/login?next=%2Fstudy%3Fdeck%3Dx"
