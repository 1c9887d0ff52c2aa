"""Display formulas split into statements; scroll boxes are focusable and named."""

import pytest
from bs4 import BeautifulSoup

from app.content.markup import (
    code_to_html,
    latex_to_mathml,
    markdown_to_html,
    split_statements,
)


@pytest.mark.parametrize(
    ("latex", "parts"),
    [
        (r"a = b, \quad c = d", ["a = b,", "c = d"]),
        (r"a \qquad b \quad c", ["a", "b", "c"]),
        (r"\text{a \quad b} = c", [r"\text{a \quad b} = c"]),
        (r"\left( a \quad b \right) \quad c", [r"\left( a \quad b \right)", "c"]),
        (r"x_{a \quad b} \quad y", [r"x_{a \quad b}", "y"]),
        (r"a \quadrant b", [r"a \quadrant b"]),
        (r"a \\quad b", [r"a \\quad b"]),
        (r"\quad", [r"\quad"]),
        (r"a^2", ["a^2"]),
    ],
    ids=[
        "two",
        "three",
        "in-text",
        "in-left-right",
        "in-braces",
        "longer-name",
        "escaped",
        "alone",
        "none",
    ],
)
def test_a_display_formula_splits_at_its_top_level_quads(latex: str, parts: list[str]) -> None:
    assert split_statements(latex) == parts


def test_display_math_is_one_math_element_per_statement() -> None:
    mathml = latex_to_mathml(r"a = 1, \quad b = 2", display=True)
    maths = BeautifulSoup(mathml, "html.parser").find_all("math")
    assert [m.get("display") for m in maths] == ["block", "block"]
    assert [m.get_text() for m in maths] == ["a=1,", "b=2"]


def test_inline_math_stays_one_element() -> None:
    mathml = latex_to_mathml(r"a, \quad b", display=False)
    assert len(BeautifulSoup(mathml, "html.parser").find_all("math")) == 1


def test_markdown_display_math_sits_in_a_focusable_named_box() -> None:
    page = BeautifulSoup(markdown_to_html("$$a, \\quad b$$"), "html.parser")
    box = page.select_one(".math.block > .formula")
    assert box is not None
    assert (box.get("tabindex"), box.get("role"), box.get("aria-label")) == (
        "0",
        "group",
        "Formula",
    )
    assert len(box.find_all("math")) == 2


@pytest.mark.parametrize(
    "html",
    [code_to_html("x = 1", "python"), markdown_to_html("```\nx = 1\n```")],
    ids=["highlighted", "markdown"],
)
def test_a_code_block_is_focusable_and_named(html: str) -> None:
    pre = BeautifulSoup(html, "html.parser").select_one("pre")
    assert pre is not None
    assert (pre.get("tabindex"), pre.get("role"), pre.get("aria-label")) == ("0", "group", "Code")


def test_card_text_cannot_make_a_pre_element() -> None:
    html = markdown_to_html("<pre>x</pre>")
    assert "<pre" not in html
    assert "&lt;pre&gt;" in html
