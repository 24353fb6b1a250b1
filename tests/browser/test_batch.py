"""Several pictures per click and every look at once, in a real browser against the demo:
the requests the server sent, the seeds, and the pictures shown together (with screenshots
at desktop and phone widths)."""

from __future__ import annotations

import re

from browser_support import (
    PHONE,
    WIDE,
    AppServer,
    expect_image_loaded,
    full_screenshot,
    no_exceptions,
    open_page,
    stored_rows,
    wait_idle,
)
from playwright.sync_api import Page, expect

from components.look_grid import look_name
from kontextlab.providers.ltx import LtxRules

LOOKS = LtxRules().capabilities.looks


def per_click(page: Page, count: int) -> None:
    group = page.get_by_role("radiogroup", name="Pictures per click")
    group.get_by_role("radio", name=str(count), exact=True).click()
    wait_idle(page)


def phone(page: Page) -> None:
    """A phone's width; the sidebar, left open from the desktop width, is closed as a phone
    shows the page at first."""
    page.set_viewport_size(PHONE)
    wait_idle(page)
    close = page.get_by_role("button", name="Collapse sidebar")
    if close.count():
        close.first.evaluate("button => button.click()")  # shown on hover only
        sidebar = page.locator("[data-testid=stSidebar]")
        expect(sidebar).to_have_attribute("data-collapsed", "true")
        page.wait_for_timeout(800)  # the sidebar's slide out


def test_a_batch_of_four_in_demo_mode(page: Page, demo_server: AppServer) -> None:
    open_page(page, demo_server.url)
    per_click(page, 4)
    expect(page.get_by_text(re.compile(r"^4 pictures: \d+ credits"))).to_be_visible()
    page.get_by_role("textbox", name="Prompt").fill("A lighthouse on a cliff")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_text("4 pictures from one click")).to_be_visible(timeout=60_000)
    grid = page.locator("[data-testid=stImage]").filter(has_text="A lighthouse on a cliff")
    expect(grid).to_have_count(4, timeout=60_000)
    for n in range(4):
        expect_image_loaded(grid.nth(n).locator("img"))
    rows = stored_rows(demo_server, "create")
    assert len(rows) == 4, "four requests, one row each"
    assert len({r.job_id for r in rows}) == 4 and None not in {r.job_id for r in rows}
    seeds = sorted(r.seed for r in rows if r.seed is not None)
    assert seeds == list(range(seeds[0], seeds[0] + 4)), seeds
    assert len({r.batch_id for r in rows}) == 1 and rows[0].batch_id
    for seed in seeds:
        expect(page.get_by_text(re.compile(rf"seed {seed}\b")).first).to_be_visible()
    no_exceptions(page)
    full_screenshot(page, "batch-of-four-1280")
    phone(page)
    full_screenshot(page, "batch-of-four-390")
    page.set_viewport_size(WIDE)


def test_every_look_in_demo_mode(page: Page, demo_server: AppServer) -> None:
    open_page(page, demo_server.url)
    page.get_by_role("textbox", name="Prompt").fill("A red bicycle")
    page.get_by_role("button", name="Try every look").click()
    send = page.get_by_role("button", name="Send 17 pictures")
    expect(send).to_be_visible()
    expect(page.get_by_text("17 pictures, one per look.")).to_be_visible()
    assert stored_rows(demo_server) == [], "nothing is sent before the confirmation"
    send.click()
    expect(page.get_by_text("Every look · 17 of 17 ready")).to_be_visible(timeout=120_000)
    cells = page.locator("[data-testid=stImage]")
    for name in ("None", *(look_name(s) for s in LOOKS)):
        image = cells.filter(has_text=re.compile(rf"^{re.escape(name)}$"))
        expect(image).to_have_count(1)
        expect_image_loaded(image.locator("img"))
    rows = stored_rows(demo_server, "create")
    assert len(rows) == 17 and len({r.batch_id for r in rows}) == 1
    assert sorted(r.request.get("style", "") for r in rows) == sorted(["", *LOOKS])
    no_exceptions(page)
    full_screenshot(page, "every-look-1280")
    phone(page)
    full_screenshot(page, "every-look-390")
    page.set_viewport_size(WIDE)
