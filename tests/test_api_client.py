"""The API client against `responses`: error families, retry policy, wire details, job model."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import responses
import urllib3

from kontextlab import APP_NAME, __version__, providers as api
from kontextlab.providers import ltx
from kontextlab.providers.ltx.requests import AnyRequest, CreateRequest, EditRequest, UpscaleRequest

BASE = "https://api.useapi.net/v1/ltxstudio"
TOKEN = "tok-SECRET-9f8e7d6c5b4a"
JOB_ID = "email:me@example.com:7a34b821-9fd0-205e-d21b-4abc6f7839e7-type:image"
JOB_PATH = "/assets/email%3Ame%40example.com%3A7a34b821-9fd0-205e-d21b-4abc6f7839e7-type%3Aimage"
JOB_URL = re.compile(re.escape(BASE) + r"/assets/email.+")
CREATE_URL = f"{BASE}/images/flux-create"
SIGNED_URL = "https://storage.example.com/artifacts/out.png?X-Goog-Signature=abc"
HTML_PAGE = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


def artifact(url: str | None = SIGNED_URL, expires: str = "1748919477350") -> dict[str, Any]:
    out: dict[str, Any] = {
        "expirationDateString": expires,
        "asset": {
            "type": "artifact",
            "fileId": "asset:3b18-type:image/png",
            "mimeType": "image/png",
            "artifactSubtype": "vertex-ai",
        },
    }
    if url:
        out["assetUrl"] = url
    return out


def job_json(kind: str = "completed", **status: Any) -> dict[str, Any]:
    return {"status": {"type": kind, **status}, "jobId": JOB_ID, "code": 200}


DONE = job_json(progress=100, artifact=artifact())


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


def send(client: ltx.Client, request: AnyRequest) -> ltx.Job:
    """Send a validated request model's body as it is (what the provider does)."""
    return client.submit(request.endpoint, request.payload())


def make_client(sleeps: Sleeps, **kw: Any) -> ltx.Client:
    return ltx.Client(BASE, TOKEN, sleep=sleeps, **kw)


@pytest.fixture
def client(sleeps: Sleeps) -> ltx.Client:
    return make_client(sleeps)


@pytest.fixture
def no_retry(sleeps: Sleeps) -> ltx.Client:
    return make_client(sleeps, max_retries=0)


def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    return {"body": json.dumps({"error": message, "code": status, **extra}), "status": status}


def assert_plain_sentence(error: api.ProviderError) -> None:
    text = error.user_message
    assert text and text[0].isupper() and text.endswith(".")
    assert "\n" not in text and "Traceback" not in text and "{" not in text
    assert TOKEN not in text


def assert_token_hidden(*things: Any) -> None:
    for thing in things:
        assert TOKEN not in str(thing) and TOKEN not in repr(thing)
        if isinstance(thing, api.ProviderError):
            assert TOKEN not in thing.user_message
            assert all(TOKEN not in str(arg) for arg in thing.args)


# ---------------------------------------------------------------- error families

FAMILIES = [
    (400, "Prompt is too long", api.BadRequest, "did not accept the request: Prompt is too long."),
    (401, "Unauthorized", api.Unauthorized, "token"),
    (402, "Insufficient credits", api.PaymentRequired, "credits"),
    (403, "Forbidden", api.Unauthorized, "token"),
    (404, "Job not found or has expired.", api.NotFound, "no longer has this job"),
    (429, "All accounts busy", api.Busy, "busy"),
    (500, "Internal error", api.ServerError, "error 500"),
    (502, "Bad gateway", api.ServerError, "error 502"),
    (503, "Unavailable", api.ServerError, "error 503"),
    (504, "Gateway timeout", api.ServerError, "error 504"),
]


