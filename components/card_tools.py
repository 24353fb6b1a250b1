"""What a result card and History's detail share: the picture file that carries its recipe,
"Copy settings", "Link to this picture" (and opening such a link), Upscale and Stop."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import streamlit as st

from components import connection, jobs_view, state, stored
from components.connection import Connection
from components.history_table import reset_table
from kontextlab.history import JobRecord
from kontextlab.images.recipe import recipe_json, with_recipe
from kontextlab.providers import InvalidRequest, NotFound, Provider
from kontextlab.tasks import Busy, Progress, Task, TaskState
from kontextlab.untrusted import plain
from kontextlab.vocabulary import JobState

LINK_PARAM = "job"
LINK_NOT_FOUND = "This picture was not found. It may belong to someone else or have been deleted."
LINK_ID_LIMIT = 64  # a row id is 32 characters; anything much longer is no row's
STOPPED_NOW = "Stopped."
STOP_TOO_LATE = (
    "It could not be stopped: it has just ended, or another server of the app follows it."
)
STOP_NOT_RUNNING = (
    "The service is no longer running this job, so there was nothing to stop. Its picture "
    "shows here when it is ready."
)


# ---------------------------------------------------------------- the picture and its recipe


def picture_file(record: JobRecord, data: bytes | None = None) -> bytes:
    """The picture a download serves (the kept full image unless `data` is given), with the
    settings it was made with written into the file."""
    if data is None:
        data = connection.store().image(record.id, record.account_key) or b""
    return with_recipe(data, stored.recipe(record)) if data else data


def copy_settings(record: JobRecord, *, inline: bool = False) -> None:
    """A popover with the picture's settings as JSON (its copy button copies them); drawn in
    place with `inline` (inside another popover: popovers do not nest)."""
    with st.container() if inline else st.popover("Copy settings", icon=":material/data_object:"):
        st.caption("The settings this picture was made with. The button in the box copies them.")
        st.code(recipe_json(stored.recipe(record), indent=2), language="json", wrap_lines=True)


def link_to(record: JobRecord) -> str:
    return f"?{LINK_PARAM}={record.id}"


def full_link(record: JobRecord) -> str | None:
    """The link with the app's own address, when the browser said it (else None)."""
    try:
        address = st.context.url
    except Exception:  # no browser behind this run (a script, a test)
        return None
    if not address:
        return None
    scheme, netloc, path, _, _ = urlsplit(address)
    if scheme not in ("http", "https") or not netloc:
        return None
    return urlunsplit((scheme, netloc, path or "/", f"{LINK_PARAM}={record.id}", ""))


def link_box(record: JobRecord, *, inline: bool = False) -> None:
    """A popover with the link that reopens this picture (for this visitor only); drawn in
    place with `inline`."""
    with st.container() if inline else st.popover("Link to this picture", icon=":material/link:"):
        st.caption(
            "Open this link in this browser to see the picture again. It works only for you: "
            "anyone else is told it was not found."
        )
        st.code(full_link(record) or link_to(record), language=None, wrap_lines=True)
        if full_link(record):
            st.caption(f"Or add `{link_to(record)}` to the app's address.")


def open_linked() -> None:
    """`?job=<row id>`: open that row in History's detail for the visitor whose row it is; for
    anyone else (or no such row) History says LINK_NOT_FOUND. Runs after the page, once the
    frame knows the visitor; the value is any text a stranger typed, read through the
    store's scoped look-up only."""
    if LINK_PARAM not in st.query_params:
        return
    try:
        conn = state.connection()
    except KeyError:  # the visitor is not known yet: the next run opens it
        return
    wanted = st.query_params.get(LINK_PARAM) or ""
    del st.query_params[LINK_PARAM]
    found = None
    if 0 < len(wanted) <= LINK_ID_LIMIT:
        found = connection.store().records(conn.account_key, [wanted]).get(wanted)
    if found is None:
        state.open_job(None)
        state.notify(LINK_NOT_FOUND, "error")
    else:
        state.open_job(found.id)
    reset_table()
    from components.frame import page_link  # the frame imports the pages' components

    st.switch_page(page_link("history"))


