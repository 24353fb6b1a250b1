"""Emulator benchmark: render time, status-poll throughput, job completion under load.

python benchmarks/bench_emulator.py [--pollers 50] [--seconds 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import requests

# Run as a plain script from the repository root: make the package importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kontextlab.emulator import DEMO_BFL_KEY, DEMO_TOKEN, Emulator, EmulatorConfig
from kontextlab.emulator.renderer import render_create

# The emulator is measured over plain HTTP, as the vendor documents it, not through the app's
# client: a benchmark of the emulator should not move when the client does.
HEADERS = {"Authorization": f"Bearer {DEMO_TOKEN}"}


def render_times(runs: int = 7) -> dict[str, float]:
    render_create("warm-up", 1)
    out = {}
    for style in (None, "cinematic", "colored"):
        times = []
        for seed in range(runs):
            start = time.perf_counter()
            render_create("A serene mountain landscape at sunset by a lake", seed, style)
            times.append(time.perf_counter() - start)
        out[style or "none"] = statistics.median(times) * 1000
    return out


def create(session: requests.Session, base_url: str, prompt: str) -> str:
    answer = session.post(
        f"{base_url}/images/flux-create", json={"prompt": prompt}, headers=HEADERS, timeout=10
    )
    answer.raise_for_status()
    return str(answer.json()["jobId"])


def is_done(session: requests.Session, base_url: str, job_id: str) -> bool:
    path = f"{base_url}/assets/{requests.utils.quote(job_id, safe='')}"
    answer = session.get(path, headers=HEADERS, timeout=10)
    answer.raise_for_status()
    status = answer.json()["status"]
    return status["type"] == "completed" and "artifact" in status


def completion_lag(base_url: str, job_seconds: float) -> float:
    """Seconds between when a job should finish and when a poller first sees it done."""
    session = requests.Session()
    start = time.monotonic()
    job_id = create(session, base_url, "timing")
    while not is_done(session, base_url, job_id):
        time.sleep(0.01)
    return time.monotonic() - start - job_seconds


def bfl_completion_lag(origin: str, job_seconds: float) -> float:
    """The same for a BFL task: submit, then follow its polling_url until Ready."""
    session = requests.Session()
    key = {"x-key": DEMO_BFL_KEY}
    start = time.monotonic()
    answer = session.post(
        f"{origin}/v1/flux-kontext-pro", json={"prompt": "timing"}, headers=key, timeout=10
    )
    answer.raise_for_status()
    polling_url = answer.json()["polling_url"]
    while session.get(polling_url, headers=key, timeout=10).json()["status"] == "Pending":
        time.sleep(0.01)
    return time.monotonic() - start - job_seconds


def poll_load(base_url: str, job_id: str, pollers: int, seconds: float) -> int:
    count = [0] * pollers
    stop = threading.Event()
    path = f"{base_url}/assets/{requests.utils.quote(job_id, safe='')}"

    def poll(i: int) -> None:
        session = requests.Session()
        while not stop.is_set():
            session.get(path, headers=HEADERS, timeout=10).raise_for_status()
            count[i] += 1

    threads = [threading.Thread(target=poll, args=(i,), daemon=True) for i in range(pollers)]
    for t in threads:
        t.start()
    stop.wait(seconds)
    stop.set()
    for t in threads:
        t.join()
    return sum(count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pollers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--job-seconds", type=float, default=2.0)
    args = parser.parse_args()

    for style, ms in render_times().items():
        print(f"render 1344x768 ({style}): median {ms:.0f} ms")

    emu = Emulator(EmulatorConfig(job_seconds=args.job_seconds, poll_tick=0.05, max_jobs=100))
    base = emu.start()
    try:
        idle_lag = completion_lag(base, args.job_seconds)
        bfl_lag = bfl_completion_lag(emu.bfl_base_url, args.job_seconds)
        target = create(requests.Session(), base, "polled")
        result: dict[str, float] = {}
        loader = threading.Thread(
            target=lambda: result.update(n=poll_load(base, target, args.pollers, args.seconds))
        )
        loader.start()
        time.sleep(0.3)
        busy_lag = completion_lag(base, args.job_seconds)
        loader.join()
    finally:
        emu.stop()
    rate = result["n"] / args.seconds
    print(f"status polls with {args.pollers} concurrent pollers: {rate:.0f} requests/s")
    print(f"job completion lag: idle {idle_lag * 1000:.0f} ms, under load {busy_lag * 1000:.0f} ms")
    print(f"BFL task completion lag, idle: {bfl_lag * 1000:.0f} ms")
    slowed = busy_lag - idle_lag > 0.5
    print("job completion slowed under load: " + ("YES" if slowed else "no (within 0.5 s)"))


if __name__ == "__main__":
    main()
