"""Try every look: one prompt (and reference, shape, seed) × the provider's looks and none.

The button says what it costs and asks first; then every job is recorded under one batch id
and the runner sends them as the account's slots allow (see kontextlab/jobs/gate.py). The
grid fills in as the pictures arrive, each labelled with its look; a failed look shows its
sentence in its cell. A provider without looks has no button.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from components import batch, connection, form, safe, state
from components.connection import Connection
from components.fmt import short
from components.result_card import display_copy
from kontextlab.history import JobRecord
from kontextlab.providers import InvalidRequest, PreparedRequest
from kontextlab.untrusted import plain
from kontextlab.vocabulary import NO_STYLE, JobState

CELL_WIDTH = 160  # pixels


def _confirm_key(prefix: str) -> str:
    return f"{prefix}_looks_confirm"


def batch_key(prefix: str) -> str:
    """Where the page keeps the batch id of the grid it shows."""
    return f"{prefix}_looks_batch"


def look_name(style: str | None) -> str:
    """ "None", "Cinematic", "Film noir": a look's name for its cell."""
    if not style or style == NO_STYLE:
        return "None"
    return style.replace("_", " ").capitalize()


def every_look(conn: Connection) -> list[str]:
    return [NO_STYLE, *conn.provider.capabilities.looks]


def has_looks(conn: Connection, kind: str) -> bool:
    caps = conn.provider.capabilities
    return bool(caps.looks) and caps.accepts(kind, "style")


def try_every_look(
    conn: Connection, prefix: str, request: PreparedRequest | InvalidRequest
) -> None:
    """The "Try every look" button (only where the provider has looks), then a confirmation
    with the total cost before anything is sent."""
    if not has_looks(conn, prefix):
        return
    looks = every_look(conn)
    if not st.session_state.get(_confirm_key(prefix)):
        st.button(
            "Try every look",
            key=f"{prefix}_looks",
            icon=":material/grid_view:",
            width="stretch",
            help=f"The same prompt, shape and seed in all {len(looks)} looks (one of them "
            "no look), side by side.",
            on_click=_ask,
            args=(prefix, True),
        )
        return
    with st.container(border=True):
        cost = batch.click_cost(conn, prefix, len(looks))
        what = f"{len(looks)} pictures, one per look"
        if cost is not None:
            model = batch.chosen_model(conn, prefix)
            st.markdown(f"**{what}.** {cost.line(model or conn.provider.capabilities.label)}")
            if cost.short:
                st.warning(cost.refusal(), icon=":material/account_balance_wallet:")
        else:
            st.markdown(f"**{what}.**")
        st.caption("They go out as many at a time as the account allows.")
        row = st.container(horizontal=True)
        send = row.button(
            f"Send {len(looks)} pictures",
            key=f"{prefix}_looks_send",
            type="primary",
            icon=":material/send:",
            disabled=bool(cost and cost.short),
        )
        row.button("Cancel", key=f"{prefix}_looks_cancel", on_click=_ask, args=(prefix, False))
    if send:
        st.session_state[_confirm_key(prefix)] = False
        _send(conn, prefix, request, looks)


def _ask(prefix: str, value: bool) -> None:
    st.session_state[_confirm_key(prefix)] = value


def _send(
    conn: Connection, prefix: str, request: PreparedRequest | InvalidRequest, looks: list[str]
) -> None:
    if isinstance(request, InvalidRequest):
        form.set_errors(prefix, request)
        st.rerun()
    form.set_errors(prefix, None)
    # One seed for all: the looks differ, nothing else.
    seed = batch.consecutive_seeds(request.seed, 1, conn.provider.capabilities.seed_max)[0]
    try:
        requests = batch.with_fields(
            conn.provider, request, [{"style": look, "seed": seed} for look in looks]
        )
    except InvalidRequest as exc:
        st.toast(f"Not sent: {plain(exc)}", icon=":material/error:")
        return
    batch_id = batch.send_group(conn, requests)
    if batch_id:
        st.session_state[batch_key(prefix)] = batch_id
        st.toast(f"Started {len(looks)} pictures, one per look.")
    elif state.refusal():
        st.rerun()


# ---------------------------------------------------------------- the grid


def grid_rows(conn: Connection, batch_id: str) -> list[JobRecord]:
    return connection.store().list(conn.account_key, batch=batch_id, order="oldest")


def _cell(conn: Connection, record: JobRecord) -> None:
    label = look_name(record.style)
    if record.status == JobState.COMPLETED:
        picture = display_copy(connection.store(), record, large=False)
        if not safe.picture(picture, caption=label, width="stretch"):
            st.caption(f"{label}: finished, no copy kept.")
        return
    st.markdown(f"**{label}**")
    if record.status == JobState.FAILED:
        st.error(plain(record.message or "The job failed."), icon=":material/error:")
    elif record.status == JobState.UNKNOWN:
        st.warning(plain(record.message or "Not known whether it was made."))
    else:
        done = int(max(0.0, min(100.0, record.progress or 0.0)))
        text = "Waiting…" if record.status == JobState.QUEUED else f"Generating… {done}%"
        st.progress(done, text=text)


def grid(conn: Connection, batch_id: str, prefix: str) -> bool:
    """The labelled grid of one look batch; False when the batch has no rows (any more)."""
    rows = grid_rows(conn, batch_id)
    if not rows:
        return False
    finished = sum(r.status == JobState.COMPLETED for r in rows)
    head = st.container(horizontal=True, vertical_alignment="center")
    head.markdown(
        f"**Every look** · {finished} of {len(rows)} ready · “{plain(short(rows[0].prompt, 60))}”"
    )
    head.button("Close", key=f"{prefix}_looks_close", on_click=_close, args=(prefix,))
    # Cells of a fixed width in a wrapping row: four or so side by side on a desktop, two on
    # a phone (columns would stack into one long strip there).
    cells = st.container(horizontal=True, gap="small")
    for record in rows:
        with cells.container(width=CELL_WIDTH):
            _cell(conn, record)
    return True


def _close(prefix: str) -> None:
    st.session_state.pop(batch_key(prefix), None)


def shown_batch(prefix: str) -> str | None:
    value = st.session_state.get(batch_key(prefix))
    return value if isinstance(value, str) else None


def header(prefix: str) -> Callable[[Connection], bool]:
    """The Results column's header: the look grid this session asked for, if any."""

    def draw(conn: Connection) -> bool:
        batch_id = shown_batch(prefix)
        if batch_id and not grid(conn, batch_id, prefix):
            _close(prefix)
        return False

    return draw
