"""Assemble decks from their YAML files into validated models, reporting every problem at once."""

import functools
import hashlib
import re
import typing
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path

from app.content.key_points import key_point_problems, key_point_warnings
from app.content.markup import (
    RenderError,
    code_to_html,
    latex_to_mathml,
    markdown_inline_to_html,
    markdown_to_html,
)
from app.content.messages import validate
from app.content.models import (
    Card,
    CardSource,
    CheatSheet,
    Deck,
    DeckSource,
    Library,
    RenderedCheatGroup,
    RenderedCheatItem,
    RenderedCheatSheet,
)
from app.content.yaml_source import Loc, Problem, Source, display_path, parse_yaml
from app.exceptions import AppError

_CARD_FILE_PREFIX = re.compile(r"^\d+-")
T = typing.TypeVar("T")


class ContentError(AppError):
    """The content folder has problems; ``problems`` lists every one."""

    status = 422
    title = "Content with problems"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(sorted(problems))
        super().__init__("\n".join(str(problem) for problem in self.problems))

    def page_lines(self) -> list[str]:
        """Return one line per problem."""
        return [str(problem) for problem in self.problems]


def _render_card(
    source: Source, card: CardSource, deck: DeckSource
) -> tuple[Card | None, list[Problem]]:
    problems: list[Problem] = []

    def attempt(loc: Loc, render: typing.Callable[[], T]) -> T | None:
        try:
            return render()
        except RenderError as exc:
            problems.append(source.problem(loc, f"{loc[0]}: {exc}"))
            return None

    answer_html = attempt(("answer",), lambda: markdown_to_html(card.answer))
    formula_html = tuple(
        attempt(("formula", index), functools.partial(latex_to_mathml, latex, display=True))
        for index, latex in enumerate(card.formula)
    )
    code_html = (
        attempt(("code_language",), lambda: code_to_html(card.code or "", card.code_language))
        if card.code
        else None
    )
    note_html = attempt(("note",), lambda: markdown_to_html(card.note or "")) if card.note else None
    if problems or answer_html is None:
        return None, problems
    labels = [topic.label for topic in deck.topics if topic.id in card.topics]
    search_text = " ".join(
        [card.question, card.answer, card.note or "", *card.chips, *labels]
    ).casefold()
    return (
        Card(
            **card.model_dump(),
            deck_id=deck.id,
            answer_html=answer_html,
            formula_html=tuple(html for html in formula_html if html is not None),
            code_html=code_html,
            note_html=note_html,
            search_text=search_text,
        ),
        [],
    )


def _load_deck(
    folder: Path, demo_ids: frozenset[str] | None, warnings: list[Problem] | None
) -> tuple[Deck | None, list[Problem]]:
    deck_path = folder / "deck.yaml"
    deck_file, problems = parse_yaml(deck_path)
    deck_source, found = validate(deck_file, DeckSource) if deck_file else (None, [])
    problems += found

    cards_dir = folder / "cards"
    card_paths = sorted(
        path for path in cards_dir.glob("*.y*ml") if path.suffix in (".yaml", ".yml")
    )
    if not card_paths:
        problems.append(
            Problem(cards_dir, None, "no cards: add one file per card, cards/NN-<card-id>.yaml")
        )
    parsed: list[tuple[Source, CardSource]] = []
    # Ids of cards that fail validation still count as known, so that one broken card
    # does not also make every reference to it an error.
    named_ids: set[str] = set()
    for path in card_paths:
        named_ids.add(_CARD_FILE_PREFIX.sub("", path.stem))
        card_file, found = parse_yaml(path)
        problems += found
        if card_file is None:
            continue
        if isinstance(card_file.data.get("id"), str):
            named_ids.add(card_file.data["id"])
        card, found = validate(card_file, CardSource)
        problems += found
        if card is not None:
            parsed.append((card_file, card))
    if deck_file is None or deck_source is None:
        return None, problems
    problems += _check_deck(deck_file, deck_source, parsed, named_ids, demo_ids)
    if warnings is not None and not problems:  # the key points must be sound to match them
        warnings += key_point_warnings(parsed)
    cards = []
    for card_file, card in parsed:
        rendered, found = _render_card(card_file, card, deck_source)
        problems += found
        if rendered is not None:
            cards.append(rendered)
    if problems:
        return None, problems
    return _build_deck(deck_file, deck_source, cards)


