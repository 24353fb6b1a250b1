"""Leases: which app process follows an in-flight row, so that several processes can share
one database. Each change is one conditional UPDATE, so that two processes racing for a row
never both win (no read-then-write)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kontextlab.history.queries import CHUNK
from kontextlab.history.schema import FOLLOWED_STATES, UtcDateTime, jobs


def _lapsed(now: datetime) -> sa.ColumnElement[bool]:
    """The row's lease is free or expired."""
    return sa.or_(
        jobs.c.lease_owner.is_(None),
        jobs.c.lease_until.is_(None),
        jobs.c.lease_until <= sa.literal(now, UtcDateTime()),
    )


def claim(
    conn: Connection,
    rid: str,
    owner: str,
    now: datetime,
    ttl: float,
    dead: Iterable[str] = (),
) -> bool:
    held_by = [owner, *dead]  # ours, or an owner known to have stopped
    query = jobs.update().where(
        jobs.c.id == rid, sa.or_(_lapsed(now), jobs.c.lease_owner.in_(held_by))
    )
    until = now + timedelta(seconds=ttl)
    return bool(conn.execute(query.values(lease_owner=owner, lease_until=until)).rowcount)


def renew(conn: Connection, owner: str, rids: Iterable[str], now: datetime, ttl: float) -> set[str]:
    wanted = list(dict.fromkeys(rids))
    until = now + timedelta(seconds=ttl)
    held: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        mine = (jobs.c.id.in_(wanted[start : start + CHUNK]), jobs.c.lease_owner == owner)
        conn.execute(jobs.update().where(*mine).values(lease_until=until))
        # The rows just updated stay locked until commit: this reads what was renewed.
        held.update(conn.execute(sa.select(jobs.c.id).where(*mine)).scalars())
    return held


def release(conn: Connection, rid: str, owner: str) -> None:
    query = jobs.update().where(jobs.c.id == rid, jobs.c.lease_owner == owner)
    conn.execute(query.values(lease_owner=None, lease_until=None))


def orphans(now: datetime) -> sa.Select[Any]:
    """Rows in flight or lost whose lease is free or expired, oldest first."""
    query = sa.select(jobs).where(jobs.c.status.in_(FOLLOWED_STATES), _lapsed(now))
    return query.order_by(jobs.c.created_at, jobs.c.id)
