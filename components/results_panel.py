"""A page's Results column: progress of the jobs this session follows, then the newest
results. One fragment draws both, so a job that ends shows through a fragment rerun."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import streamlit as st

from components import batch, card_tools, connection, examples, jobs_view, look_grid, state
from components.connection import Connection
from components.fmt import humanize_delta, short
from components.result_card import result_card
from kontextlab.history import JobRecord
from kontextlab.untrusted import plain
from kontextlab.vocabulary import JobState

RECENT = 6  # newest results shown (a batch of four fits with room to spare)
TICK_SECONDS = 0.25  # a finished job shows within a quarter of a second
Header = Callable[[Connection], bool]  # draws above the cards; True when it shows the picture


def _elapsed(record: JobRecord) -> str:
    start = record.started_at or record.created_at
    return humanize_delta((datetime.now(UTC) - start).total_seconds())


def _progress(record: JobRecord) -> None:
    value = max(0.0, min(100.0, record.progress or 0.0))
    words: dict[str, str] = {
        JobState.QUEUED: "Sending…",
        JobState.UNKNOWN: "Looking for this job in your account…",
    }
    state_text = words.get(record.status, f"Generating… {value:.0f}%")
    prompt = plain(short(record.prompt, 80))
    st.progress(int(value), text=f"{state_text} · {_elapsed(record)} · {prompt}")
    if record.message:
        st.caption(plain(record.message))
    card_tools.stop_control(connection.current(), record, key=f"progress_{record.id}")


def _batch_grid(conn: Connection, records: list[JobRecord], prefix: str) -> None:
    """The pictures of one click, two to a row, each with its seed and its actions."""
    head = st.container(horizontal=True, vertical_alignment="center")
    head.markdown(f"**{len(records)} pictures from one click**")
    head.button(
        "Show in History",
        key=f"{prefix}_batch_history",
        icon=":material/history:",
        on_click=batch.show_in_history,
        args=(records[0].batch_id,),
    )
    for start in range(0, len(records), 2):
        for column, record in zip(st.columns(2), records[start : start + 2], strict=False):
            with column, st.container(border=True):
                # Large: the picture fills its column (a small card's fixed width would not fit).
                result_card(
                    conn, record, key=f"{prefix}_card_{record.id}", large=True, compact=True
                )


def _cards(
    conn: Connection, records: list[JobRecord], prefix: str, latest_image: bool, grid: bool
) -> None:
    if not records:
        if not grid:  # the look grid above is the result
            st.caption(examples.empty_results(prefix))
        return
    latest, *older = records
    if latest.batch_id:
        group = [r for r in records if r.batch_id == latest.batch_id]
        older = [r for r in records if r.batch_id != latest.batch_id]
        _batch_grid(conn, sorted(group, key=lambda r: (r.seed is None, r.seed or 0)), prefix)
    else:
        result_card(conn, latest, key=f"{prefix}_card_{latest.id}", image=latest_image)
    if older:
        st.markdown("**Earlier results**")
        for record in older:
            with st.container(border=True):
                result_card(
                    conn, record, key=f"{prefix}_card_{record.id}", large=False, compact=True
                )


def _outside_changed(conn: Connection, kinds: list[str], prefix: str, ticking: bool) -> bool:
    """Whether a click inside the fragment changed something drawn outside it: a page to
    switch to, settings or a picture queued for the form, or a job to follow (a fragment
    rerun cannot start its own ticking)."""
    if state.goto_pending() or state.pending_settings(prefix) or state.pending_ref(prefix):
        return True
    return not ticking and bool(state.followed(conn.account_key, kinds))


def results_panel(
    conn: Connection, kinds: list[str], prefix: str, header: Header | None = None
) -> None:
    """In-flight progress, `header` (e.g. Edit's before and after) and the result cards.

    While jobs are followed the fragment ticks, one scoped query per tick; the tick after the
    last one ended has drawn its result, and a full rerun then stops the ticking."""
    jobs_view.seed_followed(conn)
    ticking = bool(state.followed(conn.account_key, kinds))
    state.set_settling(prefix, False)

    full_run = [True]  # the first call is inline in the page's run; later ones are its own

    @st.fragment(run_every=TICK_SECONDS if ticking else None)
    def panel() -> None:
        inline, full_run[0] = full_run[0], False
        if not inline and _outside_changed(conn, kinds, prefix, ticking):
            st.rerun()  # a click in a card changed the form, the page, or started a job
        rows = jobs_view.in_flight_rows(conn, kinds)
        grid_batch = look_grid.shown_batch(prefix)  # its cells show their own progress
        if ticking and not rows and state.settling(prefix):
            st.rerun()  # the result is on screen already: this only stops the ticking
        state.set_settling(prefix, ticking and not rows)
        # Three boxes in fixed places: when a job's progress goes, the cards below keep
        # their places, so the browser replaces them instead of briefly showing both.
        progress_box, header_box, cards_box = st.container(), st.container(), st.container()
        with progress_box:
            for record in rows:
                if not grid_batch or record.batch_id != grid_batch:
                    _progress(record)
        with header_box:
            shows_picture = header(conn) if header else False
        # A full run reads afresh (the store may have changed elsewhere); a tick only when
        # the jobs in flight changed, so a steady tick makes one query: the followed rows.
        key = (conn.account_key, tuple(kinds), tuple((r.id, r.status) for r in rows), grid_batch)
        recent = None if inline else state.recent(prefix, key)
        if recent is None:
            # The look grid's rows are in its own grid, not among the cards.
            wanted = RECENT + (len(look_grid.every_look(conn)) if grid_batch else 0)
            found = jobs_view.recent_results(conn, kinds, limit=wanted)
            recent = [r for r in found if not grid_batch or r.batch_id != grid_batch][:RECENT]
            state.set_recent(prefix, key, recent)
        with cards_box:
            _cards(conn, recent, prefix, not shows_picture, grid=bool(grid_batch))

    panel()
