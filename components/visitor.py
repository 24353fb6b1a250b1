"""Who the visitor is: the login subject when login is configured, else a random id that the
browser keeps in its localStorage (a new browser is a new visitor).

Only that random id ever travels to and from the browser: never a token or a key. It arrives
one script run after the first, so the first run of a new session draws nothing that reads
or writes history (see `components.frame`).
"""

from __future__ import annotations

import secrets

import streamlit as st

from components import state
from kontextlab.visitors import valid_visitor_id

STATE_KEY = state.VISITOR_ID
STORAGE_KEY = "kontextlab.visitor"
# Runs in the page: reads (or creates) the id in localStorage and hands it to the script.
_JS = """
export default function (component) {
  const { data, setStateValue } = component;
  const pattern = /^[A-Za-z0-9_-]{16,64}$/;
  let id = null;
  try { id = window.localStorage.getItem("KEY"); } catch (e) { id = null; }
  if (!id || !pattern.test(id)) {
    id = data && data.fresh;
    try { window.localStorage.setItem("KEY", id); } catch (e) { /* private mode */ }
  }
  setStateValue("id", id);
}
""".replace("KEY", STORAGE_KEY)
_bridge = st.components.v2.component("kontextlab_visitor", js=_JS)


def _login_subject() -> str | None:
    """The signed-in person's subject when the deployer configured login (`[auth]`)."""
    try:
        if st.user.get("is_logged_in"):
            subject = st.user.get("sub") or st.user.get("email")
            return f"user:{subject}" if subject else None
    except Exception:  # st.user is absent or unconfigured on this host
        return None
    return None


def _remember(value: object) -> None:
    if isinstance(value, str) and valid_visitor_id(value):
        state.set_visitor_id(value)


def visitor_id() -> str | None:
    """This browser's visitor id, or None until the browser has sent it (first run)."""
    subject = _login_subject()
    if subject:
        return subject
    known = state.visitor_id()
    if valid_visitor_id(known):
        return known
    fresh = state.fresh_visitor_id(lambda: secrets.token_urlsafe(24))
    with st.sidebar:
        result = _bridge(
            key="visitor_bridge",
            data={"fresh": fresh},
            default={"id": None},
            height=0,
            on_id_change=lambda: None,  # the new id arrives with the rerun this causes
        )
    _remember(getattr(result, "id", None))
    known = state.visitor_id()
    return known if valid_visitor_id(known) else None
