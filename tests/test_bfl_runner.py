"""The job runner with the Black Forest Labs provider against `responses`: what lands in the
history row for a finished, refused, busy and unpaid task."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from PIL import Image

from kontextlab.history import HistoryStore
from kontextlab.jobs import JobRunner, RunnerSettings
from kontextlab.providers.bfl import BflProvider
from kontextlab.vocabulary import JobState

BASE = "https://api.bfl.ai"
KEY = "bfl-key-SECRET"
ACCOUNT = "visitor-a"
TASK = "task-1"
POLL = f"https://api.us1.bfl.ai/v1/get_result?id={TASK}"
SAMPLE = "https://delivery-us1.bfl.ai/results/sample.jpeg?sig=1"


def png(size: tuple[int, int] = (64, 36), colour: str = "teal", fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite3'}")


def run(store: HistoryStore, fields: dict[str, Any], kind: str = "create") -> Any:
    slept: list[float] = []
    settings = RunnerSettings(poll_interval=0.0, slow_poll_interval=0.0)
    runner = JobRunner(store, settings, sleep=slept.append)
    provider = BflProvider(BASE, KEY, sleep=slept.append)
    row_id = runner.submit(provider, provider.prepare(kind, fields), account_key=ACCOUNT)
    runner.wait(row_id, 30)
    assert not runner.is_running(row_id)
    return store.get(row_id, ACCOUNT)


def test_an_edit_runs_to_its_picture_and_the_row_keeps_what_was_sent(
    store: HistoryStore, mock: responses.RequestsMock
) -> None:
    source = png((80, 60), "navy")
    mock.post(f"{BASE}/v1/flux-kontext-max", json={"id": TASK, "polling_url": POLL, "cost": 8})
    mock.get(POLL, json={"id": TASK, "status": "Pending", "progress": 0.3})
    mock.get(POLL, json={"id": TASK, "status": "Ready", "result": {"sample": SAMPLE}})
    mock.get(SAMPLE, body=png((96, 72), "gold", "JPEG"), content_type="image/jpeg")
    fields = {"prompt": "Make it night", "picture": source, "model": "flux-kontext-max"}
    record = run(store, fields, kind="edit")
    assert record.status == JobState.COMPLETED and record.has_image
    assert (record.width, record.height) == (96, 72)
    assert (record.provider, record.model, record.job_id) == ("bfl", "flux-kontext-max", TASK)
    assert record.follow_url == POLL
    assert record.cost == 8, "the row keeps what the submit answer said the job cost"
    sent = json.loads(mock.calls[0].request.body or b"")
    assert sent == record.request  # the stored body is the sent body
    assert base64.b64decode(sent["input_image"]) == source
    assert isinstance(sent["seed"], int) and sent["seed"] == record.seed
    assert set(sent) == {"prompt", "input_image", "seed"}  # no tag: BFL echoes none
    assert [c.request.url for c in mock.calls[1:]] == [POLL, POLL, SAMPLE]


def test_a_moderated_request_ends_in_its_sentence(
    store: HistoryStore, mock: responses.RequestsMock
) -> None:
    mock.post(f"{BASE}/v1/flux-kontext-pro", json={"id": TASK, "polling_url": POLL})
    mock.get(POLL, json={"id": TASK, "status": "Request Moderated", "details": None})
    record = run(store, {"prompt": "something refused"})
    assert record.status == JobState.FAILED
    assert record.message.startswith("Black Forest Labs' safety filter refused the prompt")


def test_a_429_is_resubmitted_and_then_runs(
    store: HistoryStore, mock: responses.RequestsMock
) -> None:
    submit = f"{BASE}/v1/flux-kontext-pro"
    mock.post(submit, status=429, json={"detail": "Too many active tasks"})
    mock.post(submit, json={"id": TASK, "polling_url": POLL})
    mock.get(POLL, json={"id": TASK, "status": "Ready", "result": {"sample": SAMPLE}})
    mock.get(SAMPLE, body=png(), content_type="image/png")
    record = run(store, {"prompt": "a fox"})
    assert record.status == JobState.COMPLETED
    assert record.cost is None, "no cost in the answer: none is made up"
    assert [c.request.method for c in mock.calls].count("POST") == 2


def test_out_of_credits_says_so_with_the_balance(
    store: HistoryStore, mock: responses.RequestsMock
) -> None:
    mock.post(f"{BASE}/v1/flux-kontext-pro", status=402, json={"detail": "Insufficient credits"})
    mock.get(f"{BASE}/v1/credits", json={"credits": 2})
    record = run(store, {"prompt": "a fox"})
    assert record.status == JobState.FAILED
    assert record.message == (
        "Your Black Forest Labs account has run out of credits. Add credits at "
        "dashboard.bfl.ai, then try again. The balance is 2 credits."
    )


def test_a_lost_submit_answer_leaves_the_row_unknown_and_unsearched(
    store: HistoryStore, mock: responses.RequestsMock
) -> None:
    mock.post(f"{BASE}/v1/flux-kontext-pro", status=502, body="bad gateway")
    record = run(store, {"prompt": "a fox"})
    assert record.status == JobState.UNKNOWN
    assert [c.request.method for c in mock.calls] == ["POST"]  # no list to search, no resend


def test_a_webhook_secret_is_sent_but_never_kept_nor_shown(
    store: HistoryStore, mock: responses.RequestsMock
) -> None:
    mock.post(f"{BASE}/v1/flux-kontext-pro", json={"id": TASK, "polling_url": POLL})
    mock.get(POLL, json={"id": TASK, "status": "Ready", "result": {"sample": SAMPLE}})
    mock.get(SAMPLE, body=png(), content_type="image/png")
    hook = {"webhook_url": "https://example.com/hook", "webhook_secret": "whsec-SECRET-123"}
    record = run(store, {"prompt": "a fox", **hook})
    sent = json.loads(mock.calls[0].request.body or b"")
    assert sent["webhook_secret"] == "whsec-SECRET-123", "BFL gets the secret to sign with"
    assert "webhook_secret" not in record.request
    assert record.request == {k: v for k, v in sent.items() if k != "webhook_secret"}
    assert "whsec-SECRET-123" not in store.export_json(ACCOUNT)
    caps = BflProvider(BASE, KEY).capabilities
    assert caps.masked(sent)["webhook_secret"] == "<hidden>"
    assert caps.masked(sent)["webhook_url"] == "https://example.com/hook"


def test_switching_service_sweeps_the_other_services_jobs_at_once(
    store: HistoryStore, mock: responses.RequestsMock
) -> None:
    """A job an earlier server left running is followed as soon as the visitor's page runs
    with its service, even right after a sweep for the other service."""
    from kontextlab.providers.ltx import LtxProvider

    mock.get(POLL, json={"id": TASK, "status": "Ready", "result": {"sample": SAMPLE}})
    mock.get(SAMPLE, body=png(), content_type="image/png")
    rid = store.add_job(
        account_key=ACCOUNT, kind="create", request={"prompt": "a fox"}, summary={}, provider="bfl"
    )
    store.update_job(rid, status=JobState.ACTIVE, job_id=TASK, follow_url=POLL)
    runner = JobRunner(store, RunnerSettings(poll_interval=0.0, resume_every=60.0))
    assert runner.resume(LtxProvider("https://ltx.invalid", "token"), ACCOUNT) == 0
    assert runner.resume(BflProvider(BASE, KEY), ACCOUNT) == 1
    runner.wait(rid, 30)
    record = store.get(rid, ACCOUNT)
    assert record is not None and record.status == JobState.COMPLETED


def test_a_preview_shows_a_pictures_length_not_its_bytes() -> None:
    """ "Show request" is drawn on every rerun: a picture sent as base64 (megabytes) is not
    shipped to the browser each time; a prompt of the longest allowed length still shows."""
    caps = BflProvider(BASE, KEY).capabilities
    picture = base64.b64encode(png((400, 300))).decode() * 20
    prompt = "p" * caps.prompt_limit
    shown = caps.masked({"prompt": prompt, "input_image": picture, "seed": 7})
    assert shown["prompt"] == prompt and shown["seed"] == 7
    assert shown["input_image"] == f"<{len(picture):,} characters, not shown>"


def test_re_run_settings_drop_the_rows_tag_but_keep_a_typed_reference() -> None:
    from kontextlab.providers.ltx import LtxRules

    rules = LtxRules()
    assert rules.without_tag({"prompt": "p", "replyRef": "row-1"}, "row-1") == {"prompt": "p"}
    typed = {"prompt": "p", "replyRef": "mine"}
    assert rules.without_tag(typed, "row-1") == typed
    assert BflProvider(BASE, KEY).without_tag({"prompt": "row-1"}, "row-1") == {"prompt": "row-1"}
