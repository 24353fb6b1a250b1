"""A finished (or failed, or lost) job as a card: a display-sized picture, its settings and
link, and what can be done next."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import streamlit as st

from components import card_tools, compare, connection, jobs_view, safe, stored
from components.connection import Connection
from components.fmt import humanize_delta, short
from components.reference import can_start_from
from kontextlab.history import FULL_IMAGE_DROPPED, HistoryStore, JobRecord
from kontextlab.images import download_name
from kontextlab.jobs import LOST_ANSWER_MESSAGE, NOT_FOUND_MESSAGE, UNKNOWN_HEADLINE
from kontextlab.limited_cache import LimitedCache
from kontextlab.links import browser_link
from kontextlab.untrusted import plain
from kontextlab.vocabulary import STOPPED_MESSAGE, JobState

# A demo (or private-network) link points at the server's own address: a visitor's browser
# cannot open it, so only the copy the app kept is shown.
NO_COPY = "The app kept no copy of this picture, and its link cannot be opened from here."


def link_status(record: JobRecord, now: datetime | None = None) -> str:
    if not record.url_expires_at:
        return "No link"
    if record.asset_url and not browser_link(record.asset_url):
        return "Shown from the app's own copy"  # e.g. the demo's link, on the server's address
    left = (record.url_expires_at - (now or datetime.now(UTC))).total_seconds()
    if left <= 0:
        return "Link expired (the stored copy is shown)"
    return f"Link valid for {humanize_delta(left)}"


# A finished job's card picture never changes: the results fragment ticks several times a
# second while another job runs, and reads each card's picture once, not on every tick.
SHOWN_PICTURES: LimitedCache[bytes] = LimitedCache(entries=48, max_bytes=48 * 1024 * 1024)


def display_copy(store: HistoryStore, record: JobRecord, large: bool) -> bytes | None:
    """The picture a card shows: the display-sized preview the runner kept for the big card
    (a row without one, e.g. synced or imported, shows its full image), its thumbnail for the
    others (the thumbnail too when neither can be shown). The full image is read only for
    download or zoom, or when there is no preview."""
    if record.status != JobState.COMPLETED:
        return _display_copy(store, record, large)
    key = (record.account_key, record.id, large, record.has_image, record.has_thumbnail)
    return SHOWN_PICTURES.get_or_make(key, lambda: _display_copy(store, record, large))


def _display_copy(store: HistoryStore, record: JobRecord, large: bool) -> bytes | None:
    if large:
        small = store.preview(record.id, record.account_key)
        if small and safe.can_show(small):
            return small
    full = store.image(record.id, record.account_key) if large else None
    if full and safe.can_show(full):
        return full
    return safe.first_showable(store.thumbnail(record.id, record.account_key), full)


def settings_line(record: JobRecord) -> str:
    fields = stored.fields(record)
    shape = fields.get("aspect_ratio", stored.capabilities_of(record).default_shape)
    parts = [record.kind.capitalize(), shape]
    for name in ("style", "shot_type", "shot_angle", "model"):
        if fields.get(name):
            parts.append(str(fields[name]).replace("_", " "))
    if record.seed is not None:
        parts.append(f"seed {record.seed}")
    return " · ".join(parts)


def demo_webhook_note(conn: Connection, record: JobRecord) -> None:
    """The demo sends no webhook: say where a real server would have sent it."""
    fields = stored.fields(record)
    url = fields.get("reply_url") or fields.get("webhook_url")
    if conn.demo and url:
        st.caption(f"Demo mode: the webhook would be sent to {plain(url)} (not sent).")


def result_card(
    conn: Connection,
    record: JobRecord,
    *,
    key: str,
    large: bool = True,
    image: bool = True,
    compact: bool = False,
) -> None:
    """A finished (or failed) job: picture, seed, settings, download and next steps (with
    `compact`, the everyday ones, and the rest under "More")."""
    if record.status == JobState.UNKNOWN:
        unknown_panel(conn, record, key)
        return
    if record.status == JobState.STOPPED:
        stopped_panel(conn, record, key)
        return
    if record.status == JobState.FAILED:
        message = plain(record.message or "The job failed.")
        st.error(f"{message}  \n“{plain(record.prompt)}”", icon=":material/error:")
        demo_webhook_note(conn, record)
        st.button(
            "Try again",
            key=f"{key}_retry",
            on_click=jobs_view.rerun_clicked,
            args=(conn, record, False),
        )
        return
    picture = display_copy(connection.store(), record, large) if image else None
    if picture:
        safe.picture(picture, caption=record.prompt, width="stretch" if large else 320)
    elif image and record.link_valid() and (url := browser_link(record.asset_url)):
        safe.web_picture(url, caption=record.prompt)
    elif image:
        st.info(NO_COPY)
    st.caption(f"{plain(settings_line(record))} · {link_status(record)}")
    if note := card_message(record):
        st.caption(plain(note))
    demo_webhook_note(conn, record)
    _card_actions(conn, record, key, zoom=bool(picture) and large, compact=compact)


def stopped_panel(conn: Connection, record: JobRecord, key: str) -> None:
    """A job the user stopped: the service may still make (and charge for) it, unseen here."""
    st.warning(
        f"{STOPPED_MESSAGE}  \n“{plain(short(record.prompt, 200))}”", icon=":material/stop_circle:"
    )
    st.button(
        "Send again",
        key=f"{key}_send_again",
        on_click=jobs_view.rerun_clicked,
        args=(conn, record, False),
        icon=":material/replay:",
        disabled=not record.request,
        help="The same settings and the same seed",
    )


def card_message(record: JobRecord) -> str | None:
    """The row's message as a card shows it: a dropped full-size copy points to the link."""
    if record.message != FULL_IMAGE_DROPPED:
        return record.message
    if record.link_valid() and browser_link(record.asset_url):
        return f"{FULL_IMAGE_DROPPED} “Open full image” shows it while the link is valid."
    if record.link_valid():  # a link a visitor's browser cannot open (the demo's own)
        return f"{FULL_IMAGE_DROPPED} Only the small preview is left here."
    return f"{FULL_IMAGE_DROPPED} Its link has expired, so only the small preview is left."


