"""The History page, driven by AppTest against the in-process emulator over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import streamlit as st
from apptest_support import (  # noqa: F401
    WAIT_FLOOR_SECONDS,
    AppEnv,
    app_env,
    job_wait_seconds,
    texts,
    wait_until,
)
from seam_support import prepared, seam, send, summary_of
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from components import history_table, history_tools
from kontextlab.import_rules import IMPORT_RULES
from kontextlab.jobs import JobRunner, RunnerSettings
from kontextlab.providers import ltx
from kontextlab.providers.ltx import requests as p
from kontextlab.vocabulary import NO_STYLE

HISTORY = "pages/history.py"


# ---------------------------------------------------------------- helpers


def runner(env: AppEnv) -> JobRunner:
    return JobRunner(env.store, RunnerSettings(poll_interval=0.05))


def client(env: AppEnv) -> ltx.Client:
    return ltx.Client(env.base_url, env.token)


def make_job(env: AppEnv, prompt: str, **fields: object) -> str:
    """A real job through the emulator, recorded as the app records it. Returns the row id."""
    request = p.CreateRequest(prompt=prompt, poll_for_result=1, **fields)
    rid = runner(env).submit(seam(client(env)), prepared(request), account_key=env.key)
    env.wait_idle()
    return rid


def earlier_session_job(env: AppEnv, prompt: str) -> str:
    """A job an earlier session sent and lost track of: active in the store, with its jobId."""
    job = send(client(env), p.CreateRequest(prompt=prompt))
    rid = env.store.add_job(
        account_key=env.key,
        kind="create",
        request={"prompt": prompt},
        summary=summary_of({"prompt": prompt}),
    )
    env.store.update_job(rid, status="active", job_id=job.job_id, progress=10.0)
    return rid


def forget_on_server(env: AppEnv, rid: str) -> None:
    """Let the emulator drop the job's record (as the vendor does after a while), and mark
    its link expired in the store."""
    env.emulator.advance(env.emulator.config.record_lifetime + 1)
    wait_until(
        lambda: not any(t.jobs for t in env.emulator.world.tenants.values()),
        "the emulator to drop its expired job records",
        WAIT_FLOOR_SECONDS,
        interval=0.02,
    )
    env.emulator.advance(-(env.emulator.config.record_lifetime + 1))
    env.store.update_job(rid, url_expires_at=datetime.now(UTC) - timedelta(hours=2))


def rows(at: AppTest):
    return at.dataframe[0].value


def row_of(at: AppTest, prompt: str) -> dict:
    frame = rows(at)
    found = frame[frame["prompt"] == prompt]
    assert len(found) == 1, f"{prompt!r} not shown once in {frame['prompt'].tolist()}"
    return found.iloc[0].to_dict()


def select(at: AppTest, prompt: str) -> None:
    """Click a row of the table (AppTest sets the selection through the table's key)."""
    table = at.dataframe[0]
    index = rows(at)["prompt"].tolist().index(prompt)
    at.session_state[table.key] = {"selection": {"rows": [index], "columns": [], "cells": []}}
    at.run()


def click(at: AppTest, label: str) -> None:
    buttons = [b for b in at.button if b.label == label]
    assert len(buttons) == 1, f"no single {label!r} button in {[b.label for b in at.button]}"
    buttons[0].click()
    at.run()


def notice(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("info", "success", "error") for e in at.get(kind))


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], str]]:
    """The deferred downloads the page offers, by file name (AppTest cannot click them)."""
    offered: dict[str, Callable[[], str]] = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        offered[file_name or ""] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return offered


# ---------------------------------------------------------------- the table


def test_empty_history_points_to_create(app_env: AppEnv) -> None:
    at = app_env.app(HISTORY)
    assert "Nothing here yet" in texts(at)
    assert [link.label for link in at.get("page_link")] == ["Create your first image"]
    assert not at.dataframe and not at.exception


