"""Kept full images stay within a budget per visitor; thumbnails are always kept."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from apptest_support import AppEnv, app_env  # noqa: F401
from PIL import Image
from seam_support import prepared, seam

from kontextlab.config import MB, load_settings
from kontextlab.history import FULL_IMAGE_DROPPED, HistoryStore
from kontextlab.jobs import JobRunner, RunnerSettings
from kontextlab.providers import ltx
from kontextlab.providers.ltx import AssetItem
from kontextlab.providers.ltx.requests import CreateRequest

A, B = "visitor-a", "visitor-b"


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite3'}")


def finished_row(store: HistoryStore, key: str, prompt: str) -> str:
    rid = store.add_job(
        account_key=key, kind="create", request={"prompt": prompt}, summary={"prompt": prompt}
    )
    store.update_job(rid, status="completed", thumbnail=b"thumb " + prompt.encode())
    return rid


def test_the_oldest_full_images_of_a_visitor_go_first(store: HistoryStore) -> None:
    rows = [finished_row(store, A, f"picture {n}") for n in range(4)]
    theirs = finished_row(store, B, "someone else's")
    assert store.keep_image(theirs, bytes(300), budget=1_000) == []
    dropped: list[str] = []
    for rid in rows:
        dropped += store.keep_image(rid, bytes(100 + rows.index(rid)), budget=250)
    assert dropped == rows[:2]
    for rid in rows[:2]:
        record = store.get(rid, A)
        assert record is not None and not record.has_image and store.image(rid, A) is None
        assert record.message == FULL_IMAGE_DROPPED
        assert store.thumbnail(rid, A)  # the thumbnail stays
    assert [len(store.image(rid, A) or b"") for rid in rows[2:]] == [102, 103]
    assert store.image_bytes(A) == 205 <= 250
    assert store.image(theirs, B) == bytes(300)  # another visitor's budget is their own


def test_an_image_larger_than_the_whole_budget_is_not_kept(store: HistoryStore) -> None:
    older = finished_row(store, A, "older")
    assert store.keep_image(older, bytes(50), budget=100) == []
    rid = finished_row(store, A, "huge")
    assert store.keep_image(rid, bytes(101), budget=100) == [rid]
    record = store.get(rid, A)
    assert record is not None and not record.has_image and record.message == FULL_IMAGE_DROPPED
    assert store.image(older, A) == bytes(50)  # nothing else was dropped for it


def noise_png() -> bytes:
    out = io.BytesIO()
    Image.frombytes("L", (64, 64), os.urandom(64 * 64)).save(out, format="PNG")
    return out.getvalue()


class FinishingClient:
    """Each job finishes at once with its own noisy picture (about 4 kB)."""

    def __init__(self) -> None:
        self.count = 0

    def submit(self, endpoint: str, request: Any) -> ltx.Job:
        self.count += 1
        artifact = {
            "assetUrl": f"http://files.invalid/{self.count}.png",
            "expirationDateString": "4102444800000",
            "asset": {"type": "artifact", "fileId": f"asset:{self.count}", "mimeType": "image/png"},
        }
        status = {"type": "completed", "progress": 100, "artifact": artifact}
        return ltx.Job.from_json(
            {"jobId": f"email:a@b.c:{self.count}-type:image", "status": status}
        )

    def download(self, url: str) -> tuple[bytes, str]:
        return noise_png(), "image/png"


def test_the_runner_keeps_full_images_within_the_visitors_budget(store: HistoryStore) -> None:
    size = len(noise_png())
    settings = RunnerSettings(poll_interval=0.0, image_budget_bytes=int(size * 2.5))
    runner, client = JobRunner(store, settings, sleep=lambda _: None), FinishingClient()
    rows = []
    for n in range(5):
        rid = runner.submit(seam(client), prepared(CreateRequest(prompt=f"p{n}")), account_key=A)
        runner.wait(rid, 30)
        rows.append(rid)
    records = [store.get(rid, A) for rid in rows]
    assert [r.has_image for r in records if r] == [False, False, False, True, True]
    assert all(r and r.has_thumbnail and r.status == "completed" for r in records)
    assert [r.message for r in records if r][:3] == [FULL_IMAGE_DROPPED] * 3
    assert store.image_bytes(A) <= settings.image_budget_bytes


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 200 * MB), ("50", 50 * MB), ("0.5", MB // 2), ("0", 0), ("lots", 200 * MB)],
)
def test_the_budget_comes_from_the_environment(value: str | None, expected: int) -> None:
    environ = {"KONTEXTLAB_IMAGE_BUDGET_MB": value} if value is not None else {}
    assert load_settings({}, environ).image_budget_bytes == expected


def test_the_budget_can_come_from_secrets() -> None:
    secrets = {"KONTEXTLAB_IMAGE_BUDGET_MB": 12}
    assert load_settings(secrets, {}).image_budget_bytes == 12 * MB


def test_a_card_says_the_full_size_copy_was_dropped(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KONTEXTLAB_IMAGE_BUDGET_MB", "0.001")  # about 1 kB: nothing fits
    at = app_env.app()
    at.text_area(key="create_prompt").set_value("A lighthouse in fog")
    at.button(key="create_go").click()
    at.run()
    app_env.wait_idle()
    at.run()
    record = app_env.latest("create")
    assert record.status == "completed" and not record.has_image and record.has_thumbnail
    captions = [c.value.replace("\\", "") for c in at.caption]  # plain() escapes Markdown
    # The emulator's link is a loopback address no visitor's browser can open.
    expected = f"{FULL_IMAGE_DROPPED} Only the small preview is left here."
    assert expected in captions, captions
    assert not any(b.label == "Open full image" for b in at.get("link_button"))
    assert not at.exception


def test_sync_skips_a_thumbnail_that_would_decode_to_too_many_pixels(
    store: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:

    from test_bounds_images import png_bomb

    from components import connection, history_tools

    pictures = {
        "http://files.invalid/bomb": png_bomb(9_000, 9_000),
        "http://files.invalid/ok": noise_png(),
    }

    class Provider:
        def download(self, url: str) -> tuple[bytes, str]:
            return pictures[url], "image/png"

    monkeypatch.setattr(connection, "store", lambda: store)
    items = []
    for job_id, url in (("J1", "http://files.invalid/bomb"), ("J2", "http://files.invalid/ok")):
        signed = {"assetUrl": url, "asset": {"fileId": job_id, "mimeType": "image/png"}}
        items.append(AssetItem.from_json({"id": job_id, "jobId": job_id, "signedAsset": signed}))
    assert store.merge_remote(A, items) == 2
    assert history_tools._fetch_thumbnails(store, Provider(), A, items, budget=5) == 1  # type: ignore[arg-type]
    bomb, fine = (store.find_by_job_id(A, j) for j in ("J1", "J2"))
    assert bomb is not None and not bomb.has_thumbnail
    assert fine is not None and fine.has_thumbnail
