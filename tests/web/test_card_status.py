"""The card page's panel of the reader's state of the card, and its Bury/Suspend forms."""

import pytest
from fastapi.testclient import TestClient

from tests.helpers import attr, soup, text_of
from tests.web.test_study import grade_form, hidden_fields

DECK = "/decks/regularization"
CARD = f"{DECK}/cards/dropout"


def flag_form(client: TestClient, action: str, card: str = CARD) -> dict[str, str]:
    """Return the hidden fields of the card page's form for an action."""
    page = soup(client.get(card))
    button = page.select_one(f"#status button[data-action={action}]")
    assert button is not None, action
    form = button.find_parent("form")
    assert form is not None
    assert form["action"] == f"{card}/flag"
    return hidden_fields(form)


def test_a_guest_sees_no_progress_panel(client: TestClient) -> None:
    page = soup(client.get(CARD))
    assert page.select("#status") == []
    assert page.select("form[action$='/flag']") == []


def test_a_new_card_says_so_and_offers_study_bury_and_suspend(user_client: TestClient) -> None:
    page = soup(user_client.get(CARD))
    assert text_of(page, "#status [data-state]") == "New"
    assert page.select("#status [data-flag]") == []
    assert text_of(page, "#status [data-due]") == "Not studied yet."
    assert attr(page, "#status a[data-study]", "href") == "/study?cards=dropout"
    assert text_of(page, "#status a[data-study]") == "Study this card"
    buttons = [b.get_text(strip=True) for b in page.select("#status button")]
    assert buttons == ["Bury until tomorrow", "Suspend"]
    fields = flag_form(user_client, "suspend")
    assert fields["next"] == f"{CARD}#status"
    assert fields["csrf_token"] == user_client.cookies["prepdeck_csrf"]


def test_suspend_then_unsuspend_from_the_card_page(user_client: TestClient) -> None:
    response = user_client.post(
        f"{CARD}/flag", data=flag_form(user_client, "suspend"), follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{CARD}#status"
    page = soup(user_client.get(CARD))
    assert [f.get_text(strip=True) for f in page.select("#status [data-flag]")] == ["Suspended"]
    assert text_of(page, "#status [data-due]").startswith("Suspended: study skips it")
    assert attr(page, "#status a[data-study]", "href") == "/study?deck=regularization"
    assert [b["data-action"] for b in page.select("#status button")] == ["unsuspend"]
    user_client.post(f"{CARD}/flag", data=flag_form(user_client, "unsuspend"))
    page = soup(user_client.get(CARD))
    assert page.select("#status [data-flag]") == []


def test_bury_then_unbury_from_the_card_page(user_client: TestClient) -> None:
    user_client.post(f"{CARD}/flag", data=flag_form(user_client, "bury"))
    page = soup(user_client.get(CARD))
    assert [f["data-flag"] for f in page.select("#status [data-flag]")] == ["buried"]
    assert text_of(page, "#status [data-due]").startswith("Buried until")
    assert "(UTC)" in text_of(page, "#status [data-due]")
    assert [b["data-action"] for b in page.select("#status button")] == ["unbury", "suspend"]
    user_client.post(f"{CARD}/flag", data=flag_form(user_client, "unbury"))
    assert soup(user_client.get(CARD)).select("#status [data-flag]") == []


def test_a_graded_card_shows_its_state_and_due_date(user_client: TestClient) -> None:
    card_id, data = grade_form(user_client, 1)  # Again: the card is in learning
    user_client.post("/study/review", data=data)
    page = soup(user_client.get(f"{DECK}/cards/{card_id}"))
    assert text_of(page, "#status [data-state]") == "Learning"
    assert text_of(page, "#status [data-due]").startswith("Due ")
    assert "(UTC), today." in text_of(page, "#status [data-due]")
    assert "1 review, 1 lapse" not in text_of(page, "#status")  # a first Again is no lapse
    assert "1 review." in text_of(page, "#status")
    assert attr(page, "#status a[data-study]", "href") == f"/study?cards={card_id}"
    assert [b["data-action"] for b in page.select("#status button")] == ["suspend"]


def test_burying_a_card_in_learning_shows_why_not(user_client: TestClient) -> None:
    card_id, data = grade_form(user_client, 1)
    user_client.post("/study/review", data=data)
    card = f"{DECK}/cards/{card_id}"
    fields = {**flag_form(user_client, "suspend", card), "action": "bury"}
    response = user_client.post(f"{card}/flag", data=fields)
    assert response.status_code == 409
    page = soup(response)
    assert "is in learning" in text_of(page, "#status [data-flag-error]")
    assert text_of(page, "#status [data-state]") == "Learning"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
    ids=["two-slashes", "scheme", "backslash", "tab", "newline", "javascript", "relative"],
)
def test_next_leads_only_to_this_site(user_client: TestClient, target: str) -> None:
    fields = {**flag_form(user_client, "suspend"), "next": target}
    response = user_client.post(f"{CARD}/flag", data=fields, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"{CARD}#status"


def test_next_may_lead_to_another_page_of_this_site(user_client: TestClient) -> None:
    fields = {**flag_form(user_client, "suspend"), "next": "/study?deck=regularization"}
    response = user_client.post(f"{CARD}/flag", data=fields, follow_redirects=False)
    assert response.headers["location"] == "/study?deck=regularization"


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"action": "delete"}, 422, "action"),
        ({"action": "bury\x00"}, 422, "action"),
        ({"action": ""}, 422, "action"),
        ({"next": "/" + "x" * 2001}, 422, "next"),
        ({"next": "/ok\x00"}, 422, "next"),
    ],
    ids=["unknown-action", "nul", "blank", "huge-next", "nul-in-next"],
)
def test_bad_input_is_refused_naming_the_field(
    user_client: TestClient, change: dict[str, str], status: int, message: str
) -> None:
    fields = {**flag_form(user_client, "suspend"), **change}
    response = user_client.post(f"{CARD}/flag", data=fields)
    assert response.status_code == status
    assert message in response.text
    assert soup(user_client.get(CARD)).select("#status [data-flag]") == []


def test_the_form_needs_its_csrf_token(user_client: TestClient) -> None:
    fields = {**flag_form(user_client, "suspend"), "csrf_token": "forged"}
    response = user_client.post(f"{CARD}/flag", data=fields)
    assert response.status_code == 403
    assert soup(user_client.get(CARD)).select("#status [data-flag]") == []


def test_a_guest_is_sent_to_log_in(client: TestClient) -> None:
    client.get(CARD)
    fields = {"csrf_token": client.cookies["prepdeck_csrf"], "action": "suspend"}
    response = client.post(f"{CARD}/flag", data=fields, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_an_unknown_card_answers_404(user_client: TestClient) -> None:
    fields = flag_form(user_client, "suspend")
    assert user_client.post(f"{DECK}/cards/nope/flag", data=fields).status_code == 404
