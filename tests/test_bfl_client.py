"""The Black Forest Labs provider against `responses`: every task status, every error in BFL's
words, the lost answer, the polling URL that may (or may not) have the key, credits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import responses

from kontextlab import providers as api
from kontextlab.providers.bfl import BflProvider, trusted_follow
from kontextlab.vocabulary import JobState

BASE = "https://api.bfl.ai"
KEY = "bfl-key-SECRET-0b1c2d3e"
SUBMIT_URL = f"{BASE}/v1/flux-kontext-pro"
TASK = "7f4c0b1e-task"
POLL = f"https://api.eu2.bfl.ai/v1/get_result?id={TASK}"
FALLBACK = f"{BASE}/v1/get_result?id={TASK}"
SAMPLE = "https://delivery-eu2.bfl.ai/results/ab/sample.png?se=2026&sig=xyz"


class Sleeps(list[float]):
    """Records every delay the client asks for instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def bfl(sleeps: Sleeps) -> BflProvider:
    return BflProvider(BASE, KEY, sleep=sleeps)


def prepared(model: str = "flux-kontext-pro", **fields: Any) -> api.PreparedRequest:
    rules = BflProvider(BASE, KEY)
    return rules.finalize(rules.prepare("create", {"prompt": "a fox", **fields}), tag="t" * 32)


def task(status: str, **extra: Any) -> dict[str, Any]:
    return {"id": TASK, "status": status, "result": None, "progress": None, **extra}


# ---------------------------------------------------------------- submit


def test_submit_sends_the_body_as_is_with_the_key_and_follows_the_polling_url(
    bfl: BflProvider, mock: responses.RequestsMock
) -> None:
    mock.post(SUBMIT_URL, json={"id": TASK, "polling_url": POLL, "cost": 4.5})
    request = prepared()
    job = bfl.submit(request)
    assert (job.job_id, job.state, job.follow, job.cost) == (TASK, JobState.ACTIVE, POLL, 4.5)
    sent = mock.calls[0].request
    assert sent.headers["x-key"] == KEY and "Authorization" not in sent.headers
    assert json.loads(sent.body or b"") == request.as_dict()


def test_the_max_model_goes_to_its_own_endpoint(
    bfl: BflProvider, mock: responses.RequestsMock
) -> None:
    mock.post(f"{BASE}/v1/flux-kontext-max", json={"id": TASK, "polling_url": POLL})
    request = BflProvider(BASE, KEY).prepare("create", {"prompt": "p", "model": "flux-kontext-max"})
    assert bfl.submit(request).cost is None  # no cost in the answer: the price list says
    assert len(mock.calls) == 1


def test_a_webhook_answer_without_polling_url_is_followed_at_get_result(
    bfl: BflProvider, mock: responses.RequestsMock
) -> None:
    mock.post(SUBMIT_URL, json={"id": TASK, "status": "Pending", "webhook_url": "https://h.x"})
    job = bfl.submit(prepared())
    assert job.follow is None
    mock.get(FALLBACK, json=task("Pending", progress=0.5))
    assert bfl.status(TASK, job.follow).progress == 50.0
    assert mock.calls[1].request.headers["x-key"] == KEY


@pytest.mark.parametrize(
    "status, error, words",
    [
        (402, api.PaymentRequired, "Black Forest Labs account has run out of credits"),
        (401, api.Unauthorized, "The Black Forest Labs key was not accepted"),
        (403, api.Unauthorized, "The Black Forest Labs key was not accepted"),
        (429, api.Busy, "Black Forest Labs is already running as many of your tasks"),
    ],
)
def test_submit_errors_are_said_in_bfl_words(
    bfl: BflProvider,
    mock: responses.RequestsMock,
    status: int,
    error: type[api.ProviderError],
    words: str,
) -> None:
    mock.post(SUBMIT_URL, status=status, json={"detail": "Nope"})
    with pytest.raises(error) as caught:
        bfl.submit(prepared())
    assert words in caught.value.user_message
    assert "useapi" not in caught.value.user_message and "LTX" not in caught.value.user_message
    assert caught.value.message == "Nope" and len(mock.calls) == 1  # a POST is never retried


