"""Phones and the History gallery, in demo mode with a few finished jobs: at 390 × 844 no page
scrolls sideways (Create, Edit, History as a table and as a gallery), and the gallery shows
the pictures a Generate made."""

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
    stored_rows,
    wait_idle,
)
from playwright.sync_api import Browser, Locator, Page, expect

pytestmark = pytest.mark.browser

PROMPTS = ("a red lighthouse on a cliff at dusk", "a cat on a sofa", "a blue boat at sea")
PAGES = {
    "create": ("/", None),
    "edit": ("/edit", None),
    "history-table": ("/history", "Table"),
    "history-gallery": ("/history", "Gallery"),
}


@pytest.fixture(scope="module")
def finished_jobs(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppServer]:
    """A demo server where one visitor generated a few pictures and edited one of them."""
    workdir: Path = tmp_path_factory.mktemp("phone")
    env = app_environment(
        workdir,
        KONTEXTLAB_POLL_INTERVAL=POLL_INTERVAL,
        KONTEXTLAB_DEMO_JOB_SECONDS=str(JOB_SECONDS),
    )
    server = AppServer(workdir, env).start()
    context = browser.new_context(viewport=WIDE)
    page = context.new_page()
    open_page(page, server.url)
    for prompt in PROMPTS:
        generate(page, prompt)
        expect_image_loaded(result_image(page, prompt))
        wait_idle(page)
    page.get_by_role("button", name=re.compile(r"Edit this$")).first.click()
    expect(page).to_have_url(re.compile(r"/edit$"))
    apply_edit(page, "make it a stormy night", "low angle")
    expect_edit_done(page, 1)
    server.storage_state = context.storage_state()  # type: ignore[attr-defined]
    context.close()
    yield server
    server.stop()


def show_view(page: Page, view: str) -> None:
    """Pick "Table" or "Gallery" in History's view switch."""
    choice = page.get_by_role("radio", name=view, exact=True)
    expect(choice).to_be_visible()
    choice.click()
    wait_idle(page)


def sideways_overflow(page: Page) -> int:
    """How many pixels the document, or the main area Streamlit scrolls in, is wider than the
    window (0 when nothing scrolls sideways)."""
    return int(
        page.evaluate(
            "() => { const m = document.querySelector('[data-testid=stMain]');"
            " return Math.max(0, document.documentElement.scrollWidth - window.innerWidth,"
            " m.scrollWidth - m.clientWidth); }"
        )
    )


def gallery_pictures(page: Page) -> Locator:
    return page.locator("[class*=st-key-history_tile_] [data-testid=stImage] img")


@pytest.mark.parametrize("name", PAGES)
def test_nothing_scrolls_sideways_on_a_phone(
    browser: Browser, finished_jobs: AppServer, name: str
) -> None:
    path, view = PAGES[name]
    context = browser.new_context(
        viewport=PHONE,
        storage_state=finished_jobs.storage_state,  # type: ignore[attr-defined]
    )
    page = context.new_page()
    try:
        open_page(page, finished_jobs.url + path)
        if view:
            expect(page.get_by_text("Filters", exact=True)).to_be_visible()
            show_view(page, view)
        if view == "Gallery":
            expect_image_loaded(gallery_pictures(page).first)
        elif view == "Table":
            expect(page.locator("[data-testid=stDataFrame]")).to_be_visible()
        else:
            expect_image_loaded(page.locator("[data-testid=stImage] img").first)
        wait_idle(page)
        full_screenshot(page, f"phone-{name}")
        no_exceptions(page)
        assert sideways_overflow(page) == 0, f"{name} scrolls sideways at 390 px"
    finally:
        context.close()


def test_the_gallery_shows_the_pictures_a_generate_made(
    browser: Browser, finished_jobs: AppServer
) -> None:
    context = browser.new_context(
        viewport=WIDE,
        storage_state=finished_jobs.storage_state,  # type: ignore[attr-defined]
    )
    page = context.new_page()
    try:
        open_page(page, finished_jobs.url + "/history")
        show_view(page, "Gallery")
        pictures = gallery_pictures(page)
        made = len(stored_rows(finished_jobs))
        expect(pictures).to_have_count(made)  # three creates and the edit, all finished
        for n in range(made):
            expect_image_loaded(pictures.nth(n))
        newest = stored_rows(finished_jobs)[0]
        first_tile = page.locator(f".st-key-history_tile_{newest.id}")
        expect(first_tile).to_contain_text("make it a stormy")  # the prompt, cut to one line
        first_tile.get_by_role("button", name="Open").click()
        wait_idle(page)
        expect(page.get_by_role("heading", name="Edit · completed")).to_be_visible()
        expect(first_tile.get_by_role("button", name="Shown below")).to_be_visible()
        full_screenshot(page, "gallery-wide-open")
        no_exceptions(page)
    finally:
        context.close()
