"""Several pictures from one click: how many, what the click costs, and the Generate row.

One click sends `n` jobs with consecutive seeds (s, s+1, …: s drawn once at the click when the
seed is Random, else the fixed one), each its own history row, grouped under one batch id.
Every job is counted against the daily limits before anything is sent: all or nothing.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from components import advanced, connection, form, jobs_view, state
from components.connection import Connection
from kontextlab.jobs import TooManyJobs
from kontextlab.providers import InvalidRequest, PreparedRequest, Provider, draw_seed
from kontextlab.untrusted import plain
from kontextlab.visitors import LimitReached

MAX_PER_CLICK = 4


def per_click_key(prefix: str) -> str:
    return f"{prefix}_per_click"


def images_per_click(prefix: str) -> int:
    """The "Pictures per click" picker (1–4); one by default."""
    key = per_click_key(prefix)
    st.session_state.setdefault(key, 1)
    value = st.segmented_control(
        "Pictures per click",
        list(range(1, MAX_PER_CLICK + 1)),
        key=key,
        help="Each picture gets the next seed: s, s+1, … (s is drawn once when the seed is "
        "Random). They show together as one batch.",
    )
    return int(value) if value else 1


# ---------------------------------------------------------------- what a click costs


@dataclass(frozen=True)
class Cost:
    """What `pictures` cost with the chosen model, and what the balance still buys."""

    pictures: int
    credits: float
    dollars_per_credit: float | None
    balance: float | None  # None: unknown, or not the visitor's to see
    per_picture: float

    @property
    def short(self) -> bool:
        return self.balance is not None and self.balance < self.credits

    @property
    def pictures_left(self) -> int | None:
        if self.balance is None or self.per_picture <= 0:
            return None
        return max(0, math.floor(self.balance / self.per_picture + 1e-9))

    def line(self, model_name: str) -> str:
        """ "4 pictures: 16 credits ($0.16) with FLUX.1 Kontext [pro]. 2,500 images left on
        the balance." (dollars where the service prices its credits)."""
        price = connection.credits_text(self.credits, self.dollars_per_credit)
        head = "One picture" if self.pictures == 1 else f"{self.pictures} pictures"
        left = self.pictures_left
        tail = (
            ""
            if left is None
            else f" {left:,} image{'s' if left != 1 else ''} left on the balance."
        )
        return f"{head}: {price} with {model_name}.{tail}"

    def refusal(self) -> str:
        have = connection.credits_text(self.balance or 0.0, self.dollars_per_credit)
        need = connection.credits_text(self.credits, self.dollars_per_credit)
        return (
            f"Not enough credits: this click costs {need} and the balance is {have}. Top up "
            "the account, choose fewer pictures or a cheaper model."
        )


def chosen_model(conn: Connection, prefix: str) -> str | None:
    caps = conn.provider.capabilities
    chosen = st.session_state.get(f"{prefix}_model")
    return chosen if chosen in caps.models else caps.default_model


def click_cost(conn: Connection, prefix: str, pictures: int) -> Cost | None:
    """What the click costs, for whoever pays it: the visitor's own key, a team, the demo.
    None where the price is unknown, or where a deployer pays (their money stays unsaid)."""
    if not (conn.shows_account or conn.demo):
        return None
    caps = conn.provider.capabilities
    per_picture = caps.cost(chosen_model(conn, prefix))
    if per_picture is None:
        return None
    # The demo's balance is shared play money: its allowance line says what is left.
    balance = None if conn.demo else conn.balance
    return Cost(pictures, per_picture * pictures, caps.dollars_per_credit, balance, per_picture)


def cost_line(conn: Connection, prefix: str, pictures: int) -> Cost | None:
    """The line next to Generate; returns the cost (None: nothing said)."""
    cost = click_cost(conn, prefix, pictures)
    if cost is None:
        return None
    model = chosen_model(conn, prefix)
    name = advanced.model_name(model) if model else conn.provider.capabilities.label
    free = " The demo charges nothing real." if conn.demo else ""
    st.caption(f"{cost.line(name)}{free}")
    if cost.short:
        st.warning(cost.refusal(), icon=":material/account_balance_wallet:")
    return cost


