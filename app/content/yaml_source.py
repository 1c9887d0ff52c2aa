"""Parse one deck YAML file, keeping the line of every key, refusing aliases and deep nesting."""

import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 20  # the shipped decks nest at most 7 levels (cheat sheet items)
Loc = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the content, where it is and what to do."""

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = (
            display_path(self.path)
            if self.line is None
            else f"{display_path(self.path)}:{self.line}"
        )
        return f"{where}: {self.message}"


def display_path(path: Path) -> str:
    """Return path relative to the working folder when it lies inside it, else as given."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass
class Source:
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


def parse_yaml(path: Path) -> tuple[Source | None, list[Problem]]:
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
    return Source(path, data, lines), problems
