"""`plain`: anyone's text as Streamlit Markdown that shows exactly that text.

What a reader sees of such Markdown follows from CommonMark: a backslash before ASCII
punctuation shows that character, and nothing escaped starts a link, a picture, emphasis,
code, HTML, a heading, a list or a table. `shown` below reads Markdown made by `plain` that
way; tests/test_hostile_markdown.py checks in Chromium that Streamlit draws it so."""

from __future__ import annotations

import string

from hypothesis import given, strategies as st

from kontextlab.untrusted import WORD_JOINER, plain

# What Streamlit's Markdown acts on when it is not escaped.
SPECIAL = set("\\`*_{}[]()<>#+-.!|~$:&@=/^")
ASCII_PUNCTUATION = set(string.punctuation)


def scan(source: str) -> tuple[str, list[str]]:
    """(what a reader sees, the special characters left unescaped) of `source`."""
    seen, bare, i = [], [], 0
    while i < len(source):
        char = source[i]
        if char == "\\" and i + 1 < len(source) and source[i + 1] in ASCII_PUNCTUATION:
            seen.append(source[i + 1])
            i += 2
            continue
        if char in SPECIAL:
            bare.append(char)
        seen.append(char)
        i += 1
    return "".join(seen).replace(WORD_JOINER, ""), bare


def shown(source: str) -> str:
    """What a reader sees of Markdown made by `plain`; fails if anything is left unescaped."""
    text, bare = scan(source)
    assert not bare, f"unescaped {bare} in {source!r}"
    return text


def test_an_ordinary_prompt_is_unchanged() -> None:
    assert plain("A red fox at golden hour") == "A red fox at golden hour"
    assert plain('A "quoted", calm sea; why? 100%') == 'A "quoted", calm sea; why? 100%'


def test_markdown_html_colour_and_formulas_are_escaped() -> None:
    assert plain("[click](https://evil.example)") == (
        f"\\[click\\]\\(https\\:{WORD_JOINER}\\/\\/evil\\.example\\)"
    )
    assert plain("<b>hi</b>") == "\\<b\\>hi\\<\\/b\\>"
    assert plain(":red[alert] $x$") == "\\:red\\[alert\\] \\$x\\$"


def test_bare_addresses_get_a_word_joiner_so_they_stay_text() -> None:
    for address in ("https://evil.example", "WWW.evil.example", "me@evil.example"):
        assert WORD_JOINER in plain(address)
        assert shown(plain(address)) == address


def test_leading_spaces_that_would_make_a_code_block_go() -> None:
    assert shown(plain("    code\n\tmore")) == "code\nmore"


@given(st.text())
def test_any_text_is_shown_as_itself(text: str) -> None:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    expected = "\n".join(line.lstrip(" \t") for line in lines)
    assert shown(plain(text)) == expected.replace(WORD_JOINER, "")


def test_none_and_other_values() -> None:
    assert plain(None) == ""
    assert plain(42) == "42"
    assert plain(ValueError("a_b")) == "a\\_b"
