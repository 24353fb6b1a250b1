"""Try an example: prompts for Create and instructions for Edit that one click puts in the
box, shown on a first visit (empty box, no results yet) and on request; and the empty
states that say what to do next."""

from __future__ import annotations

import streamlit as st

from components import jobs_view, state
from components.connection import Connection
from components.form import errors_key
from components.reference import UPLOAD

CREATE_EXAMPLES = (
    "A red lighthouse on a cliff at dusk, waves below",
    "A bright red sports car in the desert at noon",
    "A cosy wooden cabin in a snowy forest at night",
    "A cat sleeping on a windowsill, rain outside",
    "A hot air balloon over a green valley at sunrise",
    "A stone castle on a hill under a stormy sky",
    "A city street at night with neon signs",
    "A small boat on a calm lake in the morning fog",
)
EDIT_EXAMPLES = (
    "Make it night",
    "Change the car to blue",
    "Zoom out to a wide shot",
    "Add snow",
    "Make it black and white",
    "Turn it into a sunset",
)
EXAMPLES = {"create": CREATE_EXAMPLES, "edit": EDIT_EXAMPLES}
FIRST_VISIT = {
    "create": "Not sure what to write? Try an example: one click puts it in the box.",
    "edit": "Not sure what to ask for? Try an example: one click puts it in the box.",
}
EMPTY_RESULTS = {
    "create": "Nothing yet. Type a prompt or try an example, then press Generate.",
    "edit": "Nothing yet. Pick a picture, say what should change (or try an example), "
    "then press Apply edit.",
}
NO_SOURCE = (
    "Pick the picture to change: drop one in the box above (or browse your device), or "
    "choose “One of my results” to edit a picture you made on Create."
)


def prompt_key(prefix: str) -> str:
    return f"{prefix}_prompt"


def use_example(prefix: str, text: str) -> None:
    """An example's button: put it in the prompt box (a callback, so before the box is
    drawn), and drop the box's "please enter the prompt" message."""
    st.session_state[prompt_key(prefix)] = text
    errors = dict(st.session_state.get(errors_key(prefix)) or {})
    errors.pop("prompt", None)
    st.session_state[errors_key(prefix)] = errors


def first_visit(conn: Connection, prefix: str, kind: str) -> bool:
    """An empty prompt box and nothing made on this page yet (none finished, none running)."""
    if (st.session_state.get(prompt_key(prefix)) or "").strip():
        return False
    if state.followed(conn.account_key, [kind]):
        return False
    return not jobs_view.recent_results(conn, [kind], limit=1)


def example_picker(conn: Connection, prefix: str, kind: str) -> None:
    """The examples for this page: shown at once on a first visit, else behind "Try an
    example"."""
    texts = EXAMPLES.get(kind, ())
    if not texts:
        return
    if first_visit(conn, prefix, kind):
        st.caption(FIRST_VISIT.get(kind, FIRST_VISIT["create"]))
        _buttons(prefix, texts)
        return
    with st.popover("Try an example", icon=":material/lightbulb:"):
        _buttons(prefix, texts)


def _buttons(prefix: str, texts: tuple[str, ...]) -> None:
    row = st.container(horizontal=True, gap="small")
    for number, text in enumerate(texts):
        row.button(
            text,
            key=f"{prefix}_example_{number}",
            on_click=use_example,
            args=(prefix, text),
        )


def empty_results(prefix: str) -> str:
    """What an empty Results column says to do next."""
    return EMPTY_RESULTS.get(prefix, EMPTY_RESULTS["create"])


def no_source_hint(prefix: str, has_source: bool) -> None:
    """Edit without a picture to upload yet: say what to pick (the results list says its
    own when it is empty)."""
    if not has_source and st.session_state.get(f"{prefix}_ref_mode") == UPLOAD:
        st.info(NO_SOURCE, icon=":material/add_photo_alternate:")
