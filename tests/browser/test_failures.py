"""When the service says no, or is in trouble, or the user clicks around: what the page shows
and how each job ends, in a real browser against a scripted emulator."""

from __future__ import annotations

import re

import pytest
from browser_support import (
    AppServer,
    expect_image_loaded,
    generate,
    nav,
    no_exceptions,
    open_page,
    pick_option,
    result_image,
    stored_rows,
    wait_idle,
)
from playwright.sync_api import Page, expect

from kontextlab.emulator import Emulator
from kontextlab.jobs import UNKNOWN_HEADLINE

pytestmark = pytest.mark.browser

CREATE = "images/flux-create"


def failure_card(page: Page, prompt: str):
    return page.locator("[data-testid=stAlertContentError]").filter(has_text=prompt)


def unknown_card(page: Page, prompt: str):
    return page.locator("[data-testid=stAlertContentWarning]").filter(has_text=prompt)


def test_refusals_and_server_trouble_end_in_plain_sentences_and_nothing_is_resent(
    page: Page, api_server: AppServer, emulator: Emulator
) -> None:
    emulator.faults.add(f"POST {CREATE}", "status", status=402, count=1)
    emulator.faults.add(f"POST {CREATE}", "status", status=503, count=3)
    open_page(page, api_server.url)
    generate(page, "a lighthouse with no credits")
    card = failure_card(page, "a lighthouse with no credits")
    expect(card).to_contain_text("out of credits")
    expect(card).to_contain_text("The balance is 100,000 credits.")
    # A 503 may come after the job was made: the app cannot know, so it says so.
    for n in range(3):
        prompt = f"a lighthouse in trouble {n}"
        generate(page, prompt)
        card = unknown_card(page, prompt)
        expect(card).to_contain_text(UNKNOWN_HEADLINE)
        expect(card).to_contain_text("probably not made")  # looked for, and not found
    expect(page.get_by_role("button", name="Try again")).to_have_count(1)  # the 402 only
    no_exceptions(page)
    expect(page.get_by_text(re.compile("Traceback|Exception|HTTPError"))).to_have_count(0)

    # A POST spends credits: each click sent exactly one, none was retried by itself.
    assert emulator.calls(CREATE, "POST") == 4
    rows = stored_rows(api_server)
    assert [r.status for r in rows] == ["unknown"] * 3 + ["failed"]
    assert all(r.message and "\n" not in r.message for r in rows)

    # Status checks that meet 503 three times are retried: that job still completes.
    emulator.faults.add("GET assets/{jobId}", "status", status=503, count=3)
    generate(page, "a lighthouse after the storm")
    expect_image_loaded(result_image(page, "a lighthouse after the storm"))
    assert emulator.calls("assets/{jobId}", "GET") >= 4
    statuses = sorted(r.status for r in stored_rows(api_server))
    assert statuses == ["completed", "failed", "unknown", "unknown", "unknown"]
    no_exceptions(page)


def test_a_job_survives_clicks_and_page_switches(
    page: Page, api_server: AppServer, emulator: Emulator
) -> None:
    # The POST is held for 3 s: every click below lands while it is in flight.
    emulator.faults.add(f"POST {CREATE}", "slow", delay=3.0, count=1)
    open_page(page, api_server.url)
    prompt = "a paper boat on a puddle"
    generate(page, prompt)
    expect(page.get_by_text(re.compile(r"Sending…|Generating…"))).to_be_visible()
    pick_option(page, "Look", "Cinematic")
    nav(page, "History")
    nav(page, "Edit")
    nav(page, "Create")
    expect_image_loaded(result_image(page, prompt))
    wait_idle(page)
    no_exceptions(page)
    assert emulator.calls(CREATE, "POST") == 1
    (row,) = stored_rows(api_server)
    assert row.status == "completed"
    assert row.prompt == prompt
