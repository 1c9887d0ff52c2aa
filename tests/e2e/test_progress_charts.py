"""The progress charts in a real browser: they fill their panel, read at 390 px, both themes."""

import itertools

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Tab
from tests.e2e.test_study_quiz import sign_up

# Measures a chart against its panel, the smallest text in it, and its colours, in the page.
MEASURE = """(selector) => {
  const chart = document.querySelector(selector);
  const panel = chart.closest('.panel');
  const style = getComputedStyle(panel);
  const inner = panel.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const rgb = (text) => text.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = c.map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const back = rgb(style.backgroundColor);
  const texts = [...panel.querySelectorAll('figure li, figure span, figcaption')]
    .filter((e) => [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()));
  return {
    width: chart.getBoundingClientRect().width,
    inner: inner,
    smallest: Math.min(...texts.map((e) => parseFloat(getComputedStyle(e).fontSize))),
    faintest: Math.min(...texts.map((e) => contrast(rgb(getComputedStyle(e).color), back))),
    legend: [...panel.querySelectorAll('[data-calendar-legend] [data-level]')]
      .map((e) => contrast(rgb(getComputedStyle(e).backgroundColor), back)),
    legendColours: [...panel.querySelectorAll('[data-calendar-legend] [data-level]')]
      .map((e) => getComputedStyle(e).backgroundColor),
    busiest: [...panel.querySelectorAll('.calendar__grid [data-level="4"]')]
      .map((e) => getComputedStyle(e).backgroundColor),
  };
}"""


def study_a_few(page: Page) -> None:
    """Show and grade four cards Easy from the study page, with the keyboard."""
    for _ in range(4):
        card = page.locator("article.flashcard").get_attribute("data-card")
        page.keyboard.press("Space")
        expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "shown")
        page.keyboard.press("4")
        expect(page.locator(f'article.flashcard:not([data-card="{card}"])')).to_be_visible()


def check_charts(tab: Tab, width: int) -> None:
    """Check both charts on the open progress page at this viewport width."""
    page = tab.page
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for selector in ("[data-chart=forecast] .forecast__chart", "[data-chart=calendar]"):
        measured = page.evaluate(MEASURE, selector)
        # The chart fills its panel's width, text stays legible and contrasted.
        assert abs(measured["width"] - measured["inner"]) <= 2, (selector, measured)
        assert measured["smallest"] >= 11, (selector, measured)
        assert measured["faintest"] >= 4.5, (selector, measured)
    calendar = page.evaluate(MEASURE, "[data-chart=calendar]")
    # The legend runs from fewest to most reviews: each step stands out more from the panel,
    # and its last step is the colour of the busiest day.
    steps = calendar["legend"]
    assert len(steps) == 5
    assert all(a < b for a, b in itertools.pairwise(steps)), steps
    assert calendar["busiest"]
    assert set(calendar["busiest"]) == {calendar["legendColours"][-1]}
    expect(page.locator("[data-calendar-legend]")).to_contain_text("Busiest day: 4 reviews.")
    bars = page.locator(".forecast__bar")
    assert bars.count() >= 1


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_charts_fill_their_panel_at_phone_and_desktop_width(
    phone: Tab, desktop: Tab, base_url: str, scheme: str
) -> None:
    page = phone.page
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    sign_up(page, base_url)
    study_a_few(page)
    page.goto(f"{base_url}/progress")
    check_charts(phone, 390)
    page.locator("[data-chart=calendar]").scroll_into_view_if_needed()
    phone.shot(f"phone-{scheme}")

    desktop.page.context.add_cookies(page.context.cookies())  # type: ignore[arg-type]
    desktop.page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    desktop.page.goto(f"{base_url}/progress")
    check_charts(desktop, 1280)
    desktop.shot(f"desktop-{scheme}")
    assert phone.errors == []
    assert desktop.errors == []
