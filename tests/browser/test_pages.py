"""Every page, wide and phone-sized, with results in it: no exception anywhere; screenshots
go to artifacts/screenshots/ for people to look at."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import (
    JOB_SECONDS,
    PHONE,
    POLL_INTERVAL,
    WIDE,
    AppServer,
    app_environment,
    apply_edit,
    expect_edit_done,
    expect_image_loaded,
    full_screenshot,
    generate,
    no_exceptions,
    open_page,
    result_image,
    screenshot,
    select_table_row,
    wait_idle,
)
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

PAGES = {"create": "/", "edit": "/edit", "history": "/history"}
SIZES = {"wide": WIDE, "phone": PHONE}


def populate(page: Page, url: str) -> None:
    """One create and one edit of it, as a user makes them."""
    open_page(page, url)
    generate(page, "a lighthouse on a cliff at dusk")
    expect_image_loaded(result_image(page, "a lighthouse on a cliff at dusk"))
    wait_idle(page)
    page.get_by_role("button", name=re.compile(r"Edit this$")).first.click()
    expect(page).to_have_url(re.compile(r"/edit$"))
    apply_edit(page, "make it a stormy night", "low angle")
    expect_edit_done(page, 1)


@pytest.fixture(scope="module")
def populated_server(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppServer]:
    workdir: Path = tmp_path_factory.mktemp("pages")
    env = app_environment(
        workdir,
        KONTEXTLAB_POLL_INTERVAL=POLL_INTERVAL,
        KONTEXTLAB_DEMO_JOB_SECONDS=str(JOB_SECONDS),
    )
    server = AppServer(workdir, env).start()
    context = browser.new_context(viewport=WIDE)
    page = context.new_page()
    for name, path in PAGES.items():
        open_page(page, server.url + path)
        screenshot(page, f"empty-{name}-wide")
    populate(page, server.url)
    # The same visitor comes back in each test: their browser keeps the visitor id.
    server.storage_state = context.storage_state()  # type: ignore[attr-defined]
    context.close()
    yield server
    server.stop()


def horizontal_overflow(page: Page) -> int:
    """How many pixels the main area is wider than the window (0 when it fits)."""
    return int(
        page.evaluate(
            "() => { const m = document.querySelector('[data-testid=stMain]');"
            " return Math.max(0, m.scrollWidth - m.clientWidth); }"
        )
    )


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_without_exceptions(
    browser: Browser, populated_server: AppServer, name: str, size: str
) -> None:
    context = browser.new_context(
        viewport=SIZES[size],
        storage_state=populated_server.storage_state,  # type: ignore[attr-defined]
    )
    page = context.new_page()
    try:
        open_page(page, populated_server.url + PAGES[name])
        if name == "history":
            select_table_row(page, 0)
            expect(page.get_by_role("button", name="Refresh link")).to_be_visible()
            wait_idle(page)
        expect(page.locator("[data-testid=stImage] img").first).to_be_visible()
        no_exceptions(page)
        screenshot(page, f"{name}-{size}")
        full_screenshot(page, f"{name}-{size}-full")
        assert horizontal_overflow(page) == 0, f"{name} at {size} scrolls sideways"
        no_exceptions(page)
    finally:
        context.close()


def test_sidebar_opens_on_a_phone(browser: Browser, populated_server: AppServer) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        open_page(page, populated_server.url)
        page.get_by_test_id("stExpandSidebarButton").click()
        sidebar = page.locator("[data-testid=stSidebar]")
        expect(sidebar.get_by_role("heading", name="Connection")).to_be_visible()
        page.wait_for_function(  # the sidebar slides in: wait until it is all on screen
            "() => document.querySelector('[data-testid=stSidebar]')"
            ".getBoundingClientRect().left >= 0"
        )
        screenshot(page, "sidebar-phone")
        no_exceptions(page)
    finally:
        context.close()
