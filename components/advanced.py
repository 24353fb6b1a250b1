"""The form's further sections: "More options" (model and scene, in everyday words) and, only
while the sidebar's "Developer options" is on, "For developers" (the wait, jobs at once,
webhooks, the account). Each field is drawn only where the connected provider takes it for the
page's kind of job; a developer field is sent only while it is shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from components import state
from components.connection import Connection
from components.form import NO_WAIT, account_email, capabilities, errors_key, field_error, shows
from kontextlab.providers import Capabilities

DEFAULT_WAIT = 1
MODEL_LABELS = {
    "flux": "FLUX.1 Kontext (default)",
    "flux-premium": "FLUX.1 Kontext Max (premium)",
    "nano-banana": "Nano Banana",
}
# FLUX.1 Kontext's tiers, as Black Forest Labs names its models ("<family>-<tier>").
TIER_WORDS = {"pro": "fast", "max": "best quality and typography"}
SCENE_FIELDS = ("location", "weather", "lighting")
# Scene fields in everyday words: (label, example).
SCENE_WORDS = {
    "location": ("Place", "e.g. a quiet harbour in Portugal"),
    "weather": ("Weather", "e.g. light rain, fog, fresh snow"),
    "lighting": ("Light", "e.g. golden hour, neon signs, candlelight"),
}
EVERYDAY_FIELDS: tuple[str, ...] = ("model", *SCENE_FIELDS)
# Fields only developers set: drawn, and sent, only while developer options are on.
DEVELOPER_FIELDS: tuple[str, ...] = (
    "poll_for_result",
    "max_jobs",
    "reply_url",
    "reply_ref",
    "webhook_url",
    "webhook_secret",
)
# The fields the further sections draw (when the provider accepts them for the kind).
ADVANCED_FIELDS: tuple[str, ...] = (*DEVELOPER_FIELDS, *EVERYDAY_FIELDS, "email")
MORE_OPTIONS = "More options"
FOR_DEVELOPERS = "For developers"
DEVELOPER_CAPTION = (
    "Sent only while developer options are on (the sidebar's switch); turned off, the "
    "service's own defaults apply. Each field's help names it as the API does."
)


def model_name(model: str) -> str:
    """A model in words: "FLUX.1 Kontext [pro]" for BFL's tiers, else the label or the id."""
    if model in MODEL_LABELS:
        return MODEL_LABELS[model]
    family, _, tier = model.rpartition("-")
    return f"FLUX.1 Kontext [{tier}]" if family.split("-") == ["flux", "kontext"] else model


def model_labeller(caps: Capabilities) -> Callable[[str], str]:
    """A model's name, what it is good at and its price, for the picker."""

    def label(model: str) -> str:
        name = model_name(model)
        if model in MODEL_LABELS:
            return name
        words = [w for w in (TIER_WORDS.get(model.rpartition("-")[2]),) if w]
        credits = caps.cost(model)
        if credits is not None:
            words.append(f"about {credits:g} credits a picture")
        if model == caps.default_model:
            words.append("default")
        return f"{name}: {', '.join(words)}" if words else name

    return label


def wait_labeller(step_seconds: float | None) -> Callable[[int], str]:
    def wait_label(ticks: int) -> str:
        if ticks == NO_WAIT:
            return "Don't wait (return at once)"
        return f"Up to {ticks * (step_seconds or 1):g} s"

    return wait_label


def advanced_inputs(conn: Connection, prefix: str, kind: str) -> dict[str, Any]:
    """The model, scene and account fields the provider takes for this kind, and (developer
    options on) its wait, jobs-at-once and webhook fields. Sections without a field are not
    drawn; a developer field that is not shown is not in the result, so it is not sent."""
    caps = capabilities(conn)
    values: dict[str, Any] = {}
    if shows(conn, kind, "email"):
        values["email"] = account_email(conn)
    errors = st.session_state.get(errors_key(prefix)) or {}
    everyday = [name for name in EVERYDAY_FIELDS if shows(conn, kind, name)]
    if everyday:
        with st.expander(MORE_OPTIONS, expanded=any(name in errors for name in everyday)):
            for name in everyday:
                if name == "model":
                    values[name] = _model_input(prefix, caps)
                else:
                    values[name] = _scene_input(prefix, name)
    if state.developer_options():
        values.update(developer_inputs(conn, prefix, kind))
    return values


