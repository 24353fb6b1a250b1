"""The connection: which backend, which token, which account. Shared by every page."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from components import state
from components.visitor import visitor_id
from kontextlab import links, tokens
from kontextlab.accounts import account_key, account_secret
from kontextlab.config import Settings, load_settings
from kontextlab.history import HistoryStore
from kontextlab.jobs import JobRunner, RunnerSettings
from kontextlab.providers import Provider, ProviderError, connect
from kontextlab.tasks import Busy, Task, TaskRunner, TaskState
from kontextlab.visitors import Limits, Mode, Scope, Usage, scope_for

log = logging.getLogger(__name__)

DEMO_BANNER = (
    "**Demo mode:** images are drawn locally by the built-in emulator; add a useapi.net token "
    "to generate with FLUX.1 Kontext. Your demo pictures are yours alone: other visitors "
    "don't see them."
)
DEMO_JOB_SECONDS = 4.0
SETTINGS_TOKEN = "The token in the app's settings (USEAPI_TOKEN)"
UNENCRYPTED = (
    "The API address {url} starts with http://, so the token would travel over the network "
    "unencrypted. Use an https:// address in USEAPI_BASE_URL."
)
ACCOUNTS_TTL_SECONDS = 120.0  # account list and balances are read again after this
ACCOUNTS_WAIT_SECONDS = 0.5  # what a run waits for them before saying "checking…"
ACCOUNTS_TICK_SECONDS = 0.5
CHECKING = "Account: checking…"
AccountInfo = tuple[list[str], dict[str, float | None], str | None]


@dataclass
class Connection:
    provider: Provider
    account_key: str  # the history scope: the token's, or the visitor's on a shared token
    demo: bool
    base_url: str
    emails: list[str] = field(default_factory=list)
    email: str | None = None  # the account picked, when several are configured
    balances: dict[str, float | None] = field(default_factory=dict)
    problem: str | None = None  # a plain sentence when the connection does not work
    scope: Scope | None = None
    limits: Limits = field(default_factory=Limits)
    accounts_known: bool = True  # False while the account list is still being read

    @property
    def needs_email(self) -> bool:
        return len(self.emails) > 1

    @property
    def mode(self) -> Mode:
        return self.scope.mode if self.scope else Mode.TYPED

    @property
    def shows_account(self) -> bool:
        """Visitors of a deployer's token never see its account email or balance."""
        return self.mode in (Mode.TYPED, Mode.TEAM)

    def visible(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A request body as this visitor may see it: without a deployer's account."""
        if self.shows_account:
            return payload
        return self.provider.without_account(payload)

    def visible_fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        """A request's form fields as this visitor may see them: without a deployer's account."""
        if self.shows_account:
            return fields
        return {k: v for k, v in fields.items() if k != "email"}

    @property
    def can_sync(self) -> bool:
        """ "Sync from account" pulls the whole account: only for its owner or a team."""
        return self.mode in (Mode.TYPED, Mode.TEAM)


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
    # No webhook leaves the demo: visitors are strangers, and a webhook could point anywhere
    # the server reaches. The pages say where it would have gone instead.
    emulator = Emulator(EmulatorConfig.demo(job_seconds=seconds, allow_webhook_hosts=()))
    return emulator.start(), DEMO_TOKEN


@st.cache_resource(show_spinner=False)
def usage_counter(url: str) -> Usage:
    return Usage(history_store(url).engine)


@st.cache_resource(show_spinner=False)
def task_runner() -> TaskRunner:
    return TaskRunner()


def tasks() -> TaskRunner:
    """Background work of pages (network calls that must not hold a run)."""
    return task_runner()


def store() -> HistoryStore:
    return history_store(settings().database_url)


def usage() -> Usage:
    return usage_counter(settings().database_url)


def runner() -> JobRunner:
    return job_runner(settings().database_url)


def _provider(base_url: str, token: str) -> Provider:
    # One provider (one requests.Session) per browser session and backend.
    cache = state.clients()
    key = (base_url, account_key(token))
    if key not in cache:
        cache[key] = connect(None, base_url, token)
    provider: Provider = cache[key]
    return provider


def _read_accounts(provider: Provider) -> AccountInfo:
    """Account emails and balances for one token (runs in a background task)."""
    try:
        emails = sorted(provider.accounts())
    except ProviderError as exc:
        return [], {}, exc.user_message
    balances: dict[str, float | None] = {}
    for email in emails[:10]:
        try:
            balances[email] = provider.balance(email)
        except ProviderError:
            balances[email] = None
    return emails, balances, None


def _accounts_task(provider: Provider, base_url: str, key: str) -> tuple[Task | None, bool]:
    """The read of this token's accounts, and whether this call started it: cached per token
    fingerprint (`key`, never the token) for a short while, read again after that."""
    name = f"accounts:{base_url}"
    task = tasks().get(key, name)
    if task is not None and (task.running or task.age() < ACCOUNTS_TTL_SECONDS):
        return task, False
    try:
        return tasks().start(key, name, lambda _: _read_accounts(provider)), True
    except Busy:
        return task, False


def _accounts(provider: Provider, base_url: str, key: str) -> AccountInfo | None:
    """The account list and balances, or None while they are still on their way (a run
    waits for them only within its network budget)."""
    task, started = _accounts_task(provider, base_url, key)
    if task is None:
        return None
    if task.running and started:  # later runs do not wait again: the sidebar says "checking…"
        task.wait(state.network_time_left(ACCOUNTS_WAIT_SECONDS))
    if task.running:
        return None
    if task.state is TaskState.FAILED:
        return [], {}, task.error
    info: AccountInfo = task.result
    return info


def _await_accounts(provider: Provider, base_url: str, key: str) -> None:
    """Say "checking…" in the sidebar until the accounts are known, then draw them."""

    @st.fragment(run_every=ACCOUNTS_TICK_SECONDS)
    def tick() -> None:
        task, _ = _accounts_task(provider, base_url, key)
        if task is None or not task.running:
            st.rerun()
        st.caption(CHECKING)

    with st.sidebar:
        tick()


def _token_input(config: Settings) -> tuple[str | None, str]:
    """The token to use and where it came from, rendered in the sidebar.

    Tokens are read as people paste them (kontextlab.tokens): invisible characters are
    dropped; a token that still cannot be sent is explained here and not used."""
    if links.sends_token_unencrypted(config.base_url):
        st.sidebar.warning(UNENCRYPTED.format(url=links.display_url(config.base_url)))
    if config.token:
        configured = tokens.read_token(config.token, SETTINGS_TOKEN)
        if configured.token:
            st.sidebar.caption("API token: configured in secrets.")
            return configured.token, "secrets"
        if configured.problem:
            st.sidebar.error(configured.problem, icon=":material/key_off:")
    typed = st.sidebar.text_input(
        "useapi.net API token",
        type="password",
        key="conn_token",
        help="Kept only in this browser session. Leave empty to use the demo.",
        placeholder="Paste your token to use FLUX.1 Kontext",
    )
    pasted = tokens.read_token(typed)
    if pasted.problem:
        st.sidebar.error(pasted.problem, icon=":material/key_off:")
    return pasted.token, "typed"


def _mode(source: str, demo: bool, config: Settings) -> Mode:
    if demo:
        return Mode.DEMO
    if source == "typed":
        return Mode.TYPED
    return Mode.TEAM if config.shared_history else Mode.DEPLOYER


def _limits(mode: Mode, config: Settings) -> Limits:
    if mode is Mode.DEMO:
        return Limits(per_visitor=config.demo_daily_limit, total=0)
    if mode in (Mode.DEPLOYER, Mode.TEAM):
        return Limits(per_visitor=config.visitor_daily_limit, total=config.daily_limit)
    return Limits(per_visitor=0, total=0)


def render_sidebar() -> Connection | None:
    """Draw the connection panel and return the connection for this run, or None while a
    shared token waits for the browser to say who the visitor is (first run only)."""
    config = settings()
    st.sidebar.subheader("Connection")
    token, source = _token_input(config)
    use_demo = not token or st.sidebar.toggle(
        "Use the demo instead",
        key="conn_use_demo",
        help="Try the app with the built-in emulator; no credits are spent.",
    )
    if use_demo or not token:  # the same test (use_demo covers no token), said for the checker
        base_url, token = demo_backend()
    else:
        base_url = config.base_url
    mode = _mode(source, use_demo, config)
    secret = config.account_secret.encode() if config.account_secret else None
    token_key = account_key(token, secret)
    who = visitor_id() if mode.per_visitor else None
    if mode.per_visitor and who is None:
        return None
    scope = scope_for(token_key, mode, who, secret or account_secret())
    provider = _provider(base_url, token)
    info = _accounts(provider, base_url, token_key)
    emails, balances, problem = info or ([], {}, None)
    conn = Connection(
        provider, scope.key, use_demo, base_url, emails, None, balances, problem, scope
    )
    conn.accounts_known = info is not None
    if info is None:
        _await_accounts(provider, base_url, token_key)
    conn.limits = _limits(mode, config)
    _account_picker(conn, config)
    _allowance(conn)
    if use_demo:
        st.info(DEMO_BANNER, icon=":material/science:")
    elif problem:
        st.sidebar.error(problem)
    return conn


def _allowance(conn: Connection) -> None:
    """A visitor of a shared token sees their own balance: today's images left."""
    if conn.scope is None or not conn.mode.per_visitor:
        return
    left = usage().allowance(conn.scope, conn.limits)
    sentence = left.sentence() if left else None
    if sentence:
        st.sidebar.caption(f"Demo: {sentence}" if conn.demo else sentence)


def _account_picker(conn: Connection, config: Settings) -> None:
    if not conn.emails:
        return
    if not conn.shows_account:
        # A deployer's accounts are theirs: use the configured one, say nothing about it.
        conn.email = config.email if config.email in conn.emails else conn.emails[0]
        if not conn.demo:
            st.sidebar.caption("Pictures are made with this app's own account.")
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
    return state.connection()
