"""Form widgets the Create and Edit pages share. Keys are namespaced by a page prefix.

Fields are named as the provider seam names them (`aspect_ratio`, `poll_for_result`, ...),
never as a wire format does; each is drawn only where the connected provider accepts it for
the page's kind of job, with the choices, ranges and labels its capabilities give."""

from __future__ import annotations

import json
import shlex
from typing import Any

import streamlit as st

from components import looks, state
from components.connection import Connection
from components.looks import STYLE_DESCRIPTIONS as STYLE_DESCRIPTIONS
from kontextlab.links import display_url
from kontextlab.providers import Capabilities, InvalidRequest, PreparedRequest, draw_seed
from kontextlab.vocabulary import NO_STYLE

ASPECT_LABELS = {"16:9": "▭ 16:9 wide", "9:16": "▯ 9:16 tall", "1:1": "□ 1:1 square"}
SEGMENTED_SHAPES = 4  # more shapes than this are offered in a list
NO_WAIT = 0  # widget sentinels: Streamlit shows a None option as an empty placeholder


def capabilities(conn: Connection) -> Capabilities:
    return conn.provider.capabilities


def shows(conn: Connection, kind: str, name: str) -> bool:
    """Whether the form draws a field: only one the connected provider takes for this kind."""
    return capabilities(conn).accepts(kind, name)


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
    """A look's name in words ("Film noir", "3D cartoon")."""
    return looks.look_name(style)


def shape_label(shape: str) -> str:
    return ASPECT_LABELS.get(shape, shape)


def errors_key(prefix: str) -> str:
    return f"{prefix}_errors"


def field_error(prefix: str, field: str) -> None:
    """Show the validation message for one field right under its widget."""
    message = st.session_state.get(errors_key(prefix), {}).get(field)
    if message:
        st.error(message, icon=":material/error:")


def prompt_input(conn: Connection, prefix: str, label: str, placeholder: str) -> str:
    limit = capabilities(conn).prompt_limit
    st.text_area(
        label, key=f"{prefix}_prompt", placeholder=placeholder, height=120, max_chars=limit
    )
    text = st.session_state.get(f"{prefix}_prompt") or ""
    st.caption(f"{len(text):,} / {limit:,} characters")
    field_error(prefix, "prompt")
    return text


def set_aspect_ratio(prefix: str, value: str) -> None:
    """Pick a shape for the user (before the widget is drawn)."""
    st.session_state[f"{prefix}_aspect_ratio"] = value


def _ratio(shape: str) -> float | None:
    width, _, height = shape.partition(":")
    try:
        return float(width) / float(height)
    except (ValueError, ZeroDivisionError):
        return None


def closest_shape(conn: Connection, width: int, height: int) -> str | None:
    """The provider's shape closest to a picture's own (None when it names none)."""
    ratio = width / max(height, 1)
    shapes = [(s, r) for s in capabilities(conn).shapes if (r := _ratio(s)) is not None]
    return min(shapes, key=lambda pair: abs(pair[1] - ratio))[0] if shapes else None


def account_email(conn: Connection) -> str | None:
    """The account a request runs on: the sidebar's pick when there are several, a deployer's
    own (never shown); None for a visitor's only account (the service uses it)."""
    return conn.email if conn.needs_email or not conn.shows_account else None


def upload_email(conn: Connection) -> str | None:
    """The account a picture is uploaded to: the sidebar's pick when there are several."""
    return conn.email if conn.needs_email else None


def aspect_ratio_input(conn: Connection, prefix: str, kind: str) -> str | None:
    if not shows(conn, kind, "aspect_ratio"):
        return None
    caps = capabilities(conn)
    key = f"{prefix}_aspect_ratio"
    st.session_state.setdefault(key, caps.default_shape)
    value: str | None
    spec = caps.spec("aspect_ratio")
    if spec.free or len(caps.shapes) > SEGMENTED_SHAPES:  # many shapes: a list, not buttons
        value = st.selectbox(
            "Shape", caps.shapes, key=key, format_func=shape_label, accept_new_options=spec.free
        )
    else:
        value = st.segmented_control("Shape", caps.shapes, key=key, format_func=shape_label)
    field_error(prefix, "aspect_ratio")
    return value or caps.default_shape


def look_input(conn: Connection, prefix: str, kind: str) -> str | None:
    """The look (style) picker, for a provider that has looks."""
    names = capabilities(conn).looks
    if not names or not shows(conn, kind, "style"):
        return None
    style = looks.look_picker(prefix, (NO_STYLE, *names))
    field_error(prefix, "style")
    return style


