"""Compare two results in a real browser (demo mode): two pictures whose prompts differ in one
word, two rows ticked in History, and the diff marks the changed word; then the same pair
through "Compare with…" on a result card."""

from __future__ import annotations

import pytest
from browser_support import (
    PHONE,
    WIDE,
    AppServer,
    expect_image_loaded,
    full_screenshot,
    generate,
    nav,
    no_exceptions,
    open_page,
    pick_option,
    result_image,
    select_table_row,
    wait_idle,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

FIRST = "a red fox in the snow"
SECOND = "a grey fox in the snow"


def test_two_history_rows_compare_with_the_changed_word_marked(
    page: Page, demo_server: AppServer
) -> None:
    open_page(page, demo_server.url)
    for prompt in (FIRST, SECOND):
        generate(page, prompt)
        expect_image_loaded(result_image(page, prompt))
        wait_idle(page)

    nav(page, "History")
    expect(page.get_by_text("Select two to compare them.")).to_be_visible()
    select_table_row(page, 0)
    expect(page.get_by_role("heading", name="Create · completed")).to_be_visible()
    wait_idle(page)
    select_table_row(page, 1)
    expect(page.get_by_role("heading", name="Comparing two results")).to_be_visible()
    wait_idle(page)

    diff = page.locator("[data-testid=prompt-diff]")
    expect(diff.locator("del")).to_have_text(["red"])
    expect(diff.locator("ins")).to_have_text(["grey"])
    assert diff.locator("del").evaluate("e => getComputedStyle(e).textDecorationLine") == (
        "line-through"
    )
    expect(diff).to_contain_text("fox in the snow")
    for label in ("A · create", "B · create"):
        expect_image_loaded(result_image(page, label))
    settings = page.locator("[data-testid=settings-diff]")
    expect(settings.locator("tbody th")).to_have_text(["Seed"])  # the demo draws each seed
    no_exceptions(page)
    full_screenshot(page, "compare-history-1280")

    page.get_by_role("tab", name="Wipe").click()
    wipe = page.frame_locator("iframe").first.get_by_role("slider", name="Wipe between A and B")
    expect(wipe).to_be_visible()

    page.set_viewport_size(PHONE)
    page.get_by_role("tab", name="Side by side").click()
    expect(diff.locator("ins")).to_have_text(["grey"])
    width = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollWidth")
    assert width <= PHONE["width"], "nothing widens the phone page"
    full_screenshot(page, "compare-history-390")
    page.set_viewport_size(WIDE)

    # "Compare with…" on the newest card: the popover's picker opens the comparison.
    nav(page, "Create")
    page.get_by_role("button", name="Compare with…").first.click()
    pick_option(page, "Compare with", FIRST, stays=False)  # the popover shuts on a pick
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("[data-testid=prompt-diff] del")).to_have_text(["red"])
    expect(dialog.locator("[data-testid=prompt-diff] ins")).to_have_text(["grey"])
    expect(page.get_by_role("combobox", name="Compare with")).to_have_count(0)  # popover shut
    dialog.get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    wait_idle(page)
    no_exceptions(page)
