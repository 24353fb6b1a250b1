"""The reference-image picker: upload a picture, or pick one of your earlier results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import streamlit as st

from components import connection, safe, state
from components.connection import Connection
from components.fmt import local_time, short
from kontextlab.history import HistoryStore, JobRecord
from kontextlab.images import BadImage, PreparedImage, prepare_reference
from kontextlab.providers import Picture
from kontextlab.tasks import Busy, Progress, TaskState
from kontextlab.untrusted import plain
from kontextlab.vocabulary import JobState

UPLOAD = "Upload a picture"
RESULT = "One of my results"
NONE = "No reference"


SMALLER_COPY = (
    "The full-size copy of this picture was not kept, so its smaller preview is sent instead."
)


@dataclass(frozen=True)
class Reference:
    file_id: str
    preview: bytes | None
    width: int | None
    height: int | None
    parent_id: str | None = None  # the history row, when it is an earlier result
    # The picture itself, for a provider that takes it in the request (no upload).
    data: bytes | None = None

    @property
    def key(self) -> str:
        """What tells one source from another: the provider's file id, else the row."""
        return self.file_id or self.parent_id or ""


def sends_picture(conn: Connection) -> bool:
    """The connected provider takes the picture in the request (no upload, no file id)."""
    return not conn.provider.capabilities.needs_upload


def usable_results(conn: Connection, limit: int) -> list[JobRecord]:
    """Earlier results the connected provider can start from."""
    store = connection.store()
    if sends_picture(conn):
        return store.completed_with_images(conn.account_key, limit=limit, with_file_id=False)
    return [r for r in store.completed_with_images(conn.account_key, limit=limit) if r.file_id]


def can_start_from(conn: Connection, record: JobRecord) -> bool:
    """Whether a result can be edited (or used as a reference) with the connected provider."""
    if sends_picture(conn):
        return record.has_image or record.has_thumbnail
    return bool(record.file_id)


def choose_result(prefix: str, row_id: str) -> None:
    """Preselect an earlier result (used by "Edit this" and "Use as reference"). Kept under
    a plain key, because Streamlit drops the state of widgets that are not on screen."""
    state.set_pending_ref(prefix, row_id)


def has_reference(prefix: str) -> bool:
    """Whether the picker's source is a picture (not "No reference")."""
    return bool(st.session_state.get(f"{prefix}_ref_mode", NONE) != NONE)


def _apply_pending(prefix: str) -> None:
    row_id = state.pending_ref(prefix)
    if row_id:
        st.session_state[f"{prefix}_ref_mode"] = RESULT
        st.session_state[f"{prefix}_ref_row"] = row_id


class UploadFailed(Exception):
    """The upload ended in an error; the message is a plain sentence."""


UPLOAD_WAIT_SECONDS = 1.0  # what a run may wait for an upload before showing its progress
UPLOAD_TICK_SECONDS = 0.5


def _upload(
    conn: Connection, prepared: PreparedImage, name: str, email: str | None
) -> Reference | None:
    """Upload once per session and picture; the upload is kept in history as an "upload" row,
    so edits of it have a parent and the original shows in their lineage. The upload runs in
    the background: a run waits for it at most its network budget, then shows "Uploading…"
    until it is done (None meanwhile). Raises UploadFailed when it failed."""
    cache = state.uploads()
    key = (conn.base_url, conn.account_key, prepared.digest, email)
    if key not in cache and sends_picture(conn):
        # Nothing to upload: the picture goes in the request. It is kept as an "upload" row
        # all the same, so an edit of it has a parent and lineage.
        store, budget = connection.store(), connection.settings().image_budget_bytes
        cache[key] = _record_upload(store, budget, conn, prepared, name, Picture(None))
    if key not in cache:
        name_of_task = f"upload:{prepared.digest}:{email or ''}"
        tasks = connection.tasks()
        task = tasks.get(conn.account_key, name_of_task)
        if task is None:
            provider, store = conn.provider, connection.store()
            budget = connection.settings().image_budget_bytes

            def work(_: Progress) -> tuple[str, str]:
                asset = provider.upload_reference(prepared.data, prepared.mime_type, account=email)
                return _record_upload(store, budget, conn, prepared, name, asset)

            try:
                task = tasks.start(conn.account_key, name_of_task, work)
            except Busy as exc:
                raise UploadFailed(str(exc)) from exc
        if not task.wait(state.network_time_left(UPLOAD_WAIT_SECONDS)):
            _await_upload(conn, name_of_task)
            return None
        tasks.forget(conn.account_key, name_of_task)
        if task.state is TaskState.FAILED:
            raise UploadFailed(task.error or "")
        cache[key] = task.result
    row_id, file_id = cache[key]
    data = prepared.data if sends_picture(conn) else None
    return Reference(file_id, prepared.preview, prepared.width, prepared.height, row_id, data)


