"""The job runner against a scripted client: each state lands in the store, nothing is lost."""

from __future__ import annotations

import ast
import dataclasses
import io
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from PIL import Image

from kontextlab import providers as api
from kontextlab.history import HistoryStore
from kontextlab.jobs import (
    CHECK_FAILED_MESSAGE,
    NO_SEARCH_MESSAGE,
    NOT_FOUND_MESSAGE,
    RESTART_MESSAGE,
    JobRunner,
    RunnerSettings,
)
from kontextlab.providers import RANDOM_SEED_MAX, InvalidRequest, PreparedRequest
from kontextlab.providers.ltx import AssetItem, AssetPage, Job, LtxProvider, LtxRules
from kontextlab.providers.ltx.client import ScheduledJob
from kontextlab.providers.ltx.requests import AnyRequest, CreateRequest, EditRequest

KEY = "account-a"
JOB = "email:a@b.c:1-type:image"  # the jobId of every scripted job object


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
    return {"jobId": JOB, "status": status, **extra}


@dataclasses.dataclass
class Sent:
    """A body as the runner sent it."""

    body: dict[str, Any]

    @property
    def seed(self) -> Any:
        return self.body.get("seed")

    @property
    def reply_ref(self) -> Any:
        return self.body.get("replyRef")


def seam(client: ScriptedClient) -> LtxProvider:
    """The LTX provider, talking to a scripted client instead of the network."""
    provider = LtxProvider("http://scripted.invalid", "token")
    provider.client = client  # type: ignore[assignment]  # a scripted stand-in
    return provider


def prepared(request: AnyRequest) -> PreparedRequest:
    """A request model's fields, prepared (validated once) as a page would."""
    fields = {f.name: getattr(request, f.name) for f in dataclasses.fields(request)}
    return LtxRules().prepare(request.kind, fields)


class ScriptedClient:
    """Answers from a script: each entry is a dict (job JSON) or an exception to raise."""

    def __init__(
        self,
        submits: list[Any],
        polls: list[Any] | None = None,
        *,
        scheduled: Callable[[ScriptedClient], list[Any]] | Exception | None = None,
        assets: list[str] | None = None,
    ):
        self.submits = submits
        self.polls = polls or []
        self.calls: list[str] = []
        self.sent: list[Any] = []  # every request submitted, as the runner sent it
        self.scheduled = scheduled  # what GET scheduler answers (may read self.sent)
        self.assets = assets or []  # job ids in the account's asset list, newest first

    def _next(self, queue: list[Any]) -> Job:
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return Job.from_json(item)

    def submit(self, endpoint: str, payload: Any) -> Job:
        self.calls.append("submit")
        self.sent.append(Sent(dict(payload)))
        return self._next(self.submits)

    def scheduler(self) -> list[ScheduledJob]:
        self.calls.append("scheduler")
        if isinstance(self.scheduled, Exception):
            raise self.scheduled
        return self.scheduled(self) if self.scheduled else []

    def list_assets(self, **kwargs: Any) -> AssetPage:
        self.calls.append("list_assets")
        items = [AssetItem(f"asset-{j}", j, None, None) for j in self.assets]
        return AssetPage(items, len(items), 1, 1)

    def job(self, job_id: str) -> Job:
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


def finish(runner: JobRunner, row_id: str, timeout: float = 30.0) -> None:
    runner.wait(row_id, timeout)
    assert not runner.is_running(row_id), f"the job's worker was still running after {timeout} s"


def run(store: HistoryStore, client: ScriptedClient, **settings: Any) -> Any:
    runner, _ = runner_for(store, **settings)
    row_id = runner.submit(seam(client), prepared(CreateRequest(prompt="a fox")), account_key=KEY)
    finish(runner, row_id)
    return store.get(row_id, KEY)


def test_completed_after_polling_keeps_the_picture(store: HistoryStore) -> None:
    client = ScriptedClient(
        [{"jobId": "j1", "generationId": "g1"}],
        [job_json("active", 40), job_json("completed", 100, "http://x/1.png")],
    )
    record = run(store, client)
    assert record.status == "completed" and record.seed == client.sent[0].seed
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
        (api.NetworkError("refused", maybe_sent=False), "Could not reach"),
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
    row_id = runner.submit(seam(client), prepared(CreateRequest(prompt="a fox")), account_key=KEY)
    finish(runner, row_id)
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
        runner.submit(seam(client), prepared(CreateRequest(prompt="")), account_key=KEY)
    assert store.count(KEY) == 0 and client.calls == []


