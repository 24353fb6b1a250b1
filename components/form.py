"""Form widgets the Create and Edit pages share. Keys are namespaced by a page prefix."""

from __future__ import annotations

import json
import shlex
from typing import Any

import streamlit as st

from components import state
from components.connection import Connection
from kontextlab.links import display_url
from kontextlab.providers import InvalidRequest, PreparedRequest, capabilities, draw_seed
from kontextlab.providers.ltx import requests as ltx
from kontextlab.vocabulary import NO_STYLE

ASPECT_LABELS = {"16:9": "▭ 16:9 wide", "9:16": "▯ 9:16 tall", "1:1": "□ 1:1 square"}
STYLE_DESCRIPTIONS = {
    NO_STYLE: "No style: the model's own look",
    "cinematic": "Film-like contrast and colour grading",
    "vintage": "Faded colours and warm, aged film tones",
    "low_key": "Dark, moody scenes with deep shadows",
    "indy": "Indie-film look: natural light, muted colours",
    "y2k": "Glossy, saturated early-2000s pop aesthetic",
    "pop": "Bold flat colours, pop-art punch",
    "grunge": "Gritty textures and dirty, desaturated tones",
    "dreamy": "Soft focus, pastel haze, gentle glow",
    "hand_drawn": "Sketched by hand with pencil or ink",
    "2d_novel": "Graphic-novel panels with clean outlines",
    "boost": "Extra vivid colour and sharpness",
    "scribble": "Loose, playful scribbled lines",
    "film_noir": "Black and white, hard light, high drama",
    "anime": "Japanese animation style",
    "3d_cartoon": "Rounded 3D cartoon characters and sets",
    "colored": "Rich hand-coloured illustration",
}
NO_WAIT = 0  # widget sentinels: Streamlit shows a None option as an empty placeholder
DEFAULT_MODEL = "flux"
WAIT_CHOICES = [NO_WAIT, *range(ltx.POLL_MIN, ltx.POLL_MAX + 1)]
DEFAULT_WAIT = 1
MODEL_LABELS = {
    DEFAULT_MODEL: "FLUX.1 Kontext (default)",
    "flux-premium": "FLUX.1 Kontext Max (premium)",
    "nano-banana": "Nano Banana",
}


def kept_fields() -> tuple[str, ...]:
    """Widget key suffixes of every form field: the restorable ones and the pickers."""
    restorable = tuple(suffix for suffix, _ in RESTORABLE.values())
    return (*restorable, "seed_mode", "seed", "ref_mode", "ref_row", "strength")


def keep_form_values(prefixes: tuple[str, ...] = ("create", "edit")) -> None:
    """Keep what the user typed when they visit another page and come back.

    Streamlit forgets the state of widgets that are not drawn in a run; writing a value
    back under its key turns it into plain session state, which it keeps."""
    for prefix in prefixes:
        for name in kept_fields():
            key = f"{prefix}_{name}"
            if key in st.session_state:
                st.session_state[key] = st.session_state[key]


def style_label(style: str) -> str:
    name = "None" if style == NO_STYLE else style.replace("_", " ").capitalize()
    return f"{name} — {STYLE_DESCRIPTIONS[style]}"


def wait_label(ticks: int) -> str:
    if ticks == NO_WAIT:
        return "Don't wait (return at once)"
    return f"Up to {ticks * ltx.POLL_TICK_SECONDS} s"


def errors_key(prefix: str) -> str:
    return f"{prefix}_errors"


def field_error(prefix: str, field: str) -> None:
    """Show the validation message for one field right under its widget."""
    message = st.session_state.get(errors_key(prefix), {}).get(field)
    if message:
        st.error(message, icon=":material/error:")


def prompt_input(prefix: str, label: str, placeholder: str) -> str:
    st.text_area(
        label,
        key=f"{prefix}_prompt",
        placeholder=placeholder,
        height=120,
        max_chars=capabilities().prompt_limit,
    )
    text = st.session_state.get(f"{prefix}_prompt") or ""
    st.caption(f"{len(text):,} / {capabilities().prompt_limit:,} characters")
    field_error(prefix, "prompt")
    return text


