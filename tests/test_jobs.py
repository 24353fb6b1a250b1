"""The job runner against a scripted client: each state lands in the store, nothing is lost."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from kontextlab import api
from kontextlab.history import HistoryStore
from kontextlab.jobs import LOST_MESSAGE, JobRunner, RunnerSettings
from kontextlab.payloads import CreateRequest, InvalidRequest

KEY = "account-a"


def png(size: tuple[int, int] = (64, 36)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, format="PNG")
    return out.getvalue()


def job_json(kind: str, progress: float = 0, url: str | None = None, **extra: Any) -> dict:
    status: dict[str, Any] = {"type": kind, "progress": progress}
    if url:
        status["artifact"] = {
            "assetUrl": url,
            "expirationDateString": "4102444800000",
            "asset": {
                "type": "artifact",
                "fileId": "asset:1-type:image/png",
                "mimeType": "image/png",
            },
        }
    return {"jobId": "email:a@b.c:1-type:image", "status": status, **extra}


class ScriptedClient:
    """Answers from a script: each entry is a dict (job JSON) or an exception to raise."""

    def __init__(self, submits: list[Any], polls: list[Any] | None = None):
        self.submits = submits
        self.polls = polls or []
        self.calls: list[str] = []

    def _next(self, queue: list[Any]) -> api.Job:
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return api.Job.from_json(item)

    def submit(self, request: Any) -> api.Job:
        self.calls.append("submit")
        return self._next(self.submits)

    def job(self, job_id: str) -> api.Job:
        self.calls.append("job")
        return self._next(self.polls)

    def download(self, url: str) -> tuple[bytes, str]:
        self.calls.append("download")
        return png(), "image/png"

    def accounts(self) -> dict:
        return {"a@b.c": {}}

    def balance(self, email: str) -> float:
        return 12.0


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite3'}")


def runner_for(store: HistoryStore, **settings: Any) -> tuple[JobRunner, list[float]]:
    slept: list[float] = []
    values = {"poll_interval": 0.0, "slow_poll_interval": 0.0, **settings}
    return JobRunner(store, RunnerSettings(**values), sleep=slept.append), slept


def run(store: HistoryStore, client: ScriptedClient, **settings: Any) -> Any:
    runner, _ = runner_for(store, **settings)
    row_id = runner.submit(client, CreateRequest(prompt="a fox"), account_key=KEY)  # type: ignore[arg-type]
    runner.wait(row_id, timeout=10)
    return store.get(row_id, KEY)


def test_completed_after_polling_keeps_the_picture(store: HistoryStore) -> None:
    client = ScriptedClient(
        [{"jobId": "j1", "generationId": "g1"}],
        [job_json("active", 40), job_json("completed", 100, "http://x/1.png", seed=77)],
    )
    record = run(store, client)
    assert record.status == "completed" and record.seed == 77
    assert record.has_thumbnail and record.has_image and (record.width, record.height) == (64, 36)
    assert client.calls == ["submit", "job", "job", "download"]


def test_completed_without_artifact_is_not_done_yet(store: HistoryStore) -> None:
    client = ScriptedClient(
        [{"jobId": "j1"}],
        [job_json("completed", 100), job_json("completed", 100, "http://x/1.png")],
    )
    assert run(store, client).status == "completed"
    assert client.calls.count("job") == 2


def test_failed_job_keeps_the_server_message(store: HistoryStore) -> None:
    client = ScriptedClient(
        [{"jobId": "j1"}],
        [{"jobId": "j1", "status": {"type": "failed", "message": "Content policy violation"}}],
    )
    record = run(store, client)
    assert (record.status, record.message) == ("failed", "Content policy violation")


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (api.Unauthorized("Unauthorized"), "token was not accepted"),
        (api.ServerError("bad gateway", 502), "error 502"),
        (api.NetworkError("refused"), "Could not reach"),
        (api.BadRequest("Parameter prompt is required"), "Parameter prompt is required"),
    ],
)
def test_submit_errors_end_as_failed_rows(
    store: HistoryStore, error: Exception, words: str
) -> None:
    client = ScriptedClient([error])
    record = run(store, client)
    assert record.status == "failed" and words in record.message
    assert client.calls == ["submit"], "a POST that may have reached the server is not resent"


def test_out_of_credits_names_the_balance(store: HistoryStore) -> None:
    record = run(store, ScriptedClient([api.PaymentRequired("Insufficient credits")]))
    assert "out of credits" in record.message and "12 credits" in record.message


def test_busy_is_resubmitted_after_the_servers_wait(store: HistoryStore) -> None:
    busy = api.Busy("busy", retry_after=7)
    client = ScriptedClient([busy, {"jobId": "j1"}], [job_json("completed", 100, "http://x/1")])
    runner, slept = runner_for(store)
    row_id = runner.submit(client, CreateRequest(prompt="a fox"), account_key=KEY)  # type: ignore[arg-type]
    runner.wait(row_id, 10)
    assert store.get(row_id, KEY).status == "completed"
    assert client.calls[:2] == ["submit", "submit"] and 7 in slept


def test_busy_too_often_gives_up(store: HistoryStore) -> None:
    client = ScriptedClient([api.Busy("busy", retry_after=0)])
    record = run(store, client, busy_retries=2)
    assert record.status == "failed" and "busy" in record.message
    assert client.calls == ["submit"] * 3


def test_expired_job_record_fails_plainly(store: HistoryStore) -> None:
    client = ScriptedClient([{"jobId": "j1"}], [api.NotFound("Job not found or has expired.")])
    record = run(store, client)
    assert record.status == "failed" and "no longer has this job" in record.message


def test_invalid_request_records_and_sends_nothing(store: HistoryStore) -> None:
    runner, _ = runner_for(store)
    client = ScriptedClient([{"jobId": "j1"}])
    with pytest.raises(InvalidRequest):
        runner.submit(client, CreateRequest(prompt=""), account_key=KEY)  # type: ignore[arg-type]
    assert store.count(KEY) == 0 and client.calls == []


def test_resume_follows_jobs_with_an_id_and_fails_those_without(store: HistoryStore) -> None:
    with_id = store.add_job(account_key=KEY, kind="create", request={"prompt": "a"})
    store.update_job(with_id, status="active", job_id="j1")
    without = store.add_job(account_key=KEY, kind="create", request={"prompt": "b"})
    runner, _ = runner_for(store)
    client = ScriptedClient([{}], [job_json("completed", 100, "http://x/1")])
    assert runner.resume(client, KEY) == 1  # type: ignore[arg-type]
    runner.wait(with_id, 10)
    assert store.get(with_id, KEY).status == "completed"
    assert (store.get(without, KEY).status, store.get(without, KEY).message) == (
        "failed",
        LOST_MESSAGE,
    )


def test_a_crash_inside_the_runner_still_ends_the_job(
    store: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    boom: Callable[..., Any] = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("bug"))  # noqa: E731
    client = ScriptedClient([{"jobId": "j1"}], [job_json("completed", 100, "http://x/1")])
    monkeypatch.setattr("kontextlab.jobs.thumbnail", boom)
    record = run(store, client)
    assert record.status == "failed" and "inside the app" in record.message


def test_a_missing_reference_is_explained_plainly(store: HistoryStore) -> None:
    client = ScriptedClient(
        [{"jobId": "j1"}],
        [
            {
                "jobId": "j1",
                "status": {
                    "type": "failed",
                    "message": "Reference asset not found or expired: asset:9",
                },
            }
        ],
    )
    record = run(store, client)
    assert record.status == "failed" and "Upload it again" in record.message


def test_a_resume_during_a_submit_never_fails_the_new_job(
    store: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner, _ = runner_for(store)
    resumer = ScriptedClient([{}], [job_json("completed", 100, "http://x/1")])
    add_job = store.add_job

    def add_then_resume_elsewhere(**kwargs: Any) -> str:
        # Another session resumes right after the row exists, before its worker starts.
        row_id = add_job(**kwargs)
        other = threading.Thread(target=runner.resume, args=(resumer, KEY))
        other.start()
        other.join(timeout=0.5)
        return row_id

    statuses: list[str] = []
    update_job = store.update_job

    def record_status(rid: str, **changes: Any) -> bool:
        if "status" in changes:
            statuses.append(changes["status"])
        return update_job(rid, **changes)

    monkeypatch.setattr(store, "add_job", add_then_resume_elsewhere)
    monkeypatch.setattr(store, "update_job", record_status)
    client = ScriptedClient([{"jobId": "j1"}], [job_json("completed", 100, "http://x/1")])
    row_id = runner.submit(client, CreateRequest(prompt="fox"), account_key=KEY)  # type: ignore[arg-type]
    runner.wait(row_id, timeout=10)
    assert statuses == ["active", "completed"], "the job was never marked lost on the way"
