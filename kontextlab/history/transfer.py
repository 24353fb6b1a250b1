"""Export and import of a history: the JSON document, the CSV a spreadsheet opens as text,
and the checks that a file a stranger wrote passes before any of it becomes a row.

What a provider accepts (its looks, shapes, models, how it rebuilds a request) comes in as
`ImportRules`, one per provider: this module knows no provider.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection

from kontextlab.history.queries import existing, known_job_ids
from kontextlab.history.schema import (
    DEFAULT_PROVIDER,
    FOLLOWED_STATES,
    ID_LENGTH,
    KINDS,
    JobRecord,
    as_datetime,
    blank_row,
    blobs,
    clean_request,
    column_length,
    jobs,
    new_id,
)
from kontextlab.images import EXTENSIONS
from kontextlab.untrusted import small_jpeg, web_url
from kontextlab.vocabulary import ALL_STATES, JobState, as_int

EXPORT_FORMAT = "kontextlab-history"
# Who follows a row, and where, is this database's business: never exported.
NOT_EXPORTED = frozenset({"account_key", "follow_url", "lease_owner", "lease_until"})
EXPORTED_FIELDS = tuple(f.name for f in fields(JobRecord) if f.name not in NOT_EXPORTED)

# What an import keeps. A field that breaks a rule is dropped; a record whose identity or
# request breaks one is skipped whole (see `_import_row`).
IMPORT_ID_LIMIT = 255
MESSAGE_LIMIT = 2000
MAX_SIDE = 100_000
COST_LIMIT = 1_000_000.0
THUMBNAIL_TEXT_LIMIT = 4 * 1024 * 1024  # base64 characters: about 3 MB of picture
WEBHOOK_KEYS = frozenset({"replyUrl", "replyRef"})
IMAGE_TYPES = tuple(EXTENSIONS)
IMPORTED_UNSENT = "Imported before it was sent."
IMPORTED_RUNNING = (
    "It was still running when it was exported, so its picture is not in this history."
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ImportRules:
    """What one provider accepts, for vetting an imported record of its jobs. `rebuild`
    returns a request as the provider's request models would send it (kind, request), and
    raises ValueError for one they refuse."""

    styles: Collection[str]
    aspect_ratios: Collection[str]
    models: Collection[str]
    seed_max: int
    prompt_limit: int
    rebuild: Callable[[str, dict[str, Any]], dict[str, Any]]


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
class Candidate:
    """A record that passed every check: its id in the file, its row, its thumbnail."""

    old_id: str
    row: dict[str, Any]
    thumbnail: bytes | None


# ---------------------------------------------------------------- export


def export_document(records: list[JobRecord], thumbnails: dict[str, bytes], now: datetime) -> str:
    """The export of `records` (with the thumbnails given, never the full images)."""
    document = {
        "format": EXPORT_FORMAT,
        "version": 1,
        "exported_at": now.isoformat(),
        "jobs": [_export_record(r, thumbnails.get(r.id)) for r in records],
    }
    return json.dumps(document, ensure_ascii=False, indent=1)


def _export_record(record: JobRecord, thumbnail: bytes | None) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in EXPORTED_FIELDS:
        value = getattr(record, name)
        data[name] = value.isoformat() if isinstance(value, datetime) else value
    data["has_image"] = False  # the full image is not exported
    data["thumbnail"] = base64.b64encode(thumbnail).decode() if thumbnail else None
    return data


def csv_text(frame: pd.DataFrame) -> str:
    """The History frame as CSV. A text cell a spreadsheet would run as a formula starts
    with '. Lines end in CRLF, so that a cell holding a lone carriage return is quoted too."""
    for column in ("created_at", "completed_at", "url_expires_at"):
        frame[column] = frame[column].map(lambda v: v.isoformat() if pd.notna(v) else "")
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):  # numbers and flags stay as they are
            frame[column] = frame[column].map(_defuse, na_action="ignore")
    return frame.to_csv(index=False, lineterminator="\r\n")