def test_mixed_history_shows_each_state(app_env: AppEnv) -> None:
    gone = make_job(app_env, "An old lighthouse")
    forget_on_server(app_env, gone)
    make_job(app_env, "A red fox at golden hour", style="anime", seed=4242)
    app_env.emulator.fail_next_job("The prompt was flagged by the safety filter.")
    make_job(app_env, "A forbidden picture")
    renewable = make_job(app_env, "A bowl of ramen")
    app_env.store.update_job(renewable, url_expires_at=datetime.now(UTC) - timedelta(minutes=5))
    app_env.emulator.advance(600)  # the boat starts "later": it is active while we look
    earlier_session_job(app_env, "A slow boat")
    app_env.emulator.advance(-600)
    try:
        check_mixed_history(app_env)
    finally:
        app_env.emulator.advance(600)


def check_mixed_history(app_env: AppEnv) -> None:
    at = app_env.app(HISTORY)

    assert not at.exception
    assert rows(at)["prompt"].tolist() == [
        "A slow boat",
        "A bowl of ramen",
        "A forbidden picture",
        "A red fox at golden hour",
        "An old lighthouse",
    ], "newest first"
    fox = row_of(at, "A red fox at golden hour")
    assert (fox["status"], fox["style"], fox["seed"], fox["kind"]) == (
        "completed",
        "anime",
        4242,
        "create",
    )
    assert fox["picture"].startswith("data:image/jpeg;base64,")
    assert pd.isna(fox["link"]), "a loopback link never reaches a visitor's browser"
    assert fox["expires"] == "in 60 min" and fox["aspect ratio"] == "16:9"
    assert fox["duration"] > 0 and fox["created"].tzinfo is not None
    failed = row_of(at, "A forbidden picture")
    assert failed["status"] == "failed" and pd.isna(failed["link"])
    assert row_of(at, "A slow boat")["status"] == "active"
    old = row_of(at, "An old lighthouse")
    assert old["expires"] == "expired, cannot renew" and pd.isna(old["link"])
    assert old["picture"].startswith("data:image/jpeg"), "the kept thumbnail still shows"
    assert row_of(at, "A bowl of ramen")["expires"] == "in 60 min", "renewed on opening"
    assert "Showing 1–5 of 5 jobs." in texts(at)

    select(at, "An old lighthouse")
    assert at.image, "the stored image shows after the link is gone"
    assert "this is the copy the app kept" in texts(at)


def test_links_are_renewed_within_a_bounded_number_of_requests(app_env: AppEnv) -> None:
    for n in range(history_tools.REFRESH_LIMIT + 3):
        rid = make_job(app_env, f"Picture {n}")
        app_env.store.update_job(rid, url_expires_at=datetime.now(UTC) + timedelta(minutes=2))
    before = app_env.emulator.calls("assets/{jobId}", "GET")
    at = app_env.app(HISTORY)
    at.run()  # a second run in the same session asks again for nothing
    asked = app_env.emulator.calls("assets/{jobId}", "GET") - before
    assert asked == history_tools.REFRESH_LIMIT
    assert rows(at)["expires"].tolist().count("in 60 min") == history_tools.REFRESH_LIMIT


# ---------------------------------------------------------------- find


@pytest.fixture
def varied(app_env: AppEnv) -> AppEnv:
    make_job(app_env, "A red fox in the snow", style="anime")
    make_job(app_env, "A blue whale", style="film_noir")
    make_job(app_env, "A red car")
    app_env.emulator.fail_next_job("Generation failed")
    make_job(app_env, "A red balloon that fails")
    long_ago = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    document = {"jobs": [{"id": "old1", "prompt": "An old red barn", "status": "completed",
                          "kind": "edit", "created_at": long_ago}]}  # fmt: skip
    app_env.store.import_json(app_env.key, json.dumps(document), IMPORT_RULES)
    return app_env


def shown(at: AppTest) -> set[str]:
    return set(rows(at)["prompt"])


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("history_search", "red", {"A red fox in the snow", "A red car",
                                   "A red balloon that fails", "An old red barn"}),
        ("history_search", "RED fox", {"A red fox in the snow"}),
        ("history_kinds", ["edit"], {"An old red barn"}),
        ("history_statuses", ["failed"], {"A red balloon that fails"}),
        ("history_styles", ["anime", "film_noir"], {"A red fox in the snow", "A blue whale"}),
        (
            "history_styles",
            [NO_STYLE],
            {"A red car", "A red balloon that fails", "An old red barn"},
        ),
    ],
    ids=["search", "search-words", "kind", "status", "style", "no-style"],
)  # fmt: skip
def test_each_filter(varied: AppEnv, key: str, value: object, expected: set[str]) -> None:
    at = varied.app(HISTORY)
    at.session_state[key] = value
    at.run()
    assert shown(at) == expected
    assert f"of {len(expected)} matching jobs (5 in all)" in texts(at)


