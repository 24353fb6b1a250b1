"""The session-state keys that pages and components share, each with typed accessors.

Streamlit's `st.session_state` is one dict per browser session. Keys that one widget or one
component uses alone stay with it; every key that crosses a module boundary lives here, so
the rules of cross-page state are visible in one file:

- a page switch asked for by a callback (callbacks cannot switch pages themselves);
- settings and a picked result queued for another page's form;
- why the last click sent nothing; the last seed used on a page;
- the visitor id the browser sent; the connection drawn by the frame in this run;
- the image service the visitor chose, and the keys they pasted for the others;
- whether the visitor turned on developer options;
- the jobs this browser session started and follows, by history scope;
- which job History has open, and the sentence it shows after a callback;
- the moment after which a page run stops waiting on the network.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import streamlit as st

if TYPE_CHECKING:
    from components.connection import Connection

GOTO = "_goto"
REFUSAL = "_refusal"
VISITOR_ID = "_visitor_id"
VISITOR_FRESH = "_visitor_fresh"
CONNECTION = "_connection"
CLIENTS = "_clients"
UPLOADS = "_uploads"
FOLLOWED = "_followed_jobs"
SEEDED = "_followed_seeded"
SETTLING = "_results_settling"
RECENT = "_results_recent"
NETWORK_DEADLINE = "_network_deadline"
CALLBACK_CLOCK = "_network_clock_from_callback"
SHAPE_FOR = "edit_shape_for"
HISTORY_OPEN = "history_open"
HISTORY_NOTICE = "history_notice"
HISTORY_BATCH = "history_batch"  # the batch History filters on ("Show in History")
HISTORY_ONLY_BATCH = "history_only_batch"  # History's "Only this batch" switch (a widget key)
PROVIDER = "conn_provider"  # the sidebar's image-service picker (a widget key)
# The sidebar's pasted keys, by provider name (widget keys): only the chosen service's field is
# drawn, so the others' are written back each run to survive (kept in this session only).
PASTED_KEYS = {"ltx": "conn_token", "bfl": "conn_bfl_key"}
DEV_OPTIONS = "dev_options"  # the sidebar's "Developer options" switch (a widget key)

# A page run waits at most this long on the network in all (the rest shows "checking…").
NETWORK_WAIT_SECONDS = 1.5


# ---------------------------------------------------------------- page switches


def ask_goto(page: str) -> None:
    """Ask the next run to switch to `page` ("create", "edit", "history")."""
    st.session_state[GOTO] = page


def goto_pending() -> bool:
    return bool(st.session_state.get(GOTO))


def take_goto() -> str | None:
    page = st.session_state.pop(GOTO, None)
    return str(page) if page else None


# ---------------------------------------------------------------- forms across pages


def _pending_ref_key(prefix: str) -> str:
    return f"_pending_{prefix}_ref"


def _pending_settings_key(prefix: str) -> str:
    return f"_pending_{prefix}_settings"


def set_pending_ref(prefix: str, row_id: str) -> None:
    st.session_state[_pending_ref_key(prefix)] = row_id


def pending_ref(prefix: str) -> str | None:
    value = st.session_state.get(_pending_ref_key(prefix))
    return str(value) if value else None


def set_pending_settings(prefix: str, fields: dict[str, Any], seed: int | None) -> None:
    st.session_state[_pending_settings_key(prefix)] = (dict(fields), seed)


def pending_settings(prefix: str) -> tuple[dict[str, Any], int | None] | None:
    value = st.session_state.get(_pending_settings_key(prefix))
    return (dict(value[0]), value[1]) if value else None


def settle_pending(prefix: str) -> None:
    st.session_state.pop(_pending_settings_key(prefix), None)
    st.session_state.pop(_pending_ref_key(prefix), None)


def shape_chosen_for() -> str | None:
    """The Edit source whose shape was last picked automatically."""
    value = st.session_state.get(SHAPE_FOR)
    return str(value) if value else None


def set_shape_chosen_for(file_id: str) -> None:
    st.session_state[SHAPE_FOR] = file_id


def last_seed(prefix: str) -> int | None:
    value = st.session_state.get(f"{prefix}_last_seed")
    return int(value) if value is not None else None


def set_last_seed(prefix: str, seed: int) -> None:
    st.session_state[f"{prefix}_last_seed"] = seed


# ---------------------------------------------------------------- refusals


def refusal() -> str | None:
    """Why the last click sent nothing; kept until a click sends something."""
    value = st.session_state.get(REFUSAL)
    return str(value) if value else None


def set_refusal(text: str) -> None:
    st.session_state[REFUSAL] = text


def clear_refusal() -> None:
    st.session_state.pop(REFUSAL, None)


# ---------------------------------------------------------------- visitor and connection


def visitor_id() -> str | None:
    """The id the browser sent (unchecked: the caller validates it)."""
    value = st.session_state.get(VISITOR_ID)
    return value if isinstance(value, str) else None


def set_visitor_id(value: str) -> None:
    st.session_state[VISITOR_ID] = value


def fresh_visitor_id(make: Callable[[], str]) -> str:
    """A new random id offered to the browser, drawn once per session by `make()`."""
    if VISITOR_FRESH not in st.session_state:
        st.session_state[VISITOR_FRESH] = make()
    return str(st.session_state[VISITOR_FRESH])


def set_connection(conn: Connection) -> None:
    st.session_state[CONNECTION] = conn


def connection() -> Connection:
    conn: Connection = st.session_state[CONNECTION]
    return conn


def keep_provider_choice() -> None:
    """Keep the chosen image service and every pasted key across runs and pages, also while
    the field of a key is not drawn (Streamlit forgets an undrawn widget's value)."""
    for key in (PROVIDER, *PASTED_KEYS.values()):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def chosen_provider() -> str | None:
    value = st.session_state.get(PROVIDER)
    return value if isinstance(value, str) else None


def keep_developer_options() -> None:
    """Remember the "Developer options" switch for the session, also through a run that does
    not draw the sidebar's switch (Streamlit forgets an undrawn widget's value)."""
    if DEV_OPTIONS in st.session_state:
        st.session_state[DEV_OPTIONS] = st.session_state[DEV_OPTIONS]


def developer_options() -> bool:
    """Whether the forms show (and send) the fields only developers set."""
    return bool(st.session_state.get(DEV_OPTIONS))


def clients() -> dict[Any, Any]:
    """API clients of this session, by (base URL, account key)."""
    cache: dict[Any, Any] = st.session_state.setdefault(CLIENTS, {})
    return cache


def uploads() -> dict[Any, tuple[str, str]]:
    """Pictures this session uploaded: (row id, file id) by (backend, scope, digest, email)."""
    cache: dict[Any, tuple[str, str]] = st.session_state.setdefault(UPLOADS, {})
    return cache


# ---------------------------------------------------------------- followed jobs


def _followed(scope: str) -> dict[str, str]:
    by_scope: dict[str, dict[str, str]] = st.session_state.setdefault(FOLLOWED, {})
    return by_scope.setdefault(scope, {})


def follow(scope: str, row_id: str, kind: str) -> None:
    """Follow a job this session started (or asked about) until it ends."""
    _followed(scope)[row_id] = kind


def unfollow(scope: str, row_ids: list[str]) -> None:
    followed = _followed(scope)
    for row_id in row_ids:
        followed.pop(row_id, None)


def followed(scope: str, kinds: list[str] | None = None) -> list[str]:
    """Ids of the followed jobs of `scope`, of `kinds` when given, oldest first."""
    return [i for i, k in _followed(scope).items() if kinds is None or k in kinds]


def needs_seeding(scope: str) -> bool:
    """True once per session and scope: followed jobs come from the store then."""
    seeded: set[str] = st.session_state.setdefault(SEEDED, set())
    if scope in seeded:
        return False
    seeded.add(scope)
    return True


def settling(name: str) -> bool:
    """Whether a results panel drew its last followed job's end in its previous tick."""
    return bool(st.session_state.get(f"{SETTLING}_{name}"))


def set_settling(name: str, value: bool) -> None:
    st.session_state[f"{SETTLING}_{name}"] = value


def recent(name: str, key: tuple[Any, ...]) -> list[Any] | None:
    """A results panel's finished rows as its last tick read them, if read for `key` (the
    scope, kinds and jobs then in flight)."""
    kept = st.session_state.get(f"{RECENT}_{name}")
    return kept[1] if kept and kept[0] == key else None


def set_recent(name: str, key: tuple[Any, ...], rows: list[Any]) -> None:
    st.session_state[f"{RECENT}_{name}"] = (key, rows)


# ---------------------------------------------------------------- History


def opened_job() -> str | None:
    value = st.session_state.get(HISTORY_OPEN)
    return str(value) if value else None


def open_job(row_id: str | None) -> None:
    st.session_state[HISTORY_OPEN] = row_id


def notify(text: str, kind: str = "info") -> None:
    """Keep a sentence for History's next run (callbacks run before the page draws)."""
    st.session_state[HISTORY_NOTICE] = (kind, text)


def take_notice() -> tuple[str | None, str | None]:
    kind, text = st.session_state.pop(HISTORY_NOTICE, (None, None))
    return kind, text


# ---------------------------------------------------------------- network time of a run


def start_run_clock() -> None:
    """Called once at the top of every full run: the run's network waits start now, or
    went on from the widget callback that began this run (callbacks run first)."""
    if st.session_state.pop(CALLBACK_CLOCK, False):
        return
    st.session_state[NETWORK_DEADLINE] = time.monotonic() + NETWORK_WAIT_SECONDS


def begin_callback_wait() -> None:
    """A widget callback about to wait on the network starts the run's clock itself."""
    st.session_state[NETWORK_DEADLINE] = time.monotonic() + NETWORK_WAIT_SECONDS
    st.session_state[CALLBACK_CLOCK] = True


def network_time_left(at_most: float) -> float:
    """How long this run may still wait on the network, and never more than `at_most`."""
    deadline = st.session_state.get(NETWORK_DEADLINE)
    left = (deadline - time.monotonic()) if deadline is not None else NETWORK_WAIT_SECONDS
    return max(0.0, min(at_most, left))


def history_batch() -> str | None:
    """The batch History was asked to show, if any."""
    value = st.session_state.get(HISTORY_BATCH)
    return value if isinstance(value, str) else None


def show_batch(batch_id: str) -> None:
    """Ask History to show only this batch (its switch on)."""
    st.session_state[HISTORY_BATCH] = batch_id
    st.session_state[HISTORY_ONLY_BATCH] = True