def test_a_429_is_the_only_busy_and_carries_its_wait(
    bfl: BflProvider, mock: responses.RequestsMock
) -> None:
    mock.post(SUBMIT_URL, status=429, headers={"Retry-After": "7200"}, json={"detail": "x"})
    with pytest.raises(api.Busy) as caught:
        bfl.submit(prepared())
    assert caught.value.retry_after == 7200 and caught.value.wait_too_long
    assert "2 hours" in caught.value.user_message


def test_a_422_names_the_field_in_the_forms_words(
    bfl: BflProvider, mock: responses.RequestsMock
) -> None:
    detail = [
        {
            "loc": ["body", "safety_tolerance"],
            "msg": "Input should be less than or equal to 2",
            "type": "less_than_equal",
        },
        {"loc": ["body", "input_image"], "msg": "Invalid image.", "type": "value_error"},
    ]
    mock.post(SUBMIT_URL, status=422, json={"detail": detail})
    with pytest.raises(api.BadRequest) as caught:
        bfl.submit(prepared())
    error = caught.value
    assert [e.field for e in error.field_errors] == ["safety", "picture"]
    assert error.user_message == (
        "Black Forest Labs did not accept the request: the safety tolerance: Input should be "
        "less than or equal to 2; the picture: Invalid image."
    )


def test_a_422_with_a_plain_detail_is_said_as_it_is(
    bfl: BflProvider, mock: responses.RequestsMock
) -> None:
    mock.post(SUBMIT_URL, status=422, json={"detail": "Prompt too long"})
    with pytest.raises(api.BadRequest) as caught:
        bfl.submit(prepared())
    assert caught.value.user_message.endswith("request: Prompt too long.")
    assert caught.value.field_errors == []


@pytest.mark.parametrize(
    "answer",
    [
        {"body": requests.ReadTimeout("read timed out")},
        {"body": requests.ConnectionError("Connection aborted: RemoteDisconnected")},
        {"status": 500, "json": {"detail": "Internal"}},
        {"status": 503, "body": "<html>busy</html>"},
        {"status": 200, "body": "<html>not json</html>"},
        {"status": 200, "json": {"polling_url": POLL}},
    ],
)
def test_a_lost_answer_to_the_submit_is_unknown_never_resent(
    bfl: BflProvider, mock: responses.RequestsMock, answer: dict[str, Any]
) -> None:
    mock.post(SUBMIT_URL, **answer)
    with pytest.raises(api.OutcomeUnknown):
        bfl.submit(prepared())
    assert len(mock.calls) == 1


def test_a_connection_never_made_is_a_plain_network_error(
    bfl: BflProvider, mock: responses.RequestsMock
) -> None:
    mock.post(SUBMIT_URL, body=requests.ConnectTimeout("connect timed out"))
    with pytest.raises(api.Timeout) as caught:
        bfl.submit(prepared())
    assert not caught.value.maybe_sent and not isinstance(caught.value, api.OutcomeUnknown)


def test_a_submit_404_says_the_base_url_is_wrong(
    bfl: BflProvider, mock: responses.RequestsMock
) -> None:
    mock.post(SUBMIT_URL, status=404, json={"detail": "Not Found"})
    with pytest.raises(api.WrongAddress) as caught:
        bfl.submit(prepared())
    assert "BFL_BASE_URL" in caught.value.user_message and "USEAPI" not in caught.value.user_message


def test_a_key_no_header_can_carry_is_refused_before_sending(
    mock: responses.RequestsMock,
) -> None:
    provider = BflProvider(BASE, "bfl\u2014key")
    with pytest.raises(api.BadToken) as caught:
        provider.submit(prepared())
    assert "Black Forest Labs key" in caught.value.user_message and "em dash" in (
        caught.value.user_message
    )
    assert "bfl" not in caught.value.user_message.split("key")[1]  # the key is never shown
    assert len(mock.calls) == 0
    spaced = BflProvider(BASE, f"  {KEY}\n")
    mock.get(f"{BASE}/v1/credits", json={"credits": 1})
    spaced.balance()
    assert mock.calls[0].request.headers["x-key"] == KEY
    assert KEY not in repr(spaced)


# ---------------------------------------------------------------- status


