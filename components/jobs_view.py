"""Jobs on a page: in-flight progress (a ticking fragment) and result cards with actions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import streamlit as st

from components import connection, form, safe
from components.connection import Connection
from components.fmt import humanize_delta, short
from components.reference import choose_result
from kontextlab.history import FULL_IMAGE_DROPPED, JobRecord
from kontextlab.images import download_name
from kontextlab.jobs import (
    LOST_ANSWER_MESSAGE,
    NOT_FOUND_MESSAGE,
    UNKNOWN,
    UNKNOWN_HEADLINE,
    TooManyJobs,
)
from kontextlab.links import browser_link
from kontextlab.providers import InvalidRequest, PreparedRequest, capabilities
from kontextlab.untrusted import plain
from kontextlab.visitors import LimitReached
from kontextlab.vocabulary import ACTIVE_STATES, JobState

TICK_SECONDS = 0.25  # a finished job shows within a quarter of a second
# A demo (or private-network) link points at the server's own address: a visitor's browser
# cannot open it, so only the copy the app kept is shown.
NO_COPY = "The app kept no copy of this picture, and its link cannot be opened from here."


REFUSAL = "_refusal"  # a sentence saying why the last click sent nothing


def submit(
    conn: Connection,
    request: PreparedRequest,
    parent_id: str | None = None,
) -> str | None:
    """Count, record and send a prepared job. Returns its row id, or None (with a sentence)
    when a daily limit would be passed, or too many jobs are already on the way; nothing is
    then sent."""
    try:
        reservation = connection.usage().reserve(conn.scope, conn.limits) if conn.scope else None
    except LimitReached as exc:
        st.session_state[REFUSAL] = str(exc)
        st.toast(str(exc), icon=":material/block:")
        return None
    try:
        row_id = connection.runner().submit(
            conn.provider, request, account_key=conn.account_key, parent_id=parent_id
        )
        st.session_state.pop(REFUSAL, None)
        return row_id
    except InvalidRequest as exc:
        connection.usage().release(reservation)
        st.toast(f"Not sent: {plain(exc)}", icon=":material/error:")
    except TooManyJobs as exc:
        connection.usage().release(reservation)
        st.toast(f"Not sent: {exc}", icon=":material/hourglass_top:")
    return None


def allowance_line(conn: Connection) -> None:
    """What the visitor may still make today, and why the last click was refused."""
    refusal = st.session_state.get(REFUSAL)  # kept until a click sends something
    if refusal:
        st.error(refusal, icon=":material/block:")
    if conn.scope is None:
        return
    allowance = connection.usage().allowance(conn.scope, conn.limits)
    sentence = allowance.sentence() if allowance else None
    if sentence:
        st.caption(sentence)


def send_form(
    prefix: str,
    conn: Connection,
    request: PreparedRequest | InvalidRequest,
    parent_id: str | None = None,
) -> None:
    """The page's main button: show what is wrong under each field, or send the job (as
    `form.prepare` made it for this run: it is not validated again)."""
    if isinstance(request, InvalidRequest):
        form.set_errors(prefix, request)
        st.rerun()
    form.set_errors(prefix, None)
    if submit(conn, request, parent_id=parent_id):
        st.toast("Started. The picture appears under Results when it is ready.")
    elif st.session_state.get(REFUSAL):
        st.rerun()  # show the sentence above the button


def link_status(record: JobRecord, now: datetime | None = None) -> str:
    if not record.url_expires_at:
        return "No link"
    if record.asset_url and not browser_link(record.asset_url):
        return "Shown from the app's own copy"  # e.g. the demo's link, on the server's address
    left = (record.url_expires_at - (now or datetime.now(UTC))).total_seconds()
    if left <= 0:
        return "Link expired (the stored copy is shown)"
    return f"Link valid for {humanize_delta(left)}"


def _elapsed(record: JobRecord) -> str:
    start = record.started_at or record.created_at
    return humanize_delta((datetime.now(UTC) - start).total_seconds())


def _progress(record: JobRecord) -> None:
    value = max(0.0, min(100.0, record.progress or 0.0))
    words: dict[str, str] = {
        JobState.QUEUED: "Sending…",
        UNKNOWN: "Looking for this job in your account…",
    }
    state = words.get(record.status, f"Generating… {value:.0f}%")
    prompt = plain(short(record.prompt, 80))
    st.progress(int(value), text=f"{state} · {_elapsed(record)} · {prompt}")
    if record.message:
        st.caption(plain(record.message))


def _followed(conn: Connection, kinds: list[str]) -> list[JobRecord]:
    """Jobs in flight, and lost jobs the app is looking for right now."""
    runner = connection.runner()
    runner.resume(conn.provider, conn.account_key)  # pick up jobs no worker follows
    rows = connection.store().in_flight(conn.account_key, (*ACTIVE_STATES, UNKNOWN))
    return [r for r in rows if r.kind in kinds and (r.is_active or runner.is_running(r.id))]


def in_flight_panel(conn: Connection, kinds: list[str]) -> None:
    """Progress of running jobs; ticks only while something runs, then reruns the page once."""
    if not _followed(conn, kinds):
        return

    @st.fragment(run_every=TICK_SECONDS)
    def tick() -> None:
        rows = _followed(conn, kinds)
        if not rows:
            st.rerun()  # show the finished results outside the fragment, and stop ticking
        for record in rows:
            _progress(record)

    tick()


def _picture(record: JobRecord, large: bool) -> bytes | None:
    """The full image for the big card (its thumbnail when the image cannot be shown); the
    small stored thumbnail is enough for the others."""
    store = connection.store()
    full = store.image(record.id, record.account_key) if large else None
    if full and safe.can_show(full):
        return full
    return safe.first_showable(store.thumbnail(record.id, record.account_key), full)


def settings_line(record: JobRecord) -> str:
    req = record.request
    parts = [record.kind.capitalize(), req.get("aspectRatio", capabilities().default_shape)]
    for key in ("style", "shotType", "shotAngle", "model"):
        if req.get(key):
            parts.append(str(req[key]).replace("_", " "))
    if record.seed is not None:
        parts.append(f"seed {record.seed}")
    return " · ".join(parts)


def chosen_settings(record: JobRecord) -> dict[str, Any]:
    """A job's stored request without the runner's tag (the row id): not a user's setting."""
    return {k: v for k, v in record.request.items() if v != record.id}


