"""The connection: which backend, which token, which account. Shared by every page."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from components import state
from components.account_reads import (
    CHECKING as CHECKING,
    accounts as _accounts,
    await_accounts as _await_accounts,
)

# Re-exported: pages and tests reach the process's resources through the connection.
from components.resources import (
    DemoBackend as DemoBackend,
    demo_backend as demo_backend,
    history_store as history_store,
    job_runner as job_runner,
    runner as runner,
    settings as settings,
    store as store,
    task_runner as task_runner,
    tasks as tasks,
    usage as usage,
    usage_counter as usage_counter,
)
from components.visitor import visitor_id
from kontextlab import links, tokens
from kontextlab.accounts import account_key, account_secret
from kontextlab.config import Settings
from kontextlab.providers import Provider, capabilities, connect, registry
from kontextlab.visitors import Limits, Mode, Scope, scope_for

log = logging.getLogger(__name__)

DEMO_BANNER = (
    "**Demo mode:** images are drawn locally by the built-in emulator; add a Black Forest Labs "
    "API key (or a useapi.net token) to generate with FLUX.1 Kontext. Your demo pictures are "
    "yours alone: other visitors don't see them."
)
SETTINGS_TOKEN = "The token in the app's settings (USEAPI_TOKEN)"
SETTINGS_BFL_KEY = "The key in the app's settings (BFL_API_KEY)"
UNENCRYPTED = (
    "The API address {url} starts with http://, so the token would travel over the network "
    "unencrypted. Use an https:// address in USEAPI_BASE_URL."
)
BFL_UNENCRYPTED = (
    "The API address {url} starts with http://, so the key would travel over the network "
    "unencrypted. Use an https:// address in BFL_BASE_URL."
)
SERVICE_LABEL = "Image service"
# The services the sidebar offers, in its order (provider names of the registry); the
# registry's default one comes first.
SERVICES = ("ltx", "bfl")


def services() -> tuple[str, ...]:
    return (registry.DEFAULT, *(name for name in SERVICES if name != registry.DEFAULT))


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
    # The other services connected in this run, in the same history scope (by provider name):
    # what re-runs a row another service made.
    others: dict[str, Provider] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The chosen service's provider name ("ltx", "bfl")."""
        return self.provider.capabilities.name

    def provider_for(self, name: str | None) -> Provider | None:
        """The connected provider of that name (the chosen one for None), or None when that
        service is not connected now."""
        if name is None or name == self.name:
            return self.provider
        return self.others.get(name)

    @property
    def providers(self) -> list[Provider]:
        """Every provider connected in this run, the chosen one first."""
        return [self.provider, *self.others.values()]

    @property
    def balance(self) -> float | None:
        """Credits left on the chosen account (on a service without accounts, its own)."""
        return self.balances.get(self.email or "")

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
        """A request body as this visitor may see it: no secret's value, and without a
        deployer's account."""
        payload = self.provider.capabilities.masked(payload)
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


def _provider(name: str, base_url: str, token: str) -> Provider:
    # One provider (one requests.Session) per browser session and backend.
    cache = state.clients()
    key = (name, base_url, account_key(token))
    if key not in cache:
        cache[key] = connect(name, base_url, token)
    provider: Provider = cache[key]
    return provider


def _configured(name: str, config: Settings) -> tuple[str | None, str | None]:
    """A service's key from the app's settings, read as people paste them: (the key, or
    None; a sentence when one is set but cannot be sent)."""
    raw, what = (
        (config.bfl_key, SETTINGS_BFL_KEY) if name == "bfl" else (config.token, SETTINGS_TOKEN)
    )
    if not raw:
        return None, None
    read = tokens.read_token(raw, what)
    return read.token, read.problem


def _base_url(name: str, config: Settings) -> str:
    return config.bfl_base_url if name == "bfl" else config.base_url


def _service_picker(config: Settings) -> str:
    """The image service to use: remembered for the session. A deployment with only a BFL
    key starts on BFL; otherwise useapi.net comes first, as it always has."""
    if state.chosen_provider() not in services():
        only_bfl = bool(config.bfl_key) and not config.token
        st.session_state[state.PROVIDER] = "bfl" if only_bfl else services()[0]
    name: str = st.sidebar.radio(
        SERVICE_LABEL,
        services(),
        key=state.PROVIDER,
        format_func=lambda n: capabilities(n).label,
        help="Which service makes the pictures. Each has its own key; without one, the demo "
        "draws them locally.",
    )
    return name


def _token_input(config: Settings, name: str = "ltx") -> tuple[str | None, str]:
    """The chosen service's token (or key) and where it came from, rendered in the sidebar.

    Tokens are read as people paste them (kontextlab.tokens): invisible characters are
    dropped; a token that still cannot be sent is explained here and not used."""
    bfl = name == "bfl"
    base_url = _base_url(name, config)
    if links.sends_token_unencrypted(base_url):
        warning = BFL_UNENCRYPTED if bfl else UNENCRYPTED
        st.sidebar.warning(warning.format(url=links.display_url(base_url)))
    configured, problem = _configured(name, config)
    if configured:
        st.sidebar.caption(
            "API key: configured in secrets." if bfl else "API token: configured in secrets."
        )
        return configured, "secrets"
    if problem:
        st.sidebar.error(problem, icon=":material/key_off:")
    if bfl:
        typed = st.sidebar.text_input(
            "Black Forest Labs API key",
            type="password",
            key=state.PASTED_KEYS["bfl"],
            help="Kept only in this browser session. Get one at dashboard.bfl.ai (API keys). "
            "Leave empty to use the demo.",
            placeholder="Paste your key to use FLUX.1 Kontext",
        )
    else:
        typed = st.sidebar.text_input(
            "useapi.net API token",
            type="password",
            key=state.PASTED_KEYS["ltx"],
            help="Kept only in this browser session. Leave empty to use the demo.",
            placeholder="Paste your token to use FLUX.1 Kontext",
        )
    pasted = tokens.read_token(typed, "The key" if bfl else "The token")
    if pasted.problem:
        st.sidebar.error(pasted.problem, icon=":material/key_off:")
    return pasted.token, "typed"


