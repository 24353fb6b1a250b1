"""The history store: every job, scoped to an account key, on any SQLAlchemy URL.

SQLAlchemy Core; safe for many threads and processes. Several app processes may share one
database: a process follows an in-flight row only while it holds the row's lease (`claim`,
`renew`, `release`), and takes over only rows whose lease is free or expired (`orphans`).
"""

from __future__ import annotations

import builtins
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kontextlab.history import (
    budget as image_budget,
    engine as engines,
    frames,
    leases,
    queries,
    sync,
    transfer,
)
from kontextlab.history.queries import Order
from kontextlab.history.schema import (
    BLOB_FIELDS,
    DEFAULT_PROVIDER,
    FLAGGED_BLOBS,
    ID_LENGTH,
    KINDS,
    SUMMARY_FIELDS,
    UPDATABLE,
    JobRecord,
    UtcDateTime,
    blobs,
    clean_request,
    jobs,
    new_id,
    now_utc,
)
from kontextlab.history.transfer import ImportResult, ImportRules
from kontextlab.providers.base import RemoteItem
from kontextlab.vocabulary import ACTIVE_STATES, ALL_STATES, FINAL_STATES, JobState, as_int


class HistoryStore:
    """Jobs and their results, on any SQLAlchemy URL; safe for many threads and processes."""

    def __init__(self, url: str, *, clock: Callable[[], datetime] = now_utc):
        self.engine = engines.make_engine(url)
        self.clock = clock
        # An in-memory SQLite database is one shared connection: serialise its users.
        memory = engines.is_memory(self.engine.url)
        self._lock: Any = threading.RLock() if memory else nullcontext()
        self._create_tables()

    def __repr__(self) -> str:
        return f"HistoryStore({self.engine.url.render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        self.engine.dispose()

    def _create_tables(self) -> None:
        with self._lock:
            engines.prepare(self.engine)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._lock, self.engine.connect() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._lock, engines.writing(self.engine) as conn:
            yield conn

    # -- writing jobs

    def add_job(
        self,
        *,
        account_key: str,
        kind: str,
        request: Mapping[str, Any],
        summary: Mapping[str, Any],
        provider: str = DEFAULT_PROVIDER,
        parent_id: str | None = None,
        rid: str | None = None,
        batch_id: str | None = None,
    ) -> str:
        """Record a job before anything is sent; returns its row id (`rid`, else a new one),
        in the batch `batch_id` when one click sent it with others.
        `request` is stored as it will be sent; `summary` gives the settings the History
        table shows: prompt, style, aspect_ratio, seed, model (a missing one is None)."""
        if kind not in KINDS:
            raise ValueError(f"Unknown job kind {kind!r}; expected one of {KINDS}.")
        if rid is not None and not 0 < len(rid) <= ID_LENGTH:
            raise ValueError(f"A row id is 1 to {ID_LENGTH} characters, not {len(rid)}.")
        now = self.clock()
        row = {
            "id": rid or new_id(),
            "account_key": account_key,
            "kind": kind,
            "status": JobState.QUEUED,
            "origin": "local",
            "provider": provider,
            "parent_id": parent_id,
            "batch_id": batch_id,
            "request_json": json.dumps(clean_request(dict(request)), sort_keys=True, default=str),
            "created_at": now,
            "updated_at": now,
            **_summary_values(summary),
        }
        with self._write() as conn:
            if parent_id:
                _inherit(conn, row, parent_id, account_key)
            conn.execute(jobs.insert().values(**row))
        return str(row["id"])

    def update_job(self, rid: str, **changes: Any) -> bool:
        """Change a job's columns (see UPDATABLE) and blobs. Returns False for an unknown id."""
        unknown = set(changes) - UPDATABLE - set(BLOB_FIELDS)
        if unknown:
            raise TypeError(f"update_job() got unknown fields: {sorted(unknown)}")
        status = changes.get("status")
        if status is not None and status not in ALL_STATES:
            expected = [str(s) for s in ALL_STATES]
            raise ValueError(f"Unknown status {status!r}; expected one of {expected}.")
        values = self._update_values(changes)
        blob_values = {k: changes[k] for k in BLOB_FIELDS if k in changes}
        for name in FLAGGED_BLOBS:
            if name in blob_values:
                values[f"has_{name}"] = blob_values[name] is not None
        with self._write() as conn:
            if changes.get("job_id"):
                _drop_placeholders(conn, rid, changes["job_id"])
            found = conn.execute(jobs.update().where(jobs.c.id == rid).values(**values))
            if found.rowcount and blob_values:
                image_budget.upsert_blobs(conn, rid, blob_values)
        return bool(found.rowcount)

    def _update_values(self, changes: dict[str, Any]) -> dict[str, Any]:
        now = self.clock()
        values = {k: v for k, v in changes.items() if k in UPDATABLE}
        values["updated_at"] = now
        stamp = sa.literal(now, UtcDateTime())
        if changes.get("status") == JobState.ACTIVE and "started_at" not in changes:
            values["started_at"] = sa.func.coalesce(jobs.c.started_at, stamp)
        if changes.get("status") in FINAL_STATES and "completed_at" not in changes:
            values["completed_at"] = sa.func.coalesce(jobs.c.completed_at, stamp)
        if changes.get("asset_url") and "link_lost" not in changes:
            values["link_lost"] = False
        return values

    def delete(self, rid: str, account_key: str) -> bool:
        with self._write() as conn:
            owned = sa.select(jobs.c.id).where(jobs.c.id == rid, jobs.c.account_key == account_key)
            conn.execute(blobs.delete().where(blobs.c.id.in_(owned)))
            done = conn.execute(
                jobs.delete().where(jobs.c.id == rid, jobs.c.account_key == account_key)
            )
        return bool(done.rowcount)

    # -- leases: which process follows an in-flight row (see leases.py)

    def claim(self, rid: str, owner: str, *, ttl: float, dead: Iterable[str] = ()) -> bool:
        """Take the row's lease for `ttl` seconds if it is free, expired, already `owner`'s,
        or held by one of the `dead` owners (known to have stopped). True when `owner` holds
        it now: of two owners racing for a row, one wins."""
        with self._write() as conn:
            return leases.claim(conn, rid, owner, self.clock(), ttl, dead)

    def renew(self, owner: str, rids: Iterable[str], *, ttl: float) -> set[str]:
        """Extend the leases `owner` still holds among `rids` to `ttl` seconds from now;
        returns their ids. A lease another owner took meanwhile is not renewed."""
        with self._write() as conn:
            return leases.renew(conn, owner, rids, self.clock(), ttl)

    def lease_holder(self, rid: str) -> str | None:
        """Who holds the row's lease now, if anyone (whatever its expiry)."""
        with self._read() as conn:
            return conn.execute(sa.select(jobs.c.lease_owner).where(jobs.c.id == rid)).scalar()

    def release(self, rid: str, owner: str) -> None:
        """Give up the row's lease, if `owner` holds it."""
        with self._write() as conn:
            leases.release(conn, rid, owner)

    def orphans(self, account_key: str | None = None) -> builtins.list[JobRecord]:
        """Rows in flight or lost (queued, active, unknown) whose lease is free or expired:
        what no process follows. Oldest first; one account's, or every account's."""
        return self._records(leases.orphans(self.clock()), account_key)

    # -- full images, within a budget per account key (see budget.py)

    def keep_image(self, rid: str, image: bytes, budget: int) -> builtins.list[str]:
        """Keep a job's full image within its account key's `budget` (bytes of full images;
        thumbnails and previews do not count). The account's oldest full images are dropped
        first (blob cleared, `has_image` false, message FULL_IMAGE_DROPPED) until the rest
        fits. Returns the ids dropped: `rid` itself when its image alone is over the budget."""
        with self._write() as conn:
            return image_budget.keep(conn, rid, image, budget, self.clock())

    def image_bytes(self, account_key: str) -> int:
        """Bytes of the full images kept for one account key."""
        with self._read() as conn:
            return int(conn.execute(image_budget.kept_bytes(account_key)).scalar_one())

    # -- reading jobs

    def get(self, rid: str, account_key: str) -> JobRecord | None:
        return self._one(jobs.c.id == rid, account_key)

    def find_by_job_id(self, account_key: str, job_id: str) -> JobRecord | None:
        return self._one(jobs.c.job_id == job_id, account_key)

    def job_id_taken(self, job_id: str, except_id: str) -> bool:
        """Whether any other row, in any scope, already follows this upstream job."""
        query = sa.select(jobs.c.id).where(jobs.c.job_id == job_id, jobs.c.id != except_id)
        with self._read() as conn:
            return conn.execute(query.limit(1)).first() is not None

    def _one(self, condition: sa.ColumnElement[bool], account_key: str) -> JobRecord | None:
        found = self._records(sa.select(jobs).where(condition, jobs.c.account_key == account_key))
        return found[0] if found else None

    def _records(
        self, query: sa.Select[Any], account_key: str | None = None
    ) -> builtins.list[JobRecord]:
        """The rows of a query as records; only those of `account_key` when it is given.

        The pages' frequent look-ups by id or by state check the account here, not in SQL:
        with it in SQL, SQLite (no statistics) walks the account's index, every row the
        account has, instead of the index of the ids or states asked for (a few rows)."""
        with self._read() as conn:
            rows = conn.execute(query).mappings()
            mine = (r for r in rows if account_key is None or r["account_key"] == account_key)
            return [JobRecord.from_row(r) for r in mine]

    def records(self, account_key: str, ids: Iterable[str]) -> dict[str, JobRecord]:
        """The account's rows among `ids`, by id, in one query (the ids a browser session
        follows); an id of another account or of no row is left out."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        query = sa.select(jobs).where(jobs.c.id.in_(wanted))
        return {r.id: r for r in self._records(query, account_key)}

    def thumbnail(self, rid: str, account_key: str) -> bytes | None:
        return self._blob(blobs.c.thumbnail, rid, account_key)

    def preview(self, rid: str, account_key: str) -> bytes | None:
        """The display-sized copy of the picture, when one was kept."""
        return self._blob(blobs.c.preview, rid, account_key)

    def image(self, rid: str, account_key: str) -> bytes | None:
        return self._blob(blobs.c.image, rid, account_key)

    def _blob(self, column: sa.Column[Any], rid: str, account_key: str) -> bytes | None:
        query = (
            sa.select(column)
            .join(jobs, jobs.c.id == blobs.c.id)
            .where(blobs.c.id == rid, jobs.c.account_key == account_key)
        )
        with self._read() as conn:
            value = conn.execute(query).scalar()
        return bytes(value) if value is not None else None

    def thumbnails(self, account_key: str, ids: Iterable[str]) -> dict[str, bytes]:
        """Thumbnails of many jobs in one query (for a page of the History table)."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        # The account is checked in Python: with it in SQL, SQLite (no statistics) scans the
        # account's index instead of looking up the requested ids.
        query = (
            sa.select(blobs.c.id, blobs.c.thumbnail, jobs.c.account_key)
            .join(jobs, jobs.c.id == blobs.c.id)
            .where(blobs.c.id.in_(wanted), blobs.c.thumbnail.is_not(None))
        )
        with self._read() as conn:
            rows = conn.execute(query).all()
        return {rid: bytes(data) for rid, data, owner in rows if owner == account_key}

    # In this class's annotations `list` names this method: they say builtins.list instead.
    def list(
        self,
        account_key: str,
        *,
        order: Order = "newest",
        limit: int | None = None,
        offset: int = 0,
        **filters: Any,
    ) -> builtins.list[JobRecord]:
        """One account's rows, filtered (search, kinds, statuses, styles, providers, since,
        until, batch), sorted and paged in SQL."""
        query = sa.select(jobs).where(*self._conditions(account_key, **filters))
        return self._records(queries.page(query.order_by(*queries.ordering(order)), limit, offset))

    def count(self, account_key: str, **filters: Any) -> int:
        query = sa.select(sa.func.count()).select_from(jobs)
        query = query.where(*self._conditions(account_key, **filters))
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def dataframe(
        self,
        account_key: str,
        *,
        order: Order = "newest",
        limit: int | None = None,
        offset: int = 0,
        **filters: Any,
    ) -> pd.DataFrame:
        """One row per job, filtered, sorted and paged in SQL; columns DATAFRAME_COLUMNS."""
        query = sa.select(*(jobs.c[n] for n in frames.SELECTED))
        query = query.where(*self._conditions(account_key, **filters))
        query = queries.page(query.order_by(*queries.ordering(order)), limit, offset)
        with self._read() as conn:
            rows = conn.execute(query).all()
        return frames.frame(rows)

    def recent_prompts(
        self, account_key: str, kinds: Iterable[str], limit: int = 20
    ) -> builtins.list[str]:
        """The account's last `limit` distinct prompts of `kinds`, newest first."""
        with self._read() as conn:
            return queries.recent_prompts(conn, account_key, list(kinds), limit)

    def _conditions(self, account_key: str, **filters: Any) -> builtins.list[Any]:
        return queries.conditions(self.engine.dialect.name, account_key, **filters)

    def in_flight(
        self,
        account_key: str | None = None,
        statuses: Sequence[str] = ACTIVE_STATES,
        *,
        kinds: Sequence[str] | None = None,
    ) -> builtins.list[JobRecord]:
        """Queued and active jobs (or those of `statuses`, and of `kinds` when given), oldest
        first: what to resume, and what a progress panel shows."""
        query = sa.select(jobs).where(jobs.c.status.in_(list(statuses)))
        if kinds is not None:
            query = query.where(jobs.c.kind.in_(list(kinds)))
        return self._records(query.order_by(jobs.c.created_at, jobs.c.id), account_key)

    def lineage(self, rid: str, account_key: str) -> builtins.list[JobRecord]:
        """The chain root → … → rid, following parent_id (stops at a missing parent)."""
        chain: builtins.list[JobRecord] = []
        seen: set[str] = set()
        current: str | None = rid
        while current and current not in seen:
            seen.add(current)
            record = self.get(current, account_key)
            if record is None:
                break
            chain.append(record)
            current = record.parent_id
        return chain[::-1]

    def completed_with_images(
        self, account_key: str, limit: int = 24, *, with_file_id: bool = True
    ) -> builtins.list[JobRecord]:
        """Newest completed results usable as a reference: with a fileId and a picture, or
        (`with_file_id=False`, for a provider that takes the picture itself) a kept copy."""
        if with_file_id:
            usable = sa.and_(
                jobs.c.file_id.is_not(None),
                sa.or_(jobs.c.has_thumbnail, jobs.c.has_image, jobs.c.asset_url.is_not(None)),
            )
        else:
            usable = sa.or_(jobs.c.has_thumbnail, jobs.c.has_image)
        query = sa.select(jobs).where(
            jobs.c.account_key == account_key, jobs.c.status == JobState.COMPLETED, usable
        )
        return self._records(query.order_by(*queries.ordering("newest")).limit(limit))

    def expiring(
        self, account_key: str, within: timedelta, limit: int, now: datetime | None = None
    ) -> builtins.list[JobRecord]:
        """Completed jobs with a jobId whose link expires within `within` (or has expired, or
        is missing), not already known to be lost: soonest valid first, then recent expired."""
        now = now or self.clock()
        horizon = sa.literal(now + within, UtcDateTime())
        moment = sa.literal(now, UtcDateTime())
        query = sa.select(jobs).where(
            jobs.c.account_key == account_key,
            jobs.c.status == JobState.COMPLETED,
            jobs.c.job_id.is_not(None),
            sa.not_(jobs.c.link_lost),
            sa.or_(jobs.c.url_expires_at <= horizon, jobs.c.asset_url.is_(None)),
        )
        still_valid = sa.case((jobs.c.url_expires_at > moment, 0), else_=1)
        query = query.order_by(
            still_valid,
            sa.case((jobs.c.url_expires_at > moment, jobs.c.url_expires_at)).asc(),
            jobs.c.url_expires_at.desc(),
            jobs.c.id,
        )
        return self._records(query.limit(limit))

    # -- sync, export and import (the work is in sync.py and transfer.py)

    def merge_remote(self, account_key: str, items: Iterable[RemoteItem]) -> int:
        """Merge the account's picture list by jobId (see sync.merge). Returns rows added."""
        with self._write() as conn:
            return sync.merge(conn, account_key, items, self.clock)

    def export_json(self, account_key: str, *, thumbnails: bool = True, **filters: Any) -> str:
        """The account's rows (filtered) as an export document, oldest first."""
        records = self.list(account_key, order="oldest", **filters)
        thumbs = self.thumbnails(account_key, [r.id for r in records]) if thumbnails else {}
        return transfer.export_document(records, thumbs, self.clock())

    def export_csv(self, account_key: str, **filters: Any) -> str:
        """The table as CSV that a spreadsheet opens as text (see transfer.csv_text)."""
        return transfer.csv_text(self.dataframe(account_key, order="oldest", **filters))

    def import_json(
        self, account_key: str, text: str, rules: Mapping[str, ImportRules]
    ) -> ImportResult:
        """Merge an export into this account's history, skipping jobs already present (same
        jobId, or same local id) and records that cannot be read. `rules` holds what each
        provider accepts, by provider name; a record of another provider is skipped.
        Raises NotAnExport when the text is not an export at all."""
        items = transfer.parse_export(text)
        candidates = transfer.vet_records(account_key, items, self.clock(), rules)
        with self._write() as conn:
            imported = transfer.insert_new(conn, account_key, candidates)
        return ImportResult(
            imported=imported,
            already=len(candidates) - imported,
            skipped=len(items) - len(candidates),
        )


