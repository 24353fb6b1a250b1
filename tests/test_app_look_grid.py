"""Try every look: the cost and a confirmation first, then one job per look (and none) in one
batch, shown as a labelled grid; no button for a provider without looks (AppTest)."""

from __future__ import annotations

from apptest_support import AppEnv, app_env, texts  # noqa: F401
from test_app_bfl import choose_bfl, env  # noqa: F401

from components.look_grid import look_name
from kontextlab.providers.ltx import LtxRules

LOOKS = LtxRules().capabilities.looks


def posted(env: AppEnv) -> int:
    return sum(1 for r in env.emulator.requests if r[:2] == ("POST", "images/flux-create"))


def test_every_look_asks_first_then_sends_seventeen_labelled_jobs(app_env: AppEnv) -> None:
    assert len(LOOKS) == 16
    at = app_env.app()
    at.text_area(key="create_prompt").set_value("A harbour at dawn")
    at.session_state["create_aspect_ratio"] = "1:1"
    at.button(key="create_looks").click().run()
    assert at.button(key="create_looks_send").label == "Send 17 pictures"
    assert "17 pictures, one per look." in texts(at)
    assert app_env.store.count(app_env.key) == 0 and posted(app_env) == 0  # nothing yet
    at.button(key="create_looks_send").click().run()
    app_env.wait_idle()
    at.run()
    rows = app_env.store.list(app_env.key, order="oldest")
    assert len(rows) == 17 and posted(app_env) == 17
    assert len({r.batch_id for r in rows}) == 1 and rows[0].batch_id
    assert sorted(r.request.get("style", "") for r in rows) == sorted(["", *LOOKS])
    assert len({r.seed for r in rows}) == 1, "one seed: only the look differs"
    assert {r.request["prompt"] for r in rows} == {"A harbour at dawn"}
    assert {r.request["aspectRatio"] for r in rows} == {"1:1"}
    assert {r.status for r in rows} == {"completed"}
    captions = [c for image in at.image for c in image.captions]
    for look in ("None", *(look_name(s) for s in LOOKS)):
        assert look in captions, look
    assert "**Every look** · 17 of 17 ready" in texts(at)
    assert not at.exception


def test_cancel_sends_nothing(app_env: AppEnv) -> None:
    at = app_env.app()
    at.text_area(key="create_prompt").set_value("A harbour at dawn")
    at.button(key="create_looks").click().run()
    at.button(key="create_looks_cancel").click().run()
    assert at.button(key="create_looks").label == "Try every look"
    assert app_env.store.count(app_env.key) == 0 and posted(app_env) == 0


def test_a_failed_look_shows_its_sentence_in_its_cell(app_env: AppEnv) -> None:
    app_env.emulator.fail_next_job("The look could not be rendered")
    at = app_env.app()
    at.text_area(key="create_prompt").set_value("A harbour at dawn")
    at.button(key="create_looks").click().run()
    at.button(key="create_looks_send").click().run()
    app_env.wait_idle()
    at.run()
    rows = app_env.store.list(app_env.key)
    assert sum(r.status == "failed" for r in rows) == 1
    assert any("The look could not be rendered" in str(e.value) for e in at.error)
    assert "**Every look** · 16 of 17 ready" in texts(at)


def test_an_empty_prompt_is_explained_and_nothing_is_sent(app_env: AppEnv) -> None:
    at = app_env.app()
    at.text_area(key="create_prompt").set_value("  ")
    at.button(key="create_looks").click().run()
    at.button(key="create_looks_send").click().run()
    assert "Please enter the prompt." in [e.value for e in at.error]
    assert app_env.store.count(app_env.key) == 0 and posted(app_env) == 0


def test_no_button_for_a_provider_without_looks(env: AppEnv) -> None:
    at = env.app()
    assert [b for b in at.button if b.label == "Try every look"]
    choose_bfl(at)
    assert not [b for b in at.button if b.label == "Try every look"]
