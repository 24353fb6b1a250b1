"""What a remote host can make the app do: download at most so much, wait at most so long."""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import responses
from seam_support import prepared, seam

from kontextlab import providers as api
from kontextlab.emulator import Emulator, EmulatorConfig
from kontextlab.history import HistoryStore
from kontextlab.jobs import JobRunner, RunnerSettings
from kontextlab.providers import ltx
from kontextlab.providers.ltx.requests import CreateRequest

BASE = "https://api.useapi.net/v1/ltxstudio"
JOB_URL = re.compile(re.escape(BASE) + r"/assets/.+")
LIMIT = 256 * 1024
SERVER_CAP = 64 * 1024 * 1024  # the test server never sends more than this
CHUNK = b"\x89" * 65536


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


# ---------------------------------------------------------------- a storage host over HTTP


class Storage(BaseHTTPRequestHandler):
    """`/small`: 1000 bytes. `/endless`: an image that never ends. `/liar`: announces a
    terabyte. `/drip-error`: a 403 whose page drips one byte at a time, forever."""

    protocol_version = "HTTP/1.0"  # a body without Content-Length ends when the socket closes

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        route = getattr(self, "route_" + self.path.strip("/").replace("-", "_"), None)
        if route is None:
            self.send_error(404)
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            route()  # a reset is the client that stopped reading: what the limit is for

    def _head(self, status: int, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "image/png")
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def route_small(self) -> None:
        self._head(200, 1000)
        self.wfile.write(b"\x89" * 1000)

    def route_endless(self) -> None:
        self._head(200)
        for _ in range(SERVER_CAP // len(CHUNK)):
            self.wfile.write(CHUNK)

    def route_liar(self) -> None:
        self._head(200, 10**12)
        self.wfile.write(b"\x89" * 1000)

    def route_drip_error(self) -> None:
        self._head(403)
        for _ in range(600):
            self.wfile.write(b"x")
            self.wfile.flush()
            time.sleep(0.1)


@pytest.fixture(scope="module")
def storage() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Storage)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def downloader() -> ltx.Client:
    return ltx.Client(BASE, "tok", download_limit=LIMIT, max_retries=0)


def test_a_small_picture_downloads_whole(storage: str) -> None:
    data, content_type = downloader().download(f"{storage}/small")
    assert data == b"\x89" * 1000 and content_type == "image/png"


def test_an_endless_download_stops_at_the_limit(storage: str) -> None:
    started = time.monotonic()
    with pytest.raises(api.TooLarge) as caught:
        downloader().download(f"{storage}/endless")
    assert time.monotonic() - started < 20
    assert caught.value.user_message == (
        "The picture is larger than the 0.25 MB the app accepts, so it was not downloaded."
    )


def test_an_announced_size_past_the_limit_is_refused_before_reading(storage: str) -> None:
    with pytest.raises(api.TooLarge):
        downloader().download(f"{storage}/liar")


def test_an_error_page_of_a_download_is_not_read(storage: str) -> None:
    started = time.monotonic()
    with pytest.raises(api.LinkExpired):
        downloader().download(f"{storage}/drip-error")
    assert time.monotonic() - started < 10, "the dripping error page was read"


def test_the_default_limit_is_25_megabytes() -> None:
    assert api.DOWNLOAD_LIMIT == 25 * 1024 * 1024
    assert ltx.Client(BASE, "tok").download_limit == api.DOWNLOAD_LIMIT
    assert "25 MB" in api.TooLarge(api.DOWNLOAD_LIMIT).user_message


# ---------------------------------------------------------------- Retry-After


def busy(mock: responses.RequestsMock, retry_after: str, status: int = 429) -> None:
    mock.add(
        responses.GET,
        JOB_URL,
        status=status,
        json={"error": "busy", "code": status},
        headers={"Retry-After": retry_after},
    )
    mock.add(responses.GET, JOB_URL, json={"status": {"type": "active"}, "jobId": "j"})


@pytest.mark.parametrize("status", [429, 503])
def test_a_retry_after_of_an_hour_is_not_slept_through(status: int) -> None:
    sleeps = Sleeps()
    client = ltx.Client(BASE, "tok", sleep=sleeps, retry_budget=10**6)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        busy(mock, "3600", status)
        with pytest.raises(api.ProviderError) as caught:
            client.job("j")
    assert sleeps == [], "nothing was slept"
    assert caught.value.status == status


def test_giving_up_on_a_long_wait_says_so() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        busy(mock, "7200")
        with pytest.raises(api.Busy) as caught:
            ltx.Client(BASE, "tok", sleep=Sleeps(), retry_budget=10**6).job("j")
    assert caught.value.wait_too_long
    assert caught.value.user_message == (
        "All your LTX Studio accounts are busy, and the image service asked to wait "
        "2 hours before trying again, which is too long to wait here. "
        "Please try again later."
    )


def test_a_wait_of_a_few_minutes_is_still_honoured() -> None:
    sleeps = Sleeps()
    with responses.RequestsMock() as mock:
        busy(mock, str(int(api.LONGEST_WAIT)))
        job = ltx.Client(BASE, "tok", sleep=sleeps, retry_budget=10**6).job("j")
    assert sleeps == [api.LONGEST_WAIT] and job.job_id == "j"
    assert not api.Busy("busy", retry_after=api.LONGEST_WAIT).wait_too_long
    assert api.Busy("busy", retry_after=api.LONGEST_WAIT + 1).wait_too_long


# ---------------------------------------------------------------- the runner's busy retry


@pytest.fixture
def busy_emulator() -> Iterator[Emulator]:
    with Emulator(EmulatorConfig(job_seconds=0.1, poll_tick=0.05)) as emulator:
        yield emulator


@pytest.mark.parametrize(("retry_after", "ends"), [(3600, "failed"), (120, "completed")])
def test_the_runner_waits_a_few_minutes_at_most(
    busy_emulator: Emulator, tmp_path: Path, retry_after: int, ends: str
) -> None:
    busy_emulator.faults.add("images/flux-create", kind="busy", retry_after=retry_after)
    store = HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    slept: list[float] = []
    runner = JobRunner(store, RunnerSettings(poll_interval=0.02), sleep=slept.append)
    client = ltx.Client(busy_emulator.base_url, busy_emulator.config.tokens[0])
    row_id = runner.submit(seam(client), prepared(CreateRequest(prompt="a fox")), account_key="k")
    runner.wait(row_id, 30)
    record = store.get(row_id, "k")
    assert record.status == ends, record.message
    if ends == "failed":
        assert float(retry_after) not in slept
        assert "60 minutes" in record.message and "too long to wait" in record.message
    else:
        assert float(retry_after) in slept
