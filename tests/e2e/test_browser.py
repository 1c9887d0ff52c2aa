"""A person in a real browser: sign up, read, play with a demo, study, undo, progress, log out."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Tab
from tests.helpers import PASSWORD

# Whether the focus is on the summary of a closed <details> (the phone's main menu) that holds
# an element matching the selector: a keyboard user opens it with Enter to reach the element.
FOLDED = """s => {
  const summary = document.activeElement;
  const details = summary?.parentElement;
  return summary?.tagName === 'SUMMARY' && details.tagName === 'DETAILS' && !details.open
    && !!details.querySelector(s);
}"""


def tab_to(page: Page, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching selector has the focus (keyboard only).

    A closed menu on the way that holds the element is opened with Enter.
    """
    for _ in range(limit):
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
        if page.evaluate(FOLDED, selector):
            page.keyboard.press("Enter")
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} is not reachable with the Tab key")


def shown_card(page: Page) -> str:
    """Return the id of the card on the study page."""
    return page.locator("article.flashcard").get_attribute("data-card") or ""


def study_three_cards_and_undo_one(page: Page) -> list[str]:
    """Grade three cards Good with the keyboard (Space, 3), then undo the last (u)."""
    graded = []
    for _ in range(3):
        card = shown_card(page)
        graded.append(card)
        page.keyboard.press("Space")
        expect(page.locator("details.reveal")).to_have_attribute("open", "")
        page.keyboard.press("3")
        expect(page.locator(f'article.flashcard:not([data-card="{card}"])')).to_be_visible()
    page.keyboard.press("u")
    expect(page.locator("[data-notice]")).to_contain_text("Undid your “Good”")
    assert shown_card(page) == graded[-1]
    return graded


def test_a_reader_studies_in_the_browser(desktop: Tab, base_url: str) -> None:
    page = desktop.page
    page.goto(f"{base_url}/signup")
    page.fill("#username", "ada")
    page.fill("#password", PASSWORD)
    page.fill("#password_again", PASSWORD)
    page.click("form.stack-form button[type=submit]")
    expect(page).to_have_url(f"{base_url}/study")
    desktop.shot("1-study")

    page.goto(base_url)
    page.click("a.deck-tile__title a, .deck-tile__title a")
    expect(page.locator(".card-list .card-row")).to_have_count(20)
    page.fill("#q", "dropconnect")
    page.click(".filters button[type=submit]")
    expect(page.locator(".card-list .card-row")).to_have_count(1)
    desktop.shot("2-deck-filtered")
    page.goto(f"{base_url}/decks/regularization/cards/dropout")
    answer = page.locator(".answer")
    expect(answer).to_be_hidden()
    page.click("details.reveal summary")
    expect(answer).to_be_visible()
    expect(answer).to_contain_text("inverted dropout")
    desktop.shot("3-card-revealed")

    image = page.locator("img[data-demo-image]")
    before = image.get_attribute("src")
    page.focus("#demo-p")
    page.keyboard.press("ArrowRight")
    expect(image).not_to_have_attribute("src", before or "")
    expect(image).to_have_attribute("src", re.compile(r"p=0\.55"))
    page.wait_for_function("() => document.querySelector('img[data-demo-image]').complete")
    assert page.evaluate("document.querySelector('img[data-demo-image]').naturalWidth") > 0
    expect(page.locator("[data-demo-summary]")).to_contain_text("p = 0.55")
    assert "p=0.55" in page.url
    desktop.shot("4-demo-moved")

    page.goto(f"{base_url}/study")
    graded = study_three_cards_and_undo_one(page)
    assert len(set(graded)) == 3
    desktop.shot("5-study-undone")

    page.click(".site-nav a[href='/progress']")
    expect(page.locator("[data-stat=reviews-today]")).to_have_text("2")
    expect(page.locator("[data-chart=forecast]")).to_be_visible()
    desktop.shot("6-progress")

    page.click(".site-nav .nav-button")
    expect(page.locator(".site-nav a[href='/login']")).to_be_visible()
    desktop.shot("7-logged-out")
    assert desktop.errors == []


def test_keyboard_only_at_phone_width(phone: Tab, base_url: str) -> None:
    page = phone.page
    page.goto(f"{base_url}/signup")
    tab_to(page, "#username")
    page.keyboard.type("bob")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the help text link-free area to the second password
    tab_to(page, "#password_again")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base_url}/study")
    phone.shot("1-study")

    study_three_cards_and_undo_one(page)
    phone.shot("2-study-undone")

    tab_to(page, ".site-nav a[href='/progress']")
    page.keyboard.press("Enter")
    expect(page.locator("[data-stat=reviews-today]")).to_have_text("2")
    phone.shot("3-progress")

    for path in ("/", "/decks/regularization", "/decks/regularization/cards/adamw", "/progress"):
        page.goto(base_url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide at a 390 px viewport"
    phone.shot("4-card")

    tab_to(page, ".site-nav .nav-button")
    page.keyboard.press("Enter")
    expect(page.locator(".site-nav a[href='/login']")).to_be_visible()
    assert phone.errors == []
