"""The columns added for providers and leases: an older database gains them on start, the
store writes and reads them, and export/import carry provider and cost (never a lease).
Also the reads the pages lean on for speed. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from kontextlab.history import (
    DATAFRAME_COLUMNS,
    HistoryStore,
    ImportResult,
    ImportRules,
    JobRecord,
    normalize_url,
)
from kontextlab.history.engine import add_missing_columns
from kontextlab.import_rules import IMPORT_RULES
from kontextlab.vocabulary import JobState

pytest_plugins = ["tests.pgfixture"]

A, B = "a" * 64, "b" * 64
NEW_JOB_COLUMNS = {"provider", "cost", "follow_url", "lease_owner", "lease_until", "batch_id"}

# The tables as the previous version created them (before provider, cost, follow_url,
# lease_owner, lease_until, batch_id and the preview blob).
OLD_JOBS = """
CREATE TABLE kontextlab_jobs (
    id VARCHAR(32) NOT NULL PRIMARY KEY,
    account_key VARCHAR(64) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    status VARCHAR(16) NOT NULL,
    origin VARCHAR(16) NOT NULL,
    parent_id VARCHAR(32),
    job_id VARCHAR(512),
    generation_id VARCHAR(255),
    prompt TEXT NOT NULL,
    style VARCHAR(32),
    aspect_ratio VARCHAR(8),
    seed BIGINT,
    model VARCHAR(32),
    request_json TEXT NOT NULL,
    progress FLOAT,
    message TEXT,
    error_kind VARCHAR(64),
    asset_url TEXT,
    url_expires_at TIMESTAMP,
    link_lost BOOLEAN NOT NULL,
    file_id VARCHAR(255),
    mime_type VARCHAR(64),
    width INTEGER,
    height INTEGER,
    has_thumbnail BOOLEAN NOT NULL,
    has_image BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    completed_at TIMESTAMP,
    CONSTRAINT uq_kontextlab_jobs_account_job UNIQUE (account_key, job_id)
)"""
OLD_BLOBS = """
CREATE TABLE kontextlab_job_blobs (
    id VARCHAR(32) NOT NULL PRIMARY KEY REFERENCES kontextlab_jobs (id) ON DELETE CASCADE,
    thumbnail {blob},
    image {blob}
)"""
OLD_ROW = """
INSERT INTO kontextlab_jobs (id, account_key, kind, status, origin, prompt, request_json,
    link_lost, has_thumbnail, has_image, created_at, updated_at, seed, job_id)
VALUES ('{rid}', '{key}', 'create', 'active', 'local', 'an old job', '{{"prompt": "an old job"}}',
    FALSE, TRUE, FALSE, '2025-06-01 12:00:00.000000', '2025-06-01 12:00:00.000000', 7, 'J-old')
"""
OLD_ID = "0" * 31 + "1"


def build_old_database(url: str) -> None:
    engine = sa.create_engine(normalize_url(url))
    blob = "BYTEA" if engine.dialect.name == "postgresql" else "BLOB"
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS kontextlab_job_blobs"))
        conn.execute(sa.text("DROP TABLE IF EXISTS kontextlab_jobs"))
        conn.execute(sa.text(OLD_JOBS))
        conn.execute(sa.text(OLD_BLOBS.format(blob=blob)))
        conn.execute(sa.text(OLD_ROW.format(rid=OLD_ID, key=A)))
        thumb = sa.text("INSERT INTO kontextlab_job_blobs (id, thumbnail) VALUES (:id, :t)")
        conn.execute(thumb, {"id": OLD_ID, "t": b"old thumb"})
    engine.dispose()


def columns(store: HistoryStore, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(store.engine).get_columns(table)}


def add(store: HistoryStore, key: str = A, prompt: str = "p", **options: Any) -> str:
    request = {"prompt": prompt}
    return store.add_job(
        account_key=key, kind="create", request=request, summary=request, **options
    )


@contextmanager
def statements(store: HistoryStore) -> Iterator[list[str]]:
    """The queries the store sends meanwhile (not BEGIN and the like)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", record)


# ---------------------------------------------------------------- an older database


