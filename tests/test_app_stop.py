"""Stop a running LTX job, and Upscale from a result card; neither for Black Forest Labs
(AppTest and the runner, against the in-process emulator over real HTTP)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from apptest_support import (  # noqa: F401
    AppEnv,
    app_env,
    both_services,
    fast_config,
    running_app,
    steady_navigation,
    texts,
    wait_until,
)
from streamlit.testing.v1 import AppTest

from kontextlab.emulator import DEMO_TOKEN
from kontextlab.jobs import JobRunner, RunnerSettings
from kontextlab.providers.ltx import LtxProvider
from kontextlab.vocabulary import STOPPED_MESSAGE

JOB_SECONDS = 600.0  # on the emulator's clock: a job runs until the test moves the clock
DELETE_ROUTE = "scheduler/{jobId}"
WAIT = 60.0


@pytest.fixture
def slow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppEnv]:
    """Both services configured, on one emulator whose jobs run until its clock is moved."""
    config = fast_config(job_seconds=JOB_SECONDS)
    with running_app(tmp_path, monkeypatch, config=config, both_services=True) as env:
        yield env
        env.emulator.advance(JOB_SECONDS + 1)  # whatever still runs ends now


def start(env: AppEnv, at: AppTest, prompt: str):
    """Send a job from Create and wait until the service has it (active, with its id)."""
    at.text_area(key="create_prompt").set_value(prompt)
    at.button(key="create_go").click().run()
    wait_until(
        lambda: (r := env.latest("create")) is not None and r.status == "active" and r.job_id,
        "the job to run",
        WAIT,
    )
    at.run()
    assert not at.exception
    return env.latest("create")


def labels(at: AppTest) -> list[str]:
    return [str(b.label) for b in at.button]


def test_stop_ends_the_row_stopped_and_the_emulator_saw_the_delete(slow: AppEnv) -> None:
    at = slow.app()
    record = start(slow, at, "A very slow lighthouse")
    stop = at.button(key=f"progress_{record.id}_stop")
    assert stop.label == "Stop" and not stop.disabled
    stop.click().run()
    wait_until(
        lambda: slow.store.get(record.id, slow.key).status == "stopped", "the row to stop", WAIT
    )
    assert slow.emulator.calls(DELETE_ROUTE, "DELETE") == 1
    stopped = slow.store.get(record.id, slow.key)
    assert stopped.message == STOPPED_MESSAGE and stopped.completed_at is not None
    at.run()
    assert not at.exception
    assert any(STOPPED_MESSAGE in w.value for w in at.warning)
    assert f"progress_{record.id}_stop" not in [b.key for b in at.button], "no longer in flight"
    # The job still ends upstream; the row is followed no more and keeps "stopped".
    slow.emulator.advance(JOB_SECONDS + 1)
    time.sleep(1.0)  # twenty poll intervals of the runner
    assert slow.store.get(record.id, slow.key).status == "stopped"
    # "Send again": the same settings and seed, as a new job.
    at.button(key=f"create_card_{record.id}_send_again").click().run()
    again = slow.latest("create")
    assert again.id != record.id and again.seed == record.seed
    assert again.request["prompt"] == "A very slow lighthouse"


def test_stop_is_only_for_the_rows_own_visitor(slow: AppEnv) -> None:
    runner = JobRunner(slow.store, RunnerSettings(poll_interval=0.05))
    provider = LtxProvider(slow.base_url, DEMO_TOKEN)
    request = provider.prepare("create", {"prompt": "Mine", "poll_for_result": 1})
    rid = runner.submit(provider, request, account_key="visitor-a")
    wait_until(lambda: slow.store.get(rid, "visitor-a").job_id, "the job to run", WAIT)
    assert runner.stop_job(provider, rid, "visitor-b") is False
    assert slow.emulator.calls(DELETE_ROUTE, "DELETE") == 0
    assert slow.store.get(rid, "visitor-a").status == "active"
    assert runner.stop_job(provider, rid, "visitor-a") is True
    assert slow.emulator.calls(DELETE_ROUTE, "DELETE") == 1
    assert slow.store.get(rid, "visitor-a").status == "stopped"
    assert not runner.is_running(rid), "its follower ended"
    assert runner.stop_job(provider, rid, "visitor-a") is False, "a stopped row stays stopped"
    runner.stop()


def test_stop_on_a_job_that_just_ended_upstream_says_so(slow: AppEnv) -> None:
    at = slow.app()
    record = start(slow, at, "A lighthouse about to finish")
    slow.emulator.faults.add(DELETE_ROUTE, status=404)
    at.button(key=f"progress_{record.id}_stop").click().run()
    wait_until(
        lambda: (
            slow.store.get(record.id, slow.key).status != "active"
            or "nothing to stop" in texts(at.run())
        ),
        "the page to say there was nothing to stop",
        WAIT,
    )
    assert slow.store.get(record.id, slow.key).status == "active", "still followed"
    assert "nothing to stop" in texts(at)


def test_no_stop_and_no_upscale_for_black_forest_labs(slow: AppEnv) -> None:
    at = slow.app()
    at.sidebar.radio(key="conn_provider").set_value("bfl").run()
    record = start(slow, at, "A slow fox by BFL")
    assert record.provider == "bfl"
    assert "Stop" not in labels(at) and f"progress_{record.id}_stop" not in [
        b.key for b in at.button
    ]
    slow.emulator.advance(JOB_SECONDS + 1)
    slow.wait_idle()
    at.run()
    assert slow.store.get(record.id, slow.key).status == "completed"
    assert "Re-run" in labels(at) and "Upscale" not in labels(at)


def test_upscale_on_a_card_starts_an_upscale(app_env: AppEnv) -> None:
    at = app_env.app()
    at.text_area(key="create_prompt").set_value("A small red boat")
    at.button(key="create_go").click().run()
    app_env.wait_idle()
    at.run()
    record = app_env.latest("create")
    assert record.status == "completed"
    at.button(key=f"create_card_{record.id}_upscale").click().run()
    assert not at.exception
    assert app_env.emulator.calls("images/upscale", "POST") == 1
    upscale = app_env.latest("upscale")
    assert upscale is not None and upscale.parent_id == record.id
    assert upscale.request["jobId"] == record.job_id
    app_env.wait_idle()
    at.run()
    assert app_env.store.get(upscale.id, app_env.key).status == "completed"
    assert at.subheader[0].value == "Upscale · completed", "History opens the new job"
