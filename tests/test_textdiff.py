"""The word-level diff of two prompts (kontextlab/textdiff.py)."""

from __future__ import annotations

import time
from itertools import pairwise

from hypothesis import given, strategies as st

from kontextlab.textdiff import MAX_CHARS, Segment, diff, words


def kinds(a: str, b: str) -> list[tuple[str, str]]:
    return [(s.change, s.text) for s in diff(a, b).segments]


def test_a_changed_word_is_removed_then_added() -> None:
    assert kinds("a red fox in the snow", "a grey fox in the snow") == [
        ("same", "a"),
        ("removed", "red"),
        ("added", "grey"),
        ("same", "fox in the snow"),
    ]


def test_an_added_word() -> None:
    assert kinds("a fox in the snow", "a fox asleep in the snow") == [
        ("same", "a fox"),
        ("added", "asleep"),
        ("same", "in the snow"),
    ]


def test_removed_words_at_either_end() -> None:
    assert kinds("please draw a fox at night", "a fox") == [
        ("removed", "please draw"),
        ("same", "a fox"),
        ("removed", "at night"),
    ]


def test_several_changes_keep_their_places() -> None:
    result = diff("one two three four five", "one 2 three four 5 six")
    assert result.words("removed") == ["two", "five"]
    assert result.words("added") == ["2", "5", "six"]
    assert result.words("same") == ["one", "three", "four"]
    assert not result.identical


def test_identical_texts_are_one_same_segment() -> None:
    result = diff("a red fox", "a red fox")
    assert result.segments == (Segment("same", "a red fox"),)
    assert result.identical and not result.truncated


def test_whitespace_alone_is_no_change() -> None:
    result = diff("a  red\nfox ", "\ta red fox")
    assert result.identical and result.segments == (Segment("same", "a red fox"),)


def test_case_and_punctuation_are_changes() -> None:
    assert kinds("A fox.", "a fox") == [("removed", "A fox."), ("added", "a fox")]


def test_empty_and_missing_texts() -> None:
    assert diff("", "").segments == () and diff("", "").identical
    assert diff(None, None).segments == ()
    assert kinds("", "a fox") == [("added", "a fox")]
    assert kinds("a fox", None) == [("removed", "a fox")]
    assert kinds("   ", "\n") == []


def test_hostile_text_comes_back_as_the_same_characters() -> None:
    old = "<script>alert(1)</script> [x](javascript:alert(1)) **bold** :red[hi] $x$"
    new = "<img src=x onerror=alert(1)> [x](javascript:alert(1)) **bold** \u202eevil $x$"
    result = diff(old, new)
    assert result.words("removed") == ["<script>alert(1)</script>", ":red[hi]"]
    assert result.words("added") == ["<img", "src=x", "onerror=alert(1)>", "\u202eevil"]
    assert result.words("same") == ["[x](javascript:alert(1))", "**bold**", "$x$"]


def test_long_text_is_cut_and_says_so() -> None:
    long = "word " * (MAX_CHARS // 5) + "tail"
    result = diff(long, "word")
    assert result.truncated
    assert "tail" not in result.words("removed")
    assert len(result.words("same")) == 1


def test_ten_thousand_repetitive_characters_take_little_time() -> None:
    cases = [
        ("a " * 5000, "a " * 4999 + "b"),
        ("a b " * 2500, "b a " * 2500),
        (" ".join(str(i % 101) for i in range(3000)), " ".join(str(i % 97) for i in range(3000))),
    ]
    for old, new in cases:
        start = time.perf_counter()
        result = diff(old, new)
        assert time.perf_counter() - start < 2.0
        # Nothing is lost: each side's words come back from the segments.
        assert [w for s in result.segments if s.change != "added" for w in s.text.split()] == (
            words(old)
        )
        assert [w for s in result.segments if s.change != "removed" for w in s.text.split()] == (
            words(new)
        )


@given(st.text(max_size=300), st.text(max_size=300))
def test_any_two_texts_rebuild_from_their_segments(old: str, new: str) -> None:
    result = diff(old, new)
    kept_old = [w for s in result.segments if s.change != "added" for w in s.text.split()]
    kept_new = [w for s in result.segments if s.change != "removed" for w in s.text.split()]
    assert kept_old == old.split() and kept_new == new.split()
    assert all(s.text and s.text == s.text.strip() for s in result.segments)
    changes = [s.change for s in result.segments]
    assert all(a != b for a, b in pairwise(changes)), "neighbours merged"
    assert result.identical == (old.split() == new.split())
