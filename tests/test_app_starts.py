"""The README's run command serves the app: `streamlit run` answers its health check, and a
browser that opens it gets the Create page drawn by the app's scripts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

REPO = Path(__file__).resolve().parent.parent
# Generous: on a busy two-core machine the server, the browser and the first script run
# each take a while. Both stay well inside pytest's per-test timeout.
STARTUP_TIMEOUT = 120.0
RENDER_TIMEOUT_MS = 120_000
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def health(port: int) -> str | None:
    try:
        with NO_PROXY.open(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
            return answer.read().decode()
    except (urllib.error.URLError, OSError):
        return None


def demo_env(data_home: Path) -> dict[str, str]:
    """The machine's environment without a token or database: demo mode, tmp history."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("USEAPI_", "KONTEXTLAB_"))}
    env["XDG_DATA_HOME"] = str(data_home)
    return env


def wait_for_health(process: subprocess.Popen[bytes], port: int) -> str | None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        answer = health(port)
        if answer is not None:
            return answer
        time.sleep(0.25)
    return None


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@dataclass
class Served:
    port: int
    health: str | None
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`streamlit run streamlit_app.py` in demo mode, once for this module's tests."""
    assert (REPO / "streamlit_app.py").is_file(), "streamlit_app.py, the entry point, is missing"
    tmp_path = tmp_path_factory.mktemp("starts")
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py"]
    command += ["--server.headless", "true", "--server.port", str(port)]
    command += ["--browser.gatherUsageStats", "false"]
    log_path = tmp_path / "streamlit.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=demo_env(tmp_path / "data"), stdout=log, stderr=log
        )
    try:
        yield Served(port, wait_for_health(process, port), log_path)
    finally:
        stop(process)


def test_streamlit_run_answers_its_health_check(served: Served) -> None:
    assert served.health == "ok", f"no health answer on port {served.port}:\n{served.log()}"


def expect_create_page(page: Page) -> None:
    """What only the app's scripts draw: the frame's sidebar and demo banner, the Create
    page's title, its Generate button and its Results column; no exception anywhere."""
    wait = {"timeout": RENDER_TIMEOUT_MS}
    expect(page.get_by_role("heading", name="Create", level=1)).to_be_visible(**wait)
    expect(page.get_by_role("button", name="Generate")).to_be_visible(**wait)
    expect(page.get_by_role("heading", name="Results")).to_be_visible(**wait)
    sidebar = page.locator("[data-testid=stSidebar]")
    expect(sidebar.get_by_role("heading", name="Kontext Lab")).to_be_attached(**wait)
    expect(page.get_by_text("Demo mode:")).to_be_visible(**wait)
    expect(page.locator("[data-testid=stException]")).to_have_count(0)


def test_a_browser_gets_the_create_page_drawn(served: Served, browser: Browser) -> None:
    assert served.health == "ok", f"the server never answered:\n{served.log()}"
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(served.url, wait_until="domcontentloaded", timeout=RENDER_TIMEOUT_MS)
        try:
            expect_create_page(page)
        except AssertionError as failure:
            shown = page.locator("body").inner_text()
            raise AssertionError(
                f"{failure}\n--- the page showed ---\n{shown}\n--- server log ---\n{served.log()}"
            ) from None
    finally:
        context.close()
