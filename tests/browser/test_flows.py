"""What a user does in a real browser: create, download, edit twice, find it all in History."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from browser_support import (
    AppServer,
    apply_edit,
    expect_edit_done,
    expect_image_loaded,
    full_screenshot,
    generate,
    nav,
    no_exceptions,
    open_page,
    result_image,
    select_table_row,
    wait_idle,
)
from PIL import Image
from playwright.sync_api import Page, TimeoutError as PlaywrightTimeoutError, expect

pytestmark = pytest.mark.browser

PROMPT = "a red fox in the snow"
EXTENSIONS = {"PNG": (".png",), "JPEG": (".jpg", ".jpeg"), "WEBP": (".webp",)}


def download_result(page: Page, folder: Path) -> Path:
    """Click Download and save the file. The picture's bytes are made on the click, by a
    script run; a rerun that starts at that moment (the results panel's last tick) can
    swallow the click, as it can a dropdown's, so a click that starts no download is
    repeated (each attempt waits 20 s)."""
    for attempt in range(3):
        wait_idle(page)
        try:
            with page.expect_download(timeout=20_000) as info:
                page.get_by_role("button", name="Download").first.click()
            break
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path


def assert_is_image(path: Path) -> None:
    data = path.read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
        kind = image.format
    assert kind in EXTENSIONS, kind
    assert path.suffix.lower() in EXTENSIONS[kind], f"{path.name} holds a {kind} image"


def edit_latest(page: Page, prompt: str, angle: str, step: int) -> None:
    """'Edit this' on the newest result card, then an edit with a shot angle."""
    page.get_by_role("button", name=re.compile(r"Edit this$")).first.click()
    expect(page).to_have_url(re.compile(r"/edit$"))
    expect(page.get_by_role("heading", name="Edit", level=1)).to_be_visible()
    source_kind = "create" if step == 1 else "edit"
    expect(page.get_by_role("combobox", name="Result")).to_have_value(
        re.compile(f" · {source_kind} · ")
    )
    wait_idle(page)
    apply_edit(page, prompt, angle)
    expect_edit_done(page, step)


def test_demo_create_download_edit_chain_and_history(
    page: Page, demo_server: AppServer, tmp_path: Path
) -> None:
    open_page(page, demo_server.url)
    expect(page.get_by_text("Demo mode:")).to_be_visible()
    generate(page, PROMPT)
    expect_image_loaded(result_image(page, PROMPT))
    wait_idle(page)
    assert_is_image(download_result(page, tmp_path))

    edit_latest(page, "make it night", "low angle", 1)
    compare = page.locator("[data-testid=stImage]")
    expect(compare.filter(has_text="Before")).to_be_visible()
    expect(compare.filter(has_text="After")).to_be_visible()
    expect(page.get_by_text("Original (create) → Edit 1", exact=True)).to_be_visible()

    edit_latest(page, "add falling snow", "overhead", 2)
    expect(page.get_by_text("Original (create) → Edit 1 → Edit 2", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"overhead · seed \d+"))).to_be_visible()
    no_exceptions(page)

    nav(page, "History")
    expect(page.get_by_text(re.compile(r"^Showing .*\b3 (matching )?jobs"))).to_be_visible()
    select_table_row(page, 0)
    expect(page.get_by_role("heading", name=re.compile(r"^Edit · completed"))).to_be_visible()
    expect_image_loaded(result_image(page, "add falling snow"))
    page.get_by_role("button", name="Refresh link").click()
    expect(page.get_by_text(re.compile(r"The link was refreshed"))).to_be_visible()
    no_exceptions(page)
    full_screenshot(page, "flow-history-detail")


def test_deep_link_on_a_fresh_server_shows_the_app_frame(
    page: Page, demo_server: AppServer
) -> None:
    # The very first page request this server sees is a deep link (see DESIGN.md).
    open_page(page, demo_server.url + "/history")
    expect(page).to_have_url(re.compile(r"/history$"))
    expect(page.locator("[data-testid=stTopNavLink]")).to_contain_text(
        ["Create", "Edit", "History"]
    )
    expect(page.locator("[data-testid=stSidebarNav]")).to_have_count(0)
    sidebar = page.locator("[data-testid=stSidebar]")
    expect(sidebar.get_by_role("heading", name="Connection")).to_be_visible()
    expect(sidebar.get_by_role("textbox", name="useapi.net API token")).to_be_visible()
    expect(page.get_by_role("heading", name="History", level=1)).to_be_visible()
    no_exceptions(page)
    nav(page, "Create")
    expect(page).to_have_url(re.compile(r"/create$|/$"))
