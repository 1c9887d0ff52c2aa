"""Prediction accuracy on Progress in a real browser: answered on card pages, read at two widths."""

import pytest
from playwright.sync_api import Page, expect

from app.figures.questions import LETTERS, ask
from app.figures.registry import demos
from tests.e2e.conftest import Tab
from tests.e2e.test_study_quiz import sign_up

# Cards whose demos ask, the card page's demo of each.
CARDS = {"l1-vs-l2": "l1-vs-l2", "dropout": "dropout-mask"}


def answer(page: Page, base_url: str, card_id: str, *, right: bool) -> None:
    """Answer the card's question (with JavaScript: no page reload) rightly or wrongly."""
    page.goto(f"{base_url}/decks/regularization/cards/{card_id}")
    if page.locator("form[data-quiz-form]").count() == 0:
        page.click("button[data-predict-toggle]")
    expect(page.locator("form[data-quiz-form]")).to_be_visible()
    seed = int(page.locator("form[data-quiz-form] input[name=seed]").input_value())
    question = ask(demos()[CARDS[card_id]], seed).question
    if question.kind == "choice":
        letter = (
            question.expected
            if right
            else next(x for x in LETTERS[: len(question.choices)] if x != question.expected)
        )
        page.check(f"form[data-quiz-form] input[type=radio][value={letter}]")
    else:
        value = question.value if right else question.value + 10 * question.tolerance + 1
        page.fill("#quiz-answer", f"{value:g}")
    page.click("button[data-quiz-check]")
    expect(page.locator("[data-verdict]")).to_have_attribute(
        "data-verdict", "right" if right else "wrong"
    )
    # The reader sees the figures drawn before moving on: a figure still being drawn holds one
    # of the few renders a client may have under way, and the next pages ask for more.
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_progress_lists_the_missed_predictions_at_phone_and_desktop_width(
    phone: Tab, desktop: Tab, base_url: str, scheme: str
) -> None:
    page = phone.page
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    sign_up(page, base_url)
    answer(page, base_url, "l1-vs-l2", right=False)
    answer(page, base_url, "dropout", right=False)
    answer(page, base_url, "dropout", right=True)

    page.goto(f"{base_url}/progress")
    expect(page.locator("[data-stat=predictions-30]")).to_have_text("33%")
    items = page.locator(".revisit__item")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_have_attribute("data-card", "l1-vs-l2")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.shot(f"phone-{scheme}")

    # The link goes to the card's demo.
    items.nth(0).locator("a").click()
    expect(page).to_have_url(f"{base_url}/decks/regularization/cards/l1-vs-l2#demo")

    # The same account at desktop width.
    cookies = page.context.cookies()
    desktop.page.context.add_cookies(cookies)  # type: ignore[arg-type]
    desktop.page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    desktop.page.goto(f"{base_url}/progress")
    expect(desktop.page.locator(".revisit__item")).to_have_count(2)
    desktop.page.click(".prediction-cards summary")
    expect(desktop.page.locator(".prediction-cards tbody tr")).to_have_count(2)
    assert desktop.page.evaluate("document.documentElement.scrollWidth") <= 1280
    desktop.shot(f"desktop-{scheme}")
    assert phone.errors == []
    assert desktop.errors == []
