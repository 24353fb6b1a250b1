"""The BFL side of the emulated service: each API key's credits and tasks, and what it
answers about them. Tasks live like LTX jobs: started at submit, drawn in the world's render
pool, settled by the world on its clock, forgotten after `record_lifetime`.

Answers carry exactly the fields BFL.md documents. Errors answer `{"detail": ...}`.
"""

from __future__ import annotations

import json
import random
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from kontextlab.emulator import bfl_rules, renderer, rules
from kontextlab.emulator.config import BFL_COSTS, FILES_PREFIX
from kontextlab.emulator.faults import Fault
from kontextlab.emulator.files import StoredFile
from kontextlab.emulator.records import ApiFailure, EmulatedJob
from kontextlab.emulator.world import SHARED_GRACE, World

MODELS = tuple(BFL_COSTS)  # "flux-kontext-pro", "flux-kontext-max"
MAX_MODEL = "flux-kontext-max"
PENDING, READY, ERROR = "Pending", "Ready", "Error"
REQUEST_MODERATED, CONTENT_MODERATED = "Request Moderated", "Content Moderated"
NOT_FOUND = "Task not found"
# An outcome fault's status, and its message when the fault gives none.
OUTCOMES = {
    "error": (ERROR, "Generation failed"),
    "request-moderated": (REQUEST_MODERATED, "Emulated safety filter"),
    "content-moderated": (CONTENT_MODERATED, "Emulated safety filter"),
}
REASONS_KEY = "Moderation Reasons"  # in `details` of a moderated task (our reading of BFL)


class BflFailure(ApiFailure):
    """A BFL error answer: `{"detail": detail}` (a sentence, or 422's list of errors)."""

    def __init__(self, status: int, detail: str | list[dict[str, Any]]):
        super().__init__(status, detail if isinstance(detail, str) else "invalid request")
        self.detail = detail

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail}


@dataclass
class BflTask(EmulatedJob):
    """A task as the emulated BFL service keeps it."""

    model: str = ""
    prompt: str = ""
    outcome: str = ERROR  # the status it ends in when it fails
    reasons: tuple[str, ...] = ()


@dataclass
class BflAccount:
    key: str
    credits: float
    tasks: dict[str, BflTask] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)