# ---------------------------------------------------------------- upscale


def upscaler(conn: Connection, record: JobRecord) -> Provider | None:
    """The connected provider that can upscale this row (the one that made it), or None."""
    provider = conn.provider_for(record.provider)
    if provider is None or "upscale" not in provider.capabilities.kinds:
        return None
    return provider


def can_upscale(conn: Connection, record: JobRecord) -> bool:
    done = record.status == JobState.COMPLETED and bool(record.job_id)
    return done and record.kind in ("create", "edit") and upscaler(conn, record) is not None


def upscale(conn: Connection, record: JobRecord) -> str | None:
    """Send an upscale of a finished picture with the provider that made it. Returns the new
    row's id, or None (with a sentence) when nothing was sent."""
    provider = upscaler(conn, record)
    if provider is None:
        st.toast("This picture cannot be upscaled here.", icon=":material/error:")
        return None
    email = conn.email if conn.needs_email else stored.fields(record).get("email")
    wanted = {"job_id": record.job_id or "", "poll_for_result": 1, "email": email}
    caps = provider.capabilities
    fields = {name: value for name, value in wanted.items() if caps.accepts("upscale", name)}
    try:
        request = provider.prepare("upscale", fields)
    except InvalidRequest as exc:
        st.toast(f"Not sent: {plain(exc)}", icon=":material/error:")
        return None
    return jobs_view.submit(conn, request, parent_id=record.id, provider=provider)


def upscale_clicked(conn: Connection, record: JobRecord) -> None:
    """A card's Upscale: the new job opens on History (Create and Edit show their own kind)."""
    row_id = upscale(conn, record)
    if row_id:
        state.open_job(row_id)
        reset_table()
        state.notify("Upscale started. It is at the top of the table and opens here when done.")
        state.ask_goto("history")


# ---------------------------------------------------------------- stop


def _stop_task(record: JobRecord) -> str:
    return f"stop:{record.id}"


def can_stop(conn: Connection, record: JobRecord) -> bool:
    provider = conn.provider_for(record.provider)
    running = record.status == JobState.ACTIVE and bool(record.job_id)
    return running and provider is not None and provider.capabilities.can_stop


def stop_clicked(conn: Connection, record: JobRecord) -> None:
    """Stop a running job in the background (the request waits on the network)."""
    provider = conn.provider_for(record.provider)
    if provider is None:
        return
    runner, key, row_id = connection.runner(), conn.account_key, record.id

    def work(progress: Progress) -> str:
        try:
            stopped = runner.stop_job(provider, row_id, key)
        except NotFound:
            return STOP_NOT_RUNNING
        return STOPPED_NOW if stopped else STOP_TOO_LATE

    try:
        connection.tasks().start(key, _stop_task(record), work)
    except Busy as exc:
        st.toast(str(exc), icon=":material/hourglass_top:")


def stop_task(conn: Connection, record: JobRecord) -> Task | None:
    return connection.tasks().get(conn.account_key, _stop_task(record))


def stop_control(conn: Connection, record: JobRecord, key: str) -> None:
    """The Stop button of a running job, and what the last try to stop it said."""
    if not can_stop(conn, record):
        return
    task = stop_task(conn, record)
    stopping = task is not None and task.running
    st.button(
        "Stopping…" if stopping else "Stop",
        key=f"{key}_stop",
        on_click=stop_clicked,
        args=(conn, record),
        disabled=stopping,
        icon=":material/stop_circle:",
        help="Stop following this job. The service may still finish it and charge for it.",
    )
    if task is not None and not task.running:
        said = task.error if task.state is TaskState.FAILED else str(task.result or "")
        if said and said != STOPPED_NOW:
            st.caption(plain(f"Not stopped: {said}" if task.error else said))