def shot_inputs(conn: Connection, prefix: str, kind: str) -> dict[str, Any]:
    """Shot type (suggestions, or typed) and shot angle, where the provider has them."""
    names = [n for n in ("shot_type", "shot_angle") if shows(conn, kind, n)]
    if not names:
        return {}
    caps = capabilities(conn)
    values: dict[str, Any] = {}
    for column, name in zip(st.columns(2), names, strict=False):
        spec = caps.spec(name)
        if name == "shot_type":
            values[name] = column.selectbox(
                spec.label or "Shot type",
                spec.choices,
                index=None,
                key=f"{prefix}_shot_type",
                accept_new_options=spec.free,
                placeholder="Pick or type" if spec.free else "Not set",
            )
        else:
            values[name] = column.selectbox(
                spec.label or "Shot angle",
                spec.choices,
                index=None,
                key=f"{prefix}_shot_angle",
                placeholder="Not set",
                format_func=lambda a: a.replace("-", " "),
            )
    for name in names:
        field_error(prefix, name)
    return values


def seed_input(conn: Connection, prefix: str, kind: str) -> int | None:
    """Random by default; a fixed number on request; "reuse the last seed"."""
    if not shows(conn, kind, "seed"):
        return None
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
            "Seed number",
            min_value=0,
            max_value=capabilities(conn).seed_max,
            step=1,
            key=seed_key,
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


def set_errors(prefix: str, error: InvalidRequest | None) -> None:
    errors = {e.field: e.message for e in error.errors} if error else {}
    st.session_state[errors_key(prefix)] = errors


def prepare(
    conn: Connection, kind: str, fields: dict[str, Any]
) -> PreparedRequest | InvalidRequest:
    """Validate the form once per run: the prepared request, or what is wrong with it. Only
    the fields the provider takes for this kind are handed on."""
    accepted = {name: value for name, value in fields.items() if shows(conn, kind, name)}
    try:
        return conn.provider.prepare(kind, accepted)
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
    """A preview of the prepared request, with developer options on: nothing is sent or
    added here."""
    if not state.developer_options():
        return
    with st.expander("Show request"):
        if isinstance(request, InvalidRequest):
            st.caption(f"Fix the form first: {request}")
            return
        st.caption(f"POST {request_url(conn, request)}")
        if request.seed is None:
            st.caption("With “Random”, a seed is drawn and added when you press the button.")
        st.json(conn.visible(request.as_dict()))
        st.code(curl_command(conn, request), language="bash")


# Field name → (widget key suffix, the widget's value when the request has none: None for the
# provider's own default), for "Reuse settings" and "Send to Create".
RESTORABLE: dict[str, tuple[str, Any]] = {
    "prompt": ("prompt", ""),
    "aspect_ratio": ("aspect_ratio", None),
    "style": ("style", NO_STYLE),
    "shot_type": ("shot_type", None),
    "shot_angle": ("shot_angle", None),
    "poll_for_result": ("wait", NO_WAIT),
    "max_jobs": ("max_jobs", None),
    "reply_url": ("reply_url", ""),
    "reply_ref": ("reply_ref", ""),
    "webhook_url": ("webhook_url", ""),
    "output_format": ("output_format", "png"),
    "prompt_upsampling": ("prompt_upsampling", False),
    "safety": ("safety", 2),
    "model": ("model", None),
    "location": ("location", ""),
    "weather": ("weather", ""),
    "lighting": ("lighting", ""),
    "email": ("email", ""),
}


def restore_later(prefix: str, fields: dict[str, Any], seed: int | None) -> None:
    """Ask a page to load these settings (form fields, by field name) on its next run
    (works across pages)."""
    state.set_pending_settings(prefix, fields, seed)


def settle_pending(prefix: str) -> None:
    """Forget queued settings and picks once a run of the page has drawn them all.

    Until then they are applied on every run: a run the user interrupts (a click while it
    draws) would otherwise lose them to the widget values the browser sends back."""
    state.settle_pending(prefix)


def apply_pending_settings(conn: Connection, prefix: str) -> None:
    """Load settings queued by `restore_later`, before the page draws its widgets."""
    pending = state.pending_settings(prefix)
    if not pending:
        return
    fields, seed = pending
    caps = capabilities(conn)
    defaults = {"aspect_ratio": caps.default_shape, "model": caps.default_model}
    for name, (suffix, empty) in RESTORABLE.items():
        value = fields.get(name)
        if (name == "model" and value not in caps.models) or (
            name == "aspect_ratio" and value not in caps.shapes and not caps.spec(name).free
        ):
            value = None  # another provider's model or shape: this one's default
        missing = defaults.get(name, empty)
        st.session_state[f"{prefix}_{suffix}"] = missing if value in (None, "") else value
    if fields.get("reference_strength") is not None:
        st.session_state[f"{prefix}_strength"] = int(fields["reference_strength"])
    if seed is not None:
        use_seed(prefix, seed)
    st.session_state[errors_key(prefix)] = {}
