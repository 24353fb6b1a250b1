"""`DELETE scheduler/{jobId}` (API.md: stop tracking a running job; 204, or 404 "Unable to
locate running jobId <id>"), on the wire and through the LTX client and provider."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests
from test_emulator_scheduler import create, headers, running

from kontextlab.emulator import DEMO_TOKEN, Emulator
from kontextlab.providers import NotFound
from kontextlab.providers.ltx import LtxProvider

LONG = {"job_seconds": 600, "tokens": (DEMO_TOKEN, "tok-b")}
ROUTE = "scheduler/{jobId}"


def delete(emulator: Emulator, job_id: str, token: str = DEMO_TOKEN) -> requests.Response:
    url = f"{emulator.base_url}/scheduler/{quote(job_id, safe='')}"
    return requests.delete(url, headers=headers(token), timeout=30)


@pytest.mark.parametrize("emulator", [LONG], indirect=True)
def test_delete_answers_204_then_404_in_the_documented_words(emulator: Emulator) -> None:
    job = create(emulator).json()["jobId"]
    first = delete(emulator, job)
    assert first.status_code == 204 and first.content == b""
    assert running(emulator) == [], "it leaves the scheduler"
    again = delete(emulator, job)
    assert again.status_code == 404
    assert again.json() == {"error": f"Unable to locate running jobId {job}", "code": 404}
    assert emulator.calls(ROUTE, "DELETE") == 2
    emulator.advance(601)  # the job itself still runs upstream, and ends
    status = requests.get(
        f"{emulator.base_url}/assets/{quote(job, safe='')}", headers=headers(), timeout=30
    ).json()
    assert status["status"]["type"] == "completed"


@pytest.mark.parametrize("emulator", [LONG], indirect=True)
def test_another_tokens_job_is_not_found_and_keeps_running(emulator: Emulator) -> None:
    job = create(emulator).json()["jobId"]
    other = delete(emulator, job, token="tok-b")
    assert other.status_code == 404 and other.json()["error"].startswith("Unable to locate")
    assert [r["jobId"] for r in running(emulator)] == [job]
    assert delete(emulator, job, token="not-a-token").status_code == 401


@pytest.mark.parametrize("emulator", [LONG], indirect=True)
@pytest.mark.parametrize(
    "job_id", ["x" * 5000, "' OR 1=1 --", "../../accounts", "a/b?c#d", "ü🦊\u202e", "%00"]
)
def test_odd_job_ids_are_plain_404s(emulator: Emulator, job_id: str) -> None:
    kept = create(emulator).json()["jobId"]
    answer = delete(emulator, job_id)
    assert answer.status_code == 404
    assert answer.json()["error"] == f"Unable to locate running jobId {job_id}"
    assert [r["jobId"] for r in running(emulator)] == [kept]


@pytest.mark.parametrize("emulator", [LONG], indirect=True)
def test_the_ltx_provider_stops_a_job_and_says_not_found_after(emulator: Emulator) -> None:
    provider = LtxProvider(emulator.base_url, DEMO_TOKEN)
    assert provider.capabilities.can_stop
    job = create(emulator).json()["jobId"]
    provider.stop(job)
    assert running(emulator) == []
    with pytest.raises(NotFound) as raised:
        provider.stop(job)
    assert "Unable to locate running jobId" in str(raised.value.body)