def _confirm_key(key: str) -> str:
    return f"{key}_confirm_resend"


def _ask_resend(key: str, ask: bool) -> None:
    st.session_state[_confirm_key(key)] = ask


def _resend(conn: Connection, record: JobRecord, key: str) -> None:
    _ask_resend(key, False)
    if jobs_view.rerun(conn, record):
        st.toast("Sent again with the same settings and seed.")


def unknown_panel(conn: Connection, record: JobRecord, key: str) -> None:
    """A job whose answer was lost: it may exist and may be paid for, so look before resending."""
    detail = plain(record.message or LOST_ANSWER_MESSAGE)
    if record.message == NOT_FOUND_MESSAGE and conn.can_sync:
        detail += " If it was, “Sync from account” on the History page brings it in."
    prompt = plain(short(record.prompt, 200))
    st.warning(f"{UNKNOWN_HEADLINE} {detail}  \n“{prompt}”", icon=":material/help:")
    searching = connection.runner().is_running(record.id)
    row = st.container(horizontal=True)
    if stored.capabilities_of(record).can_find_lost_jobs:  # else there is nowhere to look
        row.button(
            "Looking…" if searching else "Check my account",
            key=f"{key}_check",
            on_click=jobs_view.check_account,
            args=(conn, record),
            disabled=searching,
            icon=":material/search:",
            help="Look for this job among your account's running jobs and recent pictures",
        )
    if not st.session_state.get(_confirm_key(key)):
        row.button(
            "Send again…",
            key=f"{key}_resend",
            on_click=_ask_resend,
            args=(key, True),
            icon=":material/replay:",
            disabled=record.kind == "upload" or not record.request,
        )
        return
    st.warning(
        "If the first request did make a picture, sending again makes a second one and "
        "charges for it again. Send it again anyway?",
        icon=":material/payments:",
    )
    confirm = st.container(horizontal=True)
    confirm.button(
        "Yes, send it again",
        key=f"{key}_resend_yes",
        on_click=_resend,
        args=(conn, record, key),
        type="primary",
    )
    confirm.button("Cancel", key=f"{key}_resend_no", on_click=_ask_resend, args=(key, False))