def _render_cheatsheet(
    deck_file: Source, sheet: CheatSheet
) -> tuple[RenderedCheatSheet | None, list[Problem]]:
    problems: list[Problem] = []

    def attempt(loc: Loc, text: str | None, render: typing.Callable[[str], str]) -> str | None:
        if text is None:
            return None
        try:
            return render(text)
        except RenderError as exc:
            problems.append(deck_file.problem(loc, f"{loc[-1]}: {exc}"))
            return None

    groups = []
    for g, group in enumerate(sheet.groups):
        items = []
        for i, item in enumerate(group.items):
            loc: Loc = ("cheatsheet", "groups", g, "items", i)
            formula_html = attempt(
                (*loc, "formula"), item.formula, functools.partial(latex_to_mathml, display=True)
            )
            tip_html = attempt((*loc, "tip"), item.tip, markdown_inline_to_html)
            items.append(
                RenderedCheatItem(**item.model_dump(), formula_html=formula_html, tip_html=tip_html)
            )
        groups.append(RenderedCheatGroup(name=group.name, items=tuple(items)))
    if problems:
        return None, problems
    return RenderedCheatSheet(title=sheet.title, groups=tuple(groups)), []


def _build_deck(
    deck_file: Source, source: DeckSource, cards: list[Card]
) -> tuple[Deck | None, list[Problem]]:
    try:
        subtitle_html = markdown_inline_to_html(source.subtitle)
        verdict_html = markdown_inline_to_html(source.verdict) if source.verdict else None
    except RenderError as exc:
        return None, [deck_file.problem((), str(exc))]
    cheatsheet = None
    if source.cheatsheet is not None:
        cheatsheet, problems = _render_cheatsheet(deck_file, source.cheatsheet)
        if problems:
            return None, problems
    deck = Deck(
        **source.model_dump(exclude={"cheatsheet"}),
        subtitle_html=subtitle_html,
        verdict_html=verdict_html,
        cheatsheet=cheatsheet,
        cards=tuple(sorted(cards, key=lambda card: card.number)),
    )
    return deck, []


def _check_deck(
    deck_file: Source,
    deck: DeckSource,
    cards: list[tuple[Source, CardSource]],
    named_ids: set[str],
    demo_ids: frozenset[str] | None,
) -> Iterator[Problem]:
    topic_ids = [topic.id for topic in deck.topics]
    yield from _duplicates(
        deck_file, [(("topics", i, "id"), topic) for i, topic in enumerate(topic_ids)], "topic id"
    )
    first_id: dict[str, str] = {}
    first_number: dict[int, str] = {}
    for card_file, card in cards:
        where = f"{display_path(card_file.path)}:{card_file.line(('id',))}"
        if card.id in first_id:
            yield card_file.problem(
                ("id",), f"duplicate card id '{card.id}' (also at {first_id[card.id]})"
            )
        first_id.setdefault(card.id, where)
        here = f"{display_path(card_file.path)}:{card_file.line(('number',))}"
        if card.number in first_number:
            yield card_file.problem(
                ("number",),
                f"duplicate card number {card.number} (also at {first_number[card.number]})",
            )
        first_number.setdefault(card.number, here)
        if card_file.path.stem != f"{card.number:02d}-{card.id}":
            yield card_file.problem(
                ("id",),
                f"file name does not match the card: rename it {card.number:02d}-{card.id}.yaml",
            )
        for index, topic in enumerate(card.topics):
            if topic not in topic_ids:
                yield card_file.problem(
                    ("topics", index),
                    f"unknown topic '{topic}': the deck's topics are {', '.join(topic_ids)}",
                )
        yield from key_point_problems(card_file, card)
        if card.demo is not None and demo_ids is not None and card.demo not in demo_ids:
            yield card_file.problem(
                ("demo",),
                f"unknown demo id '{card.demo}': known demos are {', '.join(sorted(demo_ids))}",
            )
    if deck.cheatsheet and cards:
        for g, group in enumerate(deck.cheatsheet.groups):
            for i, item in enumerate(group.items):
                if item.card is not None and item.card not in named_ids:
                    yield deck_file.problem(
                        ("cheatsheet", "groups", g, "items", i, "card"),
                        f"cheat sheet item '{item.term}' names unknown card '{item.card}'",
                    )


