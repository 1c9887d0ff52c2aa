"""Every page, anonymous and logged in, light and dark, 390 px and 1280 px wide.

For each it saves a screenshot (test-artifacts/e2e/pages/), runs axe-core (vendored in
tests/e2e/vendor/, for the tests only) and expects no serious or critical violation, and at
390 px expects the page not to scroll sideways, and any box in it that does (a formula too
wide even one statement a line, code, a figure) to show its scroll shadow and take the focus.
Adding a page is one line of PAGES.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, StorageState, expect

from tests.e2e.conftest import ARTIFACTS
from tests.helpers import PASSWORD
from tests.server import running_server

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
SHOTS = ARTIFACTS / "pages"


def reveal(page: Page) -> None:
    """Open the answer of the card on the page."""
    page.click("details.reveal summary")
    expect(page.locator("details.reveal")).to_have_attribute("open", "")


def show_answer(page: Page) -> None:
    """Show the answer on the study page: through its demo's question when it asks one first."""
    show = page.locator("[data-study-quiz] [data-quiz-show]")
    if show.count():
        show.click()
        expect(page.locator("details.reveal")).to_have_attribute("open", "")
    else:
        reveal(page)


def open_menu(page: Page) -> None:
    """Open the main menu where it is folded (a phone) and check its links show."""
    button = page.locator(".nav-menu__button")
    if button.is_visible():
        button.click()
    expect(page.locator(".site-nav a[href='/progress']")).to_be_visible()


@dataclass(frozen=True)
class Shown:
    """A page to check: its name, path, whether a user is logged in, and a step to take first."""

    name: str
    path: str
    user: bool
    step: Callable[[Page], None] | None = None


PAGES = [
    Shown("home", "/", user=False),
    Shown("deck", "/decks/regularization", user=False),
    Shown("search", "/decks/regularization?q=dropout", user=False),
    Shown("card", "/decks/regularization/cards/dropout", user=False, step=reveal),
    Shown("card-formulas", "/decks/regularization/cards/bn-ln-in", user=False, step=reveal),
    Shown("cheatsheet", "/decks/regularization/cheatsheet", user=False),
    Shown("login", "/login", user=False),
    Shown("signup", "/signup", user=False),
    Shown("goodbye", "/goodbye", user=False),
    Shown("error", "/decks/no-such-deck", user=False),
    Shown("user-home", "/", user=True),
    Shown("user-menu", "/decks/regularization", user=True, step=open_menu),
    Shown("user-card", "/decks/regularization/cards/l1-vs-l2", user=True, step=reveal),
    Shown("study-question", "/study", user=True),
    Shown("study-answer", "/study", user=True, step=show_answer),
    Shown("interview", "/interview", user=True),
    Shown("progress", "/progress", user=True),
    Shown("browse", "/browse", user=True),
    Shown("plan", "/plan", user=True),
    Shown("settings", "/settings", user=True),
    Shown("account", "/account", user=True),
    Shown("account-delete", "/account/delete", user=True),
    Shown("admin", "/admin", user=True),
    Shown("user-error", "/decks/regularization/cards/no-such-card", user=True),
]

# What scrolls sideways inside a page at 390 px: the element, and whether it has the hint a
# scroll box needs: a shadow (backgrounds attached "local" over "scroll"), the keyboard focus
# and a name.
SIDEWAYS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('main *')) {
    const style = getComputedStyle(el);
    if (!['auto', 'scroll'].includes(style.overflowX)) continue;
    if (el.scrollWidth <= el.clientWidth + 1) continue;
    const hint = style.backgroundAttachment.includes('local')
      && style.backgroundAttachment.includes('scroll') && el.tabIndex === 0
      && !!el.getAttribute('aria-label');
    out.push({what: el.tagName.toLowerCase() + '.' + [...el.classList].join('.'), hint});
  }
  return out;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server for the module, on a fresh database."""
    with running_server(tmp_path_factory.mktemp("pages") / "data", timeout=120) as (base, _s):
        yield base


@pytest.fixture(scope="module")
def logged_in(browser: Browser, server: str) -> StorageState:
    """The cookies of a user who signed up and graded two cards, shared by every check."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/signup")
    page.fill("#username", "pages")
    page.fill("#password", PASSWORD)
    page.fill("#password_again", PASSWORD)
    page.click("form.stack-form button[type=submit]")
    expect(page).to_have_url(f"{server}/study")
    for _ in range(2):
        card = page.locator("article.flashcard").get_attribute("data-card")
        show_answer(page)
        page.click("button.grade--good")
        expect(page.locator(f'article.flashcard:not([data-card="{card}"])')).to_be_visible()
    state = context.storage_state()
    context.close()
    return state


