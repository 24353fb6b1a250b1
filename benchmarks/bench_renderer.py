"""Demo renderer benchmark: median and p95 milliseconds for a create at 16:9, 9:16 and 1:1,
and for edits, over a few prompts. The target is a 1344×768 create under 150 ms.

python benchmarks/bench_renderer.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

# Run as a plain script from the repository root: make the package importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kontextlab.emulator.renderer import render_create, render_edit

PROMPTS = (
    "A red lighthouse on a cliff at dusk, waves below",
    "A bright red sports car in the desert at noon",
    "a cabin in a snowy forest at night",
    "a yellow bus in a storm",
)
EDITS = ("Make it night", "make the car blue", "add snow", "zoom out", "black and white")


def timings(action: Callable[[int], object], runs: int) -> tuple[float, float]:
    """Median and 95th percentile in milliseconds (each run with its own seed)."""
    action(0)  # warm-up
    times = []
    for seed in range(1, runs + 1):
        started = time.perf_counter()
        action(seed)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="renders per line (default 5)")
    args = parser.parse_args()
    print(f"{'what':<62} {'median ms':>10} {'p95 ms':>8}")
    for shape in ("16:9", "9:16", "1:1"):
        for prompt in PROMPTS:
            create = partial(render_create, prompt, aspect_ratio=shape)
            med, p95 = timings(lambda s, create=create: create(s), args.runs)
            print(f"{'create ' + shape + ' · ' + prompt[:44]:<62} {med:>10.1f} {p95:>8.1f}")
    source = render_create(PROMPTS[1], 1).data
    for words in EDITS:
        edit = partial(render_edit, source, words)
        med, p95 = timings(lambda s, edit=edit: edit(s), args.runs)
        print(f"{'edit 16:9 · ' + words:<62} {med:>10.1f} {p95:>8.1f}")


if __name__ == "__main__":
    main()