def test_resume_follows_jobs_with_an_id_and_looks_for_those_without(
    store: HistoryStore,
) -> None:
    with_id = store.add_job(
        account_key=KEY, kind="create", request={"prompt": "a"}, summary={"prompt": "a"}
    )
    store.update_job(with_id, status="active", job_id="j1")
    without = store.add_job(
        account_key=KEY, kind="create", request={"prompt": "b"}, summary={"prompt": "b"}
    )
    runner, _ = runner_for(store)
    client = ScriptedClient([{}], [job_json("completed", 100, "http://x/1")])
    assert runner.resume(seam(client), KEY) == 2
    finish(runner, with_id)
    finish(runner, without)
    assert store.get(with_id, KEY).status == "completed"
    lost = store.get(without, KEY)
    assert (lost.status, lost.message) == ("unknown", NOT_FOUND_MESSAGE)
    assert "scheduler" in client.calls and "submit" not in client.calls


def test_a_row_left_unconfirmed_by_a_restart_is_found_by_its_reply_ref(
    store: HistoryStore,
) -> None:
    rid = store.add_job(
        account_key=KEY,
        kind="create",
        request={"prompt": "b", "seed": 5},
        summary={"prompt": "b", "seed": 5},
    )
    runner, _ = runner_for(store)
    client = ScriptedClient(
        [{}],
        [job_json("completed", 100, "http://x/1")],
        scheduled=lambda c: [
            ScheduledJob("j-other", "someone-else"),
            ScheduledJob(JOB, rid),
        ],
    )
    statuses: list[str] = []
    update_job = store.update_job

    def record_status(row: str, **changes: Any) -> bool:
        statuses.append(changes.get("status", "")) if "status" in changes else None
        if changes.get("message") == RESTART_MESSAGE:
            assert changes["status"] == "unknown"
        return update_job(row, **changes)

    store.update_job = record_status  # type: ignore[method-assign]
    runner.resume(seam(client), KEY)
    finish(runner, rid)
    record = store.get(rid, KEY)
    assert (record.status, record.job_id, record.seed) == ("completed", JOB, 5)
    assert statuses[:2] == ["unknown", "active"] and "submit" not in client.calls


def test_a_crash_inside_the_runner_still_ends_the_job(
    store: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    boom: Callable[..., Any] = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("bug"))  # noqa: E731
    client = ScriptedClient([{"jobId": "j1"}], [job_json("completed", 100, "http://x/1")])
    monkeypatch.setattr("kontextlab.jobs.writer.thumbnail", boom)
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
        other = threading.Thread(target=runner.resume, args=(seam(resumer), KEY))
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
    row_id = runner.submit(seam(client), prepared(CreateRequest(prompt="fox")), account_key=KEY)
    finish(runner, row_id)
    assert statuses == ["active", "completed"], "the job was never marked lost on the way"


# ---------------------------------------------------------------- the seed


def test_random_seed_is_drawn_sent_and_stored(store: HistoryStore) -> None:
    client = ScriptedClient([{"jobId": "j1"}], [job_json("completed", 100, "http://x/1")])
    record = run(store, client)
    sent = client.sent[0].seed
    assert isinstance(sent, int) and 0 <= sent <= RANDOM_SEED_MAX
    assert record.seed == sent and record.request["seed"] == sent


def test_random_seeds_differ_and_a_fixed_seed_is_kept(store: HistoryStore) -> None:
    runner, _ = runner_for(store)
    client = ScriptedClient([{"jobId": "j1"}], [job_json("completed", 100, "http://x/1")])
    requests = (
        CreateRequest(prompt="a"),
        CreateRequest(prompt="a"),
        EditRequest(prompt="night", reference_asset_id="asset:1"),
        EditRequest(prompt="night", reference_asset_id="asset:1", seed=7),
    )
    # One account each: every scripted job has the same jobId.
    rows = [
        (runner.submit(seam(client), prepared(req), account_key=f"k{i}"), f"k{i}")
        for i, req in enumerate(requests)
    ]
    for row, _ in rows:
        finish(runner, row)
    sent = {r.reply_ref: r.seed for r in client.sent}  # workers send in any order
    seeds = [sent[row] for row, _ in rows]
    assert None not in seeds and seeds[0] != seeds[1] and seeds[3] == 7
    assert [store.get(r, key).seed for r, key in rows] == seeds


# ---------------------------------------------------------------- lost answers


def lost(why: str = "read timed out") -> api.OutcomeUnknown:
    return api.OutcomeUnknown(why)


def sent_ref(client: ScriptedClient) -> str:
    return client.sent[0].reply_ref