# ---------------------------------------------------------------- helpers: writes


def _summary_values(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The summary's settings as columns: text or None, the seed an int or None."""
    values = {name: summary.get(name) or None for name in SUMMARY_FIELDS}
    values["prompt"] = values["prompt"] if isinstance(values["prompt"], str) else ""
    values["seed"] = as_int(summary.get("seed"))
    return values


def _inherit(conn: Connection, row: dict[str, Any], parent_id: str, account_key: str) -> None:
    """An upscale carries no prompt: show the parent's, so the History table stays readable."""
    if row["prompt"]:
        return
    query = sa.select(*(jobs.c[n] for n in SUMMARY_FIELDS)).where(
        jobs.c.id == parent_id, jobs.c.account_key == account_key
    )
    parent = conn.execute(query).mappings().first()
    if parent:
        row.update({n: row[n] if row[n] is not None else parent[n] for n in SUMMARY_FIELDS})
        row["prompt"] = parent["prompt"]


def _drop_placeholders(conn: Connection, rid: str, job_id: str) -> None:
    """A sync may have recorded this jobId (from the asset list) before the runner learnt it;
    the runner's row is the richer one, so the synced placeholder goes."""
    owner = sa.select(jobs.c.account_key).where(jobs.c.id == rid).scalar_subquery()
    doomed = sa.select(jobs.c.id).where(
        jobs.c.account_key == owner,
        jobs.c.job_id == job_id,
        jobs.c.id != rid,
        jobs.c.origin == "remote",
    )
    ids = [r for (r,) in conn.execute(doomed)]
    if ids:
        conn.execute(blobs.delete().where(blobs.c.id.in_(ids)))
        conn.execute(jobs.delete().where(jobs.c.id.in_(ids)))