def test_date_range_and_sorting(varied: AppEnv) -> None:
    at = varied.app(HISTORY)
    today = datetime.now().date()
    at.session_state["history_dates"] = (today - timedelta(days=41), today - timedelta(days=39))
    at.run()
    assert shown(at) == {"An old red barn"}
    at.session_state["history_dates"] = (today,)
    at.session_state["history_order"] = "prompt"
    at.run()
    assert rows(at)["prompt"].tolist() == [
        "A blue whale",
        "A red balloon that fails",
        "A red car",
        "A red fox in the snow",
    ]


def test_nothing_matches_says_so(varied: AppEnv) -> None:
    at = varied.app(HISTORY)
    at.text_input(key="history_search").set_value("zebra").run()
    assert "No job matches this search" in texts(at)


def test_paging(app_env: AppEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history_table, "PAGE_SIZE", 2)
    for n in range(5):
        make_job(app_env, f"Picture {n}")
    at = app_env.app(HISTORY)
    assert rows(at)["prompt"].tolist() == ["Picture 4", "Picture 3"]
    at.number_input(key="history_page").set_value(3).run()
    assert rows(at)["prompt"].tolist() == ["Picture 0"]
    assert "Showing 5–5 of 5 jobs." in texts(at)
    at.text_input(key="history_search").set_value("Picture").run()
    assert at.number_input(key="history_page").value == 1, "a new search starts at page 1"


# ---------------------------------------------------------------- a job's detail


@pytest.fixture
def fox(app_env: AppEnv) -> tuple[AppEnv, AppTest, str]:
    rid = make_job(app_env, "A red fox at golden hour", style="anime", seed=4242)
    make_job(app_env, "Something else")
    at = app_env.app(HISTORY)
    select(at, "A red fox at golden hour")
    return app_env, at, rid


def test_detail_shows_image_parameters_and_request(fox) -> None:
    env, at, rid = fox
    at.sidebar.toggle(key="dev_options").set_value(True).run()  # the exact request is for them
    shown_text = texts(at)
    assert "A red fox at golden hour" in [c for i in at.image for c in i.captions]
    # The emulator's link is on the server's own address: the page says the copy is shown.
    for expected in (
        "anime",
        "4242",
        "1344 × 768",
        "image/png",
        "Shown from the app&#x27;s own copy",
    ):
        assert expected in shown_text.replace("\\", ""), expected
    assert at.json[0].value and json.loads(at.json[0].value) == env.store.get(rid, env.key).request
    assert "POST " + env.base_url + "/images/flux-create" in shown_text
    assert at.download_button[0].label == "Download"


def test_rerun_uses_the_same_settings_and_seed(fox) -> None:
    env, at, rid = fox
    click(at, "Re-run")
    assert "Re-run started" in notice(at)
    env.wait_idle()
    at.run()
    original, again = env.store.get(rid, env.key), env.latest("create")
    assert again.id != rid and again.status == "completed"
    # The same settings; each stored request carries its own row's tag, as it was sent.
    assert original.request["replyRef"] == rid
    assert again.request == {**original.request, "replyRef": again.id} and again.seed == 4242
    assert rows(at)["prompt"].tolist()[0] == "A red fox at golden hour"


def test_edit_this_lands_on_edit_with_the_job_selected(fox) -> None:
    _, at, rid = fox
    click(at, "Edit this")
    assert at.selectbox(key="edit_ref_row").value == rid
    assert "Image to edit" in [h.value for h in at.subheader]


def test_upscale_completes(fox) -> None:
    env, at, rid = fox
    click(at, "Upscale")
    env.wait_idle()
    at.run()
    upscale = env.latest("upscale")
    assert upscale.status == "completed" and upscale.parent_id == rid
    assert rows(at)["kind"].tolist() == ["upscale", "create", "create"], "the original stays"
    assert at.subheader[0].value == "Upscale · completed", "the new job opens"
    assert at.image


