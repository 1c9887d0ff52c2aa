"""The settings and account pages in a real browser: 390 and 1280 px, light and dark."""

import pytest
from playwright.sync_api import FilePayload, Page, expect

from tests.e2e.conftest import Tab
from tests.e2e.test_browser import tab_to
from tests.e2e.test_study_quiz import sign_up

REFUSED = [(422, "Unprocessable Entity"), (422, "Unprocessable Entity"), (403, "Forbidden")]
CSV = b"review_id,card_id,deck_id,rating,reviewed_at,duration_ms,desired_retention\n"


def _fits(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _check_settings(tab: Tab, base_url: str, width: int, scheme: str) -> None:
    page = tab.page
    page.goto(base_url + "/settings")
    save = page.locator(".settings-form button[type=submit]")
    groups = page.locator(".settings-form fieldset")
    expect(groups).to_have_count(4)
    # Save comes after the last group, at the form's left edge: not floating in a column.
    last = groups.last.bounding_box()
    button = save.bounding_box()
    form = page.locator(".settings-form").bounding_box()
    assert last
    assert button
    assert form
    assert button["y"] >= last["y"] + last["height"]
    assert abs(button["x"] - form["x"]) < 2
    # The file input's button is styled (the theme's border radius), not the browser's own.
    radius = page.evaluate(
        "getComputedStyle(document.querySelector('#file'), '::file-selector-button')"
        ".borderTopLeftRadius"
    )
    assert radius == "8px"
    # A wrong value: named at its field and in the summary, and kept in the form.
    page.fill("#desired_retention", "0.5")
    save.click()
    expect(page.locator("#desired_retention-error")).to_have_text(
        "Desired retention must be between 70 % and 97 %: a number from 0.70 to 0.97."
    )
    expect(page.locator("#desired_retention")).to_have_value("0.5")
    expect(page.locator("#desired_retention")).to_have_attribute("aria-invalid", "true")
    link = page.locator(".error-summary a[href='#desired_retention']")
    tab_to(page, ".error-summary a[href='#desired_retention']")
    page.keyboard.press("Enter")
    expect(page.locator("#desired_retention")).to_be_focused()
    assert link.count() == 1
    _fits(page, width)
    tab.shot(f"settings-{width}-{scheme}")
    # A CSV file for the import: said to be the review log, at the file input.
    csv_file: FilePayload = {"name": "reviews.csv", "mimeType": "text/csv", "buffer": CSV}
    page.set_input_files("#file", files=[csv_file])
    page.click(".import-form button[type=submit]")
    expect(page.locator("#file-error")).to_contain_text(
        "This file is a CSV review log; import takes the JSON export"
    )
    _fits(page, width)
    tab.shot(f"import-{width}-{scheme}")


def _check_account(tab: Tab, width: int, scheme: str) -> None:
    page = tab.page
    tab_to(page, ".site-nav a[href='/account']")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Account")
    page.fill("#current_password", "not it at all")
    page.fill("#new_password", "another velvet orbit")
    page.fill("#new_password_again", "another velvet orbit")
    page.click("form[action='/account/password'] button[type=submit]")
    expect(page.locator("#current_password-error")).to_have_text("The current password is wrong.")
    _fits(page, width)
    tab.shot(f"account-{width}-{scheme}")
    page.click("#delete a.button--danger")
    expect(page.locator("h1")).to_have_text("Delete the account?")
    expect(page.locator("a[download][href='/settings/export.json']")).to_be_visible()
    _fits(page, width)
    tab.shot(f"delete-{width}-{scheme}")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_settings_and_account_at_phone_and_desktop_width(
    phone: Tab, desktop: Tab, base_url: str, scheme: str
) -> None:
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
        _check_settings(tab, base_url, width, scheme)
        _check_account(tab, width, scheme)
        # The browser logs the refused forms' answers (422 twice, 403 once) and nothing else.
        refused = "Failed to load resource: the server responded with a status of {}"
        expected = [refused.format(status) + f" ({reason})" for status, reason in REFUSED]
        assert tab.errors == expected
