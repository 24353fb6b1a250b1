"""Shared helpers for the AppTest suites: a fast emulator, an isolated app environment."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from components.visitor import STATE_KEY as VISITOR_STATE
from kontextlab.accounts import account_key, account_secret
from kontextlab.emulator import DEMO_BFL_KEY, DEMO_TOKEN, Emulator, EmulatorConfig
from kontextlab.history import HistoryStore
from kontextlab.visitors import Mode, scope_for

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
SECOND_TOKEN = "kontextlab-second-person"
VISITOR = "apptest-visitor-0001"  # the id a browser would keep in its localStorage
# Waits are generous: the suite shares two busy cores with browsers and servers. A wait on
# emulator jobs allows this floor plus many times a job's own length.
WAIT_FLOOR_SECONDS = 60.0
JOB_LENGTHS_ALLOWED = 20


def job_wait_seconds(config: EmulatorConfig, jobs: int = 1) -> float:
    """How long a test may wait for `jobs` emulator jobs to finish before it gives up."""
    one_job = config.job_seconds + config.poll_tick + config.artifact_lag
    return WAIT_FLOOR_SECONDS + JOB_LENGTHS_ALLOWED * jobs * one_job


def wait_until(
    done: Callable[[], object],
    what: str,
    timeout: float,
    interval: float = 0.05,
    detail: Callable[[], object] | None = None,
) -> None:
    """Poll `done` until it is true; fail saying what was awaited once `timeout` s pass."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            extra = f": {detail()}" if detail else ""
            raise AssertionError(f"gave up after {timeout:g} s waiting for {what}{extra}")
        time.sleep(interval)


class AppEnv:
    """One isolated app: its emulator, its history database, its token."""

    def __init__(
        self,
        emulator: Emulator,
        base_url: str,
        db_url: str,
        token: str,
        *,
        typed: bool = False,
        visitor: str = VISITOR,
    ):
        self.typed = typed
        self.visitor = visitor
        self.emulator = emulator
        self.base_url = base_url
        self.db_url = db_url
        self.token = token
        self.store = HistoryStore(db_url)

    @property
    def key(self) -> str:
        """The history scope this app's rows are stored under: a typed token's own, or (for a
        token from the environment, as a deployer sets it) this visitor's on that token."""
        token_key = account_key(self.token)
        if self.typed:
            return token_key
        return scope_for(token_key, Mode.DEPLOYER, self.visitor, account_secret()).key

    def app(self, page: str | None = None, visitor: str | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30)
        # AppTest runs no JavaScript, so the browser's visitor id is set as it would arrive.
        at.session_state[VISITOR_STATE] = visitor or self.visitor
        at.run()
        if page:
            at.switch_page(page)
            at.run()
        return at

    def wait_idle(self, timeout: float | None = None, key: str | None = None) -> None:
        """Wait until no job of this account is queued or active."""
        account = key or self.key

        def in_flight() -> list[str]:
            rows = self.store.in_flight(account)
            return [f"{r.prompt!r} ({r.status}: {r.message})" for r in rows]

        jobs = max(1, len(in_flight()))
        wait_until(
            lambda: not in_flight(),
            "the account's queued and active jobs to finish",
            timeout if timeout is not None else job_wait_seconds(self.emulator.config, jobs),
            detail=in_flight,
        )

    def latest(self, kind: str | None = None):
        rows = self.store.list(self.key, kinds=[kind] if kind else None, limit=1)
        return rows[0] if rows else None


def steady_navigation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every AppTest as a long-running server does after its first visitor.

    AppTest re-detects the `pages/` folder before every run, which puts each run in the
    legacy mode that `components.frame.escape_legacy_pages_mode` leaves with a rerun, and a
    rerun drops the click being tested. The first-visit path itself is proved in a browser
    test against a freshly started server.
    """
    original = PagesManager.__init__

    def init(self: PagesManager, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


def fast_config(**overrides: object) -> EmulatorConfig:
    values: dict = {
        "job_seconds": 0.3,
        "poll_tick": 0.05,
        "url_lifetime": 3600.0,
        "tokens": (DEMO_TOKEN, SECOND_TOKEN),
    }
    values.update(overrides)
    return EmulatorConfig(**values)


@contextmanager
def running_app(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    config: EmulatorConfig | None = None,
    both_services: bool = False,
) -> Iterator[AppEnv]:
    """An app on a fresh in-process emulator and database, with the deployer's useapi.net
    token (and, with `both_services`, Black Forest Labs' key on the same emulator)."""
    emulator = Emulator(config or fast_config())
    base_url = emulator.start()
    db_url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    settings = {
        "USEAPI_TOKEN": DEMO_TOKEN,
        "USEAPI_BASE_URL": base_url,
        "KONTEXTLAB_DATABASE_URL": db_url,
        "KONTEXTLAB_POLL_INTERVAL": "0.05",
    }
    if both_services:
        settings.update(BFL_API_KEY=DEMO_BFL_KEY, BFL_BASE_URL=emulator.bfl_base_url)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("USEAPI_EMAIL", raising=False)
    steady_navigation(monkeypatch)
    st.cache_data.clear()
    st.cache_resource.clear()
    env = AppEnv(emulator, base_url, db_url, DEMO_TOKEN)
    yield env
    env.wait_idle()
    emulator.stop()
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppEnv]:
    with running_app(tmp_path, monkeypatch) as env:
        yield env


@pytest.fixture
def both_services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppEnv]:
    """A deployment with both services configured, both on one in-process emulator."""
    with running_app(tmp_path, monkeypatch, both_services=True) as env:
        yield env


def sqlite_database(db_url: str) -> Path:
    url = sa.make_url(db_url)
    assert url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    return Path(url.database)


def sqlite_files(db_url: str) -> dict[str, bytes]:
    """The bytes of every file SQLite keeps for this database: the database file itself and
    whichever of its -wal, -shm and -journal files exist, by file name."""
    path = sqlite_database(db_url)
    files = {
        f.name: f.read_bytes()
        for f in sorted(path.parent.iterdir())
        if f.is_file() and f.name.startswith(path.name)
    }
    assert path.name in files, f"no database file {path.name} to read"
    return files


def occurrences(
    files: dict[str, bytes], text: str, encodings: tuple[str, ...] = ("utf-8", "utf-16-le")
) -> list[tuple[str, str]]:
    """(file name, encoding) of every file whose bytes hold `text` in that encoding."""
    return [
        (name, encoding)
        for name, data in files.items()
        for encoding in encodings
        if text.encode(encoding) in data
    ]


def checkpoint_sqlite(db_url: str) -> None:
    """Copy every page of the write-ahead log into the database file and empty the log."""
    with closing(sqlite3.connect(sqlite_database(db_url), timeout=30)) as conn:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0, "an open connection kept the write-ahead log from being checkpointed"


def texts(at: AppTest) -> str:
    """Everything a user reads on the page, as one string."""
    parts = []
    for kind in ("markdown", "caption", "error", "info", "warning", "success", "title"):
        parts.extend(str(e.value) for e in getattr(at, kind))
    parts.extend(str(h.value) for h in at.get("html"))
    for image in at.image:
        parts.extend(c for c in image.captions if c)
    return "\n".join(parts)
