"""useapi.net's LTX Studio API as a provider: its capabilities, its request rules, and the
client behind the seam.

The runner's tag goes in `replyRef` (when the user set none): `GET scheduler` and the job
record echo it, so a job whose answer was lost can be found (`find_lost`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from kontextlab.providers.base import (
    KINDS,
    Capabilities,
    FieldSpec,
    JobUpdate,
    Picture,
    PicturePage,
    PreparedRequest,
    Provider,
    RequestRules,
    draw_seed,
)
from kontextlab.providers.ltx.client import Asset, Client, Job, JobStatus
from kontextlab.providers.ltx.requests import (
    ASPECT_RATIOS,
    DEFAULT_ASPECT_RATIO,
    MAX_JOBS_MAX,
    MAX_JOBS_MIN,
    MODELS,
    POLL_MAX,
    POLL_MIN,
    POLL_TICK_SECONDS,
    PROMPT_LIMIT,
    REQUEST_TYPES,
    SEED_MAX,
    SHOT_ANGLES,
    SHOT_TYPE_SUGGESTIONS,
    STYLES,
    field_names,
    fields_from_payload,
)
from kontextlab.vocabulary import JobState

NAME = "ltx"
# useapi.net does not publish prices; these are the figures API.md chose for the emulator.
CREDITS = {"flux": 28.0, "flux-premium": 28.0, "nano-banana": 49.0}
UPLOAD_ENDPOINT = "assets/?type=reference-image"
# How the form draws the fields whose range, choices or name on the wire are LTX's own.
SPECS = {
    "shot_type": FieldSpec(choices=SHOT_TYPE_SUGGESTIONS, free=True),
    "shot_angle": FieldSpec(choices=SHOT_ANGLES),
    "reference_strength": FieldSpec(low=0, high=100),
    "poll_for_result": FieldSpec(
        label="Wait for the picture in the request",
        short="Wait",
        wire="pollForResult",
        low=POLL_MIN,
        high=POLL_MAX,
        step_seconds=POLL_TICK_SECONDS,
    ),
    "max_jobs": FieldSpec(
        label="Most jobs at once",
        short="Most jobs at once",
        wire="maxJobs",
        low=MAX_JOBS_MIN,
        high=MAX_JOBS_MAX,
    ),
    "reply_url": FieldSpec(label="Webhook address", short="Webhook address", wire="replyUrl"),
    "reply_ref": FieldSpec(label="Webhook tag", short="Webhook tag", wire="replyRef"),
    "email": FieldSpec(label="Account", wire="email"),
}

CAPABILITIES = Capabilities(
    name=NAME,
    label="useapi.net (LTX Studio)",
    kinds=KINDS,
    fields=MappingProxyType({kind: field_names(kind) for kind in KINDS}),
    shapes=ASPECT_RATIOS,
    default_shape=DEFAULT_ASPECT_RATIO,
    looks=STYLES,
    models=MODELS,
    default_model="flux",
    can_find_lost_jobs=True,
    can_sync_account=True,
    needs_upload=True,
    link_lifetime=None,  # every link carries its own `expirationDateString`
    credits_per_picture=MappingProxyType(CREDITS),
    dollars_per_credit=None,
    prompt_limit=PROMPT_LIMIT,
    seed_max=SEED_MAX,
    specs=MappingProxyType(SPECS),
    can_stop=True,  # DELETE scheduler/{jobId}
)

_STATES = {
    JobStatus.ACTIVE: JobState.ACTIVE,
    JobStatus.COMPLETED: JobState.COMPLETED,
    JobStatus.FAILED: JobState.FAILED,
}


def _picture(asset: Asset | None) -> Picture | None:
    if asset is None:
        return None
    return Picture(asset.asset_url, asset.expires_at, asset.mime_type, asset.file_id)


def job_update(job: Job) -> JobUpdate:
    """The seam's view of an LTX job object."""
    return JobUpdate(
        job_id=job.job_id,
        state=_STATES[job.status],
        progress=job.progress,
        message=job.message,
        picture=_picture(job.artifact),
        generation_id=job.generation_id,
        raw=job.raw,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class LtxRules(RequestRules):
    """The LTX request rules alone: no network (the store's import uses them)."""

    capabilities = CAPABILITIES

    def prepare(self, kind: str, fields: Mapping[str, Any]) -> PreparedRequest:
        request = REQUEST_TYPES[kind](**fields)
        body = request.payload()
        seed = body.get("seed")
        return PreparedRequest(
            provider=NAME,
            kind=request.kind,
            endpoint=request.endpoint,
            body=body,
            prompt=body.get("prompt", ""),
            style=_text(body.get("style")),
            aspect_ratio=_text(body.get("aspectRatio")),
            seed=seed if isinstance(seed, int) else None,
            model=_text(body.get("model")),
            account=_text(body.get("email")),
            source_job=_text(body.get("jobId")),
        )

    def fields_of(self, kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
        if kind not in REQUEST_TYPES:
            raise KeyError(kind)
        return fields_from_payload(kind, body)

    def finalize(self, prepared: PreparedRequest, *, tag: str) -> PreparedRequest:
        body = prepared.as_dict()
        seed = prepared.seed
        # The vendor does not report the seed it used: the seed sent is the only one the app
        # can show and re-use, so a create or edit without one gets one drawn here.
        if prepared.kind != "upscale" and seed is None:
            seed = body["seed"] = draw_seed()
        if not body.get("replyRef"):
            body["replyRef"] = tag
        return dataclasses.replace(prepared, body=body, seed=seed)

    def endpoint(self, kind: str) -> str | None:
        if kind == "upload":
            return UPLOAD_ENDPOINT
        request = REQUEST_TYPES.get(kind)
        return request.endpoint if request else None

    def upload_request(self, name: str) -> dict[str, Any]:
        return {"prompt": name, "fileName": name}

    def without_account(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in body.items() if k != "email"}

    def without_tag(self, body: Mapping[str, Any], tag: str) -> dict[str, Any]:
        # `finalize` puts the row id in replyRef only when the user typed none.
        return {k: v for k, v in body.items() if not (k == "replyRef" and v == tag)}


class LtxProvider(LtxRules, Provider):
    """useapi.net's LTX Studio API. `client_options` go to the `Client` (timeouts, retries)."""

    def __init__(self, base_url: str, token: str, **client_options: Any) -> None:
        self.client = Client(base_url, token, **client_options)

    def __repr__(self) -> str:  # never show the token
        return f"LtxProvider({self.client.base_url!r})"

    @property
    def base_url(self) -> str:
        return self.client.base_url

    def submit(self, prepared: PreparedRequest) -> JobUpdate:
        return job_update(self.client.submit(prepared.endpoint, prepared.body))

    def status(self, job_id: str, follow: str | None = None) -> JobUpdate:
        return job_update(self.client.job(job_id))

    def download(self, url: str) -> tuple[bytes, str]:
        return self.client.download(url)

    def upload_reference(
        self, data: bytes, mime_type: str, *, account: str | None = None
    ) -> Picture:
        asset = self.client.upload_reference(data, mime_type, email=account)
        return Picture(asset.asset_url, asset.expires_at, mime_type, asset.file_id)

    def stop(self, job_id: str) -> None:
        self.client.stop_tracking(job_id)

    def accounts(self) -> list[str]:
        return sorted(self.client.accounts())

    def max_jobs(self, account: str | None = None) -> int | None:
        found = self.client.accounts()
        chosen = [found.get(account)] if account else list(found.values())
        slots = [a.get("maxJobs") for a in chosen if isinstance(a, dict)]
        counted = [n for n in slots if isinstance(n, int) and not isinstance(n, bool) and n > 0]
        return sum(counted) if counted and len(counted) == len(chosen) else None

    def balance(self, account: str | None = None) -> float | None:
        email = account or next(iter(self.client.accounts()), None)
        return self.client.balance(email) if email else None

    def find_lost(
        self,
        request: Mapping[str, Any],
        tag: str,
        *,
        is_known: Callable[[str], bool],
        recent: int = 20,
    ) -> str | None:
        """By the `replyRef` it was sent with: first among the account's running jobs
        (`GET scheduler`); a job that already ended has left it, so then among the account's
        newest pictures, reading each job's `replyRef`."""
        reference = _text(request.get("replyRef")) or tag
        running = [
            entry.job_id
            for entry in self.client.scheduler()
            if entry.reply_ref == reference and not is_known(entry.job_id)
        ]
        if len(running) == 1:
            return running[0]
        page = self.client.list_assets(email=_text(request.get("email")), limit=recent)
        for item in page.items:
            if not item.job_id or is_known(item.job_id):
                continue
            if self.client.job(item.job_id).reply_ref == reference:
                return item.job_id
        return None

    def list_pictures(
        self, *, account: str | None = None, page: int = 1, limit: int = 20
    ) -> PicturePage:
        found = self.client.list_assets(email=account, page=page, limit=limit)
        return PicturePage(found.items, found.total_pages, found.current_page)
