"""bench_ux's sections 6 and 7: a batch of four in the browser, and every look against an
account that runs five jobs at a time (the runner and the emulator, no browser)."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from browser_support import wait_idle
from playwright.sync_api import Page

from kontextlab.emulator import DEMO_TOKEN, Emulator, EmulatorConfig
from kontextlab.history import HistoryStore
from kontextlab.jobs import JobRunner, RunnerSettings
from kontextlab.providers import connect

BATCH = 4
ALL_SHOWN_JS = """([prompt, count]) => {
  const imgs = [...document.querySelectorAll('[data-testid=stImage]')]
    .filter(e => e.innerText.includes(prompt)).map(e => e.querySelector('img'))
    .filter(i => i && i.complete && i.naturalWidth > 0);
  return imgs.length >= count ? performance.now() : false;
}"""
STAMP_CLICK_JS = """() => document.addEventListener(
  'click', () => { window.__clicked = performance.now(); }, {capture: true, once: true})"""

Report = Callable[[str, str, str, bool], None]


def _per_click(page: Page, count: int) -> None:
    group = page.get_by_role("radiogroup", name="Pictures per click")
    group.get_by_role("radio", name=str(count), exact=True).click()
    wait_idle(page)


def batch_latency(page: Page, prompt: str) -> float:
    """Seconds from the Generate click to all four pictures of the batch loaded."""
    page.get_by_role("textbox", name="Prompt").fill(prompt)
    wait_idle(page)
    page.evaluate(STAMP_CLICK_JS)
    page.get_by_role("button", name="Generate").click()
    shown = page.wait_for_function(
        ALL_SHOWN_JS, arg=[prompt, BATCH], polling="raf", timeout=120_000
    )
    clicked = page.evaluate("() => window.__clicked")
    return float((shown.json_value() - clicked) / 1000)


def measure_batch(page: Page, runs: int, job_seconds: float, report: Report) -> None:
    """6. One click → all four pictures of a batch visible, minus one job's duration (the
    four run at once: the account takes five)."""
    _per_click(page, BATCH)
    times = []
    for n in range(runs):
        times.append(batch_latency(page, f"benchmark batch {n}") - job_seconds)
        wait_idle(page)
        time.sleep(1.5)
    median = statistics.median(times)
    print(f"6. One click → all {BATCH} pictures of a batch visible, minus the job ({runs} runs)")
    print(f"     runs: {', '.join(f'{t:.2f}' for t in times)} s")
    report("batch of four, median extra wait", f"{median:.2f} s", "<= 1.0 s", median <= 1.0)
    _per_click(page, 1)


def measure_look_grid(job_seconds: float, report: Report, max_jobs: int = 5) -> None:
    """7. Every look (17 jobs in one batch) through the runner, against an account that runs
    `max_jobs` at a time: requests per second, peak jobs in flight, busy answers."""
    emulator = Emulator(EmulatorConfig(job_seconds=job_seconds, poll_tick=0.2, max_jobs=max_jobs))
    emulator.start()
    folder = Path(tempfile.mkdtemp(prefix="kontextlab-bench-looks-"))
    store = HistoryStore(f"sqlite:///{folder / 'h.sqlite3'}")
    runner = JobRunner(store, RunnerSettings(poll_interval=1.0))
    provider = connect("ltx", emulator.base_url, DEMO_TOKEN)
    looks = ["", *provider.capabilities.looks]
    requests = [
        provider.prepare("create", {"prompt": "benchmark looks", "style": s or None, "seed": 1})
        for s in looks
    ]
    world = emulator.world
    mark = len(emulator.requests)
    started = time.perf_counter()
    try:
        ids = runner.submit_many(provider, requests, account_key="bench", batch_id="looks")
        for row_id in ids:
            runner.wait(row_id, 600)
        elapsed = time.perf_counter() - started
    finally:
        emulator.stop()
        store.close()
    sent = emulator.requests[mark:]
    posts = sum(1 for method, _, _ in sent if method == "POST")
    print(f"7. Every look: {len(looks)} jobs of {job_seconds:g} s, account maxJobs {max_jobs}")
    print(f"     {len(sent)} requests ({posts} job submissions) in {elapsed:.1f} s")
    report("requests per second", f"{len(sent) / elapsed:.2f} /s", "(figure)", True)
    report(
        "peak jobs in flight (emulator)",
        str(world.peak_executing),
        f"<= {max_jobs}",
        world.peak_executing <= max_jobs,
    )
    report("busy (429) answers", str(world.busy_answers), "0 (no storm)", world.busy_answers == 0)
    report("submissions per job", f"{posts / len(looks):.2f}", "1.00", posts == len(looks))
