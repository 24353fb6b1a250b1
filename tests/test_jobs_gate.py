"""Jobs sent together go out only as many at a time as the upstream account takes (its
maxJobs): never more in flight at the emulator, and no storm of busy answers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kontextlab.emulator import DEMO_TOKEN, Emulator, EmulatorConfig
from kontextlab.history import HistoryStore
from kontextlab.jobs import JobRunner, RunnerSettings, TooManyJobs
from kontextlab.jobs.gate import AccountGate
from kontextlab.providers import Provider, connect

STYLES = 17
KEY = "visitor-a"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = Emulator(EmulatorConfig(job_seconds=0.4, poll_tick=0.05, max_jobs=5))
    emu.start()
    yield emu
    emu.stop()


def runner_for(tmp_path: Path, **settings: Any) -> JobRunner:
    store = HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    values: dict[str, Any] = {"poll_interval": 0.05, "max_in_flight_per_scope": 20, **settings}
    return JobRunner(store, RunnerSettings(**values))


def provider_of(emulator: Emulator) -> Provider:
    return connect("ltx", emulator.base_url, DEMO_TOKEN)


def wait_all(runner: JobRunner, ids: list[str]) -> None:
    for row_id in ids:
        runner.wait(row_id, 120)


def requests_for(provider: Provider, n: int) -> list[Any]:
    looks = ("", *provider.capabilities.looks)[:n]
    return [
        provider.prepare("create", {"prompt": "a lighthouse", "style": look or None, "seed": 7})
        for look in looks
    ]


def test_seventeen_jobs_never_pass_the_accounts_max_jobs(
    emulator: Emulator, tmp_path: Path
) -> None:
    runner, provider = runner_for(tmp_path), provider_of(emulator)
    world = emulator.world
    started = time.monotonic()
    ids = runner.submit_many(
        provider, requests_for(provider, STYLES), account_key=KEY, batch_id="b" * 32
    )
    wait_all(runner, ids)
    assert time.monotonic() - started < 60
    assert len(ids) == STYLES
    rows = runner.store.list(KEY, batch="b" * 32)
    assert len(rows) == STYLES and {r.status for r in rows} == {"completed"}
    assert {r.style for r in rows} == {None, *provider.capabilities.looks}
    posted = emulator.calls("images/flux-create", "POST")
    assert posted == STYLES  # each sent once: no busy answer, so no retry
    assert world.busy_answers == 0
    assert 1 <= world.peak_executing <= 5
    assert runner.gate.peak[(KEY, "ltx", "")] == 5  # the account's slots were all used


def test_two_visitors_on_one_account_share_its_slots(emulator: Emulator, tmp_path: Path) -> None:
    runner, provider = runner_for(tmp_path), provider_of(emulator)
    world = emulator.world
    ids: list[str] = []
    for visitor in ("visitor-a", "visitor-b"):
        ids += runner.submit_many(
            provider,
            requests_for(provider, 8),
            account_key=visitor,
            batch_id=visitor.replace("-", "") * 2,
            payer="deployer-token",
        )
    wait_all(runner, ids)
    assert world.busy_answers == 0 and world.peak_executing <= 5
    assert emulator.calls("images/flux-create", "POST") == 16


def test_a_lower_limit_than_the_gates_is_learnt_from_the_busy_answers(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Jobs from elsewhere take slots the gate does not see: the first busy answer lowers the
    gate's limit, so only a few are answered busy and each is sent again."""
    for email, account in emulator.world.tenant(f"Bearer {DEMO_TOKEN}").accounts.items():
        assert email
        account.max_jobs = 2
    runner = runner_for(tmp_path, account_slots=5, busy_wait=0.3)
    provider = provider_of(emulator)
    runner.gate._read = lambda key, read: AccountGate._read(runner.gate, key, lambda: None)  # type: ignore[method-assign]  # the provider "does not say"
    world = emulator.world
    ids = runner.submit_many(
        provider, requests_for(provider, 8), account_key=KEY, batch_id="c" * 32
    )
    wait_all(runner, ids)
    rows = runner.store.list(KEY, batch="c" * 32)
    assert {r.status for r in rows} == {"completed"}
    assert world.peak_executing <= 2
    assert (
        world.busy_answers <= 3
    )  # the first burst only (5 sent, 2 taken); then the gate holds back


def test_a_group_beyond_the_cap_is_refused_whole(emulator: Emulator, tmp_path: Path) -> None:
    runner, provider = runner_for(tmp_path, max_group_per_scope=10), provider_of(emulator)
    with pytest.raises(TooManyJobs, match="more than the app sends at once"):
        runner.submit_many(provider, requests_for(provider, 11), account_key=KEY, batch_id="d")
    assert runner.store.count(KEY) == 0
    assert emulator.calls("images/flux-create", "POST") == 0


def test_a_waiting_row_says_so(emulator: Emulator, tmp_path: Path) -> None:
    runner, provider = runner_for(tmp_path), provider_of(emulator)
    ids = runner.submit_many(provider, requests_for(provider, 8), account_key=KEY, batch_id="e")
    deadline = time.monotonic() + 30
    said: set[str | None] = set()
    while time.monotonic() < deadline and not any(m and "Waiting" in m for m in said):
        said = {r.message for r in runner.store.records(KEY, ids).values()}
        time.sleep(0.01)
    assert "Waiting for a free place: the account makes 5 jobs at a time." in said
    wait_all(runner, ids)