@pytest.mark.parametrize(("status", "server_says", "family", "page_says"), FAMILIES)
def test_each_status_maps_to_its_family_with_a_plain_sentence(
    mock: responses.RequestsMock,
    no_retry: ltx.Client,
    status: int,
    server_says: str,
    family: type[api.ProviderError],
    page_says: str,
) -> None:
    mock.add(responses.GET, JOB_URL, **error_body(status, server_says))
    with pytest.raises(family) as caught:
        no_retry.job(JOB_ID)
    error = caught.value
    assert error.status == status
    assert error.message == server_says
    assert page_says in error.user_message
    assert_plain_sentence(error)
    assert_token_hidden(error, no_retry)


@pytest.mark.parametrize(("status", "server_says", "family", "page_says"), FAMILIES)
def test_a_failed_create_raises_the_same_family(
    mock: responses.RequestsMock,
    client: ltx.Client,
    status: int,
    server_says: str,
    family: type[api.ProviderError],
    page_says: str,
) -> None:
    mock.add(responses.POST, CREATE_URL, **error_body(status, server_says))
    # A 5xx may come after the job was made: its outcome is unknown, not a failure.
    expected = api.OutcomeUnknown if status >= 500 else family
    with pytest.raises(expected) as caught:
        send(client, CreateRequest(prompt="A fox"))
    error = caught.value
    assert error.status == status
    cause = error.__cause__ if status >= 500 else error
    assert isinstance(cause, family) and page_says in cause.user_message
    if status >= 500:
        assert "may have made it" in error.user_message and "charged" in error.user_message


def test_busy_carries_retry_after_and_the_executing_jobs(
    mock: responses.RequestsMock, client: ltx.Client
) -> None:
    running = ["email:me@example.com:1-type:image", "email:me@example.com:2-type:image"]
    mock.add(
        responses.POST,
        CREATE_URL,
        headers={"Retry-After": "17"},
        **error_body(429, "Too many jobs", executingJobs=running),
    )
    with pytest.raises(api.Busy) as caught:
        send(client, CreateRequest(prompt="A fox"))
    assert caught.value.retry_after == 17
    assert caught.value.body["executingJobs"] == running


@pytest.mark.parametrize(
    "retry_after",
    ["soon", "-5", "Wed, 21 Oct 2015 07:28:00 -0000", "Wed, 21 Oct 2015 07:28:00 GMT"],
)
def test_an_odd_retry_after_still_gives_busy(
    mock: responses.RequestsMock, client: ltx.Client, retry_after: str
) -> None:
    mock.add(
        responses.POST, CREATE_URL, headers={"Retry-After": retry_after}, **error_body(429, "busy")
    )
    with pytest.raises(api.Busy) as caught:
        send(client, CreateRequest(prompt="A fox"))
    assert caught.value.retry_after in (None, 0)


def test_retry_after_as_a_date_gives_the_seconds_until_then(
    mock: responses.RequestsMock, client: ltx.Client
) -> None:
    when = datetime.now(UTC) + timedelta(seconds=40)
    header = when.strftime("%a, %d %b %Y %H:%M:%S GMT")
    mock.add(responses.POST, CREATE_URL, headers={"Retry-After": header}, **error_body(429, "x"))
    with pytest.raises(api.Busy) as caught:
        send(client, CreateRequest(prompt="A fox"))
    assert 35 <= (caught.value.retry_after or 0) <= 41


def test_an_html_page_with_200_is_unreadable(
    mock: responses.RequestsMock, client: ltx.Client
) -> None:
    mock.add(responses.GET, JOB_URL, body=HTML_PAGE, content_type="text/html")
    with pytest.raises(api.UnreadableResponse) as caught:
        client.job(JOB_ID)
    assert_plain_sentence(caught.value)
    assert "<html>" not in caught.value.user_message


def test_an_html_gateway_page_is_a_server_error(
    mock: responses.RequestsMock, no_retry: ltx.Client
) -> None:
    mock.add(responses.GET, JOB_URL, body=HTML_PAGE, status=502, content_type="text/html")
    with pytest.raises(api.ServerError) as caught:
        no_retry.job(JOB_ID)
    assert caught.value.status == 502
    assert_plain_sentence(caught.value)
    assert "<html>" not in caught.value.user_message


