"""A private PostgreSQL server for the history store's tests, and a store on either backend.

The server lives in a temporary folder on a free loopback port for one test session. initdb
refuses to run as root, so as root the server runs as the `postgres` system user. Without
PostgreSQL binaries the tests skip, or fail when the environment variable CI is set.
Set KONTEXTLAB_TEST_POSTGRES_URL to use an existing server instead.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kontextlab.history import HistoryStore, blobs, jobs

PG_GLOB = "/usr/lib/postgresql/*/bin"
URL_ENV = "KONTEXTLAB_TEST_POSTGRES_URL"


def pg_bin_dir() -> Path | None:
    """The newest installed PostgreSQL's bin folder, else the folder of `initdb` on PATH."""
    found = [Path(p) for p in glob.glob(PG_GLOB) if (Path(p) / "initdb").exists()]
    if found:
        return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """initdb + pg_ctl in a temporary folder; `url` while running."""

    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.as_postgres = os.geteuid() == 0
        # As root, TMPDIR may sit in a folder the postgres user cannot enter.
        parent = "/tmp" if self.as_postgres and os.path.isdir("/tmp") else None
        self.root = Path(tempfile.mkdtemp(prefix="kontextlab-pg-", dir=parent))
        self.data = self.root / "data"
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        command = [*prefix, str(self.bin_dir / args[0]), *args[1:]]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode:
            log = self.root / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {done.stderr.strip()}\n{tail}")

    def start(self) -> None:
        if self.as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust")
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        log = str(self.root / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a PostgreSQL server for this test session."""
    if os.environ.get(URL_ENV):
        yield os.environ[URL_ENV]
        return
    bin_dir = pg_bin_dir()
    problem = None
    if bin_dir is None:
        problem = "PostgreSQL binaries (initdb, pg_ctl) not found: install Debian's postgresql."
    elif os.geteuid() == 0 and not _has_user("postgres"):
        problem = "Running as root, but there is no `postgres` system user to run PostgreSQL."
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    assert bin_dir is not None
    server = PostgresServer(bin_dir)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def empty_tables(store: HistoryStore) -> None:
    with store.engine.begin() as conn:
        conn.execute(blobs.delete())
        conn.execute(jobs.delete())


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def history_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty history database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.sqlite3'}"
        return
    url = request.getfixturevalue("postgres_url")
    store = HistoryStore(url)
    empty_tables(store)
    store.close()
    yield url


@pytest.fixture
def open_history(history_url: str) -> Iterator[Callable[..., HistoryStore]]:
    """Opens stores on this test's database (e.g. with a fake clock); closes them after."""
    opened: list[HistoryStore] = []

    def open_store(**options: Any) -> HistoryStore:
        opened.append(HistoryStore(history_url, **options))
        return opened[-1]

    yield open_store
    for store in opened:
        store.close()


@pytest.fixture
def history(open_history: Callable[..., HistoryStore]) -> HistoryStore:
    return open_history()
