"""The runner keeps jobs in flight within caps: per visitor (scope) and per server process."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from seam_support import prepared, seam

from kontextlab.history import HistoryStore
from kontextlab.jobs import (
    BUSY_PROCESS_MESSAGE,
    UPSCALE_OF_UPSCALE,
    JobRunner,
    RunnerSettings,
    TooManyJobs,
)
from kontextlab.providers import InvalidRequest, ltx
from kontextlab.providers.ltx.requests import CreateRequest, UpscaleRequest

KEY = "visitor-a"
WAIT = 30.0


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 36), "teal").save(out, format="PNG")
    return out.getvalue()


def done_json(n: int, job_id: str | None = None) -> dict[str, Any]:
    artifact = {
        "assetUrl": f"http://files.invalid/{n}.png",
        "expirationDateString": "4102444800000",
        "asset": {
            "type": "artifact",
            "fileId": f"asset:{n}-type:image/png",
            "mimeType": "image/png",
        },
    }
    status = {"type": "completed", "progress": 100, "artifact": artifact}
    return {"jobId": job_id or f"email:a@b.c:sent-{n}-type:image", "status": status}


class GatedClient:
    """Every submit and status call waits at a gate, so jobs stay in flight until released."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.sent: list[Any] = []
        self.polled: list[str] = []
        self._lock = threading.Lock()

    def submit(self, endpoint: str, request: Any) -> ltx.Job:
        with self._lock:
            self.sent.append(request)
            n = len(self.sent)
        self.gate.wait(WAIT)
        return ltx.Job.from_json(done_json(n))

    def job(self, job_id: str) -> ltx.Job:
        with self._lock:
            self.polled.append(job_id)
            n = len(self.polled)
        self.gate.wait(WAIT)
        return ltx.Job.from_json(done_json(n, job_id))

    def download(self, url: str) -> tuple[bytes, str]:
        return png(), "image/png"


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite3'}")


def make_runner(store: HistoryStore, **settings: Any) -> JobRunner:
    values = {"poll_interval": 0.0, "slow_poll_interval": 0.0, **settings}
    return JobRunner(store, RunnerSettings(**values), sleep=lambda _: None)


def send(runner: JobRunner, client: GatedClient, key: str = KEY) -> str:
    return runner.submit(
        seam(client), prepared(CreateRequest(prompt="a lighthouse")), account_key=key
    )


def finish_all(runner: JobRunner, client: GatedClient) -> None:
    client.gate.set()
    for row_id in list(runner._threads):
        runner.wait(row_id, WAIT)
    assert runner.running_count() == 0


def test_a_visitor_beyond_the_cap_is_refused_before_anything_is_recorded_or_sent(
    store: HistoryStore,
) -> None:
    runner, client = make_runner(store), GatedClient()
    for _ in range(4):
        send(runner, client)
    with pytest.raises(TooManyJobs) as refused:
        send(runner, client)
    assert str(refused.value) == (
        "You already have 4 pictures on the way; wait for one to finish, then try again."
    )
    assert store.count(KEY) == 4 and len(client.sent) <= 4
    send(runner, client, key="visitor-b")  # another visitor is not held up
    finish_all(runner, client)
    assert len(client.sent) == 5
    send(runner, client)  # room again once they finished
    finish_all(runner, client)
    assert store.count(KEY, statuses=["completed"]) == 5


def test_the_process_cap_counts_every_visitor(store: HistoryStore) -> None:
    runner, client = make_runner(store, max_in_flight=3), GatedClient()
    for key in ("a", "b", "c"):
        send(runner, client, key=key)
    with pytest.raises(TooManyJobs, match="try again in a minute") as refused:
        send(runner, client, key="d")
    assert str(refused.value) == BUSY_PROCESS_MESSAGE
    assert store.count("d") == 0
    finish_all(runner, client)
    send(runner, client, key="d")
    finish_all(runner, client)


def test_active_rows_without_a_worker_count_for_their_visitor(store: HistoryStore) -> None:
    """Rows left in flight by an earlier server are on the way too until they end."""
    runner, client = make_runner(store, max_in_flight_per_scope=2), GatedClient()
    for n in range(2):
        row = store.add_job(
            account_key=KEY,
            kind="create",
            request={"prompt": "left over"},
            summary={"prompt": "left over"},
        )
        store.update_job(row, status="active", job_id=f"email:a@b.c:{n}-type:image")
    with pytest.raises(TooManyJobs, match="You already have 2 pictures on the way"):
        send(runner, client)
    assert client.sent == [] and store.count(KEY) == 2


def test_resume_follows_no_more_jobs_than_the_caps_allow(store: HistoryStore) -> None:
    runner, client = make_runner(store, max_in_flight_per_scope=3), GatedClient()
    for n in range(5):
        row = store.add_job(
            account_key=KEY,
            kind="create",
            request={"prompt": f"job {n}"},
            summary={"prompt": f"job {n}"},
        )
        store.update_job(row, status="active", job_id=f"email:a@b.c:{n}-type:image")
    assert runner.resume(seam(client), KEY, force=True) == 3
    assert runner.running_count() == 3
    assert runner.resume(seam(client), KEY, force=True) == 0
    client.gate.set()
    for _ in range(3):  # each sweep follows what the caps allow, until every job ended
        for row_id in list(runner._threads):
            runner.wait(row_id, WAIT)
        runner.resume(seam(client), KEY, force=True)
    finish_all(runner, client)
    assert store.count(KEY, statuses=["completed"]) == 5


# ---------------------------------------------------------------- no upscale of an upscale


def test_an_upscale_of_an_upscale_is_refused_before_anything_is_recorded(
    store: HistoryStore,
) -> None:
    runner, client = make_runner(store), GatedClient()
    client.gate.set()
    original = send(runner, client)
    runner.wait(original, WAIT)
    source = store.get(original, KEY)
    assert source is not None and source.job_id
    request = UpscaleRequest(job_id=source.job_id)
    upscale = runner.submit(seam(client), prepared(request), account_key=KEY, parent_id=original)
    runner.wait(upscale, WAIT)
    done = store.get(upscale, KEY)
    assert done is not None and done.status == "completed" and done.job_id
    sent = len(client.sent)
    for parent in (upscale, None):  # known by its row, or only by its jobId
        with pytest.raises(InvalidRequest) as refused:
            runner.submit(
                seam(client),
                prepared(UpscaleRequest(job_id=done.job_id)),
                account_key=KEY,
                parent_id=parent,
            )
        assert str(refused.value) == UPSCALE_OF_UPSCALE
    assert len(client.sent) == sent and store.count(KEY) == 2


# ---------------------------------------------------------------- a result that is a bomb


class BombClient(GatedClient):
    def download(self, url: str) -> tuple[bytes, str]:
        from test_bounds_images import png_bomb

        return png_bomb(9_000, 9_000), "image/png"


def test_a_result_that_would_decode_to_too_many_pixels_is_not_decoded(
    store: HistoryStore,
) -> None:
    runner, client = make_runner(store), BombClient()
    client.gate.set()
    rid = send(runner, client)
    runner.wait(rid, WAIT)
    record = store.get(rid, KEY)
    assert record is not None and record.status == "completed"
    assert record.message == "The image is ready, but the app could not read it."
    assert not record.has_thumbnail and not record.has_image
    assert record.link_valid()  # the picture is still reachable through its link
