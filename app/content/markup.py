"""Turn card text into HTML once, at load: markdown, LaTeX (as MathML) and code."""

import html
import re
from typing import Any

import latex2mathml.converter
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from app.exceptions import AppError

# An unknown command comes out of latex2mathml as text that still holds its backslash.
_LEFTOVER_COMMAND = re.compile(r">\\([A-Za-z]+)<")


class RenderError(AppError, ValueError):
    """Content that cannot be rendered; the message says what and how to mend it."""

    status = 422
    title = "Content that cannot be rendered"


def check_braces(latex: str) -> None:
    """Raise RenderError when the braces of a LaTeX string do not balance."""
    depth = 0
    i = 0
    while i < len(latex):
        char = latex[i]
        if char == "\\":
            i += 2  # an escaped character, such as \{ or \\, is not a group
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                raise RenderError(f"bad LaTeX {latex!r}: a '}}' at position {i} closes no '{{'")
        i += 1
    if depth:
        raise RenderError(f"bad LaTeX {latex!r}: {depth} '{{' never closed")


# A top-level \quad or \qquad (not inside braces or \left...\right) separates the statements
# of a display formula, such as "a = b, \quad c = d".
_SPLIT_TOKEN = re.compile(r"\\(?:[A-Za-z]+|.)|[{}]", re.DOTALL)


def split_statements(latex: str) -> list[str]:
    r"""Split a display formula at its top-level \quad and \qquad into its statements.

    Each statement is rendered as a MathML element of its own, so a narrow screen wraps them
    one per line instead of scrolling sideways. A formula without such a space is one part.
    """
    parts: list[str] = []
    depth = 0
    start = 0
    for match in _SPLIT_TOKEN.finditer(latex):
        token = match.group()
        if token in ("{", "\\left"):
            depth += 1
        elif token in ("}", "\\right"):
            depth -= 1
        elif token in ("\\quad", "\\qquad") and depth == 0:
            parts.append(latex[start : match.start()])
            start = match.end()
    parts.append(latex[start:])
    return [part.strip() for part in parts if part.strip()] or [latex]


def latex_to_mathml(latex: str, *, display: bool) -> str:
    """Convert LaTeX to MathML, rejecting what latex2mathml would render wrong.

    Inline math is one <math> element; display math is one <math display="block"> element per
    statement (see split_statements), so that a phone can put each on a line of its own.
    """
    check_braces(latex)
    if display:
        return "".join(_convert(part, display=True) for part in split_statements(latex))
    return _convert(latex, display=False)


def _convert(latex: str, *, display: bool) -> str:
    try:
        mathml: str = latex2mathml.converter.convert(
            latex, display="block" if display else "inline"
        )
    except Exception as exc:  # latex2mathml raises many unrelated exception types
        name = type(exc).__name__
        raise RenderError(f"bad LaTeX {latex!r}: {name} {exc}".rstrip()) from exc
    leftover = _LEFTOVER_COMMAND.search(mathml)
    if leftover:
        raise RenderError(f"bad LaTeX {latex!r}: unknown command \\{leftover.group(1)}")
    return mathml


def _render_math(content: str, options: dict[str, Any]) -> str:
    if options.get("display_mode"):
        return formula_box(latex_to_mathml(content, display=True))
    return latex_to_mathml(content, display=False)


def formula_box(mathml: str, label: str = "Formula") -> str:
    """Wrap display MathML in the box that scrolls sideways, with a hint, when it must.

    The box can take the keyboard focus (so arrow keys scroll it) and is named for a screen
    reader.
    """
    return (
        f'<div class="formula" tabindex="0" role="group" aria-label="{html.escape(label)}">'
        f"{mathml}</div>"
    )


def _make_markdown() -> MarkdownIt:
    # "commonmark" with html off: raw HTML in a card is shown as text, never run.
    md = MarkdownIt("commonmark", {"html": False, "typographer": False})
    md.enable("table")
    dollarmath_plugin(md, allow_digits=False, allow_space=False, renderer=_render_math)
    return md


_MARKDOWN = _make_markdown()
_FORMATTER = HtmlFormatter(cssclass="highlight", wrapcode=True)


# A code block scrolls sideways on a phone: the keyboard can focus it, and it has a name.
_SCROLL_PRE = '<pre tabindex="0" role="group" aria-label="Code">'


def markdown_to_html(text: str) -> str:
    """Render markdown with $inline$ and $$display$$ math to HTML."""
    # With html off, card text cannot make a literal "<pre>": only a code block renders one.
    return str(_MARKDOWN.render(text)).replace("<pre>", _SCROLL_PRE)


def markdown_inline_to_html(text: str) -> str:
    """Render one line of markdown without the surrounding paragraph."""
    return str(_MARKDOWN.renderInline(text))


def code_to_html(code: str, language: str) -> str:
    """Highlight code with Pygments."""
    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound as exc:
        raise RenderError(
            f"unknown code_language {language!r}: use a Pygments lexer name such as 'python'"
        ) from exc
    return highlight(code, lexer, _FORMATTER).replace("<pre>", _SCROLL_PRE, 1)


def _style_defs(formatter: HtmlFormatter[str], selector: str) -> str:
    return str(formatter.get_style_defs(selector))  # type: ignore[no-untyped-call]


def pygments_css() -> str:
    """Return the highlighting CSS for the light theme and the dark one (chosen or system)."""
    light = _style_defs(HtmlFormatter(style="default"), ".highlight")
    dark = HtmlFormatter(style="monokai")
    chosen = _style_defs(dark, ":root[data-theme='dark'] .highlight")
    system = _style_defs(dark, ":root:not([data-theme='light']) .highlight")
    return f"{light}\n{chosen}\n@media (prefers-color-scheme: dark) {{\n{system}\n}}\n"
