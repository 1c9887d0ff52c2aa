"""The interview plan in a real browser: a date set with the keyboard, read at two widths."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.models import utcnow
from app.study.day import study_day
from tests.e2e.conftest import Tab
from tests.e2e.test_browser import tab_to
from tests.e2e.test_study_quiz import sign_up


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_set_a_date_with_the_keyboard_at_phone_and_desktop_width(
    phone: Tab, desktop: Tab, base_url: str, scheme: str
) -> None:
    day = study_day(utcnow(), "UTC", 4).date + timedelta(days=3)
    for tab, width in ((phone, 390), (desktop, 1280)):
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
        tab_to(page, ".site-nav a[href='/plan']")
        page.keyboard.press("Enter")
        expect(page).to_have_url(f"{base_url}/plan")
        if tab is phone:
            tab_to(page, "#plan-date")
            page.keyboard.type(f"{day.month:02d}{day.day:02d}{day.year}")
            tab_to(page, "form[data-date-form] button[type=submit]")
            page.keyboard.press("Enter")
            expect(page.locator("[data-notice]")).to_have_text("Interview date saved.")
        row = page.locator("tr[data-deck=regularization]")
        expect(row).to_have_attribute("data-status", "planned")
        expect(row.locator("[data-days-left]")).to_have_text("3 · weakest first")
        expect(page.locator("[data-plan-cards] tbody tr")).to_have_count(20)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        tab.shot(f"{width}-{scheme}")
        assert tab.errors == []
