"""The study page in a real browser: the grade bar on phones, and what bury, suspend and undo
say (with JavaScript, each action swaps the page in place)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import FloatRect, Page, expect

from tests.e2e.conftest import ARTIFACTS, Tab
from tests.e2e.test_browser import shown_card
from tests.e2e.test_study_quiz import sign_up
from tests.server import running_server

FIRST = "What is regularization in deep learning? Why is it needed?"
SECOND = "Explain L2 regularization (weight decay). How does it work?"


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    """A server of its own, on a fresh database (its start may be slow on a busy machine)."""
    with running_server(tmp_path / "data", timeout=180) as (base, _server):
        yield base


def reveal(page: Page) -> None:
    """Show the card's answer and grades (the demo's question, if asked, skipped by Show)."""
    show = page.locator("[data-quiz-show]")
    if show.count():
        show.click()
    else:
        page.keyboard.press("Space")
    expect(page.locator("details.reveal[open] .grades")).to_be_visible()


def view(tab: Tab, step: str) -> None:
    """Save a screenshot of what the screen shows (a full-page one would move the bar)."""
    tab.page.screenshot(path=ARTIFACTS / f"{tab.name}-{step}.png")


def box(page: Page, selector: str) -> FloatRect:
    """Return an element's box in the viewport."""
    found = page.locator(selector).bounding_box()
    assert found is not None, selector
    return found


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_grades_sit_in_a_bar_at_the_bottom_on_phones(
    phone: Tab, desktop: Tab, base_url: str, scheme: str
) -> None:
    for tab, width, height in ((phone, 390, 844), (desktop, 1280, 900)):
        page = tab.page
        page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
        if tab is phone:
            sign_up(page, base_url)
        else:
            page.context.add_cookies(
                [
                    {"name": cookie["name"], "value": cookie["value"], "url": base_url}
                    for cookie in phone.page.context.cookies()
                ]
            )
            page.goto(f"{base_url}/study")
        reveal(page)
        grades = "details.reveal[open] > .grades"
        position = page.eval_on_selector(grades, "e => getComputedStyle(e).position")
        # A long answer: the page is taller than the screen.
        assert page.evaluate("document.documentElement.scrollHeight") > 2 * height
        if tab is phone:
            assert position == "fixed"
            bar = box(page, grades)
            assert bar["y"] >= 0
            assert bar["y"] + bar["height"] == pytest.approx(height, abs=1)
            assert bar["width"] == pytest.approx(width, abs=1)
            # The four grades in one row, each in the viewport.
            for rating in "1234":
                button = box(page, f"{grades} [data-grade='{rating}']")
                assert button["y"] >= bar["y"]
                assert button["x"] >= 0
                assert button["x"] + button["width"] <= width
            view(tab, f"{width}-{scheme}-bar")
            # At the end of the page nothing hides behind the bar.
            page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
            actions = box(page, ".study-actions")
            footer = box(page, ".site-footer")
            bar = box(page, grades)
            assert actions["y"] + actions["height"] <= bar["y"]
            assert footer["y"] + footer["height"] <= bar["y"] + 1
            view(tab, f"{width}-{scheme}-end")
            graded = shown_card(page)
            page.locator(f"{grades} [data-grade='3']").click()
            expect(page.locator(f'article.flashcard:not([data-card="{graded}"])')).to_be_visible()
        else:
            # Desktop as before: the grades follow the answer in the page.
            assert position == "static"
            tab.shot(f"{width}-{scheme}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert tab.errors == []


def test_bury_suspend_and_undo_say_what_they_did(desktop: Tab, base_url: str) -> None:
    page = desktop.page
    sign_up(page, base_url)
    page.get_by_role("button", name="Bury until tomorrow").click()
    notice = page.locator("[data-notice]")
    expect(notice.locator("span")).to_have_text(f"Buried “{FIRST}” until 04:00 UTC")
    assert shown_card(page) == "l2-weight-decay"
    desktop.shot("1-buried")
    notice.get_by_role("button", name="Undo").click()
    expect(notice).to_have_text(f"Unburied “{FIRST}”")
    assert shown_card(page) == "what-is-regularization"
    # The session's start travels in the address (the page was swapped in place).
    assert "since=" in page.url

    reveal(page)
    page.keyboard.press("3")
    expect(page.locator('article.flashcard[data-card="l2-weight-decay"]')).to_be_visible()
    page.get_by_role("button", name="Suspend").click()
    expect(notice.locator("span")).to_have_text(
        f"Suspended “{SECOND}”: it stays out of your reviews until you unsuspend it"
    )
    desktop.shot("2-suspended")
    page.keyboard.press("u")
    expect(notice).to_have_text(f"Unsuspended “{SECOND}”")
    page.keyboard.press("u")
    expect(notice).to_have_text(f"Undid your “Good” on “{FIRST}”")

    # Grade again, then open the study page anew: a new session, which the grade is before.
    reveal(page)
    page.keyboard.press("4")
    expect(page.locator('article.flashcard[data-card="l2-weight-decay"]')).to_be_visible()
    page.goto(f"{base_url}/study")
    page.keyboard.press("u")
    expect(notice.locator("span")).to_have_text("Nothing to undo in this session.")
    desktop.shot("3-nothing-in-session")
    page.keyboard.press("u")  # u again does not go past the session's start
    expect(notice.locator("span")).to_have_text("Nothing to undo in this session.")
    assert shown_card(page) == "l2-weight-decay"
    notice.get_by_role("button", name="Undo an earlier action").click()
    expect(notice).to_have_text(f"Undid your “Easy” on “{FIRST}”")
    assert shown_card(page) == "what-is-regularization"
    assert desktop.errors == []


def test_without_javascript_no_key_hints_and_undo_still_works(no_js: Tab, base_url: str) -> None:
    page = no_js.page
    sign_up(page, base_url)
    page.get_by_role("button", name="Suspend").click()
    notice = page.locator("[data-notice]")
    expect(notice.locator("span")).to_have_text(
        f"Suspended “{FIRST}”: it stays out of your reviews until you unsuspend it"
    )
    for hint in page.locator("kbd:not(.quiz__letter), .key-hint").all():
        expect(hint).to_be_hidden()
    notice.get_by_role("button", name="Undo").click()
    expect(notice).to_have_text(f"Unsuspended “{FIRST}”")
    no_js.shot("undone")
