"""History as pictures: the switch between the table and the gallery, and the gallery itself.

The gallery reads the same filtered, sorted page of rows as the table (the store's frame, which
holds neither the request bodies nor any picture) and then that page's thumbnails in one
scoped query; never a full image. Each tile opens the same detail as a table row does.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from components import connection, safe, state
from components.connection import Connection
from components.fmt import short
from components.history_table import reset_table
from kontextlab.untrusted import plain
from kontextlab.vocabulary import JobState

TABLE = "Table"
GALLERY = "Gallery"
VIEW_KEY = "history_view"
PAGE_SIZE = 24
TILE_WIDTH = 170  # px: two tiles side by side on a 390 px phone, seven on a wide screen
PLACEHOLDER_HEIGHT = 80  # px: the plain box of a job without a picture (a wide picture's)
PROMPT_CHARS = 21  # one line of a tile; the whole prompt shows in the job's detail
# What a tile without a picture says, by the job's state.
PLACEHOLDERS = {
    JobState.QUEUED: (":material/schedule:", "Waiting to start"),
    JobState.ACTIVE: (":material/hourglass_top:", "Generating"),
    JobState.FAILED: (":material/error:", "Failed"),
    JobState.UNKNOWN: (":material/help:", "Outcome unknown"),
    JobState.COMPLETED: (":material/image_not_supported:", "No picture kept"),
}


def view_toggle() -> str:
    """The "Table | Gallery" switch, remembered for the session; returns the view shown."""
    chosen = st.segmented_control(
        "View",
        [TABLE, GALLERY],
        key=VIEW_KEY,
        default=TABLE,
        required=True,
        persist_state="session",
        label_visibility="collapsed",
        help="See your jobs as rows of settings, or as a grid of pictures",
    )
    return GALLERY if chosen == GALLERY else TABLE


def _open(rid: str) -> None:
    """A tile opens its job, as selecting its row does; the table's old selection goes."""
    state.open_job(rid)
    reset_table()


def gallery(conn: Connection, frame: pd.DataFrame) -> None:
    """A grid of this page's jobs, in the frame's order (newest first unless sorted else)."""
    ids = frame["id"].tolist()
    thumbs = connection.store().thumbnails(conn.account_key, ids)
    opened = state.opened_job()
    with st.container(horizontal=True, gap="small", key="history_gallery"):
        for row in frame.itertuples(index=False):
            _tile(row, thumbs.get(str(row.id)), opened)
    if not opened:
        st.caption("Choose “Open” under a picture to see its job.")


def _tile(row: Any, thumb: bytes | None, opened: str | None) -> None:
    rid = str(row.id)
    with st.container(border=True, width=TILE_WIDTH, gap="small", key=f"history_tile_{rid}"):
        if row.status == JobState.COMPLETED and thumb:
            safe.picture(thumb, width="stretch")  # a sentence instead, if it cannot be shown
        else:
            _placeholder(row)
        prompt = str(row.prompt or "") or "(no prompt)"
        st.caption(plain(short(prompt, PROMPT_CHARS)))
        here = rid == opened
        st.button(
            "Shown below" if here else "Open",
            key=f"history_tile_open_{rid}",
            on_click=_open,
            args=(rid,),
            type="primary" if here else "secondary",
            icon=":material/arrow_downward:" if here else ":material/open_in_full:",
            width="stretch",
        )


def _placeholder(row: Any) -> None:
    """A plain box saying the job's state, where its picture would be."""
    icon, words = PLACEHOLDERS.get(row.status, (":material/help:", str(row.status)))
    if row.status == JobState.ACTIVE and not pd.isna(row.progress):
        words = f"{words} {float(row.progress):.0f}%"
    with st.container(
        border=True,
        height=PLACEHOLDER_HEIGHT,
        horizontal_alignment="center",
        vertical_alignment="center",
    ):
        st.caption(f"{icon} {words}")
