"""`python -m kontextlab.emulator` on its own."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
from pathlib import Path

import requests

from kontextlab.emulator import DEMO_TOKEN

ROOT = Path(__file__).resolve().parents[1]
DEADLINE = 60.0  # wall seconds for the server to start and print: only a fault waits this long


def read_line(proc: subprocess.Popen[str]) -> str:
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    threading.Thread(target=lambda: lines.put(proc.stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=DEADLINE)
    except queue.Empty:
        raise AssertionError(f"The emulator printed nothing within {DEADLINE:.0f} s.") from None


def test_help_lists_the_knobs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "kontextlab.emulator", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=True,
    ).stdout
    for flag in ("--port", "--job-seconds", "--poll-tick", "--max-jobs", "--fault"):
        assert flag in out
    assert "drop lost" in " ".join(out.split())


def test_standalone_server_prints_its_url_and_answers() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kontextlab.emulator",
            "--port",
            "0",
            "--fault",
            "accounts:status:1",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = read_line(proc).strip()
        assert read_line(proc).startswith(f"Demo token: {DEMO_TOKEN}")
        base_url = first.rsplit(" ", 1)[-1]
        headers = {"Authorization": f"Bearer {DEMO_TOKEN}"}
        accounts = base_url + "/accounts"
        assert requests.get(accounts, headers=headers, timeout=DEADLINE).status_code == 503
        assert requests.get(accounts, headers=headers, timeout=DEADLINE).ok
    finally:
        proc.terminate()
        proc.wait(timeout=10)
