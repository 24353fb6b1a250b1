"""Emulator knobs and the public demo credentials."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEMO_TOKEN = "kontextlab-demo"  # public on purpose: it only opens the local emulator
DEMO_EMAIL = "demo@kontextlab.app"
DEMO_BFL_KEY = "kontextlab-demo-bfl"  # public on purpose, like DEMO_TOKEN: the BFL routes' key
API_PREFIX = "/v1/ltxstudio"
BFL_PREFIX = "/v1/"  # the BFL routes: /v1/flux-kontext-pro, /v1/get_result, /v1/credits
PROVIDERS = ("ltx", "bfl")
FILES_PREFIX = "/_files/"
CONTROL_PREFIX = "/_control/"
DEMO_FILES = 128 * 1024 * 1024  # the demo's file budget, in bytes
DEMO_CREDITS = 10**12  # the demo never runs out; the app limits each visitor per day
COSTS = {"flux": 28, "flux-premium": 28, "nano-banana": 49, "upscale": 28}
BFL_COSTS = {"flux-kontext-pro": 4, "flux-kontext-max": 8}  # credits; 1 credit = 0.01 USD


@dataclass(frozen=True)
class EmulatorConfig:
    job_seconds: float = 6.0  # how long a job stays active
    poll_tick: float = 3.0  # the pollForResult tick
    artifact_lag: float = 0.0  # seconds a completed job shows no artifact yet
    tokens: tuple[str, ...] = (DEMO_TOKEN,)  # each token has its own accounts, jobs, assets
    accounts: tuple[str, ...] | list[str] | None = None  # None → one account, DEMO_EMAIL
    credits: int = 100_000
    max_jobs: int = 5
    url_lifetime: float = 3600.0
    record_lifetime: float = 86400.0
    test_mode: bool = False  # enables the HTTP control endpoints under /_control/
    allow_webhook_hosts: tuple[str, ...] = ("127.0.0.1", "localhost")
    render_workers: int = 2
    # The vendor lets a request's maxJobs override the account's: True does the same. False
    # (the demo) lets it only lower the account's max_jobs, never raise it.
    max_jobs_override: bool = True
    # Bytes of uploads, renders and thumbnails held at most; the least recently used go first.
    file_budget_bytes: int = 256 * 1024 * 1024
    # Both providers' routes are always served; `provider` picks the base URL `start()`
    # returns: "ltx" → origin + API_PREFIX, "bfl" → the origin (BFL paths start with /v1/).
    provider: str = "ltx"
    bfl_keys: tuple[str, ...] = (DEMO_BFL_KEY,)  # accepted `x-key` values, each its own balance
    bfl_credits: float = 10_000.0
    bfl_max_tasks: int = 24  # active tasks per key, both models together
    bfl_max_tasks_max: int = 6  # of which FLUX.1 Kontext [max]: our number, BFL says "fewer"
    bfl_sample_lifetime: float = 600.0  # seconds a Ready task's `result.sample` URL works

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            raise ValueError(f"Unknown provider {self.provider!r}; use one of {PROVIDERS}.")

    @property
    def emails(self) -> tuple[str, ...]:
        return (DEMO_EMAIL,) if self.accounts is None else tuple(self.accounts)

    @classmethod
    def demo(cls, **knobs: Any) -> EmulatorConfig:
        """The built-in demo of a public app, shared by strangers: no request raises the
        account's concurrency, and it holds fewer files."""
        # Visitors are limited per day by the app; a shared balance would let any one of
        # them run the demo dry for everyone.
        values: dict[str, Any] = {
            "max_jobs_override": False,
            "file_budget_bytes": DEMO_FILES,
            "credits": DEMO_CREDITS,
            "bfl_credits": float(DEMO_CREDITS),
        }
        return cls(**{**values, **knobs})