def developer_inputs(conn: Connection, prefix: str, kind: str) -> dict[str, Any]:
    """The "For developers" section: the wait, jobs at once, webhook fields and the account,
    labelled in words, with the API's names in their help."""
    caps = capabilities(conn)
    shown = [name for name in DEVELOPER_FIELDS if shows(conn, kind, name)]
    account = shows(conn, kind, "email") and conn.shows_account and conn.needs_email
    if not shown and not account:
        return {}
    values: dict[str, Any] = {}
    with st.expander(FOR_DEVELOPERS, expanded=True):
        st.caption(DEVELOPER_CAPTION)
        for name in shown:
            if name == "poll_for_result":
                values[name] = _wait_input(prefix, caps) or None
            elif name == "max_jobs":
                values[name] = _max_jobs_input(prefix, caps)
            elif name == "webhook_secret":
                values[name] = _secret_input(prefix, caps, name)
            elif name == "reply_ref":
                values[name] = _text_input(prefix, caps, name, "Webhook tag", None, TAG_HELP)
            else:  # a webhook address
                values[name] = _text_input(
                    prefix, caps, name, "Webhook address", "https://example.com/hook", HOOK_HELP
                )
        if account:
            spec = caps.spec("email")
            st.caption(
                f"Account: {conn.email} (pick another in the sidebar). "
                f"API name: `{spec.wire or 'email'}`."
            )
    return values


HOOK_HELP = "The service calls this address when the picture is ready."
TAG_HELP = "Your own label, sent back with the webhook call."
WAIT_HELP = (
    "How long the service holds the request open for the result. "
    "The app keeps checking by itself afterwards."
)
JOBS_HELP = "How many of your pictures the service makes at the same time."
SECRET_HELP = "Sent along so your server can check that a webhook call is genuine."


def api_help(caps: Capabilities, name: str, words: str) -> str:
    """A developer field's help: what it does, then its name in the API."""
    wire = caps.spec(name).wire
    return f"{words} API name: `{wire}`." if wire else words


def _scene_input(prefix: str, name: str) -> str | None:
    label, example = SCENE_WORDS[name]
    text = st.text_input(f"{label} (optional)", key=f"{prefix}_{name}", placeholder=example)
    return text or None


def _text_input(
    prefix: str, caps: Capabilities, name: str, label: str, placeholder: str | None, words: str
) -> str | None:
    text = st.text_input(
        caps.spec(name).label or label,
        key=f"{prefix}_{name}",
        placeholder=placeholder,
        help=api_help(caps, name, words),
    )
    field_error(prefix, name)
    return text or None


def _secret_input(prefix: str, caps: Capabilities, name: str) -> str | None:
    text = st.text_input(
        caps.spec(name).label or "Webhook secret",
        key=f"{prefix}_{name}",
        type="password",
        help=api_help(caps, name, SECRET_HELP),
    )
    field_error(prefix, name)
    return text or None


def _wait_input(prefix: str, caps: Capabilities) -> int:
    spec = caps.spec("poll_for_result")
    low, high = spec.low or 1, spec.high or DEFAULT_WAIT
    choices = [NO_WAIT, *range(low, high + 1)]
    st.session_state.setdefault(
        f"{prefix}_wait", DEFAULT_WAIT if DEFAULT_WAIT in choices else NO_WAIT
    )
    wait: int = st.selectbox(
        spec.label or "Wait for the picture in the request",
        choices,
        key=f"{prefix}_wait",
        format_func=wait_labeller(spec.step_seconds),
        help=api_help(caps, "poll_for_result", WAIT_HELP),
    )
    field_error(prefix, "poll_for_result")
    return wait


def _max_jobs_input(prefix: str, caps: Capabilities) -> int | None:
    spec = caps.spec("max_jobs")
    max_jobs = st.number_input(
        spec.label or "Most jobs at once",
        min_value=spec.low,
        max_value=spec.high,
        value=None,
        step=1,
        key=f"{prefix}_max_jobs",
        placeholder="Account default",
        help=api_help(caps, "max_jobs", JOBS_HELP),
    )
    field_error(prefix, "max_jobs")
    return None if max_jobs is None else int(max_jobs)


def _model_input(prefix: str, caps: Capabilities) -> str | None:
    model = st.selectbox(
        "Model", caps.models, key=f"{prefix}_model", format_func=model_labeller(caps)
    )
    field_error(prefix, "model")
    return None if model == caps.default_model else model
