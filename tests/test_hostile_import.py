"""Importing a history file a stranger wrote: every record is checked, a bad one is skipped and
counted, and nothing in the file can reach another visitor, the server or a page.
On SQLite and on PostgreSQL (which, unlike SQLite, refuses text longer than its column)."""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PIL import Image

from kontextlab.history import (
    IMPORTED_RUNNING,
    HistoryStore,
    ImportResult,
    NotAnExport,
)
from kontextlab.import_rules import IMPORT_RULES
from kontextlab.providers.ltx import requests as p

pytest_plugins = ["tests.pgfixture"]

A = "a" * 64


def picture(size: tuple[int, int] = (800, 600), fmt: str = "PNG", mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "white" if mode != "1" else 0).save(out, format=fmt)
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def record(**fields: Any) -> dict[str, Any]:
    """A sound record of a finished create, with `fields` changed."""
    base: dict[str, Any] = {
        "id": "r" * 32,
        "kind": "create",
        "status": "completed",
        "prompt": "A lighthouse at dusk",
        "request": {"prompt": "A lighthouse at dusk", "aspectRatio": "16:9", "seed": 7},
        "seed": 7,
        "job_id": "email:someone@example.com:1-type:image",
        "asset_url": "https://cdn.example.com/out/1.png?sig=abc",
        "created_at": "2025-06-01T12:00:00+00:00",
    }
    base.update(fields)
    return base


def load(history: HistoryStore, *records: Any) -> ImportResult:
    return history.import_json(
        A, json.dumps({"format": "kontextlab-history", "jobs": records}), IMPORT_RULES
    )


def only(history: HistoryStore):
    rows = history.list(A)
    assert len(rows) == 1, [r.prompt for r in rows]
    return rows[0]


def with_size(png: bytes, width: int, height: int) -> bytes:
    """A PNG whose header claims another size (a decompression bomb's trick), CRC fixed."""
    header = b"IHDR" + struct.pack(">II", width, height) + png[24:29]
    return png[:12] + header + struct.pack(">I", zlib.crc32(header)) + png[33:]


# ---------------------------------------------------------------- what is skipped, and counted


def test_bad_records_are_skipped_and_counted_never_fatal(history: HistoryStore) -> None:
    bad = [
        5,
        None,
        "a job",
        ["a", "list"],
        record(id="k1", kind="video"),
        record(id="k2", prompt={"text": "not text"}),
        record(id="k3", prompt="x" * (p.PROMPT_LIMIT + 1)),
        record(id={"an": "object"}),
        record(id="k5", job_id="j" * 600),
        record(id="k6", file_id="f" * 300),
        record(id="k7", request="prompt=hi"),
        {},
        {"status": "completed", "created_at": "2025-01-01"},
    ]
    result = load(history, *bad, record(id="good"))
    assert result == ImportResult(imported=1, skipped=len(bad))
    assert only(history).id == "good"


@pytest.mark.parametrize(
    "request_",
    [
        {"prompt": ""},
        {"prompt": "x" * (p.PROMPT_LIMIT + 1)},
        {"prompt": "a cat", "aspectRatio": "4:3"},
        {"prompt": "a cat", "seed": -1},
        {"prompt": "a cat", "style": "<script>"},
        {"prompt": "a cat", "maxJobs": 10**9},
        {"prompt": "a cat", "model": "nano-banana", "style": "anime"},
    ],
    ids=["empty-prompt", "long-prompt", "shape", "seed", "style", "maxjobs", "style-model"],
)
def test_a_record_whose_request_the_app_would_refuse_is_skipped(
    history: HistoryStore, request_: dict[str, Any]
) -> None:
    assert load(history, record(request=request_)) == ImportResult(imported=0, skipped=1)
    assert history.count(A) == 0


def test_an_edit_without_its_picture_and_an_upscale_without_its_job_are_skipped(
    history: HistoryStore,
) -> None:
    edit = record(id="e", kind="edit", request={"prompt": "add snow"})
    upscale = record(id="u", kind="upscale", request={"prompt": "not an upscale"})
    assert load(history, edit, upscale) == ImportResult(imported=0, skipped=2)


def test_a_synced_job_without_a_request_is_kept(history: HistoryStore) -> None:
    assert load(history, record(request=None, prompt="")).imported == 1
    assert only(history).request == {}


def test_what_is_not_an_export_is_refused_whole(history: HistoryStore) -> None:
    for text in ("[" * 100_000, '"jobs"', "{}"):
        with pytest.raises(NotAnExport):
            history.import_json(A, text, IMPORT_RULES)


# ---------------------------------------------------------------- what is dropped or changed


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        "data:image/png;base64,iVBORw0KGgo=",
        "file:///etc/passwd",
        "/etc/passwd",
        "images/out.png",
        "//evil.example/a.png",
        "http://",
        "https://exa mple.com/a.png",
        "ftp://files.example.com/a.png",
        42,
    ],
)
def test_only_web_addresses_are_kept(history: HistoryStore, url: object) -> None:
    assert load(history, record(asset_url=url)).imported == 1
    kept = only(history)
    assert kept.asset_url is None and not kept.link_valid()


def test_a_web_address_is_kept(history: HistoryStore) -> None:
    load(history, record(asset_url="https://cdn.example.com/a.png", url_expires_at=None))
    assert only(history).asset_url == "https://cdn.example.com/a.png"


def test_a_thumbnail_is_redrawn_as_a_small_jpeg(history: HistoryStore) -> None:
    load(history, record(thumbnail=b64(picture((1600, 900), "PNG", "RGBA"))))
    kept = history.thumbnail(only(history).id, A)
    assert kept is not None
    image = Image.open(io.BytesIO(kept))
    assert image.format == "JPEG" and max(image.size) <= 384


