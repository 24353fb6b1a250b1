"""`GET scheduler`: the token's running jobs, the way to find a job whose POST answer was lost.

Jobs here run long (minutes on the emulator's clock) and age only through `emulator.advance`.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from urllib.parse import quote

import pytest
import requests
from test_emulator_contract import DEADLINE, JOB_MODEL, undocumented

from kontextlab.emulator import DEMO_EMAIL, DEMO_TOKEN, Emulator

LONG = {"job_seconds": 600}
ROW_FIELDS = {"jobId", "email", "started", "elapsed", "replyUrl", "replyRef"}


def headers(token: str = DEMO_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def create(emulator: Emulator, token: str = DEMO_TOKEN, **fields: Any) -> requests.Response:
    url = f"{emulator.base_url}/images/flux-create"
    body = {"prompt": "A lighthouse", **fields}
    return requests.post(url, json=body, headers=headers(token), timeout=DEADLINE)


def running(emulator: Emulator, path: str = "scheduler", token: str = DEMO_TOKEN) -> list[dict]:
    answer = requests.get(f"{emulator.base_url}/{path}", headers=headers(token), timeout=DEADLINE)
    assert answer.status_code == 200, answer.text
    rows = answer.json()
    assert isinstance(rows, list)
    for row in rows:
        assert set(row) <= ROW_FIELDS and {"jobId", "email", "started", "elapsed"} <= set(row)
    return rows


def seconds(elapsed: str) -> int:
    minutes, secs = elapsed.split(":")
    assert len(minutes) >= 2 and len(secs) == 2, elapsed
    return int(minutes) * 60 + int(secs)


@pytest.mark.parametrize("emulator", [LONG], indirect=True)
def test_running_jobs_are_listed_with_their_start_and_elapsed_time(emulator: Emulator) -> None:
    wall_start = time.monotonic()
    before = emulator.now()
    first = create(emulator, replyRef="row-1", replyUrl="https://example.com/hook").json()
    second = create(emulator).json()
    after = emulator.now()
    rows = running(emulator)
    assert [r["jobId"] for r in rows] == [first["jobId"], second["jobId"]]
    assert rows[0]["replyRef"] == "row-1" and rows[0]["replyUrl"] == "https://example.com/hook"
    assert "replyRef" not in rows[1] and "replyUrl" not in rows[1]
    assert {r["email"] for r in rows} == {DEMO_EMAIL}
    assert rows[0]["started"].endswith("Z")
    started = datetime.fromisoformat(rows[0]["started"]).timestamp()
    assert before - 0.001 <= started <= after + 0.001
    emulator.advance(75)
    drift = time.monotonic() - wall_start  # wall time also moves the emulator's clock
    late = seconds(running(emulator, "scheduler/")[0]["elapsed"])
    assert 75 <= late <= 75 + drift + 1


@pytest.mark.parametrize("emulator", [LONG], indirect=True)
def test_a_job_leaves_the_list_when_it_ends(emulator: Emulator) -> None:
    job = create(emulator, replyRef="row-2").json()
    emulator.fail_next_job("Content policy")
    failing = create(emulator).json()
    assert {r["jobId"] for r in running(emulator)} == {job["jobId"], failing["jobId"]}
    emulator.advance(600)
    assert running(emulator) == []
    url = f"{emulator.base_url}/assets/{quote(job['jobId'], safe='')}"
    status = requests.get(url, headers=headers(), timeout=DEADLINE).json()
    assert status["status"]["type"] == "completed" and undocumented(status, JOB_MODEL) == []


@pytest.mark.parametrize("emulator", [LONG], indirect=True)
def test_a_deleted_job_leaves_the_list_and_the_rest_stay(emulator: Emulator) -> None:
    kept, dropped = create(emulator).json(), create(emulator).json()
    url = f"{emulator.base_url}/scheduler/{quote(dropped['jobId'], safe='')}"
    assert requests.delete(url, headers=headers(), timeout=DEADLINE).status_code == 204
    assert [r["jobId"] for r in running(emulator)] == [kept["jobId"]]
    again = requests.delete(url, headers=headers(), timeout=DEADLINE)
    assert again.status_code == 404 and "Unable to locate running jobId" in again.json()["error"]
    available = requests.get(
        f"{emulator.base_url}/scheduler/available", headers=headers(), timeout=DEADLINE
    ).json()
    assert [e["jobId"] for e in available["executing"]] == [kept["jobId"]]
    assert available["available"][0]["executing"] == 1


@pytest.mark.parametrize("emulator", [LONG], indirect=True)
def test_a_job_whose_post_answer_was_lost_is_found_by_its_reply_ref(emulator: Emulator) -> None:
    emulator.faults.add("images/flux-create", kind="lost")
    with pytest.raises(requests.ConnectionError):
        create(emulator, replyRef="row-42", seed=9)
    found = [r for r in running(emulator) if r.get("replyRef") == "row-42"]
    assert len(found) == 1 and found[0]["jobId"].startswith(f"email:{DEMO_EMAIL}:")
    emulator.advance(600)
    url = f"{emulator.base_url}/assets/{quote(found[0]['jobId'], safe='')}"
    status = requests.get(url, headers=headers(), timeout=DEADLINE).json()
    assert status["status"]["type"] == "completed" and status["replyRef"] == "row-42"
    assert emulator.calls("images/flux-create") == 1


@pytest.mark.parametrize("emulator", [{**LONG, "tokens": ("tok-a", "tok-b")}], indirect=True)
def test_each_token_sees_only_its_own_running_jobs(emulator: Emulator) -> None:
    mine = create(emulator, "tok-a").json()
    assert [r["jobId"] for r in running(emulator, token="tok-a")] == [mine["jobId"]]
    assert running(emulator, token="tok-b") == []
    answer = requests.get(f"{emulator.base_url}/scheduler", headers=headers("nope"), timeout=30)
    assert answer.status_code == 401


@pytest.mark.parametrize("emulator", [{**LONG, "accounts": ["a@x.io", "b@x.io"]}], indirect=True)
def test_jobs_of_every_account_of_the_token_are_listed(emulator: Emulator) -> None:
    create(emulator, email="b@x.io")
    create(emulator, email="a@x.io")
    assert [r["email"] for r in running(emulator)] == ["b@x.io", "a@x.io"]


def test_an_idle_account_lists_nothing(emulator: Emulator) -> None:
    assert running(emulator) == [] and running(emulator, "scheduler/") == []