def test_a_lost_answer_is_found_in_the_scheduler_and_followed(store: HistoryStore) -> None:
    client = ScriptedClient(
        [lost()],
        [job_json("active", 50), job_json("completed", 100, "http://x/1.png")],
        scheduled=lambda c: [ScheduledJob(JOB, sent_ref(c))],
    )
    record = run(store, client)
    assert sent_ref(client) == record.id, "the row id travels as replyRef"
    assert (record.status, record.job_id, record.has_image) == ("completed", JOB, True)
    assert client.calls.count("submit") == 1


def test_a_lost_answer_keeps_the_users_own_reply_ref(store: HistoryStore) -> None:
    runner, _ = runner_for(store)
    client = ScriptedClient(
        [lost()],
        [job_json("completed", 100, "http://x/1.png")],
        scheduled=lambda c: [ScheduledJob(JOB, "my-ref")],
    )
    rid = runner.submit(
        seam(client), prepared(CreateRequest(prompt="fox", reply_ref="my-ref")), account_key=KEY
    )
    finish(runner, rid)
    assert sent_ref(client) == "my-ref" and store.get(rid, KEY).status == "completed"


def test_a_lost_answer_of_a_finished_job_is_found_among_the_accounts_pictures(
    store: HistoryStore,
) -> None:
    done = job_json("completed", 100, "http://x/1.png")
    client = ScriptedClient([lost()], [done], scheduled=lambda c: [], assets=["j0", "j1"])
    # The job record carries the replyRef it was sent with; only j1's matches.
    client.polls = [{**done, "replyRef": "not-ours"}, {**done, "replyRef": "ROW"}]

    def job(job_id: str) -> Job:
        client.calls.append("job")
        ref = sent_ref(client) if job_id == "j1" else "not-ours"
        return Job.from_json({**done, "jobId": job_id, "replyRef": ref})

    client.job = job  # type: ignore[method-assign]
    record = run(store, client)
    assert (record.status, record.job_id) == ("completed", "j1")
    assert client.calls.count("submit") == 1


def test_a_lost_answer_not_found_stays_unknown_and_is_never_resent(store: HistoryStore) -> None:
    client = ScriptedClient([lost()], scheduled=lambda c: [ScheduledJob("j9", "x")])
    record = run(store, client)
    assert (record.status, record.message) == ("unknown", NOT_FOUND_MESSAGE)
    assert client.calls == ["submit", "scheduler", "list_assets"]


def test_a_failed_check_says_so_and_stays_unknown(store: HistoryStore) -> None:
    client = ScriptedClient([lost()], scheduled=api.ServerError("down", 503))
    record = run(store, client)
    assert (record.status, record.message) == ("unknown", CHECK_FAILED_MESSAGE)
    assert client.calls.count("submit") == 1


def test_check_my_account_looks_again_and_finds_the_job(store: HistoryStore) -> None:
    found: list[Any] = []
    client = ScriptedClient(
        [lost()],
        [job_json("completed", 100, "http://x/1.png")],
        scheduled=lambda c: list(found),
    )
    runner, _ = runner_for(store)
    rid = runner.submit(seam(client), prepared(CreateRequest(prompt="fox")), account_key=KEY)
    finish(runner, rid)
    assert store.get(rid, KEY).status == "unknown"
    found.append(ScheduledJob(JOB, rid))
    assert runner.check_account(seam(client), rid, KEY)
    finish(runner, rid)
    assert store.get(rid, KEY).status == "completed" and client.calls.count("submit") == 1
    assert not runner.check_account(seam(client), rid, KEY), "only unknown jobs are looked for"


# ---------------------------------------------------------------- database trouble


class FlakyStore:
    """The store, with writes failing while `down` is set (like a database restart)."""

    def __init__(self, store: HistoryStore, fail_writes: int = 0):
        self._store = store
        self.fail_writes = fail_writes  # fail this many writes, then work
        self.down = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def update_job(self, rid: str, **changes: Any) -> bool:
        if self.down or (self.fail_writes > 0 and "progress" in changes):
            self.fail_writes -= 1
            raise sa.exc.OperationalError("UPDATE", {}, Exception("database is locked"))
        return self._store.update_job(rid, **changes)


def test_a_database_outage_while_polling_is_waited_out(store: HistoryStore) -> None:
    flaky = FlakyStore(store, fail_writes=3)
    runner, slept = runner_for(flaky)
    client = ScriptedClient(
        [{"jobId": "j1"}], [job_json("active", 30), job_json("completed", 100, "http://x/1")]
    )
    rid = runner.submit(seam(client), prepared(CreateRequest(prompt="fox")), account_key=KEY)
    finish(runner, rid)
    assert store.get(rid, KEY).status == "completed"
    assert [s for s in slept if s > 0] == [0.5, 1.0, 2.0], "backed off, then went on"


