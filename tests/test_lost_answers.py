"""A create whose answer is lost on the way ends "unknown", is looked for, and is never resent.

These run the real client, runner and store against the emulator over loopback HTTP."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from seam_support import prepared, seam

from kontextlab.emulator import DEMO_TOKEN, Emulator
from kontextlab.history import HistoryStore
from kontextlab.jobs import NOT_FOUND_MESSAGE, JobRunner, RunnerSettings
from kontextlab.providers import ltx
from kontextlab.providers.ltx.requests import CreateRequest

KEY = "account-a"
CREATE = "images/flux-create"


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite3'}")


def send(store: HistoryStore, client: ltx.Client, **fields: object):
    runner = JobRunner(store, RunnerSettings(poll_interval=0.05, slow_poll_interval=0.05))
    row = runner.submit(
        seam(client), prepared(CreateRequest(prompt="A lighthouse", **fields)), account_key=KEY
    )
    runner.wait(row, timeout=60)
    assert not runner.is_running(row), "the worker did not end within 60 s"
    return store.get(row, KEY)


def client_for(emulator: Emulator, read_timeout: float = 30.0) -> ltx.Client:
    return ltx.Client(emulator.base_url, DEMO_TOKEN, timeout=(5.0, read_timeout))


@pytest.mark.parametrize(
    ("kind", "status"),
    [("drop", 0), ("html", 502), ("status", 503), ("malformed", 200)],
    ids=["dropped connection", "502 gateway page", "503", "unreadable 200"],
)
def test_a_lost_answer_ends_unknown_and_is_sent_once(
    emulator: Emulator, store: HistoryStore, kind: str, status: int
) -> None:
    emulator.faults.add(CREATE, kind, status=status or None)
    record = send(store, client_for(emulator))
    assert record.status == "unknown", record.message
    # The fault answered before the emulator made a job, so the search finds nothing.
    assert record.message == NOT_FOUND_MESSAGE
    assert emulator.calls(CREATE, "POST") == 1
    assert emulator.calls("scheduler", "GET") == 1


@pytest.mark.parametrize("emulator", [{"job_seconds": 2.0}], indirect=True)
def test_an_answer_lost_after_the_job_was_made_finds_it_and_its_picture(
    emulator: Emulator, store: HistoryStore
) -> None:
    # The emulator makes the job (and charges for it), then closes without answering.
    emulator.faults.add(CREATE, "lost")
    record = send(store, client_for(emulator))
    assert (record.status, record.has_image) == ("completed", True), record.message
    assert record.job_id and emulator.calls(CREATE, "POST") == 1
    assert emulator.calls("scheduler", "GET") == 1


@pytest.mark.parametrize("emulator", [{"job_seconds": 5.0}], indirect=True)
def test_a_timeout_before_the_job_was_made_is_found_by_check_my_account(
    emulator: Emulator, store: HistoryStore
) -> None:
    # The server is slow to take the request: the client gives up first and the search
    # finds nothing yet; once the job exists upstream, "Check my account" finds it.
    emulator.faults.add(CREATE, "slow", delay=1.0)
    runner = JobRunner(store, RunnerSettings(poll_interval=0.05, slow_poll_interval=0.05))
    client = client_for(emulator, read_timeout=0.3)
    row = runner.submit(
        seam(client), prepared(CreateRequest(prompt="A lighthouse")), account_key=KEY
    )
    runner.wait(row, timeout=60)
    assert store.get(row, KEY).status == "unknown"
    deadline = time.monotonic() + 60
    while not emulator.world.tenants[DEMO_TOKEN].jobs:
        assert time.monotonic() < deadline, "the slow POST never made its job"
        time.sleep(0.05)
    assert runner.check_account(seam(client), row, KEY)
    runner.wait(row, timeout=60)
    record = store.get(row, KEY)
    assert (record.status, record.has_image) == ("completed", True), record.message
    assert emulator.calls(CREATE, "POST") == 1


def test_a_server_that_cannot_be_reached_fails_plainly(store: HistoryStore) -> None:
    with socket.socket() as probe:  # a port nothing listens on: the request is never sent
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = ltx.Client(f"http://127.0.0.1:{port}/v1/ltxstudio", DEMO_TOKEN, timeout=(2.0, 2.0))
    record = send(store, client)
    assert record.status == "failed" and "Could not reach" in record.message
