"""No network in a page run: with an API that answers every request after 10 s, each run of
Create and History ends within 2 s, and what the API says shows once it arrives."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from apptest_support import APP, AppEnv, app_env, texts  # noqa: F401
from streamlit.testing.v1 import AppTest

from components import connection
from kontextlab.jobs import JobRunner, RunnerSettings
from kontextlab.providers.ltx import LtxProvider

SLOW_SECONDS = 10.0
RUN_LIMIT_SECONDS = 2.0
ARRIVAL_SECONDS = 180.0  # several 10 s answers, one after another, on a busy machine
OWN_ACCOUNT = "Pictures are made with this app's own account."


def timed_run(at: AppTest) -> float:
    started = time.monotonic()
    at.run()
    took = time.monotonic() - started
    assert not at.exception, at.exception
    assert took < RUN_LIMIT_SECONDS, f"a page run waited {took:.1f} s on a slow API"
    return took


def run_until(at: AppTest, shown: str, what: str) -> None:
    """Rerun (each run within the limit) until `shown` is on the page, or fail saying so."""
    deadline = time.monotonic() + ARRIVAL_SECONDS
    while shown not in texts(at) + "\n" + str([c.value for c in at.sidebar.caption]):
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {ARRIVAL_SECONDS:g} s waiting for {what}")
        timed_run(at)
        time.sleep(0.2)  # the pace of a fragment's tick, not a wait for the answer


def slow_app(env: AppEnv, page: str | None = None) -> AppTest:
    env.emulator.faults.add("*", kind="slow", delay=SLOW_SECONDS, count=10_000)
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["_visitor_id"] = env.visitor
    timed_run(at)
    if page:
        at.switch_page(page)
        timed_run(at)
    return at


def test_create_opens_at_once_and_the_account_shows_when_known(app_env: AppEnv) -> None:
    at = slow_app(app_env)
    assert connection.CHECKING in [c.value for c in at.sidebar.caption]
    assert at.button(key="create_go").label == "Generate", "the form is drawn meanwhile"
    run_until(at, OWN_ACCOUNT, "the account list from the slow API")
    assert connection.CHECKING not in [c.value for c in at.sidebar.caption]


def test_history_renews_links_in_the_background(app_env: AppEnv) -> None:
    provider = LtxProvider(app_env.base_url, app_env.token)
    runner = JobRunner(app_env.store, RunnerSettings(poll_interval=0.05))
    request = provider.prepare("create", {"prompt": "A slow lighthouse", "poll_for_result": 1})
    rid = runner.submit(provider, request, account_key=app_env.key)
    app_env.wait_idle()
    app_env.store.update_job(rid, url_expires_at=datetime.now(UTC) + timedelta(minutes=2))
    at = slow_app(app_env, "pages/history.py")
    frame = at.dataframe[0].value
    assert frame["expires"].tolist() == ["in 2 min"], "the table shows before the answer"
    assert "Renewing links that expire soon…" in str([c.value for c in at.caption])
    deadline = time.monotonic() + ARRIVAL_SECONDS
    while at.dataframe[0].value["expires"].tolist() != ["in 60 min"]:
        if time.monotonic() > deadline:
            raise AssertionError("gave up waiting for the renewed link to show")
        timed_run(at)
        time.sleep(0.2)
    assert app_env.store.get(rid, app_env.key).url_expires_at > datetime.now(UTC) + timedelta(
        minutes=30
    )


def test_a_reference_upload_runs_in_the_background(app_env: AppEnv) -> None:
    from test_app_edit import picture

    at = slow_app(app_env, "pages/edit.py")
    at.file_uploader(key="edit_ref_file").set_value(("photo.png", picture(), "image/png"))
    timed_run(at)
    assert "Uploading the picture…" in [c.value for c in at.caption], "progress is shown"
    assert at.button(key="edit_go").label, "the form is drawn meanwhile"
    deadline = time.monotonic() + ARRIVAL_SECONDS
    while "Uploading the picture…" in [c.value for c in at.caption]:
        assert time.monotonic() < deadline, "the upload never ended"
        time.sleep(0.2)  # the pace of the upload's ticking caption
        timed_run(at)
    assert not at.error, [e.value for e in at.error]
    uploads = [r for r in app_env.emulator.requests if r[0] == "POST" and r[1] == "assets/"]
    assert len(uploads) == 1, "one upload however many runs waited for it"
    (row,) = [r for r in app_env.store.list(app_env.key) if r.kind == "upload"]
    assert row.file_id and row.status == "completed"
