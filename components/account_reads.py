"""The sidebar's account list and balances: read in a background task per token fingerprint,
cached for a short while, and never waited for longer than a run's network budget."""

from __future__ import annotations

import streamlit as st

from components import state
from components.resources import tasks
from kontextlab.providers import Provider, ProviderError
from kontextlab.tasks import Busy, Task, TaskState

ACCOUNTS_TTL_SECONDS = 120.0  # account list and balances are read again after this
ACCOUNTS_WAIT_SECONDS = 0.5  # what a run waits for them before saying "checking…"
ACCOUNTS_TICK_SECONDS = 0.5
CHECKING = "Account: checking…"
AccountInfo = tuple[list[str], dict[str, float | None], str | None]


def read_accounts(provider: Provider) -> AccountInfo:
    """Account emails and balances for one token (runs in a background task). A service
    without accounts (BFL) has one balance, under ""."""
    try:
        emails = sorted(provider.accounts())
    except ProviderError as exc:
        return [], {}, exc.user_message
    balances: dict[str, float | None] = {}
    if not emails and provider.capabilities.dollars_per_credit is not None:
        try:
            balances[""] = provider.balance()
        except ProviderError as exc:
            return [], {}, exc.user_message
    for email in emails[:10]:
        try:
            balances[email] = provider.balance(email)
        except ProviderError:
            balances[email] = None
    return emails, balances, None


def _task(provider: Provider, base_url: str, key: str) -> tuple[Task | None, bool]:
    """The read of this token's accounts, and whether this call started it: cached per token
    fingerprint (`key`, never the token) for a short while, read again after that."""
    name = f"accounts:{base_url}"
    task = tasks().get(key, name)
    if task is not None and (task.running or task.age() < ACCOUNTS_TTL_SECONDS):
        return task, False
    try:
        return tasks().start(key, name, lambda _: read_accounts(provider)), True
    except Busy:
        return task, False


def accounts(provider: Provider, base_url: str, key: str) -> AccountInfo | None:
    """The account list and balances, or None while they are still on their way (a run
    waits for them only within its network budget)."""
    task, started = _task(provider, base_url, key)
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


def await_accounts(provider: Provider, base_url: str, key: str) -> None:
    """Say "checking…" in the sidebar until the accounts are known, then draw them."""

    @st.fragment(run_every=ACCOUNTS_TICK_SECONDS)
    def tick() -> None:
        task, _ = _task(provider, base_url, key)
        if task is None or not task.running:
            st.rerun()
        st.caption(CHECKING)

    with st.sidebar:
        tick()
