"""Create: text (and an optional reference picture) → image."""

from __future__ import annotations

import streamlit as st

from components import (
    advanced,
    batch,
    connection,
    examples,
    form,
    jobs_view,
    look_grid,
    options,
)
from components.frame import escape_legacy_pages_mode
from components.recent_prompts import recent_prompt_picker
from components.reference import has_reference, reference_picker
from components.results_panel import results_panel
from kontextlab.providers import InvalidRequest, PreparedRequest

escape_legacy_pages_mode()
PREFIX = KIND = "create"


def picture_input(conn: connection.Connection) -> bytes | None:
    """The optional picture sent along with the prompt (a provider that takes it in the
    request): an upload or an earlier result, its kept bytes."""
    if not form.shows(conn, KIND, "picture"):
        return None
    with st.expander("Reference picture (optional)", expanded=has_reference(PREFIX)):
        ref = reference_picker(PREFIX, conn, optional=True, email=None)
        form.field_error(PREFIX, "picture")
    return ref.data if ref else None


def reference_inputs(
    conn: connection.Connection, email: str | None
) -> tuple[str | None, int | None]:
    """The optional picture to start from, and how strongly it steers (where the provider
    takes them)."""
    if not form.shows(conn, KIND, "reference_asset_id"):
        return None, None
    strength_spec = form.capabilities(conn).spec("reference_strength")
    with st.expander(
        "Reference picture (optional)",
        expanded=has_reference(PREFIX),
    ):
        ref = reference_picker(PREFIX, conn, optional=True, email=email)
        strength = None
        if form.shows(conn, KIND, "reference_strength"):
            st.session_state.setdefault(f"{PREFIX}_strength", 50)
            strength = st.slider(
                "Reference strength",
                strength_spec.low or 0,
                strength_spec.high or 100,
                key=f"{PREFIX}_strength",
                disabled=ref is None,
                help="How strongly the picture steers the result.",
            )
            form.field_error(PREFIX, "reference_strength")
    if ref is None:
        return None, None
    return ref.file_id, strength


def build_request(conn: connection.Connection) -> PreparedRequest | InvalidRequest:
    form.apply_pending_settings(conn, PREFIX)
    prompt = form.prompt_input(conn, PREFIX, "Prompt", "A serene mountain landscape at sunset")
    examples.example_picker(conn, PREFIX, KIND)
    recent_prompt_picker(conn, PREFIX, [KIND])
    aspect = form.aspect_ratio_input(conn, PREFIX, KIND)
    style = form.look_input(conn, PREFIX, KIND)
    shots = form.shot_inputs(conn, PREFIX, KIND)
    seed = form.seed_input(conn, PREFIX, KIND)
    picture = picture_input(conn)
    output = options.output_inputs(conn, PREFIX, KIND, has_picture=picture is not None)
    extra = advanced.advanced_inputs(conn, PREFIX, KIND)
    ref_id, strength = reference_inputs(conn, extra.get("email"))
    fields = {
        "prompt": prompt,
        "aspect_ratio": aspect,
        "style": style,
        **shots,
        "seed": seed,
        "reference_asset_id": ref_id,
        "reference_strength": strength,
        "picture": picture,
        **output,
        **extra,
    }
    return form.prepare(conn, KIND, fields)


conn = connection.current()
jobs_view.follow_goto()
jobs_view.remember_last_seed(conn, ["create"], PREFIX)
st.title("Create")
left, right = st.columns([5, 6], gap="large")
with left:
    request = build_request(conn)
    form.show_request(conn, request)
    jobs_view.allowance_line(conn)
    batch.generate_row(conn, PREFIX, request, label="Generate", icon=":material/brush:")
    look_grid.try_every_look(conn, PREFIX, request)
with right:
    st.subheader("Results")
    results_panel(conn, ["create"], PREFIX, header=look_grid.header(PREFIX))
form.settle_pending(PREFIX)