def generate_row(
    conn: Connection,
    prefix: str,
    request: PreparedRequest | InvalidRequest,
    *,
    label: str,
    icon: str,
    parent_id: str | None = None,
) -> None:
    """Pictures per click, the cost line, and the page's main button (disabled, with a
    sentence, when the balance is short)."""
    count = images_per_click(prefix)
    cost = cost_line(conn, prefix, count)
    if st.button(
        label,
        type="primary",
        key=f"{prefix}_go",
        icon=icon,
        width="stretch",
        disabled=bool(cost and cost.short),
    ):
        if count == 1:
            jobs_view.send_form(prefix, conn, request, parent_id)
        else:
            send_batch(prefix, conn, request, count, parent_id)


# ---------------------------------------------------------------- sending a batch


def with_fields(
    provider: Provider, request: PreparedRequest, changes: Sequence[dict[str, object]]
) -> list[PreparedRequest]:
    """The request again with each set of changed fields (a seed, a look), prepared by the
    provider that made it: the body's wire format stays the provider's business."""
    fields = provider.fields_of(request.kind, request.body)
    return [provider.prepare(request.kind, {**fields, **change}) for change in changes]


def consecutive_seeds(first: int | None, count: int, seed_max: int) -> list[int]:
    """s, s+1, …: `first`, or one drawn now; past the provider's largest seed they wrap to 0."""
    start = draw_seed() % (seed_max + 1) if first is None else first
    return [(start + n) % (seed_max + 1) for n in range(count)]


def payer(conn: Connection) -> str:
    """Whose upstream account the jobs run on (a token's account key, never the token)."""
    return conn.scope.billing if conn.scope else conn.account_key


def send_group(
    conn: Connection,
    requests: list[PreparedRequest],
    parent_id: str | None = None,
) -> str | None:
    """Count every job against the daily limits, record and send them as one batch. Returns
    the batch id, or None (with a sentence) when nothing was sent."""
    try:
        reservation = (
            connection.usage().reserve(conn.scope, conn.limits, images=len(requests))
            if conn.scope
            else None
        )
    except LimitReached as exc:
        state.set_refusal(str(exc))
        st.toast(str(exc), icon=":material/block:")
        return None
    batch_id = uuid.uuid4().hex
    try:
        ids = connection.runner().submit_many(
            conn.provider,
            requests,
            account_key=conn.account_key,
            batch_id=batch_id,
            parent_id=parent_id,
            payer=payer(conn),
        )
    except (InvalidRequest, TooManyJobs) as exc:
        connection.usage().release(reservation)
        text = plain(exc) if isinstance(exc, InvalidRequest) else str(exc)
        st.toast(f"Not sent: {text}", icon=":material/hourglass_top:")
        return None
    state.clear_refusal()
    for row_id in ids:
        state.follow(conn.account_key, row_id, requests[0].kind)
    return batch_id


def send_batch(
    prefix: str,
    conn: Connection,
    request: PreparedRequest | InvalidRequest,
    count: int,
    parent_id: str | None = None,
) -> None:
    """The main button with several pictures per click."""
    if isinstance(request, InvalidRequest):
        form.set_errors(prefix, request)
        st.rerun()
    form.set_errors(prefix, None)
    caps = conn.provider.capabilities
    seeds = consecutive_seeds(request.seed, count, caps.seed_max)
    try:
        requests = with_fields(conn.provider, request, [{"seed": s} for s in seeds])
    except InvalidRequest as exc:
        st.toast(f"Not sent: {plain(exc)}", icon=":material/error:")
        return
    if send_group(conn, requests, parent_id):
        st.toast(f"Started {count} pictures. They appear together under Results.")
    elif state.refusal():
        st.rerun()


# ---------------------------------------------------------------- a batch in History


def filter_to_batch(batch_id: str) -> None:
    """A button callback (on History): show only this batch's rows."""
    state.show_batch(batch_id)


def show_in_history(batch_id: str) -> None:
    """A button callback: open History filtered to this batch."""
    filter_to_batch(batch_id)
    state.ask_goto("history")