def rerun(conn: Connection, record: JobRecord, vary: bool = False) -> str | None:
    """Send a job again: the same settings and the seed it used, or a new random seed."""
    seed = form.new_random_seed() if vary else record.seed
    try:
        fields = conn.provider.fields_of(record.kind, chosen_settings(record))
        if seed is not None and record.kind != "upscale":
            fields["seed"] = seed
        request = conn.provider.prepare(record.kind, fields)
    except InvalidRequest as exc:
        st.toast(f"Not sent: {plain(exc)}", icon=":material/error:")
        return None
    except (KeyError, TypeError):
        st.toast("This job's settings cannot be sent again.", icon=":material/error:")
        return None
    return submit(conn, request, parent_id=record.parent_id)


def _rerun_clicked(conn: Connection, record: JobRecord, vary: bool) -> None:
    """`rerun` as a button callback (a widget callback returns nothing)."""
    rerun(conn, record, vary)


def go_edit(record: JobRecord) -> None:
    choose_result("edit", record.id)
    st.session_state["_goto"] = "edit"


def send_settings(prefix: str, record: JobRecord, *, go: bool = False) -> None:
    """Load a job's settings, and the picture it started from, into a page's form."""
    form.restore_later(prefix, chosen_settings(record), record.seed)
    if record.parent_id and record.request.get("referenceAssetId"):
        choose_result(prefix, record.parent_id)
    if go:
        st.session_state["_goto"] = prefix


def demo_webhook_note(conn: Connection, record: JobRecord) -> None:
    """The demo sends no webhook: say where a real server would have sent it."""
    url = record.request.get("replyUrl")
    if conn.demo and url:
        st.caption(f"Demo mode: the webhook would be sent to {plain(url)} (not sent).")


def result_card(
    conn: Connection, record: JobRecord, *, key: str, large: bool = True, image: bool = True
) -> None:
    """A finished (or failed) job: picture, seed, settings, download and next steps."""
    if record.status == UNKNOWN:
        unknown_panel(conn, record, key)
        return
    if record.status == JobState.FAILED:
        message = plain(record.message or "The job failed.")
        st.error(f"{message}  \n“{plain(record.prompt)}”", icon=":material/error:")
        demo_webhook_note(conn, record)
        st.button(
            "Try again", key=f"{key}_retry", on_click=_rerun_clicked, args=(conn, record, False)
        )
        return
    picture = _picture(record, large) if image else None
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
    _card_actions(conn, record, key)