def test_an_older_database_gains_the_new_columns_on_start(history_url: str) -> None:
    build_old_database(history_url)
    store = HistoryStore(history_url)
    try:
        assert columns(store, "kontextlab_jobs") >= NEW_JOB_COLUMNS
        assert "preview" in columns(store, "kontextlab_job_blobs")
        old = store.get(OLD_ID, A)
        assert old is not None and old.prompt == "an old job" and old.seed == 7
        assert (old.provider, old.cost, old.follow_url) == ("ltx", None, None)
        assert old.batch_id is None
        assert (old.lease_owner, old.lease_until, old.status) == (None, None, JobState.ACTIVE)
        assert store.thumbnail(OLD_ID, A) == b"old thumb" and store.preview(OLD_ID, A) is None
        assert [r.id for r in store.orphans(A)] == [OLD_ID]
        assert store.claim(OLD_ID, "proc-1", ttl=30)
        store.update_job(OLD_ID, cost=1.5, follow_url="https://api.test/jobs/1", preview=b"pv")
        again = store.get(OLD_ID, A)
        assert again is not None and (again.cost, again.lease_owner) == (1.5, "proc-1")
        assert store.preview(OLD_ID, A) == b"pv"
        rid = add(store, provider="bfl")
        assert store.get(rid, A).provider == "bfl"  # type: ignore[union-attr]
        assert add_missing_columns(store.engine) == []  # nothing left to add
    finally:
        store.close()
    reopened = HistoryStore(history_url)  # a second start changes nothing
    assert reopened.count(A) == 2
    reopened.close()


def test_the_migration_adds_what_is_missing_and_says_so(history_url: str) -> None:
    build_old_database(history_url)
    engine = sa.create_engine(normalize_url(history_url))
    added = add_missing_columns(engine)
    engine.dispose()
    expected = {f"kontextlab_jobs.{c}" for c in NEW_JOB_COLUMNS}
    assert set(added) == expected | {"kontextlab_job_blobs.preview"}


# ---------------------------------------------------------------- new columns


def test_add_job_takes_its_summary_row_id_and_provider(history: HistoryStore) -> None:
    rid = history.add_job(
        account_key=A,
        kind="create",
        request={"prompt": "a fox", "aspectRatio": "1:1"},
        summary={"prompt": "a fox", "aspect_ratio": "1:1", "seed": "12", "style": ""},
        provider="bfl",
        rid="f" * 32,
    )
    assert rid == "f" * 32
    record = history.get(rid, A)
    assert record is not None and isinstance(record.status, JobState)
    assert (record.prompt, record.aspect_ratio, record.seed) == ("a fox", "1:1", 12)
    assert (record.style, record.model, record.provider) == (None, None, "bfl")
    assert record.request == {"prompt": "a fox", "aspectRatio": "1:1"}
    assert add(history) != add(history)  # without rid: a new id each time
    with pytest.raises(sa.exc.IntegrityError):
        add(history, rid="f" * 32)
    with pytest.raises(ValueError, match="row id"):
        add(history, rid="f" * 33)


def test_leases_are_not_updatable_fields(history: HistoryStore) -> None:
    rid = add(history)
    for name in ("lease_owner", "lease_until", "provider"):
        with pytest.raises(TypeError, match=name):
            history.update_job(rid, **{name: None})


def test_the_frame_shows_provider_and_cost(history: HistoryStore) -> None:
    rid = add(history, provider="bfl")
    history.update_job(rid, status="completed", cost=2.5)
    add(history)
    frame = history.dataframe(A, order="oldest")
    assert list(frame.columns) == list(DATAFRAME_COLUMNS)
    assert list(frame["provider"]) == ["bfl", "ltx"]
    assert frame["cost"].iloc[0] == 2.5 and frame["cost"].isna().iloc[1]
    assert str(frame["cost"].dtype) == "Float64"


# ---------------------------------------------------------------- export and import


def test_export_carries_provider_and_cost_never_a_lease(history: HistoryStore) -> None:
    rid = add(history, prompt="a paid job")
    history.update_job(
        rid, status="completed", job_id="J1", cost=3.0, follow_url="https://api.test/f/1"
    )
    history.claim(rid, "proc-1", ttl=60)
    exported = json.loads(history.export_json(A))["jobs"][0]
    assert (exported["provider"], exported["cost"]) == ("ltx", 3.0)
    assert not {"lease_owner", "lease_until", "follow_url", "account_key"} & set(exported)
    assert history.import_json(B, history.export_json(A), IMPORT_RULES) == ImportResult(1)
    copy = history.find_by_job_id(B, "J1")
    assert copy is not None and (copy.provider, copy.cost) == ("ltx", 3.0)
    assert (copy.lease_owner, copy.lease_until, copy.follow_url) == (None, None, None)


