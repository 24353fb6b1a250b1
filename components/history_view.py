"""The History page's pieces: the table, a job's detail, link refresh, sync, export, import."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import streamlit as st

from components import connection, form, jobs_view
from components.connection import Connection
from components.reference import choose_result
from kontextlab import api
from kontextlab import payloads as p
from kontextlab.history import JobRecord
from kontextlab.images import download_name

REFRESH_WITHIN = timedelta(minutes=15)
REFRESH_LIMIT = 5  # link refreshes per page open, so opening History stays quick
SYNC_PAGE_LIMIT = 50
SYNC_MAX_PAGES = 40


def expires_label(expires: Any, now: datetime) -> str:
    if expires is None or pd.isna(expires):
        return "—"
    left = (expires - now).total_seconds()
    return "expired" if left <= 0 else f"in {jobs_view.humanize_delta(left)}"


def _thumb_uris(conn: Connection, ids: list[str]) -> dict[str, str]:
    thumbs = connection.store().thumbnails(conn.account_key, ids)
    return {i: "data:image/jpeg;base64," + base64.b64encode(b).decode() for i, b in thumbs.items()}


def display_frame(conn: Connection, frame: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """The store's frame shaped for people: thumbnail, local times, 'expires in', live links."""
    uris = _thumb_uris(conn, frame["id"].tolist())
    valid = frame["url_expires_at"].notna() & (frame["url_expires_at"] > now) & ~frame["link_lost"]
    return pd.DataFrame(
        {
            "picture": frame["id"].map(uris),
            "prompt": frame["prompt"],
            "kind": frame["kind"],
            "style": frame["style"].fillna("none"),
            "shape": frame["aspect_ratio"],
            "seed": frame["seed"],
            "status": frame["status"],
            "created": frame["created_at"].dt.tz_convert(_local_tz()),
            "expires": [expires_label(e, now) for e in frame["url_expires_at"]],
            "link": frame["asset_url"].where(valid, None),
            "duration (s)": frame["duration_s"].round(1),
        }
    )


def _local_tz() -> Any:
    # The viewer's time zone as the browser reports it (an IANA name, e.g. "Europe/Paris");
    # the server's zone when unknown.
    try:
        return ZoneInfo(st.context.timezone or "")
    except (ValueError, ZoneInfoNotFoundError):
        return datetime.now().astimezone().tzinfo


COLUMNS = {
    "picture": st.column_config.ImageColumn("Picture", width="small"),
    "prompt": st.column_config.TextColumn("Prompt", width="large"),
    "created": st.column_config.DatetimeColumn("Created", format="D MMM YYYY, HH:mm"),
    "link": st.column_config.LinkColumn("Link", display_text="open"),
    "seed": st.column_config.NumberColumn("Seed", format="%d"),
}


def table(conn: Connection, frame: pd.DataFrame) -> str | None:
    """Draw the table; return the id of the selected job, if any."""
    now = datetime.now(UTC)
    shown = display_frame(conn, frame, now)
    event = st.dataframe(
        shown,
        column_config=COLUMNS,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="history_table",
        row_height=56,
    )
    rows = event.selection.rows if event and event.selection else []
    if not rows:
        st.caption("Select a row to open the job.")
        return None
    return str(frame.iloc[rows[0]]["id"])


# ---------------------------------------------------------------- detail


def detail(conn: Connection, row_id: str) -> None:
    store = connection.store()
    record = store.get(row_id, conn.account_key)
    if record is None:
        return
    st.subheader("Job", divider="gray")
    left, right = st.columns([3, 2], gap="large")
    with left:
        data = store.image(record.id, conn.account_key) or store.thumbnail(
            record.id, conn.account_key
        )
        if data:
            st.image(data, caption=record.prompt or None, width="stretch")
        elif record.status == "failed":
            st.error(record.message or "The job failed.")
        else:
            st.info("No picture stored for this job.")
    with right:
        _facts(record)
        _actions(conn, record, data)
    with st.expander("Exact request (JSON)"):
        st.json(record.request)


def _facts(record: JobRecord) -> None:
    now = datetime.now(UTC)
    st.markdown(f"**{record.kind.capitalize()}** · {record.status}")
    if record.message:
        st.caption(record.message)
    st.caption(jobs_view.settings_line(record))
    created = record.created_at.astimezone(_local_tz()).strftime("%d %b %Y, %H:%M")
    st.caption(f"Created {created} · {jobs_view.link_status(record, now)}")
    if record.job_id:
        st.caption(f"Job id: `{record.job_id}`")


def _send_to(prefix: str, record: JobRecord) -> None:
    form.restore_later(prefix, record.request, record.seed)
    if record.parent_id and prefix == "edit":
        choose_result(prefix, record.parent_id)
    st.session_state["_goto"] = prefix


def _edit(record: JobRecord) -> None:
    choose_result("edit", record.id)
    st.session_state["_goto"] = "edit"


def _upscale(conn: Connection, record: JobRecord) -> None:
    request = p.UpscaleRequest(
        job_id=record.job_id or "",
        poll_for_result=1,
        email=conn.email if conn.needs_email else None,
    )
    row_id = jobs_view.submit(conn, request, parent_id=record.id)
    if row_id:
        st.toast("Upscale started. It appears in the table when it is done.")


def _refresh(conn: Connection, record: JobRecord) -> None:
    message = refresh_link(conn, record)
    st.toast(message)


