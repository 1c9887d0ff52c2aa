"""Benchmark live sliders in a real browser, as ratios to baselines measured in the same run.

For each demo it opens a card page (Debian's chromium, headless, desktop size), moves the
demo's first slider one step and times the change to the new figure's load event, twice:

- a cold step (the first move after the page loaded, so the figure is drawn for it), beside a
  bare figure with the same grid of axes drawn in this process (bare_figure of bench/demos.py);
- the next step, after the page had time to have it drawn ahead (prefetch), beside the load of
  a figure the server has cached (the page fetches its current figure again, bypassing the
  browser's cache, and decodes it).

Each repeat opens the page with another seed, so every first step is cold. With several --code
folders, a server runs each checkout's code, demo by demo in turn (e.g. main beside a branch).

Usage: python bench/sliders.py [--demo ID ...] [--repeat N] [--code DIR ...] [--wait S]
"""

import argparse
import os
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

from app import urls
from app.config import Settings
from app.content.loader import load_library
from app.figures.registry import demo_ids, demos
from app.figures.style import LIGHT
from bench.demos import bare_figure, median_seconds
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.server import running_server

FIGURE_LOADED = (
    "() => { const i = document.querySelector('img[data-demo-image]');"
    " return i.complete && i.naturalWidth > 0; }"
)
# Move the first slider one step as a reader would (input, then change) and resolve with the
# milliseconds until the load event of the figure for the new value.
STEP = """() => new Promise((resolve, reject) => {
  const image = document.querySelector("img[data-demo-image]");
  const slider = document.querySelector("[data-demo-form] input[type=range]");
  const started = performance.now();
  slider.stepUp();
  const wanted = encodeURIComponent(slider.name) + "=" + encodeURIComponent(slider.value);
  image.addEventListener("load", function loaded() {
    const query = new URL(image.currentSrc).searchParams;
    if (query.get(slider.name) !== slider.value) return;  // an older figure
    image.removeEventListener("load", loaded);
    resolve(performance.now() - started);
  });
  setTimeout(() => reject(new Error("no figure for " + wanted + " in 60 s")), 60000);
  slider.dispatchEvent(new Event("input", { bubbles: true }));
  slider.dispatchEvent(new Event("change", { bubbles: true }));
})"""
# Fetch the figure shown (cached by the server) past the browser's cache, and decode it.
CACHED_LOAD = """async () => {
  const url = document.querySelector("img[data-demo-image]").currentSrc;
  const started = performance.now();
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new Error(url + ": " + response.status);
  await createImageBitmap(await response.blob());  // not an <img>: the page's CSP has no blob:
  return performance.now() - started;
}"""


def card_pages() -> dict[str, str]:
    """Return the path of a card page showing each demo."""
    library = load_library(Settings(_env_file=None).content_dir, demo_ids=demo_ids())
    found: dict[str, str] = {}
    for deck in library.decks:
        for card in deck.cards:
            if card.demo and card.demo not in found:
                found[card.demo] = urls.card(deck.id, card.id)
    return found


@contextmanager
def serve(checkout: Path, data: Path) -> Iterator[str]:
    """Run a server of the checkout's code and yield its base URL."""
    # `python -m app` puts its working folder first on sys.path, ahead of PYTHONPATH.
    here = Path.cwd()
    with ExitStack() as stack:
        os.chdir(checkout)
        try:
            env = {"PYTHONPATH": str(checkout.resolve())}
            base, _process = stack.enter_context(running_server(data, env=env))
        finally:
            os.chdir(here)
        yield base


def bare_grid_ms(demo_id: str, repeat: int) -> float:
    """Return the median milliseconds of a bare figure with the demo's grid of axes."""
    demo = demos()[demo_id]
    default = demo.figure(demo.compute(demo.params()), LIGHT, "wide")
    panels = sum(1 for ax in default.axes if ax.get_label() != "<colorbar>")
    size = demo.panels.size("wide")
    bare_figure(size, panels)  # warm the font cache for this size
    return median_seconds(partial(bare_figure, size, panels), repeat) * 1000


def measure(page: Page, url: str, wait: float) -> tuple[float, float, float]:
    """Return the milliseconds of a cold step, a prefetched step and a cached load."""
    page.goto(url)
    page.wait_for_function(FIGURE_LOADED, timeout=120_000)
    page.wait_for_load_state("networkidle")
    cold = float(page.evaluate(STEP))
    page.wait_for_timeout(wait * 1000)  # the neighbouring steps are drawn ahead meanwhile
    ahead = float(page.evaluate(STEP))
    page.wait_for_timeout(200)  # the next steps' prefetch asks go first
    cached = statistics.median(float(page.evaluate(CACHED_LOAD)) for _ in range(3))
    return cold, ahead, cached


def main() -> None:
    """Run the benchmark and print a table per code folder."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", action="append", help="only these demo ids")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--wait", type=float, default=2.0, help="seconds to let prefetch work")
    parser.add_argument(
        "--code", action="append", type=Path, help="checkouts to serve (default: this one)"
    )
    args = parser.parse_args()
    checkouts = args.code or [Path(__file__).resolve().parents[1]]
    pages = card_pages()
    selected = [key for key in demos() if not args.demo or key in args.demo]
    rows: dict[Path, list[tuple[str, float, float, float, float]]] = {c: [] for c in checkouts}
    with ExitStack() as stack, sync_playwright() as playwright:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        bases = {}
        for index, checkout in enumerate(checkouts):
            bases[checkout] = stack.enter_context(serve(checkout, folder / f"data{index}"))
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        for key in selected:
            grid = bare_grid_ms(key, 7)
            for checkout in checkouts:
                samples = [
                    measure(page, f"{bases[checkout]}{pages[key]}?seed={seed}", args.wait)
                    for seed in range(1, args.repeat + 1)
                ]
                cold, ahead, cached = (
                    statistics.median(column) for column in zip(*samples, strict=True)
                )
                rows[checkout].append((key, grid, cold, ahead, cached))
                print(
                    f"{checkout.name:>12} {key:22} cold {cold:7.1f} / grid {grid:6.1f} = "
                    f"{cold / grid:5.2f}   step {ahead:7.1f} / cached {cached:6.1f} = "
                    f"{ahead / cached:5.2f}",
                    file=sys.stderr,
                    flush=True,
                )
        browser.close()
    for checkout, table in rows.items():
        report(checkout, table)


def report(checkout: Path, table: list[tuple[str, float, float, float, float]]) -> None:
    """Print the rows of one checkout and the medians of both ratios."""
    print(f"\n{checkout}")
    print(
        f"{'demo':24} {'grid ms':>8} {'cold ms':>8} {'/grid':>6} {'step ms':>8} "
        f"{'cached ms':>10} {'/cached':>8}"
    )
    for key, grid, cold, ahead, cached in table:
        print(
            f"{key:24} {grid:8.1f} {cold:8.1f} {cold / grid:6.2f} {ahead:8.1f} "
            f"{cached:10.1f} {ahead / cached:8.2f}"
        )
    medians: list[Any] = [
        statistics.median(row[2] / row[1] for row in table),
        statistics.median(row[3] / row[4] for row in table),
    ]
    print(
        f"median slider change -> new figure / bare grid: {medians[0]:.2f} (aim <= 2.0); "
        f"median prefetched step / cached load: {medians[1]:.2f} (aim <= 1.2)"
    )


if __name__ == "__main__":
    main()
