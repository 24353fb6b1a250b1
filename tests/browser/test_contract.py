"""Against an emulator that answers like the vendor (no seed in any answer): the seed a page
shows is the seed that was sent, and a create whose app server dies mid-request is found
again through the account's scheduler after a restart, with one POST in all."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from browser_support import (
    AppServer,
    apply_edit,
    expect_edit_done,
    expect_image_loaded,
    generate,
    no_exceptions,
    open_page,
    pick_option,
    result_image,
    stored_image,
    stored_rows,
    wait_idle,
)
from playwright.sync_api import Page, TimeoutError as PlaywrightTimeoutError, expect

from kontextlab.emulator import DEMO_TOKEN, Emulator, EmulatorConfig
from kontextlab.history import JobRecord

pytestmark = pytest.mark.browser

CREATE = "images/flux-create"
SEED = re.compile(r"seed (\d+)")


def rows(server: AppServer, kind: str) -> list[JobRecord]:
    return stored_rows(server, kind)


def image_of(server: AppServer, record: JobRecord) -> bytes:
    data = stored_image(server, record)
    assert data, f"no picture kept for {record.prompt!r}"
    return data


def shown_seed(page: Page) -> int:
    """The seed on the newest result card's settings line."""
    line = page.get_by_text(SEED).first
    expect(line).to_be_visible()
    match = SEED.search(line.inner_text())
    assert match, line.inner_text()
    return int(match.group(1))


def fix_seed(page: Page, prefix: str, seed: int) -> None:
    page.get_by_text("Fixed", exact=True).first.click()
    wait_idle(page)
    box = page.get_by_role("spinbutton", name="Seed number")
    box.fill(str(seed))
    box.press("Enter")
    wait_idle(page)


def test_the_seed_shown_is_the_seed_sent(
    page: Page, api_server: AppServer, emulator: Emulator
) -> None:
    # The renderer draws the same picture only for the same seed: equal bytes prove that
    # the seed on the card is the one the server received, since no answer reports it.
    open_page(page, api_server.url)
    generate(page, "a red kite over the dunes")
    expect_image_loaded(result_image(page, "a red kite over the dunes"))
    wait_idle(page)
    seed = shown_seed(page)
    page.get_by_role("button", name="Re-run").first.click()
    wait_until(
        lambda: [r.status for r in rows(api_server, "create")] == ["completed"] * 2,
        "the re-run",
    )
    wait_idle(page)
    fix_seed(page, "create", seed)
    generate(page, "a red kite over the dunes")
    wait_until(
        lambda: [r.status for r in rows(api_server, "create")] == ["completed"] * 3,
        "the three pictures",
    )
    made = rows(api_server, "create")
    assert len(made) == 3 and {r.status for r in made} == {"completed"}
    assert {r.seed for r in made} == {seed}
    assert len({image_of(api_server, r) for r in made}) == 1
    assert emulator.calls(CREATE, "POST") == 3

    page.get_by_role("button", name=re.compile(r"Edit this$")).first.click()
    expect(page.get_by_role("heading", name="Edit", level=1)).to_be_visible()
    wait_idle(page)
    apply_edit(page, "make it night", "overhead")
    expect_edit_done(page, 1)
    (edit,) = rows(api_server, "edit")
    assert edit.seed is not None
    expect(page.get_by_text(re.compile(rf"overhead · seed {edit.seed}\b"))).to_be_visible()
    fix_seed(page, "edit", edit.seed)
    apply_edit(page, "make it night", "overhead")
    wait_until(
        lambda: [r.status for r in rows(api_server, "edit")] == ["completed"] * 2, "the 2nd edit"
    )
    edits = rows(api_server, "edit")
    assert len(edits) == 2 and {r.seed for r in edits} == {edit.seed}
    assert image_of(api_server, edits[0]) == image_of(api_server, edits[1])
    no_exceptions(page)


@pytest.fixture
def slow_emulator() -> Iterator[Emulator]:
    """Jobs of 8 s and a pollForResult tick of 0.5 s: a 20-tick wait holds the POST 10 s."""
    emu = Emulator(EmulatorConfig(job_seconds=8.0, poll_tick=0.5))
    emu.start()
    yield emu
    emu.stop()


def open_advanced(page: Page, field: str) -> None:
    """Turn on developer options and open their section until `field` shows: a rerun that
    starts at the moment of the click (the first visit's second run) can draw it closed, and
    the section opens by itself when the switch is turned on."""
    box = page.get_by_role("combobox", name=field)
    switch = page.get_by_role("switch", name="Developer options")
    for _attempt in range(5):
        wait_idle(page)
        if box.is_visible():
            return
        if not switch.is_checked():
            switch.click(force=True)
            wait_idle(page)
            continue
        section = page.locator("details").filter(has_text="For developers")
        if not section.evaluate("d => d.open"):  # it opens by itself: a click would shut it
            section.locator("summary").click()
        try:
            box.wait_for(state="visible", timeout=5_000)
            return
        except PlaywrightTimeoutError:
            continue
    expect(box).to_be_visible()


def wait_until(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def test_a_restart_during_the_create_post_finds_the_job_with_one_post(
    page: Page, start_server, slow_emulator: Emulator
) -> None:
    first = start_server(USEAPI_TOKEN=DEMO_TOKEN, USEAPI_BASE_URL=slow_emulator.base_url)
    open_page(page, first.url)
    open_advanced(page, "Wait for the picture in the request")
    pick_option(page, "Wait for the picture in the request", "Up to 60 s")
    prompt = "a lighthouse that outlives its server"
    generate(page, prompt)
    wait_until(lambda: slow_emulator.calls(CREATE, "POST") == 1, "the create POST")
    first.stop()  # the app's server dies while its POST still waits for the job
    (row,) = rows(first, "create")
    assert row.job_id is None and row.status == "queued", "the answer never arrived"

    again = AppServer(first.workdir, first.env)
    again.port = first.port  # same address, so the browser is the same visitor
    again.log_path = first.workdir / "streamlit-restarted.log"
    again.start()
    try:
        open_page(page, again.url)
        expect_image_loaded(result_image(page, prompt), timeout=60_000)
        no_exceptions(page)
        (found,) = rows(again, "create")
        assert found.id == row.id and found.status == "completed" and found.job_id
        assert slow_emulator.calls(CREATE, "POST") == 1, "nothing was sent twice"
        assert slow_emulator.calls("scheduler", "GET") >= 1
    finally:
        again.stop()
