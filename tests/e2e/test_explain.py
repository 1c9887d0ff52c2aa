"""Explain it back in a real browser: keyboard only, Ctrl+Enter, at phone and desktop width."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Tab
from tests.e2e.test_browser import tab_to
from tests.e2e.test_study_quiz import sign_up

CARD = "/decks/regularization/cards/dropout"
ANSWER = (
    "During training dropout randomly switches off each neuron with probability p, so units "
    "cannot co-adapt; at test time nothing is dropped."
)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_explain_a_card_with_the_keyboard_at_phone_width(
    phone: Tab, base_url: str, scheme: str
) -> None:
    page = phone.page
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    page.goto(base_url + CARD)
    expect(page.locator("details.reveal")).not_to_have_attribute("open", "")
    expect(page.locator("#explain-hint kbd", has_text="Ctrl")).to_be_visible()
    tab_to(page, "#explain-text")
    page.keyboard.type(ANSWER)
    page.keyboard.press("Control+Enter")
    expect(page.locator("[data-coverage]")).to_be_visible()
    expect(page.locator("details.reveal")).to_have_attribute("open", "")
    expect(page.locator("[data-explained] mark").first).to_be_visible()
    made = page.locator("[data-point][data-covered=yes]").count()
    assert made >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.shot(f"explained-{scheme}")
    assert phone.errors == []


def test_explain_in_study_then_grade_at_desktop_width(desktop: Tab, base_url: str) -> None:
    page = desktop.page
    page.emulate_media(color_scheme="dark")
    sign_up(page, base_url)
    expect(page.locator("[data-explain] textarea")).to_be_visible()
    page.fill("[data-explain] textarea", "purple elephants")
    page.locator("[data-explain] textarea").press("Control+Enter")
    expect(page.locator("[data-coverage-score]")).to_contain_text("You made 0 of")
    # Then the demo's question, shown without the answer; Show skips it.
    expect(page.locator("form[data-quiz-form]")).to_be_visible()
    page.click("button[data-quiz-show]")
    expect(page.locator("details.reveal")).to_have_attribute("open", "")
    expect(page.locator("button[data-suggested]")).to_have_attribute("value", "1")
    expect(page.locator("#grade-suggested")).to_contain_text("your explanation made 0 of")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    desktop.shot("study-explained-dark")
    page.keyboard.press("Enter")  # grades the suggested Again
    expect(page.locator("[data-count=new]")).to_have_text("19")
    assert desktop.errors == []


def test_without_javascript_the_form_works_and_no_shortcut_is_promised(
    no_js: Tab, base_url: str
) -> None:
    page = no_js.page
    page.goto(base_url + CARD)
    expect(page.locator("#explain-hint kbd", has_text="Ctrl")).to_be_hidden()
    page.fill("#explain-text", ANSWER)
    page.click("button[data-explain-check]")
    expect(page.locator("[data-coverage]")).to_be_visible()