def test_refresh_link_gives_a_new_expiry(fox) -> None:
    env, at, rid = fox
    soon = datetime.now(UTC) + timedelta(minutes=1)
    env.store.update_job(rid, url_expires_at=soon)
    at.run()
    assert row_of(at, "A red fox at golden hour")["expires"] == "in 60 s"
    click(at, "Refresh link")
    assert "The link was refreshed; it is valid for 60 min." in notice(at)
    assert env.store.get(rid, env.key).url_expires_at > soon + timedelta(minutes=30)
    assert row_of(at, "A red fox at golden hour")["expires"] == "in 60 min"


def test_refresh_link_of_a_forgotten_job_says_so(fox) -> None:
    env, at, rid = fox
    forget_on_server(env, rid)
    at.run()
    click(at, "Refresh link")
    assert "no longer has this job" in notice(at)
    assert row_of(at, "A red fox at golden hour")["expires"] == "expired, cannot renew"
    assert at.image and not at.exception


def test_delete_asks_first(fox) -> None:
    env, at, rid = fox
    assert "Delete this job from your history?" in texts(at)
    assert env.store.get(rid, env.key) is not None, "opening the question deletes nothing"
    click(at, "Yes, delete it")
    assert env.store.get(rid, env.key) is None
    assert "Deleted “A red fox at golden hour”." in notice(at)
    assert shown(at) == {"Something else"}
    assert "Select a row to open the job." in texts(at)


def test_send_to_create_fills_the_form(fox) -> None:
    _, at, _ = fox
    click(at, "Send to Create")
    assert at.text_area(key="create_prompt").value == "A red fox at golden hour"
    assert at.session_state["create_style"] == "anime"
    assert at.number_input(key="create_seed").value == 4242


def test_a_click_opens_the_job_that_was_clicked(app_env: AppEnv) -> None:
    make_job(app_env, "The first")
    make_job(app_env, "The second")
    at = app_env.app(HISTORY)
    assert rows(at)["prompt"].tolist() == ["The second", "The first"]
    make_job(app_env, "A newer picture")  # lands while the user looks at the table
    select(at, "The first")  # row 2 of what the user saw
    assert "The first" in [c for i in at.image for c in i.captions]
    at.run()
    assert "The first" in [c for i in at.image for c in i.captions], "it stays open"
    click(at, "Close")
    assert not at.image and "Select a row to open the job." in texts(at)


# ---------------------------------------------------------------- resume


@pytest.mark.parametrize("restart", [False, True], ids=["same-emulator", "emulator-restarted"])
def test_active_job_from_an_earlier_session_lands(app_env: AppEnv, restart: bool) -> None:
    rid = earlier_session_job(app_env, "A ship in a bottle")
    if restart:
        port = app_env.emulator.port
        job_id = app_env.store.get(rid, app_env.key).job_id
        wait_until(
            lambda: client(app_env).job(job_id).is_done,
            f"the emulator to finish job {job_id}",
            job_wait_seconds(app_env.emulator.config),
        )
        app_env.emulator.stop()
        app_env.emulator.start(port=port)
    st.cache_resource.clear()  # a new server process: a new runner, nothing followed yet
    at = app_env.app(HISTORY)
    app_env.wait_idle()
    at.run()
    record = app_env.store.get(rid, app_env.key)
    assert record.status == "completed" and record.has_thumbnail
    row = row_of(at, "A ship in a bottle")
    assert row["status"] == "completed" and row["picture"].startswith("data:image/jpeg")


# ---------------------------------------------------------------- sync, export, import


def made_elsewhere(env: AppEnv, *prompts: str) -> None:
    c = client(env)
    for prompt in prompts:
        job = send(c, p.CreateRequest(prompt=prompt))
        wait_until(
            lambda job=job: c.job(job.job_id or "").is_done,
            f"the emulator to finish the job of {prompt!r}",
            job_wait_seconds(env.emulator.config),
        )


