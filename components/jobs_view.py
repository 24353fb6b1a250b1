"""Jobs on a page: send one (counted, recorded, refused with a sentence), send it again, move
it to another page, and follow the jobs this browser session started."""

from __future__ import annotations

from typing import Any

import streamlit as st

from components import connection, form, state, stored
from components.connection import Connection
from components.reference import choose_result
from kontextlab.history import HistoryStore, JobRecord
from kontextlab.jobs import TooManyJobs
from kontextlab.providers import InvalidRequest, PreparedRequest, Provider
from kontextlab.untrusted import plain
from kontextlab.visitors import LimitReached
from kontextlab.vocabulary import ACTIVE_STATES, JobState

FOLLOWED_STATES = (*ACTIVE_STATES, JobState.UNKNOWN)
FINISHED_STATES = (JobState.COMPLETED, JobState.FAILED, JobState.UNKNOWN, JobState.STOPPED)
SEED_LIMIT = 50  # in-flight rows a new session picks up


def submit(
    conn: Connection,
    request: PreparedRequest,
    parent_id: str | None = None,
    provider: Provider | None = None,
) -> str | None:
    """Count, record and send a prepared job (with `provider`, else the chosen one). Returns
    its row id, or None (with a sentence) when a daily limit would be passed, or too many
    jobs are already on the way; nothing is then sent."""
    try:
        reservation = connection.usage().reserve(conn.scope, conn.limits) if conn.scope else None
    except LimitReached as exc:
        state.set_refusal(str(exc))
        st.toast(str(exc), icon=":material/block:")
        return None
    try:
        row_id = connection.runner().submit(
            provider or conn.provider,
            request,
            account_key=conn.account_key,
            parent_id=parent_id,
            payer=conn.scope.billing if conn.scope else None,  # whose upstream account
        )
        state.clear_refusal()
        state.follow(conn.account_key, row_id, request.kind)
        return row_id
    except InvalidRequest as exc:
        connection.usage().release(reservation)
        st.toast(f"Not sent: {plain(exc)}", icon=":material/error:")
    except TooManyJobs as exc:
        connection.usage().release(reservation)
        st.toast(f"Not sent: {exc}", icon=":material/hourglass_top:")
    return None


def allowance_line(conn: Connection) -> None:
    """What the visitor may still make today, and why the last click was refused."""
    refusal = state.refusal()  # kept until a click sends something
    if refusal:
        st.error(refusal, icon=":material/block:")
    if conn.scope is None:
        return
    allowance = connection.usage().allowance(conn.scope, conn.limits)
    sentence = allowance.sentence() if allowance else None
    if sentence:
        st.caption(sentence)


def send_form(
    prefix: str,
    conn: Connection,
    request: PreparedRequest | InvalidRequest,
    parent_id: str | None = None,
) -> None:
    """The page's main button: show what is wrong under each field, or send the job (as
    `form.prepare` made it for this run: it is not validated again)."""
    if isinstance(request, InvalidRequest):
        form.set_errors(prefix, request)
        st.rerun()
    form.set_errors(prefix, None)
    if submit(conn, request, parent_id=parent_id):
        st.toast("Started. The picture appears under Results when it is ready.")
    elif state.refusal():
        st.rerun()  # show the sentence above the button


def chosen_settings(record: JobRecord) -> dict[str, Any]:
    """A job's settings as form fields (by field name), without the runner's tag (the row
    id): not a user's setting. {} for a kind or provider the app has no rules for."""
    rules = stored.rules_of(record)
    untagged = rules.without_tag(record.request, record.id) if rules else record.request
    fields = stored.fields(record, untagged)
    caps = stored.capabilities_of(record)
    if fields and record.model in caps.models and caps.accepts(record.kind, "model"):
        fields.setdefault("model", record.model)  # kept beside the body (BFL: the endpoint)
    return fields


