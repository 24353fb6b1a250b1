"""History that outlives a server: sync from the account's asset list, expiring links,
export and import, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PIL import Image

from kontextlab.history import HistoryStore, ImportResult, NotAnExport
from kontextlab.import_rules import IMPORT_RULES
from kontextlab.providers.ltx import AssetItem

pytest_plugins = ["tests.pgfixture"]

A, B = "a" * 64, "b" * 64
T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def item(job_id: str | None, url: str, expires: datetime, file_id: str = "f") -> AssetItem:
    data: dict[str, Any] = {
        "id": f"asset-{job_id}",
        "signedAsset": {
            "assetUrl": url,
            "expirationDateString": ms(expires),
            "asset": {"type": "image", "fileId": file_id, "mimeType": "image/jpeg"},
        },
    }
    if job_id:
        data["jobId"] = job_id
    return AssetItem.from_json(data)


def completed(store: HistoryStore, key: str, prompt: str, job_id: str, **changes: Any) -> str:
    rid = store.add_job(
        account_key=key,
        kind="create",
        request={"prompt": prompt, "seed": 7},
        summary={"prompt": prompt, "seed": 7},
    )
    store.update_job(rid, status="active", job_id=job_id)
    store.update_job(rid, status="completed", asset_url=f"https://cdn.test/{job_id}", **changes)
    return rid


# ---------------------------------------------------------------- merge_remote


def test_merge_remote_adds_unknown_jobs_and_refreshes_known_links(history: HistoryStore) -> None:
    mine = completed(history, A, "a fox", "J1", url_expires_at=T0)
    later = T0 + timedelta(days=7)
    items = [
        item("J1", "https://cdn.test/J1?fresh", later, "f1"),
        item("J2", "https://cdn.test/J2", later, "f2"),
        item("J2", "https://cdn.test/J2-again", later, "f2"),
        item(None, "https://cdn.test/no-job", later),
    ]
    assert history.merge_remote(A, items) == 1
    assert history.merge_remote(A, items) == 0
    assert history.count(A) == 2
    refreshed = history.get(mine, A)
    assert refreshed is not None and refreshed.prompt == "a fox"
    assert (refreshed.asset_url, refreshed.url_expires_at) == ("https://cdn.test/J1?fresh", later)
    synced = history.find_by_job_id(A, "J2")
    assert synced is not None
    assert (synced.kind, synced.status, synced.prompt) == ("create", "completed", "")
    assert (synced.file_id, synced.mime_type) == ("f2", "image/jpeg")
    assert synced.link_valid(T0) and synced.origin == "remote"


def test_merge_remote_is_scoped_to_the_account(history: HistoryStore) -> None:
    completed(history, B, "theirs", "J1")
    assert history.merge_remote(A, [item("J1", "https://cdn.test/mine", T0)]) == 1
    theirs = history.find_by_job_id(B, "J1")
    assert theirs is not None and theirs.asset_url == "https://cdn.test/J1"
    assert history.count(A) == 1 and history.count(B) == 1


def test_a_synced_placeholder_gives_way_to_the_runners_row(history: HistoryStore) -> None:
    """A sync can see a job finish before the runner's POST has returned its jobId."""
    rid = history.add_job(
        account_key=A,
        kind="create",
        request={"prompt": "a lighthouse"},
        summary={"prompt": "a lighthouse"},
    )
    assert history.merge_remote(A, [item("J9", "https://cdn.test/J9", T0)]) == 1
    history.update_job(rid, status="active", job_id="J9")
    found = history.find_by_job_id(A, "J9")
    assert found is not None and found.id == rid and found.prompt == "a lighthouse"
    assert history.count(A) == 1


def test_merge_remote_takes_the_creation_time_when_the_item_has_one(history: HistoryStore) -> None:
    data = {"id": "x", "jobId": "J5", "createdAt": "2025-05-01T10:00:00.000Z"}
    assert history.merge_remote(A, [AssetItem.from_json(data)]) == 1
    synced = history.find_by_job_id(A, "J5")
    assert synced is not None
    assert synced.created_at == datetime(2025, 5, 1, 10, tzinfo=UTC)


# ---------------------------------------------------------------- expiring links


def test_expiring_lists_links_to_refresh_soonest_first_within_a_bound(
    open_history: Callable[..., HistoryStore],
) -> None:
    history = open_history(clock=lambda: T0)
    soon = completed(history, A, "soon", "J1", url_expires_at=T0 + timedelta(minutes=10))
    sooner = completed(history, A, "sooner", "J2", url_expires_at=T0 + timedelta(minutes=1))
    expired = completed(history, A, "expired", "J3", url_expires_at=T0 - timedelta(hours=1))
    lost = completed(history, A, "lost", "J4", url_expires_at=T0 - timedelta(hours=2))
    history.update_job(lost, link_lost=True)
    completed(history, A, "fresh", "J5", url_expires_at=T0 + timedelta(days=1))
    completed(history, B, "theirs", "J6", url_expires_at=T0)
    failed = history.add_job(
        account_key=A, kind="create", request={"prompt": "failed"}, summary={"prompt": "failed"}
    )
    history.update_job(failed, status="failed", job_id="J7")
    due = history.expiring(A, timedelta(hours=1), limit=10)
    assert [r.id for r in due] == [sooner, soon, expired]
    assert [r.id for r in history.expiring(A, timedelta(hours=1), limit=2)] == [sooner, soon]
    record = history.get(lost, A)
    assert record is not None and record.link_lost and not record.link_valid(T0)
    history.update_job(lost, asset_url="https://cdn.test/J4?new", url_expires_at=T0 + timedelta(1))
    record = history.get(lost, A)
    assert record is not None and record.link_valid(T0)


