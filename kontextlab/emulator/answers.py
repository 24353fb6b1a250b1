"""What the emulator answers about jobs, assets, accounts and the scheduler, and the webhook
it posts when a job finishes: exactly the fields the vendor documents, nothing more."""

from __future__ import annotations

import json
import math
import urllib.request
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from kontextlab.emulator.records import ApiFailure, EmulatedJob, Tenant
from kontextlab.emulator.world import World


def job_view(world: World, job: EmulatedJob) -> dict[str, Any]:
    """`GET assets/{jobId}`, and a generation's answer once the job is done."""
    with world.lock:
        status: dict[str, Any] = {"type": job.state}
        if job.state == "active":
            elapsed = world.clock() - job.created
            status["progress"] = min(99, int(100 * elapsed / max(world.config.job_seconds, 1e-6)))
        elif job.state == "completed":
            status["progress"] = 100
            if world.artifact_ready(job) and job.file is not None:  # ready: it has one
                status["artifact"] = world.sign(job.file)
        else:
            status["message"] = job.fail_message
        out = {"status": status, **short_view(job)}
        for key, value in (("replyRef", job.reply_ref), ("replyUrl", job.reply_url)):
            if value:
                out[key] = value
        out["code"] = 200
        return out


def short_view(job: EmulatedJob) -> dict[str, Any]:
    """A generation's answer while its job is still running."""
    # Never the seed: the vendor does not report it, so the app must send the one it wants.
    return {"jobId": job.job_id, "generationId": job.generation_id}


def list_assets(world: World, tenant: Tenant, query: dict[str, str]) -> dict[str, Any]:
    """`GET assets/`: an account's pictures, newest first, a page at a time."""
    page = _query_int(query, "page", 1, 1, 10_000)
    limit = _query_int(query, "limit", 20, 1, 100)
    with world.settled(tenant):
        email = world.account_for(tenant, query.get("email")).email
        jobs = [j for j in tenant.jobs.values() if j.email == email and j.file]
        if query.get("filter", "images") != "images":
            jobs = []
        jobs.sort(key=lambda j: j.created, reverse=True)
        chunk = jobs[(page - 1) * limit : page * limit]
        items = [_asset_item(world, j) for j in chunk]
    meta = {
        "totalItems": len(jobs),
        "itemCount": len(items),
        "itemsPerPage": limit,
        "totalPages": max(1, math.ceil(len(jobs) / limit)),
        "currentPage": page,
    }
    return {"items": items, "meta": meta}


def _asset_item(world: World, job: EmulatedJob) -> dict[str, Any]:
    assert job.file is not None  # list_assets passes only jobs with a file
    thumbs = {"large": world.sign(job.file.thumbnail)} if job.file.thumbnail else {}
    return {
        "id": job.file.file_id,
        "jobId": job.job_id,
        "signedAsset": world.sign(job.file),
        "relatedAssets": {"thumbnails": thumbs},
    }


def _query_int(query: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.strip().isdigit() or not low <= int(raw) <= high:
        raise ApiFailure(400, f"Parameter {name} must be a whole number from {low} to {high}.")
    return int(raw)


# ---------------------------------------------------------------- accounts and scheduler


def accounts_view(tenant: Tenant) -> dict[str, Any]:
    if not tenant.accounts:
        raise ApiFailure(404, "No accounts configured.")
    return {e: {"email": e, "maxJobs": a.max_jobs} for e, a in tenant.accounts.items()}


def account_view(tenant: Tenant, email: str) -> dict[str, Any]:
    account = tenant.accounts.get(email)
    if account is None:
        raise ApiFailure(404, f"Account {email} not found.")
    balance = {"LTXStudio_token": account.credits}
    return {"email": email, "maxJobs": account.max_jobs, "balance": balance}


def running_jobs(world: World, tenant: Tenant) -> list[dict[str, Any]]:
    """`GET scheduler`: the token's running jobs, oldest first."""
    with world.settled(tenant):
        now = world.clock()
        running = sorted(
            (j for j in tenant.jobs.values() if world.executing(j)), key=lambda j: j.created
        )
        return [_running_row(job, now) for job in running]


def _running_row(job: EmulatedJob, now: float) -> dict[str, Any]:
    started = datetime.fromtimestamp(job.created, UTC).isoformat(timespec="milliseconds")
    minutes, seconds = divmod(max(0, int(now - job.created)), 60)
    row = {
        "jobId": job.job_id,
        "email": job.email,
        "started": started.replace("+00:00", "Z"),
        "elapsed": f"{minutes:02d}:{seconds:02d}",
    }
    for key, value in (("replyUrl", job.reply_url), ("replyRef", job.reply_ref)):
        if value:
            row[key] = value
    return row


def scheduler_view(world: World, tenant: Tenant) -> dict[str, Any]:
    """`GET scheduler/available`: the jobs running, and each account's free slots."""
    with world.settled(tenant):
        running = [j for j in tenant.jobs.values() if world.executing(j)]
        executing = [{"jobId": j.job_id, "email": j.email} for j in running]
        available = []
        for email, account in tenant.accounts.items():
            busy = sum(1 for j in running if j.email == email)
            available.append(
                {
                    "email": email,
                    "maxJobs": account.max_jobs,
                    "executing": busy,
                    "available": max(0, account.max_jobs - busy),
                }
            )
    return {"executing": executing, "available": available}


# ---------------------------------------------------------------- webhooks


def deliver(world: World, job: EmulatedJob) -> None:
    """POST the finished job to its replyUrl, once, when its host is allowed."""
    url = job.reply_url
    if not url:
        return
    host = urlparse(url).hostname or ""
    if host not in world.config.allow_webhook_hosts:
        world.webhooks.append((url, f"skipped: host {host} not allowed"))
        return
    body = json.dumps(job_view(world, job)).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            world.webhooks.append((url, str(response.status)))
    except Exception as exc:  # the vendor does not retry; neither do we
        world.webhooks.append((url, f"error: {exc}"))