def card_message(record: JobRecord) -> str | None:
    """The row's message as a card shows it: a dropped full-size copy points to the link."""
    if record.message != FULL_IMAGE_DROPPED:
        return record.message
    if record.link_valid() and browser_link(record.asset_url):
        return f"{FULL_IMAGE_DROPPED} “Open full image” shows it while the link is valid."
    if record.link_valid():  # a link a visitor's browser cannot open (the demo's own)
        return f"{FULL_IMAGE_DROPPED} Only the small preview is left here."
    return f"{FULL_IMAGE_DROPPED} Its link has expired, so only the small preview is left."


def check_account(conn: Connection, record: JobRecord) -> None:
    try:
        started = connection.runner().check_account(conn.provider, record.id, conn.account_key)
    except TooManyJobs as exc:
        st.toast(str(exc), icon=":material/hourglass_top:")
        return
    if started:
        st.toast("Looking for this job among your account's jobs…")


def _confirm_key(key: str) -> str:
    return f"{key}_confirm_resend"


def _ask_resend(key: str, ask: bool) -> None:
    st.session_state[_confirm_key(key)] = ask


def _resend(conn: Connection, record: JobRecord, key: str) -> None:
    _ask_resend(key, False)
    if rerun(conn, record):
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
    row.button(
        "Looking…" if searching else "Check my account",
        key=f"{key}_check",
        on_click=check_account,
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


def _card_actions(conn: Connection, record: JobRecord, key: str) -> None:
    row = st.container(horizontal=True)
    if record.has_image and record.mime_type:
        # Deferred: the image bytes are read only when someone clicks.
        row.download_button(
            "Download",
            lambda: _full_image(record),
            key=f"{key}_dl",
            mime=record.mime_type,
            file_name=download_name(record.prompt, record.mime_type, record.seed),
            icon=":material/download:",
        )
    elif record.link_valid() and (url := browser_link(record.asset_url)):
        row.link_button("Open full image", url, icon=":material/open_in_new:")
    row.button(
        "Edit this",
        key=f"{key}_edit",
        on_click=go_edit,
        args=(record,),
        icon=":material/auto_fix_high:",
        disabled=not record.file_id,
    )
    row.button(
        "Re-run",
        key=f"{key}_rerun",
        on_click=_rerun_clicked,
        args=(conn, record, False),
        icon=":material/replay:",
        help="Same settings and the same seed",
    )
    row.button(
        "Vary seed",
        key=f"{key}_vary",
        on_click=_rerun_clicked,
        args=(conn, record, True),
        icon=":material/casino:",
        help="Same settings, a new random seed",
    )


def follow_goto() -> None:
    """Switch page when an action asked for it (callbacks cannot switch pages themselves)."""
    target = st.session_state.pop("_goto", None)
    if target:
        from components.frame import page_link

        st.switch_page(page_link(target))


def recent_results(conn: Connection, kinds: list[str], limit: int = 6) -> list[JobRecord]:
    store = connection.store()
    return [
        r
        for r in store.list(conn.account_key, kinds=kinds, limit=limit)
        if r.status in (JobState.COMPLETED, JobState.FAILED, UNKNOWN)
    ]


def remember_last_seed(conn: Connection, kinds: list[str], prefix: str) -> None:
    """Feed "Reuse last seed" before the form is drawn."""
    for record in recent_results(conn, kinds, limit=1):
        if record.seed is not None:
            st.session_state[f"{prefix}_last_seed"] = record.seed


def results_panel(
    conn: Connection,
    kinds: list[str],
    prefix: str,
    *,
    show_in_flight: bool = True,
    latest_image: bool = True,
) -> None:
    if show_in_flight:
        in_flight_panel(conn, kinds)
    records = recent_results(conn, kinds)
    if not records:
        st.caption("Your results appear here.")
        return
    latest, *older = records
    result_card(conn, latest, key=f"{prefix}_card_{latest.id}", image=latest_image)
    if older:
        st.markdown("**Earlier results**")
        for record in older:
            with st.container(border=True):
                result_card(conn, record, key=f"{prefix}_card_{record.id}", large=False)
