"""The history store: every job, scoped to an account key, on any SQLAlchemy URL.

SQLAlchemy Core. SQLite by default (WAL, busy timeout, `BEGIN IMMEDIATE` for writes so that
several threads and processes can write); PostgreSQL or anything else by URL. Images live in a
separate table so the History table's queries never read them.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import json
import math
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from kontextlab.images import EXTENSIONS
from kontextlab.providers import RemoteItem as AssetItem
from kontextlab.providers import capabilities, rules
from kontextlab.untrusted import small_jpeg, web_url
from kontextlab.vocabulary import NO_STYLE

Kind = Literal["create", "edit", "upscale", "upload"]
Status = Literal["queued", "active", "completed", "failed", "unknown"]
Order = Literal["newest", "oldest", "prompt", "status", "expires"]
# "upload" rows record a reference picture, so that edits of it have a parent in lineage.
KINDS: tuple[str, ...] = ("create", "edit", "upscale", "upload")
# "unknown": the request was sent but its answer was lost; the job may exist upstream.
STATUSES: tuple[str, ...] = ("queued", "active", "completed", "failed", "unknown")
ACTIVE_STATUSES: tuple[str, ...] = ("queued", "active")
FINAL_STATUSES: tuple[str, ...] = ("completed", "failed")
EXPORT_FORMAT = "kontextlab-history"
SECRET_KEYS = frozenset({"token", "authorization", "apitoken", "api_token", "bearer"})
# The message of a job whose full image was dropped to keep its account within budget.
FULL_IMAGE_DROPPED = "The stored full-size copy was dropped to save space."


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend (SQLite has no zones)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


metadata = sa.MetaData()

jobs = sa.Table(
    "kontextlab_jobs",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("account_key", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("origin", sa.String(16), nullable=False),
    sa.Column("parent_id", sa.String(32)),
    sa.Column("job_id", sa.String(512)),
    sa.Column("generation_id", sa.String(255)),
    sa.Column("prompt", sa.Text, nullable=False),
    sa.Column("style", sa.String(32)),
    sa.Column("aspect_ratio", sa.String(8)),
    sa.Column("seed", sa.BigInteger),
    sa.Column("model", sa.String(32)),
    sa.Column("request_json", sa.Text, nullable=False),
    sa.Column("progress", sa.Float),
    sa.Column("message", sa.Text),
    sa.Column("error_kind", sa.String(64)),
    sa.Column("asset_url", sa.Text),
    sa.Column("url_expires_at", UtcDateTime),
    sa.Column("link_lost", sa.Boolean, nullable=False, default=False),
    sa.Column("file_id", sa.String(255)),
    sa.Column("mime_type", sa.String(64)),
    sa.Column("width", sa.Integer),
    sa.Column("height", sa.Integer),
    sa.Column("has_thumbnail", sa.Boolean, nullable=False, default=False),
    sa.Column("has_image", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("started_at", UtcDateTime),
    sa.Column("completed_at", UtcDateTime),
    sa.UniqueConstraint("account_key", "job_id", name="uq_kontextlab_jobs_account_job"),
    sa.Index("ix_kontextlab_jobs_account_created", "account_key", "created_at"),
    sa.Index("ix_kontextlab_jobs_status", "status"),
    # Lets a prompt search scan the index instead of the table. PostgreSQL caps b-tree entries
    # at about 2.7 kB, which a 2000-character prompt can exceed, so SQLite only.
    sa.Index("ix_kontextlab_jobs_account_prompt", "account_key", "prompt").ddl_if(dialect="sqlite"),
)

blobs = sa.Table(
    "kontextlab_job_blobs",
    metadata,
    sa.Column("id", sa.String(32), sa.ForeignKey(jobs.c.id, ondelete="CASCADE"), primary_key=True),
    sa.Column("thumbnail", sa.LargeBinary),
    sa.Column("image", sa.LargeBinary),
)

UPDATABLE = frozenset(
    {
        "status",
        "job_id",
        "generation_id",
        "progress",
        "message",
        "error_kind",
        "seed",
        "asset_url",
        "url_expires_at",
        "link_lost",
        "file_id",
        "mime_type",
        "width",
        "height",
        "started_at",
        "completed_at",
        "prompt",
    }
)
BLOB_FIELDS = ("thumbnail", "image")
HIDDEN = frozenset({"request_json"})

DATAFRAME_COLUMNS = (
    "id",
    "prompt",
    "kind",
    "style",
    "aspect_ratio",
    "seed",
    "model",
    "status",
    "progress",
    "message",
    "error_kind",
    "created_at",
    "completed_at",
    "url_expires_at",
    "asset_url",
    "link_lost",
    "duration_s",
    "parent_id",
    "job_id",
    "file_id",
    "mime_type",
    "width",
    "height",
    "has_thumbnail",
    "has_image",
)


def now_utc() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


# ---------------------------------------------------------------- the record


@dataclass(frozen=True)
class JobRecord:
    """One job as the History page sees it: every column except the image bytes."""

    id: str
    account_key: str
    kind: str
    status: str
    origin: str
    parent_id: str | None
    job_id: str | None
    generation_id: str | None
    prompt: str
    style: str | None
    aspect_ratio: str | None
    seed: int | None
    model: str | None
    request: dict[str, Any]
    progress: float | None
    message: str | None
    error_kind: str | None
    asset_url: str | None
    url_expires_at: datetime | None
    link_lost: bool
    file_id: str | None
    mime_type: str | None
    width: int | None
    height: int | None
    has_thumbnail: bool
    has_image: bool
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    completed_at: datetime | None

    @classmethod
    def from_row(cls, row: sa.RowMapping) -> JobRecord:
        values = {k: v for k, v in row.items() if k not in HIDDEN}
        values["request"] = _loads(row["request_json"])
        values["link_lost"] = bool(values["link_lost"])
        values["has_thumbnail"] = bool(values["has_thumbnail"])
        values["has_image"] = bool(values["has_image"])
        return cls(**values)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def duration(self) -> float | None:
        """Seconds from start (or creation) to the end; None while unfinished."""
        start = self.started_at or self.created_at
        if self.completed_at is None or start is None:
            return None
        return max(0.0, (self.completed_at - start).total_seconds())

    def link_valid(self, now: datetime | None = None) -> bool:
        if not self.asset_url or self.link_lost:
            return False
        return self.url_expires_at is None or self.url_expires_at > (now or now_utc())


def _loads(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _clean_request(request: dict[str, Any]) -> dict[str, Any]:
    # Defence in depth: request payloads carry no token, and must never start to.
    return {k: v for k, v in request.items() if k.lower() not in SECRET_KEYS}


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value) if value is not None and str(value).strip() != "" else None
    except (TypeError, ValueError):
        return None


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    try:
        return _as_datetime(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return None


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# ---------------------------------------------------------------- engines


def normalize_url(url: str) -> str:
    """Let people paste a plain `postgresql://` URL: the installed driver is psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    parsed = sa.make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return sa.create_engine(parsed, pool_pre_ping=True, pool_recycle=1800)


