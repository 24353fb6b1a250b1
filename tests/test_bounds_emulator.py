"""The emulator keeps within bounds: a request cannot raise the demo's concurrency, stored
files live in a byte budget, and an upscale is not upscaled again."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

import pytest
import requests
from PIL import Image
from test_bounds_images import decoded_sizes, png_bomb

from kontextlab.emulator import DEMO_TOKEN, Emulator, EmulatorConfig, renderer
from kontextlab.emulator.__main__ import config_from, parse_args
from kontextlab.emulator.files import FileShelf, new_file

HEADERS = {"Authorization": f"Bearer {DEMO_TOKEN}"}
DEADLINE = 30


def post(emulator: Emulator, path: str, **kw: Any) -> requests.Response:
    return requests.post(f"{emulator.base_url}/{path}", headers=HEADERS, timeout=DEADLINE, **kw)


def get(emulator: Emulator, path: str) -> requests.Response:
    return requests.get(f"{emulator.base_url}/{path}", headers=HEADERS, timeout=DEADLINE)


def create(emulator: Emulator, **fields: Any) -> requests.Response:
    return post(emulator, "images/flux-create", json={"prompt": "A kite", **fields})


def finished(emulator: Emulator, path: str = "images/flux-create", **fields: Any) -> dict:
    prompt = {} if path == "images/upscale" else {"prompt": "A kite"}
    body = {**prompt, **fields, "pollForResult": 20}
    job = post(emulator, path, json=body).json()
    assert job["status"]["type"] == "completed", job
    return job


def png(size: tuple[int, int] = (320, 180)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


def send_upload(emulator: Emulator, data: bytes) -> requests.Response:
    return requests.post(
        f"{emulator.base_url}/assets/?type=reference-image",
        headers={**HEADERS, "Content-Type": "image/png"},
        data=data,
        timeout=DEADLINE,
    )


def upload(emulator: Emulator) -> dict:
    answer = send_upload(emulator, png())
    assert answer.status_code == 200, answer.text
    return answer.json()


def url_of(job: dict) -> str:
    return job["status"]["artifact"]["assetUrl"]


def status_of(emulator: Emulator, job: dict) -> requests.Response:
    return get(emulator, "assets/" + quote(job["jobId"], safe=""))


# ---------------------------------------------------------------- maxJobs


@pytest.mark.parametrize(
    "emulator", [{"job_seconds": 600, "max_jobs": 2, "max_jobs_override": False}], indirect=True
)
def test_without_override_a_request_cannot_raise_the_accounts_concurrency(
    emulator: Emulator,
) -> None:
    assert [create(emulator, maxJobs=10).status_code for _ in range(2)] == [200, 200]
    busy = create(emulator, maxJobs=10)
    assert busy.status_code == 429, busy.text
    assert "All 2 job slots" in busy.json()["error"]
    lowered = create(emulator, maxJobs=1)  # lowering still works
    assert lowered.status_code == 429 and "All 1 job slots" in lowered.json()["error"]


@pytest.mark.parametrize("emulator", [{"job_seconds": 600, "max_jobs": 2}], indirect=True)
def test_by_default_maxjobs_overrides_the_account_as_the_vendor_documents(
    emulator: Emulator,
) -> None:
    assert [create(emulator, maxJobs=3).status_code for _ in range(3)] == [200, 200, 200]
    assert create(emulator).status_code == 429


def test_the_demo_configuration_ignores_a_larger_maxjobs() -> None:
    assert EmulatorConfig.demo().max_jobs_override is False
    assert EmulatorConfig.demo(job_seconds=1.0).job_seconds == 1.0
    assert EmulatorConfig().max_jobs_override is True
    assert EmulatorConfig.demo().file_budget_bytes < EmulatorConfig().file_budget_bytes
    assert config_from(parse_args(["--file-budget-mb", "2"])).file_budget_bytes == 2 * 1024**2
    assert config_from(parse_args(["--no-max-jobs-override"])).max_jobs_override is False
    assert config_from(parse_args([])).max_jobs_override is True


def test_the_apps_demo_backend_uses_the_demo_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import kontextlab.emulator
    from components import connection

    started: list[EmulatorConfig] = []

    class FakeEmulator:
        def __init__(self, config: EmulatorConfig) -> None:
            started.append(config)

        def start(self) -> str:
            return "http://127.0.0.1:9/v1/ltxstudio"

    monkeypatch.setattr(kontextlab.emulator, "Emulator", FakeEmulator)
    connection.demo_backend.clear()
    try:
        assert connection.demo_backend()[0].startswith("http://127.0.0.1")
    finally:
        connection.demo_backend.clear()
    assert len(started) == 1 and started[0].max_jobs_override is False


# ---------------------------------------------------------------- files within a budget


def test_the_shelf_drops_the_least_recently_used_first() -> None:
    shelf, index = FileShelf(budget=250), {}
    a, b, c = (new_file(bytes(100), "image/png", "artifact") for _ in range(3))
    shelf.add(a, index)
    shelf.add(b, index)
    assert shelf.use(a)  # a was used: b is now the least recent
    shelf.add(c, index)
    assert shelf.get(b.key) is None and b.dropped and b.data == b""
    assert b.file_id not in index and {a.file_id, c.file_id} <= set(index)
    assert shelf.bytes == 200 and len(shelf) == 2
    big = new_file(bytes(1_000), "image/png", "reference-image")
    shelf.add(big)  # larger than the whole budget: kept alone, everything older goes
    assert len(shelf) == 1 and shelf.get(big.key) is big and shelf.bytes == 1_000
    shelf.discard(big)
    assert shelf.bytes == 0 and big.dropped


@pytest.mark.parametrize("emulator", [{"file_budget_bytes": 1}], indirect=True)
def test_with_a_tiny_budget_old_files_answer_404_and_their_jobs_still_answer(
    emulator: Emulator,
) -> None:
    first = finished(emulator)
    assert requests.get(url_of(first), timeout=DEADLINE).status_code == 200
    reference = upload(emulator)  # the newest file: the render above is dropped
    assert requests.get(url_of(first), timeout=DEADLINE).status_code == 404
    again = status_of(emulator, first)
    assert again.status_code == 200 and again.json()["status"]["type"] == "completed"
    assert requests.get(url_of(again.json()), timeout=DEADLINE).status_code == 404
    refused = post(emulator, "images/upscale", json={"jobId": first["jobId"]})
    assert refused.status_code == 400 and "no longer stored" in refused.json()["error"]
    assert requests.get(reference["assetUrl"], timeout=DEADLINE).status_code == 200
    file_id = reference["asset"]["fileId"]
    edit = finished(emulator, "images/flux-edit", referenceAssetId=file_id)
    assert requests.get(url_of(edit), timeout=DEADLINE).status_code == 200
    # The edit's render pushed the upload out: a later edit of it fails like an expired one.
    later = finished_or_failed(emulator, referenceAssetId=file_id)
    assert later["status"]["type"] == "failed"
    assert "Reference asset not found or expired" in later["status"]["message"]
    assert emulator.world.files.bytes <= max(emulator.world.files.budget, _largest(emulator))


def finished_or_failed(emulator: Emulator, **fields: Any) -> dict:
    body = {"prompt": "A kite", **fields, "pollForResult": 20}
    job = post(emulator, "images/flux-edit", json=body).json()
    assert job["status"]["type"] in ("completed", "failed"), job
    return job


def _largest(emulator: Emulator) -> int:
    return max(len(f.data) for f in emulator.world.files._files.values())


def test_the_budget_holds_while_many_pictures_are_made(emulator: Emulator) -> None:
    one = finished(emulator)
    per_job = emulator.world.files.bytes
    assert per_job > 0
    emulator.world.files.budget = 3 * per_job
    jobs = [one] + [finished(emulator, seed=n) for n in range(6)]
    assert emulator.world.files.bytes <= 3 * per_job
    answers = [requests.get(url_of(job), timeout=DEADLINE).status_code for job in jobs]
    assert answers[:3] == [404, 404, 404] and answers[-2:] == [200, 200]
    assert all(status_of(emulator, job).status_code == 200 for job in jobs)
    finished_jobs = [j for j in emulator.world.tenants[DEMO_TOKEN].jobs.values()]
    assert all(j.render is None for j in finished_jobs)  # no drawing kept outside the budget


# ---------------------------------------------------------------- no upscale of an upscale


def test_an_upscale_is_not_upscaled_again(emulator: Emulator) -> None:
    original = finished(emulator)
    upscale = finished(emulator, "images/upscale", jobId=original["jobId"])
    again = post(emulator, "images/upscale", json={"jobId": upscale["jobId"]})
    assert again.status_code == 400
    assert again.json() == {
        "error": f"jobId {upscale['jobId']} is an upscale; upscale the original picture instead.",
        "code": 400,
    }
    assert finished(emulator, "images/upscale", jobId=original["jobId"])  # the original can


# ---------------------------------------------------------------- decoding uploads


@pytest.mark.parametrize("size", [(9_000, 9_000), (20_000, 20_000)])
def test_an_upload_over_40_megapixels_is_refused_from_its_header(
    emulator: Emulator, size: tuple[int, int]
) -> None:
    answer = send_upload(emulator, png_bomb(*size))
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].startswith("The image has more than 40 megapixels.")
    assert len(emulator.world.files) == 0


def test_a_large_reference_is_decoded_at_the_size_the_render_needs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = io.BytesIO()
    Image.linear_gradient("L").resize((8_000, 5_000)).convert("RGB").save(out, "JPEG")
    loaded = decoded_sizes(monkeypatch)
    picture = renderer.decode(out.getvalue(), (1344, 768))
    assert min(picture.size) >= 1344 and picture.size[0] / picture.size[1] == pytest.approx(1.6)
    assert loaded and max(w * h for w, h in loaded) <= 4_000 * 2_500
    assert renderer.render_edit(out.getvalue(), "a road", 7).width == 1344
