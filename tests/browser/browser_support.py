"""Helpers for the browser tests and the UX benchmark: a `streamlit run` server on a free
loopback port, Debian's chromium, and waits that follow Streamlit's own script state."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from playwright.sync_api import (
    Browser,
    Locator,
    Page,
    Playwright,
    TimeoutError as PlaywrightTimeoutError,
    expect,
)

from kontextlab.history import HistoryStore, JobRecord, jobs

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screenshots"
DEFAULT_CHROMIUM = "/usr/bin/chromium"  # Debian's package; override with CHROMIUM_PATH
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Short jobs and quick status checks keep the suite fast.
JOB_SECONDS = 1.0
POLL_TICK = 0.2
POLL_INTERVAL = "0.2"
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# Environment the app reads; cleared so the developer's own settings never leak in.
APP_VARIABLES = (
    "USEAPI_TOKEN",
    "USEAPI_BASE_URL",
    "USEAPI_EMAIL",
    "BFL_API_KEY",
    "BFL_BASE_URL",
    "KONTEXTLAB_DATABASE_URL",
    "KONTEXTLAB_POLL_INTERVAL",
    "KONTEXTLAB_DEMO_JOB_SECONDS",
    "KONTEXTLAB_ACCOUNT_SECRET",
)


def chromium_path() -> str:
    return os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM


def require_chromium() -> str:
    """The chromium to drive. Without one a test is skipped, or fails when the environment
    variable CI is set: CI installs chromium, so a missing one there is a broken setup."""
    path = chromium_path()
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    problem = f"no chromium at {path} (install Debian's chromium, or set CHROMIUM_PATH)"
    if os.environ.get("CI"):
        pytest.fail(f"{problem}; CI is set, so this is an error, not a skip", pytrace=False)
    pytest.skip(problem)


def launch_chromium(playwright: Playwright) -> Browser:
    # Generous: a busy two-core machine can take a while to start a browser.
    return playwright.chromium.launch(
        executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True, timeout=120_000
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_environment(workdir: Path, **settings: str) -> dict[str, str]:
    """A clean environment for one app server: its own database and data folder."""
    env = {k: v for k, v in os.environ.items() if k not in APP_VARIABLES}
    env["KONTEXTLAB_DATABASE_URL"] = f"sqlite:///{workdir / 'history.sqlite3'}"
    env["XDG_DATA_HOME"] = str(workdir / "data")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings)
    return env


class AppServer:
    """`streamlit run streamlit_app.py` on a free loopback port, stopped by `stop()`."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env
        self.port = free_port()
        self.log_path = workdir / f"streamlit-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 60.0) -> AppServer:
        command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "streamlit_app.py",
            "--server.headless=true",
            f"--server.port={self.port}",
            "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false",
            # Other people edit the sources while tests run: no "source changed" prompts.
            "--server.fileWatcherType=none",
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_healthy(timeout)
        return self

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited early:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/_stcore/health", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"streamlit did not start in {timeout:.0f} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def rss_kib(self) -> int:
        """Resident memory of the server process (VmRSS from /proc), in KiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS line")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def wait_idle(page: Page, timeout: float = 30_000) -> None:
    """Wait until Streamlit reports that no script run is in progress."""
    expect(page.locator(IDLE)).to_have_count(1, timeout=timeout)


def open_page(page: Page, url: str) -> None:
    """Open the app and wait for a page of it: the first run of a new browser session only
    asks who the visitor is, and the page itself is drawn by the run after it."""
    page.goto(url)
    expect(page.locator("[data-testid=stMain] h1").first).to_be_visible(timeout=60_000)
    wait_idle(page, timeout=60_000)


def no_exceptions(page: Page) -> None:
    expect(page.locator("[data-testid=stException]")).to_have_count(0)


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def full_screenshot(page: Page, name: str) -> Path:
    """The whole page: Streamlit scrolls inside its main block, so the viewport is made as
    tall as the content for the shot, then put back."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    viewport = page.viewport_size or WIDE
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": viewport["width"], "height": max(height, viewport["height"])})
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    page.set_viewport_size(viewport)
    return path


# ---------------------------------------------------------------- what a user does


def nav(page: Page, title: str) -> None:
    """Click one of the app's own top navigation links."""
    page.locator("[data-testid=stTopNavLink]").filter(has_text=title).click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    wait_idle(page)


def generate(page: Page, prompt: str) -> None:
    page.get_by_role("textbox", name="Prompt").fill(prompt)
    page.get_by_role("button", name="Generate").click()


def result_image(page: Page, caption: str) -> Locator:
    """The picture of a result card, found by its caption (the prompt)."""
    return page.locator("[data-testid=stImage]").filter(has_text=caption).locator("img").first


def expect_image_loaded(image: Locator, timeout: float = 30_000) -> None:
    expect(image).to_be_visible(timeout=timeout)
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0


def pick_option(page: Page, label: str, option: str, *, stays: bool = True) -> None:
    """Choose in an st.selectbox. A rerun can re-mount the widget and swallow the click that
    opens it, so opening is retried until the option shows. `stays=False`: the pick closes
    what holds the box (a popover), so its value is not read back."""
    box = page.get_by_role("combobox", name=label)
    starts = re.compile(f"^{re.escape(option)}")  # the option's text, or its start
    choice = page.get_by_role("option").filter(has_text=starts).first
    for _attempt in range(10):
        wait_idle(page)
        box.click()
        try:
            choice.wait_for(state="visible", timeout=2_000)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
    choice.click()
    if stays:
        expect(box).to_have_value(starts)
    wait_idle(page)


def apply_edit(page: Page, prompt: str, angle: str) -> None:
    # The angle first: a pending text edit would rerun the page and close the dropdown.
    pick_option(page, "Shot angle", angle)
    page.get_by_role("textbox", name="What should change?").fill(prompt)
    page.get_by_role("button", name="Apply edit").click()


def expect_edit_done(page: Page, step: int) -> None:
    """The Edit page shows a finished edit: its step in the lineage, the after picture."""
    expect(page.get_by_text(f"Edit {step} · current", exact=True)).to_be_visible()
    after = page.locator("[data-testid=stImage]").filter(has_text="After").locator("img")
    expect_image_loaded(after)
    wait_idle(page)


def select_table_row(page: Page, index: int, row_height: int = 56, header: int = 35) -> None:
    """Tick a row's selection checkbox in an st.dataframe (a canvas grid: click by position)."""
    grid = page.locator("[data-testid=stDataFrame]")
    expect(grid).to_be_visible()
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 16, box["y"] + header + row_height * index + row_height / 2)


# ---------------------------------------------------------------- what the server recorded


def stored_rows(server: AppServer, kind: str | None = None) -> list[JobRecord]:
    """Every job the server recorded, newest first, whichever visitor made it: browsers keep
    random visitor ids, so a test reads the whole table rather than one scope."""
    store = HistoryStore(server.env["KONTEXTLAB_DATABASE_URL"])
    query = sa.select(jobs).order_by(jobs.c.created_at.desc(), jobs.c.id)
    if kind:
        query = query.where(jobs.c.kind == kind)
    try:
        with store.engine.connect() as conn:
            return [JobRecord.from_row(r) for r in conn.execute(query).mappings()]
    finally:
        store.close()


def stored_image(server: AppServer, record: JobRecord) -> bytes | None:
    store = HistoryStore(server.env["KONTEXTLAB_DATABASE_URL"])
    try:
        return store.image(record.id, record.account_key)
    finally:
        store.close()
