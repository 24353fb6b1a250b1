"""The history's tables, its one record type, and the words a row is written in.

Images live in a separate table so that the History table's queries never read them.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from kontextlab.vocabulary import ACTIVE_STATES, ALL_STATES, FINAL_STATES, JobState

# "upload" rows record a reference picture, so that edits of it have a parent in lineage.
KINDS: tuple[str, ...] = ("create", "edit", "upscale", "upload")
# The vocabulary's states under the names the pages have always imported.
STATUSES = ALL_STATES
ACTIVE_STATUSES = ACTIVE_STATES
FINAL_STATUSES = FINAL_STATES
# The states a process may be following a row in: in flight, or lost (what a lease guards).
FOLLOWED_STATES: tuple[JobState, ...] = (*ACTIVE_STATES, JobState.UNKNOWN)
# The provider of a row written before rows named theirs, and of an export that names none.
DEFAULT_PROVIDER = "ltx"
SECRET_KEYS = frozenset({"token", "authorization", "apitoken", "api_token", "bearer"})
ID_LENGTH = 32


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

# A column added here reaches an existing database through `engine.add_missing_columns`: a
# new NOT NULL column needs a server default for the rows already there.
jobs = sa.Table(
    "kontextlab_jobs",
    metadata,
    sa.Column("id", sa.String(ID_LENGTH), primary_key=True),
    sa.Column("account_key", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("origin", sa.String(16), nullable=False),
    sa.Column("parent_id", sa.String(ID_LENGTH)),
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
    sa.Column(
        "provider",
        sa.String(32),
        nullable=False,
        default=DEFAULT_PROVIDER,
        server_default=DEFAULT_PROVIDER,
    ),
    sa.Column("cost", sa.Float),  # credits the job cost, when the provider says
    sa.Column("follow_url", sa.String(2048)),  # where the provider says to follow the job
    # Which app process follows the row, and until when (see HistoryStore.claim).
    sa.Column("lease_owner", sa.String(64)),
    sa.Column("lease_until", UtcDateTime),
    # The jobs one click sent together (several seeds, every look) share this id.
    sa.Column("batch_id", sa.String(ID_LENGTH)),
    sa.UniqueConstraint("account_key", "job_id", name="uq_kontextlab_jobs_account_job"),
    sa.Index("ix_kontextlab_jobs_account_created", "account_key", "created_at"),
    sa.Index("ix_kontextlab_jobs_status", "status"),
    # One kind's newest rows (a page's recent results, its recent prompts) without walking
    # the other kinds' rows.
    sa.Index("ix_kontextlab_jobs_account_kind_created", "account_key", "kind", "created_at"),
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
    sa.Column("preview", sa.LargeBinary),  # a display-sized copy of the picture
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
        "cost",
        "follow_url",
    }
)
BLOB_FIELDS = ("thumbnail", "image", "preview")
# The blobs whose presence a column of the jobs table tells (`has_thumbnail`, `has_image`).
FLAGGED_BLOBS = ("thumbnail", "image")
# The settings a row shows in the History table, from the summary of its request.
SUMMARY_FIELDS = ("prompt", "style", "aspect_ratio", "seed", "model")


def now_utc() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class JobRecord:
    """One job as the app sees it: every column except the image bytes."""

    id: str
    account_key: str
    kind: str
    status: JobState
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
    provider: str
    cost: float | None
    follow_url: str | None
    lease_owner: str | None
    lease_until: datetime | None
    batch_id: str | None = None

    @classmethod
    def from_row(cls, row: sa.RowMapping) -> JobRecord:
        values = {k: v for k, v in row.items() if k != "request_json"}
        values["request"] = loads(row["request_json"])
        values["status"] = JobState(values["status"])
        values["link_lost"] = bool(values["link_lost"])
        values["has_thumbnail"] = bool(values["has_thumbnail"])
        values["has_image"] = bool(values["has_image"])
        return cls(**values)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATES

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


def loads(text: str | None) -> dict[str, Any]:
    """A stored request: a JSON object, or {} for anything else."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def clean_request(request: dict[str, Any]) -> dict[str, Any]:
    """The request without any key that could hold a token. Defence in depth: requests carry
    no token, and must never start to."""
    return {k: v for k, v in request.items() if k.lower() not in SECRET_KEYS}


def as_datetime(value: Any) -> datetime | None:
    """An aware datetime from a datetime, epoch milliseconds or ISO text; None otherwise."""
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
        return as_datetime(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return None


def blank_row(account_key: str, now: datetime) -> dict[str, Any]:
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
        provider=DEFAULT_PROVIDER,
    )
    return row


def column_length(name: str) -> int:
    """The length of one of the jobs table's String columns."""
    return int(jobs.c[name].type.length)  # type: ignore[attr-defined]  # a String column's length
