"""The background job runner: record first, then submit and follow each job in a thread.

Streamlit abandons a script run whenever the user clicks elsewhere, so the network calls
that create and follow a job live here, in daemon threads that write every state into the
history store. The page only reads the store.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from kontextlab.history import HistoryStore, JobRecord
from kontextlab.jobs.follower import Follower
from kontextlab.jobs.gate import Key
from kontextlab.jobs.words import (
    BUSY_PROCESS_MESSAGE,
    CHECK_FAILED_MESSAGE,
    LOST_ANSWER_MESSAGE,
    NO_SEARCH_MESSAGE,
    NOT_FOUND_MESSAGE,
    RESTART_MESSAGE,
    UNKNOWN,
    UPSCALE_OF_UPSCALE,
    RunnerSettings,
    StoreUnavailable,
    TooManyJobs,
    busy_scope_message,
    group_refusal,
    waiting_message,
)
from kontextlab.jobs.writer import LeaseLost
from kontextlab.providers import (
    Busy,
    FieldError,
    InvalidRequest,
    JobUpdate,
    NotFound,
    OutcomeUnknown,
    PaymentRequired,
    PreparedRequest,
    Provider,
    ProviderError,
)
from kontextlab.vocabulary import ACTIVE_STATES, STOPPED_MESSAGE, JobState

log = logging.getLogger(__name__)


class JobRunner(Follower):
    """One per server process. Thread-safe; every job's state lives in the store."""

    def __init__(
        self,
        store: HistoryStore,
        settings: RunnerSettings | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(store, settings, sleep)
        self._scopes: dict[str, str] = {}  # row id → account key, for every started worker
        # (account key, provider) → last resume sweep (monotonic): a visitor who switches
        # service has that service's rows swept at once, not after the other's throttle.
        self._swept: dict[tuple[str, str], float] = {}
        self._searched: dict[str, float] = {}  # row id → last search for a lost job

    # -- public

    def submit(
        self,
        provider: Provider,
        prepared: PreparedRequest,
        *,
        account_key: str,
        parent_id: str | None = None,
        batch_id: str | None = None,
        payer: str | None = None,
    ) -> str:
        """Record a prepared request, then send it from a worker thread. Returns the row id.
        Raises InvalidRequest for an upscale of an upscale, and TooManyJobs when this visitor
        (`account_key`) or the whole process already has as many jobs on the way as allowed;
        either way nothing is recorded and nothing is sent.

        The row id is chosen first and the provider completes the request with it (a drawn
        seed, the row's tag): what is recorded is exactly what is sent. `payer` names whose
        upstream account it runs on (a token's account key; the visitor's scope when None):
        jobs of one account go out only as many at a time as it takes (see gate.py)."""
        if prepared.kind == "upscale":
            self._check_upscale_source(prepared, account_key, parent_id)
        with self._lock:
            self._check_room(account_key)
            return self._record_and_start(
                provider, prepared, account_key, parent_id, batch_id, payer
            )

    def submit_many(
        self,
        provider: Provider,
        requests: Sequence[PreparedRequest],
        *,
        account_key: str,
        batch_id: str,
        parent_id: str | None = None,
        payer: str | None = None,
    ) -> list[str]:
        """Record jobs sent together by one click (a batch of seeds, every look) under
        `batch_id`, then send each as the account's slots allow. All or nothing: TooManyJobs
        (nothing recorded or sent) when they would pass the visitor's cap on jobs sent
        together, or the process's on workers."""
        if any(r.kind == "upscale" for r in requests):
            raise InvalidRequest([FieldError("kind", "Upscales are sent one at a time.")])
        with self._lock:
            count = self.in_flight_count(account_key)
            cap = self.settings.max_group_per_scope
            if count + len(requests) > cap:
                raise TooManyJobs(group_refusal(count, len(requests), cap))
            if self.running_count() + len(requests) > self.settings.max_in_flight:
                raise TooManyJobs(BUSY_PROCESS_MESSAGE)
            return [
                self._record_and_start(provider, r, account_key, parent_id, batch_id, payer)
                for r in requests
            ]

    def _record_and_start(
        self,
        provider: Provider,
        prepared: PreparedRequest,
        account_key: str,
        parent_id: str | None,
        batch_id: str | None,
        payer: str | None,
    ) -> str:
        row_id = uuid.uuid4().hex
        sent = provider.finalize(prepared, tag=row_id)
        self.store.add_job(
            account_key=account_key,
            kind=sent.kind,
            # Exactly what is sent, but a secret it carries (a webhook's signing secret).
            request=provider.capabilities.without_secrets(sent.body),
            summary=sent.summary,
            provider=sent.provider,
            parent_id=parent_id,
            rid=row_id,
            batch_id=batch_id,
        )
        self._claim(row_id)  # a row nobody else has seen yet: always ours
        key = (payer or account_key, provider.capabilities.name, sent.account or "")
        self._start(row_id, account_key, self._run_new, provider, sent, account_key, key)
        return row_id

    def _check_upscale_source(
        self, prepared: PreparedRequest, account_key: str, parent_id: str | None
    ) -> None:
        """An upscale of an upscale would grow the picture (and the memory it takes) again
        and again: refuse it as an invalid request."""
        source = self.store.get(parent_id, account_key) if parent_id else None
        if source is None and prepared.source_job:
            source = self.store.find_by_job_id(account_key, prepared.source_job)
        if source is not None and source.kind == "upscale":
            raise InvalidRequest([FieldError("job_id", UPSCALE_OF_UPSCALE)])

    def in_flight_count(self, account_key: str) -> int:
        """Jobs on the way for one scope: its live workers, and its queued or active rows
        (a row left active by an earlier server is on the way too, until resumed)."""
        with self._lock:
            rows = {r.id for r in self.store.in_flight(account_key)}
            return len(rows | self._live_rows(account_key))

    def _live_rows(self, account_key: str) -> set[str]:
        return {
            row_id
            for row_id, thread in self._threads.items()
            if thread.is_alive() and self._scopes.get(row_id) == account_key
        }

    def _check_room(self, account_key: str) -> None:
        count = self.in_flight_count(account_key)
        if count >= self.settings.max_in_flight_per_scope:
            raise TooManyJobs(busy_scope_message(count))
        if self.running_count() >= self.settings.max_in_flight:
            raise TooManyJobs(BUSY_PROCESS_MESSAGE)

    def _room_to_follow(self, account_key: str) -> bool:
        """Whether a resume may start one more worker for this scope: resumed jobs wait for
        a free slot (the next sweep) rather than pass the caps."""
        per_scope = len(self._live_rows(account_key)) < self.settings.max_in_flight_per_scope
        return per_scope and self.running_count() < self.settings.max_in_flight

    def resume(self, provider: Provider, account_key: str, *, force: bool = False) -> int:
        """Follow jobs that no worker follows: left in flight by an earlier session or
        server, by a worker that lost its database, or whose answer was lost. Cheap to call
        on every page run (one sweep per account every `resume_every` seconds)."""
        now = time.monotonic()
        with self._lock:
            sweep = (account_key, provider.capabilities.name)
            last = self._swept.get(sweep)
            if not force and last is not None and now - last < self.settings.resume_every:
                return 0
            self._swept[sweep] = now
            count = 0
            for record in self.store.in_flight(account_key, (*ACTIVE_STATES, UNKNOWN)):
                if not self._room_to_follow(account_key):
                    break
                if not self.is_running(record.id) and self._resume_one(provider, record):
                    count += 1
        return count

    def _resume_one(self, provider: Provider, record: JobRecord) -> bool:
        scope = record.account_key
        # A row another provider made is followed by that provider's connection only.
        made_by = record.provider or provider.capabilities.name
        if made_by != provider.capabilities.name:
            return False
        if record.status == UNKNOWN and not self._search_due(record):
            return False
        if not self._claim(record.id):  # another app process follows it
            return False
        if record.job_id and record.status != UNKNOWN:
            args = (provider, record.job_id, scope, record.follow_url)
            self._start(record.id, scope, self._run_existing, *args)
            return True
        if record.status != UNKNOWN:  # recorded, never confirmed: the app stopped meanwhile
            # A page run calls this: no waiting out a database outage here (the page says so).
            self.store.update_job(
                record.id, status=UNKNOWN, message=RESTART_MESSAGE, error_kind=UNKNOWN
            )
        self._start(record.id, scope, self._run_search, provider, scope)
        return True

    def _search_due(self, record: JobRecord) -> bool:
        age = (datetime.now(UTC) - record.created_at).total_seconds()
        last = self._searched.get(record.id)
        recent = last is not None and time.monotonic() - last < self.settings.search_every
        return age < self.settings.search_for and not recent

    def check_account(self, provider: Provider, row_id: str, account_key: str) -> bool:
        """Look for an "unknown" job now ("Check my account"). False if already looking;
        TooManyJobs when the caps on jobs in flight leave no room for one more worker."""
        with self._lock:
            record = self.store.get(row_id, account_key)
            if record is None or record.status != UNKNOWN or self.is_running(row_id):
                return False
            if not self._room_to_follow(account_key):
                raise TooManyJobs(busy_scope_message(len(self._live_rows(account_key))))
            if not self._claim(row_id):  # another app process is following or looking
                return False
            self._start(row_id, account_key, self._run_search, provider, account_key)
            return True

    def stop_job(self, provider: Provider, row_id: str, account_key: str) -> bool:
        """Stop a job: the provider stops tracking it (its errors go up), this process's
        worker ends at its next write without writing, the row ends "stopped". False when it is
        not this scope's running job, or another process follows it. Waits on the network."""
        record = self.store.get(row_id, account_key)
        if record is None or not record.is_active or not record.job_id or not self._claim(row_id):
            return False
        provider.stop(record.job_id)
        with self._lock:
            self._lost.add(row_id)  # its worker writes nothing more
            worker = self._threads.get(row_id)
        if worker is not None:
            worker.join(self.settings.slow_poll_interval + 10)
        with self._lock:  # a resume sweep holds it too: none starts a worker meanwhile
            current = self.store.get(row_id, account_key)
            stopped = current is not None and current.is_active
            if stopped:
                stop = {"status": JobState.STOPPED, "message": STOPPED_MESSAGE}
                self.store.update_job(row_id, **stop, error_kind="stopped")
        self._release(row_id)
        return stopped

    def is_running(self, row_id: str) -> bool:
        with self._lock:
            thread = self._threads.get(row_id)
            return bool(thread and thread.is_alive())

    def running_count(self) -> int:
        with self._lock:
            return sum(t.is_alive() for t in self._threads.values())

    def wait(self, row_id: str, timeout: float | None = None) -> None:
        """Block until a job's worker ends (for tests and scripts)."""
        with self._lock:
            thread = self._threads.get(row_id)
        if thread:
            thread.join(timeout)

    # -- threads

    def _start(self, row_id: str, scope: str, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(
            target=self._guard, args=(row_id, target, *args), name=f"job-{row_id[:8]}", daemon=True
        )
        with self._lock:
            self._threads[row_id] = thread
            self._scopes[row_id] = scope
        thread.start()
        self._ensure_heartbeat()

    def _guard(self, row_id: str, target: Callable[..., None], *args: Any) -> None:
        try:
            try:
                target(row_id, *args)
            except ProviderError as exc:
                self._fail(row_id, exc.user_message, type(exc).__name__)
            except (StoreUnavailable, LeaseLost):
                raise
            except Exception:  # a bug must still end the job visibly, never silently
                log.exception("job %s crashed", row_id)
                self._fail(
                    row_id,
                    "Something went wrong inside the app while following this job.",
                    "internal",
                )
        except StoreUnavailable:
            # The row keeps its last state; the next resume sweep follows it again.
            log.warning("job %s: history database unavailable; left for the next sweep", row_id)
        except LeaseLost:
            log.info("job %s: followed by another process now; this worker stops", row_id)
        finally:
            self.gate.leave(row_id)
            with self._lock:
                self._threads.pop(row_id, None)
                self._scopes.pop(row_id, None)
                ours = not self._halted.is_set() and row_id not in self._lost
            if ours:
                self._release(row_id)

    def _run_new(
        self,
        row_id: str,
        provider: Provider,
        prepared: PreparedRequest,
        account_key: str,
        gate_key: Key,
    ) -> None:
        if not self._enter_gate(row_id, provider, prepared, gate_key):
            raise LeaseLost(row_id)  # stopped while waiting: the row stays for a sweep
        self._save(row_id, started_at=datetime.now(UTC), message=None)
        try:
            job = self._submit_with_busy_retry(row_id, provider, prepared, gate_key)
        except PaymentRequired as exc:
            self._fail(row_id, self._credits_message(provider, prepared, exc), "PaymentRequired")
            return
        except OutcomeUnknown:
            self._save(row_id, status=UNKNOWN, message=LOST_ANSWER_MESSAGE, error_kind=UNKNOWN)
            self._run_search(row_id, provider, account_key)
            return
        changes: dict[str, Any] = {
            "status": JobState.ACTIVE,
            "job_id": job.job_id,
            "generation_id": job.generation_id,
            "message": None,
            "progress": job.progress or 0.0,
        }
        if job.follow:  # only a provider that needs more than the job id to follow it
            changes["follow_url"] = job.follow
        if job.cost is not None:  # what the provider says the job cost, in its credits
            changes["cost"] = job.cost
        self._save(row_id, **changes)
        self._follow(row_id, provider, job)

    def _run_existing(
        self,
        row_id: str,
        provider: Provider,
        job_id: str,
        account_key: str,
        follow: str | None = None,
    ) -> None:
        try:
            job = provider.status(job_id, follow)
        except NotFound:
            self._fail(
                row_id,
                "The server no longer has this job: it expired before the app "
                "could read its result.",
                "NotFound",
            )
            return
        self._follow(row_id, provider, job)

    def _enter_gate(
        self, row_id: str, provider: Provider, prepared: PreparedRequest, key: Key
    ) -> bool:
        """Wait for a free slot on the job's upstream account (see gate.py)."""
        return self.gate.enter(
            key,
            row_id,
            lambda: provider.max_jobs(prepared.account),
            stopped=lambda: self._halted.is_set() or row_id in self._lost,
            waiting=lambda slots: self._save(row_id, message=waiting_message(slots)),
        )

    def _submit_with_busy_retry(
        self, row_id: str, provider: Provider, prepared: PreparedRequest, gate_key: Key
    ) -> JobUpdate:
        # Only a 429 proves that no job was created, so only a 429 is resubmitted.
        for attempt in range(self.settings.busy_retries + 1):
            try:
                return provider.submit(prepared)
            except Busy as exc:
                # The slot goes back, and the account's limit down to the jobs running now.
                self.gate.busy(row_id)
                if attempt == self.settings.busy_retries or exc.wait_too_long:
                    raise
                wait = exc.retry_after if exc.retry_after is not None else self.settings.busy_wait
                self._save(row_id, message=f"All accounts are busy; trying again in {wait:.0f} s.")
                self.sleep(wait)
                if not self._enter_gate(row_id, provider, prepared, gate_key):
                    raise LeaseLost(row_id) from exc
        raise AssertionError("unreachable")

    # -- finding a job whose answer was lost

    def _run_search(self, row_id: str, provider: Provider, account_key: str) -> None:
        """Find a job the server may have made although its answer never arrived, by the
        tag it was sent with; follow it when found, else leave it "unknown"."""
        self._searched[row_id] = time.monotonic()
        record = self.store.get(row_id, account_key)
        if record is None or record.status != UNKNOWN:
            return
        if not provider.capabilities.can_find_lost_jobs:
            self._save(row_id, message=NO_SEARCH_MESSAGE)
            return
        try:
            job_id = provider.find_lost(
                record.request,
                record.id,
                # Any scope: on a shared token, another visitor's job may carry the same tag
                # (one the user typed), and must never be adopted into this visitor's history.
                is_known=lambda job_id: self.store.job_id_taken(job_id, record.id),
                recent=self.settings.search_assets,
            )
        except ProviderError:
            self._save(row_id, message=CHECK_FAILED_MESSAGE)
            return
        if job_id is None:
            self._save(row_id, message=NOT_FOUND_MESSAGE)
            return
        self._save(row_id, status=JobState.ACTIVE, job_id=job_id, message=None, error_kind=None)
        self._run_existing(row_id, provider, job_id, account_key)