@pytest.mark.parametrize(
    "body", ['{"jobId": "x", ', "", "null", '["jobId"]', '{"generationId": "g"}']
)
def test_an_unreadable_create_answer_is_an_unknown_outcome(
    mock: responses.RequestsMock, client: ltx.Client, body: str
) -> None:
    mock.add(responses.POST, CREATE_URL, body=body, content_type="application/json")
    with pytest.raises(api.OutcomeUnknown) as caught:
        send(client, CreateRequest(prompt="A fox"))
    assert isinstance(caught.value.__cause__, api.UnreadableResponse)
    assert_plain_sentence(caught.value)
    assert len(mock.calls) == 1


def test_malformed_json_status_is_unreadable(
    mock: responses.RequestsMock, client: ltx.Client
) -> None:
    mock.add(
        responses.GET, JOB_URL, body='{"status": {"type": "act', content_type="application/json"
    )
    with pytest.raises(api.UnreadableResponse):
        client.job(JOB_ID)


@pytest.mark.parametrize(
    ("failure", "family", "page_says"),
    [
        (requests.exceptions.ReadTimeout("Read timed out."), api.Timeout, "did not answer in time"),
        (requests.exceptions.ConnectTimeout("Connect timed out"), api.Timeout, "in time"),
        (
            requests.exceptions.ConnectionError("Name or service not known"),
            api.NetworkError,
            "reach",
        ),
    ],
)
def test_timeouts_and_connection_errors(
    mock: responses.RequestsMock,
    no_retry: ltx.Client,
    failure: Exception,
    family: type[api.ProviderError],
    page_says: str,
) -> None:
    mock.add(responses.GET, JOB_URL, body=failure)
    with pytest.raises(family) as caught:
        no_retry.job(JOB_ID)
    assert page_says in caught.value.user_message
    assert_plain_sentence(caught.value)
    assert_token_hidden(caught.value)


def test_the_token_appears_nowhere_in_the_client() -> None:
    client = ltx.Client(BASE, TOKEN)
    assert_token_hidden(client, vars(client).get("base_url"))
    assert BASE in repr(client)


# ---------------------------------------------------------------- retries


def test_get_is_retried_on_5xx_with_growing_backoff(
    mock: responses.RequestsMock, sleeps: Sleeps
) -> None:
    client = make_client(sleeps, backoff=1.0, max_retries=5)
    for status in (500, 502, 503, 504):
        mock.add(responses.GET, JOB_URL, **error_body(status, "upstream"))
    mock.add(responses.GET, JOB_URL, json=DONE)
    assert client.job(JOB_ID).is_done
    assert len(mock.calls) == 5
    assert len(sleeps) == 4
    for attempt, delay in enumerate(sleeps):  # jittered: half to all of 1, 2, 4, 8 s
        assert 2**attempt * 0.5 <= delay <= 2**attempt


def test_get_honours_retry_after(
    mock: responses.RequestsMock, client: ltx.Client, sleeps: Sleeps
) -> None:
    mock.add(responses.GET, JOB_URL, headers={"Retry-After": "7"}, **error_body(429, "busy"))
    mock.add(responses.GET, JOB_URL, json=DONE)
    assert client.job(JOB_ID).is_done
    assert sleeps == [7]


@pytest.mark.parametrize(
    "failure",
    [requests.exceptions.ConnectionError("reset"), requests.exceptions.ReadTimeout("slow")],
)
def test_get_is_retried_after_a_dropped_connection(
    mock: responses.RequestsMock, client: ltx.Client, sleeps: Sleeps, failure: Exception
) -> None:
    mock.add(responses.GET, JOB_URL, body=failure)
    mock.add(responses.GET, JOB_URL, json=DONE)
    assert client.job(JOB_ID).is_done
    assert len(mock.calls) == 2
    assert len(sleeps) == 1


def test_get_stops_after_max_retries(mock: responses.RequestsMock, sleeps: Sleeps) -> None:
    client = make_client(sleeps, max_retries=3)
    mock.add(responses.GET, JOB_URL, **error_body(503, "down"))
    with pytest.raises(api.ServerError):
        client.job(JOB_ID)
    assert len(mock.calls) == 4
    assert len(sleeps) == 3