def rerun(conn: Connection, record: JobRecord, vary: bool = False) -> str | None:
    """Send a job again with the provider that made it and its model: the same settings and
    the seed it used, or a new random seed."""
    seed = form.new_random_seed() if vary else record.seed
    provider = conn.provider_for(record.provider)
    if provider is None:
        label = stored.capabilities_of(record).label
        st.toast(not_connected(label), icon=":material/link_off:")
        return None
    try:
        if stored.rules_of(record) is None or record.kind not in provider.capabilities.kinds:
            raise KeyError(record.kind)  # a provider or kind the app cannot send again
        fields = chosen_settings(record)
        if seed is not None and record.kind != "upscale":
            fields["seed"] = seed
        request = provider.prepare(record.kind, fields)
    except InvalidRequest as exc:
        st.toast(f"Not sent: {plain(exc)}", icon=":material/error:")
        return None
    except (KeyError, TypeError):
        st.toast("This job's settings cannot be sent again.", icon=":material/error:")
        return None
    return submit(conn, request, parent_id=record.parent_id, provider=provider)


def not_connected(label: str) -> str:
    return (
        f"Not sent: this job was made with {label}, which is not connected now. Choose it "
        "in the sidebar (with its key) to send it again."
    )


def rerun_clicked(conn: Connection, record: JobRecord, vary: bool) -> None:
    """`rerun` as a button callback (a widget callback returns nothing)."""
    rerun(conn, record, vary)


def go_edit(record: JobRecord) -> None:
    choose_result("edit", record.id)
    state.ask_goto("edit")


def send_settings(prefix: str, record: JobRecord, *, go: bool = False) -> None:
    """Load a job's settings, and the picture it started from, into a page's form."""
    form.restore_later(prefix, chosen_settings(record), record.seed)
    started_from = stored.fields(record)
    if record.parent_id and (started_from.get("reference_asset_id") or started_from.get("picture")):
        choose_result(prefix, record.parent_id)
    if go:
        state.ask_goto(prefix)


def check_account(conn: Connection, record: JobRecord) -> None:
    try:
        started = connection.runner().check_account(conn.provider, record.id, conn.account_key)
    except TooManyJobs as exc:
        st.toast(str(exc), icon=":material/hourglass_top:")
        return
    if started:
        state.follow(conn.account_key, record.id, record.kind)
        st.toast("Looking for this job among your account's jobs…")


def follow_goto() -> None:
    """Switch page when an action asked for it (callbacks cannot switch pages themselves)."""
    target = state.take_goto()
    if target:
        from components.frame import page_link

        st.switch_page(page_link(target))


# ---------------------------------------------------------------- followed jobs


def records_by_id(store: HistoryStore, account_key: str, ids: list[str]) -> dict[str, JobRecord]:
    """Rows of `ids` in this scope, in one scoped query."""
    return store.records(account_key, ids) if ids else {}


def seed_followed(conn: Connection) -> None:
    """A new session follows the jobs already in flight in its scope (kinds and states
    chosen in SQL)."""
    if not state.needs_seeding(conn.account_key):
        return
    store = connection.store()
    for record in store.list(conn.account_key, statuses=FOLLOWED_STATES, limit=SEED_LIMIT):
        state.follow(conn.account_key, record.id, record.kind)


def in_flight_rows(conn: Connection, kinds: list[str] | None) -> list[JobRecord]:
    """The followed jobs of `kinds` still in flight (or being looked for), oldest first; the
    ones that ended are followed no more. One scoped query, none when nothing is followed."""
    ids = state.followed(conn.account_key, kinds)
    if not ids:
        return []
    found = records_by_id(connection.store(), conn.account_key, ids)
    runner = connection.runner()
    rows = [found[i] for i in ids if i in found]
    live = [r for r in rows if r.is_active or runner.is_running(r.id)]
    state.unfollow(conn.account_key, [i for i in ids if i not in {r.id for r in live}])
    return live


def recent_results(conn: Connection, kinds: list[str], limit: int = 6) -> list[JobRecord]:
    """The newest finished jobs of `kinds` (kinds and states chosen in SQL)."""
    return connection.store().list(
        conn.account_key, kinds=kinds, statuses=FINISHED_STATES, limit=limit
    )


def remember_last_seed(conn: Connection, kinds: list[str], prefix: str) -> None:
    """Feed "Reuse last seed" before the form is drawn."""
    for record in recent_results(conn, kinds, limit=1):
        if record.seed is not None:
            state.set_last_seed(prefix, record.seed)
