"""The background job runner: record first, then submit and follow each job in a thread.

Streamlit abandons a script run whenever the user clicks elsewhere, so the network calls
that create and follow a job live here, in daemon threads that write every state into the
history store. The page only reads the store.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa

from kontextlab import api
from kontextlab.config import DEFAULT_IMAGE_BUDGET_MB, MB
from kontextlab.history import ACTIVE_STATUSES as ACTIVE
from kontextlab.history import FULL_IMAGE_DROPPED, HistoryStore, JobRecord
from kontextlab.images import BadImage, thumbnail
from kontextlab.payloads import (
    AnyRequest,
    CreateRequest,
    EditRequest,
    FieldError,
    InvalidRequest,
    UpscaleRequest,
    draw_seed,
)

log = logging.getLogger(__name__)

IMAGE_BUDGET_BYTES = 6 * 1024 * 1024  # one full image larger than this is not kept
T = TypeVar("T")
UNKNOWN = "unknown"
# The History table's settings (store column: payload key), from the payload sent.
SUMMARY_KEYS = {
    "prompt": "prompt",
    "style": "style",
    "aspect_ratio": "aspectRatio",
    "seed": "seed",
    "model": "model",
}
# An "unknown" job's card leads with UNKNOWN_HEADLINE; its row message says what happened since.
UNKNOWN_HEADLINE = (
    "The app cannot tell whether this picture was made: the server may have made it, "
    "and may have charged for it."
)
LOST_ANSWER_MESSAGE = (
    "The server's answer was lost on the way. The app is looking for the job among your "
    "account's jobs."
)
RESTART_MESSAGE = (
    "The app restarted before the server confirmed this job. The app is looking for it among "
    "your account's jobs."
)
# The card adds where to look further (History's sync) for those who may sync the account.
NOT_FOUND_MESSAGE = (
    "It is not among your account's running jobs or newest pictures, so it was probably not made."
)
CHECK_FAILED_MESSAGE = (
    "The app could not check your account just now. Try “Check my account” again in a minute."
)
# Database errors that pass (a restart, a lock, a dropped connection): worth waiting out.
STORE_TROUBLE = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)


class StoreUnavailable(Exception):
    """The history store stayed unreachable for longer than the runner waits."""


class TooManyJobs(Exception):
    """Another job now would pass a cap on jobs in flight. Nothing was recorded or sent; the
    message is a plain sentence that says what to do."""


UPSCALE_OF_UPSCALE = (
    "This picture is already an upscale, so it cannot be upscaled again. Upscale the "
    "original picture instead."
)
BUSY_PROCESS_MESSAGE = (
    "The app is making a lot of pictures for other people right now; try again in a minute."
)


def busy_scope_message(count: int) -> str:
    pictures = "picture" if count == 1 else "pictures"
    return (
        f"You already have {count} {pictures} on the way; wait for one to finish, then try again."
    )


@dataclass(frozen=True)
class RunnerSettings:
    poll_interval: float = 1.0  # at most one status request per second per job
    slow_poll_interval: float = 3.0  # after `slow_after` seconds, poll more gently
    slow_after: float = 60.0
    give_up_after: float = 30 * 60.0  # a job still active after this is marked failed
    busy_retries: int = 3
    busy_wait: float = 10.0  # when a 429 carries no Retry-After
    artifact_grace: float = 60.0  # "completed" without assetUrl: keep polling this long
    store_patience: float = 120.0  # keep retrying a failed database write this long
    resume_every: float = 2.0  # at most one resume sweep per account this often
    search_every: float = 30.0  # an "unknown" job is looked for at most this often
    search_for: float = 3600.0  # ... and automatically only while it is younger than this
    search_assets: int = 20  # newest account pictures checked for a lost job
    max_in_flight_per_scope: int = 4  # jobs on the way for one visitor (account key)
    max_in_flight: int = 32  # workers in this server process, for every visitor together
    image_budget_bytes: int = int(DEFAULT_IMAGE_BUDGET_MB * MB)  # full images per visitor


MISSING_REFERENCE = (
    "The picture this job starts from is no longer on the server (its upload or result has "
    "expired). Upload it again, or pick a newer result."
)


def failure_message(server_message: str | None) -> str:
    """The server's reason for a failed job, made plain where we recognise it."""
    text = (server_message or "").strip()
    lowered = text.lower()
    if "reference" in lowered and ("not found" in lowered or "expired" in lowered):
        return MISSING_REFERENCE
    return text or "The job failed on the server."