# ---------------------------------------------------------------- export and import


def jpeg(colour: str = "teal", size: tuple[int, int] = (160, 90)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG")
    return out.getvalue()


def sample(history: HistoryStore) -> dict[str, str]:
    root = completed(
        history,
        A,
        'a "quoted", comma prompt',
        "J1",
        url_expires_at=T0,
        thumbnail=jpeg(),
        image=b"full",
        width=1344,
        height=768,
    )
    edit = history.add_job(
        account_key=A,
        kind="edit",
        request={"prompt": "add snow", "referenceAssetId": "F1"},
        summary={"prompt": "add snow"},
        parent_id=root,
    )
    history.update_job(edit, status="failed", message="The job failed.", error_kind="Job")
    queued = history.add_job(
        account_key=A,
        kind="create",
        request={"prompt": "never sent"},
        summary={"prompt": "never sent"},
    )
    return {"root": root, "edit": edit, "queued": queued}


def test_export_json_round_trips_into_another_store(history: HistoryStore, tmp_path: Any) -> None:
    ids = sample(history)
    text = history.export_json(A)
    other = HistoryStore(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    assert other.import_json(B, text, IMPORT_RULES) == ImportResult(imported=3)
    assert other.import_json(B, text, IMPORT_RULES) == ImportResult(imported=0, already=3)
    before = {r.id: r for r in history.list(A)}
    after = {r.id: r for r in other.list(B)}
    assert set(after) == set(before)
    for rid, old in before.items():
        new = after[rid]
        assert (new.prompt, new.kind, new.job_id, new.request) == (
            old.prompt,
            old.kind,
            old.job_id,
            old.request,
        )
        assert (new.created_at, new.url_expires_at, new.seed) == (
            old.created_at,
            old.url_expires_at,
            old.seed,
        )
    assert after[ids["edit"]].parent_id == ids["root"]
    assert [r.id for r in other.lineage(ids["edit"], B)] == [ids["root"], ids["edit"]]
    thumbnail = other.thumbnail(ids["root"], B)
    assert thumbnail and Image.open(io.BytesIO(thumbnail)).size == (160, 90)
    assert other.image(ids["root"], B) is None
    # A job recorded but never sent must not come back as something to resume.
    assert after[ids["queued"]].status == "failed" and other.in_flight(B) == []
    other.close()


def test_import_into_the_same_database_adds_no_duplicates(history: HistoryStore) -> None:
    ids = sample(history)
    text = history.export_json(A)
    assert history.import_json(A, text, IMPORT_RULES).imported == 0
    assert history.import_json(B, text, IMPORT_RULES).imported == 3
    assert history.import_json(B, text, IMPORT_RULES).imported == 0
    assert history.count(A) == 3 and history.count(B) == 3
    imported = {r.prompt: r for r in history.list(B)}
    edit = imported["add snow"]
    assert edit.parent_id == imported['a "quoted", comma prompt'].id != ids["root"]
    assert history.get(ids["root"], A) is not None


def test_import_merges_by_job_id(history: HistoryStore) -> None:
    completed(history, A, "already here", "J1")
    document = {"jobs": [{"id": "x" * 32, "job_id": "J1", "prompt": "dup", "status": "completed"}]}
    assert history.import_json(A, json.dumps(document), IMPORT_RULES).imported == 0
    assert history.import_json(A, json.dumps(document["jobs"]), IMPORT_RULES).imported == 0
    assert [r.prompt for r in history.list(A)] == ["already here"]


def test_import_of_a_filtered_export_and_odd_records(history: HistoryStore) -> None:
    sample(history)
    text = history.export_json(A, statuses=["failed"], thumbnails=False)
    records = json.loads(text)["jobs"]
    assert [r["prompt"] for r in records] == ["add snow"] and records[0]["thumbnail"] is None
    odd = [{"prompt": "no id, no kind", "status": "weird", "created_at": "yesterday"}, 5, None]
    assert history.import_json(B, json.dumps(odd), IMPORT_RULES) == ImportResult(
        imported=1, skipped=2
    )
    record = history.list(B)[0]
    assert (record.kind, record.status, record.prompt) == ("create", "failed", "no id, no kind")


@pytest.mark.parametrize("text", ["not json", '{"hello": 1}', "42"])
def test_import_rejects_what_is_not_an_export(history: HistoryStore, text: str) -> None:
    with pytest.raises(NotAnExport):
        history.import_json(A, text, IMPORT_RULES)
    assert history.count(A) == 0


def test_export_csv_has_a_row_per_job_that_a_spreadsheet_reads(history: HistoryStore) -> None:
    ids = sample(history)
    completed(history, B, "not mine", "J8")
    rows = list(csv.DictReader(io.StringIO(history.export_csv(A))))
    assert [r["id"] for r in rows] == [ids["root"], ids["edit"], ids["queued"]]
    root = rows[0]
    assert root["prompt"] == 'a "quoted", comma prompt' and root["job_id"] == "J1"
    assert root["url_expires_at"] == T0.isoformat() and root["width"] == "1344"
    assert datetime.fromisoformat(root["created_at"]).tzinfo is not None
    filtered = list(csv.DictReader(io.StringIO(history.export_csv(A, search="snow"))))
    assert [r["prompt"] for r in filtered] == ["add snow"]
