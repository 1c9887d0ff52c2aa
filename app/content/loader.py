"""Read decks from YAML into validated models, reporting every problem with its file and line."""

import difflib
import functools
import re
import types
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from app.content.markup import (
    RenderError,
    code_to_html,
    latex_to_mathml,
    markdown_inline_to_html,
    markdown_to_html,
)
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

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 20  # the shipped decks nest at most 7 levels (cheat sheet items)
_CARD_FILE_PREFIX = re.compile(r"^\d+-")
Loc = tuple[str | int, ...]
M = typing.TypeVar("M", bound=BaseModel)
T = typing.TypeVar("T")


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the content, where it is and what to do."""

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = _display(self.path) if self.line is None else f"{_display(self.path)}:{self.line}"
        return f"{where}: {self.message}"


class ContentError(Exception):
    """The content folder has problems; ``problems`` lists every one."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(sorted(problems))
        super().__init__("\n".join(str(problem) for problem in self.problems))


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass
class _Source:
    """One parsed YAML file: its data and the line of every key and list item."""

    path: Path
    data: Any
    lines: dict[Loc, int]

    def line(self, loc: Loc) -> int:
        """Return the line of the deepest part of loc that the file has."""
        while loc not in self.lines:
            loc = loc[:-1]
        return self.lines[loc]

    def problem(self, loc: Loc, message: str) -> Problem:
        """Return a problem placed at loc."""
        return Problem(self.path, self.line(loc), message)


def _walk(
    node: yaml.Node, loc: Loc, lines: dict[Loc, int], problems: list[Problem], path: Path
) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(
                    Problem(path, line, f"duplicate key '{key}' (first at line {seen[key]})")
                )
            seen[key] = line
            lines[(*loc, key)] = line
            _walk(value_node, (*loc, key), lines, problems, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*loc, index)] = item.start_mark.line + 1
            _walk(item, (*loc, index), lines, problems, path)


class _Refused(yaml.MarkedYAMLError):
    """YAML that decks do not use and that could make a small file cost a lot to load."""


