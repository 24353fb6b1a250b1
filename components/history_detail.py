"""History's open job: its picture, what it was made with, and what can be done with it."""

from __future__ import annotations

from html import escape
from typing import Any

import streamlit as st

from components import (
    batch,
    card_tools,
    connection,
    history_tools,
    jobs_view,
    result_card,
    safe,
    state,
    stored,
)
from components.connection import Connection
from components.fmt import local_time, short
from components.history_table import reset_table
from kontextlab.history import JobRecord
from kontextlab.images import download_name
from kontextlab.links import browser_link, display_url
from kontextlab.untrusted import plain
from kontextlab.vocabulary import STOPPED_MESSAGE, JobState

# ---------------------------------------------------------------- detail


def opened(conn: Connection) -> JobRecord | None:
    rid = state.opened_job()
    record = connection.store().get(rid, conn.account_key) if rid else None
    if rid and record is None:
        state.open_job(None)
    return record


def _close() -> None:
    state.open_job(None)
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
        if record.status == JobState.UNKNOWN:
            result_card.unknown_panel(conn, record, f"history_{record.id}")
        elif record.status == JobState.STOPPED:
            st.warning(plain(record.message or STOPPED_MESSAGE), icon=":material/stop_circle:")
        elif message := result_card.card_message(record):
            (st.error if record.status == JobState.FAILED else st.caption)(plain(message))
        result_card.demo_webhook_note(conn, record)
        _actions(conn, record, image, picture)
    st.html(parameters_table(record, conn.visible_fields(stored.fields(record))))
    if record.batch_id:  # one of several pictures one click made
        st.button(
            "Show only its batch",
            key=f"history_batch_{record.id}",
            on_click=batch.filter_to_batch,
            args=(record.batch_id,),
            icon=":material/filter_list:",
            help="The pictures the same click made, with the next seeds",
        )
    if state.developer_options():  # the wire names are for developers only
        with st.expander("Exact request (JSON)"):
            st.caption(f"POST {display_url(conn.base_url)}/{stored.endpoint(record)}")
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
    elif record.status not in (JobState.FAILED, JobState.UNKNOWN, JobState.STOPPED):
        st.info("No picture was kept for this job.")


# Field name → its label in the details (a provider's own `FieldSpec.short` comes first); a
# field of neither is not shown.
PARAMETERS = {
    "prompt": "Prompt",
    "model": "Model",
    "aspect_ratio": "Aspect ratio",
    "style": "Style",
    "shot_type": "Shot type",
    "shot_angle": "Shot angle",
    "reference_asset_id": "Reference",
    "reference_strength": "Reference strength",
    "job_id": "Upscaled job",
    "location": "Location",
    "weather": "Weather",
    "lighting": "Lighting",
    "poll_for_result": "Wait",
    "max_jobs": "Max parallel jobs",
    "reply_url": "Webhook URL",
    "reply_ref": "Webhook reference",
    "webhook_url": "Webhook URL",
    "output_format": "File format",
    "prompt_upsampling": "Prompt upsampling",
    "safety": "Safety tolerance",
    "email": "Account email",
}


def _labelled(record: JobRecord, fields: dict[str, Any]) -> list[tuple[str, Any]]:
    """The request's fields with their labels: the known ones in their usual order, then any
    other one its provider gives a label."""
    caps = stored.capabilities_of(record)
    names = [*PARAMETERS, *(n for n in fields if n not in PARAMETERS)]
    labels = {n: caps.spec(n).short or PARAMETERS.get(n) for n in names}
    return [(label, fields[n]) for n, label in labels.items() if label and n in fields]


def parameter_rows(
    record: JobRecord, fields: dict[str, Any] | None = None
) -> list[tuple[str, Any]]:
    """What the details table shows: the request's `fields` (by default all the stored
    request's), then the row's own columns."""
    fields = stored.fields(record) if fields is None else fields
    rows = _labelled(record, fields)
    if "prompt" not in fields and record.prompt:
        rows.insert(0, ("Prompt", record.prompt))
    caps = stored.capabilities_of(record)
    made_with: list[tuple[str, Any]] = [("Service", caps.label)]
    if "model" not in fields and record.model:
        made_with.append(("Model", record.model))
    made_with.append(("Cost", _cost_text(record)))
    rows[1:1] = made_with
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


def _cost_text(record: JobRecord) -> str | None:
    """What the job cost: the service's own figure, else its published price (for a job
    that made a picture), in credits and dollars where known."""
    caps = stored.capabilities_of(record)
    if record.cost is not None:
        return connection.credits_text(record.cost, caps.dollars_per_credit)
    price = caps.cost(record.model)
    if price is None or record.status != JobState.COMPLETED or record.kind == "upload":
        return None
    return f"about {connection.credits_text(price, caps.dollars_per_credit)} (list price)"


def _link_text(record: JobRecord) -> str:
    if record.link_lost:
        return "expired, and the server no longer has this job"
    return result_card.link_status(record)


def parameters_table(record: JobRecord, fields: dict[str, Any] | None = None) -> str:
    """An HTML table whose long values (job ids, URLs) wrap instead of widening a phone page."""
    cell = "padding:4px 8px;border-bottom:1px solid #e6e3f0;vertical-align:top"
    rows = "".join(
        f'<tr><th style="{cell};text-align:left;white-space:nowrap">{escape(str(k))}</th>'
        f'<td style="{cell};overflow-wrap:anywhere">{escape(str(v))}</td></tr>'
        for k, v in parameter_rows(record, fields)
    )
    return f'<table style="width:100%;border-collapse:collapse;font-size:0.9rem">{rows}</table>'


# ---------------------------------------------------------------- actions


def _rerun(conn: Connection, record: JobRecord) -> None:
    _started(jobs_view.rerun(conn, record), "Re-run")


def _upscale(conn: Connection, record: JobRecord) -> None:
    _started(card_tools.upscale(conn, record), "Upscale")


def _started(row_id: str | None, what: str) -> None:
    if row_id:
        state.open_job(row_id)
        reset_table()
        state.notify(f"{what} started. It is at the top of the table and opens here when done.")


def _refresh(conn: Connection, record: JobRecord) -> None:
    history_tools.refresh_one(conn, record)


def _delete(conn: Connection, record: JobRecord) -> None:
    connection.store().delete(record.id, conn.account_key)
    state.open_job(None)
    reset_table()
    state.notify(f"Deleted “{plain(short(record.prompt)) or record.kind}”.", "success")


def _download(record: JobRecord, image: bytes | None, picture: bytes | None) -> None:
    key = f"history_{record.id}"
    if image and record.mime_type:
        name = download_name(record.prompt, record.mime_type, record.seed)
        st.download_button(
            "Download",
            lambda: card_tools.picture_file(record, image),  # with its settings written in
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
            lambda: card_tools.picture_file(record, picture),
            name,
            "image/jpeg",
            key=f"{key}_dl",
            width="stretch",
            on_click="ignore",
        )


def _actions(conn: Connection, record: JobRecord, image: bytes | None, pic: bytes | None) -> None:
    key = f"history_{record.id}"
    done = record.status == JobState.COMPLETED
    # A job whose answer was lost is resent only through its confirmation ("Send again…").
    can_send = (
        record.kind != "upload" and bool(record.request) and record.status != JobState.UNKNOWN
    )
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
        disabled=not card_tools.can_upscale(conn, record),
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
    if done and record.kind != "upload":
        with st.container(horizontal=True):  # their labels are too long for half a column
            card_tools.copy_settings(record)
            card_tools.link_box(record)