def set_aspect_ratio(prefix: str, value: str) -> None:
    """Pick a shape for the user (before the widget is drawn)."""
    st.session_state[f"{prefix}_aspect_ratio"] = value


def typed_email(prefix: str) -> str | None:
    """The account email typed in the Advanced section (drawn later in the run)."""
    return st.session_state.get(f"{prefix}_email") or None


def aspect_ratio_input(prefix: str) -> str:
    key = f"{prefix}_aspect_ratio"
    st.session_state.setdefault(key, capabilities().default_shape)
    value = st.segmented_control(
        "Shape", capabilities().shapes, key=key, format_func=ASPECT_LABELS.__getitem__
    )
    field_error(prefix, "aspect_ratio")
    return value or capabilities().default_shape


def seed_input(prefix: str) -> int | None:
    """Random by default; a fixed number on request; "reuse the last seed"."""
    mode_key, seed_key = f"{prefix}_seed_mode", f"{prefix}_seed"
    st.session_state.setdefault(mode_key, "Random")
    st.session_state.setdefault(seed_key, 0)
    mode = st.radio(
        "Seed",
        ["Random", "Fixed"],
        key=mode_key,
        horizontal=True,
        help="The same seed with the same settings gives the same picture.",
    )
    last = state.last_seed(prefix)
    row = st.container(horizontal=True, vertical_alignment="bottom")
    if mode == "Fixed":
        row.number_input(
            "Seed number", min_value=0, max_value=capabilities().seed_max, step=1, key=seed_key
        )
    row.button(
        f"Reuse last seed ({last})" if last is not None else "Reuse last seed",
        key=f"{prefix}_reuse_seed",
        disabled=last is None,
        on_click=use_seed,
        args=(prefix, last),
    )
    field_error(prefix, "seed")
    return int(st.session_state[seed_key]) if mode == "Fixed" else None


def use_seed(prefix: str, seed: int | None) -> None:
    if seed is None:
        return
    st.session_state[f"{prefix}_seed_mode"] = "Fixed"
    st.session_state[f"{prefix}_seed"] = int(seed)


def new_random_seed() -> int:
    return draw_seed()


def advanced_inputs(prefix: str, conn: Connection) -> dict[str, Any]:
    """pollForResult, maxJobs, replyUrl, replyRef, email, model and the scene fields."""
    with st.expander("Advanced", expanded=bool(st.session_state.get(errors_key(prefix)))):
        st.session_state.setdefault(f"{prefix}_wait", DEFAULT_WAIT)
        wait = st.selectbox(
            "Wait inside the request (pollForResult)",
            WAIT_CHOICES,
            key=f"{prefix}_wait",
            format_func=wait_label,
            help="How long the server holds the request open for the result. "
            "The app keeps checking by itself afterwards.",
        )
        field_error(prefix, "poll_for_result")
        max_jobs = st.number_input(
            "Max parallel jobs (maxJobs)",
            min_value=ltx.MAX_JOBS_MIN,
            max_value=ltx.MAX_JOBS_MAX,
            value=None,
            step=1,
            key=f"{prefix}_max_jobs",
            placeholder="Account default",
        )
        field_error(prefix, "max_jobs")
        reply_url = st.text_input(
            "Webhook URL (replyUrl)",
            key=f"{prefix}_reply_url",
            placeholder="https://example.com/hook",
        )
        field_error(prefix, "reply_url")
        reply_ref = st.text_input("Webhook reference (replyRef)", key=f"{prefix}_reply_ref")
        field_error(prefix, "reply_ref")
        model = st.selectbox(
            "Model", list(MODEL_LABELS), key=f"{prefix}_model", format_func=MODEL_LABELS.__getitem__
        )
        field_error(prefix, "model")
        scene = {
            name: st.text_input(name.capitalize(), key=f"{prefix}_{name}", placeholder="optional")
            for name in ("location", "weather", "lighting")
        }
        email = _email_input(prefix, conn)
    return {
        "poll_for_result": wait or None,
        "max_jobs": max_jobs,
        "reply_url": reply_url or None,
        "reply_ref": reply_ref or None,
        "email": email,
        "model": None if model == DEFAULT_MODEL else model,
        **{k: v or None for k, v in scene.items()},
    }