class _DeckLoader(yaml.SafeLoader):
    """A SafeLoader that refuses aliases and deep nesting before building anything.

    An alias (*name) repeats a value without repeating its text, so a few lines of nested
    aliases ("billion laughs") expand into gigabytes; decks spell every value out.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        mark = typing.cast(yaml.Mark, event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                problem=f"aliases (*{event.anchor}) are not allowed in decks: write the value out",
                problem_mark=mark,
            )
        if self.depth >= MAX_DEPTH:
            raise _Refused(problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _unreadable(path: Path, text: str, exc: yaml.reader.ReaderError) -> Problem:
    line = text[: exc.position].count("\n") + 1
    char = exc.character
    shown = f"U+{char:04X}" if isinstance(char, int) else repr(char)
    return Problem(path, line, f"YAML error: the control character {shown} is not allowed")


def parse_yaml(path: Path) -> tuple[_Source | None, list[Problem]]:
    """Parse one YAML file, keeping the line of each key; never raise."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(path, None, f"cannot read the file: {exc.strerror}")]
    if len(raw) > MAX_FILE_BYTES:
        return None, [Problem(path, None, f"file is larger than {MAX_FILE_BYTES} bytes")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(path, None, f"not UTF-8 text (byte {exc.start}): save it as UTF-8")]
    try:
        loader = _DeckLoader(text)
    except yaml.reader.ReaderError as exc:
        return None, [_unreadable(path, text, exc)]
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except _Refused as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        return None, [Problem(path, line, f"YAML error: {exc.problem}")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        reason = exc.problem or "invalid YAML"
        if exc.context and exc.context_mark and exc.context_mark.line + 1 != line:
            reason += f" ({exc.context} that starts at line {exc.context_mark.line + 1})"
        elif exc.context:
            reason = f"{exc.context}: {reason}"
        return None, [Problem(path, line, f"YAML syntax error: {reason}")]
    except yaml.reader.ReaderError as exc:
        return None, [_unreadable(path, text, exc)]
    except yaml.YAMLError as exc:
        return None, [Problem(path, None, f"YAML error: {exc}")]
    except RecursionError:
        return None, [Problem(path, None, "YAML nests too deeply")]
    finally:
        loader.dispose()
    if node is None:
        return None, [Problem(path, 1, "the file is empty: expected a mapping of fields")]
    if not isinstance(data, dict):
        kind = type(data).__name__
        return None, [Problem(path, 1, f"expected a mapping of fields (key: value), got a {kind}")]
    lines: dict[Loc, int] = {(): node.start_mark.line + 1}
    problems: list[Problem] = []
    _walk(node, (), lines, problems, path)
    return _Source(path, data, lines), problems


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """Return the model class that validates the mapping at loc, if any."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _unwrap(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Strip Optional[...] and tuple[X, ...] down to X."""
    while True:
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        origin = typing.get_origin(annotation)
        if origin in (tuple, typing.Union, types.UnionType) and args:
            annotation = args[0]
        else:
            return annotation


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(error: ErrorDetails, model: type[BaseModel]) -> tuple[Loc, str]:
    loc: Loc = tuple(error["loc"])
    name = ".".join(str(part) for part in loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        allowed = sorted(owner.model_fields) if owner else []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f"; allowed: {', '.join(allowed)}"
        return loc, f"unknown field '{name}'{hint}"
    if kind == "missing":
        return loc, f"missing field '{name}'"
    if kind == "string_pattern_mismatch":
        return loc, (
            f"{name}: {_short(error['input'])} is not a slug; "
            "use lowercase letters, digits and single hyphens, such as 'l1-vs-l2'"
        )
    if kind == "enum" and loc == ("difficulty",):
        return loc, f"bad difficulty {_short(error['input'])}: use easy, medium or hard"
    return loc, f"{name}: {error['msg']} (got {_short(error['input'])})"


def _validate(source: _Source, model: type[M]) -> tuple[M | None, list[Problem]]:
    try:
        return model.model_validate(source.data), []
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        described = [_describe(error, model) for error in errors]
        # A misspelt field is both unknown and missing: report it once, as the misspelling.
        suggested = {
            (*loc[:-1], message.rsplit("'", 2)[-2])
            for (loc, message), error in zip(described, errors, strict=True)
            if error["type"] == "extra_forbidden" and "did you mean" in message
        }
        problems = [
            source.problem(loc, message)
            for (loc, message), error in zip(described, errors, strict=True)
            if not (error["type"] == "missing" and loc in suggested)
        ]
        return None, problems


def _render_card(
    source: _Source, card: CardSource, deck: DeckSource
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


def _load_deck(folder: Path, demo_ids: frozenset[str] | None) -> tuple[Deck | None, list[Problem]]:
    deck_path = folder / "deck.yaml"
    deck_file, problems = parse_yaml(deck_path)
    deck_source, found = _validate(deck_file, DeckSource) if deck_file else (None, [])
    problems += found

    cards_dir = folder / "cards"
    card_paths = sorted(
        path for path in cards_dir.glob("*.y*ml") if path.suffix in (".yaml", ".yml")
    )
    if not card_paths:
        problems.append(
            Problem(cards_dir, None, "no cards: add one file per card, cards/NN-<card-id>.yaml")
        )
    parsed: list[tuple[_Source, CardSource]] = []
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
        card, found = _validate(card_file, CardSource)
        problems += found
        if card is not None:
            parsed.append((card_file, card))
    if deck_file is None or deck_source is None:
        return None, problems
    problems += _check_deck(deck_file, deck_source, parsed, named_ids, demo_ids)
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
    deck_file: _Source, sheet: CheatSheet
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
    deck_file: _Source, source: DeckSource, cards: list[Card]
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
    deck_file: _Source,
    deck: DeckSource,
    cards: list[tuple[_Source, CardSource]],
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
        where = f"{_display(card_file.path)}:{card_file.line(('id',))}"
        if card.id in first_id:
            yield card_file.problem(
                ("id",), f"duplicate card id '{card.id}' (also at {first_id[card.id]})"
            )
        first_id.setdefault(card.id, where)
        here = f"{_display(card_file.path)}:{card_file.line(('number',))}"
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


def _duplicates(source: _Source, values: list[tuple[Loc, str]], what: str) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for loc, value in values:
        if value in seen:
            yield source.problem(loc, f"duplicate {what} '{value}' (first at line {seen[value]})")
        seen.setdefault(value, source.line(loc))


def load_library(root: Path, *, demo_ids: frozenset[str] | None = None) -> Library:
    """Load every deck under root (or root itself when it holds a deck.yaml).

    Raise ContentError listing every problem found. With demo_ids, a card's demo must be one.
    """
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
    decks: list[Deck] = []
    first_folder: dict[str, Path] = {}
    for folder in folders:
        if not (folder / "deck.yaml").is_file():
            problems.append(Problem(folder, None, "not a deck: it has no deck.yaml"))
            continue
        deck, found = _load_deck(folder, demo_ids)
        problems += found
        if deck is None:
            continue
        if deck.id in first_folder:
            problems.append(
                Problem(
                    folder / "deck.yaml",
                    1,
                    f"duplicate deck id '{deck.id}' (also in {_display(first_folder[deck.id])})",
                )
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
    return Library(decks=tuple(sorted(decks, key=lambda deck: deck.title.casefold())))
