"""The Create page, driven by AppTest against the in-process emulator over real HTTP."""

from __future__ import annotations

import io

import pytest
from apptest_support import SECOND_TOKEN, AppEnv, app_env, texts  # noqa: F401
from PIL import Image

from kontextlab.emulator import DEMO_EMAIL, DEMO_TOKEN

SIZES = {"16:9": (1344, 768), "9:16": (768, 1344), "1:1": (1024, 1024)}


def generate(at, prompt: str, **state: object) -> None:
    at.text_area(key="create_prompt").set_value(prompt)
    for key, value in state.items():
        at.session_state[key] = value
    at.button(key="create_go").click()
    at.run()


def finish(env: AppEnv, at) -> None:
    env.wait_idle()
    at.run()


@pytest.mark.parametrize("ratio", ["16:9", "9:16", "1:1"])
def test_generate_each_aspect_ratio_shows_the_image(app_env: AppEnv, ratio: str) -> None:
    at = app_env.app()
    # The wait is a developer option: with them on, its default (1) is sent.
    generate(
        at, "A serene mountain landscape at sunset", create_aspect_ratio=ratio, dev_options=True
    )
    finish(app_env, at)
    record = app_env.latest("create")
    assert record.status == "completed", record.message
    assert record.request["aspectRatio"] == ratio
    assert record.request["pollForResult"] == 1 and "model" not in record.request
    image = Image.open(io.BytesIO(app_env.store.image(record.id, app_env.key)))
    assert image.size == SIZES[ratio]
    assert len(at.image) >= 1
    assert f"seed {record.seed}" in texts(at)
    assert not at.exception


def test_style_and_fixed_seed_are_sent_and_shown(app_env: AppEnv) -> None:
    at = app_env.app()
    generate(
        at, "A lighthouse", create_style="film_noir", create_seed_mode="Fixed", create_seed=4242
    )
    finish(app_env, at)
    record = app_env.latest("create")
    assert record.request["style"] == "film_noir"
    assert record.request["seed"] == 4242 and record.seed == 4242
    assert "film noir" in texts(at) and "seed 4242" in texts(at)
    posted = [r for r in app_env.emulator.requests if r[0] == "POST"]
    assert len(posted) == 1, "one click sends exactly one job"


def test_empty_prompt_is_explained_under_the_field_and_nothing_is_sent(app_env: AppEnv) -> None:
    at = app_env.app()
    generate(at, "   ")
    assert "Please enter the prompt." in [e.value for e in at.error]
    assert app_env.store.count(app_env.key) == 0
    assert not [r for r in app_env.emulator.requests if r[0] == "POST"]


def test_bad_webhook_url_is_explained(app_env: AppEnv) -> None:
    at = app_env.app()
    generate(at, "A cat", create_reply_url="ftp://example.com/hook", dev_options=True)
    messages = [e.value for e in at.error]
    assert any("http:// or https://" in m for m in messages), messages
    assert app_env.store.count(app_env.key) == 0


def test_reference_from_an_earlier_result(app_env: AppEnv) -> None:
    at = app_env.app()
    generate(at, "A red apple on a table")
    finish(app_env, at)
    first = app_env.latest("create")
    generate(
        at,
        "The same apple, in a painting",
        create_ref_mode="One of my results",
        create_ref_row=first.id,
        create_strength=80,
    )
    finish(app_env, at)
    second = app_env.latest("create")
    assert second.id != first.id and second.status == "completed", second.message
    assert second.request["referenceAssetId"] == first.file_id
    assert second.request["reference_strength"] == 80


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda emu: emu.set_credits(DEMO_EMAIL, 0), "out of credits"),
        (
            lambda emu: emu.fail_next_job("The prompt was flagged by the safety filter."),
            "safety filter",
        ),
        (
            lambda emu: emu.faults.add("GET assets/{jobId}", kind="status", status=404, count=99),
            "no longer has this job",
        ),
    ],
    ids=["402", "job-failed", "expired-404"],
)
def test_failures_end_as_a_failed_row_and_a_plain_sentence(
    app_env: AppEnv, setup, expected: str
) -> None:
    setup(app_env.emulator)
    at = app_env.app()
    generate(at, "A stormy sea")
    finish(app_env, at)
    record = app_env.latest("create")
    assert record.status == "failed"
    assert expected in record.message
    assert expected in texts(at)
    assert not at.exception