def test_get_gives_up_when_retry_after_exceeds_the_budget(
    mock: responses.RequestsMock, sleeps: Sleeps
) -> None:
    client = make_client(sleeps, retry_budget=10)
    mock.add(responses.GET, JOB_URL, headers={"Retry-After": "30"}, **error_body(429, "busy"))
    with pytest.raises(api.Busy):
        client.job(JOB_ID)
    assert len(mock.calls) == 1
    assert sleeps == []


def test_get_stops_when_the_waits_add_up_to_the_budget(
    mock: responses.RequestsMock, sleeps: Sleeps
) -> None:
    client = make_client(sleeps, retry_budget=10, max_retries=10)
    mock.add(responses.GET, JOB_URL, headers={"Retry-After": "4"}, **error_body(503, "down"))
    with pytest.raises(api.ServerError):
        client.job(JOB_ID)
    assert sleeps == [4, 4]
    assert len(mock.calls) == 3


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404])
def test_get_is_not_retried_on_client_errors(
    mock: responses.RequestsMock, client: ltx.Client, sleeps: Sleeps, status: int
) -> None:
    mock.add(responses.GET, JOB_URL, **error_body(status, "no"))
    with pytest.raises(api.ProviderError):
        client.job(JOB_ID)
    assert len(mock.calls) == 1
    assert sleeps == []


POST_FAILURES = [
    error_body(503, "Service unavailable"),
    error_body(502, "Bad gateway"),
    error_body(500, "Internal"),
    error_body(429, "busy"),
    {"body": requests.exceptions.ConnectionError("Connection reset by peer")},
    {"body": requests.exceptions.ReadTimeout("Read timed out.")},
]


@pytest.mark.parametrize("failure", POST_FAILURES)
def test_a_create_post_is_never_retried(
    mock: responses.RequestsMock,
    client: ltx.Client,
    sleeps: Sleeps,
    failure: dict[str, Any],
) -> None:
    mock.add(responses.POST, CREATE_URL, **failure)
    mock.add(responses.POST, CREATE_URL, json=DONE)
    with pytest.raises(api.ProviderError):
        send(client, CreateRequest(prompt="A fox", poll_for_result=5))
    assert len(mock.calls) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    ("request_", "path"),
    [
        (EditRequest(prompt="Night", reference_asset_id="asset:1"), "images/flux-edit"),
        (UpscaleRequest(job_id=JOB_ID), "images/upscale"),
    ],
)
def test_edit_and_upscale_posts_are_never_retried(
    mock: responses.RequestsMock, client: ltx.Client, request_: Any, path: str
) -> None:
    mock.add(responses.POST, f"{BASE}/{path}", body=requests.exceptions.ConnectionError("reset"))
    with pytest.raises(api.OutcomeUnknown) as caught:
        send(client, request_)
    assert isinstance(caught.value.__cause__, api.NetworkError)
    assert len(mock.calls) == 1


@pytest.mark.parametrize(
    ("failure", "family"),
    [
        (requests.exceptions.ReadTimeout("Read timed out."), api.Timeout),
        (requests.exceptions.ConnectionError("Connection reset by peer"), api.NetworkError),
    ],
)
def test_a_post_lost_after_sending_is_an_unknown_outcome(
    mock: responses.RequestsMock, client: ltx.Client, failure: Exception, family: type
) -> None:
    mock.add(responses.POST, CREATE_URL, body=failure)
    with pytest.raises(api.OutcomeUnknown) as caught:
        send(client, CreateRequest(prompt="A fox"))
    assert isinstance(caught.value.__cause__, family)
    assert_plain_sentence(caught.value)
    assert_token_hidden(caught.value, client)


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.ConnectTimeout("Connect timed out"),
        requests.exceptions.ConnectionError(
            urllib3.exceptions.MaxRetryError(
                None,  # type: ignore[arg-type]
                "/",
                urllib3.exceptions.NewConnectionError(None, "Connection refused"),  # type: ignore[arg-type]
            )
        ),
    ],
    ids=["connect timeout", "connection refused"],
)
def test_a_post_that_never_reached_the_server_is_a_plain_failure(
    mock: responses.RequestsMock, client: ltx.Client, failure: Exception
) -> None:
    mock.add(responses.POST, CREATE_URL, body=failure)
    with pytest.raises((api.Timeout, api.NetworkError)) as caught:
        send(client, CreateRequest(prompt="A fox"))
    assert not caught.value.maybe_sent  # type: ignore[union-attr]
    assert not isinstance(caught.value, api.OutcomeUnknown)


