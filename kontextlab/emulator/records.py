"""What the emulated service holds: error answers, accounts, jobs, and each token's tenant."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from kontextlab.emulator.files import StoredFile
from kontextlab.emulator.renderer import Rendered


class ApiFailure(Exception):
    """An error answer: `{"error": message, "code": status, **extra}`."""

    def __init__(
        self,
        status: int,
        message: str,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra or {}
        self.headers: dict[str, str] = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": self.message, **self.extra, "code": self.status}


@dataclass
class Account:
    email: str
    credits: int
    max_jobs: int


@dataclass
class EmulatedJob:
    """A job as the emulated service keeps it (not the app's history record)."""

    job_id: str
    generation_id: str
    email: str
    kind: str
    created: float
    seed: int
    reply_url: str | None
    reply_ref: str | None
    render: Future[Rendered] | None
    fail_message: str | None = None
    state: str = "active"
    done_at: float = 0.0
    file: StoredFile | None = None
    tracked: bool = True
    notified: bool = False
    owner_files: dict[str, StoredFile] = field(default_factory=dict)


@dataclass
class Tenant:
    accounts: dict[str, Account]
    jobs: dict[str, EmulatedJob] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
