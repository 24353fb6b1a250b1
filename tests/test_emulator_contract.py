"""The API client against the emulator over real loopback HTTP: endpoints, errors, faults.

Waits follow the emulator's clock (`emulator.advance`); a wall-time wait has a deadline far
beyond what the emulator's config needs, and says what it was waiting for when it runs out.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
import requests
from PIL import Image
from seam_support import send

from kontextlab import providers as api
from kontextlab.emulator import DEMO_EMAIL, DEMO_TOKEN, Emulator, renderer
from kontextlab.providers import ltx
from kontextlab.providers.ltx.requests import CreateRequest, EditRequest, UpscaleRequest

DEADLINE = 60.0  # wall seconds: far beyond any job of the test emulators; only a bug waits this
# The "Model" section of the vendor's pages (test_emulator_vendor_pages.py checks it against
# them): the only fields a job object (status, pollForResult answer, webhook) may carry.
JOB_MODEL: dict[str, Any] = {
    "status": {
        "type": None,
        "progress": None,
        "message": None,
        "artifact": {
            "assetUrl": None,
            "expirationDateString": None,
            "asset": {"type": None, "fileId": None, "mimeType": None, "artifactSubtype": None},
        },
    },
    "jobId": None,
    "generationId": None,
    "replyRef": None,
    "replyUrl": None,
    "code": None,
}
JOB_CREATED = {"jobId", "generationId"}


def undocumented(answer: Any, model: Any, where: str = "answer") -> list[str]:
    """Paths of the fields in `answer` that `model` does not document. A model is a dict of
    field → model (None for a leaf), or a one-item list: the model of every item."""
    if isinstance(model, list):
        if not isinstance(answer, list):
            return [f"{where} is not a list"]
        return [p for item in answer for p in undocumented(item, model[0], f"{where}[]")]
    if not isinstance(answer, dict):
        return [f"{where} is not an object"]
    found = []
    for key, value in answer.items():
        if key not in model:
            found.append(f"{where}.{key}")
        elif model[key] is not None:
            found += undocumented(value, model[key], f"{where}.{key}")
    return found


def assert_job_object(answer: Any) -> None:
    assert undocumented(answer, JOB_MODEL) == [], answer


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(emulator: Emulator, sleeps: list[float]) -> ltx.Client:
    return ltx.Client(emulator.base_url, DEMO_TOKEN, backoff=0.01, sleep=sleeps.append)


def png_bytes(size: tuple[int, int] = (320, 180), color: tuple[int, int, int] = (200, 40, 40)):
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def wait_until(condition: Callable[[], Any], what: str, deadline: float = DEADLINE) -> Any:
    """Poll `condition` until it is truthy; fail naming `what` after `deadline` wall seconds."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if result := condition():
            return result
        time.sleep(0.02)
    raise AssertionError(f"Gave up after {deadline:.0f} s waiting for {what}.")


def wait_done(emulator: Emulator, client: ltx.Client, job_id: str) -> ltx.Job:
    """Age the job past its time on the emulator's clock, then read its end."""
    emulator.advance(emulator.config.job_seconds + emulator.config.artifact_lag)

    def finished() -> ltx.Job | None:
        job = client.job(job_id)
        return job if job.is_finished else None

    return wait_until(finished, f"job {job_id} to finish")


def create(client: ltx.Client, **kw: object) -> ltx.Job:
    fields = {"prompt": "A lake at dawn", "poll_for_result": 20, **kw}
    return send(client, CreateRequest(**fields))


def image_of(client: ltx.Client, job: ltx.Job) -> Image.Image:
    data, _ = client.download(job.artifact.asset_url)
    return Image.open(io.BytesIO(data))


# ---------------------------------------------------------------- happy paths


def test_edit_of_an_unknown_reference_is_accepted_and_the_job_fails(
    emulator: Emulator, client: ltx.Client
) -> None:
    headers = {"Authorization": f"Bearer {DEMO_TOKEN}"}
    url = emulator.base_url + "/images/flux-edit"
    body = {"prompt": "Add golden sunset lighting", "referenceAssetId": "asset:nope-type:image/png"}
    answer = requests.post(url, json=body, headers=headers, timeout=DEADLINE)
    assert answer.status_code == 200 and set(answer.json()) == JOB_CREATED
    job = wait_done(emulator, client, answer.json()["jobId"])
    assert job.is_failed and "Reference asset not found" in job.message
    assert_job_object(job.raw)


