"""Black Forest Labs' API (FLUX.1 Kontext [pro] and [max]) as a provider: its capabilities, its
request rules, and the client behind the seam.

What BFL does not have, the seam's defaults say: no list of tasks (a task whose submit answer
was lost cannot be looked for), no account picture list, no accounts, no upload (the picture
goes in the body as base64), no replyRef (the runner's tag is not sent).

The body stored with a job is the body sent, so an edit's row keeps its source picture as
base64 in its request (the history's request column is unbounded text on SQLite and
PostgreSQL); that is what lets Re-run and a resumed job send exactly what was sent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from kontextlab.providers.base import (
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
from kontextlab.providers.bfl.client import (
    DEFAULT_BASE_URL,
    LINK_LIFETIME,
    Client,
    Submitted,
    Task,
    TaskStatus,
)
from kontextlab.providers.bfl.rules import (
    DEFAULT_MODEL,
    DEFAULT_SHAPE,
    FIELDS,
    KINDS,
    MODELS,
    PROMPT_LIMIT,
    SEED_MAX,
    SHAPES,
    check,
    form_fields,
)
from kontextlab.vocabulary import JobState

NAME = "bfl"
# BFL's published prices (credits per picture); 1 credit = 0.01 USD.
CREDITS = {"flux-kontext-pro": 4.0, "flux-kontext-max": 8.0}
DOLLARS_PER_CREDIT = 0.01
# How the form labels the fields developers set; `wire` is the body's name for each.
SPECS = {
    "webhook_url": FieldSpec(label="Webhook address", short="Webhook address", wire="webhook_url"),
    "webhook_secret": FieldSpec(label="Webhook secret", wire="webhook_secret"),
}

CAPABILITIES = Capabilities(
    name=NAME,
    label="Black Forest Labs",
    kinds=KINDS,
    fields=MappingProxyType(dict.fromkeys(KINDS, FIELDS)),
    shapes=SHAPES,
    default_shape=DEFAULT_SHAPE,
    looks=(),
    models=MODELS,
    default_model=DEFAULT_MODEL,
    can_find_lost_jobs=False,
    can_sync_account=False,
    needs_upload=False,
    link_lifetime=LINK_LIFETIME,
    credits_per_picture=MappingProxyType(CREDITS),
    dollars_per_credit=DOLLARS_PER_CREDIT,
    prompt_limit=PROMPT_LIMIT,
    seed_max=SEED_MAX,
    secret_keys=("webhook_secret",),
    specs=MappingProxyType(SPECS),
)

FAILED = "Black Forest Labs could not make this picture."
REQUEST_MODERATED = (
    "Black Forest Labs' safety filter refused the prompt or the picture sent with it, so no "
    "picture was made."
)
CONTENT_MODERATED = (
    "Black Forest Labs' safety filter held back the finished picture, so it cannot be shown."
)
_FAILURES = {
    TaskStatus.ERROR: FAILED,
    TaskStatus.FAILED: FAILED,
    TaskStatus.REQUEST_MODERATED: REQUEST_MODERATED,
    TaskStatus.CONTENT_MODERATED: CONTENT_MODERATED,
}


def failure_sentence(task: Task) -> str:
    """One plain sentence for a failed task, with the reasons the API gave."""
    sentence = _FAILURES[task.status]
    if not task.reasons:
        return sentence
    return f"{sentence[:-1]} (reason: {'; '.join(task.reasons)})."


def task_update(task: Task, job_id: str, follow: str | None) -> JobUpdate:
    """The seam's view of a task as `GET <polling_url>` describes it."""
    if task.status in _FAILURES:
        return JobUpdate(job_id, JobState.FAILED, message=failure_sentence(task), follow=follow)
    if task.status is TaskStatus.READY:
        picture = Picture(task.sample, task.expires_at) if task.sample else None
        return JobUpdate(
            job_id, JobState.COMPLETED, 100.0, picture=picture, follow=follow, raw=task.raw
        )
    return JobUpdate(job_id, JobState.ACTIVE, task.progress, follow=follow, raw=task.raw)


def submitted_update(answer: Submitted) -> JobUpdate:
    return JobUpdate(
        job_id=answer.task_id,
        state=JobState.ACTIVE,
        follow=answer.polling_url,
        cost=answer.cost,
        raw=answer.raw,
    )


class BflRules(RequestRules):
    """The BFL request rules alone: no network (the store's import uses them)."""

    capabilities = CAPABILITIES

    def prepare(self, kind: str, fields: Mapping[str, Any]) -> PreparedRequest:
        checked_kind, model, endpoint, body = check(kind, fields)
        seed = body.get("seed")
        return PreparedRequest(
            provider=NAME,
            kind=checked_kind,
            endpoint=endpoint,
            body=body,
            prompt=body["prompt"],
            aspect_ratio=body.get("aspect_ratio"),
            seed=seed if isinstance(seed, int) else None,
            model=model,
        )

    def fields_of(self, kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return form_fields(kind, body)

    def finalize(self, prepared: PreparedRequest, *, tag: str) -> PreparedRequest:
        # BFL draws a seed when none is sent but the app always shows the seed it sent, so one
        # is drawn here. BFL has no field that echoes a reference: `tag` is not sent.
        if prepared.seed is not None:
            return prepared
        body = prepared.as_dict()
        seed = body["seed"] = draw_seed()
        return dataclasses.replace(prepared, body=body, seed=seed)


class BflProvider(BflRules, Provider):
    """Black Forest Labs' API. `client_options` go to the `Client` (timeouts, retries)."""

    def __init__(self, base_url: str = DEFAULT_BASE_URL, key: str = "", **client_options: Any):
        self.client = Client(base_url, key, **client_options)

    def __repr__(self) -> str:  # never show the key
        return f"BflProvider({self.client.base_url!r})"

    @property
    def base_url(self) -> str:
        return self.client.base_url

    def submit(self, prepared: PreparedRequest) -> JobUpdate:
        return submitted_update(self.client.submit(prepared.endpoint, prepared.body))

    def status(self, job_id: str, follow: str | None = None) -> JobUpdate:
        return task_update(self.client.task(job_id, follow), job_id, follow)

    def download(self, url: str) -> tuple[bytes, str]:
        return self.client.download(url)

    def balance(self, account: str | None = None) -> float | None:
        return self.client.credits()

    def list_pictures(
        self, *, account: str | None = None, page: int = 1, limit: int = 20
    ) -> PicturePage:
        return PicturePage((), 0, page)  # BFL keeps no list of an account's pictures
