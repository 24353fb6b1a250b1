"""The emulator keeps within bounds: a request cannot raise the demo's concurrency, stored
files live in a byte budget, and an upscale is not upscaled again."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from kontextlab.emulator import DEMO_TOKEN, Emulator, EmulatorConfig
from kontextlab.emulator.__main__ import config_from, parse_args

HEADERS = {"Authorization": f"Bearer {DEMO_TOKEN}"}
DEADLINE = 30


def post(emulator: Emulator, path: str, **kw: Any) -> requests.Response:
    return requests.post(f"{emulator.base_url}/{path}", headers=HEADERS, timeout=DEADLINE, **kw)


def create(emulator: Emulator, **fields: Any) -> requests.Response:
    return post(emulator, "images/flux-create", json={"prompt": "A kite", **fields})


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
