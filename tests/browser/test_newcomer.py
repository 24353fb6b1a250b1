"""A newcomer in demo mode: the first visit shows example prompts and one click fills the
box; the form speaks plain words until developer options are turned on. Screenshots of
Create and Edit, wide and phone-sized, with developer options off and on, go to
artifacts/screenshots/ for people to look at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_support import (
    ARTIFACTS,
    PHONE,
    WIDE,
    AppServer,
    full_screenshot,
    nav,
    no_exceptions,
    open_page,
    wait_idle,
)
from playwright.sync_api import Page, expect

from components.examples import CREATE_EXAMPLES, EDIT_EXAMPLES, FIRST_VISIT
from kontextlab.providers.ltx.requests import STYLES

pytestmark = pytest.mark.browser

# Words of the APIs that an everyday page never shows.
API_WORDS = re.compile(r"pollForResult|maxJobs|replyUrl|replyRef|webhook_url|\bcurl\b")


def screenshot_path(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"


def main_text(page: Page) -> str:
    return page.locator("[data-testid=stMain]").inner_text()


def horizontal_overflow(page: Page) -> int:
    """How many pixels the main area is wider than the window (0 when it fits)."""
    return int(
        page.evaluate(
            "() => { const m = document.querySelector('[data-testid=stMain]');"
            " return Math.max(0, m.scrollWidth - m.clientWidth); }"
        )
    )


def set_developer_options(page: Page, on: bool) -> None:
    """Flip the sidebar's switch (opening the sidebar first on a phone)."""
    sidebar = page.locator("[data-testid=stSidebar]")
    expand = page.locator("[data-testid=stExpandSidebarButton]")
    if expand.is_visible():  # a collapsed sidebar (a phone's starts so)
        expand.click()
        expect(sidebar.get_by_text("Developer options", exact=True)).to_be_in_viewport()
    switch = sidebar.get_by_role("switch", name="Developer options")
    if switch.is_checked() != on:
        sidebar.get_by_text("Developer options", exact=True).click()
        expect(switch).to_be_checked(checked=on)
    wait_idle(page)
    if (page.viewport_size or WIDE)["width"] < WIDE["width"]:  # a phone: close it again
        page.get_by_role("button", name="Collapse sidebar").dispatch_event("click")
        expect(sidebar.get_by_text("Developer options", exact=True)).not_to_be_in_viewport()
        wait_idle(page)


def test_a_first_visit_shows_examples_and_one_click_fills_the_prompt(
    page: Page, demo_server: AppServer
) -> None:
    open_page(page, demo_server.url)
    expect(page.get_by_text(FIRST_VISIT["create"])).to_be_visible()
    for text in CREATE_EXAMPLES:
        expect(page.get_by_role("button", name=text, exact=True)).to_be_visible()
    page.get_by_role("button", name=CREATE_EXAMPLES[0], exact=True).click()
    expect(page.get_by_role("textbox", name="Prompt")).to_have_value(CREATE_EXAMPLES[0])
    wait_idle(page)
    # With a prompt in the box, the examples wait behind a button.
    expect(page.get_by_text(FIRST_VISIT["create"])).to_have_count(0)
    page.get_by_role("button", name="Try an example").click()
    page.get_by_role("button", name=CREATE_EXAMPLES[2], exact=True).click()
    expect(page.get_by_role("textbox", name="Prompt")).to_have_value(CREATE_EXAMPLES[2])
    wait_idle(page)
    nav(page, "Edit")
    expect(page.get_by_text(FIRST_VISIT["edit"])).to_be_visible()
    page.get_by_role("button", name=EDIT_EXAMPLES[0], exact=True).click()
    box = page.get_by_role("textbox", name="What should change?")
    expect(box).to_have_value(EDIT_EXAMPLES[0])
    no_exceptions(page)


def test_everyday_words_and_developer_options_on_each_page_and_size(
    page: Page, demo_server: AppServer
) -> None:
    for name, size in (("wide", WIDE), ("phone", PHONE)):
        page.set_viewport_size(size)
        for title, path in (("Create", "/"), ("Edit", "/edit")):
            open_page(page, demo_server.url + path)
            for developer in (False, True):
                set_developer_options(page, developer)
                text = main_text(page)
                if developer:
                    expect(page.get_by_text("For developers", exact=True)).to_be_visible()
                    expect(page.get_by_text("Show request", exact=True)).to_be_visible()
                else:
                    assert not API_WORDS.findall(text), API_WORDS.findall(text)
                    assert "For developers" not in text and "Show request" not in text
                if title == "Create":  # the chosen look's preview, beside its sentence
                    expect(page.get_by_role("img", name="None")).to_be_visible()
                assert horizontal_overflow(page) == 0, f"{title} scrolls sideways at {name}"
                no_exceptions(page)
                dev = "on" if developer else "off"
                full_screenshot(page, f"newcomer-{title.lower()}-{name}-dev-{dev}")


def test_every_look_can_be_seen_and_picked_on_a_phone(page: Page, demo_server: AppServer) -> None:
    page.set_viewport_size(PHONE)
    open_page(page, demo_server.url)
    expect(page.get_by_role("img", name="None")).to_be_visible()
    page.get_by_role("button", name="See all looks").click()
    body = page.locator("[data-testid=stPopoverBody]")
    expect(body.locator("img")).to_have_count(1 + len(STYLES))
    for img in body.locator("img").all():
        expect(img).to_have_js_property("complete", True)
        assert img.evaluate("i => i.naturalWidth") == 256
    wait_idle(page)
    page.screenshot(path=str(screenshot_path("newcomer-looks-phone")))
    assert horizontal_overflow(page) == 0
    body.get_by_role("button", name="Film noir", exact=True).click()
    expect(page.get_by_role("combobox", name="Look")).to_have_value("Film noir")
    expect(page.get_by_role("img", name="Film noir")).to_be_visible()
    expect(page.get_by_text("black and white, with hard light")).to_be_visible()
    no_exceptions(page)
