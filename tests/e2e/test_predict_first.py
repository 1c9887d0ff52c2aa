"""Predict first in a real browser: turn it on, answer with the keyboard, see the figure."""

import re

from playwright.sync_api import Page, expect

from app.figures.questions import ask
from app.figures.registry import demos
from tests.e2e.conftest import Tab
from tests.e2e.test_browser import tab_to

CARD = "/decks/regularization/cards/l1-vs-l2"
DEMO = "l1-vs-l2"


def answer_with_keys(page: Page) -> str:
    """Answer the question on the page rightly with the keyboard alone; return the answer."""
    seed = int(page.locator("form[data-quiz-form] input[name=seed]").input_value())
    question = ask(demos()[DEMO], seed).question
    if question.kind == "choice":
        tab_to(page, "form[data-quiz-form] input[type=radio]")
        page.keyboard.press(question.expected)
        expect(page.locator(f"input[type=radio][value={question.expected}]")).to_be_checked()
        expect(page.locator(f"input[type=radio][value={question.expected}]")).to_be_focused()
    else:
        tab_to(page, "#quiz-answer")
        page.keyboard.type(question.expected)
    page.keyboard.press("Enter")
    return question.expected


def expect_figure(page: Page) -> None:
    """Wait for the verdict's figure to load, with the variant's summary as its alt text."""
    image = page.locator("img[data-quiz-image]")
    expect(image).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('img[data-quiz-image]');"
        " return i && i.complete && i.naturalWidth > 0 && i.alt.length > 0; }"
    )
    expect(page.locator("[data-quiz-summary]")).to_have_text(image.get_attribute("alt") or "-")


def test_predict_first_with_the_keyboard_at_phone_width(phone: Tab, base_url: str) -> None:
    page = phone.page
    page.goto(base_url + CARD)
    expect(page.locator("img[data-demo-image]")).to_be_visible()
    tab_to(page, "button[data-predict-toggle]")
    page.keyboard.press("Enter")
    expect(page.locator("button[data-predict-toggle]")).to_have_attribute("aria-checked", "true")
    expect(page.locator("form[data-quiz-form]")).to_be_visible()
    assert page.locator("img").count() == 0
    phone.shot("1-question")

    answer_with_keys(page)
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "right")
    expect(page.locator("[data-quiz-verdict]")).to_be_focused()
    expect(page.locator("[data-quiz-explanation]")).not_to_be_empty()
    expect_figure(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.shot("2-verdict")

    # Another question comes without a page reload, and is answered the same way.
    page.evaluate("window.notReloaded = true")
    tab_to(page, "a[data-quiz-next]")
    page.keyboard.press("Enter")
    expect(page.locator("form[data-quiz-form]")).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?seed=\d+#demo$"))
    assert page.locator("img[data-quiz-image]").count() == 0
    answer_with_keys(page)
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "right")
    expect_figure(page)
    assert page.evaluate("window.notReloaded") is True

    # The choice is remembered: a new visit asks first again.
    page.goto(base_url + CARD)
    expect(page.locator("form[data-quiz-form]")).to_be_visible()
    assert phone.errors == []


def test_predict_first_in_the_dark_at_desktop_width(desktop: Tab, base_url: str) -> None:
    page = desktop.page
    page.emulate_media(color_scheme="dark")
    page.goto(base_url + CARD)
    page.click("button[data-predict-toggle]")
    expect(page.locator("form[data-quiz-form]")).to_be_visible()
    desktop.shot("1-question-dark")
    page.click("button[data-quiz-show]")
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "shown")
    page.wait_for_function(
        "() => document.querySelector('img[data-quiz-image]').currentSrc.includes('theme=dark')"
    )
    expect_figure(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    desktop.shot("2-shown-dark")
    # Turned off again, the card shows its live figure and sliders as before.
    page.click("button[data-predict-toggle]")
    expect(page.locator("img[data-demo-image]")).to_be_visible()
    expect(page.locator("form[data-quiz-form]")).to_have_count(0)
    assert desktop.errors == []