def refresh_link(conn: Connection, record: JobRecord) -> str:
    """Ask the server for a freshly signed URL. Returns a sentence for the page."""
    store = connection.store()
    try:
        job = conn.client.job(record.job_id or "")
    except api.NotFound:
        store.update_job(record.id, link_lost=True)
        return "The server no longer has this job, so its link cannot be renewed."
    except api.ApiError as exc:
        return f"The link could not be refreshed. {exc.user_message}"
    if not job.is_done or job.artifact is None:
        return "The server has no image for this job yet."
    store.update_job(
        record.id,
        asset_url=job.artifact.asset_url,
        link_lost=False,
        url_expires_at=job.artifact.expires_at,
    )
    return "The link was refreshed."


def _delete(conn: Connection, record: JobRecord) -> None:
    connection.store().delete(record.id, conn.account_key)
    st.session_state.pop("history_table", None)
    st.toast("Deleted.")


def _actions(conn: Connection, record: JobRecord, data: bytes | None) -> None:
    key = f"hist_{record.id}"
    done = record.status == "completed"
    if data and record.mime_type and record.has_image:
        st.download_button(
            "Download",
            data,
            key=f"{key}_dl",
            mime=record.mime_type,
            file_name=download_name(record.prompt, record.mime_type, record.seed),
            icon=":material/download:",
            width="stretch",
        )
    generation = record.kind in ("create", "edit")
    a, b = st.columns(2)
    a.button(
        "Re-run",
        key=f"{key}_rerun",
        on_click=jobs_view.rerun,
        args=(conn, record, False),
        disabled=not generation,
        width="stretch",
        icon=":material/replay:",
    )
    b.button(
        "Edit this",
        key=f"{key}_edit",
        on_click=_edit,
        args=(record,),
        width="stretch",
        disabled=not (done and record.file_id),
        icon=":material/auto_fix_high:",
    )
    a.button(
        "Upscale",
        key=f"{key}_up",
        on_click=_upscale,
        args=(conn, record),
        disabled=not (done and record.job_id and generation),
        width="stretch",
        icon=":material/open_in_full:",
    )
    b.button(
        "Refresh link",
        key=f"{key}_link",
        on_click=_refresh,
        args=(conn, record),
        disabled=not (done and record.job_id),
        width="stretch",
        icon=":material/link:",
    )
    a.button(
        "Send to Create",
        key=f"{key}_tocreate",
        on_click=_send_to,
        args=("create", record),
        disabled=not generation,
        width="stretch",
    )
    with b.popover("Delete", icon=":material/delete:", width="stretch"):
        st.write("Delete this job from your history? The picture stored here goes too.")
        st.button(
            "Yes, delete it",
            key=f"{key}_del",
            type="primary",
            on_click=_delete,
            args=(conn, record),
        )
    jobs_view.follow_goto()


# ---------------------------------------------------------------- page-wide tools


def refresh_expiring(conn: Connection) -> None:
    """Renew links that expire soon, once per page open, within a bounded number of requests."""
    marker = "_history_refreshed"
    last = st.session_state.get(marker)
    if last and datetime.now(UTC) - last < timedelta(minutes=5):
        return
    st.session_state[marker] = datetime.now(UTC)
    for record in connection.store().expiring(conn.account_key, REFRESH_WITHIN, REFRESH_LIMIT):
        refresh_link(conn, record)


def sync_from_account(conn: Connection) -> str:
    store = connection.store()
    added = 0
    email = conn.email if conn.needs_email else None
    try:
        for page in range(1, SYNC_MAX_PAGES + 1):
            result = conn.client.list_assets(email=email, page=page, limit=SYNC_PAGE_LIMIT)
            added += store.merge_remote(conn.account_key, result.items)
            if page >= result.total_pages or not result.items:
                break
    except api.ApiError as exc:
        return f"Sync stopped: {exc.user_message} ({added} new jobs were added before that.)"
    return f"Sync finished: {added} new jobs added." if added else "Sync finished: nothing new."


def _import(conn: Connection) -> None:
    upload = st.session_state.get("history_import_file")
    if upload is None:
        return
    try:
        count = connection.store().import_json(conn.account_key, upload.getvalue().decode())
    except (ValueError, UnicodeDecodeError) as exc:
        st.session_state["history_notice"] = f"That file could not be imported: {exc}"
        return
    st.session_state["history_notice"] = f"Imported {count} jobs."


def tools(conn: Connection, chosen: dict[str, Any]) -> None:
    store = connection.store()
    st.subheader("Keep and share", divider="gray")
    notice = st.session_state.pop("history_notice", None)
    if notice:
        st.info(notice)
    a, b, c = st.columns(3)
    with a:
        if st.button(
            "Sync from account",
            icon=":material/cloud_sync:",
            help="Bring back images made elsewhere or lost with the server's disk",
        ):
            with st.spinner("Reading your account's images…"):
                st.session_state["history_notice"] = sync_from_account(conn)
            st.rerun()
    with b:
        filters = {k: v for k, v in chosen.items() if v}
        label = "filtered view" if filters else "whole history"
        # Deferred: the export is built only when someone clicks.
        st.download_button(
            f"Export CSV ({label})",
            lambda: store.export_csv(conn.account_key, **filters),
            file_name="kontextlab-history.csv",
            mime="text/csv",
        )
        st.download_button(
            f"Export JSON ({label})",
            lambda: store.export_json(conn.account_key, **filters),
            file_name="kontextlab-history.json",
            mime="application/json",
        )
    with c:
        st.file_uploader(
            "Import JSON", type=["json"], key="history_import_file", on_change=_import, args=(conn,)
        )
