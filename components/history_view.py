"""The History page's pieces: find, table, a job's detail, link refresh, sync, export, import."""

from __future__ import annotations

import base64
import dataclasses
import logging
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from html import escape
from typing import Any

import pandas as pd
import streamlit as st

from components import connection, jobs_view, safe
from components.connection import Connection
from components.fmt import humanize_delta, local_time, local_tz, short
from kontextlab import api
from kontextlab import payloads as p
from kontextlab.history import KINDS, STATUSES, ImportResult, JobRecord, NotAnExport
from kontextlab.images import BadImage, download_name, thumbnail
from kontextlab.import_rules import IMPORT_RULES
from kontextlab.jobs import UNKNOWN
from kontextlab.links import browser_link, display_url
from kontextlab.untrusted import plain

log = logging.getLogger(__name__)

PAGE_SIZE = 50
REFRESH_WITHIN = timedelta(minutes=15)
REFRESH_LIMIT = 5  # link refreshes per page open, so opening History stays quick
REFRESH_BUDGET_S = 4.0
REFRESH_EVERY = timedelta(minutes=5)
SYNC_PAGE_LIMIT = 50
SYNC_MAX_PAGES = 40
SYNC_THUMBNAILS = 60  # thumbnail downloads per sync
TICK_SECONDS = 2.0
ROW_HEIGHT = 56
VISIBLE_ROWS = 10
NO_STYLE = "none"
ORDERS = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "prompt": "Prompt A–Z",
    "status": "Status",
    "expires": "Link expires soonest",
}
ENDPOINTS = {kind: cls.endpoint for kind, cls in p.REQUEST_TYPES.items()}
ENDPOINTS["upload"] = "assets/?type=reference-image"
OPEN = "history_open"
NOTICE = "history_notice"


# ---------------------------------------------------------------- notices


def notify(text: str, kind: str = "info") -> None:
    """Keep a sentence for the next run (callbacks run before the page draws)."""
    st.session_state[NOTICE] = (kind, text)


def show_notice() -> None:
    kind, text = st.session_state.pop(NOTICE, (None, None))
    if text:
        {"info": st.info, "success": st.success, "error": st.error}[kind](text)


# ---------------------------------------------------------------- time and labels


def expires_label(expires: Any, lost: bool, now: datetime) -> str:
    if expires is None or pd.isna(expires):
        return "—"
    left = (expires - now).total_seconds()
    if lost:
        return "expired, cannot renew" if left <= 0 else "gone from server"
    return "expired" if left <= 0 else f"in {humanize_delta(left)}"


# ---------------------------------------------------------------- find


def filters() -> tuple[dict[str, Any], str]:
    """Search, filters and sort order; returns (store filters, order)."""
    search = st.text_input("Search prompts", key="history_search", placeholder="e.g. sunset fox")
    a, b, c, d, e = st.columns([2, 2, 2, 3, 2])
    kinds = a.multiselect("Kind", KINDS, key="history_kinds", placeholder="All kinds")
    statuses = b.multiselect("Status", STATUSES, key="history_statuses", placeholder="Any status")
    styles = c.multiselect(
        "Style",
        [NO_STYLE, *p.STYLES],
        key="history_styles",
        placeholder="Any style",
        format_func=lambda s: s.replace("_", " "),
    )
    dates = d.date_input(
        "Created between",
        value=(),  # type: ignore[arg-type]  # () is a range with no dates yet; stubs want 1 or 2
        key="history_dates",
        format="YYYY-MM-DD",
    )
    # Every option is a key of ORDERS, which holds its label.
    order = e.selectbox("Sort", list(ORDERS), key="history_order", format_func=ORDERS.__getitem__)
    since, until = date_bounds(dates)
    chosen = {
        "search": search.strip() or None,
        "kinds": kinds or None,
        "statuses": statuses or None,
        "styles": styles or None,
        "since": since,
        "until": until,
    }
    return chosen, order or "newest"


def date_bounds(dates: Any) -> tuple[datetime | None, datetime | None]:
    """Whole days in the viewer's time zone; the end day is included."""
    picked = [d for d in (dates if isinstance(dates, tuple | list) else [dates]) if d]
    if not picked:
        return None, None
    tz = local_tz()
    start: date = picked[0]
    since = datetime.combine(start, time.min, tzinfo=tz).astimezone(UTC)
    if len(picked) < 2:
        return since, None
    end: date = picked[1] + timedelta(days=1)
    return since, datetime.combine(end, time.min, tzinfo=tz).astimezone(UTC)


