"""Black Forest Labs in the app: choosing it, creating, editing an LTX result with it, each
failure's sentence on the card, and the cost of one click (AppTest, in-process emulator)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st

from kontextlab.emulator import DEMO_BFL_KEY, DEMO_TOKEN, Emulator
from kontextlab.jobs import NO_SEARCH_MESSAGE
from kontextlab.providers.bfl.errors import KeyRefused, OutOfCredits, TaskNotFound
from kontextlab.providers.bfl.provider import CONTENT_MODERATED, FAILED, REQUEST_MODERATED
from kontextlab.providers.bfl.rules import encoded_picture
from kontextlab.untrusted import plain
from tests.apptest_support import (
    AppEnv,
    fast_config,
    job_wait_seconds,
    steady_navigation,
    texts,
    wait_until,
)

# LTX's wire names: none may be in a body sent to BFL.
LTX_FIELDS = {
    "style",
    "shotType",
    "shotAngle",
    "pollForResult",
    "maxJobs",
    "email",
    "referenceAssetId",
    "referenceStrength",
    "replyUrl",
    "replyRef",
    "aspectRatio",
    "model",
    "location",
    "weather",
    "lighting",
}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppEnv]:
    """A deployment with both services configured, both on one in-process emulator."""
    emulator = Emulator(fast_config())
    base_url = emulator.start()
    for name, value in {
        "USEAPI_TOKEN": DEMO_TOKEN,
        "USEAPI_BASE_URL": base_url,
        "BFL_API_KEY": DEMO_BFL_KEY,
        "BFL_BASE_URL": emulator.bfl_base_url,
        "KONTEXTLAB_DATABASE_URL": f"sqlite:///{tmp_path / 'history.sqlite3'}",
        "KONTEXTLAB_POLL_INTERVAL": "0.05",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("USEAPI_EMAIL", raising=False)
    steady_navigation(monkeypatch)
    st.cache_data.clear()
    st.cache_resource.clear()
    app_env = AppEnv(emulator, base_url, f"sqlite:///{tmp_path / 'history.sqlite3'}", DEMO_TOKEN)
    yield app_env
    app_env.wait_idle()
    emulator.stop()
    st.cache_data.clear()
    st.cache_resource.clear()


def choose_bfl(at):
    at.sidebar.radio(key="conn_provider").set_value("bfl").run()
    assert not at.exception
    return at


def create(env: AppEnv, at, prompt: str, seed: int | None = None):
    at.text_area(key="create_prompt").set_value(prompt)
    if seed is not None:
        at.radio(key="create_seed_mode").set_value("Fixed").run()
        at.number_input(key="create_seed").set_value(seed)
    at.button(key="create_go").click().run()
    assert not at.exception


def finished(env: AppEnv, kind: str) -> object:
    wait_until(
        lambda: (
            (r := env.latest(kind)) is not None and r.status != "queued" and r.status != "active"
        ),
        f"the {kind} job to end",
        job_wait_seconds(env.emulator.config),
    )
    return env.latest(kind)


def test_choosing_bfl_and_creating_sends_only_bfl_fields_and_the_seed(env: AppEnv) -> None:
    at = choose_bfl(env.app())
    labels = {str(w.label) for w in at.main.selectbox} | {str(w.label) for w in at.main.slider}
    assert "Look" not in labels and "Safety filter" in labels
    assert "Black Forest Labs" in texts(at) or at.sidebar.radio(key="conn_provider").value == "bfl"
    create(env, at, "A lighthouse in the fog", seed=1234)
    record = finished(env, "create")
    assert record.provider == "bfl" and record.status == "completed", record.message
    assert record.model == "flux-kontext-pro"
    assert record.request["seed"] == 1234 == record.seed
    assert record.request["prompt"] == "A lighthouse in the fog"
    assert not LTX_FIELDS & set(record.request), record.request
    assert "input_image" not in record.request
    at.run()
    assert env.store.image(record.id, env.key)  # the picture was downloaded and kept


def test_editing_an_ltx_result_with_bfl_sends_the_source_picture(env: AppEnv) -> None:
    at = env.app()
    create(env, at, "A red fox in the snow")  # with the default service, useapi.net (LTX)
    source = finished(env, "create")
    assert source.provider == "ltx" and source.status == "completed", source.message
    kept = env.store.image(source.id, env.key)
    assert kept
    choose_bfl(at)
    at.switch_page("pages/edit.py").run()
    at.selectbox(key="edit_ref_row").set_value(source.id).run()
    at.text_area(key="edit_prompt").set_value("Make it night")
    at.button(key="edit_go").click().run()
    assert not at.exception
    edit = finished(env, "edit")
    assert edit.provider == "bfl" and edit.status == "completed", edit.message
    assert edit.parent_id == source.id
    sent = edit.request["input_image"]
    assert sent == encoded_picture(kept)
    assert base64.b64decode(sent)[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1")
    assert not LTX_FIELDS & set(edit.request), edit.request


FAILURES = [
    ("error", {}, FAILED),
    ("request-moderated", {}, REQUEST_MODERATED),
    ("content-moderated", {}, CONTENT_MODERATED),
    ("status", {"status": 402}, OutOfCredits.plain),
    ("status", {"status": 403}, KeyRefused.plain),
]


@pytest.mark.parametrize(
    ("kind", "options", "sentence"), FAILURES, ids=[f[0] + str(f[1]) for f in FAILURES]
)
def test_each_bfl_failure_ends_in_its_sentence_on_the_card(
    env: AppEnv, kind: str, options: dict[str, int], sentence: str
) -> None:
    at = choose_bfl(env.app())
    env.emulator.faults.add("flux-kontext-pro", kind, **options)
    create(env, at, "A castle on a hill")
    record = finished(env, "create")
    assert record.provider == "bfl" and record.status == "failed"
    assert sentence[:-1] in (record.message or ""), record.message
    at.run()
    assert plain(record.message or "") in texts(at)  # the sentence, with any reasons given
    assert any(b.label == "Try again" for b in at.button)


def test_too_many_tasks_ends_in_its_sentence(env: AppEnv) -> None:
    at = choose_bfl(env.app())
    env.emulator.faults.add("flux-kontext-pro", "busy", retry_after=3600)  # a 429
    create(env, at, "A castle on a hill")
    record = finished(env, "create")
    assert record.status == "failed"
    assert "Black Forest Labs is running as many of your tasks" in (record.message or "")
    at.run()
    assert plain(record.message or "") in texts(at)


def test_a_task_bfl_no_longer_has_ends_in_its_sentence(env: AppEnv) -> None:
    at = choose_bfl(env.app())
    env.emulator.faults.add("get_result", "status", status=404, count=50)
    create(env, at, "A castle on a hill")
    record = finished(env, "create")
    assert record.status == "failed", record.message
    assert record.message == TaskNotFound.plain
    at.run()
    assert plain(TaskNotFound.plain) in texts(at)


def test_a_lost_submit_answer_is_unknown_with_no_search_offered(env: AppEnv) -> None:
    at = choose_bfl(env.app())
    env.emulator.faults.add("flux-kontext-pro", "lost")
    create(env, at, "A castle on a hill")
    wait_until(
        lambda: (r := env.latest("create")) is not None and r.status == "unknown",
        "the job to be unknown",
        job_wait_seconds(env.emulator.config),
    )
    at.run()
    labels = [str(b.label) for b in at.button]
    assert plain(NO_SEARCH_MESSAGE) in texts(at)
    assert "Check my account" not in labels and "Looking…" not in labels
    assert "Send again…" in labels


def test_the_cost_of_one_click(env: AppEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BFL_API_KEY")  # the BFL demo: its price is shown
    at = choose_bfl(env.app())
    page = texts(at)
    assert "One picture: 4 credits ($0.04) with FLUX.1 Kontext [pro]." in page
    at.selectbox(key="create_model").set_value("flux-kontext-max").run()
    assert "One picture: 8 credits ($0.08) with FLUX.1 Kontext [max]." in texts(at)


def test_a_deployers_key_keeps_its_price_and_balance_unsaid(env: AppEnv) -> None:
    at = choose_bfl(env.app())
    assert "credits" not in texts(at)
    assert "Balance:" not in "\n".join(str(c.value) for c in at.sidebar.caption)


def test_a_pasted_bfl_key_shows_its_balance_in_credits_and_dollars(
    env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BFL_API_KEY")  # only the address is configured: the visitor pastes
    at = choose_bfl(env.app())
    assert any("Demo mode:" in str(i.value) for i in at.info)
    at.sidebar.text_input(key="conn_bfl_key").set_value(f" {DEMO_BFL_KEY}\u200b ").run()
    assert not at.exception
    wait_until(
        lambda: "Balance:" in "\n".join(str(c.value) for c in at.run().sidebar.caption),
        "the balance to show",
        30,
        interval=0.2,
    )
    captions = "\n".join(str(c.value) for c in at.sidebar.caption)
    assert "Balance: 10,000 credits ($100.00)" in captions
    assert not any("Demo mode:" in str(i.value) for i in at.info)
    assert DEMO_BFL_KEY not in texts(at)  # a key is never shown


def test_rerun_uses_the_service_that_made_the_row(env: AppEnv) -> None:
    at = env.app()
    create(env, at, "A red fox in the snow")  # useapi.net (LTX)
    first = finished(env, "create")
    assert first.provider == "ltx" and first.status == "completed", first.message
    choose_bfl(at)
    rerun = [b for b in at.button if b.label == "Re-run"]
    assert rerun, [b.label for b in at.button]
    rerun[0].click().run()
    assert not at.exception
    wait_until(
        lambda: len(env.store.list(env.key, kinds=["create"], limit=5)) == 2,
        "the re-run to be recorded",
        30,
    )
    again = finished(env, "create")
    assert again.id != first.id
    assert again.provider == "ltx" and again.seed == first.seed, again.provider
    assert again.status == "completed", again.message
