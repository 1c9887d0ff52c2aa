"""The Anki export: one note per card, stable GUIDs and ids, the demo figures as media."""

import html
import io
import json
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import genanki
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from app.content import anki
from app.content.models import Card, Deck, Library
from tests.helpers import attr, soup

DECK = "regularization"
URL = f"/api/v1/decks/{DECK}/export.apkg"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FIELD_SEPARATOR = "\x1f"


class Opened:
    """An .apkg taken apart: its collection's rows and its media files by name."""

    def __init__(self, body: bytes, tmp_path: Path) -> None:
        archive = zipfile.ZipFile(io.BytesIO(body))
        names = set(archive.namelist())
        assert {"collection.anki2", "media"} <= names
        media_map: dict[str, str] = json.loads(archive.read("media"))
        assert set(media_map) == names - {"collection.anki2", "media"}
        self.media = {name: archive.read(index) for index, name in media_map.items()}
        tmp_path.mkdir(parents=True, exist_ok=True)
        path = tmp_path / "collection.anki2"
        path.write_bytes(archive.read("collection.anki2"))
        connection = sqlite3.connect(path)
        try:
            rows = connection.execute("SELECT guid, mid, tags, flds FROM notes").fetchall()
            self.deck_ids = {row[0] for row in connection.execute("SELECT did FROM cards")}
            models, decks = connection.execute("SELECT models, decks FROM col").fetchone()
        finally:
            connection.close()
        self.models: dict[str, Any] = json.loads(models)
        self.decks: dict[str, Any] = json.loads(decks)
        self.notes = {
            guid: (mid, tags.split(), _fields(fields)) for guid, mid, tags, fields in rows
        }
        assert len(self.notes) == len(rows)


def _fields(joined: str) -> dict[str, str]:
    return dict(zip(anki.FIELDS, joined.split(FIELD_SEPARATOR), strict=True))


def _deck(library: Library) -> Deck:
    deck = library.deck(DECK)
    assert deck is not None
    return deck


def _tiny_figure(demo_id: str) -> tuple[bytes, str]:
    return PNG_SIGNATURE + demo_id.encode(), f"What {demo_id} shows"


def test_one_note_per_card_with_its_fields(
    client: TestClient, library: Library, tmp_path: Path
) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/apkg"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="prepdeck-{DECK}.apkg"'
    )
    package = Opened(response.content, tmp_path)
    deck = _deck(library)
    assert set(package.notes) == {genanki.guid_for(DECK, card.id) for card in deck.cards}
    assert len(package.notes) == len(deck.cards) == 20
    for card in deck.cards:
        mid, tags, fields = package.notes[genanki.guid_for(DECK, card.id)]
        assert mid == anki.model_id(DECK)
        assert tags == [
            f"prepdeck::{DECK}",
            *(f"topic::{topic}" for topic in card.topics),
            f"difficulty::{card.difficulty.value}",
        ]
        assert fields["Question"] == html.escape(card.question)
        assert fields["Formulas"] == "".join(
            f'<div class="formula">\\[{html.escape(latex, quote=False)}\\]</div>'
            for latex in card.formula
        )
        assert fields["Code"] == (card.code_html or "")
        assert fields["Pros"].count("<li>") == len(card.pros)
        assert fields["Cons"].count("<li>") == len(card.cons)
        _check_figure(card, fields["Figure"], package.media)
    assert package.deck_ids == {anki.anki_deck_id(DECK)}
    assert package.decks[str(anki.anki_deck_id(DECK))]["name"] == deck.title
    assert list(package.models) == [str(anki.model_id(DECK))]
    assert [field["name"] for field in package.models[str(anki.model_id(DECK))]["flds"]] == list(
        anki.FIELDS
    )


def _check_figure(card: Card, field: str, media: dict[str, bytes]) -> None:
    """The figure field names a PNG in the package, or is empty for a card without a demo."""
    if card.demo is None:
        assert field == ""
        return
    page = BeautifulSoup(field, "html.parser")
    image = page.select_one("img")
    assert image is not None
    assert image["src"] == f"prepdeck-{card.demo}.png"
    assert media[f"prepdeck-{card.demo}.png"].startswith(PNG_SIGNATURE)
    assert str(image["alt"])


def test_answer_note_and_math_keep_their_latex(library: Library) -> None:
    deck = _deck(library)
    card = deck.card("l2-weight-decay")
    assert card is not None
    fields = dict(zip(anki.FIELDS, anki.card_fields(card, "alt"), strict=True))
    assert "\\(\\frac{\\lambda}{2}\\sum w^2\\)" in fields["Answer"]
    assert fields["Answer"].startswith("<p>L2 adds the penalty term")
    assert "<math" not in fields["Answer"]
    noted = next(card for card in deck.cards if card.note)
    assert anki.card_fields(noted, None)[FIELDS_NOTE].startswith("<p><strong>")
    assert anki.markdown_for_anki("So $a<b$ and\n\n$$x^2$$") == (
        '<p>So <span class="math inline">\\(a&lt;b\\)</span> and</p>\n'
        '<div class="math block">\n\\[x^2\\]\n</div>'
    )
    assert anki.formulas_field(("a < b", "c")) == (
        '<div class="formula">\\[a &lt; b\\]</div><div class="formula">\\[c\\]</div>'
    )


FIELDS_NOTE = anki.FIELDS.index("Note")


def test_exporting_again_keeps_every_id(library: Library, tmp_path: Path) -> None:
    deck = _deck(library)
    first = Opened(anki.build_package(deck, _tiny_figure, timestamp=1_000_000), tmp_path / "a")
    second = Opened(anki.build_package(deck, _tiny_figure, timestamp=2_000_000), tmp_path / "b")
    assert set(first.notes) == set(second.notes)
    assert {note[0] for note in first.notes.values()} == {anki.model_id(DECK)}
    assert {note[0] for note in second.notes.values()} == {anki.model_id(DECK)}
    assert first.deck_ids == second.deck_ids == {anki.anki_deck_id(DECK)}
    assert list(first.models) == list(second.models)
    assert first.media == second.media
    assert anki.model_id(DECK) != anki.anki_deck_id(DECK)
    assert anki.model_id("other") != anki.model_id(DECK)


def test_a_figure_that_cannot_be_drawn_leaves_its_field_empty(
    library: Library, tmp_path: Path
) -> None:
    package = Opened(anki.build_package(_deck(library), lambda _demo: None), tmp_path)
    assert package.media == {}
    assert {fields["Figure"] for _mid, _tags, fields in package.notes.values()} == {""}


def test_the_package_is_built_once_per_content(client: TestClient) -> None:
    first = client.get(URL)
    builds = anki.PACKAGES.builds
    second = client.get(URL)
    assert anki.PACKAGES.builds == builds
    assert second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]


def test_unknown_deck_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/decks/no-such-deck/export.apkg")
    assert response.status_code == 404
    assert response.json()["detail"].startswith("There is no deck 'no-such-deck'")


def test_safe_filename(library: Library) -> None:
    deck = _deck(library).model_copy(update={"id": 'a"b/../c'})
    assert anki.package_filename(deck) == "prepdeck-a-b-c.apkg"


def test_deck_page_links_the_export(client: TestClient) -> None:
    page = soup(client.get(f"/decks/{DECK}"))
    assert attr(page, ".hero__actions a[download]", "href") == URL
