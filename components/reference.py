"""The reference-image picker: upload a picture, or pick one of your earlier results."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import streamlit as st
from kontextlab.history import JobRecord

from components import connection
from components.connection import Connection
from kontextlab import api
from kontextlab.images import BadImage, prepare_reference

UPLOAD = "Upload a picture"
RESULT = "One of my results"
NONE = "No reference"


@dataclass(frozen=True)
class Reference:
    file_id: str
    preview: bytes | None
    width: int | None
    height: int | None
    parent_id: str | None = None  # the history row, when it is an earlier result


def choose_result(prefix: str, row_id: str) -> None:
    """Preselect an earlier result (used by "Edit this" and "Use as reference")."""
    st.session_state[f"{prefix}_ref_mode"] = RESULT
    st.session_state[f"{prefix}_ref_row"] = row_id


def _upload(conn: Connection, data: bytes, mime: str, email: str | None) -> str:
    # Cached per session by content, so reruns never upload the same picture twice.
    cache = st.session_state.setdefault("_uploads", {})
    key = (conn.base_url, conn.account_key, hashlib.sha256(data).hexdigest(), email)
    if key not in cache:
        with st.spinner("Uploading the picture…"):
            cache[key] = conn.client.upload_reference(data, mime, email=email).file_id
    return cache[key]


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
        file_id = _upload(conn, prepared.data, prepared.mime_type, email)
    except api.ApiError as exc:
        st.error(f"The picture could not be uploaded. {exc.user_message}")
        return None
    return Reference(file_id, prepared.data, prepared.width, prepared.height)


def _label(record: JobRecord) -> str:
    when = record.created_at.astimezone().strftime("%d %b %H:%M")
    prompt = record.prompt if len(record.prompt) <= 60 else record.prompt[:57] + "…"
    return f"{prompt or '(no prompt)'} · {record.kind} · {when}"


def _from_results(prefix: str, conn: Connection) -> Reference | None:
    store = connection.store()
    records = [r for r in store.completed_with_images(conn.account_key, limit=40) if r.file_id]
    key = f"{prefix}_ref_row"
    chosen = st.session_state.get(key)
    if chosen and chosen not in {r.id for r in records}:
        extra = store.get(chosen, conn.account_key)
        if extra and extra.file_id:
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
    return Reference(record.file_id or "", thumb, record.width, record.height, record.id)


def reference_picker(
    prefix: str, conn: Connection, *, optional: bool, email: str | None
) -> Reference | None:
    modes = [NONE, UPLOAD, RESULT] if optional else [UPLOAD, RESULT]
    mode_key = f"{prefix}_ref_mode"
    if st.session_state.get(mode_key) not in modes:
        st.session_state[mode_key] = modes[0]
    mode = st.radio("Source", modes, key=mode_key, horizontal=True, label_visibility="collapsed")
    if mode == UPLOAD:
        ref = _from_upload(prefix, conn, email)
    elif mode == RESULT:
        ref = _from_results(prefix, conn)
    else:
        ref = None
    if ref and ref.preview:
        st.image(ref.preview, width=220)
    return ref
