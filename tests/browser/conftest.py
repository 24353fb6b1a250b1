"""Fixtures for the browser tests: Debian's chromium, the emulator, `streamlit run` servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from browser_support import (
    JOB_SECONDS,
    POLL_INTERVAL,
    POLL_TICK,
    WIDE,
    AppServer,
    app_environment,
)
from playwright.sync_api import Browser, Page, expect

from kontextlab.emulator import DEMO_TOKEN, Emulator, EmulatorConfig

ServerFactory = Callable[..., AppServer]
# Generous: two CPU cores run the browser, the app server and the emulator at once.
expect.set_options(timeout=30_000)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=WIDE, accept_downloads=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """The API emulator, in this process so a test can script faults and read its log."""
    emu = Emulator(EmulatorConfig(job_seconds=JOB_SECONDS, poll_tick=POLL_TICK))
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[ServerFactory]:
    """Start app servers with extra environment; every one is stopped at teardown."""
    servers: list[AppServer] = []

    def start(**settings: str) -> AppServer:
        workdir = tmp_path / f"server{len(servers)}"
        workdir.mkdir()
        env = app_environment(workdir, KONTEXTLAB_POLL_INTERVAL=POLL_INTERVAL, **settings)
        server = AppServer(workdir, env)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        if server.process is not None and server.process.poll() is not None:
            print(f"--- server {server.url} ended early, code {server.process.returncode} ---")
        server.stop()
        # Shown by pytest only when the test fails.
        print(f"--- server log ({server.url}) ---\n{server.log()}")


@pytest.fixture
def demo_server(start_server: ServerFactory) -> AppServer:
    """The app as a newcomer runs it: no token, the built-in emulator (with short jobs)."""
    return start_server(KONTEXTLAB_DEMO_JOB_SECONDS=str(JOB_SECONDS))


@pytest.fixture
def api_server(start_server: ServerFactory, emulator: Emulator) -> AppServer:
    """The app pointed at this test's emulator, as it would be at useapi.net with a token."""
    return start_server(USEAPI_TOKEN=DEMO_TOKEN, USEAPI_BASE_URL=emulator.base_url)
