"""Black Forest Labs in a real browser, in the demo: create, then edit the result; the edit's
stored request carries the source picture as base64. Screenshots of Create with BFL."""

from __future__ import annotations

import re

import pytest
from browser_support import (
    PHONE,
    WIDE,
    AppServer,
    expect_edit_done,
    expect_image_loaded,
    full_screenshot,
    generate,
    no_exceptions,
    open_page,
    result_image,
    stored_image,
    stored_rows,
    wait_idle,
)
from playwright.sync_api import Page, expect

from kontextlab.providers.bfl.rules import encoded_picture

pytestmark = pytest.mark.browser

PROMPT = "a lighthouse in the fog"


def choose_bfl(page: Page) -> None:
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.get_by_text("Black Forest Labs", exact=True).click()
    expect(sidebar.get_by_role("textbox", name="Black Forest Labs API key")).to_be_visible()
    wait_idle(page)


def test_demo_bfl_create_then_edit_sends_the_source_picture(
    page: Page, demo_server: AppServer
) -> None:
    page.set_viewport_size(WIDE)
    open_page(page, demo_server.url)
    choose_bfl(page)
    expect(page.get_by_text("One picture: 4 credits ($0.04)", exact=False)).to_be_visible()
    expect(page.get_by_role("slider", name="Safety filter")).to_be_visible()
    expect(page.get_by_text("Look", exact=True)).to_have_count(0)
    full_screenshot(page, "bfl-create-wide")

    generate(page, PROMPT)
    expect_image_loaded(result_image(page, PROMPT))
    wait_idle(page)
    no_exceptions(page)
    created = stored_rows(demo_server, "create")[0]
    assert created.provider == "bfl" and created.status == "completed", created.message
    assert "input_image" not in created.request and isinstance(created.request["seed"], int)
    page.set_viewport_size(PHONE)
    wait_idle(page)
    # A narrow window slides the sidebar away: wait until it is closed.
    expect(page.locator("[data-testid=stSidebar]")).to_have_attribute("data-collapsed", "true")
    page.wait_for_timeout(800)  # the slide's animation
    full_screenshot(page, "bfl-create-phone")
    page.set_viewport_size(WIDE)
    wait_idle(page)

    page.get_by_role("button", name=re.compile(r"Edit this$")).first.click()
    expect(page).to_have_url(re.compile(r"/edit$"))
    expect(page.get_by_role("combobox", name="Result")).to_have_value(re.compile(" · create · "))
    wait_idle(page)
    page.get_by_role("textbox", name="What should change?").fill("make it night")
    page.get_by_role("button", name="Apply edit").click()
    expect_edit_done(page, 1)
    no_exceptions(page)
    edit = stored_rows(demo_server, "edit")[0]
    assert edit.provider == "bfl" and edit.status == "completed", edit.message
    assert edit.parent_id == created.id
    source = stored_image(demo_server, created)
    assert source and edit.request["input_image"] == encoded_picture(source)
