"""A real browser (Debian's chromium, driven by Playwright) against a real server."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from tests.server import running_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Playwright, or a skip (an error when PREPDECK_TEST_REQUIRE_BROWSER is set, as in CI)."""
    if not Path(CHROMIUM).is_file():
        message = "browser tests need Debian's chromium (apt-get install chromium)"
        if os.environ.get("PREPDECK_TEST_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Headless chromium."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    """A server of its own, on a fresh database."""
    with running_server(tmp_path / "data") as (base, _server):
        yield base


class Tab:
    """A browser page that records console errors and saves screenshots as artifacts."""

    def __init__(self, page: Page, name: str) -> None:
        self.page = page
        self.name = name
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def shot(self, step: str) -> None:
        """Save a full-page screenshot named after the test and the step."""
        self.page.screenshot(path=ARTIFACTS / f"{self.name}-{step}.png", full_page=True)


@pytest.fixture
def desktop(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Tab]:
    """A desktop-sized page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = Tab(context.new_page(), request.node.name)
    yield tab
    context.close()


@pytest.fixture
def phone(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Tab]:
    """A phone-sized page (390 px wide, touch)."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, has_touch=True
    )
    tab = Tab(context.new_page(), request.node.name)
    yield tab
    context.close()


@pytest.fixture
def no_js(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Tab]:
    """A phone-sized page with JavaScript turned off."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    tab = Tab(context.new_page(), request.node.name)
    yield tab
    context.close()