class JobRunner:
    """One per server process. Thread-safe; every job's state lives in the store."""

    def __init__(
        self,
        store: HistoryStore,
        settings: RunnerSettings | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.settings = settings or RunnerSettings()
        self.sleep = sleep
        self._threads: dict[str, threading.Thread] = {}
        self._scopes: dict[str, str] = {}  # row id → account key, for every started worker
        self._swept: dict[str, float] = {}  # account key → last resume sweep (monotonic)
        self._searched: dict[str, float] = {}  # row id → last search for a lost job
        # Re-entrant: submit and resume hold it across "record or look up, then start", so
        # a resume in another session never sees a just-recorded job as abandoned.
        self._lock = threading.RLock()

    # -- public

    def submit(
        self,
        client: api.Client,
        request: AnyRequest,
        *,
        account_key: str,
        parent_id: str | None = None,
    ) -> str:
        """Validate, record the job, then send it from a worker thread. Returns the row id.
        Raises InvalidRequest when the form is invalid, and TooManyJobs when this visitor
        (`account_key`) or the whole process already has as many jobs on the way as allowed;
        either way nothing is recorded and nothing is sent.

        A create or edit without a seed gets one drawn here: the vendor does not report the
        seed it used, so the seed sent is the only one the app can show and re-use."""
        if isinstance(request, CreateRequest | EditRequest) and request.seed is None:
            request = dataclasses.replace(request, seed=draw_seed())
        payload = request.payload()
        if isinstance(request, UpscaleRequest):
            self._check_upscale_source(request, account_key, parent_id)
        with self._lock:
            self._check_room(account_key)
            row_id = self.store.add_job(
                account_key=account_key,
                kind=request.kind,
                request=payload,
                summary={name: payload.get(key) for name, key in SUMMARY_KEYS.items()},
                parent_id=parent_id,
            )
            self._start(row_id, account_key, self._run_new, client, request, account_key)
        return row_id

    def _check_upscale_source(
        self, request: UpscaleRequest, account_key: str, parent_id: str | None
    ) -> None:
        """An upscale of an upscale would grow the picture (and the memory it takes) again
        and again: refuse it as an invalid request."""
        source = self.store.get(parent_id, account_key) if parent_id else None
        if source is None and request.job_id:
            source = self.store.find_by_job_id(account_key, request.job_id)
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

    def resume(self, client: api.Client, account_key: str, *, force: bool = False) -> int:
        """Follow jobs that no worker follows: left in flight by an earlier session or
        server, by a worker that lost its database, or whose answer was lost. Cheap to call
        on every page run (one sweep per account every `resume_every` seconds)."""
        now = time.monotonic()
        with self._lock:
            last = self._swept.get(account_key)
            if not force and last is not None and now - last < self.settings.resume_every:
                return 0
            self._swept[account_key] = now
            count = 0
            for record in self.store.in_flight(account_key, (*ACTIVE, UNKNOWN)):
                if not self._room_to_follow(account_key):
                    break
                if not self.is_running(record.id) and self._resume_one(client, record):
                    count += 1
        return count

    def _resume_one(self, client: api.Client, record: JobRecord) -> bool:
        scope = record.account_key
        if record.job_id and record.status != UNKNOWN:
            self._start(record.id, scope, self._run_existing, client, record.job_id, scope)
            return True
        if record.status != UNKNOWN:  # recorded, never confirmed: the app stopped meanwhile
            # A page run calls this: no waiting out a database outage here (the page says so).
            self.store.update_job(
                record.id, status=UNKNOWN, message=RESTART_MESSAGE, error_kind=UNKNOWN
            )
        elif not self._search_due(record):
            return False
        self._start(record.id, scope, self._run_search, client, scope)
        return True

    def _search_due(self, record: JobRecord) -> bool:
        age = (datetime.now(UTC) - record.created_at).total_seconds()
        last = self._searched.get(record.id)
        recent = last is not None and time.monotonic() - last < self.settings.search_every
        return age < self.settings.search_for and not recent

    def check_account(self, client: api.Client, row_id: str, account_key: str) -> bool:
        """Look for an "unknown" job now ("Check my account"). False if already looking;
        TooManyJobs when the caps on jobs in flight leave no room for one more worker."""
        with self._lock:
            record = self.store.get(row_id, account_key)
            if record is None or record.status != UNKNOWN or self.is_running(row_id):
                return False
            if not self._room_to_follow(account_key):
                raise TooManyJobs(busy_scope_message(len(self._live_rows(account_key))))
            self._start(row_id, account_key, self._run_search, client, account_key)
            return True

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

    def _guard(self, row_id: str, target: Callable[..., None], *args: Any) -> None:
        try:
            try:
                target(row_id, *args)
            except api.ApiError as exc:
                self._fail(row_id, exc.user_message, type(exc).__name__)
            except StoreUnavailable:
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
        finally:
            with self._lock:
                self._threads.pop(row_id, None)
                self._scopes.pop(row_id, None)

    def _save(self, row_id: str, **changes: Any) -> None:
        """Write a job's new state, waiting out a database that is briefly unavailable."""
        self._patiently(row_id, lambda: self.store.update_job(row_id, **changes))

    def _keep_image(self, row_id: str, image: bytes) -> list[str]:
        """Keep a full image within its visitor's budget; the ids whose copy was dropped."""
        budget = self.settings.image_budget_bytes
        return self._patiently(row_id, lambda: self.store.keep_image(row_id, image, budget))

    def _patiently(self, row_id: str, write: Callable[[], T]) -> T:
        """Run a database write, waiting out a database that is briefly unavailable."""
        waited, attempt = 0.0, 0
        while True:
            try:
                return write()
            except STORE_TROUBLE as exc:
                delay = min(10.0, 0.5 * 2**attempt)
                if waited + delay > self.settings.store_patience:
                    raise StoreUnavailable(str(exc)) from exc
                log.warning("job %s: database write failed, retrying in %.1f s", row_id, delay)
                self.sleep(delay)
                waited, attempt = waited + delay, attempt + 1

    def _fail(self, row_id: str, message: str, kind: str) -> None:
        self._save(
            row_id,
            status="failed",
            message=message,
            error_kind=kind,
            completed_at=datetime.now(UTC),
        )

    def _run_new(
        self, row_id: str, client: api.Client, request: AnyRequest, account_key: str
    ) -> None:
        self._save(row_id, started_at=datetime.now(UTC))
        try:
            job = self._submit_with_busy_retry(row_id, client, _tagged(request, row_id))
        except api.PaymentRequired as exc:
            self._fail(row_id, self._credits_message(client, request, exc), "PaymentRequired")
            return
        except api.OutcomeUnknown:
            self._save(row_id, status=UNKNOWN, message=LOST_ANSWER_MESSAGE, error_kind=UNKNOWN)
            self._run_search(row_id, client, account_key)
            return
        self._save(
            row_id,
            status="active",
            job_id=job.job_id,
            generation_id=job.generation_id,
            message=None,
            progress=job.progress or 0.0,
        )
        self._follow(row_id, client, job)

    def _run_existing(self, row_id: str, client: api.Client, job_id: str, account_key: str) -> None:
        try:
            job = client.job(job_id)
        except api.NotFound:
            self._fail(
                row_id,
                "The server no longer has this job: it expired before the app "
                "could read its result.",
                "NotFound",
            )
            return
        self._follow(row_id, client, job)

    def _submit_with_busy_retry(
        self, row_id: str, client: api.Client, request: AnyRequest
    ) -> api.Job:
        # Only a 429 proves that no job was created, so only a 429 is resubmitted.
        for attempt in range(self.settings.busy_retries + 1):
            try:
                return client.submit(request)
            except api.Busy as exc:
                if attempt == self.settings.busy_retries or exc.wait_too_long:
                    raise
                wait = exc.retry_after if exc.retry_after is not None else self.settings.busy_wait
                self._save(row_id, message=f"All accounts are busy; trying again in {wait:.0f} s.")
                self.sleep(wait)
        raise AssertionError("unreachable")

    def _credits_message(
        self, client: api.Client, request: AnyRequest, exc: api.PaymentRequired
    ) -> str:
        try:
            email = request.email or next(iter(client.accounts()), None)
            balance = client.balance(email) if email else None
        except api.ApiError:
            balance = None
        if balance is None:
            return exc.user_message
        return f"{exc.user_message} The balance is {balance:,.0f} credits."

    def _follow(self, row_id: str, client: api.Client, job: api.Job) -> None:
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
            if job.status is api.JobStatus.COMPLETED:
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
            job = self._poll(row_id, client, job)
        if job.is_failed:
            self._fail(row_id, failure_message(job.message), "job_failed")
        else:
            self._complete(row_id, client, job)

    def _poll(self, row_id: str, client: api.Client, job: api.Job) -> api.Job:
        try:
            fresh = client.job(job.job_id or "")
        except (api.Timeout, api.NetworkError, api.ServerError, api.UnreadableResponse, api.Busy):
            # A status GET that still fails after the client's own retries: keep going.
            self._save(row_id, message="Lost contact with the server for a moment; still waiting.")
            return job
        except api.NotFound:
            raise api.NotFound(
                "The server no longer has this job: it expired before it finished."
            ) from None
        progress = fresh.progress if fresh.progress is not None else job.progress
        self._save(row_id, progress=progress or 0.0, message=None)
        return fresh

    def _complete(self, row_id: str, client: api.Client, job: api.Job) -> None:
        artifact = job.artifact
        assert artifact is not None and artifact.asset_url
        changes: dict[str, Any] = {
            "status": "completed",
            "progress": 100.0,
            "message": None,
            "asset_url": artifact.asset_url,
            "url_expires_at": artifact.expires_at,
            "file_id": artifact.file_id,
            "mime_type": artifact.mime_type,
            "completed_at": datetime.now(UTC),
            "job_id": job.job_id,
        }
        pictures = self._pictures(client, artifact)
        full = pictures.pop("image", None)
        changes.update(pictures)
        if full is not None and row_id in self._keep_image(row_id, full):
            changes["message"] = FULL_IMAGE_DROPPED
        self._save(row_id, **changes)

    def _pictures(self, client: api.Client, artifact: api.Asset) -> dict[str, Any]:
        """A thumbnail (and the full image, when not too large for one copy) to keep, so
        history outlives the URL; the full image is kept within the visitor's budget."""
        try:
            data, content_type = client.download(artifact.asset_url or "")
            thumb, width, height = thumbnail(data)
        except api.ApiError:
            return {"message": "The image is ready, but the app could not save a copy of it."}
        except BadImage:  # not a picture, broken, or too many pixels to decode safely
            return {"message": "The image is ready, but the app could not read it."}
        image = data if len(data) <= IMAGE_BUDGET_BYTES else None
        mime = artifact.mime_type or content_type.split(";")[0] or None
        return {
            "thumbnail": thumb,
            "image": image,
            "width": width,
            "height": height,
            "mime_type": mime,
        }

    # -- finding a job whose answer was lost

    def _run_search(self, row_id: str, client: api.Client, account_key: str) -> None:
        """Find a job the server may have made although its answer never arrived, by the
        `replyRef` it was sent with; follow it when found, else leave it "unknown"."""
        self._searched[row_id] = time.monotonic()
        record = self.store.get(row_id, account_key)
        if record is None or record.status != UNKNOWN:
            return
        reference = record.request.get("replyRef") or record.id
        try:
            job_id = self._running_job(client, record, reference) or self._finished_job(
                client, record, reference
            )
        except api.ApiError:
            self._save(row_id, message=CHECK_FAILED_MESSAGE)
            return
        if job_id is None:
            self._save(row_id, message=NOT_FOUND_MESSAGE)
            return
        self._save(row_id, status="active", job_id=job_id, message=None, error_kind=None)
        self._run_existing(row_id, client, job_id, account_key)

    def _running_job(self, client: api.Client, record: JobRecord, reference: str) -> str | None:
        matches = [
            entry.job_id
            for entry in client.scheduler()
            if entry.reply_ref == reference and not self._known(record, entry.job_id)
        ]
        return matches[0] if len(matches) == 1 else None

    def _finished_job(self, client: api.Client, record: JobRecord, reference: str) -> str | None:
        """A job that already ended has left the scheduler: look through the account's
        newest pictures that no other row knows, reading each job's `replyRef`."""
        email = record.request.get("email")
        page = client.list_assets(email=email, limit=self.settings.search_assets)
        for item in page.items:
            if not item.job_id or self._known(record, item.job_id):
                continue
            job = client.job(item.job_id)
            if job.reply_ref == reference:
                return item.job_id
        return None

    def _known(self, record: JobRecord, job_id: str) -> bool:
        # Any scope: on a shared token, another visitor's job may carry the same replyRef
        # (one the user typed), and must never be adopted into this visitor's history.
        return self.store.job_id_taken(job_id, record.id)


def _tagged(request: AnyRequest, row_id: str) -> AnyRequest:
    """The request as sent: `replyRef` carries the row id when the user set none, so a job
    whose answer is lost can be recognised in `GET scheduler` and in its job record."""
    if request.reply_ref:
        return request
    return dataclasses.replace(request, reply_ref=row_id)
