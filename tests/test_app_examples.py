"""Try an example: a first visit shows example prompts (Create) and instructions (Edit), one
click fills the box; later they wait behind "Try an example"; empty states say what to do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from apptest_support import AppEnv, app_env, texts  # noqa: F401

from components.examples import (
    CREATE_EXAMPLES,
    EDIT_EXAMPLES,
    EMPTY_RESULTS,
    FIRST_VISIT,
    NO_SOURCE,
)

PAGES = {"create": (None, CREATE_EXAMPLES), "edit": ("pages/edit.py", EDIT_EXAMPLES)}


def _walk(node: object, in_popover: bool = False) -> Iterator[tuple[object, bool]]:
    yield node, in_popover
    proto = getattr(node, "proto", None)
    inside = in_popover or bool(
        proto is not None and hasattr(proto, "WhichOneof") and _is_popover(proto)
    )
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _walk(child, inside)


def _is_popover(proto: object) -> bool:
    try:
        return proto.WhichOneof("type") == "popover"  # type: ignore[attr-defined]
    except ValueError:  # an element's proto, not a block's
        return False


def example_buttons(at, prefix: str) -> dict[str, bool]:
    """The example buttons on the page: label → whether it sits in a popover."""
    found = {}
    for node, in_popover in _walk(at._tree):
        key = str(getattr(node, "key", "") or "")
        if type(node).__name__ == "Button" and key.startswith(f"{prefix}_example_"):
            found[str(node.label)] = in_popover
    return found


@pytest.mark.parametrize("prefix", PAGES)
def test_a_first_visit_shows_the_examples_and_one_click_fills_the_box(
    app_env: AppEnv, prefix: str
) -> None:
    page, examples = PAGES[prefix]
    at = app_env.app(page)
    shown = example_buttons(at, prefix)
    assert list(shown) == list(examples) and 6 <= len(examples) <= 8
    assert not any(shown.values()), "on a first visit they are out in the open"
    assert FIRST_VISIT[prefix] in texts(at)
    assert EMPTY_RESULTS[prefix] in texts(at)
    at.button(key=f"{prefix}_example_1").click().run()
    assert at.text_area(key=f"{prefix}_prompt").value == examples[1]
    assert not at.exception
    # With a prompt in the box they wait behind "Try an example".
    later = example_buttons(at, prefix)
    assert list(later) == list(examples) and all(later.values())
    assert FIRST_VISIT[prefix] not in texts(at)
    at.button(key=f"{prefix}_example_3").click().run()
    assert at.text_area(key=f"{prefix}_prompt").value == examples[3]


def test_an_example_clears_the_empty_prompt_message(app_env: AppEnv) -> None:
    at = app_env.app()
    at.button(key="create_go").click().run()
    assert "Please enter the prompt." in [e.value for e in at.error]
    at.button(key="create_example_0").click().run()
    assert "Please enter the prompt." not in [e.value for e in at.error]
    assert at.text_area(key="create_prompt").value == CREATE_EXAMPLES[0]


def test_after_a_first_result_the_examples_wait_behind_a_button(app_env: AppEnv) -> None:
    at = app_env.app()
    at.button(key="create_example_0").click().run()
    at.button(key="create_go").click().run()
    app_env.wait_idle()
    record = app_env.latest("create")
    assert record.status == "completed" and record.prompt == CREATE_EXAMPLES[0]
    again = app_env.app()  # a new visit of the same visitor: their result is there
    assert again.text_area(key="create_prompt").value == ""
    shown = example_buttons(again, "create")
    assert list(shown) == list(CREATE_EXAMPLES) and all(shown.values())
    assert EMPTY_RESULTS["create"] not in texts(again)


def test_edit_without_a_picture_says_what_to_pick(app_env: AppEnv) -> None:
    at = app_env.app("pages/edit.py")
    assert at.radio(key="edit_ref_mode").value == "Upload a picture"
    assert NO_SOURCE in [i.value for i in at.info]
    at.radio(key="edit_ref_mode").set_value("One of my results").run()
    # The results list says its own sentence when it is empty: not both.
    assert NO_SOURCE not in [i.value for i in at.info] and at.info
