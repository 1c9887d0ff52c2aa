"""A card's live demo in a real browser: the figure for the screen, one request, and feedback."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Request, Response, Route, expect

from tests.e2e.conftest import Tab
from tests.server import running_server

CARD = "/decks/regularization/cards/l1-vs-l2"
IMAGE = re.compile(r"/api/v1/demos/[^/?]+\.png")
SIZES = {"phone": (390, 844, 2), "desktop": (1280, 900, 1)}


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    """A server of its own, on a fresh database, given time to start on a busy machine."""
    with running_server(tmp_path / "data", timeout=120) as (base, _server):
        yield base


CASES = [(size, scheme) for size in SIZES for scheme in ("light", "dark")]


@pytest.fixture(params=CASES, ids=[f"{size}-{scheme}" for size, scheme in CASES])
def tab(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Tab]:
    """A page at phone or desktop width, in the light or dark system theme."""
    size, scheme = request.param
    width, height, density = SIZES[size]
    context = browser.new_context(
        viewport={"width": width, "height": height},
        device_scale_factor=density,
        color_scheme=scheme,
    )
    tab = Tab(context.new_page(), request.node.name)
    yield tab
    context.close()


def current_src(page: Page) -> str:
    """Return the URL of the figure the browser chose from the picture."""
    return str(page.evaluate("document.querySelector('img[data-demo-image]').currentSrc"))


def wait_for_figure(page: Page) -> None:
    """Wait until the figure has loaded."""
    page.wait_for_function(
        "() => { const i = document.querySelector('img[data-demo-image]');"
        " return i.complete && i.naturalWidth > 0; }"
    )


def no_sideways_scroll(page: Page) -> None:
    """Check that neither the figure's box nor the page scrolls sideways."""
    for selector in ("figure[data-demo-figure]", "html"):
        widths = page.evaluate(
            "s => { const e = document.querySelector(s); return [e.scrollWidth, e.clientWidth]; }",
            selector,
        )
        assert widths[0] <= widths[1], (selector, widths)


def test_the_demo_figure_on_a_card_page(tab: Tab, base_url: str) -> None:
    page = tab.page
    width = page.viewport_size["width"] if page.viewport_size else 0
    dark = page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    requested: list[str] = []

    def note(request: Request) -> None:
        if IMAGE.search(request.url):
            requested.append(request.url)

    page.on("request", note)
    page.goto(base_url + CARD)
    wait_for_figure(page)
    page.wait_for_load_state("networkidle")

    # Loading the page changes nothing: the address stays, one request fetches the figure.
    assert page.url == base_url + CARD
    src = current_src(page)
    assert requested == [src]
    srcsets = page.eval_on_selector_all(
        "picture[data-demo-picture] source, img[data-demo-image]",
        "nodes => nodes.map(n => n.getAttribute('srcset')).join(', ')",
    )
    assert src.removeprefix(base_url) in srcsets  # the URL the server wrote, as it wrote it
    assert ("layout=narrow" in src) == (width == 390)
    assert ("theme=dark" in src) == dark
    assert ("scale=2" in src) == (width == 390)  # the phone has two pixels to a point
    no_sideways_scroll(page)
    tab.shot("1-loaded")

    # A slow figure shows that it is being drawn, and stops once it has come.
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route(IMAGE, hold)
    figure = page.locator("figure[data-demo-figure]")
    page.fill("#demo-seed", "5")
    expect(figure).to_have_class(re.compile(r"\bdemo__figure--drawing\b"))
    expect(page.locator(".demo__drawing")).to_be_visible()
    tab.shot("2-drawing")
    assert len(held) == 1  # one request for the new figure, and it is waiting
    page.unroute(IMAGE, hold)  # lets the held request go on
    # Drawing a new figure can take seconds on a busy machine.
    expect(figure).not_to_have_class(re.compile(r"\bdemo__figure--drawing\b"), timeout=30_000)
    wait_for_figure(page)
    assert "seed=5" in current_src(page)
    # The reader's change is the one thing that changes the address.
    assert page.url == f"{base_url}{CARD}?seed=5&alpha=0.3&n=50&noise=1#demo"
    # The new caption keeps its short lead apart from the details.
    lead = page.locator("[data-demo-summary] [data-demo-lead]").inner_text()
    details = page.locator("[data-demo-summary] [data-demo-details]").inner_text()
    assert lead.endswith(".")
    assert details
    assert page.locator("[data-demo-image]").get_attribute("alt") == f"{lead} {details}"

    # A value out of range is named beside its field; the last good figure stays.
    caption = page.locator("[data-demo-summary]").inner_text()
    page.fill("#demo-seed", "99999")
    error = page.locator(".demo__control [data-demo-error][role=alert]")
    expect(error).to_contain_text("seed")
    expect(error).to_contain_text("from 0 to 9999")
    error_id = error.get_attribute("id")
    expect(page.locator("#demo-seed")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#demo-seed")).to_have_attribute("aria-describedby", str(error_id))
    assert "seed=5" in current_src(page)
    assert page.locator("[data-demo-summary]").inner_text() == caption
    no_sideways_scroll(page)
    tab.shot("3-error")
    page.fill("#demo-seed", "6")
    expect(error).to_have_count(0)
    page.wait_for_function(
        "() => document.querySelector('img[data-demo-image]').currentSrc.includes('seed=6')"
    )
    expect(page.locator("#demo-seed")).not_to_have_attribute("aria-invalid", "true")

    # A theme chosen by hand gets its figure too, without touching the address.
    address = page.url
    page.click("[data-theme-toggle]")
    page.wait_for_function(
        "dark => document.querySelector('img[data-demo-image]').currentSrc.includes('theme=dark')"
        " !== dark",
        arg=dark,
    )
    wait_for_figure(page)
    assert page.url == address
    no_sideways_scroll(page)
    tab.shot("4-theme-toggled")
    # The one error: the browser's note of the 422 that named the seed.
    assert tab.errors == [
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ], tab.errors


def test_a_chosen_theme_is_kept_on_the_next_page(tab: Tab, base_url: str) -> None:
    page = tab.page
    dark = page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    page.goto(base_url + "/")
    page.evaluate("t => localStorage.setItem('prepdeck-theme', t)", "light" if dark else "dark")
    page.goto(base_url + CARD)
    wait_for_figure(page)
    assert ("theme=dark" in current_src(page)) != dark
    assert page.url == base_url + CARD
    no_sideways_scroll(page)
    assert tab.errors == [], tab.errors


def test_a_moved_slider_has_its_neighbouring_steps_drawn_ahead(desktop: Tab, base_url: str) -> None:
    page = desktop.page
    page.goto(base_url + CARD)
    wait_for_figure(page)
    page.wait_for_load_state("networkidle")
    ahead: list[Response] = []
    page.on(
        "response",
        lambda response: ahead.append(response) if "prefetch=1" in response.url else None,
    )
    page.focus("#demo-n")
    page.keyboard.press("ArrowRight")  # n from 50 to 60
    page.wait_for_function(
        "() => document.querySelector('img[data-demo-image]').currentSrc.includes('&n=60&')"
    )
    wait_for_figure(page)
    shown = current_src(page)
    for _ in range(200):  # asked for in the browser's idle time, within half a second
        if len(ahead) == 2:
            break
        page.wait_for_timeout(50)
    # The steps either side, as the page would show them (same theme, layout and scale).
    assert sorted(response.url for response in ahead) == sorted(
        shown.replace("&n=60&", f"&n={n}&") + "&prefetch=1" for n in (50, 70)
    )
    assert [response.status for response in ahead] == [204, 204]
    assert desktop.errors == [], desktop.errors