def test_pending_reports_progress_from_a_fraction_or_a_percentage(
    bfl: BflProvider, mock: responses.RequestsMock
) -> None:
    mock.get(POLL, json=task("Pending", progress=0.25))
    mock.get(POLL, json=task("Pending", progress=40))
    mock.get(POLL, json=task("Pending", progress=None))
    first, second, third = (bfl.status(TASK, POLL) for _ in range(3))
    assert (first.state, first.progress) == (JobState.ACTIVE, 25.0)
    assert second.progress == 40.0 and third.progress is None
    assert not first.is_finished and first.follow == POLL
    assert all(c.request.headers["x-key"] == KEY for c in mock.calls)


def test_ready_is_done_with_the_sample_valid_for_ten_minutes(
    bfl: BflProvider, mock: responses.RequestsMock
) -> None:
    mock.get(POLL, json=task("Ready", result={"sample": SAMPLE, "seed": 42}, progress=1.0))
    before = datetime.now(UTC)
    job = bfl.status(TASK, POLL)
    assert job.is_done and job.state is JobState.COMPLETED and job.progress == 100.0
    assert job.picture is not None and job.picture.url == SAMPLE
    assert job.picture.expires_at is not None
    lifetime = job.picture.expires_at - before
    assert timedelta(minutes=9, seconds=59) <= lifetime <= timedelta(minutes=10, seconds=5)


def test_ready_without_a_sample_is_completed_but_not_done(
    bfl: BflProvider, mock: responses.RequestsMock
) -> None:
    mock.get(POLL, json=task("Ready", result={}))
    job = bfl.status(TASK, POLL)
    assert job.state is JobState.COMPLETED and not job.is_done and not job.is_finished


@pytest.mark.parametrize(
    "status, details, sentence",
    [
        ("Error", None, "Black Forest Labs could not make this picture."),
        (
            "Request Moderated",
            None,
            "Black Forest Labs' safety filter refused the prompt or the picture sent with it, "
            "so no picture was made.",
        ),
        (
            "Content Moderated",
            {"Moderation Reasons": ["Derivative Works", "Public Figure"]},
            "Black Forest Labs' safety filter held back the finished picture, so it cannot be "
            "shown (reason: Derivative Works; Public Figure).",
        ),
        (
            "Request Moderated",
            "Input image flagged",
            "Black Forest Labs' safety filter refused the prompt or the picture sent with it, "
            "so no picture was made (reason: Input image flagged).",
        ),
    ],
)
def test_failures_end_in_one_plain_sentence(
    bfl: BflProvider, mock: responses.RequestsMock, status: str, details: Any, sentence: str
) -> None:
    mock.get(POLL, json=task(status, details=details))
    job = bfl.status(TASK, POLL)
    assert job.is_failed and job.is_finished and job.state is JobState.FAILED
    assert job.message == sentence


@pytest.mark.parametrize(
    "answer", [{"json": task("Task not found")}, {"status": 404, "json": {"detail": "x"}}]
)
def test_task_not_found_is_not_found(
    bfl: BflProvider, mock: responses.RequestsMock, answer: dict[str, Any]
) -> None:
    mock.get(POLL, **answer)
    with pytest.raises(api.NotFound) as caught:
        bfl.status(TASK, POLL)
    assert "Black Forest Labs no longer has this task" in caught.value.user_message


def test_an_unknown_status_is_followed_like_pending(
    bfl: BflProvider, mock: responses.RequestsMock
) -> None:
    mock.get(POLL, json=task("Queued"))
    job = bfl.status(TASK, POLL)
    assert job.state is JobState.ACTIVE and not job.is_finished


def test_status_reads_are_retried_on_passing_trouble(
    bfl: BflProvider, mock: responses.RequestsMock, sleeps: Sleeps
) -> None:
    mock.get(POLL, status=503, json={"detail": "busy"})
    mock.get(POLL, body=requests.ConnectionError("reset"))
    mock.get(POLL, json=task("Pending", progress=0.1))
    assert bfl.status(TASK, POLL).progress == 10.0
    assert len(mock.calls) == 3 and len(sleeps) == 2


