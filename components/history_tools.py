"""History's tools: link renewal and sync in the background, export and import.

Nothing here waits on the network in a page run for longer than the run's budget
(`state.network_time_left`): the work runs in the task runner's threads, and a fragment shows
its progress until it ends, then the page shows its sentence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import streamlit as st

from components import connection, state
from components.connection import Connection
from components.fmt import humanize_delta
from components.history_table import reset_table
from kontextlab.history import HistoryStore, ImportResult, JobRecord, NotAnExport
from kontextlab.images import BadImage, thumbnail
from kontextlab.import_rules import IMPORT_RULES
from kontextlab.providers import NotFound, Provider, ProviderError, RemoteItem
from kontextlab.tasks import Busy, Progress, TaskState
from kontextlab.untrusted import plain

log = logging.getLogger(__name__)

REFRESH_WITHIN = timedelta(minutes=15)
REFRESH_LIMIT = 5  # link refreshes per page open
REFRESH_BUDGET_S = 4.0
REFRESH_EVERY = timedelta(minutes=5)
SYNC_PAGE_LIMIT = 50
SYNC_MAX_PAGES = 40
SYNC_THUMBNAILS = 60  # thumbnail downloads per sync
PAGE_WAIT_SECONDS = 1.0  # what a run may wait for a task before showing its progress instead
TASK_TICK_SECONDS = 0.5
WATCHED = "_history_tasks"  # this session's tasks whose end the page still has to say
Outcome = tuple[str, str] | None  # (notice kind, sentence), or nothing to say


# ---------------------------------------------------------------- background tasks


def _watched() -> dict[str, str]:
    watched: dict[str, str] = st.session_state.setdefault(WATCHED, {})
    return watched


def start_task(
    conn: Connection, name: str, label: str, work: Callable[[Progress], Outcome]
) -> None:
    """Run `work` in the background for this scope; say its outcome now if it ends within
    the run's network budget, else show its progress (see `task_progress`)."""
    try:
        task = connection.tasks().start(conn.account_key, name, work)
    except Busy as exc:
        state.notify(str(exc), "error")
        return
    _watched()[name] = label
    if task.wait(state.network_time_left(PAGE_WAIT_SECONDS)):
        _finish(conn, name)


def _finish(conn: Connection, name: str) -> bool:
    """Say how a finished task ended (once). False while it still runs."""
    runner = connection.tasks()
    task = runner.get(conn.account_key, name)
    if task is not None and task.running:
        return False
    label = _watched().pop(name, name)
    runner.forget(conn.account_key, name)
    if task is None:
        return True
    if task.state is TaskState.FAILED:
        state.notify(f"{label} stopped: {task.error}", "error")
    elif task.result:
        kind, text = task.result
        state.notify(text, kind)
    return True


def task_progress(conn: Connection) -> None:
    """While this session's tasks run: their progress, ticking; when they end, the page
    reruns once to show their sentence and the rows they changed."""
    if not _watched():
        return

    @st.fragment(run_every=TASK_TICK_SECONDS)
    def tick() -> None:
        ended = [name for name in list(_watched()) if _finish(conn, name)]
        if ended or not _watched():
            st.rerun()
        for name, label in _watched().items():
            task = connection.tasks().get(conn.account_key, name)
            progress = task.progress if task else ""
            st.caption(f"{label}… {progress}".strip(), help="This runs in the background.")

    tick()


# ---------------------------------------------------------------- links


def refresh_link(store: HistoryStore, provider: Provider, record: JobRecord) -> str:
    """Ask the server for a freshly signed URL. Returns a sentence for the page."""
    try:
        job = provider.status(record.job_id or "")
    except NotFound:
        store.update_job(record.id, link_lost=True)
        return (
            "The server no longer has this job, so its link cannot be renewed. "
            "The copy kept here still shows."
        )
    except ProviderError as exc:
        return f"The link could not be refreshed. {plain(exc.user_message)}"
    if not job.is_done or job.picture is None:
        return "The server has no image for this job yet."
    store.update_job(
        record.id,
        asset_url=job.picture.url,
        link_lost=False,
        url_expires_at=job.picture.expires_at,
    )
    left = (job.picture.expires_at or datetime.now(UTC)) - datetime.now(UTC)
    return f"The link was refreshed; it is valid for {humanize_delta(left.total_seconds())}."


def refresh_one(conn: Connection, record: JobRecord) -> None:
    """The "Refresh link" button."""
    store, provider = connection.store(), conn.provider
    state.begin_callback_wait()
    start_task(
        conn,
        f"refresh:{record.id}",
        "Refreshing the link",
        lambda _: ("info", refresh_link(store, provider, record)),
    )


def refresh_expiring(conn: Connection) -> None:
    """Renew links that expire soon when the page opens: a few requests, in the background."""
    marker = f"_history_refreshed_{conn.account_key}"
    last = st.session_state.get(marker)
    if last and datetime.now(UTC) - last < REFRESH_EVERY:
        return
    st.session_state[marker] = datetime.now(UTC)
    store, provider, key = connection.store(), conn.provider, conn.account_key
    if not store.expiring(key, REFRESH_WITHIN, 1):
        return

    def work(progress: Progress) -> Outcome:
        deadline = datetime.now(UTC) + timedelta(seconds=REFRESH_BUDGET_S)
        records = store.expiring(key, REFRESH_WITHIN, REFRESH_LIMIT)
        for n, record in enumerate(records, 1):
            if datetime.now(UTC) > deadline:
                break
            progress(f"{n} of {len(records)}")
            refresh_link(store, provider, record)
        return None

    start_task(conn, "refresh-expiring", "Renewing links that expire soon", work)


# ---------------------------------------------------------------- sync


