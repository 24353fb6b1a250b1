"""History: every job in a table or a gallery; find it, open it, reuse it, keep it."""

from __future__ import annotations

import streamlit as st

from components import (
    connection,
    history_detail,
    history_gallery,
    history_table,
    history_tools,
    jobs_view,
    state,
)
from components.compare import compare_picked_rows
from components.frame import escape_legacy_pages_mode

escape_legacy_pages_mode()


def show_notice() -> None:
    kind, text = state.take_notice()
    if kind and text:
        {"info": st.info, "success": st.success, "error": st.error}[kind](text)


def page() -> None:
    conn = connection.current()
    store = connection.store()
    key = conn.account_key
    everything = store.count(key)
    if everything == 0:
        history_tools.task_progress(conn)
        history_tools.empty_state(conn)
        return
    history_tools.refresh_expiring(conn)
    history_tools.task_progress(conn)
    history_table.watch_running(conn)
    view = history_gallery.view_toggle()
    chosen, order = history_table.filters()
    total = store.count(key, **chosen) if any(chosen.values()) else everything
    gallery = view == history_gallery.GALLERY
    size = history_gallery.PAGE_SIZE if gallery else history_table.PAGE_SIZE
    offset = history_table.pager(total, (view, tuple(map(str, chosen.values())), order), size)
    # The same filtered, sorted page for both views: no request bodies, no pictures.
    frame = store.dataframe(key, **chosen, order=order, limit=size, offset=offset)
    history_table.counts(len(frame), offset, total, everything)
    if gallery:
        history_gallery.gallery(conn, frame)
    else:
        history_table.table(conn, frame)
        compare_picked_rows(conn)
    record = history_detail.opened(conn)
    if record:
        history_detail.detail(conn, record)
    history_tools.tools(conn, chosen, total)


jobs_view.follow_goto()
st.title("History")
show_notice()
page()
