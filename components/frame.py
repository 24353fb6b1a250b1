"""The shared frame: page config, navigation, connection."""

from __future__ import annotations

import logging

import sqlalchemy as sa
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from components import connection, form, state
from components.more_references import picker_prefixes

log = logging.getLogger(__name__)
DATABASE_DOWN = (
    "The app cannot reach its history database right now, so nothing can be shown or saved. "
    "Please try again in a moment."
)
PAGES = {
    "create": ("pages/create.py", "Create", ":material/brush:"),
    "edit": ("pages/edit.py", "Edit", ":material/auto_fix_high:"),
    "history": ("pages/history.py", "History", ":material/history:"),
}


def escape_legacy_pages_mode() -> None:
    """Leave Streamlit's legacy `pages/` mode before anything is drawn.

    A freshly started server with a `pages/` folder runs the first visitor's deep link
    (`/history`) straight from that folder, without this frame. Every page file calls this
    first: it switches the process to `st.navigation` mode and reruns through the frame.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def page_link(name: str) -> str:
    return PAGES[name][0]


def run() -> None:
    escape_legacy_pages_mode()
    st.set_page_config(page_title="Kontext Lab", page_icon=":material/palette:", layout="wide")
    pages = [
        st.Page(path, title=title, icon=icon, url_path=name, default=(name == "create"))
        for name, (path, title, icon) in PAGES.items()
    ]
    nav = st.navigation(pages, position="top")
    st.sidebar.title("Kontext Lab")
    st.sidebar.caption("Quick prompt experiments with FLUX.1 Kontext.")
    state.start_run_clock()
    # The forms' values, and Edit's extra reference pickers, survive a visit to another page.
    form.keep_form_values(("create", "edit", *picker_prefixes("edit")))
    problem = connection.settings().problem
    if problem:
        st.error(problem, icon=":material/lock:")
        return
    try:
        conn = connection.render_sidebar()
        if conn is None:  # the browser has not said who the visitor is yet: draw no history
            st.caption("Getting things ready…")
            return
        state.set_connection(conn)
        connection.runner().resume(conn.provider, conn.account_key)
        nav.run()
    except sa.exc.SQLAlchemyError:
        # Every page reads the history store; one sentence for all of them.
        log.exception("history database error")
        st.error(DATABASE_DOWN, icon=":material/database:")
