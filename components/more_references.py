"""Edit's second and third reference pictures (where the provider takes them): pictures the
edit may borrow a person, an object or a style from."""

from __future__ import annotations

from typing import Any

import streamlit as st

from components import form
from components.connection import Connection
from components.reference import has_reference, reference_picker

# field name, the picker's own key prefix (after the page's), heading
EXTRA_REFERENCES = (
    ("reference_asset_id2", "ref2", "Second picture"),
    ("reference_asset_id3", "ref3", "Third picture"),
)
THIRD_NEEDS = "The third picture works with the Max and Nano Banana models, not the default one."


def picker_prefixes(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}_{sub}" for _, sub, _ in EXTRA_REFERENCES)


def more_references(conn: Connection, prefix: str, kind: str, email: str | None) -> dict[str, Any]:
    """The extra reference fields by name (a file id, or None); {} and nothing drawn where
    the provider takes none."""
    shown = [entry for entry in EXTRA_REFERENCES if form.shows(conn, kind, entry[0])]
    if not shown:
        return {}
    values: dict[str, Any] = {}
    opened = any(has_reference(f"{prefix}_{sub}") for _, sub, _ in shown)
    with st.expander("More reference pictures (optional)", expanded=opened):
        st.caption(
            "Up to two more pictures the edit may borrow from: a person, an object, a style. "
            "Say in the prompt what to take from each."
        )
        for name, sub, heading in shown:
            st.markdown(f"**{heading}**")
            if name == "reference_asset_id3":
                st.caption(THIRD_NEEDS)
            ref = reference_picker(f"{prefix}_{sub}", conn, optional=True, email=email)
            form.field_error(prefix, name)
            values[name] = ref.file_id if ref else None
    return values