def test_an_invalid_request_sends_nothing(mock: responses.RequestsMock, client: ltx.Client) -> None:
    with pytest.raises(ValueError, match="prompt"):
        send(client, CreateRequest(prompt=""))
    assert len(mock.calls) == 0


# ---------------------------------------------------------------- what goes on the wire


def test_every_call_carries_the_token_and_a_user_agent(
    mock: responses.RequestsMock, client: ltx.Client
) -> None:
    mock.add(responses.GET, JOB_URL, json=DONE)
    client.job(JOB_ID)
    headers = mock.calls[0].request.headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert APP_NAME in headers["User-Agent"] and __version__ in headers["User-Agent"]


def test_the_job_id_is_url_encoded_in_the_path(
    mock: responses.RequestsMock, client: ltx.Client
) -> None:
    mock.add(responses.GET, JOB_URL, json=DONE)
    client.job(JOB_ID)
    assert mock.calls[0].request.url == BASE + JOB_PATH


def test_create_sends_the_payload_as_json(mock: responses.RequestsMock, client: ltx.Client) -> None:
    mock.add(responses.POST, CREATE_URL, json={"jobId": JOB_ID, "generationId": "gen_1"})
    request = CreateRequest(prompt="A fox", style="anime", seed=42, aspect_ratio="1:1")
    job = send(client, request)
    sent = mock.calls[0].request
    assert sent.headers["Content-Type"] == "application/json"
    assert json.loads(sent.body) == {
        "prompt": "A fox",
        "aspectRatio": "1:1",
        "style": "anime",
        "seed": 42,
    }
    assert (job.job_id, job.generation_id, job.status) == (JOB_ID, "gen_1", ltx.JobStatus.ACTIVE)
    assert not job.is_done


def test_a_long_server_side_wait_gets_a_long_enough_read_timeout(
    mock: responses.RequestsMock, client: ltx.Client
) -> None:
    mock.add(responses.POST, CREATE_URL, json=DONE)
    send(client, CreateRequest(prompt="A fox", poll_for_result=20))
    connect, read = mock.calls[0].request.req_kwargs["timeout"]
    assert connect > 0 and read > 60  # 20 polls x 3 s on the server, plus the way back


def test_upload_sends_raw_bytes_with_their_type(
    mock: responses.RequestsMock, client: ltx.Client
) -> None:
    mock.add(
        responses.POST,
        f"{BASE}/assets/",
        json={"assetUrl": SIGNED_URL, "expirationDateString": "1748919477350", **artifact()},
    )
    asset = client.upload_reference(b"\x89PNG fake", "image/png", email="me@example.com")
    sent = mock.calls[0].request
    assert sent.body == b"\x89PNG fake"
    assert sent.headers["Content-Type"] == "image/png"
    assert sent.params == {"type": "reference-image", "email": "me@example.com"}
    assert asset.file_id == "asset:3b18-type:image/png"


def test_download_of_a_signed_url_sends_no_token(
    mock: responses.RequestsMock, client: ltx.Client
) -> None:
    mock.add(responses.GET, SIGNED_URL, body=b"\x89PNG", content_type="image/png")
    data, mime = client.download(SIGNED_URL)
    assert (data, mime) == (b"\x89PNG", "image/png")
    assert "Authorization" not in mock.calls[0].request.headers
    assert TOKEN not in str(mock.calls[0].request.headers)