def sync_from_account(
    store: HistoryStore, provider: Provider, key: str, email: str | None, progress: Progress
) -> str:
    """Merge every page of the account's images by job id; fetch a few thumbnails."""
    added, budget = 0, SYNC_THUMBNAILS
    try:
        for page in range(1, SYNC_MAX_PAGES + 1):
            progress(f"page {page}, {added} new so far")
            result = provider.list_pictures(account=email, page=page, limit=SYNC_PAGE_LIMIT)
            added += store.merge_remote(key, result.items)
            budget -= _fetch_thumbnails(store, provider, key, result.items, budget)
            if page >= result.total_pages or not result.items:
                break
    except ProviderError as exc:
        return f"Sync stopped: {plain(exc.user_message)} ({added} new jobs were added before that.)"
    if not added:
        return "Sync finished: nothing new."
    return f"Sync finished: {added} new {'job' if added == 1 else 'jobs'} added."


def _fetch_thumbnails(
    store: HistoryStore, provider: Provider, key: str, items: Sequence[RemoteItem], budget: int
) -> int:
    """Thumbnails for synced rows that have none (merge_remote stores links only)."""
    fetched = 0
    for item in items:
        if fetched >= budget:
            break
        record = store.find_by_job_id(key, item.job_id) if item.job_id else None
        source = item.thumbnail or item.asset
        if record is None or record.has_thumbnail or source is None or not source.asset_url:
            continue
        try:
            data, _ = provider.download(source.asset_url)
            small, _, _ = thumbnail(data)
        except (ProviderError, BadImage):
            continue
        store.update_job(record.id, thumbnail=small)
        fetched += 1
    return fetched


def _sync(conn: Connection) -> None:
    if not conn.can_sync:
        state.notify(
            "Sync is only for the account's owner (a token you typed) or a team history.", "error"
        )
        return
    store, provider, key = connection.store(), conn.provider, conn.account_key
    email = conn.email if conn.needs_email else None

    def work(progress: Progress) -> Outcome:
        message = sync_from_account(store, provider, key, email, progress)
        return ("error" if message.startswith("Sync stopped") else "success", message)

    state.begin_callback_wait()
    start_task(conn, "sync", "Reading your account's images", work)


# ---------------------------------------------------------------- export and import


def _import(conn: Connection) -> None:
    upload = st.session_state.get("history_import_file")
    if upload is None:
        return
    try:
        result = connection.store().import_json(
            conn.account_key, upload.getvalue().decode(), IMPORT_RULES
        )
    except UnicodeDecodeError:
        state.notify("That file could not be imported: it is not a text file.", "error")
    except NotAnExport as exc:  # its message is one of the app's own sentences
        state.notify(f"That file could not be imported. {exc}", "error")
    except Exception:  # the database said no: a sentence on the page, the details in the log
        log.exception("history import failed")
        state.notify("That file could not be imported: the history could not be saved.", "error")
    else:
        reset_table()
        nothing_usable = result.skipped and not (result.imported or result.already)
        state.notify(import_summary(result), "error" if nothing_usable else "success")


def import_summary(result: ImportResult) -> str:
    """E.g. "Imported 3 new jobs; skipped 2 that could not be read. 1 was already in your
    history." """
    noun = "job" if result.imported == 1 else "jobs"
    text = f"Imported {result.imported:,} new {noun}"
    if result.skipped:
        text += f"; skipped {result.skipped:,} that could not be read"
    text += "."
    if result.already:
        verb = "was" if result.already == 1 else "were"
        text += f" {result.already:,} {verb} already in your history."
    return text


def _export_buttons(conn: Connection, chosen: dict[str, Any], total: int) -> None:
    store = connection.store()
    active = {k: v for k, v in chosen.items() if v}
    scope = "all"
    if active:
        scope = st.radio(
            "Export",
            ["filtered", "all"],
            key="history_export_scope",
            horizontal=True,
            format_func={"filtered": f"Filtered view ({total:,})", "all": "Whole history"}.get,
        )
    wanted = active if scope == "filtered" else {}
    stem = f"kontextlab-history{'-filtered' if wanted else ''}-{date.today():%Y-%m-%d}"
    # Deferred: the file is built only when someone clicks.
    st.download_button(
        "Export CSV",
        lambda: store.export_csv(conn.account_key, **wanted),
        f"{stem}.csv",
        "text/csv",
        key="history_export_csv",
        icon=":material/table:",
        on_click="ignore",
    )
    st.download_button(
        "Export JSON",
        lambda: store.export_json(conn.account_key, **wanted),
        f"{stem}.json",
        "application/json",
        key="history_export_json",
        icon=":material/data_object:",
        on_click="ignore",
    )


def tools(conn: Connection, chosen: dict[str, Any], total: int, *, empty: bool = False) -> None:
    st.subheader("Keep and share", divider="gray")
    a, b, c = st.columns(3)
    if conn.can_sync:  # it pulls the whole account: only for its owner, or a team
        a.button(
            "Sync from account",
            key="history_sync",
            on_click=_sync,
            args=(conn,),
            icon=":material/cloud_sync:",
            help="Bring back images made elsewhere or lost with the server's disk",
        )
    if not empty:
        with b:
            _export_buttons(conn, chosen, total)
    c.file_uploader(
        "Import a JSON export",
        type=["json"],
        key="history_import_file",
        on_change=_import,
        args=(conn,),
        help="Jobs already in your history are skipped.",
    )


def empty_state(conn: Connection) -> None:
    st.info("Nothing here yet. Everything you create or edit is kept on this page.")
    st.page_link("pages/create.py", label="Create your first image", icon=":material/brush:")
    tools(conn, {}, 0, empty=True)