def pager(total: int, view: tuple[Any, ...]) -> int:
    """The page picker; returns the offset. A new search or filter starts at page 1."""
    key = "history_page"
    pages = max(1, -(-total // PAGE_SIZE))
    if st.session_state.get("_history_view") != view:
        st.session_state["_history_view"] = view
        st.session_state[key] = 1
    if st.session_state.get(key, 1) > pages:
        st.session_state[key] = 1
    if pages == 1:
        return 0
    left, _ = st.columns([1, 3])
    page = left.number_input(f"Page (of {pages:,})", 1, pages, key=key, step=1)
    return (int(page) - 1) * PAGE_SIZE


def counts(shown: int, offset: int, total: int, everything: int) -> None:
    if total == 0:
        st.info("No job matches this search. Clear a filter to see more.")
        return
    first, last = offset + 1, offset + shown
    if total == everything:
        st.caption(f"Showing {first:,}–{last:,} of {total:,} jobs.")
    else:
        st.caption(
            f"Showing {first:,}–{last:,} of {total:,} matching jobs ({everything:,} in all)."
        )


# ---------------------------------------------------------------- table


def _thumb_uris(conn: Connection, ids: list[str]) -> dict[str, str]:
    thumbs = connection.store().thumbnails(conn.account_key, ids)
    return {i: "data:image/jpeg;base64," + base64.b64encode(b).decode() for i, b in thumbs.items()}


def display_frame(conn: Connection, frame: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """The store's frame shaped for people: thumbnail, local times, 'expires in', live links."""
    uris = _thumb_uris(conn, frame["id"].tolist())
    lost = frame["link_lost"]
    expires = frame["url_expires_at"]
    urls = frame["asset_url"]
    valid = expires.notna() & (expires > now) & ~lost & urls.notna()
    return pd.DataFrame(
        {
            "picture": frame["id"].map(uris),
            "prompt": frame["prompt"],
            "kind": frame["kind"],
            "style": frame["style"].fillna(NO_STYLE).str.replace("_", " "),
            "aspect ratio": _aspect_ratios(frame),
            "seed": frame["seed"],
            "status": frame["status"],
            "created": frame["created_at"].dt.tz_convert(local_tz()),
            "expires": [expires_label(e, x, now) for e, x in zip(expires, lost, strict=True)],
            "link": [browser_link(u) if ok else None for u, ok in zip(urls, valid, strict=True)],
            "duration": frame["duration_s"].round(1),
        }
    )


def _aspect_ratios(frame: pd.DataFrame) -> pd.Series:
    # A request without aspectRatio got the API's default.
    generated = frame["kind"].isin(["create", "edit"])
    return frame["aspect_ratio"].where(
        ~generated, frame["aspect_ratio"].fillna(p.DEFAULT_ASPECT_RATIO)
    )


COLUMNS = {
    "picture": st.column_config.ImageColumn("Picture", width="small"),
    "prompt": st.column_config.TextColumn("Prompt", width="medium"),
    "kind": st.column_config.TextColumn("Kind"),
    "style": st.column_config.TextColumn("Style"),
    "status": st.column_config.TextColumn("Status"),
    "aspect ratio": st.column_config.TextColumn("Aspect ratio"),
    "seed": st.column_config.NumberColumn("Seed", format="%d"),
    "created": st.column_config.DatetimeColumn("Created", format="D MMM YYYY, HH:mm"),
    "expires": st.column_config.TextColumn("Link expires"),
    "link": st.column_config.LinkColumn("Link", display_text="open"),
    "duration": st.column_config.NumberColumn("Duration", format="%.1f s"),
}


def table_key() -> str:
    # A new key gives a new, unselected table (a selection cannot be cleared by code).
    return f"history_table_{st.session_state.get('_history_table_gen', 0)}"


def reset_table() -> None:
    st.session_state["_history_table_gen"] = st.session_state.get("_history_table_gen", 0) + 1


def _follow_selection(key: str) -> None:
    """Open the job of a newly selected row, mapping the row to the ids shown when it was
    clicked (a job finishing meanwhile can shift the rows)."""
    state = st.session_state.get(key) or {}
    rows = list((state.get("selection") or {}).get("rows") or [])
    last_key, last_rows = st.session_state.get("_history_selection", (None, []))
    st.session_state["_history_selection"] = (key, rows)
    if key != last_key or rows == last_rows:
        return
    shown = st.session_state.get("_history_ids", [])
    st.session_state[OPEN] = shown[rows[0]] if rows and rows[0] < len(shown) else None


def table(conn: Connection, frame: pd.DataFrame) -> None:
    key = table_key()
    _follow_selection(key)
    st.session_state["_history_ids"] = frame["id"].tolist()
    st.dataframe(
        display_frame(conn, frame, datetime.now(UTC)),
        column_config=COLUMNS,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=key,
        row_height=ROW_HEIGHT,
        placeholder="",
        height=min(len(frame), VISIBLE_ROWS) * ROW_HEIGHT + 40,
    )
    if not st.session_state.get(OPEN):
        st.caption("Select a row to open the job.")


def watch_running(conn: Connection) -> None:
    """Rerun the page when a job this process follows lands (the table shows its status)."""
    if not connection.runner().running_count():
        return
    store = connection.store()
    start = store.count(conn.account_key, statuses=["queued", "active"])

    @st.fragment(run_every=TICK_SECONDS)
    def tick() -> None:
        now = store.count(conn.account_key, statuses=["queued", "active"])
        if now != start:
            st.rerun()
        st.caption(f"{now:,} jobs still running; the table updates when they finish.")

    tick()


# ---------------------------------------------------------------- detail


def opened(conn: Connection) -> JobRecord | None:
    rid = st.session_state.get(OPEN)
    record = connection.store().get(rid, conn.account_key) if rid else None
    if rid and record is None:
        st.session_state[OPEN] = None
    return record


def _close() -> None:
    st.session_state[OPEN] = None
    reset_table()


def detail(conn: Connection, record: JobRecord) -> None:
    store = connection.store()
    head, close = st.columns([5, 1], vertical_alignment="bottom")
    head.subheader(f"{record.kind.capitalize()} · {record.status}", divider="gray")
    close.button("Close", key="history_close", on_click=_close, icon=":material/close:")
    left, right = st.columns([3, 2], gap="large")
    image = store.image(record.id, conn.account_key)
    picture = image
    if not (image and safe.can_show(image)):  # the thumbnail, when the image cannot be shown
        picture = safe.first_showable(store.thumbnail(record.id, conn.account_key), image)
    with left:
        _picture(record, picture)
    with right:
        if record.status == UNKNOWN:
            jobs_view.unknown_panel(conn, record, f"history_{record.id}")
        elif message := jobs_view.card_message(record):
            (st.error if record.status == "failed" else st.caption)(plain(message))
        jobs_view.demo_webhook_note(conn, record)
        _actions(conn, record, image, picture)
    st.html(parameters_table(dataclasses.replace(record, request=conn.visible(record.request))))
    with st.expander("Exact request (JSON)"):
        st.caption(f"POST {display_url(conn.base_url)}/{ENDPOINTS.get(record.kind, '')}")
        st.json(conn.visible(record.request))


def _picture(record: JobRecord, picture: bytes | None) -> None:
    if picture:
        drawn = safe.picture(picture, caption=record.prompt, width="stretch")
        if drawn and not record.link_valid():
            st.caption("The link has expired; this is the copy the app kept.")
    elif record.link_valid() and (url := browser_link(record.asset_url)):
        safe.web_picture(url, caption=record.prompt, width="stretch")
    elif record.is_active:
        st.info(f"Still generating… {record.progress or 0:.0f}%")
    elif record.status not in ("failed", UNKNOWN):
        st.info("No picture was kept for this job.")


PARAMETERS = {
    "prompt": "Prompt",
    "model": "Model",
    "aspectRatio": "Aspect ratio",
    "style": "Style",
    "shotType": "Shot type",
    "shotAngle": "Shot angle",
    "referenceAssetId": "Reference",
    "reference_strength": "Reference strength",
    "jobId": "Upscaled job",
    "location": "Location",
    "weather": "Weather",
    "lighting": "Lighting",
    "pollForResult": "Wait (pollForResult)",
    "maxJobs": "maxJobs",
    "replyUrl": "replyUrl",
    "replyRef": "replyRef",
    "email": "Account email",
}


def parameter_rows(record: JobRecord) -> list[tuple[str, Any]]:
    req = record.request
    rows: list[tuple[str, Any]] = [(label, req[k]) for k, label in PARAMETERS.items() if k in req]
    if "prompt" not in req and record.prompt:
        rows.insert(0, ("Prompt", record.prompt))
    size = f"{record.width} × {record.height}" if record.width and record.height else None
    rows += [
        ("Seed", record.seed),
        ("Job id", record.job_id),
        ("Generation id", record.generation_id),
        ("File id", record.file_id),
        ("Size", size),
        ("Type", record.mime_type),
        ("Created", local_time(record.created_at)),
        ("Finished", local_time(record.completed_at) if record.completed_at else None),
        ("Duration", f"{record.duration:.1f} s" if record.duration is not None else None),
        ("Link", _link_text(record)),
        ("Origin", {"remote": "synced from the account", "import": "imported"}.get(record.origin)),
    ]
    return [(k, v) for k, v in rows if v is not None and v != ""]


def _link_text(record: JobRecord) -> str:
    if record.link_lost:
        return "expired, and the server no longer has this job"
    return jobs_view.link_status(record)


def parameters_table(record: JobRecord) -> str:
    """An HTML table whose long values (job ids, URLs) wrap instead of widening a phone page."""
    cell = "padding:4px 8px;border-bottom:1px solid #e6e3f0;vertical-align:top"
    rows = "".join(
        f'<tr><th style="{cell};text-align:left;white-space:nowrap">{escape(str(k))}</th>'
        f'<td style="{cell};overflow-wrap:anywhere">{escape(str(v))}</td></tr>'
        for k, v in parameter_rows(record)
    )
    return f'<table style="width:100%;border-collapse:collapse;font-size:0.9rem">{rows}</table>'


# ---------------------------------------------------------------- actions


def _rerun(conn: Connection, record: JobRecord) -> None:
    _started(jobs_view.rerun(conn, record), "Re-run")


def _upscale(conn: Connection, record: JobRecord) -> None:
    email = conn.email if conn.needs_email else record.request.get("email")
    request = p.UpscaleRequest(job_id=record.job_id or "", poll_for_result=1, email=email)
    _started(jobs_view.submit(conn, request, parent_id=record.id), "Upscale")


def _started(row_id: str | None, what: str) -> None:
    if row_id:
        st.session_state[OPEN] = row_id
        reset_table()
        notify(f"{what} started. It is at the top of the table and opens here when done.")


def _refresh(conn: Connection, record: JobRecord) -> None:
    notify(refresh_link(conn, record))


def _delete(conn: Connection, record: JobRecord) -> None:
    connection.store().delete(record.id, conn.account_key)
    st.session_state[OPEN] = None
    reset_table()
    notify(f"Deleted “{plain(short(record.prompt)) or record.kind}”.", "success")


def _download(record: JobRecord, image: bytes | None, picture: bytes | None) -> None:
    key = f"history_{record.id}"
    if image and record.mime_type:
        name = download_name(record.prompt, record.mime_type, record.seed)
        st.download_button(
            "Download",
            image,
            name,
            record.mime_type,
            key=f"{key}_dl",
            width="stretch",
            icon=":material/download:",
            on_click="ignore",
        )
    elif record.link_valid() and (url := browser_link(record.asset_url)):
        st.link_button("Open full image", url, width="stretch")
    elif picture:
        name = download_name(record.prompt, "image/jpeg", record.seed)
        st.download_button(
            "Download thumbnail",
            picture,
            name,
            "image/jpeg",
            key=f"{key}_dl",
            width="stretch",
            on_click="ignore",
        )


def _actions(conn: Connection, record: JobRecord, image: bytes | None, pic: bytes | None) -> None:
    key = f"history_{record.id}"
    done = record.status == "completed"
    # A job whose answer was lost is resent only through its confirmation ("Send again…").
    can_send = record.kind != "upload" and bool(record.request) and record.status != UNKNOWN
    _download(record, image, pic)
    a, b = st.columns(2)
    a.button(
        "Re-run",
        key=f"{key}_rerun",
        on_click=_rerun,
        args=(conn, record),
        disabled=not can_send,
        width="stretch",
        icon=":material/replay:",
        help="The same settings and the same seed",
    )
    b.button(
        "Edit this",
        key=f"{key}_edit",
        on_click=jobs_view.go_edit,
        args=(record,),
        disabled=not (done and record.file_id),
        width="stretch",
        icon=":material/auto_fix_high:",
    )
    a.button(
        "Upscale",
        key=f"{key}_up",
        on_click=_upscale,
        args=(conn, record),
        disabled=not (done and record.job_id and record.kind in ("create", "edit")),
        width="stretch",
        icon=":material/open_in_full:",
        help="An upscale cannot be upscaled again" if record.kind == "upscale" else None,
    )
    b.button(
        "Refresh link",
        key=f"{key}_link",
        on_click=_refresh,
        args=(conn, record),
        disabled=not (done and record.job_id),
        width="stretch",
        icon=":material/link:",
        help="Ask the server for a freshly signed link",
    )
    a.button(
        "Send to Create",
        key=f"{key}_tocreate",
        on_click=jobs_view.send_settings,
        args=("create", record),
        kwargs={"go": True},
        disabled=not (can_send and record.kind in ("create", "edit")),
        width="stretch",
        icon=":material/brush:",
    )
    with b.popover("Delete", icon=":material/delete:", width="stretch"):
        st.write("Delete this job from your history? The picture kept here goes too.")
        st.button(
            "Yes, delete it",
            key=f"{key}_del",
            type="primary",
            on_click=_delete,
            args=(conn, record),
        )


# ---------------------------------------------------------------- links


def refresh_link(conn: Connection, record: JobRecord) -> str:
    """Ask the server for a freshly signed URL. Returns a sentence for the page."""
    store = connection.store()
    try:
        job = conn.client.job(record.job_id or "")
    except api.NotFound:
        store.update_job(record.id, link_lost=True)
        return (
            "The server no longer has this job, so its link cannot be renewed. "
            "The copy kept here still shows."
        )
    except api.ApiError as exc:
        return f"The link could not be refreshed. {plain(exc.user_message)}"
    if not job.is_done or job.artifact is None:
        return "The server has no image for this job yet."
    store.update_job(
        record.id,
        asset_url=job.artifact.asset_url,
        link_lost=False,
        url_expires_at=job.artifact.expires_at,
    )
    left = (job.artifact.expires_at or datetime.now(UTC)) - datetime.now(UTC)
    return f"The link was refreshed; it is valid for {humanize_delta(left.total_seconds())}."


def refresh_expiring(conn: Connection) -> None:
    """Renew links that expire soon when the page opens: a few requests, a few seconds."""
    marker = f"_history_refreshed_{conn.account_key}"
    last = st.session_state.get(marker)
    if last and datetime.now(UTC) - last < REFRESH_EVERY:
        return
    st.session_state[marker] = datetime.now(UTC)
    deadline = clock.monotonic() + REFRESH_BUDGET_S
    for record in connection.store().expiring(conn.account_key, REFRESH_WITHIN, REFRESH_LIMIT):
        if clock.monotonic() > deadline:
            break
        refresh_link(conn, record)


# ---------------------------------------------------------------- sync


def sync_from_account(conn: Connection) -> str:
    if not conn.can_sync:
        return "Sync is only for the account's owner (a token you typed) or a team history."
    """Merge every page of the account's images by jobId; fetch a few thumbnails."""
    store = connection.store()
    added, budget = 0, SYNC_THUMBNAILS
    email = conn.email if conn.needs_email else None
    try:
        for page in range(1, SYNC_MAX_PAGES + 1):
            result = conn.client.list_assets(email=email, page=page, limit=SYNC_PAGE_LIMIT)
            added += store.merge_remote(conn.account_key, result.items)
            budget -= _fetch_thumbnails(conn, result.items, budget)
            if page >= result.total_pages or not result.items:
                break
    except api.ApiError as exc:
        return f"Sync stopped: {plain(exc.user_message)} ({added} new jobs were added before that.)"
    if not added:
        return "Sync finished: nothing new."
    return f"Sync finished: {added} new {'job' if added == 1 else 'jobs'} added."


def _fetch_thumbnails(conn: Connection, items: list[api.AssetItem], budget: int) -> int:
    """Thumbnails for synced rows that have none (merge_remote stores links only)."""
    store = connection.store()
    fetched = 0
    for item in items:
        if fetched >= budget:
            break
        record = store.find_by_job_id(conn.account_key, item.job_id) if item.job_id else None
        source = item.thumbnail or item.asset
        if record is None or record.has_thumbnail or source is None or not source.asset_url:
            continue
        try:
            data, _ = conn.client.download(source.asset_url)
            small, _, _ = thumbnail(data)
        except (api.ApiError, BadImage):
            continue
        store.update_job(record.id, thumbnail=small)
        fetched += 1
    return fetched


def _sync(conn: Connection) -> None:
    with st.spinner("Reading your account's images…"):
        message = sync_from_account(conn)
    notify(message, "error" if message.startswith("Sync stopped") else "success")


# ---------------------------------------------------------------- export and import


def _import(conn: Connection) -> None:
    upload = st.session_state.get("history_import_file")
    if upload is None:
        return
    try:
        text = upload.getvalue().decode()
        result = connection.store().import_json(conn.account_key, text, IMPORT_RULES)
    except UnicodeDecodeError:
        notify("That file could not be imported: it is not a text file.", "error")
    except NotAnExport as exc:  # its message is one of the app's own sentences
        notify(f"That file could not be imported. {exc}", "error")
    except Exception:  # the database said no: a sentence on the page, the details in the log
        log.exception("history import failed")
        notify("That file could not be imported: the history could not be saved.", "error")
    else:
        reset_table()
        nothing_usable = result.skipped and not (result.imported or result.already)
        notify(import_summary(result), "error" if nothing_usable else "success")


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
