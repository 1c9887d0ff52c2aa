"""Benchmark matching explained answers against key points, beside a baseline in the same run.

For each card with key points it times matching a 5,000-character answer (the largest the
routes take: every card's text, joined and cut), after one warm-up match as a running server
would have had, and prints the median and the worst over the cards in milliseconds, and as a
ratio to the baseline: splitting the same text into words with a regular expression.

Usage: python bench/explain.py [--repeat N]
"""

import argparse
import re
import statistics
import time
from collections.abc import Callable
from functools import partial

from app import paths
from app.content.key_points import card_text
from app.content.loader import load_library
from app.rehearsal.matching import MAX_TEXT, match_points


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    """Return the median wall time of repeat runs of action."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Print the matching times per card and over the cards."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    library = load_library(paths.CONTENT_DIR)
    cards = [card for deck in library.decks for card in deck.cards if card.key_points]
    text = " ".join(card_text(card) for deck in library.decks for card in deck.cards)
    text = (text * (1 + MAX_TEXT // max(1, len(text))))[:MAX_TEXT]
    words = re.compile(r"\w+")
    baseline = median_seconds(lambda: words.findall(text), args.repeat)
    times = {}
    for card in cards:
        match_points(text, card.key_points)
        times[card.id] = median_seconds(partial(match_points, text, card.key_points), args.repeat)
    for card_id, seconds in times.items():
        print(f"{card_id:32} {seconds * 1000:7.2f} ms  {seconds / baseline:6.1f}x split")
    median = statistics.median(times.values())
    worst = max(times.values())
    print(
        f"{len(times)} cards, {len(text)} characters: median {median * 1000:.2f} ms "
        f"({median / baseline:.1f}x split), worst {worst * 1000:.2f} ms "
        f"({worst / baseline:.1f}x split); split alone {baseline * 1000:.3f} ms"
    )


if __name__ == "__main__":
    main()
