"""Visitors of a shared deployment: whose history, whose money, and the daily limits.

A public app is opened by strangers. A token a visitor typed scopes history to that token.
The demo and a deployer's token (from secrets) are shared by everyone, so their history is
scoped to the visitor as well, and images are counted per visitor and per day so that no
visitor can spend what the deployer (or the demo) offers to all of them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from kontextlab.history.schema import UtcDateTime

# What a browser may send as its visitor id: a random URL-safe token, nothing else.
VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class Mode(StrEnum):
    TYPED = "typed"  # the visitor's own token: their history, their money
    DEPLOYER = "deployer"  # the deployer's token, shared by visitors who each see their own
    TEAM = "team"  # the deployer's token and one shared history, on purpose
    DEMO = "demo"  # the built-in emulator, shared by every visitor

    @property
    def per_visitor(self) -> bool:
        """Someone else pays (or the demo is shared): the visitor is counted and scoped."""
        return self is not Mode.TYPED


def valid_visitor_id(value: object) -> bool:
    return isinstance(value, str) and bool(VISITOR_ID.match(value))


def _keyed(secret: bytes, text: str) -> str:
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Scope:
    """Whose history (`key`, the store's account key) and whose money (`billing`)."""

    key: str
    billing: str
    visitor: str  # a keyed hash of the visitor id, or "" when the mode needs none
    mode: Mode


def scope_for(token_key: str, mode: Mode, visitor_id: str | None, secret: bytes) -> Scope:
    """`token_key` is the token's account key; `visitor_id` the browser's id (or login subject)."""
    visitor = _keyed(secret, f"visitor:{visitor_id}") if visitor_id else ""
    if mode in (Mode.DEMO, Mode.DEPLOYER):
        if not visitor:
            raise ValueError("A shared token needs a visitor id to scope its history.")
        return Scope(_keyed(secret, f"{token_key}:{visitor}"), token_key, visitor, mode)
    return Scope(token_key, token_key, visitor, mode)


@dataclass(frozen=True)
class Limits:
    """Images per day: per visitor, and for all visitors of one token together (0 = none)."""

    per_visitor: int = 20
    total: int = 200


@dataclass(frozen=True)
class Allowance:
    """What is left today; None where there is no limit."""

    visitor_left: int | None
    total_left: int | None
    per_visitor: int

    @property
    def left(self) -> int | None:
        known = [n for n in (self.visitor_left, self.total_left) if n is not None]
        return min(known) if known else None

    def sentence(self) -> str | None:
        """ "12 of 20 images left today", for the line above the Generate button."""
        if self.left is None:
            return None
        if self.app_wide:
            return f"{self.left} images left today on this app (shared by all its visitors)."
        return f"{self.left} of {self.per_visitor} images left today."

    @property
    def app_wide(self) -> bool:
        """The limit of all visitors together binds before the visitor's own."""
        if self.total_left is None:
            return False
        return self.visitor_left is None or self.total_left < self.visitor_left


class LimitReached(Exception):
    """The daily limit would be passed: nothing is recorded, nothing is sent."""


metadata = sa.MetaData()
usage = sa.Table(
    "kontextlab_usage",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("billing", sa.String(64), nullable=False),
    sa.Column("visitor", sa.String(64), nullable=False),
    sa.Column("images", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index("ix_kontextlab_usage_billing_time", "billing", "created_at"),
)


def start_of_day(now: datetime) -> datetime:
    """Limits reset at midnight UTC."""
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


class Usage:
    """Images counted per token and visitor, in the history database (so every app process
    of a deployment counts the same)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.engine = engine
        self.clock = clock
        self._lock = threading.Lock()  # check-then-record is one step within a process
        metadata.create_all(engine)

    def _counts(self, conn: sa.Connection, scope: Scope) -> tuple[int, int]:
        since = sa.literal(start_of_day(self.clock()), UtcDateTime())
        base = sa.select(sa.func.coalesce(sa.func.sum(usage.c.images), 0)).where(
            usage.c.billing == scope.billing, usage.c.created_at >= since
        )
        total = int(conn.execute(base).scalar_one())
        mine = int(conn.execute(base.where(usage.c.visitor == scope.visitor)).scalar_one())
        return mine, total

    def allowance(self, scope: Scope, limits: Limits) -> Allowance | None:
        """What this visitor may still make today; None when nothing limits them."""
        if not scope.mode.per_visitor or (not limits.per_visitor and not limits.total):
            return None
        with self.engine.connect() as conn:
            mine, total = self._counts(conn, scope)
        return _allowance(mine, total, limits)

    def reserve(self, scope: Scope, limits: Limits, images: int = 1) -> str | None:
        """Count `images` now, or raise LimitReached with a sentence. Returns a reservation
        to `release` if the job is then not sent after all (None when nothing is counted)."""
        if not scope.mode.per_visitor:
            return None
        with self._lock, self.engine.begin() as conn:
            left = _allowance(*self._counts(conn, scope), limits)
            if left.left is not None and images > left.left:
                raise LimitReached(_refusal(left, images))
            rid = uuid.uuid4().hex
            row = {"billing": scope.billing, "visitor": scope.visitor, "images": images}
            conn.execute(usage.insert().values(id=rid, created_at=self.clock(), **row))
        return rid

    def release(self, reservation: str | None) -> None:
        if reservation:
            with self.engine.begin() as conn:
                conn.execute(usage.delete().where(usage.c.id == reservation))

    def forget_before(self, days: int = 3) -> int:
        """Drop counts older than a few days (they no longer limit anything)."""
        cutoff = sa.literal(start_of_day(self.clock()) - timedelta(days=days), UtcDateTime())
        with self.engine.begin() as conn:
            return conn.execute(usage.delete().where(usage.c.created_at < cutoff)).rowcount


def _allowance(mine: int, total: int, limits: Limits) -> Allowance:
    visitor_left = max(0, limits.per_visitor - mine) if limits.per_visitor else None
    total_left = max(0, limits.total - total) if limits.total else None
    return Allowance(visitor_left, total_left, limits.per_visitor)


def _refusal(left: Allowance, images: int) -> str:
    asked = "this picture" if images == 1 else f"these {images} pictures"
    if (
        left.total_left is not None
        and left.total_left == left.left
        and (left.visitor_left is None or left.total_left < left.visitor_left)
    ):
        return (
            f"Not sent: this app has used its images for today ({left.left} left for "
            f"everyone), so {asked} cannot be made now. It resets at midnight UTC; with your "
            "own useapi.net token in the sidebar you can go on at once."
        )
    if left.left == 0:
        return (
            f"Not sent: you have used all {left.per_visitor} of today's images on this app. "
            "They come back at midnight UTC; with your own useapi.net token in the sidebar "
            "you can go on at once."
        )
    return f"Not sent: only {left.left} images are left for you today, and {asked} need more."
