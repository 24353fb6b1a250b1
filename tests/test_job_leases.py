"""Two app processes on one database (SQLite and PostgreSQL): each in-flight job is followed
by one of them at a time, and a job whose follower stopped is finished by the other.

Each "process" is its own runner with its own store (its own connection pool) on the same
database; the jobs run on the emulator over loopback HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from seam_support import prepared, seam

from kontextlab.emulator import DEMO_TOKEN, Emulator
from kontextlab.history import HistoryStore, JobRecord
from kontextlab.jobs import RESTART_MESSAGE, JobRunner, RunnerSettings
from kontextlab.jobs.leases import HOST, has_stopped
from kontextlab.providers import NetworkError, ltx
from kontextlab.providers.ltx.requests import CreateRequest
from kontextlab.vocabulary import JobState

pytest_plugins = ["tests.pgfixture"]

KEY = "account-a"
LEASE = 1.0  # seconds: short, so a takeover happens within the test
SETTINGS = RunnerSettings(poll_interval=0.05, slow_poll_interval=0.05, lease_seconds=LEASE)


@pytest.fixture
def runners(open_history: Callable[..., HistoryStore]) -> Iterator[tuple[JobRunner, JobRunner]]:
    first, second = JobRunner(open_history(), SETTINGS), JobRunner(open_history(), SETTINGS)
    yield first, second
    first.stop()
    second.stop()


def wait_for(check: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s"
        time.sleep(0.02)


def row(runner: JobRunner, rid: str) -> JobRecord:
    record = runner.store.get(rid, KEY)
    assert record is not None
    return record


def provider(emulator: Emulator) -> ltx.LtxProvider:
    return seam(ltx.Client(emulator.base_url, DEMO_TOKEN))


@pytest.mark.parametrize("emulator", [{"job_seconds": 3.0}], indirect=True)
def test_a_job_whose_process_stopped_is_finished_by_the_other(
    emulator: Emulator, runners: tuple[JobRunner, JobRunner]
) -> None:
    first, second = runners
    rid = first.submit(
        provider(emulator), prepared(CreateRequest(prompt="A lighthouse")), account_key=KEY
    )
    wait_for(lambda: row(first, rid).status == JobState.ACTIVE, "the job starting")
    assert row(second, rid).lease_owner == first.owner

    # While the first process follows it (its heartbeat renews the lease), the second one
    # leaves the job alone, however often it sweeps.
    for _ in range(3):
        assert second.resume(provider(emulator), KEY, force=True) == 0
        time.sleep(LEASE / 2)
    assert not second.is_running(rid)
    assert row(second, rid).status == JobState.ACTIVE

    # The first process dies mid-job: it stops writing and never gives its lease back.
    first.stop(release=False)
    wait_for(lambda: not first.is_running(rid), "the first process's worker ending")
    polls = emulator.calls("assets/{jobId}", "GET")
    assert second.resume(provider(emulator), KEY, force=True) == 0, "the lease has not lapsed"

    time.sleep(LEASE * 1.2)
    assert second.resume(provider(emulator), KEY, force=True) == 1
    assert row(second, rid).lease_owner == second.owner
    second.wait(rid, timeout=60)
    record = row(second, rid)
    assert (record.status, record.has_image) == (JobState.COMPLETED, True), record.message
    assert emulator.calls("images/flux-create", "POST") == 1, "the job was never sent twice"
    assert emulator.calls("assets/{jobId}", "GET") > polls, "the second one polled"
    assert record.lease_owner is None, "a finished job gives its lease back"


def test_a_job_another_process_is_sending_is_not_marked_lost(
    runners: tuple[JobRunner, JobRunner],
) -> None:
    first, second = runners
    sending = threading.Event()
    release = threading.Event()

    class SlowClient:
        """Takes its time to answer the submit, as a slow server does."""

        def submit(self, endpoint: str, body: object) -> object:
            sending.set()
            release.wait(30)
            raise NetworkError("never mind", maybe_sent=False)

    rid = first.submit(
        seam(SlowClient()), prepared(CreateRequest(prompt="A lighthouse")), account_key=KEY
    )
    assert sending.wait(10)
    # Still "queued" with no job id: to a process that did not hold leases this looks like
    # a job left behind by a restart, to be marked "unknown" and searched for.
    time.sleep(LEASE * 1.5)  # the first process's heartbeat has renewed its lease meanwhile
    assert second.resume(seam(SlowClient()), KEY, force=True) == 0
    record = row(second, rid)
    assert (record.status, record.message) == (JobState.QUEUED, None)
    assert record.message != RESTART_MESSAGE
    release.set()
    first.wait(rid, timeout=30)
    assert row(second, rid).status == JobState.FAILED


def test_a_lease_of_a_process_that_no_longer_runs_here_is_taken_at_once(
    open_history: Callable[..., HistoryStore],
) -> None:
    """An app restart leaves leases behind that no process renews: on the same host, the new
    process sees that their process is gone and takes the rows without waiting them out."""
    store = open_history()
    runner = JobRunner(store, RunnerSettings(lease_seconds=600))
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    owners = {
        "restarted": f"{HOST}:{gone}:0badc0de",  # a process of this host that has ended
        "earlier self": f"{HOST}:{os.getpid()}:0badc0de",  # this pid, but no runner of ours
        "elsewhere": f"another-host:{os.getpid()}:0badc0de",  # alive as far as we know
        "alive here": JobRunner(store, SETTINGS).owner,  # another runner of this process
    }
    rows = {}
    for name, owner in owners.items():
        rid = store.add_job(account_key=KEY, kind="create", request={}, summary={})
        assert store.claim(rid, owner, ttl=600)
        rows[name] = rid
    taken = {name for name, rid in rows.items() if runner._claim(rid)}
    assert taken == {"restarted", "earlier self"}
    assert store.lease_holder(rows["restarted"]) == runner.owner
    assert store.lease_holder(rows["elsewhere"]) == owners["elsewhere"]
    assert not has_stopped(None) and not has_stopped("no pid here")
