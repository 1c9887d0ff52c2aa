"""Take screenshots of the main pages in headless Chromium, light and dark, desktop and phone.

Usage: python docs/screenshots.py BASE_URL OUT_DIR   (needs `pip install playwright` and
Debian's chromium at /usr/bin/chromium; nothing is downloaded).
       python docs/screenshots.py BASE_URL docs/img --readme
                                  only the README's pair: the card page on a desktop and on a
                                  phone, reduced to 256 colours so that they stay small.

Every page at both widths and in both themes is also saved by the browser tests
(tests/e2e/test_pages.py, into test-artifacts/e2e/pages/).
"""

import sys
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, Page, StorageState, sync_playwright

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


README_CARD = "/decks/regularization/cards/l1-vs-l2"


def show_answer(page: Page) -> None:
    """Open the answer on a card or study page (the demo's question first, when it asks one)."""
    show = page.locator("[data-study-quiz] [data-quiz-show]")
    if show.count():
        show.click()
    elif page.locator("details.reveal:not([open]) summary").count():
        page.click("details.reveal summary")


def shrink(path: Path) -> None:
    """Rewrite a PNG with a 256-colour palette, optimised: a third of the size or less."""
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def readme(browser: Browser, base: str, state: StorageState, out: Path) -> None:
    """Save the README's two shots of the card page: desktop (light) and phone (dark)."""
    shots = (
        ("card-desktop.png", {"width": 1280, "height": 860}, "light", 1),
        ("card-phone.png", {"width": 390, "height": 844}, "dark", 2),
    )
    for name, viewport, scheme, scale in shots:
        page = browser.new_page(
            viewport=viewport, color_scheme=scheme, device_scale_factor=scale, storage_state=state
        )
        page.goto(base + README_CARD)
        show_answer(page)
        page.evaluate(
            "document.querySelector('.block--formula').scrollIntoView()"
            "; window.scrollBy(0, -window.innerHeight / 2)"
        )
        page.screenshot(path=out / name)
        shrink(out / name)
        page.close()


def main(base: str, out: Path, *, readme_only: bool = False) -> None:
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
            page.fill("#password", "screenshots of prepdeck, 2026")
            page.fill("#password_again", "screenshots of prepdeck, 2026")
            page.click("button[type=submit]")
        else:
            page.goto(base + "/login")
            page.fill("#username", "shots")
            page.fill("#password", "screenshots of prepdeck, 2026")
            page.click("form.stack-form button[type=submit]")
        page.wait_for_url(lambda url: not url.endswith(("/login", "/signup")))
        page.goto(base + "/study")
        for key in (" ", "3", " ", "4", " ", "1"):
            page.keyboard.press(key)
            page.wait_for_timeout(300)
        state = context.storage_state()
        page.close()
        if readme_only:
            readme(browser, base, state, out)
            browser.close()
            return
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
                        show_answer(page)
                    page.screenshot(path=out / f"{name}-{scheme}-{label}.png", full_page=True)
                page.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), Path(sys.argv[2]), readme_only="--readme" in sys.argv[3:])
