"""The emulated service's state and what changes it: jobs started, settled and forgotten,
uploads, signed file URLs. What it answers about them is in `answers.py`.

All mutable state lives in `World` behind one lock. Rendering runs in a small thread pool
started at submit, so status polls only read a record and sign a URL. Requests are checked by
the emulator's own rules (`rules.py`), never by the app's request models.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import math
import random
import re
import secrets
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait as wait_for_futures
from contextlib import contextmanager
from typing import Any

from PIL import Image, UnidentifiedImageError

from kontextlab.emulator import renderer, rules
from kontextlab.emulator.config import COSTS, FILES_PREFIX, EmulatorConfig
from kontextlab.emulator.files import FileShelf, StoredFile, new_file
from kontextlab.emulator.records import Account, ApiFailure, EmulatedJob, Tenant

log = logging.getLogger(__name__)
JOB_ID = re.compile(r"^email:[^:]+:[0-9a-fA-F-]+-type:[a-z]+$")
UPLOAD_LIMIT = 20 * 1024 * 1024
UPLOAD_PIXELS = 40_000_000  # our choice: the vendor states no limit
UPLOAD_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
# Drawing a picture is the emulator's own overhead, not the job's time: once a job's time is
# up on the emulator's clock, answers wait (this long at most, in wall seconds) for its render.
RENDER_GRACE = 60.0
# Answers about all of a token's jobs (a new job, lists, the scheduler) wait less: in the
# shared demo, one visitor's request must not wait out a backlog of everyone's drawings.
SHARED_GRACE = 5.0
WEBHOOK_LOG_LIMIT = 1000  # webhook outcomes kept for tests, newest last


class World:
    """Every token's accounts, jobs and files, the file shelf, and the render pool."""

    def __init__(self, config: EmulatorConfig, clock: Callable[[], float]):
        self.config = config
        self.clock = clock
        self.origin = ""  # set by the server once it has a port
        self.lock = threading.RLock()
        self.secret = secrets.token_bytes(16)
        self.tenants = {token: self._tenant() for token in config.tokens}
        self.files = FileShelf(config.file_budget_bytes)
        self.fail_next: list[str] = []
        self.webhooks: deque[tuple[str, str]] = deque(maxlen=WEBHOOK_LOG_LIMIT)
        self.pool = ThreadPoolExecutor(config.render_workers, thread_name_prefix="emu-render")
        # What tests and benchmarks read: the most jobs one account ran at once, and how
        # many submissions were refused as busy (429).
        self.peak_executing = 0
        self.busy_answers = 0

    def _tenant(self) -> Tenant:
        cfg = self.config
        return Tenant({e: Account(e, cfg.credits, cfg.max_jobs) for e in cfg.emails})

    # -- identity

    def tenant(self, authorization: str | None) -> Tenant:
        scheme, _, token = (authorization or "").partition(" ")
        tenant = self.tenants.get(token.strip()) if scheme.lower() == "bearer" else None
        if tenant is None:
            raise ApiFailure(401, "Unauthorized")
        return tenant

    def account_for(self, tenant: Tenant, email: str | None) -> Account:
        if email:
            if email not in tenant.accounts:
                raise ApiFailure(400, f"Account {email} is not configured.")
            return tenant.accounts[email]
        if not tenant.accounts:
            raise ApiFailure(400, "No LTX Studio account is configured.")
        if len(tenant.accounts) > 1:
            raise ApiFailure(
                400, "Parameter email is required when more than one account is configured."
            )
        return next(iter(tenant.accounts.values()))

    # -- jobs

    @staticmethod
    def check(kind: str, fields: dict[str, Any], *, form: bool = False) -> dict[str, Any]:
        """The request's values by the emulator's own rules; a broken rule answers 400."""
        try:
            return rules.check(kind, fields, form=form)
        except rules.RuleBroken as exc:
            raise ApiFailure(400, str(exc)) from exc

    def submit(
        self, tenant: Tenant, kind: str, values: dict[str, Any], fail: str | None = None
    ) -> EmulatedJob:
        """Start a job from values that `check` returned; with `fail`, one that fails with
        that message (an "error" fault)."""
        with self.settled(tenant):
            account = self.account_for(tenant, values.get("email"))
            self._check_capacity(tenant, account, values.get("maxJobs"))
            model = values.get("model", rules.DEFAULT_MODEL)
            cost = COSTS["upscale" if kind == "upscale" else model]
            work, problem = self._work(tenant, kind, values)
            if account.credits < cost:
                raise ApiFailure(402, "Insufficient credits")
            account.credits -= cost
            job = self._new_job(account, kind, values)
            job.owner_files = tenant.files
            job.fail_message = problem or fail
            if job.fail_message is None and self.fail_next:
                job.fail_message = self.fail_next.pop(0)
            if job.fail_message is None:
                job.render = self.pool.submit(work, job.seed)
            tenant.jobs[job.job_id] = job
            running = sum(self.executing(j, account.email) for j in tenant.jobs.values())
            self.peak_executing = max(self.peak_executing, running)
            return job

    def _check_capacity(self, tenant: Tenant, account: Account, requested: int | None) -> None:
        running = [j for j in tenant.jobs.values() if self.executing(j, account.email)]
        limit = self._job_limit(account, requested)
        if len(running) < limit:
            return
        self.busy_answers += 1
        soonest = min(j.created + self.config.job_seconds for j in running) - self.clock()
        wait = min(30, max(1, math.ceil(soonest)))
        raise ApiFailure(
            429,
            f"All {limit} job slots of {account.email} are busy; retry in {wait} s.",
            {"executingJobs": [j.job_id for j in running]},
            {"Retry-After": str(wait)},
        )

    def _job_limit(self, account: Account, requested: int | None) -> int:
        """A request's maxJobs overrides the account's; with `max_jobs_override` off (the
        demo) it may only lower it."""
        if requested is None:
            return account.max_jobs
        if self.config.max_jobs_override:
            return requested
        return min(requested, account.max_jobs)

    @staticmethod
    def executing(job: EmulatedJob, email: str | None = None) -> bool:
        return job.state == "active" and job.tracked and (email is None or job.email == email)

    def _new_job(self, account: Account, kind: str, values: dict[str, Any]) -> EmulatedJob:
        seed = values.get("seed")
        return EmulatedJob(
            job_id=f"email:{account.email}:{uuid.uuid4()}-type:image",
            generation_id=f"gen_{uuid.uuid4().hex[:12]}",
            email=account.email,
            kind=kind,
            created=self.clock(),
            seed=seed if seed is not None else random.randint(0, rules.SEED_MAX),
            reply_url=values.get("replyUrl"),
            reply_ref=values.get("replyRef"),
            render=None,
        )

    def _work(
        self, tenant: Tenant, kind: str, v: dict[str, Any]
    ) -> tuple[Callable[[int], renderer.Rendered], str | None]:
        """The render call for this job, or a reason the job will fail."""
        if kind == "upscale":
            source = tenant.jobs.get(v["jobId"])
            if source is None or source.file is None:
                raise ApiFailure(400, f"jobId {v['jobId']} is not a completed image job.")
            if source.kind == "upscale":  # our choice: memory would grow 4x per round
                raise ApiFailure(
                    400, f"jobId {v['jobId']} is an upscale; upscale the original picture instead."
                )
            if not self.files.use(source.file):
                raise ApiFailure(400, f"The picture of jobId {v['jobId']} is no longer stored.")
            data = source.file.data
            return (lambda seed: renderer.render_upscale(data)), None
        ref_id = v.get("referenceAssetId")
        ref = tenant.files.get(ref_id) if ref_id else None
        if ref is not None:
            self.files.use(ref)
        problem = f"Reference asset not found or expired: {ref_id}" if ref_id and not ref else None
        args = (v["prompt"], v.get("aspectRatio", "16:9"), v.get("model", rules.DEFAULT_MODEL))
        if kind == "edit":
            shot = (v.get("shotType", ""), v.get("shotAngle", ""))
            data = ref.data if ref else b""
            return (
                lambda seed: renderer.render_edit(data, args[0], seed, *args[1:], *shot)
            ), problem
        style = None if v.get("style") == rules.NO_STYLE else v.get("style")
        strength = v.get("reference_strength", 50)
        picture = ref.data if ref else None
        framing = {"shot_type": v.get("shotType", ""), "shot_angle": v.get("shotAngle", "")}
        return (
            lambda seed: renderer.render_create(
                args[0], seed, style, *args[1:], picture, strength, **framing
            )
        ), problem

    def find_job(self, tenant: Tenant, job_id: str) -> EmulatedJob:
        if not JOB_ID.match(job_id):
            raise ApiFailure(400, f"Invalid jobId {job_id}")
        with self.lock:
            job = tenant.jobs.get(job_id)
        if job is not None:
            self.await_renders([job])
        with self.lock:
            if job is None or self._expired(job):
                raise ApiFailure(404, "Job not found or has expired.")
            self.settle(job)
            return job

    def await_renders(self, jobs: Iterable[EmulatedJob], grace: float = RENDER_GRACE) -> None:
        """Let the renders of jobs whose time is up finish (at most `grace` seconds)."""
        with self.lock:
            now = self.clock()
            due = [
                j.render
                for j in list(jobs)
                if j.state == "active" and j.render and now >= j.created + self.config.job_seconds
            ]
        if due:
            wait_for_futures(due, timeout=grace)

    def _expired(self, job: EmulatedJob) -> bool:
        return self.clock() >= job.created + self.config.record_lifetime

    def settle(self, job: EmulatedJob) -> None:
        """Move an active job on when its time has come (idempotent)."""
        if job.state != "active" or self.clock() < job.created + self.config.job_seconds:
            return
        if job.fail_message is None and job.render is not None:
            if not job.render.done():
                return  # still drawing: stays active at 99 %
            try:
                # Usable as a reference, like an upload.
                job.file = self._store_render(job.render.result(), job.owner_files)
            except Exception as exc:  # a renderer bug must fail the job, not the server
                log.exception("render failed")
                job.fail_message = f"Rendering failed: {exc}"
            job.render = None  # the future holds the drawing's bytes: the shelf owns them now
        job.state = "failed" if job.fail_message else "completed"
        job.done_at = self.clock()

    def _store_render(
        self, rendered: renderer.Rendered, index: dict[str, StoredFile]
    ) -> StoredFile:
        stored = new_file(rendered.data, rendered.mime_type, "artifact")
        stored.thumbnail = new_file(rendered.thumbnail, "image/jpeg", "thumbnail")
        self.files.add(stored.thumbnail)
        self.files.add(stored, index)
        return stored

    @contextmanager
    def settled(self, tenant: Tenant) -> Iterator[None]:
        """Hold the lock with every job moved on, after a short wait for the renders of the
        token's jobs whose time is up."""
        self.await_renders(tenant.jobs.values(), SHARED_GRACE)
        with self.lock:
            self.settle_all()
            yield

    def settle_all(self, owed: list[EmulatedJob] | None = None) -> None:
        """Settle every job and forget the expired ones. With `owed`, add to it the finished
        jobs whose webhook is still owed, each once: only the sender of webhooks asks."""
        with self.lock:
            for tenant in self.tenants.values():
                for job in list(tenant.jobs.values()):
                    self.settle(job)
                    if owed is not None and self._finished(job) and not job.notified:
                        job.notified = True
                        owed.append(job)
                    if self._expired(job):
                        self._forget(tenant, job)

    def owed_webhooks(self) -> list[EmulatedJob]:
        """The finished jobs whose webhook is due now; each is returned once."""
        owed: list[EmulatedJob] = []
        self.settle_all(owed)
        return owed

    def _forget(self, tenant: Tenant, job: EmulatedJob) -> None:
        del tenant.jobs[job.job_id]
        if job.file:
            tenant.files.pop(job.file.file_id, None)
            self.files.discard(job.file)
            self.files.discard(job.file.thumbnail)

    def _finished(self, job: EmulatedJob) -> bool:
        return job.state == "failed" or (job.state == "completed" and self.artifact_ready(job))

    def artifact_ready(self, job: EmulatedJob) -> bool:
        return job.file is not None and self.clock() >= job.done_at + self.config.artifact_lag

    def finished(self, job: EmulatedJob) -> bool:
        self.await_renders([job])
        with self.lock:
            self.settle(job)
            return self._finished(job)

    def sign(self, stored: StoredFile) -> dict[str, Any]:
        expires = int((self.clock() + self.config.url_lifetime) * 1000)
        url = self.signed_url(stored, expires)
        asset = {"type": stored.type, "fileId": stored.file_id, "mimeType": stored.mime_type}
        if stored.type == "artifact":
            asset["artifactSubtype"] = "emulator"
        return {"assetUrl": url, "expirationDateString": str(expires), "asset": asset}

    def signed_url(self, stored: StoredFile, expires: int) -> str:
        """The download URL of a stored file, good until `expires` (ms on the emulator's
        clock)."""
        sig = self._sig(stored.key, expires)
        return f"{self.origin}{FILES_PREFIX}{stored.key}?exp={expires}&sig={sig}"

    def _sig(self, key: str, expires: int) -> str:
        return hmac.new(self.secret, f"{key}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]

    def open_file(self, key: str, expires: str, sig: str) -> tuple[bytes, str]:
        """The bytes and MIME type behind a signed URL."""
        if not expires.isdigit() or not hmac.compare_digest(sig, self._sig(key, int(expires))):
            raise ApiFailure(403, "Invalid signature")
        if self.clock() * 1000 >= int(expires):
            raise ApiFailure(403, "Request has expired")
        with self.lock:
            stored = self.files.get(key)
            if stored is None:  # never stored, expired with its job, or dropped for space
                raise ApiFailure(404, "No such object")
            return stored.data, stored.mime_type

    # -- uploads and cancels

    def upload(self, tenant: Tenant, query: dict[str, str], body: bytes) -> dict[str, Any]:
        if query.get("type") != "reference-image":
            raise ApiFailure(400, "Parameter type must be reference-image.")
        with self.lock:
            self.account_for(tenant, query.get("email"))
        if len(body) > UPLOAD_LIMIT:
            raise ApiFailure(400, f"The file is {len(body):,} bytes; the limit is 20 MB.")
        stored = new_file(body, _upload_type(body), "reference-image")
        with self.lock:
            self.files.add(stored, tenant.files)
            return self.sign(stored)

    def cancel(self, tenant: Tenant, job_id: str) -> None:
        with self.settled(tenant):
            job = tenant.jobs.get(job_id)
            if job is None or not self.executing(job):
                raise ApiFailure(404, f"Unable to locate running jobId {job_id}")
            job.tracked = False
            job.notified = True  # no longer tracked: no webhook either


def _upload_type(data: bytes) -> str:
    """The MIME type of an uploaded picture, from its header alone (no pixel is decoded):
    a PNG, JPEG or WebP of at most UPLOAD_PIXELS pixels, else 400."""
    too_many = f"The image has more than {UPLOAD_PIXELS // 1_000_000} megapixels."
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
            fmt, (width, height) = img.format, img.size
    except Image.DecompressionBombError:  # Pillow's own limit, far above ours
        raise ApiFailure(400, too_many) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        fmt, width, height = None, 0, 0
    if fmt not in UPLOAD_FORMATS:
        raise ApiFailure(400, "The file is not a PNG, JPEG or WebP image.")
    if width * height > UPLOAD_PIXELS:
        raise ApiFailure(400, f"{too_many} It is {width:,} × {height:,} pixels.")
    return UPLOAD_FORMATS[fmt]