def test_a_render_slower_than_the_poll_window_still_answers_the_finished_job(
    emulator: Emulator, client: ltx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy machine draws slowly; the job's time is the emulator's clock, not the drawing."""
    drawing = renderer.render_create

    def slow(*args: Any, **kwargs: Any) -> renderer.Rendered:
        time.sleep(1.0)  # twice the whole poll window below
        return drawing(*args, **kwargs)

    monkeypatch.setattr(renderer, "render_create", slow)
    polls = 10
    assert polls * emulator.config.poll_tick < 1.0 < DEADLINE
    job = send(client, CreateRequest(prompt="A slow lake", poll_for_result=polls))
    assert job.is_done


def test_create_with_poll_returns_a_downloadable_png_of_the_right_size(client: ltx.Client) -> None:
    job = create(client, aspect_ratio="9:16", seed=7)
    assert job.is_done
    assert_job_object(job.raw)
    data, content_type = client.download(job.artifact.asset_url)
    assert content_type == "image/png" and data[:8] == b"\x89PNG\r\n\x1a\n"
    assert Image.open(io.BytesIO(data)).size == (768, 1344)


@pytest.mark.parametrize("emulator", [{"job_seconds": 30}], indirect=True)
def test_without_poll_the_job_is_active_then_completes(
    emulator: Emulator, client: ltx.Client
) -> None:
    job = send(client, CreateRequest(prompt="A lake", aspect_ratio="1:1"))
    assert job.status is ltx.JobStatus.ACTIVE and set(job.raw) == JOB_CREATED
    assert client.job(job.job_id).status is ltx.JobStatus.ACTIVE
    done = wait_done(emulator, client, job.job_id)
    assert done.is_done and image_of(client, done).size == (1024, 1024)


def test_multipart_numeric_strings_mean_what_json_numbers_mean(
    emulator: Emulator, client: ltx.Client
) -> None:
    request = CreateRequest(prompt="City at night", seed=42, poll_for_result=20)
    form = {k: (None, str(v)) for k, v in request.payload().items()}
    as_form = ltx.Job.from_json(
        requests.post(
            emulator.base_url + "/images/flux-create",
            files=form,
            headers={"Authorization": f"Bearer {DEMO_TOKEN}"},
            timeout=90,
        ).json()
    )
    as_json = send(client, request)
    assert as_form.is_done and as_json.is_done
    assert client.download(as_form.artifact.asset_url) == client.download(
        as_json.artifact.asset_url
    )
    raw = requests.post(
        emulator.base_url + "/images/flux-create",
        files={"prompt": (None, "x"), "seed": (None, "12"), "aspectRatio": (None, "1:1")},
        headers={"Authorization": f"Bearer {DEMO_TOKEN}"},
        timeout=DEADLINE,
    )
    assert raw.status_code == 200 and set(raw.json()) == JOB_CREATED


def test_premium_model_answers_jpeg_and_the_mime_type_says_so(client: ltx.Client) -> None:
    job = create(client, model="flux-premium")
    assert job.artifact.mime_type == "image/jpeg"
    data, content_type = client.download(job.artifact.asset_url)
    assert content_type == "image/jpeg" and data[:3] == b"\xff\xd8\xff"


def test_same_seed_same_image_other_seed_other_image(client: ltx.Client) -> None:
    first = client.download(create(client, seed=99, style="pop").artifact.asset_url)[0]
    again = client.download(create(client, seed=99, style="pop").artifact.asset_url)[0]
    other = client.download(create(client, seed=100, style="pop").artifact.asset_url)[0]
    assert first == again and first != other


def test_no_answer_carries_a_seed(emulator: Emulator, client: ltx.Client, receiver) -> None:
    url, received, arrived = receiver
    seeded = send(client, CreateRequest(prompt="x", seed=5, reply_url=url))
    unseeded = send(client, CreateRequest(prompt="y", poll_for_result=20))
    status = client.job(seeded.job_id)
    assert arrived.wait(DEADLINE), "the webhook never came"
    answers = [seeded.raw, unseeded.raw, status.raw, received[0]]
    assert [a for a in answers if "seed" in a] == []
    assert set(seeded.raw) == JOB_CREATED and unseeded.is_done
    for answer in answers[1:]:
        assert_job_object(answer)


def test_upload_then_edit_chain_and_upscale(emulator: Emulator, client: ltx.Client) -> None:
    asset = client.upload_reference(png_bytes(), "image/png")
    assert asset.file_id and asset.type == "reference-image"
    edit = send(
        client,
        EditRequest(
            prompt="close",
            reference_asset_id=asset.file_id,
            shot_type="close-up",
            poll_for_result=20,
        ),
    )
    assert edit.is_done
    red = image_of(client, edit).convert("RGB").resize((8, 8)).getpixel((4, 4))
    assert red[0] > 120 and red[1] < 110  # derived from the red reference
    again = send(
        client,
        EditRequest(
            prompt="low",
            reference_asset_id=edit.artifact.file_id,
            shot_angle="low-angle",
            poll_for_result=20,
        ),
    )
    assert again.is_done
    up = send(client, UpscaleRequest(job_id=again.job_id, poll_for_result=20))
    assert up.is_done and image_of(client, up).size == (2688, 1536)


def test_upload_rejects_non_images(client: ltx.Client) -> None:
    with pytest.raises(api.BadRequest, match="not a PNG, JPEG or WebP"):
        client.upload_reference(b"%PDF-1.4 nope", "application/pdf")


def test_asset_list_has_fresh_urls_and_a_real_smaller_thumbnail(client: ltx.Client) -> None:
    job = create(client)
    page = client.list_assets()
    assert page.total_items == 1 and page.items[0].job_id == job.job_id
    thumb, content_type = client.download(page.items[0].thumbnail.asset_url)
    assert content_type == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb)).size) <= 384


@pytest.mark.parametrize("emulator", [{"job_seconds": 30}], indirect=True)
def scheduler_available(emulator: Emulator) -> dict:
    """`GET scheduler/available` (the app itself only reads it to tell a wrong address)."""
    answer = requests.get(
        emulator.base_url + "/scheduler/available",
        headers={"Authorization": f"Bearer {DEMO_TOKEN}"},
        timeout=10,
    )
    return answer.json()


def cancel(emulator: Emulator, job_id: str) -> requests.Response:
    """`DELETE scheduler/{jobId}` (the app's "Stop" on a running job)."""
    return requests.delete(
        emulator.base_url + "/scheduler/" + requests.utils.quote(job_id, safe=""),
        headers={"Authorization": f"Bearer {DEMO_TOKEN}"},
        timeout=10,
    )


def test_accounts_balance_scheduler_and_cancel(emulator: Emulator, client: ltx.Client) -> None:
    assert DEMO_EMAIL in client.accounts()
    before = client.balance(DEMO_EMAIL)
    job = send(client, CreateRequest(prompt="x", model="nano-banana"))
    assert client.balance(DEMO_EMAIL) == before - 49
    running = scheduler_available(emulator)
    assert [e["jobId"] for e in running["executing"]] == [job.job_id]
    assert running["available"][0]["available"] == 4
    assert cancel(emulator, job.job_id).status_code == 204
    again = cancel(emulator, job.job_id)
    assert again.status_code == 404 and "Unable to locate running jobId" in again.json()["error"]
    assert wait_done(emulator, client, job.job_id).is_done  # it still runs upstream


@pytest.mark.parametrize("emulator", [{"accounts": ["a@x.io", "b@x.io"]}], indirect=True)
def test_several_accounts_need_an_email(client: ltx.Client) -> None:
    assert set(client.accounts()) == {"a@x.io", "b@x.io"}
    with pytest.raises(api.BadRequest, match="email is required"):
        send(client, CreateRequest(prompt="x"))
    job = send(client, CreateRequest(prompt="x", email="b@x.io"))
    assert job.job_id.startswith("email:b@x.io:")


@pytest.mark.parametrize("emulator", [{"accounts": []}], indirect=True)
def test_no_accounts_lists_as_empty(client: ltx.Client) -> None:
    assert client.accounts() == {}


# ---------------------------------------------------------------- errors


def test_validation_errors_are_400_with_the_reason(emulator: Emulator, client: ltx.Client):
    with pytest.raises(api.BadRequest, match="prompt is 2001 characters long; the limit is 2000"):
        client.submit("images/flux-create", {"prompt": "x" * 2001})
    with pytest.raises(api.BadRequest, match="style must be one of base, cinematic"):
        client.submit("images/flux-create", {"prompt": "x", "style": "oil"})
    with pytest.raises(api.BadRequest, match="Parameter referenceAssetId is required"):
        client.submit("images/flux-edit", {"prompt": "x"})
    with pytest.raises(api.BadRequest, match="Invalid jobId"):
        client.job("nonsense")
    bad_json = requests.post(
        emulator.base_url + "/images/flux-create",
        data=b"{nope",
        headers={"Authorization": f"Bearer {DEMO_TOKEN}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert bad_json.status_code == 400 and bad_json.json()["code"] == 400


def test_wrong_token_is_401_and_tokens_are_isolated(emulator: Emulator) -> None:
    with pytest.raises(api.Unauthorized):
        ltx.Client(emulator.base_url, "wrong").accounts()


@pytest.mark.parametrize("emulator", [{"tokens": ("tok-a", "tok-b")}], indirect=True)
def test_each_token_sees_only_its_own_jobs(emulator: Emulator) -> None:
    a = ltx.Client(emulator.base_url, "tok-a")
    b = ltx.Client(emulator.base_url, "tok-b", sleep=lambda s: None)
    job = send(a, CreateRequest(prompt="mine", poll_for_result=20))
    with pytest.raises(api.NotFound):
        b.job(job.job_id)
    assert b.list_assets().total_items == 0 and a.list_assets().total_items == 1


def test_short_credits_is_402_and_no_job(emulator: Emulator, client: ltx.Client) -> None:
    emulator.set_credits(DEMO_EMAIL, 27)
    with pytest.raises(api.PaymentRequired):
        send(client, CreateRequest(prompt="x"))
    assert scheduler_available(emulator)["executing"] == []
    assert client.balance(DEMO_EMAIL) == 27


@pytest.mark.parametrize("emulator", [{"max_jobs": 1, "job_seconds": 300}], indirect=True)
def test_busy_is_429_with_retry_after_and_the_post_is_not_retried(
    emulator: Emulator, client: ltx.Client
) -> None:
    first = send(client, CreateRequest(prompt="one"))
    with pytest.raises(api.Busy) as caught:
        send(client, CreateRequest(prompt="two"))
    assert caught.value.body["executingJobs"] == [first.job_id]
    assert 1 <= caught.value.retry_after <= 30
    assert emulator.calls("images/flux-create") == 2
    assert send(client, CreateRequest(prompt="three", max_jobs=2)).job_id  # per-request limit


def test_unknown_job_and_expired_records_are_404(emulator: Emulator, client: ltx.Client):
    with pytest.raises(api.NotFound):
        client.job(f"email:{DEMO_EMAIL}:00000000-0000-0000-0000-000000000000-type:image")
    job = create(client)
    emulator.advance(emulator.config.record_lifetime + 1)
    with pytest.raises(api.NotFound):
        client.job(job.job_id)


def test_signed_urls_expire_and_a_status_call_signs_a_fresh_one(
    emulator: Emulator, client: ltx.Client, sleeps: list[float]
) -> None:
    job = create(client)
    emulator.advance(emulator.config.url_lifetime + 1)
    with pytest.raises(api.LinkExpired):
        client.download(job.artifact.asset_url)
    fresh = client.job(job.job_id)
    assert fresh.artifact.asset_url != job.artifact.asset_url
    assert client.download(fresh.artifact.asset_url)[1] == "image/png"
    tampered = fresh.artifact.asset_url.replace("sig=", "sig=0")
    with pytest.raises(api.LinkExpired):
        client.download(tampered)


def test_failed_job_carries_the_message(emulator: Emulator, client: ltx.Client) -> None:
    emulator.fail_next_job("Content policy: try another prompt")
    job = create(client)
    assert job.is_failed and job.message == "Content policy: try another prompt"
    assert create(client).is_done


@pytest.mark.parametrize("emulator", [{"job_seconds": 30, "artifact_lag": 30}], indirect=True)
def test_completed_without_artifact_is_not_done_yet(emulator: Emulator, client: ltx.Client):
    job = send(client, CreateRequest(prompt="lag"))
    emulator.advance(30)
    lagging = client.job(job.job_id)
    assert lagging.status is ltx.JobStatus.COMPLETED and not lagging.is_done
    emulator.advance(30)
    assert client.job(job.job_id).is_done


# ---------------------------------------------------------------- scripted faults


@pytest.mark.parametrize(
    ("kind", "cause"),
    [
        ("status", api.ServerError),
        ("html", api.ServerError),
        ("malformed", api.UnreadableResponse),
        ("drop", api.NetworkError),
        ("lost", api.NetworkError),
        ("busy", None),
    ],
)
def test_post_faults_raise_typed_errors_and_are_never_retried(
    emulator: Emulator, client: ltx.Client, kind: str, cause: type | None
) -> None:
    # Only a 429 proves no job was made; every other lost answer has an unknown outcome.
    emulator.faults.add("images/flux-create", kind=kind, count=3)
    with pytest.raises(api.OutcomeUnknown if cause else api.Busy) as caught:
        send(client, CreateRequest(prompt="x"))
    assert cause is None or isinstance(caught.value.__cause__, cause)
    assert emulator.calls("images/flux-create") == 1


@pytest.mark.parametrize("kind", ["status", "html", "drop", "busy"])
def test_get_faults_are_retried_until_the_answer_comes(
    emulator: Emulator, client: ltx.Client, sleeps: list[float], kind: str
) -> None:
    job = create(client)
    emulator.faults.add("GET assets/{jobId}", kind=kind, count=2, retry_after=2)
    assert client.job(job.job_id).is_done
    assert emulator.calls("assets/{jobId}") == 3 and len(sleeps) == 2
    if kind == "busy":
        assert sleeps == [2.0, 2.0]


def test_html_error_status_is_kept(emulator: Emulator, client: ltx.Client) -> None:
    emulator.faults.add("images/flux-edit", kind="html")
    with pytest.raises(api.OutcomeUnknown) as caught:
        send(client, EditRequest(prompt="x", reference_asset_id="asset:1-type:image/png"))
    assert caught.value.status == 502 and isinstance(caught.value.__cause__, api.ServerError)


def test_slow_answer_times_out_on_a_short_read_timeout(emulator: Emulator) -> None:
    impatient = ltx.Client(emulator.base_url, DEMO_TOKEN, timeout=(5, 0.3), max_retries=0)
    emulator.faults.add("accounts", kind="slow", delay=3.0)
    with pytest.raises(api.Timeout):
        impatient.accounts()
    patient = ltx.Client(emulator.base_url, DEMO_TOKEN, timeout=(5, DEADLINE), max_retries=0)
    emulator.faults.add("accounts", kind="slow", delay=0.3)
    assert DEMO_EMAIL in patient.accounts()


def test_download_faults_are_retried(emulator: Emulator, client: ltx.Client) -> None:
    job = create(client)
    emulator.faults.add("_files/{id}", kind="status", status=503)
    assert client.download(job.artifact.asset_url)[1] == "image/png"


@pytest.mark.parametrize("emulator", [{"test_mode": True}], indirect=True)
def test_control_endpoint_scripts_faults_over_http(emulator: Emulator, client: ltx.Client):
    origin = emulator.base_url.split("/v1/")[0]
    fault = {"route": "accounts", "kind": "status", "status": 500, "count": 9}
    assert requests.post(origin + "/_control/faults", json=fault, timeout=5).ok
    with pytest.raises(api.ServerError):
        ltx.Client(emulator.base_url, DEMO_TOKEN, max_retries=0).accounts()
    assert requests.post(origin + "/_control/faults/clear", timeout=5).ok
    assert DEMO_EMAIL in client.accounts()


def test_control_endpoint_is_off_without_test_mode(emulator: Emulator) -> None:
    origin = emulator.base_url.split("/v1/")[0]
    answer = requests.post(origin + "/_control/faults", json={"route": "*"}, timeout=5)
    assert answer.status_code == 404 and emulator.faults.pending() == []


# ---------------------------------------------------------------- webhooks


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict], threading.Event]]:
    received: list[dict] = []
    arrived = threading.Event()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            arrived.set()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received, arrived
    server.shutdown()
    server.server_close()


def test_webhook_is_posted_to_a_loopback_receiver(
    emulator: Emulator, client: ltx.Client, receiver
) -> None:
    url, received, arrived = receiver
    job = send(client, CreateRequest(prompt="hook", reply_url=url, reply_ref="ref-1"))
    emulator.advance(emulator.config.job_seconds)
    assert arrived.wait(DEADLINE), "the webhook never came"
    body = received[0]
    assert body["jobId"] == job.job_id and body["replyRef"] == "ref-1"
    assert body["status"]["type"] == "completed" and body["status"]["artifact"]["assetUrl"]
    assert_job_object(body)


def test_webhook_to_other_hosts_is_skipped(emulator: Emulator, client: ltx.Client) -> None:
    job = send(client, CreateRequest(prompt="x", reply_url="https://example.com/hook"))
    wait_done(emulator, client, job.job_id)
    attempts = wait_until(lambda: emulator.webhooks, "the webhook attempt")
    assert attempts[0][1].startswith("skipped")
