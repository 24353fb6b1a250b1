"""The connection: which backend, which token, which account. Shared by every page."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import streamlit as st

from kontextlab import api
from kontextlab.accounts import account_key
from kontextlab.config import Settings, load_settings
from kontextlab.history import HistoryStore
from kontextlab.jobs import JobRunner, RunnerSettings

log = logging.getLogger(__name__)

DEMO_BANNER = (
    "**Demo mode:** images are drawn locally by the built-in emulator; add a useapi.net token "
    "to generate with FLUX.1 Kontext. Everyone using this demo shares its history."
)
DEMO_JOB_SECONDS = 4.0


@dataclass
class Connection:
    client: api.Client
    account_key: str
    demo: bool
    base_url: str
    emails: list[str] = field(default_factory=list)
    email: str | None = None  # the account picked, when several are configured
    balances: dict[str, float | None] = field(default_factory=dict)
    problem: str | None = None  # a plain sentence when the connection does not work

    @property
    def needs_email(self) -> bool:
        return len(self.emails) > 1


def settings() -> Settings:
    return load_settings(lambda: st.secrets)


@st.cache_resource(show_spinner=False)
def history_store(url: str) -> HistoryStore:
    return HistoryStore(url)


@st.cache_resource(show_spinner=False)
def job_runner(url: str) -> JobRunner:
    # KONTEXTLAB_POLL_INTERVAL lets tests and benchmarks follow jobs faster than once a second.
    interval = float(os.environ.get("KONTEXTLAB_POLL_INTERVAL") or RunnerSettings.poll_interval)
    budget = settings().image_budget_bytes
    return JobRunner(
        history_store(url), RunnerSettings(poll_interval=interval, image_budget_bytes=budget)
    )


@st.cache_resource(show_spinner="Starting the demo emulator…")
def demo_backend() -> tuple[str, str]:
    """Start the bundled emulator once per server process; returns (base_url, token)."""
    from kontextlab.emulator import DEMO_TOKEN, Emulator, EmulatorConfig

    seconds = float(os.environ.get("KONTEXTLAB_DEMO_JOB_SECONDS") or DEMO_JOB_SECONDS)
    emulator = Emulator(EmulatorConfig.demo(job_seconds=seconds))
    return emulator.start(), DEMO_TOKEN


def store() -> HistoryStore:
    return history_store(settings().database_url)


def runner() -> JobRunner:
    return job_runner(settings().database_url)


def _client(base_url: str, token: str) -> api.Client:
    # One Client (one requests.Session) per browser session and backend.
    cache = st.session_state.setdefault("_clients", {})
    key = (base_url, account_key(token))
    if key not in cache:
        cache[key] = api.Client(base_url, token)
    return cache[key]


@st.cache_data(ttl=120, show_spinner=False)
def _accounts(
    _client: api.Client, base_url: str, key: str
) -> tuple[list[str], dict[str, float | None], str | None]:
    """Account emails and balances for one token (cached per account key, never per token)."""
    try:
        emails = sorted(_client.accounts())
    except api.ApiError as exc:
        return [], {}, exc.user_message
    balances: dict[str, float | None] = {}
    for email in emails[:10]:
        try:
            balances[email] = _client.balance(email)
        except api.ApiError:
            balances[email] = None
    return emails, balances, None


def _token_input(config: Settings) -> tuple[str | None, str]:
    """The token to use and where it came from, rendered in the sidebar."""
    if config.token:
        st.sidebar.caption("API token: configured in secrets.")
        return config.token, "secrets"
    typed = st.sidebar.text_input(
        "useapi.net API token",
        type="password",
        key="conn_token",
        help="Kept only in this browser session. Leave empty to use the demo.",
        placeholder="Paste your token to use FLUX.1 Kontext",
    )
    return (typed.strip() or None), "typed"


def render_sidebar() -> Connection:
    """Draw the connection panel and return the connection for this run."""
    config = settings()
    st.sidebar.subheader("Connection")
    token, _source = _token_input(config)
    use_demo = not token or st.sidebar.toggle(
        "Use the demo instead",
        key="conn_use_demo",
        help="Try the app with the built-in emulator; no credits are spent.",
    )
    if use_demo:
        base_url, token = demo_backend()
        demo = True
    else:
        base_url, demo = config.base_url, False
    client = _client(base_url, token)
    key = account_key(token)
    emails, balances, problem = _accounts(client, base_url, key)
    conn = Connection(client, key, demo, base_url, emails, None, balances, problem)
    _account_picker(conn, config)
    if demo:
        st.info(DEMO_BANNER, icon=":material/science:")
    elif problem:
        st.sidebar.error(problem)
    return conn


def _account_picker(conn: Connection, config: Settings) -> None:
    if not conn.emails:
        return

    def label(email: str) -> str:
        balance = conn.balances.get(email)
        return f"{email} ({balance:,.0f} credits)" if balance is not None else email

    if conn.needs_email:
        default = conn.emails.index(config.email) if config.email in conn.emails else 0
        conn.email = st.sidebar.selectbox(
            "LTX Studio account", conn.emails, index=default, format_func=label, key="conn_email"
        )
    else:
        conn.email = conn.emails[0]
        st.sidebar.caption(f"Account: {label(conn.email)}")


def current() -> Connection:
    """The connection drawn by the frame in this run (pages call this)."""
    return st.session_state["_connection"]
