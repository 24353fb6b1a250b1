"""The history store on SQLite and PostgreSQL: records, scoping, filters, paging, concurrency."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kontextlab.accounts import DEFAULT_SECRET, SECRET_ENV, account_key
from kontextlab.history import (
    ACTIVE_STATUSES,
    DATAFRAME_COLUMNS,
    HistoryStore,
    JobRecord,
    normalize_url,
)

A, B = "a" * 64, "b" * 64
T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
pytest_plugins = ["tests.pgfixture"]
REPO = Path(__file__).resolve().parent.parent


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = T0):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def create(prompt: str = "A red fox in snow", **extra: object) -> dict[str, object]:
    return {"prompt": prompt, "aspectRatio": "16:9", **extra}


def summary(payload: dict[str, object]) -> dict[str, object]:
    """The settings the History table shows, from a create payload (as the runner sends it)."""
    keys = {"prompt": "prompt", "style": "style", "aspect_ratio": "aspectRatio", "seed": "seed"}
    return {name: payload.get(key) for name, key in {**keys, "model": "model"}.items()}


def add(store: HistoryStore, key: str = A, kind: str = "create", **payload: object) -> str:
    request = create(**payload)
    return store.add_job(account_key=key, kind=kind, request=request, summary=summary(request))


def finish(store: HistoryStore, rid: str, job_id: str, **changes: object) -> None:
    store.update_job(rid, status="active", job_id=job_id)
    store.update_job(rid, status="completed", asset_url=f"https://cdn.test/{job_id}.png", **changes)


# ---------------------------------------------------------------- account keys


def test_account_key_is_a_keyed_hash_that_hides_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    token = "user:1234-secret-token"
    key = account_key(token)
    assert len(key) == 64 and token not in key
    assert key == account_key(f"  {token}\n") == account_key(token, DEFAULT_SECRET)
    assert key != account_key("user:1234-other-token")
    assert key != account_key(token, b"another secret")
    monkeypatch.setenv(SECRET_ENV, "deployment secret")
    assert account_key(token) == account_key(token, b"deployment secret") != key


# ---------------------------------------------------------------- one job's life


def test_add_job_records_a_queued_job_with_its_settings(history: HistoryStore) -> None:
    request = create("A red fox", style="anime", seed=42, model="flux", aspectRatio="1:1")
    rid = history.add_job(account_key=A, kind="create", request=request, summary=summary(request))
    record = history.get(rid, A)
    assert isinstance(record, JobRecord)
    assert (record.status, record.kind, record.prompt, record.style) == (
        "queued",
        "create",
        "A red fox",
        "anime",
    )
    assert (record.aspect_ratio, record.seed, record.model) == ("1:1", 42, "flux")
    assert record.request["prompt"] == "A red fox" and record.request["seed"] == 42
    assert record.created_at.tzinfo is not None
    assert abs(record.created_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert record.is_active and record.duration is None and not record.link_valid()
    assert not record.has_thumbnail and history.thumbnail(rid, A) is None


def test_add_job_rejects_an_unknown_kind(history: HistoryStore) -> None:
    with pytest.raises(ValueError, match="kind"):
        add(history, kind="remix")


def test_update_job_walks_a_job_to_completion(open_history: Callable[..., HistoryStore]) -> None:
    clock = Clock()
    history = open_history(clock=clock)
    rid = add(history, seed=None)
    clock.advance(seconds=2)
    history.update_job(rid, status="active", job_id="email:x@y.z:1-type:image", progress=30.0)
    clock.advance(seconds=10)
    expires = T0 + timedelta(hours=1)
    history.update_job(
        rid,
        status="completed",
        progress=100.0,
        seed=987654321012,
        asset_url="https://cdn.test/1.png",
        url_expires_at=expires,
        file_id="file-1",
        mime_type="image/png",
        width=1344,
        height=768,
        thumbnail=b"\x89PNG thumb",
        image=b"\x89PNG full",
    )
    record = history.get(rid, A)
    assert record is not None
    assert (record.status, record.progress, record.seed) == ("completed", 100.0, 987654321012)
    assert record.started_at == T0 + timedelta(seconds=2)
    assert record.completed_at == T0 + timedelta(seconds=12)
    assert record.duration == 10.0 and record.updated_at == clock.now
    assert record.url_expires_at == expires and record.link_valid(T0)
    assert not record.link_valid(expires + timedelta(seconds=1))
    assert (record.width, record.height, record.mime_type) == (1344, 768, "image/png")
    assert record.has_thumbnail and record.has_image and not record.is_active
    assert (
        history.thumbnail(rid, A) == b"\x89PNG thumb" and history.image(rid, A) == b"\x89PNG full"
    )


def test_update_job_keeps_explicit_times_and_drops_an_image_over_budget(
    history: HistoryStore,
) -> None:
    rid = add(history)
    history.update_job(rid, image=b"big", thumbnail=b"small")
    history.update_job(rid, image=None, started_at=T0, completed_at=T0 + timedelta(seconds=5))
    history.update_job(rid, status="failed", message="The job failed upstream.", error_kind="Job")
    record = history.get(rid, A)
    assert record is not None and record.status == "failed"
    assert record.duration == 5.0 and record.message == "The job failed upstream."
    assert history.image(rid, A) is None and not record.has_image
    assert history.thumbnail(rid, A) == b"small" and record.has_thumbnail


def test_update_job_refuses_unknown_fields_and_statuses(history: HistoryStore) -> None:
    rid = add(history)
    with pytest.raises(TypeError, match="token"):
        history.update_job(rid, token="secret")
    with pytest.raises(ValueError, match="status"):
        history.update_job(rid, status="done")
    assert history.update_job("0" * 32, status="failed") is False
    assert history.update_job(rid, progress=5.0) is True


def test_tokens_never_reach_the_database_file(tmp_path: Path) -> None:
    token = "user:4242-Very-Secret-Token-Value"
    history = HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    key = account_key(token)
    rid = history.add_job(
        account_key=key,
        kind="create",
        request={"prompt": "a cat", "token": token},
        summary={"prompt": "a cat"},
    )
    history.update_job(rid, status="completed", job_id="J", thumbnail=b"x")
    assert "token" not in history.get(rid, key).request  # type: ignore[union-attr]
    history.export_json(key)
    history.close()
    files = list(tmp_path.iterdir())
    assert files and all(token.encode() not in f.read_bytes() for f in files)
    assert any(key.encode() in f.read_bytes() for f in files)


# ---------------------------------------------------------------- scoping


def test_every_read_is_scoped_to_the_account_key(history: HistoryStore) -> None:
    mine = add(history, A, prompt="mine")
    theirs = add(history, B, prompt="theirs")
    finish(history, mine, "JA", thumbnail=b"a", image=b"A")
    finish(history, theirs, "JB", thumbnail=b"b", image=b"B", file_id="fb")
    assert history.get(theirs, A) is None and history.get(mine, A) is not None
    assert [r.prompt for r in history.list(A)] == ["mine"]
    assert history.count(A) == 1 and history.count(B) == 1 and history.count("c" * 64) == 0
    assert list(history.dataframe(A)["prompt"]) == ["mine"]
    assert history.thumbnail(theirs, A) is None and history.image(theirs, A) is None
    assert history.thumbnails(A, [mine, theirs]) == {mine: b"a"}
    assert history.find_by_job_id(A, "JB") is None and history.find_by_job_id(B, "JB") is not None
    assert history.lineage(theirs, A) == [] and history.completed_with_images(A) == []
    assert history.delete(theirs, A) is False and history.get(theirs, B) is not None
    assert history.delete(theirs, B) is True and history.get(theirs, B) is None
    assert history.thumbnails(B, [theirs]) == {}


# ---------------------------------------------------------------- filters, order, paging


@pytest.fixture
def mixed(open_history: Callable[..., HistoryStore]) -> HistoryStore:
    """Eight jobs an hour apart: kinds, statuses, styles and providers mixed (the third and
    the last made by Black Forest Labs), one other account's job, also BFL's."""
    clock = Clock()
    history = open_history(clock=clock)
    plan = [
        ("create", "completed", "anime", "A Red fox in the snow"),
        ("create", "failed", None, "a blue whale, 100% ocean"),
        ("edit", "completed", None, "make the fox wear a red_hat"),
        ("upscale", "active", None, "sharper fox"),
        ("create", "queued", "film_noir", "Detective in the rain"),
        ("create", "completed", "anime", "City at night"),
        ("edit", "failed", None, "remove the whale"),
        ("create", "completed", "cinematic", "red sunrise over hills"),
    ]
    for n, (kind, status, style, prompt) in enumerate(plan):
        payload = create(prompt, **({"style": style} if style else {}))
        provider = "bfl" if n in (2, 7) else "ltx"
        rid = history.add_job(
            account_key=A, kind=kind, request=payload, summary=summary(payload), provider=provider
        )
        if status != "queued":
            history.update_job(rid, status=status)
        clock.advance(hours=1)
    other = create("red fox of someone else")
    history.add_job(
        account_key=B, kind="create", request=other, summary=summary(other), provider="bfl"
    )
    return history


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, 8),
        ({"search": "fox"}, 3),
        ({"search": "RED fox"}, 2),
        ({"search": "100%"}, 1),
        ({"search": "%"}, 1),
        ({"search": "red_hat"}, 1),
        ({"search": "_"}, 1),
        ({"search": "zebra"}, 0),
        ({"kinds": ["edit"]}, 2),
        ({"kinds": ["create", "upscale"]}, 6),
        ({"statuses": ["completed"]}, 4),
        ({"statuses": list(ACTIVE_STATUSES)}, 2),
        ({"styles": ["anime"]}, 2),
        ({"styles": ["base"]}, 4),
        ({"styles": ["none", "cinematic"]}, 5),
        ({"since": T0 + timedelta(hours=6)}, 2),
        ({"until": T0 + timedelta(hours=2)}, 2),
        ({"since": T0 + timedelta(hours=1), "until": T0 + timedelta(hours=3)}, 2),
        ({"search": "fox", "kinds": ["edit"], "statuses": ["completed"]}, 1),
        ({"providers": ["bfl"]}, 2),
        ({"providers": ["ltx"]}, 6),
        ({"providers": ["ltx", "bfl"]}, 8),
        ({"providers": ["elsewhere"]}, 0),
        ({"providers": ["bfl"], "kinds": ["edit"]}, 1),
        ({"providers": ["bfl"], "search": "red"}, 2),
    ],
)
def test_each_filter_counts_lists_and_frames_the_same_rows(
    mixed: HistoryStore, filters: dict[str, object], expected: int
) -> None:
    records = mixed.list(A, **filters)
    assert mixed.count(A, **filters) == expected == len(records)
    assert list(mixed.dataframe(A, **filters)["id"]) == [r.id for r in records]


def test_the_provider_filter_keeps_only_that_providers_rows_of_the_account(
    mixed: HistoryStore,
) -> None:
    made_by_bfl = mixed.list(A, providers=["bfl"], order="oldest")
    assert [r.prompt for r in made_by_bfl] == [
        "make the fox wear a red_hat",
        "red sunrise over hills",
    ]
    assert {r.provider for r in made_by_bfl} == {"bfl"}
    assert {r.provider for r in mixed.list(A, providers=["ltx"])} == {"ltx"}
    frame = mixed.dataframe(A, providers=["bfl"])
    assert set(frame["provider"]) == {"bfl"} and len(frame) == 2
    assert mixed.count(B, providers=["bfl"]) == 1 and mixed.count(B, providers=["ltx"]) == 0


def test_search_finds_words_in_any_order_and_case(mixed: HistoryStore) -> None:
    prompts = {r.prompt for r in mixed.list(A, search="FOX red")}
    assert prompts == {"A Red fox in the snow", "make the fox wear a red_hat"}


def test_orders(mixed: HistoryStore) -> None:
    newest = [r.prompt for r in mixed.list(A)]
    assert newest[0] == "red sunrise over hills" and newest[-1] == "A Red fox in the snow"
    assert [r.prompt for r in mixed.list(A, order="oldest")] == newest[::-1]
    by_prompt = [r.prompt for r in mixed.list(A, order="prompt")]
    assert by_prompt == sorted(newest, key=str.lower)
    statuses = [r.status for r in mixed.list(A, order="status")]
    assert statuses == sorted(statuses)
    with pytest.raises(ValueError, match="order"):
        mixed.list(A, order="random")  # type: ignore[arg-type]


def test_paging_covers_every_row_once(mixed: HistoryStore) -> None:
    pages = [mixed.list(A, limit=3, offset=o) for o in (0, 3, 6)]
    assert [len(p) for p in pages] == [3, 3, 2]
    ids = [r.id for page in pages for r in page]
    assert ids == [r.id for r in mixed.list(A)]
    frames = [mixed.dataframe(A, limit=3, offset=o, search="fox") for o in (0, 3)]
    assert [len(f) for f in frames] == [3, 0]


def test_dataframe_has_typed_columns_even_when_empty(mixed: HistoryStore) -> None:
    empty = mixed.dataframe("c" * 64)
    assert list(empty.columns) == list(DATAFRAME_COLUMNS) and empty.empty
    rid = mixed.list(A, statuses=["completed"], limit=1)[0].id
    mixed.update_job(rid, started_at=T0, completed_at=T0 + timedelta(seconds=7.5), seed=3)
    frame = mixed.dataframe(A, limit=50)
    assert list(frame.columns) == list(DATAFRAME_COLUMNS) and len(frame) == 8
    row = frame.set_index("id").loc[rid]
    assert row["duration_s"] == 7.5 and row["seed"] == 3
    assert str(frame["created_at"].dt.tz) == "UTC"
    assert frame["created_at"].is_monotonic_decreasing


def test_in_flight_lists_queued_and_active_jobs(mixed: HistoryStore) -> None:
    mine = mixed.in_flight(A)
    assert sorted(r.status for r in mine) == ["active", "queued"]
    assert all(r.is_active for r in mine)
    assert len(mixed.in_flight()) == 3  # B's queued job too


# ---------------------------------------------------------------- lineage and references


def test_lineage_follows_parents_and_upscales_inherit_the_prompt(history: HistoryStore) -> None:
    root = add(history, prompt="a lighthouse", style="vintage", seed=5)
    finish(history, root, "J1", file_id="f1", thumbnail=b"t1")
    storm = create("add a storm")
    edit = history.add_job(
        account_key=A, kind="edit", request=storm, summary=summary(storm), parent_id=root
    )
    finish(history, edit, "J2", file_id="f2")
    upscale = history.add_job(
        account_key=A, kind="upscale", request={"jobId": "J2"}, summary={}, parent_id=edit
    )
    chain = history.lineage(upscale, A)
    assert [r.id for r in chain] == [root, edit, upscale]
    assert chain[-1].prompt == "add a storm" and chain[-1].kind == "upscale"
    assert history.lineage(root, A) == [history.get(root, A)]
    assert history.delete(edit, A)
    assert [r.id for r in history.lineage(upscale, A)] == [upscale]


def test_completed_with_images_offers_finished_results_with_a_file(history: HistoryStore) -> None:
    done = add(history, prompt="done")
    finish(history, done, "J1", file_id="f1", thumbnail=b"t")
    no_file = add(history, prompt="no file id")
    finish(history, no_file, "J2")
    failed = add(history, prompt="failed")
    history.update_job(failed, status="failed", file_id="f3")
    assert [r.id for r in history.completed_with_images(A, limit=5)] == [done]


# ---------------------------------------------------------------- concurrency


def _writer(store: HistoryStore, key: str, count: int, errors: list[BaseException]) -> None:
    try:
        for n in range(count):
            rid = add(store, key, prompt=f"{key[:1]} job {n}")
            store.update_job(rid, status="active", job_id=f"{key[:1]}-{n}")
            store.update_job(rid, status="completed", thumbnail=bytes([n % 256]) * 200)
    except BaseException as exc:
        errors.append(exc)


def test_two_threads_and_two_accounts_write_at_once_and_nothing_is_lost(
    history: HistoryStore,
) -> None:
    count = 60
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_writer, args=(history, k, count, errors)) for k in (A, B)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a writer still ran after 60 s"
    assert not errors
    for key in (A, B):
        assert history.count(key) == count
        assert history.count(key, statuses=["completed"]) == count
        assert len({r.job_id for r in history.list(key)}) == count
        assert all(r.has_thumbnail for r in history.list(key))


PROCESS_WRITER = """
import sys
from kontextlab.history import HistoryStore
store = HistoryStore(sys.argv[1])
for n in range(40):
    request = {"prompt": f"p{n}"}
    rid = store.add_job(account_key=sys.argv[2], kind="create", request=request, summary=request)
    store.update_job(rid, status="completed", job_id=f"{sys.argv[2]}-{n}", thumbnail=b"t" * 500)
"""


def test_two_processes_write_one_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    HistoryStore(url).close()
    env = {"PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen([sys.executable, "-c", PROCESS_WRITER, url, key], env=env)
        for key in (A, B)
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    history = HistoryStore(url)
    assert history.count(A, statuses=["completed"]) == 40 == history.count(B)
    history.close()


def test_in_memory_sqlite_is_shared_by_threads() -> None:
    history = HistoryStore("sqlite://")
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_writer, args=(history, k, 20, errors)) for k in (A, B)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a writer still ran after 60 s"
    assert not errors and history.count(A) == 20 == history.count(B)


def test_plain_postgresql_urls_use_the_installed_driver() -> None:
    assert normalize_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalize_url("postgresql://h/db") == "postgresql+psycopg://h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_a_store_never_shows_its_database_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(HistoryStore, "_create_tables", lambda self: None)  # no server to reach
    shown = repr(HistoryStore("postgresql://kontext:hunter2-pass@db.example.com/kontext"))
    assert "hunter2-pass" not in shown
    assert "postgresql+psycopg://kontext:***@db.example.com/kontext" in shown
