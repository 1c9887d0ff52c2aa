"""Take screenshots of the main pages in headless Chromium, light and dark, desktop and phone.

Usage: python docs/screenshots.py BASE_URL OUT_DIR   (needs `pip install playwright` and
Debian's chromium at /usr/bin/chromium; nothing is downloaded).
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

PAGES = {
    "home": "/",
    "deck": "/decks/regularization",
    "card": "/decks/regularization/cards/dropout",
    "cheatsheet": "/decks/regularization/cheatsheet",
    "study": "/study",
    "progress": "/progress",
    "settings": "/settings",
}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main(base: str, out: Path) -> None:
    """Save one PNG per page, theme and width into out (signing up a user "shots" first)."""
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        context = browser.new_context()
        page = context.new_page()
        page.goto(base + "/signup")
        if page.locator("#password_again").count():
            page.fill("#username", "shots")
            page.fill("#password", "screenshots!")
            page.fill("#password_again", "screenshots!")
            page.click("button[type=submit]")
        else:
            page.goto(base + "/login")
            page.fill("#username", "shots")
            page.fill("#password", "screenshots!")
            page.click("form.stack-form button[type=submit]")
        page.goto(base + "/study")
        for key in (" ", "3", " ", "4", " ", "1"):
            page.keyboard.press(key)
            page.wait_for_timeout(300)
        state = context.storage_state()
        page.close()
        for scheme in ("light", "dark"):
            for width, label in ((1280, "desktop"), (390, "phone")):
                page = browser.new_page(
                    viewport={"width": width, "height": 900},
                    color_scheme=scheme,
                    device_scale_factor=1 if width > 600 else 2,
                    storage_state=state,
                )
                for name, path in PAGES.items():
                    page.goto(base + path)
                    if name in ("card", "study"):
                        page.click("summary")
                    page.screenshot(path=out / f"{name}-{scheme}-{label}.png", full_page=True)
                page.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), Path(sys.argv[2]))
