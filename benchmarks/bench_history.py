"""How fast the History page's queries are on a big history.

    .venv/bin/python benchmarks/bench_history.py [--rows 10000] [--runs 15] [--url URL]

Fills a temporary SQLite store (or the store at --url, which should be empty) with realistic
rows, then prints the median time of `count` + `dataframe(limit=50)` (+ the page's thumbnails)
for the History page's typical views.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import median_ms
from benchmarks._seed import seed_history
from kontextlab.accounts import account_key
from kontextlab.history import HistoryStore

PAGE = 50
VIEWS: dict[str, dict[str, Any]] = {
    "everything, newest first": {},
    "search 'fox'": {"search": "fox"},
    "search 'fox golden hour'": {"search": "fox golden hour"},
    "completed creates, style anime": {
        "statuses": ["completed"],
        "kinds": ["create"],
        "styles": ["anime"],
    },
    "failed, last 30 days": {
        "statuses": ["failed"],
        "since": datetime.now(UTC) - timedelta(days=30),
    },
    "sorted by prompt": {"order": "prompt"},
    "page 100 (offset 4950)": {"offset": 4950},
}


def page_view(store: HistoryStore, key: str, view: dict[str, Any]) -> Callable[[], int]:
    options = dict(view)
    order, offset = options.pop("order", "newest"), options.pop("offset", 0)

    def run() -> int:
        total = store.count(key, **options)
        frame = store.dataframe(key, **options, order=order, limit=PAGE, offset=offset)
        store.thumbnails(key, frame["id"])
        return total

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--url", help="an empty store to fill (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        store = HistoryStore(url)
        key = account_key("benchmark-token")
        start = time.perf_counter()
        added = seed_history(store, key, args.rows)
        print(f"seeded {added:,} rows in {time.perf_counter() - start:.2f} s ({store!r})")
        print(
            f"{'view':36} {'matches':>8} {'median ms':>10}   (count + dataframe({PAGE}) + thumbs)"
        )
        for name, view in VIEWS.items():
            action = page_view(store, key, view)
            print(f"{name:36} {action():>8,} {median_ms(action, args.runs, warm=True):>10.1f}")
        store.close()


if __name__ == "__main__":
    main()