def _is_memory(url: sa.URL) -> bool:
    return url.database in (None, "", ":memory:")


def _sqlite_engine(url: sa.URL) -> Engine:
    memory = _is_memory(url)
    if not memory and url.database:  # not in memory: a file name (the test narrows it)
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        poolclass=sa.StaticPool if memory else None,
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Driver-level autocommit, so that the "begin" hook below decides how to begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred transaction that reads and then writes can fail at once with SQLITE_BUSY
        # instead of waiting; writers take the lock up front.
        immediate = conn.get_execution_options().get("kontextlab_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


# ---------------------------------------------------------------- the store


class HistoryStore:
    """Jobs and their results, on any SQLAlchemy URL; safe for many threads and processes."""

    def __init__(self, url: str, *, clock: Callable[[], datetime] = now_utc):
        self.url = normalize_url(url)
        self.engine = make_engine(self.url)
        self.clock = clock
        memory = self.engine.dialect.name == "sqlite" and _is_memory(self.engine.url)
        # An in-memory SQLite database is one shared connection: serialise its users.
        self._lock: Any = threading.RLock() if memory else nullcontext()
        self._create_tables()

    def __repr__(self) -> str:
        return f"HistoryStore({self.engine.url.render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        self.engine.dispose()

    def _create_tables(self) -> None:
        try:
            self._create_schema()
        except sa.exc.DBAPIError:
            # Another process created them between the check and the CREATE.
            self._create_schema()

    def _create_schema(self) -> None:
        metadata.create_all(self.engine)
        # create_all skips the indexes of tables that already exist (added in later versions).
        for index in jobs.indexes:
            index.create(self.engine, checkfirst=True)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._lock, self.engine.connect() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._lock, self.engine.connect() as conn:
            conn.execution_options(kontextlab_write=True)
            with conn.begin():
                yield conn

    # -- writing jobs

    def add_job(
        self,
        *,
        account_key: str,
        kind: str,
        request: Mapping[str, Any],
        summary: Mapping[str, Any],
        provider: str = "ltx",
        parent_id: str | None = None,
        rid: str | None = None,
    ) -> str:
        """Record a job before anything is sent. Returns its local id (status "queued")."""
        if kind not in KINDS:
            raise ValueError(f"Unknown job kind {kind!r}; expected one of {KINDS}.")
        payload = _clean_request(dict(request))
        now = self.clock()
        rid = rid or new_id()
        prompt = summary.get("prompt")
        row = {
            "id": rid,
            "account_key": account_key,
            "kind": kind,
            "status": "queued",
            "origin": "local",
            "parent_id": parent_id,
            "request_json": json.dumps(payload, sort_keys=True, default=str),
            "created_at": now,
            "updated_at": now,
            "prompt": prompt if isinstance(prompt, str) else "",
            **{name: summary.get(name) for name in ("style", "aspect_ratio", "seed", "model")},
        }
        with self._write() as conn:
            if parent_id:
                _inherit(conn, row, parent_id, account_key)
            conn.execute(jobs.insert().values(**row))
        return rid

    def update_job(self, rid: str, **changes: Any) -> bool:
        """Change a job's columns (see UPDATABLE) and blobs. Returns False for an unknown id."""
        unknown = set(changes) - UPDATABLE - set(BLOB_FIELDS)
        if unknown:
            raise TypeError(f"update_job() got unknown fields: {sorted(unknown)}")
        status = changes.get("status")
        if status is not None and status not in STATUSES:
            raise ValueError(f"Unknown status {status!r}; expected one of {STATUSES}.")
        values = self._update_values(changes)
        blob_values = {k: changes[k] for k in BLOB_FIELDS if k in changes}
        for name, value in blob_values.items():
            values[f"has_{name}"] = value is not None
        with self._write() as conn:
            if changes.get("job_id"):
                _drop_placeholders(conn, rid, changes["job_id"])
            found = conn.execute(jobs.update().where(jobs.c.id == rid).values(**values))
            if found.rowcount and blob_values:
                self._upsert_blobs(conn, rid, blob_values)
        return bool(found.rowcount)

    def _update_values(self, changes: dict[str, Any]) -> dict[str, Any]:
        now = self.clock()
        values = {k: v for k, v in changes.items() if k in UPDATABLE}
        values["updated_at"] = now
        stamp = sa.literal(now, UtcDateTime())
        if changes.get("status") == "active" and "started_at" not in changes:
            values["started_at"] = sa.func.coalesce(jobs.c.started_at, stamp)
        if changes.get("status") in FINAL_STATUSES and "completed_at" not in changes:
            values["completed_at"] = sa.func.coalesce(jobs.c.completed_at, stamp)
        if changes.get("asset_url") and "link_lost" not in changes:
            values["link_lost"] = False
        return values

    def _upsert_blobs(self, conn: Connection, rid: str, values: dict[str, Any]) -> None:
        updated = conn.execute(blobs.update().where(blobs.c.id == rid).values(**values))
        if not updated.rowcount:
            conn.execute(blobs.insert().values(id=rid, **values))

    def delete(self, rid: str, account_key: str) -> bool:
        with self._write() as conn:
            owned = sa.select(jobs.c.id).where(jobs.c.id == rid, jobs.c.account_key == account_key)
            conn.execute(blobs.delete().where(blobs.c.id.in_(owned)))
            done = conn.execute(
                jobs.delete().where(jobs.c.id == rid, jobs.c.account_key == account_key)
            )
        return bool(done.rowcount)

    # -- full images, within a budget per account key

    def keep_image(self, rid: str, image: bytes, budget: int) -> list[str]:
        """Keep a job's full image within its account key's `budget` (bytes of full images;
        thumbnails do not count). The account's oldest full images are dropped first (blob
        cleared, `has_image` false, message FULL_IMAGE_DROPPED) until the rest fits. Returns
        the ids dropped: `rid` itself when its image alone is over the budget."""
        now = self.clock()
        with self._write() as conn:
            owner = conn.execute(sa.select(jobs.c.account_key).where(jobs.c.id == rid)).scalar()
            if owner is None:
                return []
            if len(image) > budget:
                _drop_full_images(conn, [rid], now)
                return [rid]
            self._upsert_blobs(conn, rid, {"image": image})
            conn.execute(
                jobs.update().where(jobs.c.id == rid).values(has_image=True, updated_at=now)
            )
            doomed = _oldest_over_budget(conn, owner, budget, keep=rid)
            _drop_full_images(conn, doomed, now)
        return doomed

    def image_bytes(self, account_key: str) -> int:
        """Bytes of the full images kept for one account key."""
        query = (
            sa.select(sa.func.coalesce(sa.func.sum(sa.func.length(blobs.c.image)), 0))
            .join(jobs, jobs.c.id == blobs.c.id)
            .where(jobs.c.account_key == account_key, blobs.c.image.is_not(None))
        )
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

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
        query = sa.select(jobs).where(condition, jobs.c.account_key == account_key)
        with self._read() as conn:
            row = conn.execute(query).mappings().first()
        return JobRecord.from_row(row) if row else None

    def thumbnail(self, rid: str, account_key: str) -> bytes | None:
        return self._blob(blobs.c.thumbnail, rid, account_key)

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
        query = sa.select(jobs).where(*self._conditions(account_key, **filters))
        query = _page(query.order_by(*_ordering(order)), limit, offset)
        with self._read() as conn:
            return [JobRecord.from_row(r) for r in conn.execute(query).mappings()]

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
        names = [c for c in DATAFRAME_COLUMNS if c != "duration_s"] + ["started_at"]
        query = sa.select(*(jobs.c[n] for n in names))
        query = query.where(*self._conditions(account_key, **filters))
        query = _page(query.order_by(*_ordering(order)), limit, offset)
        with self._read() as conn:
            rows = conn.execute(query).all()
        return _frame(rows, names)

    def _conditions(
        self,
        account_key: str,
        *,
        search: str | None = None,
        kinds: Sequence[str] | None = None,
        statuses: Sequence[str] | None = None,
        styles: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> builtins.list[sa.ColumnElement[bool]]:
        conditions: builtins.list[sa.ColumnElement[bool]] = [jobs.c.account_key == account_key]
        for term in (search or "").split():
            conditions.append(self._matches(term))
        if kinds:
            conditions.append(jobs.c.kind.in_(list(kinds)))
        if statuses:
            conditions.append(jobs.c.status.in_(list(statuses)))
        if styles:
            conditions.append(_style_condition(styles))
        if since is not None:
            conditions.append(jobs.c.created_at >= since)
        if until is not None:
            conditions.append(jobs.c.created_at < until)
        return conditions

    def _matches(self, term: str) -> sa.ColumnElement[bool]:
        pattern = _like_pattern(term)
        if self.engine.dialect.name == "sqlite":
            # SQLite's LIKE ignores ASCII case already, and lower() would defeat the index.
            return jobs.c.prompt.like(pattern, escape="\\")
        return jobs.c.prompt.ilike(pattern, escape="\\")

    def in_flight(
        self, account_key: str | None = None, statuses: Sequence[str] = ACTIVE_STATUSES
    ) -> builtins.list[JobRecord]:
        """Queued and active jobs (or those of `statuses`), oldest first: what to resume."""
        query = sa.select(jobs).where(jobs.c.status.in_(list(statuses)))
        if account_key is not None:
            query = query.where(jobs.c.account_key == account_key)
        with self._read() as conn:
            rows = conn.execute(query.order_by(jobs.c.created_at, jobs.c.id)).mappings()
            return [JobRecord.from_row(r) for r in rows]

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

    def completed_with_images(self, account_key: str, limit: int = 24) -> builtins.list[JobRecord]:
        """Newest completed results usable as a reference (they have a fileId and a picture)."""
        query = sa.select(jobs).where(
            jobs.c.account_key == account_key,
            jobs.c.status == "completed",
            jobs.c.file_id.is_not(None),
            sa.or_(jobs.c.has_thumbnail, jobs.c.has_image, jobs.c.asset_url.is_not(None)),
        )
        query = query.order_by(*_ordering("newest")).limit(limit)
        with self._read() as conn:
            return [JobRecord.from_row(r) for r in conn.execute(query).mappings()]

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
            jobs.c.status == "completed",
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
        with self._read() as conn:
            return [JobRecord.from_row(r) for r in conn.execute(query.limit(limit)).mappings()]

    # -- sync from the account's asset list

    def merge_remote(self, account_key: str, items: Iterable[AssetItem]) -> int:
        """Merge `GET assets/?filter=images` items by jobId: unknown ones become completed rows
        (kind "create", prompt unknown), known ones get the freshly signed URL. Returns added."""
        fresh = _items_by_job(items)
        if not fresh:
            return 0
        with self._write() as conn:
            known = _known_job_ids(conn, account_key, list(fresh))
            for job_id in known:
                _refresh_link(conn, account_key, job_id, fresh[job_id], self.clock())
            new = [item for job_id, item in fresh.items() if job_id not in known]
            insert = self._insert_new_jobs()
            added = 0
            for item in new:
                result = conn.execute(insert, _remote_row(account_key, item, self.clock()))
                added += len(result.all()) if result.returns_rows else max(result.rowcount, 0)
            return added

    def _insert_new_jobs(self) -> sa.Insert:
        """An INSERT that skips a row whose jobId another writer recorded meanwhile (PostgreSQL
        reads committed rows, so the check above can be stale)."""
        name = self.engine.dialect.name
        if name == "postgresql":
            return postgresql.insert(jobs).on_conflict_do_nothing().returning(jobs.c.id)
        if name == "sqlite":
            return sqlite.insert(jobs).on_conflict_do_nothing().returning(jobs.c.id)
        return jobs.insert()

    # -- export and import

    def export_records(
        self, account_key: str, *, thumbnails: bool = True, **filters: Any
    ) -> builtins.list[dict[str, Any]]:
        records = self.list(account_key, order="oldest", **filters)
        thumbs = self.thumbnails(account_key, [r.id for r in records]) if thumbnails else {}
        return [_export_record(r, thumbs.get(r.id)) for r in records]

    def export_json(self, account_key: str, *, thumbnails: bool = True, **filters: Any) -> str:
        document = {
            "format": EXPORT_FORMAT,
            "version": 1,
            "exported_at": self.clock().isoformat(),
            "jobs": self.export_records(account_key, thumbnails=thumbnails, **filters),
        }
        return json.dumps(document, ensure_ascii=False, indent=1)

    def export_csv(self, account_key: str, **filters: Any) -> str:
        """The table as CSV. A text cell a spreadsheet would run as a formula starts with '.
        Lines end in CRLF, so that a cell holding a lone carriage return is quoted too."""
        frame = self.dataframe(account_key, order="oldest", **filters)
        for column in ("created_at", "completed_at", "url_expires_at"):
            frame[column] = frame[column].map(lambda v: v.isoformat() if pd.notna(v) else "")
        return _defuse_formulas(frame).to_csv(index=False, lineterminator="\r\n")

    def import_json(self, account_key: str, text: str) -> ImportResult:
        """Merge an export into this account's history, skipping jobs already present (same
        jobId, or same local id) and records that cannot be read (see `_import_row`).
        Raises NotAnExport when the text is not an export at all."""
        items = parse_export(text)
        candidates = _vet_records(account_key, items, self.clock())
        with self._write() as conn:
            plan = _ImportPlan(conn, account_key, candidates)
            rows, thumbs = plan.rows()
            if rows:
                conn.execute(jobs.insert(), rows)
            if thumbs:
                conn.execute(blobs.insert(), thumbs)
        return ImportResult(
            imported=len(rows),
            already=len(candidates) - len(rows),
            skipped=len(items) - len(candidates),
        )


# ---------------------------------------------------------------- helpers: queries


def _inherit(conn: Connection, row: dict[str, Any], parent_id: str, account_key: str) -> None:
    """An upscale carries no prompt: show the parent's, so the History table stays readable."""
    if row["prompt"]:
        return
    names = ("prompt", "style", "aspect_ratio", "seed", "model")
    query = sa.select(*(jobs.c[n] for n in names)).where(
        jobs.c.id == parent_id, jobs.c.account_key == account_key
    )
    parent = conn.execute(query).mappings().first()
    if parent:
        row.update({n: row[n] if row[n] is not None else parent[n] for n in names})
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


def _style_condition(styles: Sequence[str]) -> sa.ColumnElement[bool]:
    named = [s for s in styles if s not in (NO_STYLE, "none", "")]
    parts: list[sa.ColumnElement[bool]] = []
    if named:
        parts.append(jobs.c.style.in_(named))
    if len(named) < len(styles):
        parts.append(jobs.c.style.is_(None))
    return sa.or_(*parts)


def _ordering(order: str) -> list[sa.ColumnElement[Any]]:
    newest = [jobs.c.created_at.desc(), jobs.c.id.desc()]
    options: dict[str, list[Any]] = {
        "newest": newest,
        "oldest": [jobs.c.created_at.asc(), jobs.c.id.asc()],
        "prompt": [sa.func.lower(jobs.c.prompt).asc(), *newest],
        "status": [jobs.c.status.asc(), *newest],
        "expires": [jobs.c.url_expires_at.asc().nulls_last(), *newest],
    }
    if order not in options:
        raise ValueError(f"Unknown order {order!r}; expected one of {sorted(options)}.")
    return options[order]


def _page(query: sa.Select[Any], limit: int | None, offset: int) -> sa.Select[Any]:
    if limit is not None:
        query = query.limit(limit)
    return query.offset(offset) if offset else query


# Values are pandas dtype names. Any: pandas-stubs types pd.array only for a dtype written out
# as a literal, not for one looked up per column.
FRAME_DTYPES: dict[str, Any] = {
    **dict.fromkeys(
        ("created_at", "completed_at", "url_expires_at", "started_at"), "datetime64[us, UTC]"
    ),
    **dict.fromkeys(("seed", "width", "height"), "Int64"),
    **dict.fromkeys(("link_lost", "has_thumbnail", "has_image"), "bool"),
    "progress": "Float64",
}


def _frame(rows: Sequence[sa.Row[Any]], names: list[str]) -> pd.DataFrame:
    """Build each column once with its final dtype: astype passes cost more than the query."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    data = {}
    for name, values in zip(names, columns, strict=True):
        dtype = FRAME_DTYPES.get(name)
        data[name] = pd.array(values, dtype=dtype) if dtype else pd.array(values, dtype="str")
    frame = pd.DataFrame(data)
    start = frame["started_at"].fillna(frame["created_at"])
    frame["duration_s"] = (frame["completed_at"] - start).dt.total_seconds().clip(lower=0)
    return frame[list(DATAFRAME_COLUMNS)]


# ---------------------------------------------------------------- helpers: image budget


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
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        conn.execute(blobs.update().where(blobs.c.id.in_(chunk)).values(image=None))
        conn.execute(
            jobs.update()
            .where(jobs.c.id.in_(chunk))
            .values(has_image=False, message=FULL_IMAGE_DROPPED, updated_at=now)
        )


# ---------------------------------------------------------------- helpers: remote sync


def _items_by_job(items: Iterable[AssetItem]) -> dict[str, AssetItem]:
    found: dict[str, AssetItem] = {}
    for item in items:
        if item.job_id and item.job_id not in found:
            found[item.job_id] = item
    return found


def _known_job_ids(conn: Connection, account_key: str, job_ids: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(job_ids), 500):
        chunk = job_ids[start : start + 500]
        query = sa.select(jobs.c.job_id).where(
            jobs.c.account_key == account_key, jobs.c.job_id.in_(chunk)
        )
        known.update(conn.execute(query).scalars())
    return known


def _link_values(item: AssetItem) -> dict[str, Any]:
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
    conn: Connection, account_key: str, job_id: str, item: AssetItem, now: datetime
) -> None:
    values = _link_values(item)
    if values:
        query = jobs.update().where(jobs.c.account_key == account_key, jobs.c.job_id == job_id)
        conn.execute(query.values(**values, link_lost=False, updated_at=now))


def _remote_created_at(item: AssetItem, now: datetime) -> datetime:
    for key in ("createdAt", "created_at", "createdDate", "created"):
        found = _as_datetime(item.raw.get(key))
        if found is not None:
            return found
    return now


def _remote_row(account_key: str, item: AssetItem, now: datetime) -> dict[str, Any]:
    created = _remote_created_at(item, now)
    base = _blank_row(account_key, now)
    base.update(
        kind="create",
        status="completed",
        origin="remote",
        job_id=item.job_id,
        created_at=created,
        completed_at=created,
        **_link_values(item),
    )
    return base


def _blank_row(account_key: str, now: datetime) -> dict[str, Any]:
    """Every column, so that rows inserted together in one executemany share one shape."""
    row: dict[str, Any] = {c.name: None for c in jobs.columns}
    row.update(
        id=new_id(),
        account_key=account_key,
        prompt="",
        request_json="{}",
        link_lost=False,
        has_thumbnail=False,
        has_image=False,
        created_at=now,
        updated_at=now,
    )
    return row


# ---------------------------------------------------------------- helpers: export / import

EXPORTED_FIELDS = tuple(f.name for f in fields(JobRecord) if f.name != "account_key")


def _export_record(record: JobRecord, thumbnail: bytes | None) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in EXPORTED_FIELDS:
        value = getattr(record, name)
        data[name] = value.isoformat() if isinstance(value, datetime) else value
    data["has_image"] = False  # the full image is not exported
    data["thumbnail"] = base64.b64encode(thumbnail).decode() if thumbnail else None
    return data


class NotAnExport(ValueError):
    """The text is not a Kontext Lab history export."""


@dataclass(frozen=True)
class ImportResult:
    """What an import did: rows added, records already here, records that could not be read."""

    imported: int
    already: int = 0
    skipped: int = 0


class _Unreadable(ValueError):
    """One record of an export that cannot be imported; the rest of the file still is."""


@dataclass(frozen=True)
class _Candidate:
    """A record that passed every check: its id in the file, its row, its thumbnail."""

    old_id: str
    row: dict[str, Any]
    thumbnail: bytes | None


def parse_export(text: str) -> list[Any]:
    """The items of an export's job list (the document, or a bare list), unchecked."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise NotAnExport("This file is not valid JSON.") from exc
    records = document.get("jobs") if isinstance(document, dict) else document
    if not isinstance(records, list):
        raise NotAnExport("This file is not a Kontext Lab history export.")
    return records


def _vet_records(account_key: str, items: list[Any], now: datetime) -> list[_Candidate]:
    """The items that make a sound row; the others are left out (and counted by the caller)."""
    pictures: dict[bytes, bytes | None] = {}  # an export repeats thumbnails: decode each once
    found: list[_Candidate] = []
    for item in items:
        try:
            found.append(_candidate(account_key, item, now, pictures))
        except _Unreadable:
            continue
    return found


def _candidate(
    account_key: str, item: Any, now: datetime, pictures: dict[bytes, bytes | None]
) -> _Candidate:
    if not isinstance(item, dict):
        raise _Unreadable("not a job record")
    row = _import_row(account_key, item, now)
    thumbnail = _import_thumbnail(item.get("thumbnail"), pictures)
    row["has_thumbnail"] = thumbnail is not None
    return _Candidate(_identifier(item.get("id"), IMPORT_ID_LIMIT) or "", row, thumbnail)


class _ImportPlan:
    """Decides which records are new and gives them ids that do not collide."""

    def __init__(self, conn: Connection, account_key: str, candidates: list[_Candidate]):
        self.account_key = account_key
        self.candidates = candidates
        ids = [c.old_id for c in candidates if c.old_id]
        ids += [self.derived(i) for i in ids]
        job_ids = [c.row["job_id"] for c in candidates if c.row["job_id"]]
        self.taken_ids = _existing(conn, jobs.c.id, ids, None)
        self.own_ids = _existing(conn, jobs.c.id, ids, account_key)
        self.own_jobs = _known_job_ids(conn, account_key, job_ids)

    def derived(self, old: str) -> str:
        """The id a record gets when its own id belongs to another account: stable, so that
        importing the same file twice still finds the first copy."""
        return hashlib.sha256(f"{self.account_key}:{old}".encode()).hexdigest()[:32]

    def rows(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        chosen = self._choose()
        id_map = {c.old_id: fresh for fresh, c in chosen if c.old_id}
        rows, thumbs = [], []
        for fresh, candidate in chosen:
            row = dict(candidate.row, id=fresh)
            row["parent_id"] = _import_parent(row["parent_id"], id_map)
            if candidate.thumbnail is not None:
                thumbs.append({"id": fresh, "thumbnail": candidate.thumbnail, "image": None})
            rows.append(row)
        return rows, thumbs

    def _choose(self) -> list[tuple[str, _Candidate]]:
        """(new id, candidate) for each record to insert, skipping known ones."""
        chosen: list[tuple[str, _Candidate]] = []
        seen: set[str] = set()
        for candidate in self.candidates:
            old, job_id = candidate.old_id, candidate.row["job_id"] or ""
            known = old and (old in seen or {old, self.derived(old)} & self.own_ids)
            if known or job_id in self.own_jobs:
                continue
            chosen.append((self._fresh_id(old), candidate))
            seen.add(old)
            if job_id:
                self.own_jobs.add(job_id)
        return chosen

    def _fresh_id(self, old: str) -> str:
        if not old:
            return new_id()
        if len(old) <= ID_LENGTH and old not in self.taken_ids:
            return old
        return self.derived(old)


def _existing(
    conn: Connection, column: sa.Column[Any], values: list[str], account_key: str | None
) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(values), 500):
        query = sa.select(column).where(column.in_(values[start : start + 500]))
        if account_key is not None:
            query = query.where(jobs.c.account_key == account_key)
        found.update(conn.execute(query).scalars())
    return found


# What an import keeps. A field that breaks a rule is dropped; a record whose identity or
# request breaks one is skipped whole (see `_import_row`).
ID_LENGTH = 32
IMPORT_ID_LIMIT = 255
MESSAGE_LIMIT = 2000
MAX_SIDE = 100_000
THUMBNAIL_TEXT_LIMIT = 4 * 1024 * 1024  # base64 characters: about 3 MB of picture
WEBHOOK_KEYS = frozenset({"replyUrl", "replyRef"})
IMAGE_TYPES = tuple(EXTENSIONS)
IMPORTED_UNSENT = "Imported before it was sent."
IMPORTED_RUNNING = (
    "It was still running when it was exported, so its picture is not in this history."
)


def _import_row(account_key: str, record: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A row from one record of an export, or _Unreadable. Strangers write these files, so:
    an unknown kind, an id or prompt too long for its column, or a request the request models
    refuse skips the record; a bad address, picture size, seed or choice is dropped; dates in
    the future become now; the webhook goes (Re-run must not call a stranger's URL); and a job
    that was in flight ends as failed (an import never makes the app send anything). A record
    with no prompt, job id or request says nothing, and is skipped too."""
    row = _blank_row(account_key, now)
    kind = _import_kind(record.get("kind"))
    request = _import_request(kind, record.get("request"))
    row.update(
        kind=kind,
        origin="import",
        parent_id=_identifier(record.get("parent_id"), IMPORT_ID_LIMIT),
        job_id=_identifier(record.get("job_id"), _column_length("job_id")),
        generation_id=_identifier(record.get("generation_id"), _column_length("generation_id")),
        file_id=_identifier(record.get("file_id"), _column_length("file_id")),
        request_json=json.dumps(request, sort_keys=True, default=str),
        prompt=_import_prompt(record.get("prompt")),
        style=_choice(record.get("style"), capabilities().looks),
        aspect_ratio=_choice(record.get("aspect_ratio"), capabilities().shapes),
        model=_choice(record.get("model"), capabilities().models),
        mime_type=_choice(record.get("mime_type"), IMAGE_TYPES),
        seed=_bounded_int(record.get("seed"), 0, capabilities().seed_max),
        width=_bounded_int(record.get("width"), 1, MAX_SIDE),
        height=_bounded_int(record.get("height"), 1, MAX_SIDE),
        progress=_import_progress(record.get("progress")),
        message=_short_text(record.get("message"), MESSAGE_LIMIT),
        error_kind=_short_text(record.get("error_kind"), _column_length("error_kind")),
        asset_url=web_url(record.get("asset_url")),
        link_lost=record.get("link_lost") is True,
        url_expires_at=_import_datetime(record.get("url_expires_at")),
    )
    if not (row["prompt"] or row["job_id"] or request):
        raise _Unreadable("nothing in the record says what the job was")
    for name in ("created_at", "started_at", "completed_at"):
        row[name] = _import_datetime(record.get(name), latest=now)
    row["created_at"] = row["created_at"] or now
    row["updated_at"] = now
    _settle_status(row, record.get("status"))
    return row


def _column_length(name: str) -> int:
    return int(jobs.c[name].type.length)  # type: ignore[attr-defined]  # a String column's length


def _import_kind(value: Any) -> str:
    if value in (None, ""):
        return "create"
    if value not in KINDS:
        raise _Unreadable(f"unknown kind {value!r}")
    return str(value)


def _import_request(kind: str, value: Any) -> dict[str, Any]:
    """The request as the request models rebuild it (so Re-run sends only what they allow),
    without the webhook. A record without a request (a synced job) keeps an empty one."""
    if value is None or value == {}:
        return {}
    if not isinstance(value, dict):
        raise _Unreadable("the request is not an object")
    wanted = {k: v for k, v in _clean_request(value).items() if k not in WEBHOOK_KEYS}
    if kind == "upload":  # an uploaded picture's name; nothing to send again
        names = {k: v for k, v in wanted.items() if k in ("prompt", "fileName")}
        return {k: v for k, v in names.items() if isinstance(v, str) and len(v) <= 255}
    try:
        return rules().prepare(kind, rules().fields_of(kind, wanted)).as_dict()
    except (KeyError, TypeError, ValueError) as exc:  # InvalidRequest is a ValueError
        raise _Unreadable("the request is not one the app would send") from exc


def _import_prompt(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > capabilities().prompt_limit:
        raise _Unreadable("the prompt is not text of a usable length")
    return value


def _identifier(value: Any, limit: int) -> str | None:
    """An id as text; _Unreadable when it is not text or a number, or longer than `limit`."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or len(value) > limit:
        raise _Unreadable("an id is not text of a usable length")
    return value


def _choice(value: Any, options: Sequence[str]) -> str | None:
    return value if isinstance(value, str) and value in options else None


def _bounded_int(value: Any, low: int, high: int) -> int | None:
    number = _as_int(value) if isinstance(value, int | str) else None
    return number if number is not None and low <= number <= high else None


def _import_progress(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and 0 <= number <= 100 else None


def _short_text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return value[:limit]


def _import_datetime(value: Any, latest: datetime | None = None) -> datetime | None:
    """A moment from the export, no later than `latest` (a record dated 2099 must not sort
    above everything made today); None when it cannot be read."""
    try:
        moment = _as_datetime(value)
    except (OverflowError, OSError, ValueError):
        return None
    if moment is None:
        return None
    return min(moment, latest) if latest is not None else moment


def _import_thumbnail(value: Any, pictures: dict[bytes, bytes | None]) -> bytes | None:
    """The thumbnail decoded (with a pixel limit) and drawn again as a small JPEG; None when
    it is missing, too big, or not a picture."""
    if not isinstance(value, str) or not value or len(value) > THUMBNAIL_TEXT_LIMIT:
        return None
    try:
        data = base64.b64decode(value, validate=True)
    except ValueError:
        return None
    digest = hashlib.sha256(data).digest()
    if digest not in pictures:
        pictures[digest] = small_jpeg(data)
    return pictures[digest]


def _import_parent(old: str | None, id_map: dict[str, str]) -> str | None:
    if not old:
        return None
    parent = id_map.get(old, old)
    return parent if len(parent) <= ID_LENGTH else None


def _settle_status(row: dict[str, Any], status: Any) -> None:
    row["status"] = status if status in STATUSES else "failed"
    if row["status"] == "queued" and not row["job_id"]:
        # Resuming it would submit it again and spend credits on someone's old request.
        row.update(status="failed", message=IMPORTED_UNSENT, error_kind="import")
    elif row["status"] in (*ACTIVE_STATUSES, "unknown"):
        # Following it would poll or search the account for every such record in the file.
        row.update(status="failed", message=IMPORTED_RUNNING, error_kind="import")


# ---------------------------------------------------------------- helpers: CSV export

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _defuse(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, with a ' in front (shown as text)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _defuse_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):  # numbers and flags stay as they are
            frame[column] = frame[column].map(_defuse, na_action="ignore")
    return frame
