"""Two strangers on one deployment, each in their own browser: neither sees the other's
pictures, a reload keeps your own, a team history is shared on purpose, and a daily limit
refuses before anything is sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_support import (
    WIDE,
    AppServer,
    expect_image_loaded,
    generate,
    nav,
    no_exceptions,
    open_page,
    result_image,
    wait_idle,
)
from playwright.sync_api import Browser, Page, expect

from kontextlab.emulator import DEMO_TOKEN, Emulator

pytestmark = pytest.mark.browser

CREATE = "images/flux-create"


@pytest.fixture
def stranger(browser: Browser) -> Iterator[Page]:
    """A second visitor: another browser profile, so another localStorage."""
    context = browser.new_context(viewport=WIDE)
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def make(page: Page, prompt: str) -> None:
    generate(page, prompt)
    expect_image_loaded(result_image(page, prompt))
    wait_idle(page)


def sees_nothing_of(page: Page, prompt: str) -> None:
    for title in ("Edit", "History", "Create"):
        nav(page, title)
        expect(page.get_by_text(prompt)).to_have_count(0)
        no_exceptions(page)


def check_two_visitors(server: AppServer, page: Page, stranger: Page) -> None:
    prompt = "visitor A's private lighthouse"
    open_page(page, server.url)
    make(page, prompt)
    open_page(stranger, server.url)
    sees_nothing_of(stranger, prompt)
    expect(stranger.get_by_text("Nothing yet. Type a prompt")).to_be_visible()
    page.reload()
    wait_idle(page, timeout=60_000)
    expect_image_loaded(result_image(page, prompt))  # A keeps their history after a reload


def test_demo_visitors_see_only_their_own_pictures(
    page: Page, stranger: Page, demo_server: AppServer
) -> None:
    check_two_visitors(demo_server, page, stranger)


def test_deployer_token_visitors_see_only_their_own_pictures(
    page: Page, stranger: Page, api_server: AppServer
) -> None:
    check_two_visitors(api_server, page, stranger)
    expect(stranger.get_by_text("demo@kontextlab.app")).to_have_count(0)


def test_a_team_history_is_shared_on_purpose(
    page: Page, stranger: Page, start_server, emulator: Emulator
) -> None:
    server = start_server(
        USEAPI_TOKEN=DEMO_TOKEN,
        USEAPI_BASE_URL=emulator.base_url,
        KONTEXTLAB_SHARED_HISTORY="true",
    )
    open_page(page, server.url)
    make(page, "our team's lighthouse")
    open_page(stranger, server.url)
    expect_image_loaded(result_image(stranger, "our team's lighthouse"))


def test_a_daily_limit_of_two_refuses_the_third_click_and_sends_nothing(
    page: Page, start_server, emulator: Emulator
) -> None:
    server = start_server(
        USEAPI_TOKEN=DEMO_TOKEN,
        USEAPI_BASE_URL=emulator.base_url,
        KONTEXTLAB_VISITOR_DAILY_LIMIT="2",
    )
    open_page(page, server.url)
    expect(page.get_by_text("2 of 2 images left today.").first).to_be_visible()
    make(page, "the first of two")
    make(page, "the second of two")
    expect(page.get_by_text("0 of 2 images left today.").first).to_be_visible()
    generate(page, "one too many")
    refusal = page.locator("[data-testid=stAlertContentError]")
    expect(refusal.filter(has_text="you have used all 2 of today's images")).to_be_visible()
    wait_idle(page)
    assert emulator.calls(CREATE, "POST") == 2
    expect(page.locator("[data-testid=stImage]").filter(has_text="one too many")).to_have_count(0)
    no_exceptions(page)