@pytest.mark.parametrize(
    "thumbnail",
    [
        b64(b"<html><script>alert(1)</script></html>"),
        b64(picture()[:200]),  # cut short
        b64(with_size(picture((8, 8)), 20_000, 20_000)),  # claims 400 MP: Pillow's bomb error
        b64(with_size(picture((8, 8)), 9_000, 5_000)),  # claims 45 MP: over the app's limit
        b64(picture((8, 8), "BMP")),  # a picture, but not a kind the app shows
        "not base64 at all!",
        "A" * (5 * 1024 * 1024),
        12345,
    ],
    ids=["html", "truncated", "bomb", "too-many-pixels", "bmp", "not-base64", "huge", "number"],
)
def test_a_thumbnail_that_is_not_a_picture_is_dropped(
    history: HistoryStore, thumbnail: object
) -> None:
    assert load(history, record(thumbnail=thumbnail)).imported == 1
    kept = only(history)
    assert not kept.has_thumbnail and history.thumbnail(kept.id, A) is None


def test_a_real_decompression_bomb_is_dropped(history: HistoryStore) -> None:
    bomb = picture((8000, 6000), "PNG", "1")  # 48 MP in a few kilobytes
    assert len(bomb) < 200_000
    load(history, record(thumbnail=b64(bomb)))
    assert not only(history).has_thumbnail


def test_dates_in_the_future_become_now_and_never_pin_a_record_on_top(
    history: HistoryStore,
) -> None:
    future = "2099-01-01T00:00:00+00:00"
    before = datetime.now(UTC)
    load(history, record(created_at=future, started_at=future, completed_at=future))
    kept = only(history)
    assert before - timedelta(seconds=1) <= kept.created_at <= datetime.now(UTC)
    assert kept.completed_at is not None and kept.completed_at <= datetime.now(UTC)
    later = history.add_job(
        account_key=A,
        kind="create",
        request={"prompt": "made today"},
        summary={"prompt": "made today"},
    )
    assert history.list(A, limit=1)[0].id == later


@pytest.mark.parametrize("moment", [1e30, -1e30, "9" * 40, "year 3000", [2099]])
def test_a_date_that_cannot_be_read_becomes_now(history: HistoryStore, moment: object) -> None:
    assert load(history, record(created_at=moment, completed_at=moment)).imported == 1
    kept = only(history)
    assert abs((kept.created_at - datetime.now(UTC)).total_seconds()) < 60
    assert kept.completed_at is None


def test_the_webhook_is_removed_so_rerun_never_calls_it(history: HistoryStore) -> None:
    request = {
        "prompt": "A lighthouse at dusk",
        "replyUrl": "https://stranger.example/hook",
        "replyRef": "their-ref",
        "seed": 7,
    }
    load(history, record(request=request))
    kept = only(history)
    assert kept.request == {"prompt": "A lighthouse at dusk", "seed": 7}
    resent = p.request_from_payload(kept.kind, kept.request).payload()
    assert "replyUrl" not in resent and "replyRef" not in resent


def test_the_request_is_stored_as_the_request_models_rebuild_it(history: HistoryStore) -> None:
    request = {"prompt": "  A cat  ", "seed": "12", "token": "secret", "extra": "<b>x</b>"}
    load(history, record(request=request))
    assert only(history).request == {"prompt": "A cat", "seed": 12}


def test_odd_values_are_dropped_not_fatal(history: HistoryStore) -> None:
    odd = record(
        seed=2**40,
        width=-5,
        height=10**12,
        progress=float("inf"),
        style="<b>bold</b>",
        aspect_ratio="4:3",
        model="gpt",
        mime_type="text/html",
        message="m" * 50_000,
        error_kind="e" * 500,
        link_lost="yes",
        generation_id=None,
    )
    assert load(history, odd).imported == 1
    kept = only(history)
    assert (kept.seed, kept.width, kept.height, kept.progress) == (None, None, None, None)
    assert (kept.style, kept.aspect_ratio, kept.model, kept.mime_type) == (None,) * 4
    assert kept.message is not None and len(kept.message) == 2000
    assert kept.error_kind is not None and len(kept.error_kind) == 64
    assert kept.link_lost is False


@pytest.mark.parametrize("status", ["queued", "active", "unknown"])
def test_a_job_in_flight_is_imported_as_failed_and_nothing_follows_it(
    history: HistoryStore, status: str
) -> None:
    load(history, record(status=status))
    kept = only(history)
    assert kept.status == "failed" and kept.message == IMPORTED_RUNNING
    assert history.in_flight(A, ("queued", "active", "unknown")) == []


def test_an_unknown_status_is_imported_as_failed(history: HistoryStore) -> None:
    load(history, record(status="<script>"))
    assert only(history).status == "failed"


def test_the_same_file_twice_counts_the_second_copy_as_already_here(
    history: HistoryStore,
) -> None:
    text = json.dumps([record(), 7])
    assert history.import_json(A, text, IMPORT_RULES) == ImportResult(imported=1, skipped=1)
    assert history.import_json(A, text, IMPORT_RULES) == ImportResult(
        imported=0, already=1, skipped=1
    )


@pytest.mark.parametrize(
    ("value", "kept"),
    [("ab12cd" * 5, "ab12cd" * 5), ("x" * 5000, None), (["a list"], None), (None, None)],
)
def test_a_batch_id_is_kept_when_it_is_a_short_text(
    history: HistoryStore, value: object, kept: str | None
) -> None:
    load(history, record(batch_id=value))
    assert only(history).batch_id == kept
