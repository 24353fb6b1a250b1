"""Tokens as visitors paste them, and the API address, seen from the sidebar (AppTest)."""

from __future__ import annotations

import pytest
from apptest_support import SECOND_TOKEN, AppEnv, app_env, texts  # noqa: F401
from streamlit.testing.v1 import AppTest

from kontextlab.accounts import account_key

PAGES = ("pages/create.py", "pages/edit.py", "pages/history.py")
CURLY = SECOND_TOKEN[:4] + "“" + SECOND_TOKEN[4:]
CURLY_SENTENCE = (
    "The token contains “ (a curly quote) at position 5; copy it again from useapi.net, "
    "or type plain quotes."
)


def typed(env: AppEnv, monkeypatch: pytest.MonkeyPatch, token: str) -> AppTest:
    """The app without a configured token, with `token` pasted into the sidebar."""
    monkeypatch.delenv("USEAPI_TOKEN")
    at = env.app()
    at.text_input(key="conn_token").set_value(token).run()
    return at


def generate(at: AppTest, prompt: str) -> None:
    at.text_area(key="create_prompt").set_value(prompt)
    at.button(key="create_go").click()
    at.run()


def sidebar_errors(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.sidebar.error]


def test_a_token_pasted_with_invisible_characters_generates_a_picture(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = typed(app_env, monkeypatch, "\u200b " + SECOND_TOKEN + "\u00a0\ufeff")
    assert not at.exception and not sidebar_errors(at)
    assert "Demo mode" not in texts(at)
    generate(at, "A lantern in the fog")
    second = AppEnv(app_env.emulator, app_env.base_url, app_env.db_url, SECOND_TOKEN, typed=True)
    second.wait_idle()
    at.run()
    record = second.latest("create")
    assert record is not None and record.status == "completed", record and record.message
    assert record.account_key == account_key(SECOND_TOKEN)
    assert at.image and not at.exception


def test_a_token_with_a_curly_quote_is_explained_and_never_sent(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = typed(app_env, monkeypatch, CURLY)
    for page in PAGES:
        at.switch_page(page)
        at.run()
        assert not at.exception, page
        assert CURLY_SENTENCE in sidebar_errors(at), page
        assert CURLY not in texts(at) and SECOND_TOKEN not in texts(at)
        assert "Demo mode" in texts(at), "the demo stands in; no request carries the token"
    assert not app_env.emulator.requests, "nothing reached the API with that token"


def test_a_configured_token_with_invisible_characters_works(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USEAPI_TOKEN", "\ufeff" + app_env.token + "\u200b\r\n")
    at = app_env.app()
    assert not at.exception and not sidebar_errors(at)
    assert "API token: configured in secrets." in texts(at)
    generate(at, "A paper boat")
    app_env.wait_idle()
    assert app_env.latest("create").status == "completed"


def test_a_configured_token_with_a_curly_quote_is_named_and_a_visitor_may_type_one(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USEAPI_TOKEN", app_env.token[:2] + "’" + app_env.token[2:])
    at = app_env.app()
    assert not at.exception
    [error] = sidebar_errors(at)
    assert error.startswith("The token in the app's settings (USEAPI_TOKEN) contains ’")
    assert app_env.token not in texts(at)
    assert at.text_input(key="conn_token"), "the visitor can still paste a token"
    assert not app_env.emulator.requests


def test_a_plain_http_address_warns_that_the_token_travels_unencrypted(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("USEAPI_TOKEN")  # demo: nothing is sent to that address
    monkeypatch.setenv("USEAPI_BASE_URL", "http://user:pw@api.example.com/v1/ltxstudio")
    at = app_env.app()
    warnings = [str(w.value) for w in at.sidebar.warning]
    assert any("http://api.example.com/v1/ltxstudio" in w for w in warnings), warnings
    assert any("unencrypted" in w for w in warnings)
    assert "user:pw" not in texts(at) + "".join(warnings)


def test_a_loopback_http_address_gives_no_warning(app_env: AppEnv) -> None:
    at = app_env.app()
    assert app_env.base_url.startswith("http://127.0.0.1")
    assert not at.sidebar.warning and not at.exception


def test_a_wrong_api_path_is_named_as_such(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = app_env.base_url.replace("/v1/ltxstudio", "/v1/wrong")
    monkeypatch.setenv("USEAPI_BASE_URL", wrong)
    at = app_env.app()
    assert not at.exception
    assert (
        f"The API address {wrong} answered “not found” for every request; "
        "check USEAPI_BASE_URL." in sidebar_errors(at)
    )
