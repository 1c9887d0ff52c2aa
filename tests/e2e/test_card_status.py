"""In a real browser at 390 and 1280 px, light and dark: the card page's state panel with its
Suspend/Unsuspend forms, the home page's due counts with Study now, and one deck tile's width."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Tab
from tests.e2e.test_study_quiz import sign_up

CARD = "/decks/regularization/cards/dropout"


def fits(page: Page, selector: str, width: int) -> None:
    """Check the element is inside the viewport's width and the page does not scroll sideways."""
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    assert box["x"] >= 0, selector
    assert box["x"] + box["width"] <= width, selector
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_card_panel_and_home_counts_at_phone_and_desktop_width(
    phone: Tab, desktop: Tab, base_url: str, scheme: str
) -> None:
    sign_up(phone.page, base_url)
    desktop.page.context.add_cookies(
        [
            {"name": cookie["name"], "value": cookie["value"], "url": base_url}
            for cookie in phone.page.context.cookies()
        ]
    )
    for tab, width in ((phone, 390), (desktop, 1280)):
        page = tab.page
        page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
        page.goto(f"{base_url}/")
        counts = page.locator(".deck-tile [data-due-counts=regularization]")
        # The phone suspends a new card below, so the desktop sees one new card fewer.
        new = 20 if tab is phone else 19
        expect(counts.locator(".due-today__counts")).to_have_text(f"0 due · {new} new today")
        study = counts.locator("a[data-study-now]")
        expect(study).to_be_visible()
        fits(page, ".deck-tile a[data-study-now]", width)
        # One deck fills its row rather than a third of it.
        grid = page.locator(".deck-grid").bounding_box()
        tile = page.locator(".deck-tile").bounding_box()
        assert grid is not None
        assert tile is not None
        assert tile["width"] >= grid["width"] - 1
        tab.shot(f"home-{width}-{scheme}")
        study.click()
        expect(page).to_have_url(f"{base_url}/study?deck=regularization")

        page.goto(f"{base_url}{CARD}")
        panel = page.locator("#status")
        expect(panel).to_be_visible()
        fits(page, "#status", width)
        if tab is phone:
            expect(panel.locator("[data-state]")).to_have_text("New")
            panel.locator("button[data-action=suspend]").click()
            assert page.url.startswith(f"{base_url}{CARD}")  # back on the card page
            expect(panel.locator("[data-flag=suspended]")).to_have_text("Suspended")
            fits(page, "#status button[data-action=unsuspend]", width)
            tab.shot(f"card-suspended-{width}-{scheme}")
        else:
            expect(panel.locator("[data-flag=suspended]")).to_have_text("Suspended")
            panel.locator("button[data-action=unsuspend]").click()
            expect(panel.locator("[data-flag]")).to_have_count(0)
            expect(panel.locator("button[data-action=bury]")).to_be_visible()
            fits(page, "#status button[data-action=suspend]", width)
            tab.shot(f"card-{width}-{scheme}")
        assert tab.errors == []