def _full_image(record: JobRecord) -> bytes:
    return connection.store().image(record.id, record.account_key) or b""


@st.dialog("Full size", width="large")
def _zoom(record: JobRecord) -> None:
    """The full image, read only when someone asks to see it."""
    safe.picture(_full_image(record) or None, caption=record.prompt, width="stretch")


def _card_actions(
    conn: Connection, record: JobRecord, key: str, *, zoom: bool, compact: bool = False
) -> None:
    """Download, Edit this and Vary seed always; Zoom, Re-run, Upscale, the settings and the
    link beside them, or (`compact`) under "More", drawn only while it is open: a page shows
    several compact cards. Compare with… last."""
    row = st.container(horizontal=True)
    _download_button(record, key, row)
    _edit_button(conn, record, key, row)
    _vary_button(conn, record, key, row)
    if compact:
        more = row.popover(
            "More", icon=":material/more_horiz:", key=f"{key}_more", on_change="rerun"
        )
        if more.open:
            with more:
                _rarer_actions(conn, record, key, st.container(horizontal=True), zoom, True)
    else:
        _rarer_actions(conn, record, key, row, zoom, False)
    compare.compare_with(conn, record, key, row)


def _rarer_actions(
    conn: Connection, record: JobRecord, key: str, row: Any, zoom: bool, inline: bool
) -> None:
    if (
        zoom
        and record.has_image
        and row.button("Zoom", key=f"{key}_zoom", icon=":material/zoom_in:")
    ):
        _zoom(record)
    _rerun_button(conn, record, key, row)
    _upscale_button(conn, record, key, row)
    with row if not inline else st.container():
        card_tools.copy_settings(record, inline=inline)
        card_tools.link_box(record, inline=inline)


def _edit_button(conn: Connection, record: JobRecord, key: str, row: Any) -> None:
    row.button(
        "Edit this",
        key=f"{key}_edit",
        on_click=jobs_view.go_edit,
        args=(record,),
        icon=":material/auto_fix_high:",
        disabled=not can_start_from(conn, record),
    )


def _rerun_button(conn: Connection, record: JobRecord, key: str, row: Any) -> None:
    row.button(
        "Re-run",
        key=f"{key}_rerun",
        on_click=jobs_view.rerun_clicked,
        args=(conn, record, False),
        icon=":material/replay:",
        help="Same settings and the same seed",
    )


def _vary_button(conn: Connection, record: JobRecord, key: str, row: Any) -> None:
    row.button(
        "Vary seed",
        key=f"{key}_vary",
        on_click=jobs_view.rerun_clicked,
        args=(conn, record, True),
        icon=":material/casino:",
        help="Same settings, a new random seed",
    )


def _upscale_button(conn: Connection, record: JobRecord, key: str, row: Any) -> None:
    if card_tools.can_upscale(conn, record):
        row.button(
            "Upscale",
            key=f"{key}_upscale",
            on_click=card_tools.upscale_clicked,
            args=(conn, record),
            icon=":material/open_in_full:",
            help="A larger copy of this picture, as a new job",
        )


def _download_button(record: JobRecord, key: str, row: Any) -> None:
    """Download: the picture with its settings written in; its bytes are read only when
    someone clicks. Without a kept copy, the link while it is valid."""
    if not (record.has_image and record.mime_type):
        if record.link_valid() and (url := browser_link(record.asset_url)):
            row.link_button("Open full image", url, icon=":material/open_in_new:")
        return
    row.download_button(
        "Download",
        lambda: card_tools.picture_file(record),
        key=f"{key}_dl",
        mime=record.mime_type,
        file_name=download_name(record.prompt, record.mime_type, record.seed),
        icon=":material/download:",
    )
