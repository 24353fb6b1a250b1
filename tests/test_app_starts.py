"""The README's run command serves the app: `streamlit run` answers its health check."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 60.0
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def health(port: int) -> str | None:
    try:
        with NO_PROXY.open(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
            return answer.read().decode()
    except (urllib.error.URLError, OSError):
        return None


def demo_env(data_home: Path) -> dict[str, str]:
    """The machine's environment without a token or database: demo mode, tmp history."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("USEAPI_", "KONTEXTLAB_"))}
    env["XDG_DATA_HOME"] = str(data_home)
    return env


def wait_for_health(process: subprocess.Popen[bytes], port: int) -> str | None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        answer = health(port)
        if answer is not None:
            return answer
        time.sleep(0.25)
    return None


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def test_streamlit_run_serves_the_app(tmp_path: Path) -> None:
    assert (REPO / "streamlit_app.py").is_file(), "streamlit_app.py, the entry point, is missing"
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py"]
    command += ["--server.headless", "true", "--server.port", str(port)]
    log_path = tmp_path / "streamlit.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=demo_env(tmp_path / "data"), stdout=log, stderr=log
        )
        try:
            answer = wait_for_health(process, port)
        finally:
            stop(process)
    assert answer == "ok", f"no health answer on port {port}:\n{log_path.read_text()}"