def test_wrong_token_says_so(app_env: AppEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USEAPI_TOKEN", "not-a-real-token")
    at = app_env.app()
    generate(at, "A tree")
    env_key = AppEnv(app_env.emulator, app_env.base_url, app_env.db_url, "not-a-real-token")
    env_key.wait_idle()
    at.run()
    assert "token was not accepted" in texts(at)
    assert not at.exception


def test_busy_submit_is_retried_only_after_a_429(app_env: AppEnv) -> None:
    app_env.emulator.faults.add("images/flux-create", kind="busy", count=1, retry_after=0)
    at = app_env.app()
    generate(at, "A busy street")
    finish(app_env, at)
    assert app_env.latest("create").status == "completed"
    posted = [r for r in app_env.emulator.requests if r[0] == "POST"]
    assert len(posted) == 2


def test_job_survives_a_new_script_run_while_the_post_is_in_flight(app_env: AppEnv) -> None:
    app_env.emulator.faults.add("images/flux-create", kind="slow", delay=1.5, count=1)
    at = app_env.app()
    generate(at, "A slow boat")
    assert app_env.latest("create").status in ("queued", "active")
    at.switch_page("pages/history.py")
    at.run()  # the user went elsewhere mid-request
    finish(app_env, at)
    assert app_env.latest("create").status == "completed"
    at.switch_page("pages/create.py")
    at.run()
    assert "A slow boat" in texts(at)
    assert at.text_area(key="create_prompt").value == "A slow boat", "the form survives"


def test_two_tokens_in_two_sessions_see_only_their_own_jobs(app_env: AppEnv, monkeypatch) -> None:
    first = app_env.app()
    generate(first, "Only for the first account")
    finish(app_env, first)
    monkeypatch.delenv("USEAPI_TOKEN")
    second = app_env.app()
    second.text_input(key="conn_token").set_value(SECOND_TOKEN).run()
    generate(second, "Only for the second account")
    AppEnv(app_env.emulator, app_env.base_url, app_env.db_url, SECOND_TOKEN, typed=True).wait_idle()
    second.run()
    first.run()
    assert "Only for the second account" in texts(second)
    assert "Only for the first account" not in texts(second)
    assert "Only for the first account" in texts(first)
    assert "Only for the second account" not in texts(first)


def test_generate_twice_while_the_first_runs(app_env: AppEnv) -> None:
    app_env.emulator.faults.add("images/flux-create", kind="slow", delay=0.5, count=1)
    at = app_env.app()
    generate(at, "First picture")
    generate(at, "Second picture")
    finish(app_env, at)
    rows = app_env.store.list(app_env.key)
    assert sorted(r.prompt for r in rows) == ["First picture", "Second picture"]
    assert all(r.status == "completed" for r in rows)


def test_token_never_reaches_the_store(app_env: AppEnv) -> None:
    from apptest_support import checkpoint_sqlite, occurrences, sqlite_database, sqlite_files

    prompt = "A secret garden"  # written to the store: the reader must find it
    at = app_env.app()
    generate(at, prompt)
    finish(app_env, at)
    record = app_env.latest("create")
    assert record.status == "completed" and record.has_image, record.message
    database = sqlite_database(app_env.db_url).name

    # Before a checkpoint the newest pages live only in the write-ahead log: read it too.
    live = sqlite_files(app_env.db_url)
    assert occurrences(live, DEMO_TOKEN) == [], "the token is in the store's files"
    assert occurrences(live, prompt), f"the reader found not even the prompt in {sorted(live)}"

    app_env.store.close()
    checkpoint_sqlite(app_env.db_url)
    settled = sqlite_files(app_env.db_url)
    assert occurrences(settled, DEMO_TOKEN) == [], "the token is in the checkpointed files"
    assert (database, "utf-8") in occurrences(settled, prompt), "the checkpoint moved nothing"


def test_several_accounts_show_a_picker_with_balances_and_send_the_email(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apptest_support import fast_config

    from kontextlab.emulator import Emulator

    several = Emulator(fast_config(accounts=["ana@example.com", "ben@example.com"]))
    monkeypatch.setenv("USEAPI_BASE_URL", several.start())
    # A team shares the deployer's token on purpose and may see its accounts.
    monkeypatch.setenv("KONTEXTLAB_SHARED_HISTORY", "true")
    team = AppEnv(app_env.emulator, app_env.base_url, app_env.db_url, DEMO_TOKEN, typed=True)
    try:
        at = app_env.app()
        picker = at.sidebar.selectbox(key="conn_email")
        assert picker.options == [
            "ana@example.com (100,000 credits)",
            "ben@example.com (100,000 credits)",
        ]
        picker.set_value("ben@example.com").run()
        generate(at, "A shared studio")
        team.wait_idle()
        assert team.latest("create").request["email"] == "ben@example.com"
    finally:
        several.stop()


@pytest.mark.parametrize("page", [None, "pages/edit.py", "pages/history.py"])
def test_an_unreachable_database_is_one_plain_sentence(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch, page: str | None
) -> None:
    monkeypatch.setenv("KONTEXTLAB_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:9/none")
    monkeypatch.setenv("KONTEXTLAB_ACCOUNT_SECRET", "a-long-random-deployment-secret")
    at = app_env.app(page)
    assert any("cannot reach its history database" in e.value for e in at.error)
    assert not at.exception


def test_a_shared_database_without_its_own_secret_is_refused_in_a_sentence(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KONTEXTLAB_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:9/none")
    monkeypatch.delenv("KONTEXTLAB_ACCOUNT_SECRET", raising=False)
    at = app_env.app()
    assert any("KONTEXTLAB_ACCOUNT_SECRET" in e.value for e in at.error)
    assert not at.exception and not at.button