def serious(page: Page) -> list[str]:
    """Run axe-core on the page; return its serious and critical violations, one line each."""
    if not page.evaluate("() => 'axe' in window"):
        page.add_script_tag(content=AXE)
    script = "() => axe.run(document, {resultTypes: ['violations']})"
    results: dict[str, Any] = page.evaluate(script)
    return [
        f"{violation['id']} ({violation['impact']}): {node['target']} {node['failureSummary']}"
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
        for node in violation["nodes"]
    ]


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_is_accessible_and_fits(
    browser: Browser, server: str, logged_in: StorageState, scheme: str, width: int
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    contexts = {
        user: browser.new_context(
            viewport={"width": width, "height": 844 if width < 600 else 900},
            color_scheme="dark" if scheme == "dark" else "light",
            storage_state=logged_in if user else None,
            has_touch=width < 600,
            # The app's Content-Security-Policy allows its own scripts only; axe is injected.
            bypass_csp=True,
        )
        for user in (False, True)
    }
    try:
        pages = {user: context.new_page() for user, context in contexts.items()}
        for shown in PAGES:
            page = pages[shown.user]
            page.goto(server + shown.path)
            expect(page.locator("main")).to_be_visible()
            if shown.step:
                shown.step(page)
            page.screenshot(path=SHOTS / f"{shown.name}-{scheme}-{width}.png", full_page=True)
            problems += [f"{shown.name}: {line}" for line in serious(page)]
            if width < 600:
                scroll = page.evaluate("document.documentElement.scrollWidth")
                if scroll > width:
                    problems.append(f"{shown.name}: the page is {scroll} px wide")
                for inner in page.evaluate(SIDEWAYS):
                    if not inner["hint"]:
                        problems.append(f"{shown.name}: {inner['what']} scrolls with no hint")
    finally:
        for context in contexts.values():
            context.close()
    assert problems == [], "\n".join(problems)


def test_a_long_formula_wraps_or_scrolls_with_a_hint_on_a_phone(
    browser: Browser, server: str
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(f"{server}/decks/regularization/cards/bn-ln-in")
        reveal(page)
        box = page.locator(".formula").first
        # BN, LN and IN each get a line of their own instead of 766 px on one line.
        maths = box.locator("math")
        expect(maths).to_have_count(3)
        tops = [m.bounding_box()["y"] for m in maths.all()]  # type: ignore[index]
        assert tops == sorted(tops)
        assert len(set(tops)) == 3
        assert box.evaluate("el => el.scrollWidth <= el.clientWidth")

        page.goto(f"{server}/decks/regularization/cards/noise-injection")
        reveal(page)
        wide = page.locator(".formula").first
        assert wide.evaluate("el => el.scrollWidth > el.clientWidth")
        expect(wide).to_have_attribute("tabindex", "0")
        expect(wide).to_have_attribute("aria-label", "Formula 1 of 3")
        # The keyboard scrolls it: focus it, then the arrow key moves its content.
        wide.focus()
        assert wide.evaluate("el => el === document.activeElement && el.scrollLeft === 0")
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        page.wait_for_timeout(300)
        assert wide.evaluate("el => el.scrollLeft") > 0
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_menu_is_one_row_on_a_phone_and_opens_with_the_keyboard(
    browser: Browser, server: str, logged_in: StorageState, width: int
) -> None:
    context = browser.new_context(
        viewport={"width": width, "height": 844}, storage_state=logged_in, java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto(f"{server}/decks/regularization")
        header = page.locator(".site-header").bounding_box()
        assert header is not None
        assert header["height"] <= 64
        progress = page.locator(".site-nav a[href='/progress']")
        if width > 600:
            # A wide screen shows every link in the one row, no "Menu" button.
            expect(page.locator(".nav-menu__button")).to_be_hidden()
            expect(progress).to_be_visible()
            return
        expect(progress).to_be_hidden()
        page.keyboard.press("Tab")  # the skip link
        page.keyboard.press("Tab")  # the brand
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.matches('.nav-menu__button')")
        page.keyboard.press("Enter")
        expect(progress).to_be_visible()
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.matches('.site-nav a[href=\"/\"]')")
        progress.focus()
        page.keyboard.press("Enter")
        expect(page).to_have_url(f"{server}/progress")
        current = page.locator(".site-nav a[aria-current=page]")
        expect(current).to_have_attribute("href", "/progress")
    finally:
        context.close()