def record(**fields: Any) -> dict[str, Any]:
    return {"prompt": "a lighthouse", "status": "completed", **fields}


@pytest.mark.parametrize(
    ("cost", "kept"),
    [(2, 2.0), (0.5, 0.5), (-1, None), (math.inf, None), ("5", None), (True, None), (1e12, None)],
)
def test_an_imported_cost_is_kept_only_when_it_is_a_sane_number(
    history: HistoryStore, cost: Any, kept: float | None
) -> None:
    text = json.dumps([record(cost=cost)])
    assert history.import_json(A, text, IMPORT_RULES).imported == 1
    assert history.list(A)[0].cost == kept


def test_an_import_is_vetted_by_the_rules_of_each_records_provider(history: HistoryStore) -> None:
    other = ImportRules(
        styles=(),
        aspect_ratios=("4:3",),
        models=(),
        seed_max=10,
        prompt_limit=20,
        rebuild=lambda kind, request: {"prompt": request["prompt"]},
    )
    records = [
        record(provider="bfl", aspect_ratio="4:3", seed=99, request={"prompt": "x", "y": 1}),
        record(provider="bfl", prompt="a prompt far longer than twenty characters"),
        record(provider="nobody"),
        record(aspect_ratio="4:3", seed=99),  # no provider: the first one's (ltx) rules
    ]
    result = history.import_json(A, json.dumps(records), {"ltx": IMPORT_RULES["ltx"], "bfl": other})
    assert result == ImportResult(imported=2, skipped=2)
    by_provider = {r.provider: r for r in history.list(A)}
    bfl, ltx = by_provider["bfl"], by_provider["ltx"]
    assert (bfl.aspect_ratio, bfl.seed, bfl.request) == ("4:3", None, {"prompt": "x"})
    assert (ltx.aspect_ratio, ltx.seed) == (None, 99)
    assert history.import_json(B, json.dumps(records), {}) == ImportResult(0, skipped=4)


# ---------------------------------------------------------------- reads for the pages


def test_records_reads_many_ids_of_one_account_in_one_query(history: HistoryStore) -> None:
    mine = [add(history, prompt=f"mine {n}") for n in range(3)]
    theirs = add(history, B)
    with statements(history) as seen:
        found = history.records(A, [*mine, theirs, "0" * 32, mine[0]])
    assert len(seen) == 1
    assert set(found) == set(mine) and all(isinstance(r, JobRecord) for r in found.values())
    assert found[mine[1]].prompt == "mine 1"
    with statements(history) as seen:
        assert history.records(A, []) == {}
    assert seen == []


def test_preview_is_a_blob_of_its_own_scoped_to_the_account(history: HistoryStore) -> None:
    rid = add(history)
    assert history.preview(rid, A) is None
    history.update_job(rid, thumbnail=b"t", preview=b"display copy")
    assert history.preview(rid, A) == b"display copy" and history.preview(rid, B) is None
    assert history.thumbnail(rid, A) == b"t" and history.image(rid, A) is None
    record = history.get(rid, A)
    assert record is not None and record.has_thumbnail and not record.has_image
    history.keep_image(rid, b"x" * 10, budget=5)  # the full image is over budget
    assert history.preview(rid, A) == b"display copy"


def test_in_flight_filters_kinds_in_sql(history: HistoryStore) -> None:
    create = add(history)
    edit = history.add_job(account_key=A, kind="edit", request={}, summary={"prompt": "e"})
    lost = add(history)
    history.update_job(lost, status="unknown")
    with statements(history) as seen:
        found = history.in_flight(A, (*JobState.__members__.values(),), kinds=["edit"])
    assert [r.id for r in found] == [edit]
    assert len(seen) == 1 and "kind IN" in seen[0]
    assert {r.id for r in history.in_flight(A)} == {create, edit}
    states = (JobState.QUEUED, JobState.ACTIVE, JobState.UNKNOWN)
    assert {r.id for r in history.in_flight(A, states, kinds=["create"])} == {create, lost}
