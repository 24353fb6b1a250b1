"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

# ---------------------------------------------------------------- emulator fixture
# A started emulator with fast jobs. Override knobs per test with
# @pytest.mark.parametrize("emulator", [{"max_jobs": 1}], indirect=True).
from kontextlab.emulator import Emulator, EmulatorConfig
from tests.browser.browser_support import launch_chromium, require_chromium


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    knobs = {"job_seconds": 0.2, "poll_tick": 0.05, **getattr(request, "param", {})}
    emu = Emulator(EmulatorConfig(**knobs))
    emu.start()
    yield emu
    emu.stop()


# ---------------------------------------------------------------- end of emulator fixture


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium, one for the whole run: Playwright's sync API allows one driver per
    thread, so every test that needs a browser (here and in tests/browser) shares it."""
    require_chromium()
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()
