"""Every route answers with the fields API.md documents and nothing more."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
import requests
from test_emulator_contract import DEADLINE, JOB_MODEL, png_bytes, undocumented

from kontextlab.emulator import DEMO_EMAIL, DEMO_TOKEN, Emulator, EmulatorConfig, answers

HEADERS = {"Authorization": f"Bearer {DEMO_TOKEN}"}
ASSET = JOB_MODEL["status"]["artifact"]["asset"]
SIGNED = {"assetUrl": None, "expirationDateString": None, "asset": ASSET}
ASSET_PAGE = {
    "items": [
        {
            "id": None,
            "jobId": None,
            "signedAsset": SIGNED,
            "relatedAssets": {"thumbnails": {"large": SIGNED}},
        }
    ],
    "meta": {
        "totalItems": None,
        "itemCount": None,
        "itemsPerPage": None,
        "totalPages": None,
        "currentPage": None,
    },
}
ACCOUNT = {"email": None, "maxJobs": None, "balance": {"LTXStudio_token": None}}
CAPACITY = {
    "executing": [{"jobId": None, "email": None}],
    "available": [{"email": None, "maxJobs": None, "executing": None, "available": None}],
}
ERROR = {"error", "code"}


def get(emulator: Emulator, path: str, **kw: Any) -> requests.Response:
    return requests.get(f"{emulator.base_url}/{path}", headers=HEADERS, timeout=DEADLINE, **kw)


def post(emulator: Emulator, path: str, **kw: Any) -> requests.Response:
    headers = {**HEADERS, **kw.pop("headers", {})}
    return requests.post(f"{emulator.base_url}/{path}", headers=headers, timeout=DEADLINE, **kw)


def finished_job(emulator: Emulator) -> dict[str, Any]:
    body = {"prompt": "A harbour", "pollForResult": 20}
    assert 20 * emulator.config.poll_tick > 2 * emulator.config.job_seconds
    job = post(emulator, "images/flux-create", json=body).json()
    assert job["status"]["type"] == "completed", job
    return job


def test_upload_answers_a_signed_reference(emulator: Emulator) -> None:
    answer = post(
        emulator,
        "assets/",
        params={"type": "reference-image"},
        data=png_bytes(),
        headers={"Content-Type": "image/png"},
    ).json()
    assert set(answer) == {"assetUrl", "expirationDateString", "asset"}
    assert set(answer["asset"]) == {"type", "fileId", "mimeType"}
    assert answer["asset"]["type"] == "reference-image" and answer["expirationDateString"].isdigit()


def test_asset_list_items_and_meta(emulator: Emulator) -> None:
    job = finished_job(emulator)
    page = get(emulator, "assets/", params={"page": 1, "limit": 20, "filter": "images"}).json()
    assert undocumented(page, ASSET_PAGE) == []
    assert set(page["meta"]) == set(ASSET_PAGE["meta"])
    (item,) = page["items"]
    assert item["jobId"] == job["jobId"] and set(item) == set(ASSET_PAGE["items"][0])
    assert item["signedAsset"]["asset"]["fileId"] == job["status"]["artifact"]["asset"]["fileId"]


def test_job_status_is_the_job_model(emulator: Emulator) -> None:
    job = finished_job(emulator)
    status = get(emulator, f"assets/{quote(job['jobId'], safe='')}").json()
    assert undocumented(status, JOB_MODEL) == [] and undocumented(job, JOB_MODEL) == []
    assert set(status["status"]["artifact"]["asset"]) == set(ASSET)


def test_accounts_and_one_account(emulator: Emulator) -> None:
    accounts = get(emulator, "accounts").json()
    assert set(accounts) == {DEMO_EMAIL}
    assert set(accounts[DEMO_EMAIL]) == {"email", "maxJobs"}
    account = get(emulator, f"accounts/{quote(DEMO_EMAIL, safe='')}").json()
    assert undocumented(account, ACCOUNT) == [] and set(account["balance"]) == {"LTXStudio_token"}


@pytest.mark.parametrize("emulator", [{"job_seconds": 600}], indirect=True)
def test_scheduler_available(emulator: Emulator) -> None:
    post(emulator, "images/flux-create", json={"prompt": "x"})
    capacity = get(emulator, "scheduler/available").json()
    assert undocumented(capacity, CAPACITY) == [] and set(capacity) == set(CAPACITY)
    assert capacity["available"][0] == {
        "email": DEMO_EMAIL,
        "maxJobs": 5,
        "executing": 1,
        "available": 4,
    }


@pytest.mark.parametrize("emulator", [{"job_seconds": 600, "max_jobs": 1}], indirect=True)
def test_error_bodies(emulator: Emulator) -> None:
    unknown = f"email:{DEMO_EMAIL}:00000000-0000-0000-0000-000000000000-type:image"
    answers = {
        400: post(emulator, "images/flux-create", json={}),
        401: requests.get(f"{emulator.base_url}/accounts", timeout=DEADLINE),
        404: get(emulator, f"assets/{quote(unknown, safe='')}"),
    }
    for status, answer in answers.items():
        assert answer.status_code == status and set(answer.json()) == ERROR
        assert answer.json()["code"] == status
    assert post(emulator, "images/flux-create", json={"prompt": "x"}).status_code == 200
    busy = post(emulator, "images/flux-create", json={"prompt": "y"})
    assert busy.status_code == 429 and set(busy.json()) == {"error", "executingJobs", "code"}
    emulator.set_credits(DEMO_EMAIL, 0)
    poor = post(emulator, "images/flux-create", json={"prompt": "z", "maxJobs": 2})
    assert poor.status_code == 402 and poor.json() == {"error": "Insufficient credits", "code": 402}


def test_a_webhook_is_still_owed_when_another_request_settled_the_job_first() -> None:
    """Any request about a token's jobs moves them on; only the webhook sender takes what it
    owes, so a list request that sees a job finish first cannot swallow the webhook."""
    emulator = Emulator(EmulatorConfig(job_seconds=0.0))  # not started: no ticker runs
    world = emulator.world
    try:
        tenant = world.tenants[DEMO_TOKEN]
        hook = "https://example.com/hook"
        job = world.submit(
            tenant, "create", world.check("create", {"prompt": "x", "replyUrl": hook})
        )
        assert answers.running_jobs(world, tenant) == []  # settles the job: its render is done
        assert job.state == "completed"
        owed = world.owed_webhooks()
        assert owed == [job] and world.owed_webhooks() == []
        answers.deliver(world, job)
        assert emulator.webhooks == [(hook, "skipped: host example.com not allowed")]
    finally:
        world.pool.shutdown(wait=True)
