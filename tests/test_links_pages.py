"""No page hands a visitor's browser a link to the server's own loopback address (AppTest).

The AppTest emulator listens on 127.0.0.1, as the demo does: its picture links
(`http://127.0.0.1:PORT/_files/…`) would not load in the browser of a hosted app's visitor.
"""

from __future__ import annotations

import pytest
from apptest_support import AppEnv, app_env, texts  # noqa: F401
from seam_support import prepared, seam
from streamlit.testing.v1 import AppTest

from kontextlab.jobs import JobRunner, RunnerSettings
from kontextlab.providers import ltx
from kontextlab.providers.ltx.requests import CreateRequest

HISTORY = "pages/history.py"
EMULATOR_FILES = b"/_files/"  # the path of every emulator picture link
PUBLIC = "https://storage.example.com/ltx/out.png?X-Goog-Signature=abc"


def sent_to_browser(at: AppTest) -> bytes:
    """Everything the page sends to the browser, as the bytes of its elements."""
    return b"".join(
        node.proto.SerializeToString()
        for node in at._tree
        if getattr(node, "proto", None) is not None
    )


def link_buttons(at: AppTest) -> dict[str, str]:
    return {b.proto.label: b.proto.url for b in at.get("link_button")}


def made(env: AppEnv, prompt: str, **changes: object) -> str:
    """A picture made through the emulator as the app makes it, then changed in the store."""
    runner = JobRunner(env.store, RunnerSettings(poll_interval=0.05))
    request = CreateRequest(prompt=prompt, poll_for_result=1)
    rid = runner.submit(
        seam(ltx.Client(env.base_url, env.token)), prepared(request), account_key=env.key
    )
    env.wait_idle()
    record = env.store.get(rid, env.key)
    assert record.status == "completed" and EMULATOR_FILES.decode() in (record.asset_url or "")
    if changes:
        env.store.update_job(rid, **changes)
    return rid


def opened(env: AppEnv, rid: str) -> AppTest:
    at = env.app(HISTORY)
    at.session_state["history_open"] = rid
    at.run()
    return at


def pages(env: AppEnv, rid: str) -> list[AppTest]:
    return [env.app(), env.app(HISTORY), opened(env, rid)]


def test_a_kept_picture_shows_from_the_copy_on_every_page(app_env: AppEnv) -> None:
    rid = made(app_env, "A kept fox")
    create, history, detail = pages(app_env, rid)
    for at in (create, history, detail):
        assert not at.exception
        assert EMULATOR_FILES not in sent_to_browser(at)
    assert create.image and detail.image, "the stored copy shows"
    assert history.dataframe[0].value["link"].isna().all()


def test_without_the_full_image_the_thumbnail_is_offered_not_the_link(app_env: AppEnv) -> None:
    rid = made(app_env, "A thumbnail only", image=None)
    for at in pages(app_env, rid):
        assert not at.exception
        assert EMULATOR_FILES not in sent_to_browser(at)
        assert "Open full image" not in link_buttons(at)
    detail = opened(app_env, rid)
    assert "Download thumbnail" in [b.proto.label for b in detail.get("download_button")]


def test_without_any_copy_a_sentence_says_so(app_env: AppEnv) -> None:
    rid = made(app_env, "Nothing kept", image=None, thumbnail=None, preview=None)
    create, _, detail = pages(app_env, rid)
    for at in (create, detail):
        assert not at.exception and not at.image
        assert EMULATOR_FILES not in sent_to_browser(at)
    assert "The app kept no copy of this picture" in texts(create)
    assert "No picture was kept for this job." in texts(detail)


def test_a_public_link_is_still_offered(app_env: AppEnv) -> None:
    rid = made(
        app_env, "On public storage", image=None, thumbnail=None, preview=None, asset_url=PUBLIC
    )
    create, history, detail = pages(app_env, rid)
    assert link_buttons(create) == {"Open full image": PUBLIC}
    assert link_buttons(detail) == {"Open full image": PUBLIC}
    assert history.dataframe[0].value["link"].tolist() == [PUBLIC]
    assert [i.proto.imgs[0].url for i in detail.image] == [PUBLIC]


@pytest.mark.parametrize("kept", [True, False])
def test_the_demo_never_links_its_own_address(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch, kept: bool
) -> None:
    """The real demo backend (no token): generate, then look at every page."""
    monkeypatch.delenv("USEAPI_TOKEN")
    monkeypatch.setenv("KONTEXTLAB_DEMO_JOB_SECONDS", "0.2")
    at = app_env.app()
    assert "Demo mode" in texts(at)
    at.text_area(key="create_prompt").set_value("A demo lighthouse")
    at.button(key="create_go").click()
    at.run()
    app_env.wait_idle()  # the demo token is the AppTest token: the same history
    record = app_env.latest("create")
    assert record.status == "completed" and EMULATOR_FILES.decode() in (record.asset_url or "")
    if not kept:
        app_env.store.update_job(record.id, image=None)
    for page in pages(app_env, record.id):
        assert not page.exception
        assert EMULATOR_FILES not in sent_to_browser(page)


def test_the_link_status_says_when_a_link_cannot_be_opened_by_visitors() -> None:
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from components.result_card import link_status

    now = datetime(2026, 1, 1, tzinfo=UTC)
    base = _record_for_link_status(now + timedelta(minutes=30))
    public = replace(base, asset_url="https://storage.example.com/a.png?sig=1")
    assert link_status(public, now) == "Link valid for 30 min"
    loopback = replace(base, asset_url="http://127.0.0.1:8799/_files/abc?sig=1")
    assert link_status(loopback, now) == "Shown from the app's own copy"
    assert link_status(replace(public, url_expires_at=now - timedelta(seconds=1)), now) == (
        "Link expired (the stored copy is shown)"
    )


def _record_for_link_status(expires):  # type: ignore[no-untyped-def]
    from kontextlab.history import HistoryStore

    store = HistoryStore("sqlite://")
    rid = store.add_job(
        account_key="k", kind="create", request={"prompt": "p"}, summary={"prompt": "p"}
    )
    store.update_job(rid, status="completed", asset_url="https://x/y", url_expires_at=expires)
    return store.get(rid, "k")