def _duplicates(source: Source, values: list[tuple[Loc, str]], what: str) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for loc, value in values:
        if value in seen:
            yield source.problem(loc, f"duplicate {what} '{value}' (first at line {seen[value]})")
        seen.setdefault(value, source.line(loc))


_LOADED: OrderedDict[tuple[object, ...], Library] = OrderedDict()
_LOADED_MAX = 8


def _fingerprint(root: Path) -> str | None:
    """Return a digest of every file under root, names and bytes: the same content, the same."""
    if not root.is_dir():
        return None
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def load_library(
    root: Path, *, demo_ids: frozenset[str] | None = None, warn: bool = False
) -> Library:
    """Load every deck under root (or root itself when it holds a deck.yaml).

    Raise ContentError listing every problem found. With demo_ids, a card's demo must be one.
    With warn, the library's warnings list what check-content warns about.

    A library is immutable: loading the same files again (same names and bytes) returns the
    one already built, without parsing them again.
    """
    fingerprint = _fingerprint(root)
    key = (str(root.resolve()), fingerprint, demo_ids, warn)
    found = _LOADED.get(key) if fingerprint is not None else None
    if found is not None:
        return found
    library = _load_library(root, demo_ids=demo_ids, warn=warn)
    _LOADED[key] = library
    while len(_LOADED) > _LOADED_MAX:
        _LOADED.popitem(last=False)
    return library


def _load_library(root: Path, *, demo_ids: frozenset[str] | None, warn: bool) -> Library:
    if not root.is_dir():
        raise ContentError([Problem(root, None, "no such folder: give the folder of decks")])
    if (root / "deck.yaml").is_file():
        folders = [root]
    else:
        folders = sorted(
            path
            for path in root.iterdir()
            if path.is_dir() and not path.name.startswith((".", "_"))
        )
    problems: list[Problem] = []
    # The warnings match every key point against the cards' texts: only check-content asks.
    warnings: list[Problem] | None = [] if warn else None
    decks: list[Deck] = []
    first_folder: dict[str, Path] = {}
    for folder in folders:
        if not (folder / "deck.yaml").is_file():
            problems.append(Problem(folder, None, "not a deck: it has no deck.yaml"))
            continue
        deck, found = _load_deck(folder, demo_ids, warnings)
        problems += found
        if deck is None:
            continue
        if deck.id in first_folder:
            also = display_path(first_folder[deck.id])
            problems.append(
                Problem(folder / "deck.yaml", 1, f"duplicate deck id '{deck.id}' (also in {also})")
            )
        first_folder.setdefault(deck.id, folder)
        decks.append(deck)
    if not folders:
        problems.append(
            Problem(
                root, None, "no decks: add a folder with deck.yaml and cards/ (content/README.md)"
            )
        )
    if problems:
        raise ContentError(problems)
    return Library(
        decks=tuple(sorted(decks, key=lambda deck: deck.title.casefold())),
        warnings=tuple(str(warning) for warning in sorted(warnings or ())),
    )
