"""A create whose answer is lost: the card says the picture may exist and may be paid for,
"Check my account" looks for it, and nothing is sent again without a confirmation."""

from __future__ import annotations

import time

import pytest
import requests
from apptest_support import AppEnv, app_env, texts  # noqa: F401

from kontextlab.jobs import LOST_ANSWER_MESSAGE, UNKNOWN_HEADLINE

CREATE = "images/flux-create"


def posts(env: AppEnv) -> int:
    return env.emulator.calls(CREATE, "POST")


def wait_for(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def searched(env: AppEnv) -> bool:
    """The lost job's search has ended (its row says what it found)."""
    record = env.latest("create")
    return record is not None and record.message not in (None, LOST_ANSWER_MESSAGE)


@pytest.fixture
def lost(app_env: AppEnv):
    """A Create click whose answer is lost (a 503 after the request was sent)."""
    app_env.emulator.faults.add(CREATE, kind="status", status=503, count=1)
    at = app_env.app()
    at.text_area(key="create_prompt").set_value("A stormy sea")
    at.button(key="create_go").click()
    at.run()
    wait_for(lambda: searched(app_env) and app_env.latest("create").status == "unknown", "search")
    at.run()
    return at


def label(at, text: str):
    return next(b for b in at.button if b.label == text)


def test_the_card_says_the_picture_may_exist_and_offers_to_look(app_env: AppEnv, lost) -> None:
    record = app_env.latest("create")
    assert record.status == "unknown"
    page = texts(lost)
    assert UNKNOWN_HEADLINE in page and "A stormy sea" in page
    assert label(lost, "Check my account") and label(lost, "Send again…")
    assert not [b for b in lost.button if b.label == "Try again"], "no one-click paid duplicate"
    assert posts(app_env) == 1 and not lost.exception


def test_send_again_asks_first_and_cancel_sends_nothing(app_env: AppEnv, lost) -> None:
    label(lost, "Send again…").click()
    lost.run()
    assert "charges for it again" in texts(lost)
    label(lost, "Cancel").click()
    lost.run()
    assert posts(app_env) == 1 and label(lost, "Send again…")


def test_send_again_after_confirming_sends_once_with_the_same_seed(app_env: AppEnv, lost) -> None:
    first = app_env.latest("create")
    label(lost, "Send again…").click()
    lost.run()
    label(lost, "Yes, send it again").click()
    lost.run()
    app_env.wait_idle()
    lost.run()
    again = app_env.latest("create")
    assert posts(app_env) == 2 and again.id != first.id
    assert again.status == "completed" and again.seed == first.seed


def test_check_my_account_finds_a_job_that_was_made(app_env: AppEnv, lost) -> None:
    """The server did make it after all (say, it was only slow): the check follows it."""
    record = app_env.latest("create")
    # Make the job upstream with the row's own replyRef, as the lost request would have.
    requests.post(
        f"{app_env.base_url}/{CREATE}",
        json={"prompt": "A stormy sea", "seed": record.seed, "replyRef": record.id},
        headers={"Authorization": f"Bearer {app_env.token}"},
        timeout=10,
    ).raise_for_status()
    label(lost, "Check my account").click()
    lost.run()
    wait_for(lambda: app_env.store.get(record.id, app_env.key).status == "completed", "the job")
    lost.run()
    found = app_env.store.get(record.id, app_env.key)
    assert found.has_image and found.job_id
    assert UNKNOWN_HEADLINE not in texts(lost) and len(lost.image) >= 1


def test_an_orphaned_active_job_is_followed_by_the_next_page_run(app_env: AppEnv) -> None:
    """A row left active by a worker that lost its database (or its process) is picked up by
    the next run of any page of that account, not only by a new browser session."""
    at = app_env.app()
    answer = requests.post(
        f"{app_env.base_url}/{CREATE}",
        json={"prompt": "An orphan", "seed": 3},
        headers={"Authorization": f"Bearer {app_env.token}"},
        timeout=10,
    ).json()
    rid = app_env.store.add_job(
        account_key=app_env.key,
        kind="create",
        request={"prompt": "An orphan", "seed": 3},
        summary={"prompt": "An orphan", "seed": 3},
    )
    app_env.store.update_job(rid, status="active", job_id=answer["jobId"])
    time.sleep(2.1)  # past the runner's sweep interval since this session's first run
    at.run()
    wait_for(lambda: app_env.store.get(rid, app_env.key).status == "completed", "the orphan")
    assert app_env.store.get(rid, app_env.key).has_image
    assert posts(app_env) == 1
