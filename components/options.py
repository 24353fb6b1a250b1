"""The picture's own options (file format, prompt rewriting, safety filter), each drawn only
where the connected provider takes it for the page's kind of job."""

from __future__ import annotations

from typing import Any

import streamlit as st

from components.connection import Connection
from components.form import field_error, shows

FORMATS = {"png": "PNG (lossless)", "jpeg": "JPEG (smaller file)"}
SAFETY_LOW, SAFETY_HIGH = 0, 6
SAFETY_HIGH_WITH_PICTURE = 2  # the filter is stricter when a picture is sent along
DEFAULT_SAFETY = 2
SAFETY_HELP = (
    "How strict the service's safety filter is: 0 refuses the most, 6 the least. With a "
    f"picture sent along it goes up to {SAFETY_HIGH_WITH_PICTURE} at most."
)
UPSAMPLING_HELP = (
    "The service rewrites your prompt into a longer, more detailed one before drawing. "
    "Good for short prompts; the picture may follow your words less closely."
)
OPTION_FIELDS = ("output_format", "prompt_upsampling", "safety")


def safety_words(level: int) -> str:
    if level <= 1:
        return "strict: refuses anything that might be unsafe"
    if level <= 3:
        return "balanced (the service's default is 2)"
    return "permissive: refuses only clearly unsafe content"


def output_inputs(conn: Connection, prefix: str, kind: str, *, has_picture: bool) -> dict[str, Any]:
    """File format, prompt upsampling and safety tolerance, where the provider takes them."""
    shown = [name for name in OPTION_FIELDS if shows(conn, kind, name)]
    values: dict[str, Any] = {}
    if not shown:
        return values
    if "output_format" in shown:
        key = f"{prefix}_output_format"
        st.session_state.setdefault(key, "png")
        chosen = st.segmented_control(
            "File format", list(FORMATS), key=key, format_func=FORMATS.__getitem__
        )
        values["output_format"] = chosen or "png"
        field_error(prefix, "output_format")
    if "prompt_upsampling" in shown:
        values["prompt_upsampling"] = st.toggle(
            "Improve my prompt (upsampling)",
            key=f"{prefix}_prompt_upsampling",
            help=UPSAMPLING_HELP,
        )
        field_error(prefix, "prompt_upsampling")
    if "safety" in shown:
        values["safety"] = _safety_input(prefix, has_picture)
    return values


def _safety_input(prefix: str, has_picture: bool) -> int:
    key = f"{prefix}_safety"
    high = SAFETY_HIGH_WITH_PICTURE if has_picture else SAFETY_HIGH
    current = st.session_state.get(key)
    if not isinstance(current, int) or not SAFETY_LOW <= current <= high:
        # A picture was added: the tolerance comes down to what is allowed with one.
        st.session_state[key] = min(current if isinstance(current, int) else DEFAULT_SAFETY, high)
    level: int = st.slider("Safety filter", SAFETY_LOW, high, key=key, help=SAFETY_HELP)
    note = f"{level}: {safety_words(level)}."
    if has_picture:
        note += f" With a picture sent along, {SAFETY_HIGH_WITH_PICTURE} is the most allowed."
    st.caption(note)
    field_error(prefix, "safety")
    return level