def test_a_403_from_a_signed_link_is_an_expired_link(
    mock: responses.RequestsMock, client: ltx.Client
) -> None:
    mock.add(responses.GET, SIGNED_URL, body="<Error>AccessDenied</Error>", status=403)
    with pytest.raises(api.LinkExpired) as caught:
        client.download(SIGNED_URL)
    assert "expired" in caught.value.user_message
    assert_plain_sentence(caught.value)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_403_from_the_api_is_not_authorised_never_an_expired_link(
    mock: responses.RequestsMock, no_retry: ltx.Client, method: str
) -> None:
    url = JOB_URL if method == "GET" else CREATE_URL
    mock.add(method, url, **error_body(403, "Forbidden"))
    with pytest.raises(api.Unauthorized) as caught:
        if method == "GET":
            no_retry.job(JOB_ID)
        else:
            send(no_retry, CreateRequest(prompt="A fox"))
    assert not isinstance(caught.value, api.LinkExpired)
    assert "token" in caught.value.user_message


def test_the_transient_family_is_one_class() -> None:
    for family in (api.Timeout, api.NetworkError, api.Busy, api.ServerError):
        assert issubclass(family, api.TryLater)
    assert issubclass(api.UnreadableResponse, api.TryLater)
    for final in (api.OutcomeUnknown, api.BadRequest, api.Unauthorized, api.NotFound):
        assert not issubclass(final, api.TryLater)


def test_accounts_answer_404_means_none(mock: responses.RequestsMock, client: ltx.Client) -> None:
    mock.add(responses.GET, f"{BASE}/accounts", **error_body(404, "No accounts"))
    assert client.accounts() == {}


def test_balance_of_one_account(mock: responses.RequestsMock, client: ltx.Client) -> None:
    mock.add(
        responses.GET,
        f"{BASE}/accounts/me%40example.com",
        json={"email": "me@example.com", "balance": {"LTXStudio_token": 812}},
    )
    assert client.balance("me@example.com") == 812


# ---------------------------------------------------------------- the job model


def test_job_status_is_a_closed_set() -> None:
    assert {s.value for s in ltx.JobStatus} == {"active", "completed", "failed"}


def test_a_completed_job_with_its_url_is_done() -> None:
    job = ltx.Job.from_json(DONE)
    assert job.status is ltx.JobStatus.COMPLETED
    assert job.is_done and job.is_finished
    assert job.artifact and job.artifact.asset_url == SIGNED_URL
    assert job.artifact.mime_type == "image/png"


def test_completed_without_a_url_is_not_done_yet() -> None:
    job = ltx.Job.from_json(job_json(progress=100, artifact=artifact(url=None)))
    assert job.status is ltx.JobStatus.COMPLETED
    assert not job.is_done and not job.is_finished
    assert not ltx.Job.from_json(job_json()).is_done


def test_an_active_job_has_progress_and_is_not_done() -> None:
    job = ltx.Job.from_json(job_json("active", progress=40, artifact=artifact()))
    assert (job.status, job.progress, job.is_done) == (ltx.JobStatus.ACTIVE, 40, False)


def test_a_failed_job_carries_its_message() -> None:
    job = ltx.Job.from_json(job_json("failed", message="Content policy"))
    assert job.is_failed and job.is_finished and not job.is_done
    assert job.message == "Content policy"


def test_expiry_is_an_aware_utc_datetime_from_milliseconds() -> None:
    expires = ltx.Job.from_json(DONE).expires_at
    assert expires == datetime(2025, 6, 3, 2, 57, 57, 350000, tzinfo=UTC)
    assert expires is not None and expires.utcoffset() == timedelta(0)


@pytest.mark.parametrize("odd", ["soon", "", None, "1e400", "99999999999999999999999"])
def test_an_unreadable_expiry_is_unknown(odd: Any) -> None:
    job = ltx.Job.from_json(job_json(artifact=artifact(expires=odd)))
    assert job.expires_at is None
    assert job.is_done


def test_an_unknown_status_type_is_not_done() -> None:
    assert not ltx.Job.from_json({"status": {"type": "queued"}, "jobId": JOB_ID}).is_done
    assert not ltx.Job.from_json({"jobId": JOB_ID}).is_done