def _others(name: str, source: str, config: Settings) -> dict[str, Provider]:
    """The other services connected in the same history scope: in the demo, the other demo;
    with a deployer's key, the other key the deployer configured. A key the visitor pasted
    has its own history, so the other service's pasted key is not in it."""
    others: dict[str, Provider] = {}
    for other in services():
        if other == name:
            continue
        if source == "demo":
            others[other] = _provider(other, *demo_backend().of(other))
        elif source == "secrets":
            key, _ = _configured(other, config)
            if key:
                others[other] = _provider(other, _base_url(other, config), key)
    return others


def _scope_token(source: str, token: str, config: Settings) -> str:
    """The token whose key scopes the history: one per deployment, so a visitor sees their
    pictures of every service it offers (the demo's token for both demos; the deployer's
    useapi.net token, else its BFL key); a pasted key scopes its own."""
    if source == "demo":
        return demo_backend().token
    if source == "secrets":
        for name in services():
            key, _ = _configured(name, config)
            if key:
                return key
    return token


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
    state.keep_provider_choice()
    state.keep_developer_options()
    name = _service_picker(config)
    token, source = _token_input(config, name)
    use_demo = not token or st.sidebar.toggle(
        "Use the demo instead",
        key="conn_use_demo",
        help="Try the app with the built-in emulator; no credits are spent.",
    )
    if use_demo or not token:  # the same test (use_demo covers no token), said for the checker
        base_url, token = demo_backend().of(name)
        source = "demo"
    else:
        base_url = _base_url(name, config)
    mode = _mode(source, use_demo, config)
    secret = config.account_secret.encode() if config.account_secret else None
    token_key = account_key(_scope_token(source, token, config), secret)
    who = visitor_id() if mode.per_visitor else None
    if mode.per_visitor and who is None:
        return None
    scope = scope_for(token_key, mode, who, secret or account_secret())
    provider = _provider(name, base_url, token)
    # The account read is cached by the key of the token it reads, never the token itself.
    read_key = account_key(token, secret)
    info = _accounts(provider, base_url, read_key)
    emails, balances, problem = info or ([], {}, None)
    conn = Connection(
        provider, scope.key, use_demo, base_url, emails, None, balances, problem, scope
    )
    conn.accounts_known = info is not None
    conn.others = _others(name, source, config)
    if info is None:
        _await_accounts(provider, base_url, read_key)
    conn.limits = _limits(mode, config)
    _account_picker(conn, config)
    _balance_line(conn)
    _allowance(conn)
    _developer_switch()
    if use_demo:
        st.info(DEMO_BANNER, icon=":material/science:")
    elif problem:
        st.sidebar.error(problem)
    return conn


DEVELOPER_HELP = (
    "Shows the request's finer settings (waiting, jobs at once, webhooks), the names the "
    "service's API gives them, and the request itself. Everyday use needs none of them."
)
DEVELOPER_NOTE = (
    "The developer settings on Create and Edit are sent only while this is on; turned off, "
    "the service's own defaults apply."
)


def _developer_switch() -> None:
    """The "Developer options" switch (remembered for the session, off at first)."""
    on = st.sidebar.toggle("Developer options", key=state.DEV_OPTIONS, help=DEVELOPER_HELP)
    if on:
        st.sidebar.caption(DEVELOPER_NOTE)


def _allowance(conn: Connection) -> None:
    """A visitor of a shared token sees their own balance: today's images left."""
    if conn.scope is None or not conn.mode.per_visitor:
        return
    left = usage().allowance(conn.scope, conn.limits)
    sentence = left.sentence() if left else None
    if sentence:
        st.sidebar.caption(f"Demo: {sentence}" if conn.demo else sentence)


def credits_text(credits: float, dollars_per_credit: float | None) -> str:
    """ "396 credits ($3.96)": credits, and dollars where the service prices its credits."""
    amount = (
        f"{credits:,.0f} credits"
        if credits >= 10 or credits == int(credits)
        else f"{credits:,.2f} credits"
    )
    if dollars_per_credit is None:
        return amount
    return f"{amount} (${credits * dollars_per_credit:,.2f})"


def _balance_line(conn: Connection) -> None:
    """The balance of a service without accounts (BFL's credits), for whoever pays it: the
    visitor's own key, a team. A deployer's stays unsaid; the demo's is play money."""
    if conn.emails or "" not in conn.balances or not conn.shows_account or conn.demo:
        return
    balance = conn.balances[""]
    if balance is None:
        st.sidebar.caption("Balance: unknown.")
        return
    text = credits_text(balance, conn.provider.capabilities.dollars_per_credit)
    st.sidebar.caption(f"Balance: {text}")


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
