"""Merging the account's own picture list into its history, by upstream job id.

A provider lists what the account made; each item that names a job becomes a completed row
(prompt unknown) when no row follows that job yet, and gives a known row its freshly signed
link. Items are anything shaped like `RemoteItem`: the store knows no provider's wire format.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from kontextlab.history.queries import known_job_ids
from kontextlab.history.schema import as_datetime, blank_row, jobs
from kontextlab.providers.base import RemoteItem
from kontextlab.vocabulary import JobState

# Where an item's raw listing may say when it was made, most likely first.
CREATED_KEYS = ("createdAt", "created_at", "createdDate", "created")


def merge(
    conn: Connection, account_key: str, items: Iterable[RemoteItem], clock: Callable[[], datetime]
) -> int:
    """Merge the items into one account's rows, in the caller's write transaction: unknown
    jobs become completed rows (kind "create", origin "remote"), known ones get the freshly
    signed link. Returns the rows added."""
    fresh = _items_by_job(items)
    if not fresh:
        return 0
    known = known_job_ids(conn, account_key, list(fresh))
    for job_id in known:
        _refresh_link(conn, account_key, job_id, fresh[job_id], clock())
    insert = _insert_new_jobs(conn.dialect.name)
    added = 0
    for job_id, item in fresh.items():
        if job_id not in known:
            result = conn.execute(insert, _remote_row(account_key, item, clock()))
            added += len(result.all()) if result.returns_rows else max(result.rowcount, 0)
    return added


def _insert_new_jobs(dialect: str) -> sa.Insert:
    """An INSERT that skips a row whose jobId another writer recorded meanwhile (PostgreSQL
    reads committed rows, so the check before it can be stale)."""
    if dialect == "postgresql":
        return postgresql.insert(jobs).on_conflict_do_nothing().returning(jobs.c.id)
    if dialect == "sqlite":
        return sqlite.insert(jobs).on_conflict_do_nothing().returning(jobs.c.id)
    return jobs.insert()


def _items_by_job(items: Iterable[RemoteItem]) -> dict[str, RemoteItem]:
    found: dict[str, RemoteItem] = {}
    for item in items:
        if item.job_id and item.job_id not in found:
            found[item.job_id] = item
    return found


def _link_values(item: RemoteItem) -> dict[str, Any]:
    asset = item.asset
    if asset is None or not asset.asset_url:
        return {}
    values: dict[str, Any] = {"asset_url": asset.asset_url, "url_expires_at": asset.expires_at}
    if asset.file_id:
        values["file_id"] = asset.file_id
    if asset.mime_type:
        values["mime_type"] = asset.mime_type
    return values


def _refresh_link(
    conn: Connection, account_key: str, job_id: str, item: RemoteItem, now: datetime
) -> None:
    values = _link_values(item)
    if values:
        query = jobs.update().where(jobs.c.account_key == account_key, jobs.c.job_id == job_id)
        conn.execute(query.values(**values, link_lost=False, updated_at=now))


def _created_at(item: RemoteItem, now: datetime) -> datetime:
    for key in CREATED_KEYS:
        found = as_datetime(item.raw.get(key))
        if found is not None:
            return found
    return now


def _remote_row(account_key: str, item: RemoteItem, now: datetime) -> dict[str, Any]:
    created = _created_at(item, now)
    row = blank_row(account_key, now)
    row.update(
        kind="create",
        status=JobState.COMPLETED,
        origin="remote",
        job_id=item.job_id,
        created_at=created,
        completed_at=created,
        **_link_values(item),
    )
    return row