def test_a_long_database_outage_leaves_the_job_for_the_next_sweep(store: HistoryStore) -> None:
    flaky = FlakyStore(store)
    runner, _ = runner_for(flaky, store_patience=5.0, resume_every=0.0)
    polls = [job_json("active", 30), job_json("completed", 100, "http://x/1")]
    client = ScriptedClient([{"jobId": "j1"}], polls)

    def outage(row: str, **changes: Any) -> bool:
        if "progress" in changes and not changes.get("status"):
            flaky.down = True
        return FlakyStore.update_job(flaky, row, **changes)

    flaky.update_job = outage  # type: ignore[method-assign]
    rid = runner.submit(seam(client), prepared(CreateRequest(prompt="fox")), account_key=KEY)
    finish(runner, rid)
    assert store.get(rid, KEY).status == "active", "not failed: upstream the job is fine"
    flaky.down = False
    flaky.update_job = FlakyStore.update_job.__get__(flaky)  # type: ignore[method-assign]
    assert runner.resume(seam(client), KEY) == 1
    finish(runner, rid)
    assert store.get(rid, KEY).status == "completed" and client.calls.count("submit") == 1


def test_a_lost_job_is_never_matched_to_a_job_another_scope_follows(store: HistoryStore) -> None:
    # Another visitor of the same shared token already follows JOB, sent with the same
    # replyRef that this visitor typed: it must not be adopted into this visitor's history.
    theirs = store.add_job(
        account_key="visitor-b", kind="create", request={"prompt": "b"}, summary={"prompt": "b"}
    )
    store.update_job(theirs, status="active", job_id=JOB)
    runner, _ = runner_for(store)
    client = ScriptedClient([lost()], scheduled=lambda c: [ScheduledJob(JOB, "same-ref")])
    rid = runner.submit(
        seam(client), prepared(CreateRequest(prompt="a", reply_ref="same-ref")), account_key=KEY
    )
    finish(runner, rid)
    record = store.get(rid, KEY)
    assert (record.status, record.job_id) == ("unknown", None)
    assert store.get(theirs, "visitor-b").job_id == JOB


# ---------------------------------------------------------------- the seam


def test_what_is_stored_is_exactly_what_is_sent(store: HistoryStore) -> None:
    client = ScriptedClient([{"jobId": "j1"}], [job_json("completed", 100, "http://x/1")])
    record = run(store, client)
    assert record.request == client.sent[0].body
    assert record.request["replyRef"] == record.id and isinstance(record.request["seed"], int)


def test_the_runner_sends_a_prepared_request_as_it_is(store: HistoryStore) -> None:
    # Nothing validates again after `prepare`: even a body the rules would refuse goes as is.
    body = {"prompt": "x", "seed": 3, "replyRef": "mine", "pollForResult": 99}
    request = PreparedRequest("ltx", "create", "images/flux-create", body, prompt="x", seed=3)
    runner, _ = runner_for(store)
    client = ScriptedClient([{"jobId": "j1"}], [job_json("completed", 100, "http://x/1")])
    rid = runner.submit(seam(client), request, account_key=KEY)
    finish(runner, rid)
    assert client.sent[0].body == body and store.get(rid, KEY).request == body


def test_a_provider_that_cannot_look_for_lost_jobs_leaves_them_unknown(
    store: HistoryStore,
) -> None:
    client = ScriptedClient([lost()])
    provider = seam(client)
    caps = dataclasses.replace(provider.capabilities, can_find_lost_jobs=False)
    provider.capabilities = caps  # type: ignore[misc]  # this one provider only
    runner, _ = runner_for(store)
    rid = runner.submit(provider, prepared(CreateRequest(prompt="fox")), account_key=KEY)
    finish(runner, rid)
    record = store.get(rid, KEY)
    assert (record.status, record.message) == ("unknown", NO_SEARCH_MESSAGE)
    assert client.calls == ["submit"]


def test_the_runner_knows_no_wire_format() -> None:
    root = Path(__file__).parent.parent / "kontextlab"
    states = {"queued", "active", "completed", "failed", "unknown"}
    for name in ("jobs/runner.py", "jobs/writer.py", "jobs/words.py", "jobs/leases.py"):
        tree = ast.parse((root / name).read_text())
        docs = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        code = [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docs
        ]
        assert not states & set(code), f"{name} compares raw state strings"
        for wire in ("replyRef", "pollForResult", "scheduler", "assetUrl", "jobId"):
            assert not [c for c in code if wire in c], f"{name} names {wire}"
        imported = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        }
        assert not {m for m in imported if "payloads" in m or m.startswith("kontextlab.api")}
        assert not {m for m in imported if m.startswith("kontextlab.providers.")}, imported
