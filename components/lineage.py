"""A result's lineage: original → edit 1 → edit 2 …, each step one click from reuse."""

from __future__ import annotations

import streamlit as st

from components import connection, jobs_view, safe
from components.connection import Connection
from components.reference import choose_result
from kontextlab.history import JobRecord
from kontextlab.untrusted import plain

MAX_STEPS_PER_ROW = 3


def step_label(index: int, record: JobRecord) -> str:
    if index == 0:
        return "Original upload" if record.kind == "upload" else f"Original ({record.kind})"
    return f"Edit {index}"


def _step(conn: Connection, prefix: str, index: int, record: JobRecord, current: bool) -> None:
    thumb = connection.store().thumbnail(record.id, conn.account_key)
    title = step_label(index, record) + (" · current" if current else "")
    st.markdown(f"**{title}**")
    safe.picture(thumb, width="stretch")
    if index and record.prompt:
        st.caption(plain(record.prompt))
    st.button(
        "Edit again",
        key=f"{prefix}_lin_edit_{record.id}",
        on_click=choose_result,
        args=(prefix, record.id),
        disabled=not record.file_id,
        width="stretch",
    )
    if index:
        st.button(
            "Reuse settings",
            key=f"{prefix}_lin_restore_{record.id}",
            width="stretch",
            on_click=jobs_view.send_settings,
            args=(prefix, record),
            help="Load this step's prompt and settings into the form",
        )


def lineage_strip(conn: Connection, row_id: str, *, prefix: str) -> None:
    chain = connection.store().lineage(row_id, conn.account_key)
    if len(chain) < 2:
        return
    st.subheader("Lineage")
    st.caption(" → ".join(step_label(i, r) for i, r in enumerate(chain)))
    for start in range(0, len(chain), MAX_STEPS_PER_ROW):
        cols = st.columns(MAX_STEPS_PER_ROW)
        for offset, record in enumerate(chain[start : start + MAX_STEPS_PER_ROW]):
            with cols[offset]:
                index = start + offset
                _step(conn, prefix, index, record, current=index == len(chain) - 1)