def _await_upload(conn: Connection, name: str) -> None:
    """ "Uploading…" while the upload runs; the page reruns once it is done."""

    @st.fragment(run_every=UPLOAD_TICK_SECONDS)
    def tick() -> None:
        task = connection.tasks().get(conn.account_key, name)
        if task is None or not task.running:
            st.rerun()
        st.caption("Uploading the picture…")

    tick()


def _record_upload(
    store: HistoryStore,
    budget: int,
    conn: Connection,
    prepared: PreparedImage,
    name: str,
    asset: Picture,
) -> tuple[str, str]:
    """(Runs in the upload's task: no Streamlit here.)"""
    row_id = store.add_job(
        account_key=conn.account_key,
        kind="upload",
        request=conn.provider.upload_request(name),
        summary={"prompt": name},
        provider=conn.provider.capabilities.name,
    )
    store.update_job(
        row_id,
        status=JobState.COMPLETED,
        progress=100.0,
        file_id=asset.file_id,
        asset_url=asset.url,
        url_expires_at=asset.expires_at,
        mime_type=prepared.mime_type,
        thumbnail=prepared.preview,
        width=prepared.width,
        height=prepared.height,
        completed_at=datetime.now(UTC),
    )
    store.keep_image(row_id, prepared.data, budget)
    return row_id, asset.file_id or ""


def _from_upload(prefix: str, conn: Connection, email: str | None) -> Reference | None:
    file = st.file_uploader(
        "Picture (PNG, JPEG or WebP, up to 20 MB)",
        key=f"{prefix}_ref_file",
        type=["png", "jpg", "jpeg", "webp"],
    )
    if file is None:
        return None
    try:
        prepared = prepare_reference(file.getvalue())
    except BadImage as exc:
        st.error(str(exc), icon=":material/broken_image:")
        return None
    if prepared.note:
        st.caption(prepared.note)
    try:
        return _upload(conn, prepared, file.name, email)
    except UploadFailed as exc:
        st.error(f"The picture could not be uploaded. {plain(str(exc))}")
        return None


def _label(record: JobRecord) -> str:
    when = local_time(record.created_at, "%d %b %H:%M")
    return f"{short(record.prompt) or '(no prompt)'} · {record.kind} · {when}"


def _from_results(prefix: str, conn: Connection) -> Reference | None:
    store = connection.store()
    records = usable_results(conn, limit=40)
    key = f"{prefix}_ref_row"
    chosen = st.session_state.get(key)
    if chosen and chosen not in {r.id for r in records}:
        extra = store.get(chosen, conn.account_key)
        if extra and extra.status == JobState.COMPLETED and can_start_from(conn, extra):
            records.insert(0, extra)
    if not records:
        st.info("No finished results yet. Create an image first, or upload a picture.")
        return None
    by_id = {r.id: r for r in records}
    if chosen not in by_id:
        st.session_state[key] = records[0].id
    row_id = st.selectbox("Result", list(by_id), key=key, format_func=lambda i: _label(by_id[i]))
    record = by_id[row_id]
    thumb = store.thumbnail(record.id, conn.account_key)
    data = None
    if sends_picture(conn):
        data = store.image(record.id, conn.account_key)
        if data is None:  # the full copy was dropped (budget) or never kept: say so
            data = store.preview(record.id, conn.account_key) or thumb
            st.caption(SMALLER_COPY)
    return Reference(record.file_id or "", thumb, record.width, record.height, record.id, data)


def reference_picker(
    prefix: str, conn: Connection, *, optional: bool, email: str | None
) -> Reference | None:
    _apply_pending(prefix)
    modes = [NONE, UPLOAD, RESULT] if optional else [UPLOAD, RESULT]
    mode_key = f"{prefix}_ref_mode"
    if st.session_state.get(mode_key) not in modes:
        # Editing starts from your newest result when there is one: chains need no extra click.
        has_results = not optional and usable_results(conn, limit=1)
        st.session_state[mode_key] = RESULT if has_results else modes[0]
    mode = st.radio("Source", modes, key=mode_key, horizontal=True, label_visibility="collapsed")
    if mode == UPLOAD:
        ref = _from_upload(prefix, conn, email)
    elif mode == RESULT:
        ref = _from_results(prefix, conn)
    else:
        ref = None
    if ref:
        safe.picture(ref.preview, width=220)
    return ref
