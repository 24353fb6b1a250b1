"""Full images within a budget of bytes per account key: the oldest go first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kontextlab.history.queries import CHUNK
from kontextlab.history.schema import blobs, jobs

# The message of a job whose full image was dropped to keep its account within budget.
FULL_IMAGE_DROPPED = "The stored full-size copy was dropped to save space."


def keep(conn: Connection, rid: str, image: bytes, budget: int, now: datetime) -> list[str]:
    """Store the row's full image, then drop the account's oldest ones until the rest fits;
    returns the ids dropped (`rid` itself when its image alone is over the budget)."""
    owner = conn.execute(sa.select(jobs.c.account_key).where(jobs.c.id == rid)).scalar()
    if owner is None:
        return []
    if len(image) > budget:
        _drop_full_images(conn, [rid], now)
        return [rid]
    upsert_blobs(conn, rid, {"image": image})
    conn.execute(jobs.update().where(jobs.c.id == rid).values(has_image=True, updated_at=now))
    doomed = _oldest_over_budget(conn, owner, budget, keep=rid)
    _drop_full_images(conn, doomed, now)
    return doomed


def kept_bytes(account_key: str) -> sa.Select[Any]:
    """The query of the bytes of full images kept for one account key."""
    return (
        sa.select(sa.func.coalesce(sa.func.sum(sa.func.length(blobs.c.image)), 0))
        .join(jobs, jobs.c.id == blobs.c.id)
        .where(jobs.c.account_key == account_key, blobs.c.image.is_not(None))
    )


def upsert_blobs(conn: Connection, rid: str, values: dict[str, Any]) -> None:
    updated = conn.execute(blobs.update().where(blobs.c.id == rid).values(**values))
    if not updated.rowcount:
        conn.execute(blobs.insert().values(id=rid, **values))


def _oldest_over_budget(conn: Connection, account_key: str, budget: int, keep: str) -> list[str]:
    """The account's full images to drop, oldest first, so that the rest (always including
    `keep`) fits within `budget` bytes."""
    query = (
        sa.select(blobs.c.id, sa.func.length(blobs.c.image))
        .join(jobs, jobs.c.id == blobs.c.id)
        .where(jobs.c.account_key == account_key, blobs.c.image.is_not(None))
        .order_by(jobs.c.created_at.asc(), jobs.c.id.asc())
    )
    sizes = [(rid, int(size or 0)) for rid, size in conn.execute(query)]
    total = sum(size for _, size in sizes)
    doomed: list[str] = []
    for rid, size in sizes:
        if total <= budget:
            break
        if rid != keep:
            doomed.append(rid)
            total -= size
    return doomed


def _drop_full_images(conn: Connection, ids: list[str], now: datetime) -> None:
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        conn.execute(blobs.update().where(blobs.c.id.in_(chunk)).values(image=None))
        conn.execute(
            jobs.update()
            .where(jobs.c.id.in_(chunk))
            .values(has_image=False, message=FULL_IMAGE_DROPPED, updated_at=now)
        )
