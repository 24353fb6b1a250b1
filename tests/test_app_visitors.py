"""Strangers share one deployment: each visitor sees only their own history, a deployer's
account stays private, and daily limits refuse before anything is sent."""

from __future__ import annotations

import pytest
from apptest_support import VISITOR, AppEnv, app_env, texts  # noqa: F401

from kontextlab.emulator import DEMO_TOKEN

OTHER = "apptest-visitor-0002"
CREATE = "images/flux-create"


def generate(env: AppEnv, at, prompt: str) -> None:
    at.text_area(key="create_prompt").set_value(prompt)
    at.button(key="create_go").click()
    at.run()
    env.wait_idle()
    at.run()


def as_visitor(env: AppEnv, visitor: str, **kw: object) -> AppEnv:
    return AppEnv(env.emulator, env.base_url, env.db_url, env.token, visitor=visitor, **kw)


def everything_seen(at) -> str:
    seen = [texts(at)]
    for page in ("pages/edit.py", "pages/history.py"):
        at.switch_page(page).run()
        seen.append(texts(at))
        seen.extend(str(df.value.to_dict()) for df in at.dataframe)
    at.switch_page("pages/create.py").run()
    return "\n".join(seen)


def test_a_deployer_token_keeps_each_visitor_to_their_own_history(app_env: AppEnv) -> None:
    a = app_env.app()
    generate(app_env, a, "Visitor A's passport photo")
    record = app_env.latest("create")
    assert record.status == "completed"
    b = app_env.app(visitor=OTHER)
    seen = everything_seen(b)
    assert "passport" not in seen and "Nothing yet. Type a prompt" in texts(b)
    # Not by id either: B's History detail asked for A's row shows nothing of it.
    b.switch_page("pages/history.py")
    b.session_state["history_open"] = record.id
    b.run()
    assert "passport" not in texts(b) and not b.exception
    assert "passport" in everything_seen(app_env.app()), "A still sees it after a reload"


def test_team_history_is_shared_on_purpose(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KONTEXTLAB_SHARED_HISTORY", "true")
    team = AppEnv(app_env.emulator, app_env.base_url, app_env.db_url, DEMO_TOKEN, typed=True)
    a = app_env.app()
    generate(team, a, "Our team's lighthouse")
    b = app_env.app(visitor=OTHER)
    assert "Our team's lighthouse" in texts(b)


def test_the_demo_keeps_each_visitor_to_their_own_history(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("USEAPI_TOKEN")
    monkeypatch.delenv("USEAPI_BASE_URL")
    monkeypatch.setenv("KONTEXTLAB_DEMO_JOB_SECONDS", "0.3")
    demo = AppEnv(app_env.emulator, "", app_env.db_url, DEMO_TOKEN)
    a = app_env.app()
    assert "Demo mode" in texts(a)
    a.text_area(key="create_prompt").set_value("A demo secret")
    a.button(key="create_go").click()
    a.run()
    demo.wait_idle()
    a.run()
    assert "A demo secret" in texts(a)
    b = app_env.app(visitor=OTHER)
    assert "A demo secret" not in everything_seen(b)


def test_the_first_run_draws_no_history_until_the_browser_says_who_it_is(
    app_env: AppEnv,
) -> None:
    from apptest_support import APP
    from streamlit.testing.v1 import AppTest

    generate(app_env, app_env.app(), "Someone else's picture")
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()  # no visitor id yet (a browser sends it one run later)
    assert "Getting things ready…" in texts(at)
    assert "Someone else's picture" not in texts(at)
    assert not [b for b in at.button if b.label == "Generate"] and not at.exception


def test_a_daily_limit_refuses_the_third_picture_and_sends_nothing(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KONTEXTLAB_VISITOR_DAILY_LIMIT", "2")
    at = app_env.app()
    assert "2 of 2 images left today." in texts(at)
    generate(app_env, at, "First")
    generate(app_env, at, "Second")
    assert "0 of 2 images left today." in texts(at)
    generate(app_env, at, "Third")
    assert "used all 2 of today's images" in texts(at)
    assert app_env.emulator.calls(CREATE, "POST") == 2
    assert [r.prompt for r in app_env.store.list(app_env.key)] == ["Second", "First"]
    other = app_env.app(visitor=OTHER)
    assert "2 of 2 images left today." in texts(other), "each visitor has their own count"


def test_the_limit_for_all_visitors_together_is_a_ceiling(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KONTEXTLAB_VISITOR_DAILY_LIMIT", "5")
    monkeypatch.setenv("KONTEXTLAB_DAILY_LIMIT", "1")
    generate(app_env, app_env.app(), "The only one today")
    b = app_env.app(visitor=OTHER)
    assert "0 images left today on this app" in texts(b)
    generate(as_visitor(app_env, OTHER), b, "Too late")
    assert "used its images for today" in texts(b)
    assert app_env.emulator.calls(CREATE, "POST") == 1


def test_a_typed_token_has_no_daily_limit(app_env: AppEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KONTEXTLAB_VISITOR_DAILY_LIMIT", "1")
    monkeypatch.delenv("USEAPI_TOKEN")
    mine = AppEnv(app_env.emulator, app_env.base_url, app_env.db_url, DEMO_TOKEN, typed=True)
    at = app_env.app()
    at.sidebar.text_input(key="conn_token").set_value(DEMO_TOKEN).run()
    assert "images left today" not in texts(at)
    generate(mine, at, "One")
    generate(mine, at, "Two")
    assert app_env.emulator.calls(CREATE, "POST") == 2


def test_a_deployers_account_stays_private(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apptest_support import fast_config

    from kontextlab.emulator import Emulator

    several = Emulator(fast_config(accounts=["owner@example.com", "other@example.com"]))
    monkeypatch.setenv("USEAPI_BASE_URL", several.start())
    try:
        at = app_env.app()
        shown = texts(at) + str([getattr(w, "label", "") for w in at.sidebar]) + everything_seen(at)
        assert "example.com" not in shown and "credits" not in shown
        assert not [b for b in at.button if b.label == "Sync from account"]
        env = AppEnv(several, several.base_url, app_env.db_url, DEMO_TOKEN)
        generate(env, at, "A private account")
        assert env.latest("create").request["email"] == "other@example.com"  # sorted first
    finally:
        several.stop()
