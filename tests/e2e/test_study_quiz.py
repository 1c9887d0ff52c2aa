"""The study page's question in a real browser: predict with the keyboard, see, grade."""

import re

from playwright.sync_api import Page, expect

from app.figures.questions import ask
from app.figures.registry import demos
from tests.e2e.conftest import Tab
from tests.e2e.test_browser import shown_card, tab_to
from tests.helpers import PASSWORD

FIRST, FIRST_DEMO = "what-is-regularization", "polynomial-fit"


def sign_up(page: Page, base_url: str) -> None:
    """Sign up through the form, which leads to the study page."""
    page.goto(f"{base_url}/signup")
    page.fill("#username", "ada")
    page.fill("#password", PASSWORD)
    page.fill("#password_again", PASSWORD)
    page.click("form.stack-form button[type=submit]")
    expect(page).to_have_url(f"{base_url}/study")


def expect_no_answer_yet(page: Page) -> None:
    """Check that the question is asked and nothing of its answer is on the page."""
    expect(page.locator("form[data-quiz-form]")).to_be_visible()
    for selector in ("img", "figcaption", "[data-quiz-explanation]", "details.reveal"):
        expect(page.locator(selector)).to_have_count(0)


def expect_figure(page: Page) -> None:
    """Wait for the verdict's figure to load, with the variant's summary as its alt text."""
    expect(page.locator("img[data-quiz-image]")).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('img[data-quiz-image]');"
        " return i && i.complete && i.naturalWidth > 0 && i.alt.length > 0; }"
    )


def test_predict_with_the_keyboard_then_grade_the_suggested_way(phone: Tab, base_url: str) -> None:
    page = phone.page
    sign_up(page, base_url)
    assert shown_card(page) == FIRST
    expect_no_answer_yet(page)
    phone.shot("1-question")

    seed = int(page.locator("form[data-quiz-form] input[name=seed]").input_value())
    question = ask(demos()[FIRST_DEMO], seed).question
    page.evaluate("window.notReloaded = true")
    if question.kind == "choice":
        page.keyboard.press(question.expected)
        expect(page.locator(f"input[type=radio][value={question.expected}]")).to_be_checked()
        # 1-4 stay the grade keys: with the question asked they grade nothing.
        page.keyboard.press("3")
    else:
        tab_to(page, "#quiz-answer")
        page.keyboard.type(question.expected)
    page.keyboard.press("Enter")

    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "right")
    expect(page.locator("[data-quiz-explanation]")).to_have_text(question.explanation)
    expect_figure(page)
    expect(page.locator("details.reveal")).to_have_attribute("open", "")
    suggested = page.locator("button[data-suggested]")
    expect(suggested).to_have_attribute("value", "3")
    expect(suggested).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert shown_card(page) == FIRST
    phone.shot("2-verdict")

    page.keyboard.press("Enter")
    expect(page.locator(f'article.flashcard:not([data-card="{FIRST}"])')).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
    expect_no_answer_yet(page)
    log = page.request.get(f"{base_url}/settings/export.csv").text().splitlines()
    header, rows = log[0].split(","), [row.split(",") for row in log[1:]]
    assert [(row[header.index("card_id")], row[header.index("rating")]) for row in rows] == [
        (FIRST, "3")
    ]
    attempts = page.request.get(f"{base_url}/settings/export.json").json()["quiz_attempts"]
    assert [(a["card_id"], a["correct"]) for a in attempts] == [(FIRST, True)]
    assert isinstance(attempts[0]["duration_ms"], int)

    # A number question: typed, Enter checks it; wrong, so Enter grades Again.
    page.goto(f"{base_url}/study?topic=dropout&difficulty=medium")
    assert shown_card(page) == "dropout"
    seed = int(page.locator("form[data-quiz-form] input[name=seed]").input_value())
    question = ask(demos()["dropout-mask"], seed).question
    assert question.kind == "number"
    tab_to(page, "#quiz-answer")
    page.keyboard.type(f"{question.value + 10 * question.tolerance + 1:g}")
    page.keyboard.press("Enter")
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "wrong")
    expect_figure(page)
    expect(page.locator("button[data-suggested]")).to_have_attribute("value", "1")
    expect(page.locator("button[data-suggested]")).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.shot("3-number-wrong")
    page.keyboard.press("Enter")
    expect(page.locator('article.flashcard:not([data-card="dropout"])')).to_be_visible()
    log = page.request.get(f"{base_url}/settings/export.csv").text().splitlines()
    assert [row.split(",")[header.index("rating")] for row in log[1:]] == ["3", "1"]
    assert phone.errors == []


def test_show_in_the_dark_at_desktop_width_then_grade_by_number(
    desktop: Tab, base_url: str
) -> None:
    page = desktop.page
    page.emulate_media(color_scheme="dark")
    sign_up(page, base_url)
    expect_no_answer_yet(page)
    page.keyboard.press("Space")
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "shown")
    expect_figure(page)
    assert "theme=dark" in page.evaluate(
        "document.querySelector('img[data-quiz-image]').currentSrc"
    )
    expect(page.locator("button[data-suggested]")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    desktop.shot("1-shown-dark")
    page.keyboard.press("1")
    expect(page.locator(f'article.flashcard:not([data-card="{FIRST}"])')).to_be_visible()
    expect(page).to_have_url(re.compile(r"/study(\?since=[^&]+)?$"))
    assert desktop.errors == []
