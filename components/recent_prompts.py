"""A picker of the visitor's last prompts: one pick puts it back in the prompt box."""

from __future__ import annotations

import streamlit as st

from components import connection
from components.connection import Connection
from components.fmt import short

RECENT_PROMPTS = 20


def _picker_key(prefix: str) -> str:
    return f"{prefix}_recent_prompt"


def _use(prefix: str, limit: int) -> None:
    """(A callback: it runs before the prompt box is drawn, so it may set its value.)"""
    chosen = st.session_state.get(_picker_key(prefix))
    if chosen:
        st.session_state[f"{prefix}_prompt"] = str(chosen)[:limit]
    st.session_state[_picker_key(prefix)] = None  # ready to pick the same one again


def recent_prompt_picker(conn: Connection, prefix: str, kinds: list[str]) -> None:
    """The visitor's last distinct prompts of `kinds` (scoped to them), newest first; none
    drawn before there are any."""
    prompts = connection.store().recent_prompts(conn.account_key, kinds, RECENT_PROMPTS)
    if not prompts:
        return
    st.selectbox(
        "Recent prompts",
        prompts,
        index=None,
        key=_picker_key(prefix),
        placeholder=(
            "Use your last prompt again"
            if len(prompts) == 1
            else f"Use one of your last {len(prompts)} prompts"
        ),
        format_func=lambda text: short(" ".join(text.split()), 90),
        on_change=_use,
        args=(prefix, conn.provider.capabilities.prompt_limit),
        label_visibility="collapsed",
    )
