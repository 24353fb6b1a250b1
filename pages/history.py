"""History: every job in a table; find it, open it, reuse it, keep it."""

from __future__ import annotations

from datetime import UTC, datetime, time

import streamlit as st

from components import connection, history_view
from components.frame import escape_legacy_pages_mode
from kontextlab import payloads as p

escape_legacy_pages_mode()
PREFIX = "history"
PAGE_SIZE = 50
KINDS = ["create", "edit", "upscale", "upload"]
STATUSES = ["completed", "failed", "active", "queued"]


def filters() -> dict:
    search = st.text_input("Search prompts", key=f"{PREFIX}_search", placeholder="e.g. sunset")
    a, b, c, d, e = st.columns([2, 2, 2, 3, 2])
    kinds = a.multiselect("Kind", KINDS, key=f"{PREFIX}_kinds")
    statuses = b.multiselect("Status", STATUSES, key=f"{PREFIX}_statuses")
    styles = c.multiselect("Style", p.STYLES, key=f"{PREFIX}_styles")
    dates = d.date_input("Created between", value=(), key=f"{PREFIX}_dates")
    order = e.selectbox(
        "Sort",
        ["newest", "oldest"],
        key=f"{PREFIX}_order",
        format_func=lambda o: f"{o.capitalize()} first",
    )
    since = until = None
    if isinstance(dates, tuple) and len(dates) == 2:
        since = datetime.combine(dates[0], time.min).astimezone(UTC)
        until = datetime.combine(dates[1], time.max).astimezone(UTC)
    return {
        "search": search or None,
        "kinds": kinds or None,
        "statuses": statuses or None,
        "styles": styles or None,
        "since": since,
        "until": until,
        "order": order,
    }


def pager(total: int) -> int:
    pages = max(1, -(-total // PAGE_SIZE))
    key = f"{PREFIX}_page"
    if st.session_state.get(key, 1) > pages:
        st.session_state[key] = 1
    if pages == 1:
        return 0
    left, _ = st.columns([1, 3], vertical_alignment="bottom")
    page = left.number_input(f"Page (of {pages})", 1, pages, key=key, step=1)
    return (int(page) - 1) * PAGE_SIZE


conn = connection.current()
store = connection.store()
st.title("History")
if store.count(conn.account_key) == 0:
    st.info("Nothing here yet. Everything you create or edit is kept on this page.")
    st.page_link("pages/create.py", label="Create your first image", icon=":material/brush:")
    history_view.tools(conn, {})
    st.stop()

history_view.refresh_expiring(conn)
chosen = filters()
order = chosen.pop("order")
total = store.count(conn.account_key, **chosen)
offset = pager(total)
frame = store.dataframe(conn.account_key, **chosen, order=order, limit=PAGE_SIZE, offset=offset)
st.caption(
    f"Showing {len(frame):,} of {total:,} matching jobs ({store.count(conn.account_key):,} in all)."
)
selected = history_view.table(conn, frame)
if selected:
    history_view.detail(conn, selected)
history_view.tools(conn, chosen)
