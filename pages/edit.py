"""Edit: an image + a prompt → an edited image; before and after; chains of edits."""

from __future__ import annotations

import streamlit as st

from components import (
    advanced,
    batch,
    connection,
    examples,
    form,
    jobs_view,
    options,
    state,
)
from components.compare import before_after
from components.frame import escape_legacy_pages_mode
from components.lineage import lineage_strip
from components.more_references import more_references
from components.recent_prompts import recent_prompt_picker
from components.reference import Reference, reference_picker
from components.results_panel import results_panel
from kontextlab.providers import InvalidRequest, PreparedRequest
from kontextlab.vocabulary import JobState

escape_legacy_pages_mode()
PREFIX = KIND = "edit"


def source_input(conn: connection.Connection, email: str | None) -> Reference | None:
    st.subheader("Image to edit")
    ref = reference_picker(PREFIX, conn, optional=False, email=email)
    examples.no_source_hint(PREFIX, ref is not None)
    form.field_error(PREFIX, "reference_asset_id")
    form.field_error(PREFIX, "picture")
    if ref and ref.width and ref.height and state.shape_chosen_for() != ref.key:
        # A new source picks the shape closest to its own, once; the user may change it after.
        state.set_shape_chosen_for(ref.key)
        if shape := form.closest_shape(conn, ref.width, ref.height):
            form.set_aspect_ratio(PREFIX, shape)
    return ref


def build_request(
    conn: connection.Connection,
) -> tuple[PreparedRequest | InvalidRequest, Reference | None]:
    form.apply_pending_settings(conn, PREFIX)
    email = form.upload_email(conn)
    ref = source_input(conn, email)
    prompt = form.prompt_input(conn, PREFIX, "What should change?", "Add golden sunset lighting")
    examples.example_picker(conn, PREFIX, KIND)
    recent_prompt_picker(conn, PREFIX, [KIND])
    aspect = form.aspect_ratio_input(conn, PREFIX, KIND)
    shots = form.shot_inputs(conn, PREFIX, KIND)
    seed = form.seed_input(conn, PREFIX, KIND)
    picture = ref.data if ref else None
    output = options.output_inputs(conn, PREFIX, KIND, has_picture=picture is not None)
    extra = advanced.advanced_inputs(conn, PREFIX, KIND)
    more = more_references(conn, PREFIX, KIND, email)
    fields = {
        "prompt": prompt,
        "reference_asset_id": ref.file_id if ref else None,
        **more,
        "picture": picture,
        "aspect_ratio": aspect,
        **shots,
        "seed": seed,
        **output,
        **extra,
    }
    return form.prepare(conn, KIND, fields), ref


def latest_compare(conn: connection.Connection) -> bool:
    """Before and after of the newest edit, and its lineage. True when both pictures show."""
    records = jobs_view.recent_results(conn, ["edit"], limit=1)
    if not records or records[0].status != JobState.COMPLETED:
        return False
    latest = records[0]
    parent = (
        connection.store().get(latest.parent_id, conn.account_key) if latest.parent_id else None
    )
    shown = before_after(conn.account_key, parent, latest) if parent else False
    lineage_strip(conn, latest.id, prefix=PREFIX)
    return shown


conn = connection.current()
jobs_view.follow_goto()
jobs_view.remember_last_seed(conn, ["edit"], PREFIX)
st.title("Edit")
left, right = st.columns([5, 6], gap="large")
with left:
    request, ref = build_request(conn)
    form.show_request(conn, request)
    jobs_view.allowance_line(conn)
    parent_id = ref.parent_id if ref else None
    batch.generate_row(
        conn,
        PREFIX,
        request,
        label="Apply edit",
        icon=":material/auto_fix_high:",
        parent_id=parent_id,
    )
with right:
    st.subheader("Results")
    results_panel(conn, ["edit"], PREFIX, header=latest_compare)
form.settle_pending(PREFIX)
