"""A local emulator of useapi.net's LTX Studio image API and of BFL's FLUX.1 Kontext API,
both served by one server over real HTTP on loopback.

    emu = Emulator(EmulatorConfig(job_seconds=0.2, poll_tick=0.05))
    base_url = emu.start()          # "http://127.0.0.1:PORT/v1/ltxstudio"
    emu.bfl_base_url                # "http://127.0.0.1:PORT" (x-key: DEMO_BFL_KEY)
    emu.faults.add("images/flux-create", kind="status", status=503, count=3)
    emu.faults.add("flux-kontext-pro", kind="content-moderated")
    emu.stop()

With `EmulatorConfig(provider="bfl")`, `start()` returns the BFL base URL instead.

Fault route keys are listed in `kontextlab.emulator.faults`.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from kontextlab.emulator.answers import deliver
from kontextlab.emulator.bfl_world import BflDesk
from kontextlab.emulator.config import (
    API_PREFIX,
    DEMO_BFL_KEY,
    DEMO_EMAIL,
    DEMO_TOKEN,
    EmulatorConfig,
)
from kontextlab.emulator.faults import Fault, FaultPlan
from kontextlab.emulator.server import EmulatorHTTPServer
from kontextlab.emulator.world import World

__all__ = [
    "DEMO_BFL_KEY",
    "DEMO_EMAIL",
    "DEMO_TOKEN",
    "Emulator",
    "EmulatorConfig",
    "Fault",
    "FaultPlan",
]
REQUEST_LOG_LIMIT = 50_000
TICK = 0.02  # how often finished jobs are noticed, for webhooks and record expiry


class Emulator:
    def __init__(self, config: EmulatorConfig | None = None):
        self.config = config or EmulatorConfig()
        self.clock_offset = 0.0  # add seconds to make URLs, records and jobs age instantly
        self.faults = FaultPlan()
        # (method, route key, path); bounded so a long-running demo server does not grow.
        self.requests: list[tuple[str, str, str]] = []
        self._requests_lock = threading.Lock()
        self.world = World(self.config, self.now)
        self.bfl = BflDesk(self.world)
        self._server: EmulatorHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self.base_url = ""  # the base URL of `config.provider`
        self.ltx_base_url = ""  # origin + /v1/ltxstudio
        self.bfl_base_url = ""  # the origin: BFL paths start with /v1/

    def now(self) -> float:
        return time.time() + self.clock_offset

    # -- lifecycle

    def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        server = EmulatorHTTPServer((host, port), self)
        self._server = server
        origin = f"http://{host}:{server.server_address[1]}"
        self.world.origin = origin
        self.ltx_base_url = origin + API_PREFIX
        self.bfl_base_url = origin
        self.base_url = self.bfl_base_url if self.config.provider == "bfl" else self.ltx_base_url
        serve = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True)
        ticker = threading.Thread(target=self._tick_loop, daemon=True)
        self._threads = [serve, ticker]
        for thread in self._threads:
            thread.start()
        return self.base_url

    def stop(self) -> None:
        server = self._server
        if server is None:
            return
        server.stopping.set()
        server.shutdown()
        server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self.world.pool.shutdown(wait=False, cancel_futures=True)
        self._server = None

    def __enter__(self) -> Emulator:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else 0

    def _tick_loop(self) -> None:
        assert self._server is not None
        stopping = self._server.stopping
        while not stopping.wait(TICK):
            for job in self.world.owed_webhooks():
                deliver(self.world, job)
            for task in self.bfl.owed_webhooks():
                self.bfl.deliver(task)

    # -- test knobs

    def _record(self, method: str, route: str, path: str) -> None:
        with self._requests_lock:
            self.requests.append((method, route, path))
            if len(self.requests) > REQUEST_LOG_LIMIT:
                del self.requests[: REQUEST_LOG_LIMIT // 2]

    def calls(self, route: str, method: str | None = None) -> int:
        """How many requests hit `route` (optionally only with `method`)."""
        with self._requests_lock:
            return sum(1 for m, r, _ in self.requests if r == route and method in (None, m))

    def fail_next_job(self, message: str = "Generation failed") -> None:
        with self.world.lock:
            self.world.fail_next.append(message)

    def set_credits(self, email: str, credits: int, token: str | None = None) -> None:
        with self.world.lock:
            for key, tenant in self.world.tenants.items():
                if token in (None, key) and email in tenant.accounts:
                    tenant.accounts[email].credits = credits

    def set_bfl_credits(self, credits: float, key: str | None = None) -> None:
        """Set the BFL balance of `key` (of every BFL key when None)."""
        with self.world.lock:
            for account in self.bfl.accounts.values():
                if key in (None, account.key):
                    account.credits = credits

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward: jobs finish, URLs and records expire."""
        self.clock_offset += seconds

    @property
    def webhooks(self) -> list[tuple[str, str]]:
        """(replyUrl or webhook_url, outcome) of every webhook attempt."""
        return list(self.world.webhooks)
