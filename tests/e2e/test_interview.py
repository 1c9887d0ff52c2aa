"""The mock interview in a real browser: keyboard only at phone width, the report in the dark."""

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from app import paths
from tests.e2e.conftest import Tab
from tests.e2e.test_browser import tab_to
from tests.e2e.test_study_quiz import sign_up
from tests.rehearsal.interview_content import FOLLOW_UP, key_content
from tests.server import running_server


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    """A server of its own on a fresh database and content with known key points."""
    content = tmp_path / "content"
    shutil.copytree(paths.CONTENT_DIR, content)
    key_content(content)
    with running_server(tmp_path / "data", env={"PREPDECK_CONTENT_DIR": str(content)}) as (
        base,
        _server,
    ):
        yield base


def no_overflow(page: Page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll} px wide at a {width} px viewport"


def answer_with_the_keyboard(page: Page, text: str) -> None:
    """Tab to the answer box, type, and send with Ctrl+Enter."""
    tab_to(page, "#answer-text")
    page.keyboard.type(text)
    page.keyboard.press("Control+Enter")


def run_interview(page: Page, base_url: str, tab: Tab, width: int) -> None:
    """Start a 2-question interview from the setup form and answer all four steps."""
    page.goto(f"{base_url}/interview")
    no_overflow(page, width)
    tab_to(page, "#i-questions")
    page.keyboard.press("Control+a")
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(page.locator("[data-step=question]")).to_be_visible()
    expect(page.locator("[data-countdown]")).to_have_text(re.compile(r"^[12]:\d\d left$"))
    no_overflow(page, width)
    tab.shot("1-question")
    answer_with_the_keyboard(page, "An apple and a banana")
    expect(page.locator("[data-coverage-score]")).to_have_text("You made 2 of 3 key points (67%).")
    expect(page.locator("#step-question")).to_have_text(FOLLOW_UP)
    no_overflow(page, width)
    tab.shot("2-follow-up")
    answer_with_the_keyboard(page, "damson")
    expect(page.locator("[data-step=question][data-position='1']")).to_be_visible()
    answer_with_the_keyboard(page, "nothing at all")
    expect(page.locator("[data-step=follow_up][data-position='1']")).to_be_visible()
    answer_with_the_keyboard(page, "elder")
    expect(page.locator("[data-report]")).to_be_visible()
    expect(page.locator("[data-question]")).to_have_count(2)


def test_a_two_question_interview_with_the_keyboard_on_a_phone(phone: Tab, base_url: str) -> None:
    page = phone.page
    sign_up(page, base_url)
    run_interview(page, base_url, phone, 390)
    no_overflow(page, 390)
    phone.shot("3-report")
    expect(page.locator("form[data-study-missed] button")).to_be_visible()
    assert phone.errors == []


def test_the_report_in_the_dark_at_desktop_width(desktop: Tab, base_url: str) -> None:
    page = desktop.page
    page.emulate_media(color_scheme="dark")
    sign_up(page, base_url)
    run_interview(page, base_url, desktop, 1280)
    no_overflow(page, 1280)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    card = page.evaluate(
        "getComputedStyle(document.querySelector('.interview-report__question')).backgroundColor"
    )
    assert background == "rgb(15, 17, 23)"  # --bg in the dark theme
    assert card == "rgb(24, 27, 39)"  # --surface in the dark theme
    desktop.shot("1-report-dark")
    page.locator("form[data-study-missed] button").click()
    expect(page.locator("[data-card-filter]")).to_be_visible()
    assert desktop.errors == []
