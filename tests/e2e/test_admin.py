"""The admin page in a real browser: reached from the menu, used by keyboard, at two widths."""

import httpx2
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Tab
from tests.e2e.test_browser import tab_to
from tests.e2e.test_study_quiz import sign_up
from tests.helpers import PASSWORD


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_disable_a_user_with_the_keyboard_at_phone_and_desktop_width(
    phone: Tab, desktop: Tab, base_url: str, scheme: str
) -> None:
    for tab, width in ((phone, 390), (desktop, 1280)):
        page = tab.page
        page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
        if tab is phone:
            sign_up(page, base_url)  # the first account: the admin
            response = httpx2.post(
                f"{base_url}/api/v1/auth/register",
                json={"username": "bob", "password": PASSWORD},
            )
            assert response.status_code == 201
        else:
            page.context.add_cookies(
                [
                    {"name": cookie["name"], "value": cookie["value"], "url": base_url}
                    for cookie in phone.page.context.cookies()
                ]
            )
            page.goto(f"{base_url}/study")
        tab_to(page, ".site-nav a[href='/admin']")
        page.keyboard.press("Enter")
        expect(page).to_have_url(f"{base_url}/admin")
        bob = page.locator("tr[data-user=bob]")
        expect(page.locator(".admin-users tbody tr")).to_have_count(2)
        if tab is phone:
            expect(bob.locator("[data-flag=enabled]")).to_be_visible()
            tab_to(page, "tr[data-user=bob] button[value=disable]")
            page.keyboard.press("Enter")
            expect(page.locator("[data-notice]")).to_have_text(
                "bob is disabled: their sessions and API tokens no longer work."
            )
        expect(bob.locator("[data-flag=disabled]")).to_be_visible()
        expect(bob.locator("button[value=enable]")).to_be_visible()
        expect(page.locator("[data-signup-state]")).to_contain_text("Sign-up is open")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        tab.shot(f"{width}-{scheme}")
        if tab is desktop:
            tab_to(page, "tr[data-user=bob] [data-delete]")
            page.keyboard.press("Enter")
            expect(page.locator("h1")).to_have_text("Delete bob?")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            tab.shot(f"{width}-{scheme}-delete")
        assert tab.errors == []
