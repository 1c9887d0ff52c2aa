"""A deck as an Anki package (.apkg): one note per card, its demo's figure as media.

Every id is derived from the deck and card ids, never drawn at random: a note's GUID is
genanki.guid_for(deck id, card id), and the note type and Anki deck ids are fixed hashes of
the deck id, so importing a newer package into Anki updates the notes it holds instead of
adding copies. Math keeps its LaTeX between MathJax's delimiters, \\( \\) inline and \\[ \\]
for display, which Anki renders itself.
"""

import hashlib
import html
import io
import re
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import genanki
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from pygments.formatters import HtmlFormatter

from app.content.models import Card, Deck

FIELDS = ("Question", "Answer", "Formulas", "Code", "Pros", "Cons", "Note", "Figure")
MEDIA_TYPE = "application/apkg"
# A figure for one demo: its PNG bytes and its alt text, or None when it has none.
FigureSource = Callable[[str], tuple[bytes, str] | None]

_FRONT = '<div class="question">{{Question}}</div>'
_BACK = """{{FrontSide}}
<hr id="answer">
<div class="answer">{{Answer}}</div>
{{#Formulas}}<div class="formulas">{{Formulas}}</div>{{/Formulas}}
{{#Figure}}<div class="figure">{{Figure}}</div>{{/Figure}}
{{#Code}}<div class="code">{{Code}}</div>{{/Code}}
{{#Pros}}<div class="pros"><h3>Pros</h3>{{Pros}}</div>{{/Pros}}
{{#Cons}}<div class="cons"><h3>Cons</h3>{{Cons}}</div>{{/Cons}}
{{#Note}}<div class="note">{{Note}}</div>{{/Note}}"""
_CSS = """.card { font-family: system-ui, sans-serif; font-size: 18px; line-height: 1.5;
  text-align: left; max-width: 46em; margin: 0 auto; }
.question { font-weight: 600; font-size: 1.15em; }
.formulas, .figure, .code, .pros, .cons, .note { margin-top: 1em; }
.figure img { max-width: 100%; height: auto; }
.highlight pre { overflow-x: auto; padding: 0.6em; font-size: 0.8em; border-radius: 4px; }
.note { font-size: 0.9em; opacity: 0.85; border-left: 3px solid #888; padding-left: 0.8em; }
h3 { font-size: 1em; margin: 0 0 0.3em; }
"""


def _stable_id(kind: str, deck_id: str) -> int:
    """Return an id in Anki's usual range [2**30, 2**31) fixed by kind and deck id."""
    digest = hashlib.sha256(f"prepdeck:{kind}:{deck_id}".encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)


def model_id(deck_id: str) -> int:
    """Return the note type's id for this deck (the same on every export)."""
    return _stable_id("model", deck_id)


def anki_deck_id(deck_id: str) -> int:
    """Return the Anki deck's id for this deck (the same on every export)."""
    return _stable_id("deck", deck_id)


def note_guid(deck_id: str, card_id: str) -> str:
    """Return the GUID of a card's note: Anki matches notes on it when importing again."""
    return str(genanki.guid_for(deck_id, card_id))


def _mathjax(content: str, options: dict[str, Any]) -> str:
    text = html.escape(content, quote=False)
    return rf"\[{text}\]" if options.get("display_mode") else rf"\({text}\)"


def _make_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False})
    md.enable("table")
    dollarmath_plugin(md, allow_digits=False, allow_space=False, renderer=_mathjax)
    return md


_MARKDOWN = _make_markdown()


def markdown_for_anki(text: str) -> str:
    """Render markdown to HTML with its $math$ left as LaTeX between MathJax delimiters."""
    return str(_MARKDOWN.render(text)).strip()


def _inline(text: str) -> str:
    return str(_MARKDOWN.renderInline(text))


def formulas_field(formulas: tuple[str, ...]) -> str:
    """Return display formulas, one \\[ \\] block each, their LaTeX escaped for HTML."""
    return "".join(
        f'<div class="formula">\\[{html.escape(latex, quote=False)}\\]</div>' for latex in formulas
    )


def _list(items: tuple[str, ...]) -> str:
    return f"<ul>{''.join(f'<li>{_inline(item)}</li>' for item in items)}</ul>" if items else ""


def media_name(demo_id: str) -> str:
    """Return the file name of a demo's figure in Anki's media folder."""
    return f"prepdeck-{demo_id}.png"