def team_of(env: AppEnv, monkeypatch: pytest.MonkeyPatch) -> AppEnv:
    """The same app as a team history: the deployer's token, shared on purpose."""
    monkeypatch.setenv("KONTEXTLAB_SHARED_HISTORY", "true")
    return AppEnv(env.emulator, env.base_url, env.db_url, env.token, typed=True)


def test_sync_is_not_offered_to_visitors_of_a_deployers_token(app_env: AppEnv) -> None:
    at = app_env.app(HISTORY)
    assert "Sync from account" not in [b.label for b in at.button]


def test_sync_from_account_brings_back_every_page(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history_tools, "SYNC_PAGE_LIMIT", 2)
    app_env = team_of(app_env, monkeypatch)  # sync pulls the whole account: a team's
    made_elsewhere(app_env, "One", "Two", "Three")
    make_job(app_env, "Made here")
    at = app_env.app(HISTORY)
    click(at, "Sync from account")
    assert "Sync finished: 3 new jobs added." in notice(at)
    assert len(rows(at)) == 4
    assert rows(at)["picture"].str.startswith("data:image/jpeg").all(), "thumbnails fetched"
    assert app_env.emulator.calls("assets/", "GET") == 2
    click(at, "Sync from account")
    assert "Sync finished: nothing new." in notice(at)
    assert len(rows(at)) == 4


def test_sync_failure_is_a_sentence(app_env: AppEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    at = team_of(app_env, monkeypatch).app(HISTORY)
    app_env.emulator.faults.add("GET assets/", kind="status", status=401, count=1)
    click(at, "Sync from account")
    assert "Sync stopped" in notice(at) and "token" in notice(at)
    assert not at.exception


def test_export_filtered_view_and_import_round_trip(app_env: AppEnv, downloads) -> None:
    make_job(app_env, "A red fox")
    make_job(app_env, "A blue whale")
    at = app_env.app(HISTORY)
    assert {"Export CSV", "Export JSON"} <= {b.label for b in at.download_button}
    at.text_input(key="history_search").set_value("fox").run()
    at.radio(key="history_export_scope").set_value("filtered").run()
    name = next(n for n in downloads if n.endswith(".json") and "filtered" in n)
    exported = downloads[name]()
    assert [j["prompt"] for j in json.loads(exported)["jobs"]] == ["A red fox"]
    csv_name = next(n for n in downloads if n.endswith(".csv") and "filtered" in n)
    assert "A red fox" in downloads[csv_name]() and "whale" not in downloads[csv_name]()
    at.radio(key="history_export_scope").set_value("all").run()
    everything = downloads[
        next(n for n in downloads if n.endswith(".json") and "filtered" not in n)
    ]()

    for record in app_env.store.list(app_env.key):
        app_env.store.delete(record.id, app_env.key)
    at.run()
    assert "Nothing here yet" in texts(at)
    at.file_uploader(key="history_import_file").upload(
        "history.json", everything.encode(), "application/json"
    )
    at.run()
    assert "Imported 2 new jobs." in notice(at)
    assert shown(at) == {"A red fox", "A blue whale"}
    assert rows(at)["picture"].notna().all(), "thumbnails travel in the export"
    at.file_uploader(key="history_import_file").upload(
        "again.json", everything.encode(), "application/json"
    )
    at.run()
    assert "Imported 0 new jobs." in notice(at)
    assert len(rows(at)) == 2


def test_importing_a_wrong_file_says_so(app_env: AppEnv) -> None:
    at = app_env.app(HISTORY)
    at.file_uploader(key="history_import_file").upload(
        "notes.json", b"not json at all", "application/json"
    )
    at.run()
    assert "That file could not be imported. This file is not valid JSON." in notice(at)
    assert not at.exception


def test_the_exact_request_shows_only_with_developer_options(app_env: AppEnv) -> None:
    rid = make_job(app_env, "A lighthouse at dusk")
    at = app_env.app(HISTORY)
    at.session_state["history_open"] = rid
    at.run()
    assert at.session_state["history_open"] == rid, "the detail is open"
    assert "Exact request (JSON)" not in [e.label for e in at.expander]
    at.sidebar.toggle(key="dev_options").set_value(True).run()
    assert "Exact request (JSON)" in [e.label for e in at.expander]
    assert not at.exception
