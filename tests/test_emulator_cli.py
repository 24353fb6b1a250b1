"""`python -m kontextlab.emulator` on its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import requests

from kontextlab.emulator import DEMO_TOKEN

ROOT = Path(__file__).resolve().parents[1]


def test_help_lists_the_knobs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "kontextlab.emulator", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    for flag in ("--port", "--job-seconds", "--poll-tick", "--max-jobs", "--fault"):
        assert flag in out


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
        first = proc.stdout.readline().strip()
        assert proc.stdout.readline().startswith(f"Demo token: {DEMO_TOKEN}")
        base_url = first.rsplit(" ", 1)[-1]
        headers = {"Authorization": f"Bearer {DEMO_TOKEN}"}
        assert requests.get(base_url + "/accounts", headers=headers, timeout=5).status_code == 503
        assert requests.get(base_url + "/accounts", headers=headers, timeout=5).ok
    finally:
        proc.terminate()
        proc.wait(timeout=10)
