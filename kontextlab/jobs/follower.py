"""Following a sent job until it ends: polling its state, then keeping its picture.

The runner's workers inherit this. A job holds its upstream account's slot (see gate.py)
until it ended there; the slot is freed before the picture is downloaded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from kontextlab.history import FULL_IMAGE_DROPPED, HistoryStore
from kontextlab.jobs.gate import AccountGate
from kontextlab.jobs.leases import LeaseKeeper
from kontextlab.jobs.words import RunnerSettings, failure_message
from kontextlab.providers import (
    JobUpdate,
    PaymentRequired,
    PreparedRequest,
    Provider,
    ProviderError,
    TryLater,
)
from kontextlab.vocabulary import JobState


class Follower(LeaseKeeper):
    """Polls jobs, writes their states, keeps their pictures; owns the accounts' gate."""

    def __init__(
        self,
        store: HistoryStore,
        settings: RunnerSettings | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(store, settings, sleep)
        self.gate = AccountGate(self.settings.account_slots, self.settings.account_slots_refresh)

    def _credits_message(
        self, provider: Provider, prepared: PreparedRequest, exc: PaymentRequired
    ) -> str:
        try:
            balance = provider.balance(prepared.account)
        except ProviderError:
            balance = None
        if balance is None:
            return exc.user_message
        return f"{exc.user_message} The balance is {balance:,.0f} credits."

    def _follow(self, row_id: str, provider: Provider, job: JobUpdate) -> None:
        started = time.monotonic()
        completed_since: float | None = None
        while not job.is_finished:
            elapsed = time.monotonic() - started
            if elapsed > self.settings.give_up_after:
                self._fail(
                    row_id,
                    "The job took too long and was given up. It may still "
                    "appear later through “Sync from account”.",
                    "gave_up",
                )
                return
            if job.state is JobState.COMPLETED:  # ... but its picture's link is not there yet
                completed_since = completed_since or time.monotonic()
                if time.monotonic() - completed_since > self.settings.artifact_grace:
                    self._fail(
                        row_id,
                        "The server said the job completed but sent no image.",
                        "no_artifact",
                    )
                    return
            slow = elapsed > self.settings.slow_after
            self.sleep(self.settings.slow_poll_interval if slow else self.settings.poll_interval)
            job = self._poll(row_id, provider, job)
        self.gate.leave(row_id)  # ended upstream: the account's slot is free for the next
        if job.is_failed:
            self._fail(row_id, failure_message(job.message), "job_failed")
        else:
            self._complete(row_id, provider, job)

    def _poll(self, row_id: str, provider: Provider, job: JobUpdate) -> JobUpdate:
        try:
            fresh = provider.status(job.job_id or "", job.follow)
        except TryLater:
            # A status read that still fails after the client's own retries: keep going.
            self._save(row_id, message="Lost contact with the server for a moment; still waiting.")
            return job
        # A NotFound goes up as the provider worded it (its sentence ends on the card).
        progress = fresh.progress if fresh.progress is not None else job.progress
        self._save(row_id, progress=progress or 0.0, message=None)
        if fresh.follow is None and job.follow is not None:
            fresh = replace(fresh, follow=job.follow)
        return fresh

    def _complete(self, row_id: str, provider: Provider, job: JobUpdate) -> None:
        picture = job.picture
        assert picture is not None and picture.url
        changes: dict[str, Any] = {
            "status": JobState.COMPLETED,
            "progress": 100.0,
            "message": None,
            "asset_url": picture.url,
            "url_expires_at": picture.expires_at,
            "file_id": picture.file_id,
            "mime_type": picture.mime_type,
            "completed_at": datetime.now(UTC),
            "job_id": job.job_id,
        }
        pictures = self._pictures(provider, picture)
        full = pictures.pop("image", None)
        changes.update(pictures)
        if full is not None and row_id in self._keep_image(row_id, full):
            changes["message"] = FULL_IMAGE_DROPPED
        self._save(row_id, **changes)
