"""History: every job in a table; find it, open it, reuse it, keep it."""

from __future__ import annotations

import logging

import streamlit as st

from components import connection, history_view, jobs_view
from components.frame import escape_legacy_pages_mode

escape_legacy_pages_mode()
log = logging.getLogger(__name__)


def page() -> None:
    conn = connection.current()
    store = connection.store()
    key = conn.account_key
    everything = store.count(key)
    if everything == 0:
        history_view.empty_state(conn)
        return
    history_view.refresh_expiring(conn)
    history_view.watch_running(conn)
    chosen, order = history_view.filters()
    total = store.count(key, **chosen) if any(chosen.values()) else everything
    offset = history_view.pager(total, (tuple(map(str, chosen.values())), order))
    frame = store.dataframe(key, **chosen, order=order, limit=history_view.PAGE_SIZE, offset=offset)
    history_view.counts(len(frame), offset, total, everything)
    history_view.table(conn, frame)
    record = history_view.opened(conn)
    if record:
        history_view.detail(conn, record)
    history_view.tools(conn, chosen, total)


jobs_view.follow_goto()
st.title("History")
history_view.show_notice()
page()
