"""How long the History page's script takes per rerun on a big history.

    .venv/bin/python benchmarks/bench_history_page.py [--rows 10000] [--runs 15]

Seeds a temporary SQLite store with realistic rows, starts the emulator in-process, then runs
the whole app on the History page with AppTest and prints the median wall time of `.run()`
for typical views, next to the store-only time (count + one page + its thumbnails).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from benchmarks._common import median_ms, steady_navigation  # noqa: E402
from benchmarks._seed import seed_history  # noqa: E402
from kontextlab.accounts import account_key  # noqa: E402
from kontextlab.emulator import DEMO_TOKEN, Emulator, EmulatorConfig  # noqa: E402
from kontextlab.history import HistoryStore  # noqa: E402

PAGE = 50
# name → (widget state to set, store filters, order, offset)
VIEWS: dict[str, tuple[dict[str, Any], dict[str, Any], str, int]] = {
    "everything, newest first": ({}, {}, "newest", 0),
    "search 'fox golden hour'": (
        {"history_search": "fox golden hour"},
        {"search": "fox golden hour"},
        "newest",
        0,
    ),
    "completed creates, style anime": (
        {
            "history_statuses": ["completed"],
            "history_kinds": ["create"],
            "history_styles": ["anime"],
        },
        {"statuses": ["completed"], "kinds": ["create"], "styles": ["anime"]},
        "newest",
        0,
    ),
    "sorted by prompt": ({"history_order": "prompt"}, {}, "prompt", 0),
    "page 100": ({"history_page": 100}, {}, "newest", 99 * PAGE),
}


BENCH_VISITOR = "bench-visitor-000001"


def history_app(key: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    # The seeded "active" rows have made-up jobIds: do not follow them.
    at.session_state["_visitor_id"] = BENCH_VISITOR  # as a browser would send it
    at.run()
    at.switch_page("pages/history.py")
    at.run()
    assert not at.exception, at.exception
    return at


def page_ms(at: AppTest, state: dict[str, Any], runs: int) -> float:
    for name, value in state.items():
        at.session_state[name] = value
    at.run()  # the first run after a change is also what a user waits for; warm it
    return median_ms(at.run, runs)


def store_ms(store: HistoryStore, key: str, view: tuple, runs: int) -> float:
    _, filters, order, offset = view

    def run() -> None:
        store.count(key)
        if filters:
            store.count(key, **filters)
        frame = store.dataframe(key, **filters, order=order, limit=PAGE, offset=offset)
        store.thumbnails(key, frame["id"])

    return median_ms(run, runs)


def showing(at: AppTest) -> str:
    return next((c.value for c in at.caption if c.value.startswith("Showing")), "?")


def open_first_row(at: AppTest) -> None:
    table = at.dataframe[0]
    at.session_state[table.key] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="kontextlab-bench-")
    url = f"sqlite:///{folder}/history.sqlite3"
    emulator = Emulator(EmulatorConfig(job_seconds=0.3, poll_tick=0.05))
    os.environ.update(
        USEAPI_TOKEN=DEMO_TOKEN,
        USEAPI_BASE_URL=emulator.start(),
        KONTEXTLAB_DATABASE_URL=url,
        # One team history: the seeded rows are the token's, so every visitor sees them.
        KONTEXTLAB_SHARED_HISTORY="true",
    )
    steady_navigation()
    key = account_key(DEMO_TOKEN)
    store = HistoryStore(url)
    started = time.perf_counter()
    seed_history(store, key, args.rows)
    print(f"seeded {args.rows:,} rows in {time.perf_counter() - started:.1f} s ({url})")
    print(f"{'view':34} {'page rerun':>11} {'store only':>11}  what the page says")
    try:
        for name, view in VIEWS.items():
            at = history_app(key)
            page = page_ms(at, view[0], args.runs)
            store_time = store_ms(store, key, view, args.runs)
            print(f"{name:34} {page:8.1f} ms {store_time:8.1f} ms  {showing(at)}")
        at = history_app(key)
        open_first_row(at)
        assert at.button(key="history_close"), "the detail is open"
        print(f"{'a job opened (detail)':34} {median_ms(at.run, args.runs):8.1f} ms")
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