class BflDesk:
    """Every BFL key's account and tasks, kept in the world (its lock, clock, files, pool)."""

    def __init__(self, world: World):
        self.world = world
        self.config = world.config
        credits = float(self.config.bfl_credits)
        self.accounts = {key: BflAccount(key, credits) for key in self.config.bfl_keys}

    def account(self, key: str | None) -> BflAccount:
        if not key:
            raise BflFailure(403, "Not authenticated: send your API key in the x-key header.")
        account = self.accounts.get(key.strip())
        if account is None:
            raise BflFailure(403, "Invalid API key.")
        return account

    # -- tasks

    def submit(
        self, account: BflAccount, model: str, values: dict[str, Any], fault: Fault | None
    ) -> BflTask:
        """Start a task from values that `bfl_rules.check` returned."""
        images = [self._picture(name, image) for name, image in values["images"]]
        world = self.world
        world.await_renders(account.tasks.values(), SHARED_GRACE)
        with world.lock:
            for task in account.tasks.values():
                world.settle(task)
            self._check_capacity(account, model)
            cost = BFL_COSTS[model]
            if account.credits < cost:
                raise BflFailure(
                    402, f"Insufficient credits: {model} costs {cost}, {account.credits:g} left."
                )
            account.credits -= cost
            seed = values["seed"]
            task = BflTask(
                job_id=str(uuid.uuid4()),
                generation_id="",
                email="",
                kind=model,
                created=world.clock(),
                seed=seed if seed is not None else random.randint(0, rules.SEED_MAX),
                reply_url=values["webhook_url"],
                reply_ref=None,
                render=None,
                owner_files=account.files,
                model=model,
                prompt=values["prompt"],
            )
            if fault is not None:
                task.outcome, default = OUTCOMES[fault.kind]
                task.fail_message = fault.message or default
                if task.outcome != ERROR:
                    task.reasons = (task.fail_message,)
            else:
                task.render = world.pool.submit(self._work(task, values, images), task.seed)
            account.tasks[task.job_id] = task
            return task

    def _check_capacity(self, account: BflAccount, model: str) -> None:
        active = [t for t in account.tasks.values() if t.state == "active"]
        limit = self.config.bfl_max_tasks
        if len(active) >= limit:
            raise BflFailure(429, f"You have {limit} active tasks, the most allowed; wait.")
        limit = self.config.bfl_max_tasks_max
        if model == MAX_MODEL and sum(t.model == MAX_MODEL for t in active) >= limit:
            raise BflFailure(429, f"You have {limit} active {model} tasks, the most allowed.")

    def _picture(self, name: str, image: bytes | str) -> bytes:
        """An input image's bytes: base64 was decoded by the rules; a URL opens only when it
        is one of this emulator's own signed file URLs (it fetches nothing from elsewhere)."""
        if isinstance(image, bytes):
            return image
        parts = urlsplit(image)
        own = f"{parts.scheme}://{parts.netloc}" == self.world.origin
        if not own or not parts.path.startswith(FILES_PREFIX):
            msg = "Value error, the emulator fetches no URL but its own: send base64"
            raise BflFailure(422, [bfl_rules.error(["body", name], msg, "value_error")])
        query = dict(parse_qsl(parts.query))
        try:
            data, _ = self.world.open_file(
                parts.path[len(FILES_PREFIX) :], query.get("exp", ""), query.get("sig", "")
            )
        except ApiFailure as exc:
            msg = f"Value error, the input image URL answers {exc.status}: {exc.message}"
            raise BflFailure(422, [bfl_rules.error(["body", name], msg, "value_error")]) from None
        return data

    @staticmethod
    def _work(
        task: BflTask, values: dict[str, Any], images: list[bytes]
    ) -> Callable[[int], renderer.Rendered]:
        prompt, model, fmt = task.prompt, task.model, values["output_format"]
        if images:  # the first is the picture edited; further references are not drawn
            source = images[0]
            shape = values["aspect_ratio"] or bfl_rules.shape_of(source)
            return lambda seed: renderer.render_edit(
                source, prompt, seed, shape, model, output_format=fmt
            )
        shape = values["aspect_ratio"] or "1:1"
        return lambda seed: renderer.render_create(
            prompt, seed, None, shape, model, output_format=fmt
        )

    def find(self, account: BflAccount, task_id: str) -> BflTask | None:
        """The task, moved on to where the clock says; None when unknown or expired."""
        world = self.world
        with world.lock:
            task = account.tasks.get(task_id)
        if task is None:
            return None
        world.await_renders([task])
        with world.lock:
            world.settle(task)
            if self._expired(task):
                self._forget(account, task)
                return None
            return task

    def _expired(self, task: BflTask) -> bool:
        return self.world.clock() >= task.created + self.config.record_lifetime

    def _forget(self, account: BflAccount, task: BflTask) -> None:
        account.tasks.pop(task.job_id, None)
        if task.file:
            account.files.pop(task.file.file_id, None)
            self.world.files.discard(task.file)
            self.world.files.discard(task.file.thumbnail)

    # -- answers

    def view(self, task_id: str, task: BflTask | None) -> dict[str, Any]:
        """`GET polling_url`: the task's status."""
        out: dict[str, Any] = {
            "id": task_id,
            "status": NOT_FOUND,
            "result": None,
            "progress": None,
            "details": None,
        }
        if task is None:
            return out
        world = self.world
        with world.lock:
            if task.state == "failed":
                out["status"] = task.outcome
                if task.reasons:
                    out["details"] = {REASONS_KEY: list(task.reasons)}
            elif task.state == "completed" and task.file and world.artifact_ready(task):
                out["status"] = READY
                out["result"] = self._result(task, task.file)
            else:
                elapsed = world.clock() - task.created
                fraction = elapsed / max(self.config.job_seconds, 1e-6)
                out["status"] = PENDING
                out["progress"] = round(min(0.99, max(0.0, fraction)), 2)
        return out

    def _result(self, task: BflTask, stored: StoredFile) -> dict[str, Any]:
        # The sample works for bfl_sample_lifetime from when the task became Ready.
        expires = int((task.done_at + self.config.bfl_sample_lifetime) * 1000)
        return {
            "sample": self.world.signed_url(stored, expires),
            "prompt": task.prompt,
            "seed": task.seed,
            "start_time": task.created,
            "end_time": task.done_at,
            "duration": round(task.done_at - task.created, 3),
        }

    # -- webhooks and expiry (the emulator's ticker)

    def owed_webhooks(self) -> list[BflTask]:
        """Settle every task, forget the expired, and return the finished tasks whose webhook
        is owed, each once."""
        owed: list[BflTask] = []
        world = self.world
        with world.lock:
            for account in self.accounts.values():
                for task in list(account.tasks.values()):
                    world.settle(task)
                    finished = task.state == "failed" or (
                        task.state == "completed" and world.artifact_ready(task)
                    )
                    if finished and not task.notified:
                        task.notified = True
                        if task.reply_url:
                            owed.append(task)
                    if self._expired(task):
                        self._forget(account, task)
        return owed

    def deliver(self, task: BflTask) -> None:
        """POST the finished task (the polling answer) to its webhook_url, once, when its
        host is allowed. The webhook_secret is kept, never sent: BFL.md does not say how."""
        url = task.reply_url or ""
        world = self.world
        host = urlsplit(url).hostname or ""
        if host not in self.config.allow_webhook_hosts:
            world.webhooks.append((url, f"skipped: host {host} not allowed"))
            return
        body = json.dumps(self.view(task.job_id, task)).encode()
        headers = {"Content-Type": "application/json"}
        request = urllib.request.Request(url, body, headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                world.webhooks.append((url, str(response.status)))
        except Exception as exc:  # not retried
            world.webhooks.append((url, f"error: {exc}"))