def test_status_trouble_that_lasts_is_in_the_try_later_family(
    sleeps: Sleeps, mock: responses.RequestsMock
) -> None:
    provider = BflProvider(BASE, KEY, sleep=sleeps, max_retries=1)
    mock.get(POLL, status=502, body="bad gateway")
    with pytest.raises(api.TryLater) as caught:
        provider.status(TASK, POLL)
    assert isinstance(caught.value, api.ServerError) and "error 502" in caught.value.user_message


def test_status_403_is_the_key_not_an_expired_link(
    bfl: BflProvider, mock: responses.RequestsMock
) -> None:
    mock.get(POLL, status=403, json={"detail": "Invalid key"})
    with pytest.raises(api.Unauthorized) as caught:
        bfl.status(TASK, POLL)
    assert not isinstance(caught.value, api.LinkExpired)
    assert "Black Forest Labs key" in caught.value.user_message


# ---------------------------------------------------------------- the polling URL and the key


@pytest.mark.parametrize(
    "url",
    [
        POLL,
        "https://api.bfl.ai/v1/get_result?id=1",
        "https://bfl.ai/x",
        f"{BASE}/v1/get_result?id=1",
    ],
)
def test_bfl_hosts_over_https_may_have_the_key(url: str) -> None:
    assert trusted_follow(url, BASE)


def test_the_configured_base_host_may_have_the_key_even_over_http() -> None:
    local = "http://127.0.0.1:8765"
    assert trusted_follow(f"{local}/v1/get_result?id=1", local)
    assert not trusted_follow("http://127.0.0.1:9999/v1/get_result?id=1", local)


@pytest.mark.parametrize(
    "url",
    [
        "http://api.bfl.ai/v1/get_result?id=1",  # the key in clear text
        "https://bfl.ai.evil.example/v1/get_result",
        "https://evilbfl.ai/v1/get_result",
        "https://user@api.bfl.ai/v1/get_result",
        "https://attacker.example/collect",
        "https://api.bfl.ai:notaport/x",
        "javascript:alert(1)",
        " https://attacker.example/x",
        None,
        42,
    ],
)
def test_any_other_polling_url_never_gets_the_key(url: Any) -> None:
    assert not trusted_follow(url, BASE)


def test_a_foreign_polling_url_is_dropped_and_the_task_read_at_the_base(
    bfl: BflProvider, mock: responses.RequestsMock
) -> None:
    evil = "https://attacker.example/steal"
    mock.post(SUBMIT_URL, json={"id": TASK, "polling_url": evil})
    mock.get(FALLBACK, json=task("Pending"))
    job = bfl.submit(prepared())
    assert job.follow is None
    bfl.status(TASK, evil)  # a stored row's URL is checked again
    assert [c.request.url for c in mock.calls][1] == FALLBACK
    assert not any("attacker" in (c.request.url or "") for c in mock.calls)


# ---------------------------------------------------------------- money, pictures, the rest


def test_balance_reads_the_credits(bfl: BflProvider, mock: responses.RequestsMock) -> None:
    mock.get(f"{BASE}/v1/credits", json={"credits": 123.5})
    assert bfl.balance() == 123.5
    mock.get(f"{BASE}/v1/credits", json={"credits": "lots"})
    assert bfl.balance("anyone") is None


def test_download_fetches_the_sample_without_the_key(
    bfl: BflProvider, mock: responses.RequestsMock
) -> None:
    mock.get(SAMPLE, body=b"\x89PNG...", content_type="image/png")
    assert bfl.download(SAMPLE) == (b"\x89PNG...", "image/png")
    assert "x-key" not in mock.calls[0].request.headers


def test_an_expired_sample_link_is_link_expired(
    bfl: BflProvider, mock: responses.RequestsMock
) -> None:
    mock.get(SAMPLE, status=403, body="AuthenticationFailed")
    with pytest.raises(api.LinkExpired):
        bfl.download(SAMPLE)


def test_what_bfl_does_not_have_answers_plainly(bfl: BflProvider) -> None:
    assert bfl.accounts() == []
    assert bfl.find_lost({"prompt": "p"}, "tag", is_known=lambda _: False) is None
    page = bfl.list_pictures()
    assert list(page.items) == [] and page.total_pages == 0
    with pytest.raises(NotImplementedError):
        bfl.upload_reference(b"x", "image/png")