def _email_input(prefix: str, conn: Connection) -> str | None:
    if not conn.shows_account:
        return conn.email  # the deployer's account: used, never shown
    if conn.needs_email:
        st.caption(f"Account: {conn.email} (change it in the sidebar)")
        return conn.email
    typed = st.text_input(
        "Account email", key=f"{prefix}_email", placeholder="only needed with several LTX accounts"
    )
    field_error(prefix, "email")
    return typed or None


def set_errors(prefix: str, error: InvalidRequest | None) -> None:
    errors = {e.field: e.message for e in error.errors} if error else {}
    st.session_state[errors_key(prefix)] = errors


def prepare(
    conn: Connection, kind: str, fields: dict[str, Any]
) -> PreparedRequest | InvalidRequest:
    """Validate the form once per run: the prepared request, or what is wrong with it."""
    try:
        return conn.provider.prepare(kind, fields)
    except InvalidRequest as exc:
        return exc


def request_url(conn: Connection, request: PreparedRequest) -> str:
    """Where the request goes, without any `user:password@` written into the base URL."""
    return f"{display_url(conn.base_url).rstrip('/')}/{request.endpoint}"


def curl_command(conn: Connection, request: PreparedRequest) -> str:
    """The request as a curl command to copy; the token is always a placeholder."""
    body = json.dumps(conn.visible(request.as_dict()), ensure_ascii=False)
    url = request_url(conn, request)
    return (
        f"curl {shlex.quote(url)} \\\n  -H 'Authorization: Bearer <your token>' \\\n"
        f"  -H 'Content-Type: application/json' \\\n  -d {shlex.quote(body)}"
    )


def show_request(conn: Connection, request: PreparedRequest | InvalidRequest) -> None:
    """A preview of the prepared request: nothing is drawn or added here."""
    with st.expander("Show request"):
        if isinstance(request, InvalidRequest):
            st.caption(f"Fix the form first: {request}")
            return
        st.caption(f"POST {request_url(conn, request)}")
        if request.seed is None:
            st.caption("With “Random”, a seed is drawn and added when you press the button.")
        st.json(conn.visible(request.as_dict()))
        st.code(curl_command(conn, request), language="bash")


# Wire name → (widget key suffix, the widget's value when the payload has none), for
# "Reuse settings" and "Send to Create".
RESTORABLE: dict[str, tuple[str, Any]] = {
    "prompt": ("prompt", ""),
    "aspectRatio": ("aspect_ratio", capabilities().default_shape),
    "style": ("style", NO_STYLE),
    "shotType": ("shot_type", None),
    "shotAngle": ("shot_angle", None),
    "pollForResult": ("wait", NO_WAIT),
    "maxJobs": ("max_jobs", None),
    "replyUrl": ("reply_url", ""),
    "replyRef": ("reply_ref", ""),
    "model": ("model", DEFAULT_MODEL),
    "location": ("location", ""),
    "weather": ("weather", ""),
    "lighting": ("lighting", ""),
    "email": ("email", ""),
}


def restore_later(prefix: str, payload: dict[str, Any], seed: int | None) -> None:
    """Ask a page to load these settings on its next run (works across pages)."""
    state.set_pending_settings(prefix, payload, seed)


def settle_pending(prefix: str) -> None:
    """Forget queued settings and picks once a run of the page has drawn them all.

    Until then they are applied on every run: a run the user interrupts (a click while it
    draws) would otherwise lose them to the widget values the browser sends back."""
    state.settle_pending(prefix)


def apply_pending_settings(prefix: str) -> None:
    """Load settings queued by `restore_later`, before the page draws its widgets."""
    pending = state.pending_settings(prefix)
    if not pending:
        return
    payload, seed = pending
    for wire, (suffix, empty) in RESTORABLE.items():
        value = payload.get(wire)
        st.session_state[f"{prefix}_{suffix}"] = empty if value in (None, "") else value
    if payload.get("reference_strength") is not None:
        st.session_state[f"{prefix}_strength"] = int(payload["reference_strength"])
    if seed is not None:
        use_seed(prefix, seed)
    st.session_state[errors_key(prefix)] = {}