def card_fields(card: Card, figure_alt: str | None) -> list[str]:
    """Return the note's fields for a card, in FIELDS order, as HTML."""
    figure = ""
    if card.demo is not None and figure_alt is not None:
        alt = html.escape(figure_alt)
        figure = f'<img src="{media_name(card.demo)}" alt="{alt}">'
    return [
        html.escape(card.question),
        markdown_for_anki(card.answer),
        formulas_field(card.formula),
        card.code_html or "",
        _list(card.pros),
        _list(card.cons),
        markdown_for_anki(card.note) if card.note else "",
        figure,
    ]


def card_tags(card: Card) -> list[str]:
    """Return a card's Anki tags: its deck, its topics and its difficulty."""
    return [
        f"prepdeck::{card.deck_id}",
        *(f"topic::{topic}" for topic in card.topics),
        f"difficulty::{card.difficulty.value}",
    ]


def _css() -> str:
    light = HtmlFormatter(style="default").get_style_defs(".highlight")  # type: ignore[no-untyped-call]
    dark = HtmlFormatter(style="monokai").get_style_defs(".nightMode .highlight")  # type: ignore[no-untyped-call]
    return f"{_CSS}\n{light}\n{dark}\n"


def note_model(deck: Deck) -> genanki.Model:
    """Return the note type of a deck's notes: one card, question on the front."""
    return genanki.Model(
        model_id(deck.id),
        f"prepdeck: {deck.title}",
        fields=[{"name": name} for name in FIELDS],
        templates=[{"name": "Question", "qfmt": _FRONT, "afmt": _BACK}],
        css=_css(),
    )


def build_package(deck: Deck, figure: FigureSource, *, timestamp: float | None = None) -> bytes:
    """Return the deck as .apkg bytes, each card's demo figure drawn once by `figure`."""
    model = note_model(deck)
    anki_deck = genanki.Deck(anki_deck_id(deck.id), deck.title, description=deck.subtitle_html)
    figures: dict[str, tuple[bytes, str] | None] = {}
    for card in deck.cards:
        if card.demo is not None and card.demo not in figures:
            figures[card.demo] = figure(card.demo)
        drawn = figures.get(card.demo) if card.demo is not None else None
        anki_deck.add_note(
            genanki.Note(
                model=model,
                fields=card_fields(card, drawn[1] if drawn else None),
                tags=card_tags(card),
                guid=note_guid(deck.id, card.id),
                due=card.number,
            )
        )
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="prepdeck-apkg-") as folder:
        media = []
        for demo_id, drawn in figures.items():
            if drawn is None:
                continue
            path = Path(folder) / media_name(demo_id)
            path.write_bytes(drawn[0])
            media.append(str(path))
        package = genanki.Package(anki_deck, media_files=media)
        package.write_to_file(buffer, timestamp=time.time() if timestamp is None else timestamp)
    return buffer.getvalue()


def content_digest(deck: Deck) -> str:
    """Return a digest of everything a deck holds: the same deck, the same digest."""
    return hashlib.sha256(deck.model_dump_json().encode()).hexdigest()


def package_filename(deck: Deck) -> str:
    """Return a safe file name for the deck's package."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", deck.id).strip("-") or "deck"
    return f"prepdeck-{stem}.apkg"


@dataclass(frozen=True)
class Package:
    """A built package and its name."""

    body: bytes
    filename: str
    digest: str

    @property
    def headers(self) -> dict[str, str]:
        """Return the headers that make a browser save the package under its name."""
        return {
            "Content-Disposition": f'attachment; filename="{self.filename}"',
            "ETag": f'"{self.digest[:32]}"',
        }


class PackageCache:
    """Built packages by content digest (bounded), one build at a time.

    A build draws every figure the deck needs; builds run one after another, and those
    waiting for the same deck get the package the first one built.
    """

    def __init__(self, max_entries: int = 8) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Package] = OrderedDict()
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()
        self.builds = 0

    def _cached(self, digest: str) -> Package | None:
        with self._lock:
            found = self._entries.get(digest)
            if found is not None:
                self._entries.move_to_end(digest)
            return found

    def package(self, deck: Deck, figure: FigureSource) -> Package:
        """Return the deck's package, building it only when this content has none yet."""
        digest = content_digest(deck)
        found = self._cached(digest)
        if found is not None:
            return found
        with self._build_lock:
            found = self._cached(digest)
            if found is not None:
                return found
            built = Package(build_package(deck, figure), package_filename(deck), digest)
            self.builds += 1
            with self._lock:
                self._entries[digest] = built
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
            return built

    def clear(self) -> None:
        """Forget every package."""
        with self._lock:
            self._entries.clear()


PACKAGES = PackageCache()