def _defuse(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, with a ' in front (shown as text)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# ---------------------------------------------------------------- import


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


def vet_records(
    account_key: str, items: list[Any], now: datetime, rules: Mapping[str, ImportRules]
) -> list[Candidate]:
    """The items that make a sound row; the others are left out (and counted by the caller)."""
    pictures: dict[bytes, bytes | None] = {}  # an export repeats thumbnails: decode each once
    found: list[Candidate] = []
    for item in items:
        try:
            if not isinstance(item, dict):
                raise _Unreadable("not a job record")
            row = _import_row(account_key, item, now, rules)
            thumbnail = _import_thumbnail(item.get("thumbnail"), pictures)
            row["has_thumbnail"] = thumbnail is not None
            old_id = _identifier(item.get("id"), IMPORT_ID_LIMIT) or ""
        except _Unreadable:
            continue
        found.append(Candidate(old_id, row, thumbnail))
    return found


def insert_new(conn: Connection, account_key: str, candidates: list[Candidate]) -> int:
    """Insert the candidates this account does not have yet, in the caller's write
    transaction; returns how many."""
    rows, thumbs = _ImportPlan(conn, account_key, candidates).rows()
    if rows:
        conn.execute(jobs.insert(), rows)
    if thumbs:
        conn.execute(blobs.insert(), thumbs)
    return len(rows)


class _ImportPlan:
    """Decides which records are new and gives them ids that do not collide."""

    def __init__(self, conn: Connection, account_key: str, candidates: list[Candidate]):
        self.account_key = account_key
        self.candidates = candidates
        ids = [c.old_id for c in candidates if c.old_id]
        ids += [self.derived(i) for i in ids]
        job_ids = [c.row["job_id"] for c in candidates if c.row["job_id"]]
        self.taken_ids = existing(conn, jobs.c.id, ids, None)
        self.own_ids = existing(conn, jobs.c.id, ids, account_key)
        self.own_jobs = known_job_ids(conn, account_key, job_ids)

    def derived(self, old: str) -> str:
        """The id a record gets when its own id belongs to another account: stable, so that
        importing the same file twice still finds the first copy."""
        return hashlib.sha256(f"{self.account_key}:{old}".encode()).hexdigest()[:ID_LENGTH]

    def rows(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        chosen = self._choose()
        id_map = {c.old_id: fresh for fresh, c in chosen if c.old_id}
        rows, thumbs = [], []
        for fresh, candidate in chosen:
            row = dict(candidate.row, id=fresh)
            row["parent_id"] = _import_parent(row["parent_id"], id_map)
            if candidate.thumbnail is not None:
                thumbs.append({"id": fresh, "thumbnail": candidate.thumbnail})
            rows.append(row)
        return rows, thumbs

    def _choose(self) -> list[tuple[str, Candidate]]:
        """(new id, candidate) for each record to insert, skipping known ones."""
        chosen: list[tuple[str, Candidate]] = []
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


def _import_row(
    account_key: str, record: dict[str, Any], now: datetime, rules: Mapping[str, ImportRules]
) -> dict[str, Any]:
    """A row from one record of an export, or _Unreadable. Strangers write these files, so:
    an unknown kind or provider, an id or prompt too long for its column, or a request the
    provider's request models refuse skips the record; a bad address, picture size, seed,
    cost or choice is dropped; dates in the future become now; the webhook goes (Re-run must
    not call a stranger's URL); and a job that was in flight ends as failed (an import never
    makes the app send anything). A record with no prompt, job id or request says nothing,
    and is skipped too."""
    row = blank_row(account_key, now)
    kind = _import_kind(record.get("kind"))
    provider = _import_provider(record.get("provider"), rules)
    rule = rules[provider]
    request = _import_request(kind, record.get("request"), rule)
    row.update(
        kind=kind,
        origin="import",
        provider=provider,
        parent_id=_identifier(record.get("parent_id"), IMPORT_ID_LIMIT),
        batch_id=_optional_identifier(record.get("batch_id"), column_length("batch_id")),
        job_id=_identifier(record.get("job_id"), column_length("job_id")),
        generation_id=_identifier(record.get("generation_id"), column_length("generation_id")),
        file_id=_identifier(record.get("file_id"), column_length("file_id")),
        request_json=json.dumps(request, sort_keys=True, default=str),
        prompt=_import_prompt(record.get("prompt"), rule.prompt_limit),
        style=_choice(record.get("style"), rule.styles),
        aspect_ratio=_choice(record.get("aspect_ratio"), rule.aspect_ratios),
        model=_choice(record.get("model"), rule.models),
        mime_type=_choice(record.get("mime_type"), IMAGE_TYPES),
        seed=_bounded_int(record.get("seed"), 0, rule.seed_max),
        width=_bounded_int(record.get("width"), 1, MAX_SIDE),
        height=_bounded_int(record.get("height"), 1, MAX_SIDE),
        progress=_bounded_float(record.get("progress"), 100.0),
        cost=_bounded_float(record.get("cost"), COST_LIMIT),
        message=_short_text(record.get("message"), MESSAGE_LIMIT),
        error_kind=_short_text(record.get("error_kind"), column_length("error_kind")),
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


def _import_kind(value: Any) -> str:
    if value in (None, ""):
        return "create"
    if value not in KINDS:
        raise _Unreadable(f"unknown kind {value!r}")
    return str(value)


def _import_provider(value: Any, rules: Mapping[str, ImportRules]) -> str:
    """The record's provider (an export that names none is the first provider's); one this
    app has no rules for is _Unreadable: its request could not be checked."""
    name = DEFAULT_PROVIDER if value in (None, "") else value
    if not isinstance(name, str) or name not in rules:
        raise _Unreadable(f"unknown provider {value!r}")
    return name


def _import_request(kind: str, value: Any, rule: ImportRules) -> dict[str, Any]:
    """The request as the provider's request models rebuild it (so Re-run sends only what
    they allow), without the webhook. A record without a request (a synced job) keeps an
    empty one."""
    if value is None or value == {}:
        return {}
    if not isinstance(value, dict):
        raise _Unreadable("the request is not an object")
    wanted = {k: v for k, v in clean_request(value).items() if k not in WEBHOOK_KEYS}
    if kind == "upload":  # an uploaded picture's name; nothing to send again
        names = {k: v for k, v in wanted.items() if k in ("prompt", "fileName")}
        return {k: v for k, v in names.items() if isinstance(v, str) and len(v) <= 255}
    try:
        return rule.rebuild(kind, wanted)
    except ValueError as exc:
        raise _Unreadable("the request is not one the app would send") from exc


def _import_prompt(value: Any, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
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


def _optional_identifier(value: Any, limit: int) -> str | None:
    """An id that only groups rows (a batch): dropped, not the record, when unusable."""
    try:
        return _identifier(value, limit)
    except _Unreadable:
        return None


def _choice(value: Any, options: Collection[str]) -> str | None:
    return value if isinstance(value, str) and value in options else None


def _bounded_int(value: Any, low: int, high: int) -> int | None:
    number = as_int(value) if isinstance(value, int | str) else None
    return number if number is not None and low <= number <= high else None


def _bounded_float(value: Any, high: float) -> float | None:
    """A finite number from 0 to `high`; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and 0 <= number <= high else None


def _short_text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return value[:limit]


def _import_datetime(value: Any, latest: datetime | None = None) -> datetime | None:
    """A moment from the export, no later than `latest` (a record dated 2099 must not sort
    above everything made today); None when it cannot be read."""
    try:
        moment = as_datetime(value)
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
    row["status"] = JobState(status) if status in ALL_STATES else JobState.FAILED
    if row["status"] == JobState.QUEUED and not row["job_id"]:
        # Resuming it would submit it again and spend credits on someone's old request.
        row.update(status=JobState.FAILED, message=IMPORTED_UNSENT, error_kind="import")
    elif row["status"] in FOLLOWED_STATES:
        # Following it would poll or search the account for every such record in the file.
        row.update(status=JobState.FAILED, message=IMPORTED_RUNNING, error_kind="import")
