"""Memory benchmark: preparing a 40-megapixel upload, and a server making demo pictures.

    .venv/bin/python benchmarks/bench_memory.py [--visitors 10] [--images 200]
        [--job-seconds 0.3] [--file-budget-mb 8] [--image-budget-mb 1]

(a) Prepares an 8000 × 5000 upload (an RGB PNG that compresses small, and a JPEG) in a fresh
    child process each, and prints the peak: the process's resident memory (RSS, sampled
    every millisecond, minus what it held before) and Python's own allocations (tracemalloc;
    Pillow's pixel buffers are not Python allocations, so RSS is the figure that counts).
(b) Starts the demo emulator in-process with a job runner and a history store, as the app's
    demo mode does, lets `--visitors` visitors (each its own scope) make `--images` pictures
    between them, and prints the process's RSS as the pictures land, with what the emulator
    and the store hold against their budgets. The budgets are small by default so that both
    fill up and start dropping within the run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageDraw

from kontextlab.emulator import DEMO_TOKEN, Emulator, EmulatorConfig
from kontextlab.history import HistoryStore
from kontextlab.images import prepare_reference
from kontextlab.jobs import JobRunner, RunnerSettings, TooManyJobs
from kontextlab.providers.ltx import LtxProvider

MB = 1024 * 1024
# glibc keeps freed memory in per-thread arenas, and raises its mmap threshold as large
# buffers are freed: RSS then settles well above what is live. Try MALLOC_MMAP_THRESHOLD_=131072.
MALLOC_KNOBS = ("MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
UPLOAD_SIZE = (8_000, 5_000)


# ---------------------------------------------------------------- measuring memory


def rss_mb() -> float:
    """This process's resident memory now, in MB (Linux), else its peak so far."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MB
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def peak_rss() -> Iterator[dict[str, float]]:
    """Sample RSS every millisecond while the block runs: {"before", "peak"} in MB."""
    found = {"before": rss_mb(), "peak": rss_mb()}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.001):
            found["peak"] = max(found["peak"], rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield found
    finally:
        stop.set()
        sampler.join()
        found["peak"] = max(found["peak"], rss_mb())


# ---------------------------------------------------------------- (a) a 40-megapixel upload


def make_upload(folder: Path, fmt: str) -> Path:
    """An 8000 × 5000 RGB picture: gradients and shapes, so it compresses small."""
    width, height = UPLOAD_SIZE
    ramp = Image.linear_gradient("L").resize(UPLOAD_SIZE)
    picture = Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.FLIP_TOP_BOTTOM), ramp))
    draw = ImageDraw.Draw(picture)
    for n in range(40):
        x, y = (n * 997) % width, (n * 613) % height
        draw.ellipse((x, y, x + 900, y + 600), fill=(n * 6 % 256, 90, 200 - n * 4))
    path = folder / f"upload-40mp.{fmt.lower()}"
    picture.save(path, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return path


def child_prepare(path: str) -> None:
    """Run in a fresh process: prepare one upload and print what it took, as JSON."""
    data = Path(path).read_bytes()
    tracemalloc.start()
    started = time.perf_counter()
    with peak_rss() as rss:
        prepared = prepare_reference(data)
    seconds = time.perf_counter() - started
    _, traced_peak = tracemalloc.get_traced_memory()
    result = {
        "file_kb": len(data) // 1024,
        "out": f"{prepared.width} × {prepared.height} {prepared.mime_type}",
        "out_kb": len(prepared.data) // 1024,
        "seconds": seconds,
        "rss_delta_mb": rss["peak"] - rss["before"],
        "rss_peak_mb": rss["peak"],
        "traced_peak_mb": traced_peak / MB,
    }
    print(json.dumps(result))


def measure_upload(path: Path) -> dict[str, float | str]:
    out = subprocess.run(
        [sys.executable, __file__, "--child-prepare", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def report_uploads() -> None:
    print(f"(a) preparing a {UPLOAD_SIZE[0]} × {UPLOAD_SIZE[1]} upload (40 megapixels)")
    with tempfile.TemporaryDirectory() as folder:
        for fmt in ("PNG", "JPEG"):
            got = measure_upload(make_upload(Path(folder), fmt))
            print(
                f"  {fmt:4} {got['file_kb']:>6,} kB → {got['out']} ({got['out_kb']:,} kB) "
                f"in {got['seconds']:.2f} s: peak RSS +{got['rss_delta_mb']:.0f} MB "
                f"(process {got['rss_peak_mb']:.0f} MB), tracemalloc peak "
                f"{got['traced_peak_mb']:.1f} MB"
            )


# ---------------------------------------------------------------- (b) many demo pictures


def visitor(runner: JobRunner, base_url: str, key: str, count: int, done: list[int]) -> None:
    """One visitor: `count` pictures, never more on the way than the runner allows."""
    provider = LtxProvider(base_url, DEMO_TOKEN)
    made = 0
    while made < count:
        fields = {"prompt": f"{key} picture {made}", "poll_for_result": 1}
        try:
            runner.submit(provider, provider.prepare("create", fields), account_key=key)
        except TooManyJobs:
            time.sleep(0.05)
            continue
        made += 1
    done.append(made)


def report_server(args: argparse.Namespace) -> None:
    config = EmulatorConfig.demo(
        job_seconds=args.job_seconds,
        poll_tick=0.05,
        max_jobs=100,  # one shared demo account: let every visitor's jobs run at once
        file_budget_bytes=int(args.file_budget_mb * MB),
    )
    settings = RunnerSettings(poll_interval=0.05, image_budget_bytes=int(args.image_budget_mb * MB))
    keys = [f"visitor-{n}" for n in range(args.visitors)]
    print(
        f"(b) {args.images} demo pictures by {args.visitors} visitors; emulator file budget "
        f"{args.file_budget_mb:g} MB, kept images {args.image_budget_mb:g} MB per visitor"
    )
    with tempfile.TemporaryDirectory() as folder:
        emulator = Emulator(config)
        base_url = emulator.start()
        store = HistoryStore(f"sqlite:///{Path(folder) / 'history.sqlite3'}")
        runner = JobRunner(store, settings)
        try:
            drive(args, runner, store, emulator, base_url, keys)
        finally:
            emulator.stop()
            store.close()


def drive(
    args: argparse.Namespace,
    runner: JobRunner,
    store: HistoryStore,
    emulator: Emulator,
    base_url: str,
    keys: list[str],
) -> None:
    start_rss, started = rss_mb(), time.monotonic()
    knobs = ", ".join(f"{name}={os.environ[name]}" for name in MALLOC_KNOBS if name in os.environ)
    print(f"  before: RSS {start_rss:.0f} MB ({knobs or 'glibc malloc defaults'})")
    share = [args.images // len(keys) + (n < args.images % len(keys)) for n in range(len(keys))]
    done: list[int] = []
    threads = [
        threading.Thread(target=visitor, args=(runner, base_url, key, n, done), daemon=True)
        for key, n in zip(keys, share, strict=True)
    ]
    for thread in threads:
        thread.start()
    step, shown = max(1, args.images // 10), 0
    while True:
        # "unknown": the answer to its POST was lost (under load the emulator may hold a
        # pollForResult past the client's read timeout); it has ended for this count too.
        finished = sum(store.count(k, statuses=["completed", "failed", "unknown"]) for k in keys)
        if finished >= shown + step or finished >= args.images:
            shown = finished
            print_state(finished, store, emulator, keys, started)
        if finished >= args.images and runner.running_count() == 0:
            break
        time.sleep(0.2)
    failed = sum(store.count(k, statuses=["failed"]) for k in keys)
    unknown = sum(store.count(k, statuses=["unknown"]) for k in keys)
    print(
        f"  after: RSS {rss_mb():.0f} MB (+{rss_mb() - start_rss:.0f} MB); "
        f"{failed} failed, {unknown} with a lost answer"
    )


def print_state(
    finished: int, store: HistoryStore, emulator: Emulator, keys: list[str], started: float
) -> None:
    with emulator.world.lock:
        files, held = len(emulator.world.files), emulator.world.files.bytes
    kept = [store.image_bytes(k) for k in keys]
    print(
        f"  {finished:>4} pictures, {time.monotonic() - started:5.1f} s: RSS {rss_mb():4.0f} MB; "
        f"emulator holds {files:>3} files, {held / MB:5.1f} MB; "
        f"kept images per visitor up to {max(kept) / MB:.2f} MB, {sum(kept) / MB:.1f} MB in all"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=10)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--job-seconds", type=float, default=0.3)
    parser.add_argument("--file-budget-mb", type=float, default=8.0)
    parser.add_argument("--image-budget-mb", type=float, default=1.0)
    parser.add_argument("--child-prepare", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_prepare:
        child_prepare(args.child_prepare)
        return
    report_uploads()
    report_server(args)


if __name__ == "__main__":
    main()
