"""`python -m kontextlab.emulator` on its own."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from kontextlab.emulator import DEMO_BFL_KEY, DEMO_TOKEN

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


def test_help_lists_the_provider_flag_and_the_outcome_faults() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "kontextlab.emulator", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=True,
    ).stdout
    for flag in ("--provider", "--bfl-key", "--bfl-credits", "{ltx,bfl}"):
        assert flag in out
    assert "error request-moderated content-moderated" in " ".join(out.split())


def test_provider_bfl_prints_the_bfl_url_and_key_and_serves_both() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kontextlab.emulator",
            "--provider",
            "bfl",
            "--port",
            "0",
            "--bfl-credits",
            "12",
            "--job-seconds",
            "0.2",
            "--fault",
            "credits:status:1",
            "--fault",
            "flux-kontext-pro:content-moderated",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = read_line(proc).strip().rsplit(" ", 1)[-1]
        assert read_line(proc).startswith(f"Demo key: {DEMO_BFL_KEY}")
        also = read_line(proc)
        assert also.startswith(f"Also LTX Studio at {base_url}/v1/ltxstudio")
        assert f"Demo token: {DEMO_TOKEN}" in also
        assert not base_url.endswith("/v1/ltxstudio")
        key = {"x-key": DEMO_BFL_KEY}
        credits = base_url + "/v1/credits"
        assert requests.get(credits, headers=key, timeout=DEADLINE).status_code == 503
        assert requests.get(credits, headers=key, timeout=DEADLINE).json() == {"credits": 12}
        made = requests.post(
            base_url + "/v1/flux-kontext-pro", json={"prompt": "x"}, headers=key, timeout=DEADLINE
        )
        assert made.json()["cost"] == 4
        status = "Pending"
        deadline = time.monotonic() + DEADLINE
        while status == "Pending" and time.monotonic() < deadline:
            time.sleep(0.1)
            polled = requests.get(made.json()["polling_url"], headers=key, timeout=DEADLINE)
            status = polled.json()["status"]
        assert status == "Content Moderated"
        assert requests.get(credits, headers=key, timeout=DEADLINE).json() == {"credits": 8}
        ltx = requests.get(
            base_url + "/v1/ltxstudio/accounts",
            headers={"Authorization": f"Bearer {DEMO_TOKEN}"},
            timeout=DEADLINE,
        )
        assert ltx.ok
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_provider_ltx_also_names_the_bfl_url_after_its_own() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kontextlab.emulator", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = read_line(proc).strip().rsplit(" ", 1)[-1]
        assert read_line(proc).startswith(f"Demo token: {DEMO_TOKEN}")
        origin = base_url.removesuffix("/v1/ltxstudio")
        assert read_line(proc).startswith(f"Also BFL at {origin}  Demo key: {DEMO_BFL_KEY}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
