"""The form's Advanced section: the wait, parallel jobs, webhook, model, scene and account
fields, each drawn only where the connected provider takes it for the page's kind of job."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from components.connection import Connection
from components.form import NO_WAIT, capabilities, errors_key, field_error, shows
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
# The fields the Advanced section draws (when the provider accepts them for the kind).
ADVANCED_FIELDS: tuple[str, ...] = (
    *("poll_for_result", "max_jobs", "reply_url", "reply_ref", "webhook_url", "webhook_secret"),
    "model",
    *SCENE_FIELDS,
    "email",
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


def model_label(model: str) -> str:
    return model_name(model)


def wait_labeller(step_seconds: float | None) -> Callable[[int], str]:
    def wait_label(ticks: int) -> str:
        if ticks == NO_WAIT:
            return "Don't wait (return at once)"
        return f"Up to {ticks * (step_seconds or 1):g} s"

    return wait_label


def advanced_inputs(conn: Connection, prefix: str, kind: str) -> dict[str, Any]:
    """The wait, parallel jobs, webhook, model, scene and account fields the provider takes
    for this kind (an empty dict, and no section, when it takes none of them)."""
    shown = [name for name in ADVANCED_FIELDS if shows(conn, kind, name)]
    if not shown:
        return {}
    caps = capabilities(conn)
    values: dict[str, Any] = {}
    with st.expander("Advanced", expanded=bool(st.session_state.get(errors_key(prefix)))):
        for name in shown:
            if name == "poll_for_result":
                values[name] = _wait_input(prefix, caps) or None
            elif name == "max_jobs":
                values[name] = _max_jobs_input(prefix, caps)
            elif name in ("reply_url", "webhook_url"):
                values[name] = _text_input(
                    prefix, caps, name, "Webhook URL", "https://example.com/hook"
                )
            elif name == "webhook_secret":
                values[name] = _secret_input(prefix, name)
            elif name == "reply_ref":
                values[name] = _text_input(prefix, caps, name, "Webhook reference", None)
            elif name == "model":
                values[name] = _model_input(prefix, caps)
            elif name == "email":
                values[name] = _email_input(prefix, conn)
            else:  # a scene field
                values[name] = _text_input(prefix, caps, name, name.capitalize(), "optional")
    return values


def _text_input(
    prefix: str, caps: Capabilities, name: str, label: str, placeholder: str | None
) -> str | None:
    text = st.text_input(
        caps.spec(name).label or label, key=f"{prefix}_{name}", placeholder=placeholder
    )
    if name not in SCENE_FIELDS:
        field_error(prefix, name)
    return text or None


def _secret_input(prefix: str, name: str) -> str | None:
    text = st.text_input(
        "Webhook secret",
        key=f"{prefix}_{name}",
        type="password",
        help="Sent along so your server can check that a webhook call is genuine.",
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
        spec.label or "Wait inside the request",
        choices,
        key=f"{prefix}_wait",
        format_func=wait_labeller(spec.step_seconds),
        help="How long the server holds the request open for the result. "
        "The app keeps checking by itself afterwards.",
    )
    field_error(prefix, "poll_for_result")
    return wait


def _max_jobs_input(prefix: str, caps: Capabilities) -> int | None:
    spec = caps.spec("max_jobs")
    max_jobs = st.number_input(
        spec.label or "Max parallel jobs",
        min_value=spec.low,
        max_value=spec.high,
        value=None,
        step=1,
        key=f"{prefix}_max_jobs",
        placeholder="Account default",
    )
    field_error(prefix, "max_jobs")
    return None if max_jobs is None else int(max_jobs)


def _model_input(prefix: str, caps: Capabilities) -> str | None:
    model = st.selectbox(
        "Model", caps.models, key=f"{prefix}_model", format_func=model_labeller(caps)
    )
    field_error(prefix, "model")
    return None if model == caps.default_model else model


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
